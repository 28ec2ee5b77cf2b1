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
Real tf2_msgs/TFMessage on /tf and /tf_static, from ROS publishers to a websocket viewer.

The bridge node subscribes /tf and /tf_static as RViz2's TF display does; these tests
publish what robots publish there (a chain of frames, latched static frames, several
broadcasters, a frame that changes parent) and check where a websocket client gets the
frames and what hangs in them. tf2_msgs has no PyPI wheel: ``scripts/build_interfaces.sh``
builds it into the test environment (``scripts/test.sh`` does); without it these skip.
"""

import asyncio
import math
from typing import Iterable, Optional

from conftest import require_ros
import pytest

rclpy = require_ros()
pytest.importorskip(
    'tf2_msgs.msg', reason='tf2_msgs is not installed: build it into this environment with '
    'bash scripts/build_interfaces.sh VENV (scripts/test.sh does)')

from geometry_msgs.msg import TransformStamped  # noqa: E402,I100
from rclpy.node import Node  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from test_bridge_node import key, marker, running_bridge  # noqa: E402
from tf2_msgs.msg import TFMessage  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

pytestmark = pytest.mark.ros

#: tf2_ros's StaticTransformBroadcaster QoS: depth 1, reliable, transient local (latched).
STATIC_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.TRANSIENT_LOCAL)
#: tf2_ros's TransformBroadcaster QoS: depth 100 (reliable, volatile).
TF_QOS = QoSProfile(depth=100)
#: The group a frame-locked marker in ``frame`` on /visualization_marker hangs in.
MARKERS = '/visualization_marker@{}'
#: The group of the axes the TF display draws at ``frame`` (frame_axes > 0).
AXES = 'tf@{}'
YAW_90 = (0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4))


def edge(parent: str, child: str, xyz: Iterable[float],
         xyzw: Iterable[float] = (0.0, 0.0, 0.0, 1.0), node: Optional[Node] = None
         ) -> TransformStamped:
    """Return a TransformStamped from ``parent`` to ``child``, stamped now when ``node``."""
    message = TransformStamped()
    message.header.frame_id = parent
    message.child_frame_id = child
    if node is not None:
        message.header.stamp = node.get_clock().now().to_msg()
    t, r = message.transform.translation, message.transform.rotation
    t.x, t.y, t.z = (float(value) for value in xyz)
    r.x, r.y, r.z, r.w = (float(value) for value in xyzw)
    return message


def tf(*edges: TransformStamped) -> TFMessage:
    """Return a TFMessage of these transforms, as a tf2 broadcaster sends them."""
    return TFMessage(transforms=list(edges))


async def matched(publisher, count: int = 1) -> None:
    """Wait until ``count`` subscriptions match ``publisher`` (the bridge's, at least)."""
    for _ in range(500):
        if publisher.get_subscription_count() >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f'no subscriber on {publisher.topic_name}')


async def test_markers_in_a_tf_frame_follow_it(ros_context):
    """A chain on /tf places base_link; a frame-locked marker there moves with it."""
    async with running_bridge(ros_context) as rig:
        client = await rig.client()
        robot = rig.pub(TFMessage, '/tf', TF_QOS)
        await matched(robot)
        robot.publish(tf(edge('map', 'odom', (1, 0, 0), node=rig.publisher),
                         edge('odom', 'base_link', (2, 0, 0), YAW_90, node=rig.publisher)))
        await rig.publish(Marker, '/visualization_marker',
                          marker(Marker.CUBE, 1, frame='base_link', x=0.5, frame_locked=True))
        group = MARKERS.format('base_link')
        await client.wait_for(lambda f: key('test', 1) in client.upserted())
        assert client.parents()[key('test', 1)] == group
        drawn = await client.wait_at(group, (3, 0, 0))
        assert drawn['rotation'] == pytest.approx([0, 0, math.pi / 2], abs=1e-6)
        assert client.upserted()[key('test', 1)]['position'] == [0.5, 0.0, 0.0]
        # The robot drives on: /tf moves base_link, and the marker with it.
        for y in (0.5, 1.0, 1.5):
            robot.publish(tf(edge('odom', 'base_link', (2, y, 0), YAW_90,
                                  node=rig.publisher)))
            await client.wait_at(group, (3, y, 0))
        robot.publish(tf(edge('map', 'odom', (-1, 0, 0), node=rig.publisher)))
        await client.wait_at(group, (1, 1.5, 0))


