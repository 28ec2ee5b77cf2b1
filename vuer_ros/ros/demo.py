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
from nav_msgs.msg import Odometry, Path
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_msgs.msg import ColorRGBA
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
    # RViz2's odometry trail drops an arrow every 0.1 m: 10 a second for this robot, a
    # solid band; every 0.5 m, 30 kept, draws one lap of separate arrows.
    'odometry_position_tolerance': 0.5,
    'odometry_keep': 30,
}

RADIUS = 2.5
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
        self._goal = self.create_publisher(PoseStamped, '/demo/goal', latched)
        self._particles = self.create_publisher(PoseArray, '/demo/particles', 10)
        self._odom = self.create_publisher(Odometry, '/demo/odom', 10)
        self._path = self.create_publisher(Path, '/demo/path', 10)
        self._markers = self.create_publisher(
            MarkerArray, '/visualization_marker_array', 10)
        self._trail: list[PoseStamped] = []
        self._start = self.get_clock().now()
        self._tick = 0
        self.create_timer(0.05, self._publish)

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
        if self._tick % 4 == 0:
            self._publish_trail(x, y, yaw, stamp)
            self._publish_goal(stamp)
        if self._tick % 2 == 0:
            self._markers.publish(self._marker_row(t, stamp))
        self._tick += 1

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
