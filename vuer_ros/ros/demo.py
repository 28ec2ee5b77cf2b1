# Copyright 2026 vuer_ros developers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
A small moving robot scene, so a newcomer sees poses and every marker type at once.

A robot drives a circle in ``map``: frames on a TransformStamped topic (tf2_msgs is not
installable everywhere), its odometry and trail, a goal with a particle cloud, and a row
of markers of every type, some of them riding on the robot.
"""

import math
import struct

from geometry_msgs.msg import Point, Pose, PoseArray, PoseStamped, TransformStamped
from nav_msgs.msg import OccupancyGrid, Odometry, Path
import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from sensor_msgs.msg import Image, JointState, LaserScan, PointCloud2, PointField
from std_msgs.msg import ColorRGBA, String
from visualization_msgs.msg import Marker, MarkerArray

from vuer_ros.ros.executor import ExecutorBridge, run_with_ros

#: Bridge parameters of the demo: the topics it publishes on.
DEMO_OVERRIDES = {
    'transform_topics': ['/demo/transforms'],
    'pose_topics': ['/demo/goal'],
    'pose_array_topics': ['/demo/particles'],
    'odometry_topics': ['/demo/odom'],
    'path_topics': ['/demo/path'],
    'marker_array_topics': ['/visualization_marker_array'],
    'point_cloud_topics': ['/demo/lidar'],
    'laser_scan_topics': ['/demo/scan'],
    # Squares bigger than RViz2's 0.01 m, to be seen from the default view; the scan's
    # intensity between two greens (RViz2's Min/Max Color), clear of the markers' colours.
    'point_cloud_size': 0.02,
    'laser_scan_size': 0.05,
    'laser_scan_use_rainbow': False,
    'laser_scan_min_color': '0; 110; 0',
    'laser_scan_max_color': '170; 255; 60',
    'occupancy_grid_topics': ['/demo/map'],
    'image_topics': ['/demo/camera/image'],
    'image_height': 0.3,
    # RViz2's odometry trail drops an arrow every 0.1 m: 10 a second for this robot, a
    # solid band; every 0.5 m, 30 kept, draws one lap of separate arrows.
    'odometry_position_tolerance': 0.5,
    'odometry_keep': 30,
}

RADIUS = 2.5
#: A small arm on the robot, of primitives (no mesh files to install): its joints move
#: through /joint_states, from which the bridge computes the links' frames.
ARM_URDF = """<robot name="demo_arm">
  <material name="grey"><color rgba="0.55 0.57 0.6 1"/></material>
  <material name="orange"><color rgba="1 0.55 0.1 1"/></material>
  <link name="base_link"/>
  <joint name="mount" type="fixed"><parent link="base_link"/><child link="arm_base"/>
    <origin xyz="-0.15 0 0.3"/></joint>
  <link name="arm_base"><visual><origin xyz="0 0 0.075"/><geometry>
    <cylinder radius="0.2" length="0.15"/></geometry><material name="grey"/></visual></link>
  <joint name="shoulder" type="revolute"><parent link="arm_base"/><child link="upper_arm"/>
    <origin xyz="0 0 0.15"/><axis xyz="0 0 1"/>
    <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
  <link name="upper_arm"><visual><origin xyz="0 0 0.35"/><geometry>
    <box size="0.14 0.14 0.7"/></geometry><material name="orange"/></visual></link>
  <joint name="elbow" type="revolute"><parent link="upper_arm"/><child link="forearm"/>
    <origin xyz="0 0 0.7"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <link name="forearm"><visual><origin xyz="0 0 0.3"/><geometry>
    <cylinder radius="0.06" length="0.6"/></geometry><material name="grey"/></visual>
  </link>
  <joint name="wrist" type="continuous"><parent link="forearm"/><child link="hand"/>
    <origin xyz="0 0 0.6"/><axis xyz="0 0 1"/></joint>
  <link name="hand"><visual><geometry><sphere radius="0.09"/></geometry>
    <material name="orange"/></visual></link>
  <joint name="gripper" type="prismatic"><parent link="hand"/><child link="finger_l"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 1 0"/>
    <limit lower="0" upper="0.08" effort="1" velocity="1"/></joint>
  <link name="finger_l"><visual><origin xyz="0 0 0.08"/><geometry>
    <box size="0.04 0.04 0.16"/></geometry><material name="grey"/></visual></link>
  <joint name="gripper_mimic" type="prismatic"><parent link="hand"/><child link="finger_r"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 1 0"/><mimic joint="gripper" multiplier="-1"/>
    <limit lower="-0.08" upper="0" effort="1" velocity="1"/></joint>
  <link name="finger_r"><visual><origin xyz="0 0 0.08"/><geometry>
    <box size="0.04 0.04 0.16"/></geometry><material name="grey"/></visual></link>
