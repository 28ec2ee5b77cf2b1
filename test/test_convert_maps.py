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
OccupancyGrid as RViz2's Map display draws it: palettes, tiles, updates and bad maps.

Citations are to ros2/rviz (rolling, October 2024), rviz_default_plugins/src/
rviz_default_plugins/displays/map/ (``palette_builder.cpp``, ``map_display.cpp``). The
palettes are checked against RViz2's loops written out again here one value at a time,
and the tiles are decoded back with Pillow (a test-only use) to the cells' colours.
"""

import io
import math

from msg_factory import node_matrix
import numpy as np
from PIL import Image as PilImage
import pytest
from test_display_scene import in_fixed_frame
from test_display_vectors import displays

from vuer_ros.convert import maps
from vuer_ros.displays import BY_MESSAGE_TYPE
from vuer_ros.testing import header, Plain, pose
from vuer_ros.validation import validate_node


def rviz_palette(scheme: str) -> list:
    """RViz2's palette built as palette_builder.cpp builds it, entry by entry (C integers)."""
    palette = [(0, 0, 0, 0)] * 256
    if scheme == 'map':
        for i in range(101):
            v = 255 - (255 * i) // 100
            palette[i] = (v, v, v, 255)
    elif scheme == 'costmap':
        palette[0] = (0, 0, 0, 0)
        for i in range(1, 99):
            v = (255 * i) // 100
            palette[i] = (v, 0, 255 - v, 255)
        palette[99] = (0, 255, 255, 255)
        palette[100] = (255, 0, 255, 255)
    else:
        return [(i, i, i, 255) for i in range(256)]
    for i in range(101, 128):
        palette[i] = (0, 255, 0, 255)
    for i in range(128, 255):
        palette[i] = (255, (255 * (i - 128)) // (254 - 128), 0, 255)
    palette[255] = (0x70, 0x89, 0x86, 255)
    return palette


def grid(cells, origin=(0.0, 0.0, 0.0), yaw: float = 0.0, resolution: float = 0.5,
         frame: str = 'map') -> Plain:
    """nav_msgs/OccupancyGrid of int8 ``cells`` (rows from the origin up)."""
    cells = np.asarray(cells, dtype=np.int8)
    height, width = cells.shape
    info = Plain(resolution=resolution, width=width, height=height,
                 origin=pose(origin, (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2))))
    return Plain(header=header(frame), info=info, data=cells.tobytes())


def update(x: int, y: int, cells) -> Plain:
    """map_msgs/OccupancyGridUpdate of int8 ``cells`` at cell (x, y)."""
    cells = np.asarray(cells, dtype=np.int8)
    return Plain(header=header(), x=x, y=y, width=cells.shape[1], height=cells.shape[0],
                 data=cells.tobytes())


def decoded(png: bytes) -> np.ndarray:
    """RGBA pixels of a PNG, first row at the top."""
    return np.asarray(PilImage.open(io.BytesIO(png)).convert('RGBA'))


@pytest.mark.parametrize('scheme', ['map', 'costmap', 'raw'])
def test_palettes_are_rviz_s(scheme):
    palette, _ = maps.SCHEMES[scheme]
    assert [tuple(entry) for entry in palette] == rviz_palette(scheme)


def test_unknown_cells_and_rviz_s_landmarks():
    # -1 (unknown) is 255 as a byte: greenish grey, except raw's white.
    assert tuple(maps.map_palette()[255]) == (112, 137, 134, 255)
    assert tuple(maps.costmap_palette()[255]) == (112, 137, 134, 255)
    assert tuple(maps.raw_palette()[255]) == (255, 255, 255, 255)
    assert tuple(maps.map_palette()[100]) == (0, 0, 0, 255)       # occupied black
    assert tuple(maps.map_palette()[0]) == (255, 255, 255, 255)   # free white
    assert tuple(maps.costmap_palette()[0]) == (0, 0, 0, 0)       # free cost: transparent
    # Which schemes RViz2 blends by the palette's alpha (map_display.cpp constructor).
    assert {name: blends for name, (_, blends) in maps.SCHEMES.items()} == {
        'map': False, 'costmap': True, 'raw': True}


@pytest.mark.parametrize('scheme', ['map', 'costmap', 'raw'])
def test_a_tile_decodes_to_the_palette_colours_with_the_origin_row_at_the_bottom(scheme):
    cells = np.array([[0, 50, 100], [-1, 99, 120]], np.int8)   # row 0 at the origin
    pixels = decoded(maps.tile_png(cells.view(np.uint8), scheme))
    palette, blends = maps.SCHEMES[scheme]
    expected = palette[cells.view(np.uint8)[::-1]].copy()
    if not blends:
        expected[..., 3] = 255
    np.testing.assert_array_equal(pixels, expected)


