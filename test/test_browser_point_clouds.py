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
A PointCloud2 and a LaserScan in the real Vuer client, in their frames and colours.

The displays draw on a plain Vuer app and headless Chromium shows them: an RGB8 cloud as
a red patch and a blue patch where its points are, and a scan's half circle coloured by
intensity, red at the lowest and magenta at the highest, around the laser's frame.
Screenshots go to test-artifacts/. Skips with its reason when Chromium or Playwright is
missing.
"""

from types import SimpleNamespace

from browser import open_client
import numpy as np
import pytest
from test_browser_vectors import ARTIFACTS, assert_colour_at, assert_no_colour_at, three
from test_convert_point_clouds import cloud, scan, xyz_records

from vuer_ros.displays import BY_MESSAGE_TYPE
from vuer_ros.displays.host import DisplayHost
from vuer_ros.settings import settings_from_values

pytestmark = pytest.mark.browser

#: How the client shows pure red, blue and magenta points (measured: unlit, tone-mapped;
#: the far end of the scan, 2 m further, is lightened by the scene's fog).
RED = (228, 0, 0)
BLUE = (0, 0, 228)
FAR_MAGENTA = (247, 40, 228)
LIDAR = np.array((-1.5, 0.0, 0.5))
LASER = np.array((1.5, 0.0, 0.2))


def patch(centre, half: float = 0.4, step: float = 0.02) -> np.ndarray:
    """Points filling a square in the lidar frame's XZ plane (facing the camera)."""
    ticks = np.arange(-half, half + 1e-9, step)
    u, v = np.meshgrid(ticks, ticks)
    return np.stack([u.ravel(), np.zeros(u.size), v.ravel()], axis=-1) + centre


async def test_cloud_and_scan_are_drawn_in_their_frames_and_colours(served_app):
    app = served_app
    host = DisplayHost(app, settings_from_values({
        'frame_axes': 0.0, 'point_cloud_size': 0.05, 'laser_scan_size': 0.08}))
    host.start()
    host.scene.on_transform('map', 'lidar', LIDAR, (0, 0, 0, 1))
    host.scene.on_transform('map', 'laser', LASER, (0, 0, 0, 1))
    red, blue = patch((-0.5, 0.0, 0.0)), patch((0.5, 0.0, 0.0))
    points = np.concatenate([red, blue, [(np.nan, 0.0, 0.0)]])
    packed = [0xff0000] * len(red) + [0x0000ff] * len(blue) + [0xffffff]
    message = cloud(xyz_records(points, extra=[('rgb', 'u4', packed)]))
    message.header.frame_id = 'lidar'
    host.show(BY_MESSAGE_TYPE['sensor_msgs/msg/PointCloud2'], '/cloud').on_message(message)
    # A half circle of 1 m from -90 to +90 degrees, a reading every 10 degrees (174 mm
    # apart, so the 80 mm squares stand apart), intensities rising along it.
    count = 19
    readings = scan(np.ones(count), intensities=np.arange(count, dtype=float),
                    angle_min=-np.pi / 2, increment=np.pi / (count - 1))
    readings.header = SimpleNamespace(frame_id='laser', stamp=message.header.stamp)
    host.show(BY_MESSAGE_TYPE['sensor_msgs/msg/LaserScan'], '/scan').on_message(readings)
    async with open_client(app.port) as client:
        await client.wait_for_keys({'point_cloud:/cloud', 'laser_scan:/scan'})
        await client.look_at(three((0, -5, 4)), three((0, 0, 0.3)))
        for offset in ((-0.5, 0, 0), (-0.7, 0, 0.3), (-0.3, 0, -0.3)):
            await assert_colour_at(client, RED, LIDAR + offset, 'red patch of the cloud')
        for offset in ((0.5, 0, 0), (0.7, 0, 0.3), (0.3, 0, -0.3)):
            await assert_colour_at(client, BLUE, LIDAR + offset, 'blue patch of the cloud')
        await assert_no_colour_at(client, RED, LIDAR + (0.0, 0, 0.7), 'above the cloud')
        # The scan: reading 0 at -90 degrees (0, -1) is red, the last at +90 magenta.
        await assert_colour_at(client, RED, LASER + (0.0, -1.0, 0.0), 'first scan reading')
        await assert_colour_at(client, FAR_MAGENTA, LASER + (0.0, 1.0, 0.0), 'last scan reading')
        await assert_no_colour_at(client, RED, LASER, 'the laser itself (no reading there)')
        await client.screenshot(ARTIFACTS / 'browser-point-clouds.png')