</robot>
"""
SPEED = 0.4  # rad/s around the circle


def quaternion_from_yaw(yaw: float) -> tuple[float, float, float, float]:
    """ROS (x, y, z, w) of a rotation about +Z."""
    return 0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)


def rgba(r: float, g: float, b: float, a: float = 1.0) -> ColorRGBA:
    """Make a ColorRGBA from its four channels."""
    return ColorRGBA(r=r, g=g, b=b, a=a)


def tetrahedron_stl() -> bytes:
    """Build a binary STL of a tetrahedron, for the embedded:// mesh marker."""
    corners = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]

    def normal(a: tuple, b: tuple, c: tuple) -> tuple:
        u = [b[i] - a[i] for i in range(3)]
        v = [c[i] - a[i] for i in range(3)]
        n = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
        length = math.sqrt(sum(x * x for x in n))
        return tuple(x / length for x in n)

    # Loaders shade with the file's normals, so they must be real ones.
    body = b''.join(
        struct.pack('<12fH', *normal(corners[a], corners[b], corners[c]),
                    *corners[a], *corners[b], *corners[c], 0)
        for a, b, c in faces)
    return b'vuer_ros demo tetrahedron'.ljust(80, b' ') + struct.pack('<I', len(faces)) + body


class DemoPublisher(Node):
    """Publishes the demo scene at 20 Hz."""

    def __init__(self) -> None:
        super().__init__('vuer_demo_publisher')
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self._transforms = self.create_publisher(TransformStamped, '/demo/transforms', 50)
        # Volatile, as nav2's /goal_pose: a latched one makes the bridge warn, rightly,
        # that what came before it started is not shown (the goal is re-sent at 20 Hz).
        self._goal = self.create_publisher(PoseStamped, '/demo/goal', 10)
        self._particles = self.create_publisher(PoseArray, '/demo/particles', 10)
        self._odom = self.create_publisher(Odometry, '/demo/odom', 10)
        self._path = self.create_publisher(Path, '/demo/path', 10)
        self._markers = self.create_publisher(
            MarkerArray, '/visualization_marker_array', 10)
        self._start_arm(latched)
        self._trail: list[PoseStamped] = []
        self._start = self.get_clock().now()
        self._tick = 0
        self.create_timer(0.05, self._publish)
        self._lidar = self.create_publisher(PointCloud2, '/demo/lidar', 2)
        self._scan = self.create_publisher(LaserScan, '/demo/scan', 2)
        self.create_timer(0.1, self._publish_sensors)
        self._start_map_and_camera(latched)

    def _publish(self) -> None:
        now = self.get_clock().now()
        t = (now - self._start).nanoseconds * 1e-9
        angle = SPEED * t
        x, y, yaw = RADIUS * math.cos(angle), RADIUS * math.sin(angle), angle + math.pi / 2
        stamp = now.to_msg()
        self._transforms.publish(self._transform('map', 'odom', (0.0, 0.0, 0.0), 0.0, stamp))
        self._transforms.publish(self._transform('odom', 'base_link', (x, y, 0.0), yaw, stamp))
        self._transforms.publish(
            self._transform('base_link', 'sensor', (0.2, 0.0, 0.45), math.sin(t), stamp))
        self._odom.publish(self._odometry(x, y, yaw, stamp))
        self._publish_arm(t, stamp)
        if self._tick % 4 == 0:
            self._publish_trail(x, y, yaw, stamp)
            self._publish_goal(stamp)
        if self._tick % 2 == 0:
            self._markers.publish(self._marker_row(t, stamp))
        self._tick += 1

    def _start_arm(self, latched: QoSProfile) -> None:
        """Describe the arm riding on the robot, latched as robot_state_publisher does."""
        self._description = self.create_publisher(String, '/robot_description', latched)
        self._description.publish(String(data=ARM_URDF))
        self._joints = self.create_publisher(JointState, '/joint_states', 10)

    def _publish_arm(self, t: float, stamp) -> None:
        """Swing the arm's joints (the bridge computes where its links go)."""
        message = JointState(name=['shoulder', 'elbow', 'wrist', 'gripper'], position=[
            0.8 * math.sin(0.5 * t), 0.6 + 0.5 * math.sin(0.7 * t), 1.5 * t % (2 * math.pi),
            0.04 + 0.04 * math.sin(2.0 * t)])
        message.header.stamp = stamp
        self._joints.publish(message)

    def _publish_sensors(self) -> None:
        """Publish a spinning 16-beam lidar (19,200 points) and a planar scan, at 10 Hz."""
        now = self.get_clock().now()
        t = (now - self._start).nanoseconds * 1e-9
        stamp = now.to_msg()
        self._lidar.publish(lidar_cloud(t, stamp))
        self._scan.publish(laser_scan(t, stamp))

    def _start_map_and_camera(self, latched: QoSProfile) -> None:
        """Latch a small room map, as map_server does, and start a 5 Hz camera."""
        self._map = self.create_publisher(OccupancyGrid, '/demo/map', latched)
        self._map.publish(room_map(self.get_clock().now().to_msg()))
        self._camera = self.create_publisher(Image, '/demo/camera/image', 2)
        self.create_timer(0.2, self._publish_camera)

    def _publish_camera(self) -> None:
        """Publish the optical frame of a camera on the robot and its 160 x 120 image."""
        now = self.get_clock().now()
        stamp = now.to_msg()
        optical = self._transform('base_link', 'camera_optical', (0.25, 0.0, 0.3), 0.0, stamp)
        # camera_link -> optical frame: z forward, x right, y down (REP 103).
        r = optical.transform.rotation
        r.x, r.y, r.z, r.w = -0.5, 0.5, -0.5, 0.5
        self._transforms.publish(optical)
        self._camera.publish(camera_image((now - self._start).nanoseconds * 1e-9, stamp))

    @staticmethod
    def _transform(parent: str, child: str, xyz: tuple, yaw: float,
                   stamp) -> TransformStamped:
        message = TransformStamped()
        message.header.frame_id = parent
        message.header.stamp = stamp
        message.child_frame_id = child
        message.transform.translation.x, message.transform.translation.y, \
            message.transform.translation.z = xyz
        r = message.transform.rotation
        r.x, r.y, r.z, r.w = quaternion_from_yaw(yaw)
        return message

    @staticmethod
    def _odometry(x: float, y: float, yaw: float, stamp) -> Odometry:
        message = Odometry()
        message.header.frame_id = 'odom'
        message.header.stamp = stamp
        message.child_frame_id = 'base_link'
        message.pose.pose.position.x, message.pose.pose.position.y = x, y
        o = message.pose.pose.orientation
        o.x, o.y, o.z, o.w = quaternion_from_yaw(yaw)
        message.twist.twist.linear.x = SPEED * RADIUS
        # Some uncertainty, so the covariance ellipse and yaw wedge show as in RViz2:
        # 0.3 m by 0.1 m in x and y, 0.2 rad in yaw (row-major 6x6, x y z roll pitch yaw).
        covariance = [0.0] * 36
        covariance[0], covariance[7], covariance[35] = 0.09, 0.01, 0.04
        message.pose.covariance = covariance
        return message

    def _publish_trail(self, x: float, y: float, yaw: float, stamp) -> None:
        pose = PoseStamped()
        pose.header.frame_id = 'map'
        pose.header.stamp = stamp
        pose.pose.position.x, pose.pose.position.y = x, y
        o = pose.pose.orientation
        o.x, o.y, o.z, o.w = quaternion_from_yaw(yaw)
        self._trail = (self._trail + [pose])[-60:]
        path = Path()
        path.header.frame_id = 'map'
        path.header.stamp = stamp
        path.poses = self._trail
        self._path.publish(path)

    def _publish_goal(self, stamp) -> None:
        goal = PoseStamped()
        goal.header.frame_id = 'map'
        goal.header.stamp = stamp
        goal.pose.position.x, goal.pose.position.y = 0.0, 0.0
        goal.pose.orientation.w = 1.0
        self._goal.publish(goal)
        particles = PoseArray()
        particles.header = goal.header
        for i in range(12):
            pose = Pose()
            angle = i * math.pi / 6
            pose.position.x, pose.position.y = 0.6 * math.cos(angle), 0.6 * math.sin(angle)
            q = quaternion_from_yaw(angle)
            pose.orientation.x, pose.orientation.y, pose.orientation.z, \
                pose.orientation.w = q
            particles.poses.append(pose)
        self._particles.publish(particles)

    def _marker_row(self, t: float, stamp) -> MarkerArray:
        """One marker of every type in a row along +X, at y = -4 (the robot's right)."""
        markers = []

        def add(kind: int, **fields) -> Marker:
            marker = Marker()
            marker.header.frame_id = fields.pop('frame', 'map')
            marker.header.stamp = stamp
            marker.ns = fields.pop('ns', 'row')
            marker.id = len(markers)
            marker.type = kind
            marker.action = Marker.ADD
            marker.pose.position.x = -6.0 + 1.0 * len(markers)
            marker.pose.position.y = -4.0
            marker.pose.position.z = 0.5
            marker.pose.orientation.w = 1.0
            marker.scale.x = marker.scale.y = marker.scale.z = 0.5
            marker.color = rgba(0.2, 0.6, 1.0)
            for name, value in fields.items():
                setattr(marker, name, value)
            markers.append(marker)
            return marker

        ring = [Point(x=0.3 * math.cos(a / 4), y=0.3 * math.sin(a / 4), z=0.1 * a / 8)
                for a in range(26)]
        rainbow = [rgba(0.5 + 0.5 * math.cos(i / 4), 0.5 + 0.5 * math.sin(i / 4), 0.5)
                   for i in range(len(ring))]
        arrow = add(Marker.ARROW, color=rgba(1.0, 0.3, 0.1))
        arrow.scale.y = arrow.scale.z = 0.08
        add(Marker.CUBE, color=rgba(0.9, 0.1, 0.1))
        add(Marker.SPHERE, color=rgba(0.1, 0.8, 0.2))
        add(Marker.CYLINDER, color=rgba(0.9, 0.8, 0.1, 0.6))
        add(Marker.LINE_STRIP, points=ring, colors=rainbow).scale.x = 0.03
        add(Marker.LINE_LIST, points=ring[:24], color=rgba(0.2, 0.2, 0.2)).scale.x = 0.02
        cubes = add(Marker.CUBE_LIST, points=ring[::3], colors=rainbow[::3])
        cubes.scale.x = cubes.scale.y = cubes.scale.z = 0.08
        spheres = add(Marker.SPHERE_LIST, points=ring[::3], color=rgba(1.0, 0.5, 0.0))
        spheres.scale.x = spheres.scale.y = spheres.scale.z = 0.08
        points = add(Marker.POINTS, points=ring, colors=rainbow)
        points.scale.x = points.scale.y = 0.05
        add(Marker.TEXT_VIEW_FACING, text='vuer_ros', color=rgba(0.1, 0.1, 0.3)).scale.z = 0.3
        mesh = add(Marker.MESH_RESOURCE, mesh_resource='embedded://tetrahedron.stl',
                   color=rgba(0.7, 0.3, 0.9))
        mesh.mesh_file.filename = 'tetrahedron.stl'
        mesh.mesh_file.data = tetrahedron_stl()
        add(Marker.TRIANGLE_LIST,
            points=[Point(x=0.0, y=0.0, z=0.0), Point(x=0.5, y=0.0, z=0.0),
                    Point(x=0.0, y=0.5, z=0.0)],
            colors=[rgba(1.0, 0.0, 0.0), rgba(0.0, 1.0, 0.0), rgba(0.0, 0.0, 1.0)])
        strip = add(Marker.ARROW_STRIP, points=ring[::6], color=rgba(0.2, 1.0, 0.8))
        strip.scale.x, strip.scale.y, strip.scale.z = 0.03, 0.06, 0.08
        # On the robot: a body and a label that ride with base_link, and a spinning sensor.
        body = add(Marker.CUBE, frame='base_link', ns='robot', color=rgba(0.8, 0.8, 0.85))
        body.pose.position.x, body.pose.position.y, body.pose.position.z = 0.0, 0.0, 0.2
        body.scale.x, body.scale.y, body.scale.z = 0.6, 0.4, 0.3
        label = add(Marker.TEXT_VIEW_FACING, frame='base_link', ns='robot', text='robot',
                    color=rgba(0.6, 0.1, 0.1))
        label.pose.position.x, label.pose.position.y, label.pose.position.z = 0.0, 0.0, 0.9
        label.scale.z = 0.2
        lidar = add(Marker.CYLINDER, frame='sensor', ns='robot', color=rgba(0.1, 0.1, 0.1))
        lidar.pose.position.x = lidar.pose.position.y = lidar.pose.position.z = 0.0
        lidar.scale.x, lidar.scale.y, lidar.scale.z = 0.15, 0.15, 0.1
        pulse = add(Marker.SPHERE, ns='pulse', color=rgba(1.0, 0.2, 0.6, 0.5))
        pulse.pose.position.x, pulse.pose.position.y = 0.0, 0.0
        pulse.scale.x = pulse.scale.y = pulse.scale.z = 0.3 + 0.2 * math.sin(2 * t)
        return MarkerArray(markers=markers)


