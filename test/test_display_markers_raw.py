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
The marker displays fed serialized messages, as the bridge's raw subscriptions feed them.

Unchanged markers cost a comparison: they are neither converted nor sent again, yet
lifetimes restart, stamps still place them, and deletions and other topics keep RViz2's
rules. A websocket client counts what really goes out.
"""

from conftest import require_ros

require_ros()

import pytest  # noqa: E402
from rclpy.serialization import serialize_message  # noqa: E402
from visualization_msgs.msg import MarkerArray  # noqa: E402

from vuer_ros.convert import markers as mk  # noqa: E402
from vuer_ros.convert.cdr import CdrError  # noqa: E402
from vuer_ros.displays.host import DisplayHost  # noqa: E402
from vuer_ros.displays.markers import MarkerArrayDisplay, MarkerDisplay  # noqa: E402
from vuer_ros.settings import settings_from_values  # noqa: E402
from vuer_ros.testing import marker  # noqa: E402
from wire_client import WireClient  # noqa: E402,I100

TOPIC = '/markers'
KEY = f'marker:{TOPIC}:test:{{}}'


class Rig:
    """Marker displays on a served app, a client that reads it, and a settable clock."""

    def __init__(self, app, warnings: list) -> None:
        self.app = app
        self.now = 0.0
        self.host = DisplayHost(app, settings_from_values({'fixed_frame': 'map',
                                                           'frame_axes': 0.0}),
                                warn=lambda key, text: warnings.append(text))
        self.host.start()
        self.single = self.host.show(MarkerDisplay, TOPIC)
        self.array = self.host.show(MarkerArrayDisplay, f'{TOPIC}_array')
        self.single.markers.now = lambda: self.now
        self.client = WireClient(f'ws://127.0.0.1:{app.port}/')
        self.sentinels = 0

    async def send(self, *markers, array: bool = True) -> None:
        """Show markers (an array, or one Marker message each) and wait until sent."""
        if array:
            self.array.on_raw(serialize_message(MarkerArray(markers=list(markers))))
        else:
            for each in markers:
                self.single.on_raw(serialize_message(each))
        await self.settle()

    async def settle(self) -> None:
        """Wait until everything sent so far has reached the client (none coalesced)."""
        self.sentinels += 1
        key = f'marker:{TOPIC}:sentinel:{self.sentinels}'
        self.single.on_raw(serialize_message(marker(mk.CUBE, ns='sentinel',
                                                    marker_id=self.sentinels)))
        await self.client.wait_for(lambda frames: key in self.client.upserted())

    def upserts_of(self, key: str) -> int:
        """How many times ``key`` was sent (at the top of an UPSERT)."""
        return sum(node.get('key') == key for frame in self.client.frames
                   if frame.get('etype') == 'UPSERT' for node in frame['data']['nodes'])

    def shown(self) -> dict[str, dict]:
        """Return the markers the client shows (their groups, not the parts inside)."""
        prefix = KEY.format('')
        return {key: node for key, node in self.client.upserted().items()
                if key.startswith(prefix) and '/' not in key[len(prefix):]}


@pytest.fixture
async def rig(served_app) -> Rig:
    warnings: list = []
    rig = Rig(served_app, warnings)
    rig.warnings = warnings
    await rig.client.connect()
    yield rig
    await rig.client.close()


def cube(marker_id: int, x: float = 0.0, **fields):
    return marker(mk.CUBE, marker_id=marker_id, position=(x, 0.0, 0.0), **fields)


def stamped(message, sec: int):
    message.header.stamp.sec = sec
    return message


async def test_a_marker_sent_again_unchanged_is_not_sent_again(rig):
    await rig.send(stamped(cube(1), 1), array=False)
    await rig.send(stamped(cube(1), 2), array=False)   # a new stamp, in the fixed frame
    await rig.send(cube(2, x=1.0), array=False)
    await rig.send(cube(2, x=2.0), array=False)        # changed
    assert rig.upserts_of(KEY.format(1)) == 1
    assert rig.upserts_of(KEY.format(2)) == 2
    assert rig.shown()[KEY.format(2)]['position'][0] == 2.0


async def test_an_unchanged_marker_restarts_its_lifetime(rig):
    await rig.send(cube(1, lifetime=(1, 0)), array=False)
    rig.now = 0.8
    await rig.send(cube(1, lifetime=(1, 0)), array=False)
    rig.single.markers.expire(1.5)
    await rig.settle()
    assert KEY.format(1) in rig.shown(), 'the re-send restarted its one-second lifetime'
    rig.single.markers.expire(1.9)
    await rig.settle()
    assert KEY.format(1) not in rig.shown()


async def test_an_unchanged_marker_stamped_in_a_moving_frame_is_placed_again(rig):
    scene = rig.host.scene
    scene.on_transform('map', 'base', (1.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0), stamp=1_000_000_000)
    scene.on_transform('map', 'base', (5.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0), stamp=2_000_000_000)
    await rig.send(stamped(cube(1, frame_id='base'), 1), array=False)
    assert rig.shown()[KEY.format(1)]['position'][0] == pytest.approx(1.0)
    await rig.send(stamped(cube(1, frame_id='base'), 2), array=False)
    assert rig.shown()[KEY.format(1)]['position'][0] == pytest.approx(5.0)


async def test_an_array_with_one_marker_changed_sends_only_that_one(rig):
    markers = [cube(index, x=float(index)) for index in range(50)]
    await rig.send(*markers)
    markers[49].pose.position.y = 3.0
    await rig.send(*markers)
    await rig.send(*markers)
    assert [rig.upserts_of(KEY.format(index)) for index in (0, 25, 49)] == [1, 1, 2]
    assert rig.shown()[KEY.format(49)]['position'][1] == 3.0
    assert len(rig.shown()) == 50


async def test_an_array_that_deletes_all_then_adds_keeps_showing_its_markers(rig):
    clear = marker(mk.CUBE, marker_id=0, action=mk.DELETEALL)
    markers = [clear, *(cube(index) for index in range(1, 6))]
    await rig.send(*markers)
    await rig.send(*markers)
    assert len(rig.shown()) == 5


async def test_an_unchanged_array_restores_a_marker_the_marker_topic_changed(rig):
    markers = [cube(index, x=float(index)) for index in range(5)]
    await rig.send(*markers)
    await rig.send(cube(3, x=30.0), array=False)       # T and T_array share (ns, id)s
    assert rig.shown()[KEY.format(3)]['position'][0] == 30.0
    await rig.send(*markers)
    assert rig.shown()[KEY.format(3)]['position'][0] == 3.0, 'the newest message wins'


async def test_an_array_whose_markers_moved_inside_it_is_decoded_whole(rig):
    texts = [marker(mk.TEXT_VIEW_FACING, marker_id=index, text=text, scale=(1, 1, 0.2))
             for index, text in enumerate(['abcdefghijkl', 'middle', 'z'])]
    await rig.send(*texts)
    # One shrinks and one grows by 8 bytes: the array keeps its length, the middle moves.
    texts[0].text, texts[2].text = 'abcd', 'zzzzzzzzz'
    await rig.send(*texts)
    shown = rig.shown()
    words = {index: shown[KEY.format(index)]['children'][0]['children'][0]['children']
             for index in range(3)}
    assert words == {0: ['abcd'], 1: ['middle'], 2: ['zzzzzzzzz']}


async def test_bytes_that_do_not_decode_draw_nothing_and_the_next_array_is_drawn(rig):
    with pytest.raises(CdrError, match='cannot fit'):   # the node then asks rclpy
        rig.array.on_raw(b'\x00\x01\x00\x00' + b'\xff' * 12)
    await rig.send(cube(1))
    assert KEY.format(1) in rig.shown()
