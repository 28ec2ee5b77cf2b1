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
Maps and camera images in the real Vuer client, in RViz2's colours and where they belong.

The displays draw on a plain Vuer app and headless Chromium shows them: a map's cells in
RViz2's palettes at their place in the map frame, an image in front of its camera frame
with its top left where the picture's is, a head-up panel at the bottom of the view and a
background filling it. The pictures travel as bytes (checked here to render, as data
URLs and served URLs also do; bytes need neither base64 nor a request per frame).
Screenshots go to test-artifacts/.
"""

import io
from pathlib import Path

from browser import open_client, require_browser
import numpy as np
from PIL import Image as PilImage
import pytest
from test_browser_vectors import assert_colour_at, three
from test_convert_images import compressed, raw
from test_convert_maps import grid

from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.images import CompressedImageDisplay, ImageDisplay
from vuer_ros.displays.maps import OccupancyGridDisplay
from vuer_ros.settings import settings_from_values

require_browser()

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'
#: RViz2's map colours as the client shows them (measured: unlit but tone-mapped): free
#: white, occupied black, unknown (112, 137, 134), 50 grey (128, 128, 128), and the
#: costmap's lethal purple (255, 0, 255).
FREE, OCCUPIED, UNKNOWN, HALF = (226, 226, 226), (0, 0, 0), (123, 151, 148), (141, 141, 141)
LETHAL = (247, 40, 228)
#: The picture's red, green, blue and yellow quadrants, the cyan panel and the magenta
#: background, as the client shows them (measured: tone-mapped).
RED, GREEN, BLUE, YELLOW = (250, 16, 20), (147, 228, 89), (0, 0, 228), (230, 226, 106)
CYAN, MAGENTA = (153, 227, 226), (247, 40, 228)


#: Meshes under a three.js group with a negative renderOrder (drawn before the rest).
DRAWN_FIRST_JS = """
() => {
  const canvas = [...document.querySelectorAll('canvas')]
    .sort((a, b) => b.width * b.height - a.width * a.height)[0];
  let meshes = 0;
  window.FIBER._roots.get(canvas).store.getState().scene.traverse((node) => {
    if (node.isGroup && node.renderOrder < 0) {
      node.traverse((inner) => { if (inner.isMesh) meshes += 1; });
    }
  });
  return meshes;
}
"""


def quadrants(colours, height: int = 60, width: int = 80) -> np.ndarray:
    """Return an RGB picture of four colours: top left, top right, bottom left, bottom right."""
    pixels = np.zeros((height, width, 3), np.uint8)
    half_h, half_w = height // 2, width // 2
    pixels[:half_h, :half_w], pixels[:half_h, half_w:] = colours[0], colours[1]
    pixels[half_h:, :half_w], pixels[half_h:, half_w:] = colours[2], colours[3]
    return pixels


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    PilImage.fromarray(pixels).save(out, 'PNG')
    return out.getvalue()


def quadrant_cells() -> np.ndarray:
    """4 x 4 m at 0.1 m from (-2, -2): free, occupied (x > 0), unknown, 50 (y > 0)."""
    cells = np.zeros((40, 40), np.int8)
    cells[:20, 20:], cells[20:, :20], cells[20:, 20:] = 100, -1, 50
    return cells


async def test_map_cells_show_in_rviz_s_palettes_where_they_lie(served_app):
    app = served_app
    host = DisplayHost(app, settings_from_values({'frame_axes': 0.0, 'map_alpha': 1.0}))
    host.start()
    host.show(OccupancyGridDisplay, '/map').on_message(
        grid(quadrant_cells(), origin=(-2.0, -2.0, 0.0), resolution=0.1))
    costmap = quadrant_cells()
    costmap[:20, 20:] = 0       # free cost: transparent in RViz2's costmap palette
    host_costmap = DisplayHost(app, settings_from_values({
        'frame_axes': 0.0, 'map_alpha': 1.0, 'map_color_scheme': 'costmap',
        'map_draw_behind': True}))
    host_costmap.show(OccupancyGridDisplay, '/costmap').on_message(
        grid(np.where(costmap == 50, 100, costmap), origin=(3.0, -2.0, 0.0), resolution=0.1))
    async with open_client(app.port) as client:
        await client.look_at(three((1.5, 0.0, 9.0)), three((1.5, 0.01, 0.0)))
        # Cell centres away from the grid's lines (at whole metres).
        for point, colour, what in (((-1.5, -1.5, 0), FREE, 'free'),
                                    ((1.5, -1.5, 0), OCCUPIED, 'occupied'),
                                    ((-1.5, 1.5, 0), UNKNOWN, 'unknown'),
                                    ((1.5, 1.5, 0), HALF, 'fifty'),
                                    ((6.5, 1.5, 0), LETHAL, 'lethal cost'),
                                    ((4.5, 1.5, 0), UNKNOWN, 'unknown cost')):
            await assert_colour_at(client, colour, point, what, tolerance=12)
        # Free cost is see-through, as nothing at all beside the map.
        for point, what in (((6.5, -1.5, 0), 'free cost'), ((-2.5, -1.5, 0), 'beside the map')):
            x, y, _ = await client.project(three(point))
            assert (await client.pixel(x, y))[3] == 0, what
        await client.screenshot(ARTIFACTS / 'browser-map.png')
        # Draw Behind: the costmap's tiles sit in three.js groups drawn first (groupOrder).
        assert await client.evaluate(DRAWN_FIRST_JS) == 1     # its one 40 x 40 cell tile
        assert not client.console_errors()


async def test_image_faces_its_camera_and_hud_and_background_follow_the_view(served_app):
    app = served_app
    host = DisplayHost(app, settings_from_values({
        'frame_axes': 0.0, 'image_encoder': 'png', 'image_distance': 1.0,
        'image_height': 0.6, 'image_placements': ['/hud=hud', '/back=background']}))
    host.start()
    # An optical frame at (0, 0, 1) looking along +x (camera_link -> optical: rpy -90, 0, -90).
    host.scene.on_transform('map', 'camera', (0.0, 0.0, 1.0), (-0.5, 0.5, -0.5, 0.5))
    host.show(CompressedImageDisplay, '/camera').on_message(
        compressed(png(quadrants([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)])),
                   'png', frame='camera'))
    host.show(ImageDisplay, '/hud').on_message(raw('rgb8', quadrants([(0, 255, 255)] * 4)))
    host.show(ImageDisplay, '/back').on_message(raw('rgb8', quadrants([(255, 0, 255)] * 4)))
    async with open_client(app.port) as client:
        # From behind the camera, along its axis: the picture as the camera saw it.
        await client.look_at(three((-2.0, 0.0, 1.0)), three((1.0, 0.0, 1.0)))
        # 1 m ahead, 0.6 m high and 0.8 m wide; the camera's left is +y, up is +z.
        for (y, z), colour, what in (((0.2, 1.15), RED, 'top left'),
                                     ((-0.2, 1.15), GREEN, 'top right'),
                                     ((0.2, 0.85), BLUE, 'bottom left'),
                                     ((-0.2, 0.85), YELLOW, 'bottom right')):
            await assert_colour_at(client, colour, (1.0, y, z), what, tolerance=20)
        await client.screenshot(ARTIFACTS / 'browser-image.png')
        # The head-up panel at the bottom centre of the view, over the background.
        panel = await client.wait_for_colour(CYAN, tolerance=12, min_count=20000)
        assert 630 < panel.centroid[0] < 650 and panel.bbox[1] > 400, panel
        back = await client.wait_for_colour(MAGENTA, tolerance=12, min_count=100000)
        assert back.bbox[0] < 10 and back.bbox[2] > 1270, back   # the whole width
        # Turning the view: the panel and the background follow it.
        await client.look_at(three((0.0, -5.0, 3.0)), three((0.0, 0.0, 0.0)))
        moved = await client.wait_for_colour(CYAN, tolerance=12, min_count=20000)
        assert moved.bbox == pytest.approx(panel.bbox, abs=3)
        assert await client.wait_for_colour(MAGENTA, tolerance=12, min_count=100000)
        await client.screenshot(ARTIFACTS / 'browser-image-hud.png')
        assert not client.console_errors()
