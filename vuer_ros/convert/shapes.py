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
PointStamped, PolygonStamped and GridCells to scene elements, as RViz2's displays draw them.

Each function reads its message by attribute (real messages and plain objects alike) and
returns one element in the message's own frame (the display puts it into that frame's
group). What RViz2 refuses to draw raises ShapeError, with RViz2's status text where it
has one.
"""

from typing import Sequence

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.transforms import finite, finite_array
from vuer_ros.schemas import Element, group, Sphere, TriMesh

#: Unit square in the XY plane, centred at 0: the tile RViz2's point cloud draws per cell
#: (billboard_tile.vert spans -0.5..0.5 of the cell size along X and Y).
SQUARE_VERTICES = np.array([(-0.5, -0.5, 0.0), (0.5, -0.5, 0.0), (0.5, 0.5, 0.0),
                            (-0.5, 0.5, 0.0)])
SQUARE_FACES = np.array([(0, 1, 2), (0, 2, 3)], dtype=np.uint32)

#: RViz2's message status for NaN or infinity (rviz_common::validateFloats failing).
INVALID_FLOATS = 'Message contained invalid floating point values (nans or infs)'

RGB = tuple[float, float, float]
RGBA = tuple[float, float, float, float]


class ShapeError(ValueError):
    """A message RViz2 would not draw; the text says why."""


def _xyz(points: Sequence[object]) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64).reshape(-1, 3)


def point_to_element(msg: object, key: str, radius: float, rgba: RGBA) -> Element:
    """
    geometry_msgs PointStamped: RViz2's sphere, ``radius`` wide, at the point.

    RViz2 scales its unit-diameter sphere mesh by its 'Radius' property
    (point_stamped_display.cpp, createNewSphereVisual), so ``radius`` is the diameter.
    """
    p = msg.point
    position = [p.x, p.y, p.z]
    if not finite(position):
        raise ShapeError(INVALID_FLOATS)
    return Sphere(key=key, args=[0.5, geometry.SEGMENTS, geometry.SEGMENTS // 2],
                  position=position, scale=[radius] * 3, material=geometry.material(rgba))


def polygon_to_element(msg: object, key: str, rgba: RGBA) -> Element:
    """
    geometry_msgs PolygonStamped: a closed one-pixel line through its points, unlit.

    RViz2 draws an Ogre line strip back to the first point (polygon_display.cpp,
    processMessage); fewer than two points show nothing.
    """
    points = _xyz(msg.polygon.points)
    if not finite_array(points):
        raise ShapeError(INVALID_FLOATS)
    if len(points) < 2:
        return group(children=[], key=key)
    loop = np.vstack([points, points[:1]])
    return group(children=[geometry.line(key, loop, 1.0, rgba, world_units=False)], key=key)


def grid_cells_to_element(msg: object, key: str, rgba: RGBA) -> Element:
    """
    nav_msgs GridCells: one flat, unlit tile of cell_width x cell_height per cell.

    RViz2 draws them as a point cloud in tile mode, each tile centred on its cell in the
    frame's XY plane (grid_cells_display.cpp, setupCloud and convertMessageToCloud).
    """
    size = (msg.cell_width, msg.cell_height)
    cells = _xyz(msg.cells)
    if not (finite(size) and finite_array(cells)):
        raise ShapeError(INVALID_FLOATS)
    if 0.0 in size:
        raise ShapeError("One of the Cell's dimension is zero, cells will be invisible.")
    if not len(cells):
        raise ShapeError('Message is empty: there are no cells to be shown.')
    vertices, faces = geometry.instances(SQUARE_VERTICES, SQUARE_FACES, cells, (*size, 0.0))
    try:
        tiles = flat_mesh(f'{key}/tiles', vertices, faces, rgba)
    except ValueError as error:
        raise ShapeError(f'grid cells {error}') from None
    return group(children=[tiles], key=key)


def flat_mesh(key: str, vertices: np.ndarray, faces: np.ndarray, rgba: RGBA) -> TriMesh:
    """
    Build an unlit, double-sided mesh in one colour, translucent as RViz2's (no depth writes).

    Raises ValueError when the vertices span more than the client's float16 holds.
    """
    local, center = geometry.centered(vertices)
    props = {}
    if rgba[3] < 1.0:
        # The client's TriMesh material has alphaTest 1, which discards translucent pixels.
        props['material'] = {'alphaTest': 0, 'transparent': True, 'depthWrite': False}
    return TriMesh(key=key, vertices=local, faces=faces, position=center,
                   color=geometry.hex_color(rgba), opacity=float(rgba[3]), materialType='basic',
                   **props)
