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
Geometry shared by the marker and pose converters: colours, arrows, lines, merged meshes.

Everything is built in the local ROS frame of the element it goes into (see the
Coordinates section of the design notes). three.js cylinders and cones stand along their
local +Y axis, so each is rotated onto the direction it has to point along.
"""

import math
from typing import Optional, Sequence

import numpy as np

from vuer_ros.convert.transforms import quaternion_from_to, quaternion_to_euler
from vuer_ros.schemas import Cone, Cylinder, Line
from vuer_ros.validation import FLOAT32_MAX

#: Round-shape resolution: RViz's cylinder and sphere meshes look this smooth.
SEGMENTS = 24
#: Largest magnitude a float16 vertex coordinate holds (the client decodes float16).
FLOAT16_MAX = 65504.0
#: Arrow proportions of RViz (rviz_rendering::Arrow defaults): shaft 0.77 of the length,
#: head 0.23, head diameter twice the shaft's.
SHAFT_FRACTION = 0.77
HEAD_FRACTION = 0.23
HEAD_WIDTH_FACTOR = 2.0

_UP = (0.0, 1.0, 0.0)


def _byte(channel: float) -> int:
    return min(255, max(0, int(channel * 255.0 + 0.5)))


def hex_color(rgba: Sequence[float]) -> str:
    """'#rrggbb' of an RGBA (or RGB) colour with channels in 0..1 (clamped)."""
    return '#%02x%02x%02x' % (_byte(rgba[0]), _byte(rgba[1]), _byte(rgba[2]))


def rgb_bytes(colors: np.ndarray) -> np.ndarray:
    """Per-vertex colours (N x 3 or N x 4 floats in 0..1) as rounded uint8 RGB."""
    return np.clip(np.rint(colors[:, :3] * 255.0), 0, 255).astype(np.uint8)


def parse_color(text: str) -> tuple[float, float, float]:
    """
    Return the RGB (0..1 each) of a colour parameter: 'R G B' (0..255 each) or '#rrggbb'.

    Commas or semicolons may separate the numbers, so RViz2's saved colours ('255; 25; 0')
    read as they are. Raises ValueError naming what is wrong.
    """
    value = text.strip()
    if value.startswith('#'):
        digits = value[1:]
        if len(digits) != 6 or not all(c in '0123456789abcdefABCDEF' for c in digits):
            raise ValueError(f'colour {text!r}: want #rrggbb with six hex digits')
        return tuple(int(digits[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    parts = value.replace(',', ' ').replace(';', ' ').split()
    try:
        channels = [float(part) for part in parts]
    except ValueError:
        channels = []
    if len(channels) != 3 or not all(0.0 <= c <= 255.0 for c in channels):
        raise ValueError(f"colour {text!r}: want 'R G B' (0 to 255 each) or '#rrggbb'")
    return tuple(c / 255.0 for c in channels)


def material(rgba: Sequence[float]) -> dict:
    """Material of a lit mesh primitive; translucent like RViz (no depth writes)."""
    alpha = float(rgba[3])
    transparent = alpha < 1.0
    return {'color': hex_color(rgba), 'opacity': alpha, 'transparent': transparent,
            'depthWrite': not transparent}


def arrow_meshes(key: str, start: Sequence[float], direction: Sequence[float],
                 shaft: Sequence[float], head: Sequence[float], mat: dict) -> list:
    """
    Cylinder shaft and cone head of an arrow from ``start`` along unit ``direction``.

    ``shaft`` and ``head`` are (length, width, height): width and height are the diameters
    across the arrow, measured along the local X and Z axes of three's upright cylinder,
    which for an arrow along ROS +X are ROS Y and Z.
    """
    rotation = quaternion_to_euler(quaternion_from_to(_UP, direction))
    sx, sy, sz = start
    dx, dy, dz = direction
    shaft_length, head_length = shaft[0], head[0]
    middle = shaft_length / 2.0
    tip = shaft_length + head_length / 2.0
    return [
        Cylinder(key=f'{key}/shaft', args=[0.5, 0.5, 1.0, SEGMENTS],
                 position=[sx + dx * middle, sy + dy * middle, sz + dz * middle],
                 rotation=rotation, scale=[shaft[1], shaft_length, shaft[2]], material=mat),
        Cone(key=f'{key}/head', args=[0.5, 1.0, SEGMENTS],
             position=[sx + dx * tip, sy + dy * tip, sz + dz * tip],
             rotation=rotation, scale=[head[1], head_length, head[2]], material=mat),
    ]


def pose_arrow(key: str, length: float, width: float, height: float, mat: dict) -> list:
    """Build RViz's pose-form arrow along local +X, shaft ``width`` x ``height`` across."""
    return arrow_meshes(
        key, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0),
        (SHAFT_FRACTION * length, width, height),
        (HEAD_FRACTION * length, HEAD_WIDTH_FACTOR * width, HEAD_WIDTH_FACTOR * height), mat)


