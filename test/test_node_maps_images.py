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
Maps, map updates and camera images in the node: real publishers to a websocket peer.

Each message is published by a real rclpy publisher, goes through the bridge node, and
arrives at a websocket client as the browser would get it; the pictures it holds are
decoded back (Pillow, test-only) to the colours RViz2 draws.
"""

import array
import asyncio
import io

from conftest import require_ros
import numpy as np
from PIL import Image as PilImage
import pytest

rclpy = require_ros()

from rclpy.qos import DurabilityPolicy, QoSProfile  # noqa: E402,I100
from sensor_msgs.msg import CompressedImage, Image  # noqa: E402
from test_bridge_node import demo_client, running_bridge  # noqa: E402

pytestmark = pytest.mark.ros

OccupancyGrid = pytest.importorskip('nav_msgs.msg').OccupancyGrid
OccupancyGridUpdate = pytest.importorskip(
    'map_msgs.msg', reason='map_msgs is not built here (scripts/build_interfaces.sh)'
).OccupancyGridUpdate

#: map_server's QoS for /map.
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
#: Cells of the test map: free, occupied, unknown and 50, a quadrant each (row 0 at y=0).
CELLS = np.zeros((600, 600), np.int8)
CELLS[:300, 300:] = 100
CELLS[300:, :300] = -1
CELLS[300:, 300:] = 50


def occupancy_grid(cells: np.ndarray, frame: str = 'map') -> OccupancyGrid:
    message = OccupancyGrid()
    message.header.frame_id = frame
    message.info.resolution = 0.05
    message.info.height, message.info.width = cells.shape
    message.info.origin.position.x = -15.0
    message.data = array.array('b', cells.tobytes())
    return message


def grid_update(x: int, y: int, cells: np.ndarray) -> OccupancyGridUpdate:
    message = OccupancyGridUpdate()
    message.header.frame_id = 'map'
    message.x, message.y = x, y
    message.height, message.width = cells.shape
    message.data = array.array('b', cells.astype(np.int8).tobytes())
    return message


def raw_image(pixels: np.ndarray, encoding: str = 'rgb8', frame: str = 'map') -> Image:
    message = Image(encoding=encoding, height=pixels.shape[0], width=pixels.shape[1],
                    step=pixels.shape[1] * (pixels.shape[2] if pixels.ndim == 3 else 1))
    message.header.frame_id = frame
    message.data = pixels.tobytes()
    return message


def compressed_image(data: bytes, fmt: str = 'jpeg', frame: str = 'map') -> CompressedImage:
    message = CompressedImage(format=fmt)
    message.header.frame_id = frame
    message.data = data
    return message


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(PilImage.open(io.BytesIO(data)).convert('RGBA'))


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    PilImage.fromarray(pixels).save(out, 'PNG')
    return out.getvalue()


def upserts_of(client, key: str) -> int:
    """How many UPSERT frames carried node ``key``."""
    return sum(1 for frame in client.frames if frame['etype'] == 'UPSERT'
               and any(node['key'] == key for node in frame['data']['nodes']))


async def test_a_latched_map_arrives_in_rviz_s_colours_and_updates_resend_one_tile(
        ros_context):
    # Only the map is configured: its _updates topic comes with it, as in RViz2.
    async with running_bridge(ros_context, occupancy_grid_topics=['/test/map'],
                              auto_topics=False, map_alpha=1.0) as rig:
        assert '/test/map_updates' in rig.node.shown_topics
        client = await rig.client()
        # Published at once, before the bridge's subscription is matched: only a
        # transient local subscription (RViz2's default for maps) still gets it.
        rig.pub(OccupancyGrid, '/test/map', LATCHED).publish(occupancy_grid(CELLS))
        tiles = {f'map:/test/map/tile-{column}-{row}' for column in (0, 1) for row in (0, 1)}
        await client.wait_for(lambda f: tiles <= set(client.upserted()), timeout=10.0)
        view = client.upserted()
        assert client.parents()['map:/test/map/tile-0-0'] == '/test/map@map'
        bottom_left = decoded(view['map:/test/map/tile-0-0/image']['rgb'])
        assert tuple(bottom_left[-1, 0]) == (255, 255, 255, 255)            # free
        assert tuple(bottom_left[-1, 400]) == (0, 0, 0, 255)                # occupied
        assert tuple(bottom_left[0, 0]) == (112, 137, 134, 255)              # unknown
        top_right = decoded(view['map:/test/map/tile-1-1/image']['rgb'])    # 88 x 88 cells
        assert top_right.shape == (88, 88, 4) and tuple(top_right[0, 0]) == (128, 128, 128, 255)
        assert view['map:/test/map/tile-0-0/image']['opacity'] == 1.0
        before = {key: upserts_of(client, key) for key in tiles}
        await rig.publish(OccupancyGridUpdate, '/test/map_updates',
                          grid_update(520, 10, np.full((4, 4), 100)))
        await client.wait_for(
            lambda f: upserts_of(client, 'map:/test/map/tile-1-0') > before[
                'map:/test/map/tile-1-0'])
        await asyncio.sleep(0.3)
        after = {key: upserts_of(client, key) - before[key] for key in tiles}
        assert after == {'map:/test/map/tile-1-0': 1, 'map:/test/map/tile-0-0': 0,
                         'map:/test/map/tile-0-1': 0, 'map:/test/map/tile-1-1': 0}
        patched = decoded(client.upserted()['map:/test/map/tile-1-0/image']['rgb'])
        assert tuple(patched[511 - 10, 520 - 512]) == (0, 0, 0, 255)
        assert tuple(patched[511 - 14, 520 - 512]) == (0, 0, 0, 255)     # was 100 already
        assert tuple(patched[511 - 10, 524 - 512]) == (0, 0, 0, 255)


async def test_images_arrive_as_pictures_and_bad_ones_are_skipped(ros_context):
    async with running_bridge(ros_context, image_topics=['/test/image'],
                              compressed_image_topics=['/test/compressed'],
                              image_encoder='png') as rig:
        client = await rig.client()
        pixels = np.zeros((48, 64, 3), np.uint8)
        pixels[:, :32] = (255, 0, 0)
        pixels[:, 32:] = (0, 0, 255)
        bad = raw_image(pixels)
        bad.step = 10                                     # rows shorter than the width
        await rig.publish(Image, '/test/image', bad)
        await rig.publish(Image, '/test/image', raw_image(pixels[..., ::-1].copy(), 'bgr8'))
        await rig.publish(CompressedImage, '/test/compressed',
                          compressed_image(b'\xff\xd8\xff' + bytes(20)))
        await rig.publish(CompressedImage, '/test/compressed',
                          compressed_image(png(pixels), 'png'))
        keys = {'image:/test/image', 'image:/test'}     # /test/compressed: camera /test
        await client.wait_for(lambda f: keys <= set(client.upserted()), timeout=10.0)
        view = client.upserted()
        assert view['image:/test']['rgb'] == png(pixels)
        shown = decoded(view['image:/test/image']['rgb'])
        assert tuple(shown[0, 0]) == (255, 0, 0, 255) and tuple(shown[0, 63]) == (0, 0, 255, 255)
        assert client.parents()['image:/test/image'] == '/test/image@map'
        assert upserts_of(client, 'image:/test/image') == 1   # the bad frame sent nothing


async def test_auto_topics_find_maps_and_images(ros_context):
    async with running_bridge(ros_context) as rig:
        client = await rig.client()
        publishers = {   # maps latched, as map_server publishes them (else incompatible)
            'map:/found/map/tile-0-0': (rig.pub(OccupancyGrid, '/found/map', LATCHED),
                                        occupancy_grid(np.zeros((4, 4), np.int8))),
            'image:/found/image': (rig.pub(Image, '/found/image'),
                                   raw_image(np.zeros((4, 4, 3), np.uint8))),
        }
        for _ in range(150):    # discovery scans the graph every DISCOVERY_PERIOD
            for publisher, message in publishers.values():
                publisher.publish(message)
            if set(publishers) <= set(client.upserted()):
                break
            await asyncio.sleep(0.1)
        assert set(publishers) <= set(client.upserted())


async def test_the_demo_shows_its_room_map_and_camera_panel():
    wanted = {'map:/demo/map/tile-0-0/image', 'image:/demo/camera/image'}
    async with demo_client() as client:
        view = await client.wait_for(
            lambda f: wanted <= set(client.upserted()) and client.upserted(), timeout=20)
    room = decoded(view['map:/demo/map/tile-0-0/image']['rgb'])
    assert room.shape == (140, 140, 4) and tuple(room[0, 0]) == (112, 137, 134, 255)
    camera = view['image:/demo/camera/image']
    assert camera['tag'] == 'Image' and decoded(camera['rgb']).shape == (120, 160, 4)
