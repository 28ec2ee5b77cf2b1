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
Behaviour users rely on that nothing else guarded: rate limits and static frames.

Each was broken on purpose in a copy and the rest of the suite stayed green. The rate
limiter is checked alone on a real asyncio loop, and end to end with real rclpy
publishers; the ``static_frames`` parameter through the node to a websocket client. Tests
wait for events, never for a time: where something must not happen, they wait until the
loop has passed the moment it would have happened.
"""

import asyncio
import math
import time
from typing import Any

import numpy as np
import pytest

from vuer_ros import testing
from vuer_ros.convert.markers import CUBE
from vuer_ros.convert.transforms import quaternion_to_euler
from vuer_ros.displays.base import RateLimit

#: Rate of the limiter tests, and its period: long enough for a loaded CI machine to keep
#: its deadlines, short enough to keep the tests quick.
RATE = 20.0
PERIOD = 1.0 / RATE
#: asyncio may run a timer up to its clock resolution early.
EARLY = 1e-3


class Handed:
    """Records what a RateLimit hands on, and when; waits for a given message."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.got: list[tuple[float, Any]] = []
        self._waiting: dict[Any, asyncio.Future] = {}

    def __call__(self, message: Any) -> None:
        self.got.append((self.loop.time(), message))
        waiter = self._waiting.pop(message, None)
        if waiter is not None:
            waiter.set_result(None)

    @property
    def messages(self) -> list:
        return [message for _, message in self.got]

    async def until(self, message: Any, timeout: float = 5.0) -> None:
        """Wait until ``message`` is handed on."""
        if message not in self.messages:
            waiter = self._waiting[message] = self.loop.create_future()
            await asyncio.wait_for(waiter, timeout)


async def passed(loop: asyncio.AbstractEventLoop, when: float) -> None:
    """
    Wait until the loop has run every timer due at ``when``.

    A timer due later runs after all earlier ones, so this is the moment a flush due at
    ``when`` has certainly happened, or never will.
    """
    done = loop.create_future()
    loop.call_at(when + EARLY, done.set_result, None)
    await done


@pytest.fixture
async def handed() -> Handed:
    return Handed(asyncio.get_running_loop())


async def test_first_message_is_handed_on_at_once(handed):
    limit = RateLimit(handed.loop, RATE, handed)
    limit('first')
    assert handed.messages == ['first']


async def test_a_burst_ends_on_its_newest_message_one_period_later(handed):
    limit = RateLimit(handed.loop, RATE, handed)
    for message in range(5):
        limit(message)
    assert handed.messages == [0]
    await handed.until(4)
    assert handed.messages == [0, 4], 'the messages between were dropped, the newest kept'
    (first, _), (last, _) = handed.got
    assert last - first >= PERIOD - EARLY


async def test_a_steady_stream_is_spaced_by_the_period_and_ends_on_its_last(handed):
    limit = RateLimit(handed.loop, RATE, handed)
    start = handed.loop.time()
    count = 60
    for message in range(count):   # 200 Hz for 0.3 s, ten times the rate
        limit(message)
        await asyncio.sleep(0.005)
    await handed.until(count - 1)
    elapsed = handed.got[-1][0] - start
    times = [when for when, _ in handed.got]
    assert min(np.diff(times)) >= PERIOD - EARLY, times
    assert len(times) <= 1 + elapsed * RATE + 1, times
    assert handed.messages == sorted(handed.messages), 'in order'


async def test_a_late_flush_hands_on_only_the_newest_message(handed):
    limit = RateLimit(handed.loop, RATE, handed)
    limit('a')
    limit('b')                        # waits for the flush one period later
    time.sleep(PERIOD + 0.05)         # a busy loop: the flush is due but has not run
    limit('c')                        # the period is over, yet a flush is due
    await handed.until('c')
    await passed(handed.loop, handed.got[-1][0] + PERIOD)
    assert handed.messages == ['a', 'c'], 'never the older message after the newer one'


async def test_after_a_quiet_period_a_message_passes_at_once(handed):
    limit = RateLimit(handed.loop, RATE, handed)
    limit('a')
    await passed(handed.loop, handed.got[0][0] + PERIOD)
    limit('b')
    assert handed.messages == ['a', 'b']


async def test_rate_zero_hands_on_every_message(handed):
    limit = RateLimit(handed.loop, 0.0, handed)
    for message in range(10):
        limit(message)
    assert handed.messages == list(range(10))


async def test_cancel_drops_the_waiting_message(handed):
    limit = RateLimit(handed.loop, RATE, handed)
    limit('sent')
    limit('waiting')
    limit.cancel()
    await passed(handed.loop, handed.got[0][0] + PERIOD)
    assert handed.messages == ['sent']


# -- through the node, with real publishers ------------------------------------------------

@pytest.fixture
def bridge(ros_context):
    """Give a starter of test_bridge_node's running bridge, taking parameters as overrides."""
    from test_bridge_node import running_bridge

    return lambda **overrides: running_bridge(ros_context, **overrides)