def test_grid_cells_are_the_message_bytes_without_copy():
    message = grid([[0, 100, -1]])
    geometry, cells = maps.grid_cells(message)
    assert cells.tolist() == [[0, 100, 255]] and not cells.flags.writeable
    assert geometry == maps.MapGeometry('map', geometry.origin, 0.5, 3, 1)


@pytest.mark.parametrize('width, height, count', [(1, 1, 1), (512, 512, 1), (513, 512, 2),
                                                  (4000, 4000, 64), (1200, 100, 3)])
def test_tiles_cover_the_grid_once(width, height, count):
    covered = np.zeros((height, width), int)
    found = list(maps.tiles(width, height))
    for tile in found:
        assert 0 < tile.width <= maps.TILE and 0 < tile.height <= maps.TILE
        covered[tile.y:tile.y + tile.height, tile.x:tile.x + tile.width] += 1
    assert len(found) == count and (covered == 1).all()


def test_an_update_touches_only_the_tiles_under_it():
    touched = maps.tiles_touched(maps.Tile(500, 10, 20, 5), 4000, 4000)
    assert touched == {maps.Tile(0, 0, 512, 512), maps.Tile(512, 0, 512, 512)}
    edge = maps.tiles_touched(maps.Tile(3990, 3990, 10, 10), 4000, 4000)
    assert edge == {maps.Tile(3584, 3584, 416, 416)}


def test_tile_sits_at_the_origin_pose_and_resolution():
    geometry = maps.MapGeometry('map', maps.pose_transform(
        pose((1.0, 2.0, 0.0), (0, 0, math.sin(math.pi / 4), math.cos(math.pi / 4)))),
        0.1, 1000, 300)
    tile = maps.Tile(512, 0, 488, 300)
    node = maps.tile_element('k', geometry, tile, b'png', 0.7, False, False).serialize()
    image = node['children'][0]
    assert image['tag'] == 'Image' and image['rgb'] == b'png'
    assert image['height'] == pytest.approx(30.0) and image['aspect'] == pytest.approx(488 / 300)
    assert image['opacity'] == 0.7 and image['interpolate'] is False
    # The tile's centre (512 + 244, 150) cells x 0.1 m, turned 90 degrees about z.
    centre = node_matrix(node) @ [0, 0, 0, 1]
    np.testing.assert_allclose(centre[:3], (1.0 - 15.0, 2.0 + 75.6, 0.0), atol=1e-9)
    validate_node(node)


def test_blending_schemes_stay_below_opacity_one_and_draw_behind_orders_first():
    geometry = maps.MapGeometry('map', maps.pose_transform(pose()), 1.0, 4, 4)
    tile = maps.Tile(0, 0, 4, 4)
    opaque = maps.tile_element('k', geometry, tile, b'', 1.0, False, False).serialize()
    blended = maps.tile_element('k', geometry, tile, b'', 1.0, True, True).serialize()
    assert opaque['children'][0]['opacity'] == 1.0 and opaque['renderOrder'] == 0
    assert blended['children'][0]['opacity'] < 1.0 and blended['renderOrder'] == -1


@pytest.mark.parametrize('change, error', [
    (lambda m: setattr(m.info, 'resolution', math.nan), 'nans or infs'),
    (lambda m: setattr(m.info.origin.position, 'x', math.inf), 'nans or infs'),
    (lambda m: setattr(m.info, 'resolution', 0.0), 'not positive'),
    (lambda m: setattr(m.info, 'width', 0), 'zero-sized'),
    (lambda m: setattr(m, 'data', m.data[:-1]), "doesn't match width\\*height"),
    (lambda m: setattr(m.info, 'width', 100000) or setattr(m.info, 'height', 100000),
     'absurd'),
])
def test_bad_maps_raise_rviz_s_errors(change, error):
    message = grid(np.zeros((4, 4)))
    change(message)
    with pytest.raises(maps.MapError, match=error):
        maps.grid_cells(message)


@pytest.mark.parametrize('x, y, width, height, error', [
    (-1, 0, 1, 1, 'outside'), (3, 0, 2, 1, 'outside'), (0, 4, 1, 1, 'outside'),
])
def test_updates_outside_the_map_raise(x, y, width, height, error):
    geometry, _ = maps.grid_cells(grid(np.zeros((4, 4))))
    with pytest.raises(maps.MapError, match=error):
        maps.update_cells(update(x, y, np.zeros((height, width))), geometry)


def test_update_data_of_the_wrong_length_raises():
    geometry, _ = maps.grid_cells(grid(np.zeros((4, 4))))
    message = update(0, 0, np.zeros((2, 2)))
    message.data = message.data[:3]
    with pytest.raises(maps.MapError, match='holds 3 cells'):
        maps.update_cells(message, geometry)


# -- the displays against a real Vuer app (no loop: tiles are encoded at once) ----------

