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
PointStamped, PolygonStamped, GridCells, Range and CameraInfo in the real Vuer client.

Each test replays what RViz2's visual test of that display does (rviz_default_plugins/test/
rviz_default_plugins/displays/*/*_visual_test.cpp, Jazzy): the message of its test
publisher, its camera and its property changes, and finds the element on screen at the
place and in the colour RViz2's code gives it. Screenshots go to ``test-artifacts/``.
three.js is Y-up: ROS (x, y, z) appears at three (x, z, -y).
"""

import math
from pathlib import Path
from typing import Any, Sequence

from browser import open_client, require_browser
import pytest
from test_display_shapes import camera_info, grid_cells, point_stamped, polygon_stamped
from test_display_shapes import range_msg

from vuer_ros.displays.camera_info import CameraInfoDisplay
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.ranges import RangeDisplay
from vuer_ros.displays.shapes import GridCellsDisplay, PointStampedDisplay, PolygonDisplay
from vuer_ros.settings import settings_from_values

require_browser()

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'
#: The colours set below as the client draws them (measured): lit spheres and cones are
#: shaded, the unlit tiles and lines only tone-mapped, the one-pixel line also blended.
POINT_BLUE = (75, 76, 172)
LINE_GREEN = (149, 228, 89)
CELLS_YELLOW = (227, 226, 208)
RANGE_CYAN = (0, 155, 155)
EDGE_GREY = (135, 135, 135)


def three(x: float, y: float, z: float) -> list[float]:
    """Where ROS point (x, y, z) of the fixed frame is in the viewer's Y-up world."""
    return [x, z, -y]


def show(app: Any, messages: Sequence[tuple[type, str, Any]], **values: Any) -> DisplayHost:
    """Draw ``messages`` ((display kind, topic, message) each) with options ``values``."""
    host = DisplayHost(app, settings_from_values({'frame_axes': 0.0, **values}))
    host.start()
    for kind, topic, message in messages:
        host.show(kind, topic).on_message(message)
    return host


async def test_points_at_their_places_in_their_colour(served_app):
    # point_stamped_display_visual_test.cpp: the camera at (0, 0, 16) looking at the origin,
    # History Length 3, Color (100, 100, 200), Alpha 1; the publisher's points at x = 0, 3, -3
    # (point_stamped_publisher.hpp:58-60). Radius 1 here (8 there would merge the three).
    show(served_app, [(PointStampedDisplay, '/point', point_stamped(x, frame='map'))
                      for x in (0.0, 3.0, -3.0)],
         point_history_length=3, point_color='100; 100; 200', point_radius=1.0)
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'point:/point:0', 'point:/point:1', 'point:/point:2'})
        await client.look_at(three(0, 0, 16), three(0, 0, 0))
        await client.wait_for_colour(POINT_BLUE, tolerance=30, min_count=300)
        await client.screenshot(ARTIFACTS / 'browser-shapes-points.png')
        for x in (0.0, 3.0, -3.0):
            left, right = [await client.project(three(x + dx, 0, 0)) for dx in (-0.5, 0.5)]
            centre = await client.project(three(x, 0, 0))
            radius = (right[0] - left[0]) / 2
            # A sphere of diameter 1 m (RViz2 scales its unit sphere by Radius) at (x, 0, 0).
            blob = await client.find_colour(POINT_BLUE, tolerance=30, region=(
                centre[0] - 2 * radius, centre[1] - 2 * radius, centre[0] + 2 * radius,
                centre[1] + 2 * radius))
            assert blob is not None and blob.contains(centre), (x, blob, centre)
            # Its lit rim is darker than the colour searched, so a little narrower; a
            # sphere of the wrong size (0.5 or 2 m) would be half or twice as wide.
            assert 0.7 * 2 * radius <= blob.size[0] <= 2 * radius + 2, (x, blob, radius)


async def test_polygon_is_a_thin_closed_outline(served_app):
    # RViz2 has no polygon visual test: a triangle 0.1 m above the ground grid, seen from
    # above, in RViz2's default green (polygon_display.cpp:57-59), one pixel wide (:124-131).
    corners = [(-2, -1, 0.1), (2, -1.5, 0.1), (0.5, 2, 0.1)]
    show(served_app, [(PolygonDisplay, '/polygon', polygon_stamped(corners))])
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'polygon:/polygon/line'})
        await client.look_at(three(0, 0, 10), three(0, 0, 0))
        blob = await client.wait_for_colour(LINE_GREEN, tolerance=40)
        await client.screenshot(ARTIFACTS / 'browser-shapes-polygon.png')
        projected = [await client.project(three(*corner)) for corner in corners]
        expected = (min(p[0] for p in projected), min(p[1] for p in projected),
                    max(p[0] for p in projected), max(p[1] for p in projected))
        assert blob.bbox == pytest.approx(expected, abs=3), (blob, expected)
        # The closing edge (back to the first point) is drawn: its middle is green.
        middle = await client.project(three(-0.75, 0.5, 0.1))
        assert await client.find_colour(LINE_GREEN, tolerance=40, region=(
            middle[0] - 3, middle[1] - 3, middle[0] + 3, middle[1] + 3))
        # One pixel wide: the edges cover a few hundred pixels, not an area.
        assert blob.count < 3 * sum(math.dist(a[:2], b[:2]) for a, b in zip(
            projected, projected[1:] + projected[:1]))


async def test_grid_cells_cover_their_cells(served_app):
    # grid_cells_display_visual_test.cpp: camera at (0, 0, 10) looking at the origin,
    # Color (255, 255, 200), Alpha 1; cells of 6 x 5 at (0, -1), (3, 1), (-3, 1)
    # (grid_cells_publisher.hpp:64-70). The frame is 1 cm up so the ground grid does not
    # fight the tiles for depth.
    host = show(served_app, [(GridCellsDisplay, '/grid_cells', grid_cells())],
                grid_cells_color='255; 255; 200')
    host.scene.on_transform('map', 'grid_cells_frame', (0, 0, 0.01), (0, 0, 0, 1))
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'grid_cells:/grid_cells/tiles'})
        await client.look_at(three(0, 0, 10), three(0, 0, 0))
        blob = await client.wait_for_colour(CELLS_YELLOW, tolerance=12, min_count=1000)
        await client.screenshot(ARTIFACTS / 'browser-shapes-grid-cells.png')
        # The tiles' union spans x -6..6 and y -3.5..3.5 (cells +- 3 x +- 2.5).
        top_left = await client.project(three(-6, 3.5, 0.01))
        bottom_right = await client.project(three(6, -3.5, 0.01))
        assert blob.bbox == pytest.approx((*top_left[:2], *bottom_right[:2]), abs=3)
        # The corner outside every cell (x > 3, y < -1.5) stays empty.
        empty = await client.project(three(4.5, -2.5, 0.01))
        assert not await client.find_colour(CELLS_YELLOW, tolerance=12, region=(
            empty[0] - 10, empty[1] - 10, empty[0] + 10, empty[1] + 10))


async def test_range_cone_seen_from_its_axis(served_app):
    # range_display_visual_test.cpp: camera at (10, 0, 0) looking at the origin, Color
    # (30, 255, 255), Alpha 1; the reading 3 m over 90 degrees (range_publisher.hpp:66-69):
    # its base is a disc of radius 3 m at x = 3, facing the camera (+y on the right).
    show(served_app, [(RangeDisplay, '/range', range_msg(frame='map'))],
         range_color='30; 255; 255', range_alpha=1.0)
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'range:/range:0/cone'})
        await client.look_at(three(10, 0, 0), three(0, 0, 0))
        blob = await client.wait_for_colour(RANGE_CYAN, tolerance=30, min_count=1000)
        await client.screenshot(ARTIFACTS / 'browser-shapes-range.png')
        left, right = [await client.project(three(3, y, 0)) for y in (-3, 3)]
        top, bottom = [await client.project(three(3, 0, z)) for z in (3, -3)]
        # The 24-sided disc of three fills RViz2's 16-sided one to within a few pixels.
        assert blob.bbox == pytest.approx((left[0], top[1], right[0], bottom[1]), abs=4)


async def test_camera_info_frustum_seen_from_behind_the_camera(served_app):
    # camera_info_display_visual_test.cpp shows the publisher's camera (320 x 240, fx 160,
    # fy 120: camera_info_publisher.hpp:64-67) with the default properties: grey edges,
    # far clip 1. Here the principal point moves to (80, 60), so the frustum leans to the
    # image's right and bottom, and the optical frame (z forward, x right, y down) looks
    # along map +x from (4, 0, 7) with the usual optical rotation. Rays of pixels (0, 0),
    # (320, 0), (320, 240), (0, 240): (-0.5, -0.5, 1), (1.5, -0.5, 1), (1.5, 1.5, 1),
    # (-0.5, 1.5, 1) (camera_info_display.cpp:250-314), so in the map A = (5, 0.5, 7.5),
    # B = (5, -1.5, 7.5), C = (5, -1.5, 5.5), D = (5, 0.5, 5.5).
    p = (160.0, 0.0, 80.0, 0.0, 0.0, 120.0, 60.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    host = show(served_app, [(CameraInfoDisplay, '/image/camera_info', camera_info(p=p))],
                camera_info_alpha=1.0)
    host.scene.on_transform('map', 'camera_info_frame', (4, 0, 7), (-0.5, 0.5, -0.5, 0.5))
    async with open_client(served_app.port) as client:
        await client.wait_for_keys({'camera_info:/image/camera_info/line'})
        # From behind and below, so the ground grid's grey lines stay under it on screen.
        await client.look_at(three(2, 0, 5), three(5, -0.5, 6.5))
        corners = [await client.project(three(*corner)) for corner in (
            (5, 0.5, 7.5), (5, -1.5, 7.5), (5, -1.5, 5.5), (5, 0.5, 5.5))]
        centre = await client.project(three(4, 0, 7))   # the optical centre, nearer
        expected = (min(p[0] for p in [*corners, centre]), min(p[1] for p in [*corners, centre]),
                    max(p[0] for p in [*corners, centre]), max(p[1] for p in [*corners, centre]))
        around = (expected[0] - 10, expected[1] - 10, expected[2] + 10, expected[3] + 10)
        blob = await client.wait_for_colour(EDGE_GREY, tolerance=12, region=around)
        await client.screenshot(ARTIFACTS / 'browser-shapes-camera-info.png')
        assert blob.bbox == pytest.approx(expected, abs=3), (blob, expected)
        for corner in [*corners, centre]:    # each corner is drawn ...
            assert await client.find_colour(EDGE_GREY, tolerance=12, region=(
                corner[0] - 3, corner[1] - 3, corner[0] + 3, corner[1] + 3)), corner
        # ... and nothing where a frustum turned the wrong way would put B.
        mirrored = await client.project(three(5, 1.5, 7.5))
        assert not await client.find_colour(EDGE_GREY, tolerance=12, region=(
            mirrored[0] - 8, mirrored[1] - 8, mirrored[0] + 8, mirrored[1] + 8))
