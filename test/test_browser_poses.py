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
Poses, covariance, pose arrays, odometry and paths in the real client, with no options.

The displays draw RViz2's own test messages on a plain Vuer app, and headless Chromium
shows them from above; each shape is looked for in its colour where RViz2 would put it.
Screenshots go to test-artifacts/. Skips with its reason when Chromium or Playwright is
missing (CI installs both).
"""

from typing import Sequence

from browser import open_client
from msg_factory import pose_stamped
import pytest
from test_browser_displays import ARTIFACTS
from test_convert_poses import odometry, path, pose_array, with_covariance

from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.odometry import OdometryDisplay
from vuer_ros.displays.paths import PathDisplay
from vuer_ros.displays.poses import PoseArrayDisplay, PoseCovarianceDisplay, PoseDisplay
from vuer_ros.settings import settings_from_values

pytestmark = pytest.mark.browser

#: Colours on the canvas seen from above (measured): RViz2's (255, 25, 0) on the lit
#: arrows' tops and unlit on flat arrows, its path green (25, 255, 0) one pixel wide
#: (antialiased), and the lit covariance colours (204, 51, 204) and (255, 255, 127), whose
#: alpha (0.3, 0.5) the canvas keeps apart.
ARROW = (217, 0, 14)
FLAT_ARROW = (250, 36, 21)
PATH_GREEN = (149, 228, 89)
ELLIPSOID = (164, 10, 164)
DISC = (118, 118, 44)


def displays(app, frames: dict) -> DisplayHost:
    """Start displays with default settings; each frame placed in map at its (x, y)."""
    host = DisplayHost(app, settings_from_values({'frame_axes': 0.0}))
    host.start()
    for frame, (x, y) in frames.items():
        host.scene.on_transform('map', frame, (x, y, 0.0), (0.0, 0.0, 0.0, 1.0))
    return host


async def look_from_above(client, x: float) -> None:
    """Camera 6 m above ROS (x, 0), so ROS +x is right and +y up on the screen."""
    await client.look_at((x, 6.0, 0.001), (x, 0.0, 0.0))


async def colour_at(client, ros: Sequence[float], rgb, tolerance: int = 40):
    """Pixels of ``rgb`` within 4 px of where ROS point (x, y[, z]) shows, or None."""
    x, y, z = (*ros, 0.0)[:3]
    px, py, _ = await client.project((x, z, -y))      # three.js is y-up: (x, z, -y)
    return await client.find_colour(rgb, tolerance, region=(px - 4, py - 4, px + 4, py + 4))


async def test_pose_pose_array_odometry_and_path_look_as_in_rviz2(served_app):
    host = displays(served_app, {'pose_frame': (-1.5, 1.3), 'pose_array_frame': (1.0, 1.3),
                                 'path_frame': (2.25, -3.35), 'odometry_frame': (-1.5, -3.0)})
    host.show(PoseDisplay, '/pose').on_message(pose_stamped(frame_id='pose_frame'))
    host.show(PoseArrayDisplay, '/pose_array').on_message(pose_array())
    host.show(PathDisplay, '/path').on_message(path())
    odometry_display = host.show(OdometryDisplay, '/odometry')
    for y in (0.0, 0.6, 1.2):   # a trail of three arrows 0.6 m apart, no covariance
        odometry_display.on_message(odometry(position=(0, y, 0), orientation=(0, 0, 0, 1),
                                             covariance=[0.0] * 36))
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'pose:/pose/head', 'path:/path/line',
                                    'pose_array:/pose_array/line', 'odometry:/odometry/2'})
        await look_from_above(client, 1.5)
        await client.wait_for_colour(ARROW)
        await client.screenshot(ARTIFACTS / 'browser-poses.png')
        # A 1 m shaft along the pose's x, and nothing beyond its 0.3 m head.
        assert await colour_at(client, (-1.0, 1.3), ARROW)
        assert await colour_at(client, (-0.4, 1.3), ARROW)
        assert not await colour_at(client, (0.0, 1.3), ARROW)
        # Flat arrows 0.3 m long at y = -1, 0, 1 of their frame.
        for y in (0.3, 1.3, 2.3):
            assert await colour_at(client, (1.1, y), FLAT_ARROW)
        assert not await colour_at(client, (1.1, 1.8), FLAT_ARROW)
        # The path from (0, 0) to (4, 4) of its frame.
        for t in (0.4, 0.9):
            assert await colour_at(client, (2.25 + 4 * t, -3.35 + 4 * t), PATH_GREEN)
        # Every odometry arrow kept.
        for y in (-3.0, -2.4, -1.8):
            assert await colour_at(client, (-1.0, y), ARROW)
        assert not client.console_errors()


async def test_covariance_looks_as_in_rviz2(served_app):
    host = displays(served_app, {'pose_with_covariance_frame': (1.5, 0.0)})
    # pose_with_covariance_publisher.hpp: half a turn about x, RViz2's 3D covariance.
    host.show(PoseCovarianceDisplay, '/pose_with_covariance').on_message(with_covariance())
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'pose_covariance:/pose_with_covariance/covariance/roll'})
        await look_from_above(client, 1.5)
        await client.wait_for_colour(ARROW)
        await client.screenshot(ARTIFACTS / 'browser-pose-covariance.png')
        assert await colour_at(client, (2.0, 0.0), ARROW, tolerance=60)   # seen through
        # The ellipsoid (sigma_x 0.87 m, sigma_y 0.84 m) around the pose, none past it.
        assert await colour_at(client, (1.1, 0.5), ELLIPSOID)
        assert not await colour_at(client, (1.5, 1.5), ELLIPSOID)
        # The pitch disc (upright, across y) 1 m along the pose's y, which the half turn
        # points to -y.
        assert await colour_at(client, (1.2, -1.0, 0.5), DISC)
        assert not await colour_at(client, (1.2, 1.0, 0.5), DISC)
        assert not client.console_errors()
