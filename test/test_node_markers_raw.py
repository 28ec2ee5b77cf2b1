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

"""The node reads markers serialized, and lets rclpy read what its decoder refuses."""

from conftest import require_ros
import pytest

require_ros()

from rclpy.serialization import serialize_message  # noqa: E402
from test_bridge_node import running_bridge  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

from vuer_ros import testing  # noqa: E402
from vuer_ros.convert import cdr  # noqa: E402
from vuer_ros.displays.markers import MarkerArrayDisplay, MarkerDisplay  # noqa: E402

pytestmark = pytest.mark.ros


def test_both_marker_displays_read_this_distributions_markers_serialized():
    from visualization_msgs.msg import MarkerArray
    assert MarkerDisplay.reads_raw(Marker) and MarkerArrayDisplay.reads_raw(MarkerArray)


async def test_bytes_the_decoder_refuses_are_read_by_rclpy_and_drawn(ros_context):
    text = testing.marker(Marker.TEXT_VIEW_FACING, marker_id=4, text='hello',
                          scale=(1.0, 1.0, 0.5))
    data = serialize_message(text).replace(b'hello', b'he\xffxo')   # not UTF-8
    with pytest.raises(cdr.CdrError, match='UTF-8'):
        cdr.decode_marker(data)
    async with running_bridge(ros_context, marker_topics=['/raw/markers']) as rig:
        client = await rig.client()
        await rig.publish(Marker, '/raw/markers', data)   # the bytes as they are
        key = 'marker:/raw/markers:test:4'
        await client.wait_for(lambda frames: key in client.upserted())
        billboard = client.upserted()[f'{key}/billboard']
        assert billboard['children'][0]['children'] == ['he\ufffdxo'], 'as rclpy reads it'
