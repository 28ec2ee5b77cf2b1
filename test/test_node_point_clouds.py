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
The PointCloud2 and LaserScan displays in the node: real publishers to a websocket peer.

Real sensor_msgs messages go through the bridge node (the conversion on its worker
thread) and arrive as the browser would get them; positions and colours are decoded back
from the float16 and uint8 bytes. Bad messages give a warning naming the topic, draw
nothing, and the next good message is drawn.
"""

import asyncio
from types import SimpleNamespace

from conftest import require_ros
import numpy as np
import pytest

rclpy = require_ros()

from geometry_msgs.msg import PoseStamped  # noqa: E402,I100
from sensor_msgs.msg import LaserScan, PointCloud2, PointField  # noqa: E402
from test_bridge_node import running_bridge  # noqa: E402
from test_convert_point_clouds import decoded  # noqa: E402

pytestmark = pytest.mark.ros

CLOUD_KEY = 'point_cloud:/test/cloud'
SCAN_KEY = 'laser_scan:/test/scan'


def point_cloud(points, packed_rgb, frame: str = 'map') -> PointCloud2:
    """Build a real PointCloud2 of float32 x, y, z, 4 bytes of padding and a uint32 rgb."""
    points = np.asarray(points, dtype=np.float32)
    layout = [('x', '<f4'), ('y', '<f4'), ('z', '<f4'), ('_', '<f4'), ('rgb', '<u4')]
    records = np.zeros(len(points), dtype=layout)
    for column, axis in enumerate('xyz'):
        records[axis] = points[:, column]
    records['rgb'] = packed_rgb
    message = PointCloud2(height=1, width=len(points), is_bigendian=False, point_step=20,
                          row_step=20 * len(points), is_dense=True)
    message.header.frame_id = frame
    message.fields = [PointField(name=name, offset=offset, datatype=datatype, count=1)
                      for name, offset, datatype in (('x', 0, PointField.FLOAT32),
                                                     ('y', 4, PointField.FLOAT32),
                                                     ('z', 8, PointField.FLOAT32),
                                                     ('rgb', 16, PointField.UINT32))]
    message.data = records.tobytes()
    return message


def laser_scan(ranges, intensities) -> LaserScan:
    message = LaserScan(angle_min=0.0, angle_increment=float(np.pi / 2), range_min=0.1,
                        range_max=10.0)
    message.angle_max = float(np.pi / 2 * (len(ranges) - 1))
    message.header.frame_id = 'map'
    message.ranges = [float(r) for r in ranges]
    message.intensities = [float(i) for i in intensities]
    return message


def spy_warnings(rig) -> list[str]:
    """Record the warnings displays give (they still reach the node's throttled log)."""
    said: list[str] = []
    context = rig.node.host.context
    log = context.warn

    def warn(key: str, text: str) -> None:
        said.append(text)
        log(key, text)
    context.warn = warn
    return said


POINTS = [(1.0, 0.0, 0.0), (0.0, 2.0, 0.5), (-1.5, -0.5, 1.0)]
PACKED = [0xff0000, 0x00ff00, 0x0000ff]


async def test_cloud_and_scan_reach_the_client_decoded_back(ros_context):
    async with running_bridge(ros_context, point_cloud_topics=['/test/cloud'],
                              laser_scan_topics=['/test/scan']) as rig:
        client = await rig.client()
        await rig.publish(PointCloud2, '/test/cloud', point_cloud(POINTS, PACKED))
        await rig.publish(LaserScan, '/test/scan',
                          laser_scan([1.0, 2.0, float('nan'), 3.0], [0.0, 5.0, 0.0, 10.0]))
        view = await client.wait_for(lambda f: {CLOUD_KEY, SCAN_KEY} <= set(client.upserted())
                                     and client.upserted())
        assert client.parents()[CLOUD_KEY] == '/test/cloud@map'
        assert client.parents()[SCAN_KEY] == '/test/scan@map'
        xyz, rgb = decoded(_element(view[CLOUD_KEY]))
        assert xyz == pytest.approx(np.array(POINTS), abs=4e-3)
        assert rgb.tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255]]
        xyz, rgb = decoded(_element(view[SCAN_KEY]))
        assert xyz == pytest.approx(np.array([(1, 0, 0), (0, 2, 0), (0, -3, 0)]), abs=4e-3)
        # Intensities 0, 5 and 10: red, the rainbow's middle, magenta.
        assert [tuple(c) for c in rgb] == [(255, 0, 0), (0, 255, 128), (255, 0, 255)]


def _element(node: dict) -> SimpleNamespace:
    """Wrap a received node as the converter's element (props only), for ``decoded``."""
    return SimpleNamespace(props=node)


