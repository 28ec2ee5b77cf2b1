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
The bridge with ``use_sim_time``: /clock from a test publisher, as a bag played with --clock.

Stamps are in simulated time, far from the wall clock: a marker stamped between two
transforms lands where its frame was then, and when the clock jumps back (the bag starts
again) TF's history is cleared so the replayed transforms are not refused as old data.
"""

import asyncio

from conftest import require_ros
import pytest

rclpy = require_ros()

from builtin_interfaces.msg import Time  # noqa: E402,I100
from geometry_msgs.msg import TransformStamped  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from test_bridge_node import key, marker, running_bridge  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

rosgraph_msgs = pytest.importorskip('rosgraph_msgs.msg', reason='rosgraph_msgs is not installed')

pytestmark = pytest.mark.ros

SIM_TIME = [Parameter('use_sim_time', value=True)]
GROUP = '/visualization_marker@map'


def sim(seconds: float) -> Time:
    return Time(sec=int(seconds), nanosec=round((seconds % 1) * 1e9))


def base_link_at(x: float, seconds: float) -> TransformStamped:
    transform = TransformStamped()
    transform.header.frame_id = 'map'
    transform.header.stamp = sim(seconds)
    transform.child_frame_id = 'base_link'
    transform.transform.translation.x = x
    transform.transform.rotation.w = 1.0
    return transform


async def set_clock(rig, seconds: float) -> None:
    """Publish /clock and wait until the bridge's clock reads it."""
    await rig.publish(rosgraph_msgs.Clock, '/clock', rosgraph_msgs.Clock(clock=sim(seconds)))
    for _ in range(500):
        if rig.node.get_clock().now().nanoseconds == round(seconds * 1e9):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f'the bridge clock never read {seconds} s')


async def drawn_at(rig, client, seconds: float, marker_id: int) -> list:
    """Publish a non-frame-locked cube in base_link stamped ``seconds``; return where it is."""
    cube = marker(Marker.CUBE, marker_id, frame='base_link')
    cube.header.stamp = sim(seconds)
    await rig.publish(Marker, '/visualization_marker', cube)
    view = await client.wait_for(lambda f: key('test', marker_id) in client.upserted()
                                 and client.upserted())
    assert client.parents()[key('test', marker_id)] == GROUP
    return view[key('test', marker_id)]['position']


async def test_stamps_in_sim_time_are_placed_by_tf_and_a_jump_back_clears_it(ros_context):
    async with running_bridge(ros_context, {'parameter_overrides': SIM_TIME}) as rig:
        client = await rig.client()
        await set_clock(rig, 100.0)
        for x, seconds in ((0.0, 99.0), (1.0, 100.0)):
            await rig.publish(TransformStamped, '/test/transforms', base_link_at(x, seconds))
        # Between 99 s and 100 s base_link moved 1 m: at 99.5 s it was at x = 0.5.
        assert await drawn_at(rig, client, 99.5, 1) == pytest.approx([0.5, 0.0, 0.0])
        # The bag starts again: time jumps back to 10 s, and its transforms are not old.
        await set_clock(rig, 10.0)
        for x, seconds in ((5.0, 9.0), (7.0, 10.0)):
            await rig.publish(TransformStamped, '/test/transforms', base_link_at(x, seconds))
        assert await drawn_at(rig, client, 9.5, 2) == pytest.approx([6.0, 0.0, 0.0])
