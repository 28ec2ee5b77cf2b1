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
The robot model in the node: a latched /robot_description and /joint_states from rclpy.

The description is published latched (transient local, as robot_state_publisher does)
before the bridge starts, its meshes installed in an ament prefix made by the test; a
websocket client sees the links, and sees them move when joint states or TF change.
"""

import math

from conftest import require_ros
import pytest

rclpy = require_ros()

from rclpy.node import Node  # noqa: E402,I100
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import String  # noqa: E402
from test_bridge_node import demo_client, running_bridge  # noqa: E402
from test_display_robot_model import ament_prefix, ARM, LINKS  # noqa: E402,F401

pytestmark = pytest.mark.ros

#: robot_state_publisher's QoS for /robot_description: depth 1, reliable, transient local.
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)


def joint_state(node: Node, names, positions) -> JointState:
    message = JointState(name=list(names), position=[float(p) for p in positions])
    message.header.stamp = node.get_clock().now().to_msg()
    return message


@pytest.mark.usefixtures('ament_prefix')
async def test_a_latched_description_and_joint_states_show_a_moving_robot(ros_context):
    publisher = Node('robot_state_publisher', context=ros_context)
    try:
        description = publisher.create_publisher(String, '/robot_description', LATCHED)
        description.publish(String(data=ARM))   # before the bridge exists
        async with running_bridge(ros_context, fixed_frame='base_link') as rig:
            client = await rig.client()
            await client.wait_for(lambda f: all(
                f'/robot_description@{link}' in client.upserted() for link in LINKS))
            view = client.upserted()
            assert view['/robot_description:forearm/visual:0/model']['tag'] == 'Dae'
            assert view['/robot_description:base_link/visual:0']['color'] == '#0000ff'
            assert client.parents()['/robot_description:hand/visual:0'] == \
                '/robot_description@hand'
            await client.wait_at('/robot_description@hand', (0, 0, 1.3))
            await rig.publish(JointState, '/joint_states',
                              joint_state(rig.publisher, ['elbow'], [math.pi / 2]))
            await client.wait_at('/robot_description@hand', (0.5, 0, 0.8))
            # A tab opened now gets the model and the joints at once.
            late = await rig.client()
            await late.wait_at('/robot_description@hand', (0.5, 0, 0.8))
            assert '/robot_description:forearm/visual:0/model' in late.upserted()
            # The meshes it names are served, the DAE's texture beside them too.
            src = view['/robot_description:forearm/visual:0/model']['src']
            base = f'http://127.0.0.1:{rig.app.port}'
            async with late._http.get(base + src) as response:
                assert response.status == 200 and b'COLLADA' in await response.read()
            texture = src.replace('visual/forearm.dae', 'textures/green.png')
            async with late._http.get(base + texture) as response:
                assert response.status == 200
    finally:
        publisher.destroy_node()


@pytest.mark.usefixtures('ament_prefix')
async def test_real_tf_places_the_links_it_publishes_and_joint_states_the_others(ros_context):
    pytest.importorskip('tf2_msgs.msg', reason='tf2_msgs is not installed here')
    from test_real_tf import edge, matched, tf, TF_QOS
    from tf2_msgs.msg import TFMessage
    async with running_bridge(ros_context, fixed_frame='base_link') as rig:
        client = await rig.client()
        rig.pub(String, '/robot_description', LATCHED).publish(String(data=ARM))
        await client.wait_at('/robot_description@hand', (0, 0, 1.3))
        broadcaster = rig.pub(TFMessage, '/tf', TF_QOS)
        await matched(broadcaster)
        # robot_state_publisher for the wrist only: the hand 0.7 m above the forearm.
        broadcaster.publish(tf(edge('forearm', 'hand', (0, 0, 0.7), node=rig.publisher)))
        await client.wait_at('/robot_description@hand', (0, 0, 1.5))
        await rig.publish(JointState, '/joint_states',
                          joint_state(rig.publisher, ['elbow', 'wrist'], [math.pi / 2, 1.0]))
        # The elbow by forward kinematics, the hand by TF on top of it: 0.7 along +x.
        await client.wait_at('/robot_description@hand', (0.7, 0, 0.8))
        await client.wait_at('/robot_description@forearm', (0, 0, 0.8))


async def test_the_demo_shows_an_arm_on_the_robot_whose_joints_move():
    async with demo_client() as client:
        def shoulder() -> float:
            """Return the upper arm's yaw on the arm base: the shoulder's position."""
            view = client.upserted()
            return round((view['/robot_description@upper_arm']['rotation'][2]
                          - view['/robot_description@arm_base']['rotation'][2])
                         % (2 * math.pi), 3)

        await client.wait_for(lambda f: {'/robot_description@upper_arm',
                                         '/robot_description@arm_base'} <= set(
            client.upserted()), timeout=20)
        assert client.upserted()['/robot_description:hand/visual:0']['tag'] == 'Sphere'
        first = shoulder()
        await client.wait_for(lambda f: shoulder() != first, timeout=5)