def point_arrow(key: str, start: np.ndarray, end: np.ndarray, shaft_diameter: float,
                head_diameter: float, head_length: float, mat: dict) -> list:
    """Build RViz's point-to-point arrow; ``head_length`` 0 means 0.23 of the distance."""
    delta = (end - start).tolist()
    distance = math.sqrt(sum(d * d for d in delta))
    direction = [d / distance for d in delta] if distance > 0.0 else (1.0, 0.0, 0.0)
    if head_length == 0.0:
        head_length = HEAD_FRACTION * distance
    else:
        head_length = max(0.0, min(head_length, distance))
    return arrow_meshes(key, start.tolist(), direction,
                        (distance - head_length, shaft_diameter, shaft_diameter),
                        (head_length, head_diameter, head_diameter), mat)


def line(key: str, points: np.ndarray, width: float, rgba: Sequence[float],
         colors: Optional[np.ndarray] = None, segments: bool = False,
         world_units: bool = True) -> Line:
    """
    Draw a line ``width`` metres wide through ``points`` (pairs of them if ``segments``).

    ``colors`` (N x 4 floats, one per point) become per-vertex colours, with alpha only
    when some point is translucent; otherwise ``rgba`` colours the whole line. Without
    ``world_units`` the width is in screen pixels (RViz2's lines of 1 pixel).
    """
    props = {'points': points, 'lineWidth': float(width), 'worldUnits': world_units,
             'segments': segments}
    if colors is not None:
        translucent = bool((colors[:, 3] < 1.0).any())
        props['vertexColors'] = colors if translucent else colors[:, :3]
    else:
        props['color'] = hex_color(rgba)
        if rgba[3] < 1.0:
            props.update(opacity=float(rgba[3]), transparent=True, depthWrite=False)
    return Line(key=f'{key}/line', **props)


def centered(vertices: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """
    Vertices as float16 around their bounding-box centre, and that centre.

    The client decodes vertices as float16, whose step grows with the magnitude, so the
    offset goes into the element's ``position`` (float64 on the wire) and only the spread
    around it into the vertices. Raises ValueError when the spread is beyond float16, or
    the centre beyond the float32 the wire carries (scaled vertices can overflow it).
    Column by column: numpy's min over axis 0 of an N x 3 array is 30 times slower.
    """
    if not len(vertices):
        return np.zeros((0, 3), dtype=np.float16), [0.0, 0.0, 0.0]
    if vertices.dtype.kind != 'f':
        vertices = vertices.astype(np.float64)
    low = np.array([vertices[:, axis].min() for axis in range(3)], dtype=np.float64)
    high = np.array([vertices[:, axis].max() for axis in range(3)], dtype=np.float64)
    center = (low + high) / 2.0
    if not (high - center).max() <= FLOAT16_MAX:   # NaN too (inf - inf)
        raise ValueError(f'spans more than {2 * FLOAT16_MAX:.0f} m, beyond the float16 '
                         'vertices the client decodes')
    if not np.abs(center).max() <= FLOAT32_MAX:
        raise ValueError('lies further away than float32 holds')
    local = np.empty(vertices.shape, dtype=np.float16)
    for axis in range(3):
        np.subtract(vertices[:, axis], vertices.dtype.type(center[axis]), out=local[:, axis],
                    casting='unsafe')
    return local, center.tolist()


def _unit_cube() -> tuple[np.ndarray, np.ndarray]:
    """Build a unit cube centred at 0: 4 vertices per face so each face keeps its own normal."""
    vertices, faces = [], []
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3
        for side in (-0.5, 0.5):
            base = len(vertices)
            for a, b in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
                corner = [0.0, 0.0, 0.0]
                corner[axis], corner[u], corner[v] = side, a, b
                vertices.append(corner)
            # Counter-clockwise seen from outside the cube.
            if side > 0:
                faces += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
            else:
                faces += [(base, base + 2, base + 1), (base, base + 3, base + 2)]
    return np.array(vertices), np.array(faces, dtype=np.uint32)


def _icosphere() -> tuple[np.ndarray, np.ndarray]:
    """Build a sphere of diameter 1: an icosahedron subdivided once (42 vertices, 80 triangles)."""
    t = (1.0 + math.sqrt(5.0)) / 2.0
    vertices = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t),
                (0, -1, -t), (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9),
             (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2),
             (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10),
             (8, 6, 7), (9, 8, 1)]
    vertices = [tuple(float(c) for c in vertex) for vertex in vertices]
    middles: dict = {}

    def middle(a: int, b: int) -> int:
        edge = (min(a, b), max(a, b))
        if edge not in middles:
            middles[edge] = len(vertices)
            vertices.append(tuple((p + q) / 2.0 for p, q in zip(vertices[a], vertices[b])))
        return middles[edge]

    finer = []
    for a, b, c in faces:
        ab, bc, ca = middle(a, b), middle(b, c), middle(c, a)
        finer += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
    array = np.array(vertices)
    array *= 0.5 / np.linalg.norm(array, axis=1, keepdims=True)
    return array, np.array(finer, dtype=np.uint32)


CUBE_VERTICES, CUBE_FACES = _unit_cube()
SPHERE_VERTICES, SPHERE_FACES = _icosphere()


def instances(template: np.ndarray, faces: np.ndarray, centers: np.ndarray,
              scale: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """One mesh holding a copy of a unit template, scaled, at every centre (vectorised)."""
    count, size = len(centers), len(template)
    vertices = (centers[:, None, :] + (template * np.asarray(scale))[None]).reshape(-1, 3)
    offsets = (np.arange(count, dtype=np.uint32) * size)[:, None, None]
    return vertices, (faces[None] + offsets).reshape(-1, 3)