#: Points of float32 x, y, z and an rgb packed in a uint32: 16 bytes, as PCL's PointXYZRGB.
XYZ_RGB = np.dtype([('x', '<f4'), ('y', '<f4'), ('z', '<f4'), ('rgb', '<u4')])


def xyz_rgb_cloud(records: np.ndarray, frame: str, height: int = 1) -> PointCloud2:
    """Return a PointCloud2 of XYZ_RGB ``records`` in ``frame``, ``height`` rows."""
    width = len(records) // height
    message = PointCloud2(height=height, width=width, is_bigendian=False,
                          point_step=XYZ_RGB.itemsize, row_step=XYZ_RGB.itemsize * width,
                          is_dense=True)
    message.header.frame_id = frame
    message.fields = [PointField(name=name, offset=XYZ_RGB.fields[name][1], count=1,
                                 datatype=PointField.UINT32 if name == 'rgb'
                                 else PointField.FLOAT32) for name in XYZ_RGB.names]
    message.data = records.tobytes()
    return message


#: The demo lidar: beams, readings per turn and turns per second.
LIDAR_BEAMS, LIDAR_READINGS, LIDAR_SPIN = 16, 1200, 0.5


def lidar_cloud(t: float, stamp) -> PointCloud2:
    """
    Return one lidar turn in ``sensor``: float32 x, y, z and a packed rgb (RViz2's RGB8).

    It sees a wavy ring 0.9 m round it (so it never reaches the marker row); the colour
    runs from yellow where the beam has just passed to deep orange behind it, so it spins.
    """
    azimuth = np.linspace(-math.pi, math.pi, LIDAR_READINGS, endpoint=False)
    elevation = np.radians(np.linspace(-15.0, 15.0, LIDAR_BEAMS))
    az, el = np.meshgrid(azimuth, elevation)
    reach = 0.9 + 0.08 * np.sin(5.0 * az + t)
    behind = ((2.0 * math.pi * LIDAR_SPIN * t - az) % (2.0 * math.pi)) / (2.0 * math.pi)
    records = np.zeros(az.size, dtype=XYZ_RGB)
    records['x'] = (reach * np.cos(el) * np.cos(az)).ravel()
    records['y'] = (reach * np.cos(el) * np.sin(az)).ravel()
    records['z'] = (reach * np.sin(el)).ravel()
    green = (230 - 140 * behind).astype(np.uint32)
    records['rgb'] = ((255 << 16) | (green << 8)).ravel()
    message = xyz_rgb_cloud(records, 'sensor', height=LIDAR_BEAMS)
    message.header.stamp = stamp
    return message