def pose_stamped(x: float) -> Any:
    """Make a PoseStamped in map, ``x`` metres along its x axis."""
    message = testing.message_class('geometry_msgs/msg/PoseStamped')()
    message.header.frame_id = 'map'
    message.pose.position.x = float(x)
    message.pose.orientation.w = 1.0
    return message


POSE_KEY = 'pose:/test/pose'


@pytest.mark.ros
@pytest.mark.parametrize('params', [
    {'max_rate': 4.0},
    {'max_rate': 0.0, 'topic_rates': ['/other=100', '/test/pose=4']},
], ids=['max_rate', 'topic_rates'])
async def test_pose_bursts_are_rate_limited_and_end_on_the_newest_pose(
        bridge, params, monkeypatch):
    rate = 4.0
    async with bridge(**params) as rig:
        loop = asyncio.get_running_loop()
        scene = rig.node.host.scene
        drawn: list[tuple[float, list]] = []
        draw = scene.draw

        def counted(group, key, frame_id, element, **options):
            if key == POSE_KEY:
                drawn.append((loop.time(), element.props['position']))
            draw(group, key, frame_id, element, **options)

        monkeypatch.setattr(scene, 'draw', counted)
        client = await rig.client()
        message_type = testing.message_class('geometry_msgs/msg/PoseStamped')
        count = 60
        start = loop.time()
        await rig.publish(message_type, '/test/pose', pose_stamped(0))
        for x in range(1, count):   # 200 Hz, fifty times the rate, for 0.3 s
            await asyncio.sleep(0.005)
            rig.pub(message_type, '/test/pose').publish(pose_stamped(x))
        last = [float(count - 1), 0.0, 0.0]
        await client.wait_for(lambda f: client.upserted().get(POSE_KEY, {}).get('position')
                              == last)
    assert drawn[-1][1] == last, 'the newest pose is drawn last'
    times = [when for when, _ in drawn]
    elapsed = times[-1] - start
    assert 2 <= len(drawn) <= 1 + elapsed * rate + 1, drawn
    assert min(np.diff(times)) >= 1.0 / rate - EARLY, times


def static_frame_marker(frame: str, *, frame_locked: bool) -> Any:
    """Make a red CUBE 1 m along the x axis of ``frame``."""
    return testing.marker(CUBE, marker_id=7, frame_id=frame, position=(1.0, 0.0, 0.0),
                          scale=(0.5, 0.5, 0.5), frame_locked=frame_locked)


def rotation_z(yaw: float) -> np.ndarray:
    """Rotation matrix of ``yaw`` radians about z."""
    return np.array([[math.cos(yaw), -math.sin(yaw), 0.0], [math.sin(yaw), math.cos(yaw), 0.0],
                     [0.0, 0.0, 1.0]])


@pytest.mark.ros
async def test_static_frames_place_markers_through_the_node(bridge):
    # map -> odom: 1 m along x; odom -> base_link: (0, 2, 0.5) turned 90 degrees about z.
    static_frames = ['map odom 1 0 0 0 0 0',
                     f'odom base_link 0 2 0.5 0 0 {math.pi / 2}']
    async with bridge(static_frames=static_frames, frame_axes=0.3) as rig:
        client = await rig.client()
        marker_type = testing.message_class('visualization_msgs/msg/Marker')
        locked = static_frame_marker('base_link', frame_locked=True)
        frozen = static_frame_marker('base_link', frame_locked=False)
        frozen.id = 8
        for message in (locked, frozen):
            await rig.publish(marker_type, '/visualization_marker', message)
        keys = {f'marker:/visualization_marker:test:{i}' for i in (7, 8)}
        view = await client.wait_for(lambda f: keys <= set(client.upserted())
                                     and client.upserted())
    # RViz2 puts base_link at (1, 2, 0.5) facing +y: 1 m along its x is map (1, 3, 0.5).
    expected = [1.0, 3.0, 0.5]
    parents = client.parents()
    group = parents['marker:/visualization_marker:test:7']
    assert group == '/visualization_marker@base_link'
    np.testing.assert_allclose(view[group]['position'], [1.0, 2.0, 0.5], atol=1e-9)
    np.testing.assert_allclose(view[group]['rotation'],
                               quaternion_to_euler((0.0, 0.0, math.sin(math.pi / 4),
                                                    math.cos(math.pi / 4))), atol=1e-9)
    local = np.array(view['marker:/visualization_marker:test:7']['position'])
    np.testing.assert_allclose(rotation_z(math.pi / 2) @ local + view[group]['position'],
                               expected, atol=1e-9)
    # Not frame-locked: frozen in the fixed frame at the static frame's pose.
    assert parents['marker:/visualization_marker:test:8'] == '/visualization_marker@map'
    np.testing.assert_allclose(view['marker:/visualization_marker:test:8']['position'],
                               expected, atol=1e-9)
    # The configured frames have their axes, as RViz2's TF display draws them.
    assert {'axes:odom', 'axes:base_link'} <= set(view)