async def test_static_tf_published_before_the_bridge_starts_reaches_it(ros_context):
    """/tf_static is latched: a viewer started after the robot still gets every frame."""
    broadcasters = [Node(name, context=ros_context)
                    for name in ('robot_state_publisher', 'static_transform_publisher')]
    try:
        # Two static broadcasters, each latching its own frames, before the bridge exists.
        arm = broadcasters[0].create_publisher(TFMessage, '/tf_static', STATIC_QOS)
        arm.publish(tf(edge('base_link', 'arm', (0, 0, 0.5)),
                       edge('arm', 'hand', (0.3, 0, 0))))
        world = broadcasters[1].create_publisher(TFMessage, '/tf_static', STATIC_QOS)
        world.publish(tf(edge('map', 'base_link', (2, 0, 0), YAW_90)))
        await asyncio.sleep(0.2)
        async with running_bridge(ros_context, frame_axes=0.3) as rig:
            assert rig.node.count_publishers('/tf_static') >= 2
            client = await rig.client()
            await client.wait_at(AXES.format('base_link'), (2, 0, 0), timeout=10)
            await client.wait_at(AXES.format('arm'), (2, 0, 0.5))
            await client.wait_at(AXES.format('hand'), (2, 0.3, 0.5))
            assert client.upserted()['axes:hand']['scale'] == pytest.approx(0.3)
            # Markers in a static frame are placed by it as well.
            await rig.publish(Marker, '/visualization_marker',
                              marker(Marker.SPHERE, 2, frame='hand', frame_locked=True))
            await client.wait_at(MARKERS.format('hand'), (2, 0.3, 0.5))
            assert client.parents()[key('test', 2)] == MARKERS.format('hand')
    finally:
        for node in broadcasters:
            node.destroy_node()


async def test_several_broadcasters_on_tf_make_one_tree(ros_context):
    """Localisation, odometry and a driver each publish their part of the tree on /tf."""
    broadcasters = {name: Node(name, context=ros_context)
                    for name in ('localization', 'odometry', 'laser_driver')}
    try:
        async with running_bridge(ros_context, frame_axes=0.3) as rig:
            client = await rig.client()
            pubs = {}
            for name, node in broadcasters.items():
                pubs[name] = node.create_publisher(TFMessage, '/tf', TF_QOS)
                await matched(pubs[name])
            pubs['localization'].publish(tf(edge('map', 'odom', (1, 0, 0))))
            pubs['odometry'].publish(tf(edge('odom', 'base_link', (0, 2, 0))))
            pubs['laser_driver'].publish(tf(edge('base_link', 'laser', (0, 0, 0.3))))
            await client.wait_at(AXES.format('laser'), (1, 2, 0.3))
            # Each broadcaster's updates move its own part; the others' parts stay.
            pubs['odometry'].publish(tf(edge('odom', 'base_link', (0, 3, 0))))
            await client.wait_at(AXES.format('laser'), (1, 3, 0.3))
            pubs['localization'].publish(tf(edge('map', 'odom', (0.5, 0, 0))))
            await client.wait_at(AXES.format('laser'), (0.5, 3, 0.3))
            await client.wait_at(AXES.format('base_link'), (0.5, 3, 0))
            assert client.upserted()[AXES.format('odom')]['position'] == [0.5, 0, 0]
            # Interleaved at a robot's rates, the last message of each part wins.
            for step in range(1, 21):
                pubs['odometry'].publish(tf(edge('odom', 'base_link', (0, 3 + step / 10, 0))))
                if step % 5 == 0:
                    pubs['localization'].publish(tf(edge('map', 'odom', (step / 10, 0, 0))))
                await asyncio.sleep(0.005)
            await client.wait_at(AXES.format('laser'), (2, 5, 0.3))
    finally:
        for node in broadcasters.values():
            node.destroy_node()


async def test_a_reparented_frame_moves_to_its_new_parent(ros_context):
    """A frame that /tf hangs under another parent is drawn from the new one on."""
    async with running_bridge(ros_context, frame_axes=0.3) as rig:
        client = await rig.client()
        tree = rig.pub(TFMessage, '/tf', TF_QOS)
        await matched(tree)
        tree.publish(tf(edge('map', 'odom', (1, 0, 0)),
                        edge('map', 'base_link', (5, 0, 0)),
                        edge('base_link', 'camera', (0.5, 0, 0))))
        await rig.publish(Marker, '/visualization_marker',
                          marker(Marker.CUBE, 3, frame='camera', frame_locked=True))
        await client.wait_at(AXES.format('camera'), (5.5, 0, 0))
        await client.wait_at(MARKERS.format('camera'), (5.5, 0, 0))
        # The camera is handed over to odom (a tool picked up, a sensor re-mounted).
        tree.publish(tf(edge('odom', 'camera', (0, 2, 0), YAW_90)))
        await client.wait_at(AXES.format('camera'), (1, 2, 0))
        drawn = await client.wait_at(MARKERS.format('camera'), (1, 2, 0))
        assert drawn['rotation'] == pytest.approx([0, 0, math.pi / 2], abs=1e-6)
        # From now on base_link no longer moves it, odom does.
        tree.publish(tf(edge('map', 'base_link', (7, 0, 0))))
        await client.wait_at(AXES.format('base_link'), (7, 0, 0))
        tree.publish(tf(edge('map', 'odom', (0, 0, 1))))
        await client.wait_at(MARKERS.format('camera'), (0, 2, 1))
        assert client.upserted()[AXES.format('camera')]['position'] == [0, 2, 1]
        assert key('test', 3) in client.upserted()