def laser_scan(t: float, stamp) -> LaserScan:
    """Return a 360-reading planar scan from ``sensor``: a ring 1.5 m round, with a gap."""
    angles = np.linspace(-math.pi, math.pi, 360, endpoint=False)
    ranges = 1.5 + 0.15 * np.sin(4.0 * angles + 0.5 * t)
    ranges[(angles > 0.3) & (angles < 0.8)] = float('inf')   # nothing there: not drawn
    message = LaserScan(angle_min=-math.pi, angle_max=math.pi - math.pi / 180,
                        angle_increment=math.pi / 180, time_increment=0.0, scan_time=0.1,
                        range_min=0.1, range_max=10.0)
    message.header.frame_id = 'sensor'
    message.header.stamp = stamp
    message.ranges = ranges.astype(np.float32).tolist()
    message.intensities = (100.0 * ranges).astype(np.float32).tolist()
    return message


def room_map(stamp) -> OccupancyGrid:
    """
    Return a 7 x 7 m room at 5 cm round the robot's circle: walls, a pillar, unknowns.

    The room is open towards the row of markers (-y) and its side walls stop short of it,
    so no wall runs behind their text in the default view.
    """
    cells = np.full((140, 140), -1, np.int8)
    cells[10:130, 10:130] = 0
    cells[50:130, 10:12] = cells[50:130, 128:130] = 100
    cells[128:130, 10:130] = 100
    cells[60:80, 60:80] = 100                          # a pillar in the middle
    cells[12:30, 12:128] = 40                          # a band of uncertain cells
    message = OccupancyGrid()
    message.header.frame_id = 'map'
    message.header.stamp = stamp
    message.info.resolution = 0.05
    message.info.width = message.info.height = 140
    message.info.origin.position.x = message.info.origin.position.y = -3.5
    message.data = cells.tobytes()
    return message


