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
nav_msgs/OccupancyGrid to textured planes, as RViz2's Map display draws it.

RViz2 uploads the cells as an 8-bit texture and looks each value up in a 256-entry RGBA
palette on the GPU (map_display.cpp, palette_builder.cpp). The same happens here: each
tile of the grid is an indexed-colour PNG whose pixels are the cells' bytes and whose
palette is RViz2's, so the browser does the lookup while decoding, and the bridge only
runs zlib over the bytes (measured: 41 ms and 660 KiB for a 4000 x 4000 map, against
216 ms for the RGBA lookup in numpy alone and 330 ms with Pillow's PNG). Tiles of
``TILE`` cells keep each texture small (RViz2 splits maps into swatches for the same
reason) and let an OccupancyGridUpdate re-send only the tiles it touches.
"""

from typing import Iterator, NamedTuple

import numpy as np

from vuer_ros.convert.images import png_bytes
from vuer_ros.convert.transforms import (compose, finite, pose_transform, quaternion_to_euler,
                                         Transform)
from vuer_ros.schemas import Element, group, Image

#: Cells along a tile's side: a 4000 x 4000 map is 8 x 8 tiles, a costmap update one or two.
TILE = 512
#: Most cells accepted in one map (RViz2 gives up beyond its texture limits too).
MAX_CELLS = 20000 * 20000


class MapError(ValueError):
    """A map or map update that can't be shown; the message says why."""


def _palette() -> np.ndarray:
    return np.zeros((256, 4), np.uint8)


def _illegal_values(palette: np.ndarray) -> np.ndarray:
    """
    Colour values no occupancy may take, as every RViz2 palette but raw does.

    101-127 green, -128..-2 (128-254) red to yellow, -1 (unknown, 255) greenish grey
    (palette_builder.cpp: setColorForIllegalPositiveValues(0, 255, 0),
    setRedYellowColorsForIllegalNegativeValues, setColorForLegalNegativeValueMinusOne).
    """
    palette[101:128] = (0, 255, 0, 255)
    index = np.arange(128, 255)
    palette[128:255, 0] = 255
    palette[128:255, 1] = (255 * (index - 128)) // (254 - 128)
    palette[128:255, 2] = 0
    palette[128:255, 3] = 255
    palette[255] = (0x70, 0x89, 0x86, 255)
    return palette


def map_palette() -> np.ndarray:
    """RViz2's "map" scheme: 0 white to 100 black (makeMapPalette)."""
    palette = _palette()
    value = 255 - (255 * np.arange(101)) // 100
    palette[:101, 0] = palette[:101, 1] = palette[:101, 2] = value
    palette[:101, 3] = 255
    return _illegal_values(palette)


def costmap_palette() -> np.ndarray:
    """
    RViz2's "costmap" scheme (makeCostmapPalette).

    0 fully transparent, 1-98 blue to red, 99 (inscribed) cyan, 100 (lethal) purple.
    """
    palette = _palette()
    value = (255 * np.arange(1, 99)) // 100
    palette[1:99, 0] = value
    palette[1:99, 2] = 255 - value
    palette[1:99, 3] = 255
    palette[99] = (0, 255, 255, 255)
    palette[100] = (255, 0, 255, 255)
    return _illegal_values(palette)


def raw_palette() -> np.ndarray:
    """RViz2's "raw" scheme: each byte as its grey, unknown (255) white (makeRawPalette)."""
    palette = _palette()
    palette[:, :3] = np.arange(256)[:, None]
    palette[:, 3] = 255
    return palette


#: scheme -> (its palette, whether RViz2 blends by the palette's alpha: map_display.cpp's
#: color_scheme_transparency_)
SCHEMES = {'map': (map_palette(), False), 'costmap': (costmap_palette(), True),
           'raw': (raw_palette(), True)}


class MapGeometry(NamedTuple):
    """Where a grid lies: its frame, the pose of cell (0, 0)'s corner, and its cells."""

    frame_id: str
    origin: Transform
    resolution: float
    width: int
    height: int


class Tile(NamedTuple):
    """Cells [x, x + width) x [y, y + height) of a grid."""

    x: int
    y: int
    width: int
    height: int

    @property
    def index(self) -> tuple[int, int]:
        return self.x // TILE, self.y // TILE


def grid_cells(msg: object) -> tuple[MapGeometry, np.ndarray]:
    """
    Check an OccupancyGrid as RViz2's showMap does and return its cells (height x width).

    The cells are the message's own bytes as uint8 (no copy): -1 (unknown) reads 255.
    """
    info = msg.info
    width, height, resolution = info.width, info.height, info.resolution
    pose = info.origin
    values = (resolution, pose.position.x, pose.position.y, pose.position.z,
              pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w)
    if not finite(values):
        raise MapError('Message contained invalid floating point values (nans or infs)')
    if resolution <= 0:
        raise MapError(f'resolution {resolution} m is not positive')
    if width * height == 0:
        raise MapError(f'Map is zero-sized ({width}x{height})')
    if width * height > MAX_CELLS:
        raise MapError(f'absurd map size {width} x {height} (at most {MAX_CELLS} cells)')
    if len(msg.data) != width * height:
        raise MapError(f"Data size doesn't match width*height: width = {width}, height = "
                       f'{height}, data size = {len(msg.data)}')
    cells = np.frombuffer(msg.data, np.uint8).reshape(height, width)
    geometry = MapGeometry(msg.header.frame_id, pose_transform(pose), float(resolution),
                           width, height)
    return geometry, cells


def update_cells(msg: object, geometry: MapGeometry) -> tuple[Tile, np.ndarray]:
    """
    Check a map_msgs/OccupancyGridUpdate against the map it patches; return where and what.

    RViz2 refuses an update reaching outside the map (updateDataOutOfBounds).
    """
    x, y, width, height = msg.x, msg.y, msg.width, msg.height
    if x < 0 or y < 0 or x + width > geometry.width or y + height > geometry.height:
        raise MapError(f'Update area outside of original map area: cells x {x}..{x + width}, '
                       f'y {y}..{y + height} of a {geometry.width} x {geometry.height} map')
    if len(msg.data) != width * height:
        raise MapError(f'update data holds {len(msg.data)} cells, width x height is '
                       f'{width} x {height} = {width * height}')
    return Tile(x, y, width, height), np.frombuffer(msg.data, np.uint8).reshape(height, width)


def tiles(width: int, height: int) -> Iterator[Tile]:
    """Return the TILE x TILE tiles covering a grid (smaller at its right and top edges)."""
    for y in range(0, height, TILE):
        for x in range(0, width, TILE):
            yield Tile(x, y, min(TILE, width - x), min(TILE, height - y))


def tiles_touched(area: Tile, width: int, height: int) -> set[Tile]:
    """Return the tiles an update of ``area`` changes."""
    return {Tile(x, y, min(TILE, width - x), min(TILE, height - y))
            for y in range(area.y // TILE * TILE, area.y + area.height, TILE)
            for x in range(area.x // TILE * TILE, area.x + area.width, TILE)}


def tile_png(cells: np.ndarray, scheme: str) -> bytes:
    """
    Encode one tile's cells as an indexed PNG with the scheme's palette.

    Rows are flipped: the grid's row 0 lies at the origin (the plane's bottom), a
    picture's first row is its top. Schemes RViz2 draws opaque get opaque palettes.
    """
    palette, blends = SCHEMES[scheme]
    if not blends:
        palette = palette.copy()
        palette[:, 3] = 255
    return png_bytes(cells[::-1], palette)


def tile_key(key: str, tile: Tile) -> str:
    """Scene key of one tile of the map drawn under ``key``."""
    column, row = tile.index
    return f'{key}/tile-{column}-{row}'


def tile_element(key: str, geometry: MapGeometry, tile: Tile, png: bytes, alpha: float,
                 blends: bool, draw_behind: bool) -> Element:
    """
    One tile as an Image plane at its place in the map's frame (origin pose, resolution).

    The client blends only below opacity 1, so a scheme that blends by the palette's alpha
    (costmap: 0 is transparent) is sent just under 1 at alpha 1. Draw Behind puts the tile
    in a group drawn before the rest (three.js renderOrder), as RViz2 renders the map in an
    earlier queue; the client's Image takes no depth-write switch, though.
    """
    resolution = geometry.resolution
    centre = ((tile.x + tile.width / 2) * resolution, (tile.y + tile.height / 2) * resolution,
              0.0)
    pose = compose(geometry.origin, Transform(centre, (0.0, 0.0, 0.0, 1.0)))
    opacity = min(alpha, 0.999) if blends else alpha
    image = Image(key=f'{key}/image', rgb=png, height=tile.height * resolution,
                  aspect=tile.width / tile.height, opacity=opacity, interpolate=False,
                  side=2)
    return group(image, key=key, position=list(pose.translation),
                 rotation=quaternion_to_euler(pose.rotation),
                 renderOrder=-1 if draw_behind else 0)