@pytest.mark.parametrize('spoil, words', [
    (lambda m: setattr(m, 'data', bytes(m.data)[:-3]), 'data is'),
    (lambda m: setattr(m, 'fields', list(m.fields)[1:]), 'no x field'),
    (lambda m: setattr(m.fields[3], 'datatype', 42), 'unknown datatype 42'),
    (lambda m: (setattr(m, 'width', 100_000), setattr(m, 'height', 100_000)), 'beyond'),
])
async def test_bad_clouds_warn_naming_the_topic_and_draw_nothing(ros_context, spoil, words):
    async with running_bridge(ros_context, point_cloud_topics=['/test/cloud']) as rig:
        said = spy_warnings(rig)
        client = await rig.client()
        bad = point_cloud(POINTS, PACKED)
        spoil(bad)
        await rig.publish(PointCloud2, '/test/cloud', bad)
        for _ in range(200):
            if said:
                break
            await asyncio.sleep(0.02)
        assert any(text.startswith('/test/cloud: ') and words in text and 'not drawn' in text
                   for text in said), said
        assert CLOUD_KEY not in client.upserted()
        # The bridge keeps running: the next good cloud is drawn.
        await rig.publish(PointCloud2, '/test/cloud', point_cloud(POINTS, PACKED))
        await client.wait_for(lambda f: CLOUD_KEY in client.upserted())


async def test_a_cloud_over_budget_is_thinned_and_said_once(ros_context):
    async with running_bridge(ros_context, point_cloud_topics=['/test/cloud'],
                              point_cloud_max_points=1000) as rig:
        said = spy_warnings(rig)
        client = await rig.client()
        rng = np.random.default_rng(3)
        for _ in range(2):
            message = point_cloud(rng.uniform(-5, 5, (5000, 3)), np.full(5000, 0xffffff))
            await rig.publish(PointCloud2, '/test/cloud', message)
            await asyncio.sleep(0.2)
        view = await client.wait_for(lambda f: CLOUD_KEY in client.upserted()
                                     and client.upserted())
        assert len(view[CLOUD_KEY]['vertices']) == 6 * 1000
        thinned = [text for text in said if 'point_cloud_max_points' in text]
        assert len(thinned) == 1 and thinned[0].startswith('/test/cloud: 5000 cloud points')


async def test_poses_keep_flowing_while_million_point_clouds_stream(ros_context):
    """Newest wins per topic; the loop serves poses while the worker converts clouds."""
    async with running_bridge(ros_context, point_cloud_topics=['/test/cloud'],
                              point_cloud_max_points=1_000_000) as rig:
        client = await rig.client()
        rng = np.random.default_rng(5)
        big = point_cloud(rng.uniform(-20, 20, (1_000_000, 3)), np.full(1_000_000, 0x00ff00))
        clouds = rig.pub(PointCloud2, '/test/cloud')
        await rig.publish(PointCloud2, '/test/cloud', big)
        pose = PoseStamped()
        pose.header.frame_id = 'map'
        for index in range(20):
            clouds.publish(big)
            pose.pose.position.x = float(index)
            await rig.publish(PoseStamped, '/test/pose', pose)
            await asyncio.sleep(0.02)
        # The last cloud published is the one finally drawn: a small one, newest wins.
        clouds.publish(point_cloud(POINTS, PACKED))
        await client.wait_for(
            lambda f: len(client.upserted().get(CLOUD_KEY, {}).get('vertices', b'')) == 18,
            timeout=30.0)
        poses = [key for key in client.upserted() if key.startswith('pose:/test/pose')]
        assert poses, 'poses were drawn while the clouds streamed'
        display = rig.node.host.displays['/test/cloud']
        assert not display._worker.busy and display._pending is None


async def test_auto_topics_find_clouds_and_scans(ros_context):
    async with running_bridge(ros_context) as rig:
        client = await rig.client()
        clouds = rig.pub(PointCloud2, '/found/cloud')
        scans = rig.pub(LaserScan, '/found/scan')
        wanted = {'point_cloud:/found/cloud', 'laser_scan:/found/scan'}
        for _ in range(150):   # discovery scans the graph every DISCOVERY_PERIOD
            clouds.publish(point_cloud(POINTS, PACKED))
            scans.publish(laser_scan([1.0, 2.0], [1.0, 2.0]))
            if wanted <= set(client.upserted()):
                break
            await asyncio.sleep(0.1)
        assert wanted <= set(client.upserted()), wanted - set(client.upserted())


async def test_a_bad_scan_warns_naming_the_topic_and_the_next_is_drawn(ros_context):
    async with running_bridge(ros_context, laser_scan_topics=['/test/scan']) as rig:
        said = spy_warnings(rig)
        client = await rig.client()
        bad = laser_scan([1.0, 2.0], [1.0, 2.0])
        bad.angle_increment = float('nan')
        await rig.publish(LaserScan, '/test/scan', bad)
        for _ in range(200):
            if said:
                break
            await asyncio.sleep(0.02)
        assert said == ['/test/scan: angle_min or angle_increment is not finite; not drawn']
        assert SCAN_KEY not in client.upserted()
        await rig.publish(LaserScan, '/test/scan', laser_scan([1.0, 2.0], [1.0, 2.0]))
        await client.wait_for(lambda f: SCAN_KEY in client.upserted())