def tile_pixels(app, key: str) -> np.ndarray:
    return decoded(app.scene.get(f'{key}/image')['rgb'])


def test_map_display_defaults_are_rviz_s():
    display = BY_MESSAGE_TYPE['nav_msgs/msg/OccupancyGrid']
    defaults = {param.name: param.default for param in display.options}
    assert defaults == {'map_color_scheme': 'map', 'map_alpha': 0.7, 'map_draw_behind': False}
    assert display.default_topics == ('/map',) and display.newest_only
    assert display.qos.transient_local and display.qos.reliable and display.qos.why
    updates = BY_MESSAGE_TYPE['map_msgs/msg/OccupancyGridUpdate']
    # /map brings /map_updates (a companion), as RViz2's Map display subscribes both.
    assert updates.default_topics == () and not updates.newest_only
    assert display.companions('/map') == ((updates, '/map_updates'),)
    assert not updates.qos.transient_local and updates.qos.reliable


def test_map_is_drawn_in_its_frame_and_an_update_patches_one_tile():
    app, host, warnings = displays(map_alpha=1.0)
    host.scene.on_transform('map', 'odom', (1.0, 0.0, 0.0), (0, 0, 0, 1))
    shown = host.show(BY_MESSAGE_TYPE['nav_msgs/msg/OccupancyGrid'], '/map')
    cells = np.zeros((600, 700), np.int8)
    cells[0, 0] = 100
    shown.on_message(grid(cells, origin=(-2.0, -3.0, 0.0), resolution=0.05, frame='odom'))
    keys = {f'map:/map/tile-{column}-{row}' for column in (0, 1) for row in (0, 1)}
    assert keys <= set(app.scene.keys()) and not warnings
    corner = tile_pixels(app, 'map:/map/tile-0-0')
    assert corner.shape == (512, 512, 4)
    assert tuple(corner[-1, 0]) == (0, 0, 0, 255)        # cell (0, 0): bottom left, black
    assert tuple(corner[0, 0]) == (255, 255, 255, 255)
    # The tile's centre: origin + 256 cells x 0.05 m, in odom (1 m along x in map).
    where = in_fixed_frame(app, 'map:/map/tile-0-0') @ [0, 0, 0, 1]
    np.testing.assert_allclose(where[:3], (1.0 - 2.0 + 12.8, -3.0 + 12.8, 0.0), atol=1e-6)
    before = {key: app.scene.get(key) for key in keys}
    updates = host.show(BY_MESSAGE_TYPE['map_msgs/msg/OccupancyGridUpdate'], '/map_updates')
    updates.on_message(update(600, 550, np.full((2, 3), -1)))
    changed = {key for key in keys if app.scene.get(key) is not before[key]}
    assert changed == {'map:/map/tile-1-1'}
    patched = tile_pixels(app, 'map:/map/tile-1-1')    # 188 x 88 cells: rows 38-39 up
    assert patched.shape == (88, 188, 4)
    assert tuple(patched[88 - 1 - 38, 600 - 512]) == (112, 137, 134, 255)
    assert tuple(patched[88 - 1 - 37, 600 - 512]) == (255, 255, 255, 255)


def test_a_smaller_map_erases_the_tiles_it_no_longer_has():
    app, host, _ = displays()
    shown = host.show(BY_MESSAGE_TYPE['nav_msgs/msg/OccupancyGrid'], '/map')
    shown.on_message(grid(np.zeros((10, 1000))))
    assert 'map:/map/tile-1-0' in app.scene.keys()
    shown.on_message(grid(np.zeros((10, 10))))
    assert 'map:/map/tile-1-0' not in app.scene.keys()
    assert 'map:/map/tile-0-0' in app.scene.keys()


def test_bad_maps_and_updates_warn_naming_the_topic_and_draw_nothing():
    app, host, warnings = displays()
    updates = host.show(BY_MESSAGE_TYPE['map_msgs/msg/OccupancyGridUpdate'], '/map_updates')
    updates.on_message(update(0, 0, [[1]]))
    shown = host.show(BY_MESSAGE_TYPE['nav_msgs/msg/OccupancyGrid'], '/map')
    bad = grid(np.zeros((4, 4)))
    bad.data = bad.data[:-2]
    shown.on_message(bad)
    assert not [key for key in app.scene.keys() if key.startswith('map:')]
    shown.on_message(grid(np.zeros((4, 4))))
    updates.on_message(update(3, 3, [[1, 1]]))
    texts = [text for _, text in warnings]
    assert texts[0].startswith('/map_updates: update before any map')
    assert texts[1].startswith("/map: Data size doesn't match width*height")
    assert texts[2].startswith('/map_updates: Update area outside of original map area')
    assert tuple(tile_pixels(app, 'map:/map/tile-0-0')[0, 3]) == (255, 255, 255, 255)