def camera_image(t: float, stamp) -> Image:
    """Return a 160 x 120 rgb8 test picture: a colour gradient, a bar sweeping across."""
    columns, rows = np.meshgrid(np.arange(160), np.arange(120))
    pixels = np.dstack([columns * 255 // 159, rows * 255 // 119,
                        np.full_like(columns, 160)]).astype(np.uint8)
    bar = int(80 + 70 * math.sin(t))
    pixels[:, max(bar - 4, 0):bar + 4] = 255
    message = Image(height=120, width=160, encoding='rgb8', is_bigendian=0, step=480)
    message.header.frame_id = 'camera_optical'
    message.header.stamp = stamp
    message.data = pixels.tobytes()
    return message


def main(args: list[str] | None = None) -> None:
    """
    Run the demo publisher alone (the bridge's demo mode runs it in-process).

    Through run_with_ros, as the bridge: Ctrl-C and ros2 launch's SIGINT end it without
    a traceback (rclpy's own handler would shut the context down under the node).
    """
    async def publish() -> None:
        node = DemoPublisher()
        try:
            async with ExecutorBridge(node) as bridge:
                await bridge.wait_stopped()
        finally:
            node.destroy_node()

    run_with_ros(publish, args=args, description=(
        'Publish a small moving robot scene (frames, odometry, a path, markers) for the '
        'Vuer bridge.'))
