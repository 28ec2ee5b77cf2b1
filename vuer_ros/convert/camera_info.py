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
sensor_msgs/CameraInfo to the camera's frustum, as RViz2's CameraInfo display draws it.

Follows rviz_default_plugins' camera_info_display.cpp (Jazzy and later): the rays through
the image corners come from the projection matrix P, in the optical frame (z forward, x
right, y down), and end on the plane z = far clip. Edges are 0.01 m lines from the
optical centre to the four far corners and around them; the four side faces are optional
(off by default there too). Fields are read by attribute, as everywhere in ``convert``.
"""

from dataclasses import dataclass

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.shapes import flat_mesh, RGB, ShapeError
from vuer_ros.convert.transforms import finite
from vuer_ros.schemas import Element, group

#: Width of the frustum's edges, in metres (camera_info_display.cpp: setLineWidth(0.01f)).
EDGE_WIDTH = 0.01
#: Edge pairs of corners 0 (the optical centre) and 1-4 (A, B, C, D), in RViz2's order.
_EDGES = ((0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 1))
#: Side triangles (O, B, A), (O, C, B), (O, D, C), (O, A, D), as RViz2 adds them.
_SIDES = np.array([(0, 2, 1), (0, 3, 2), (0, 4, 3), (0, 1, 4)], dtype=np.uint32)


@dataclass(frozen=True)
class FrustumStyle:
    """How a frustum is drawn; the defaults are RViz2's CameraInfo display properties."""

    far_clip: float = 1.0
    edges: bool = True
    side_polygons: bool = False
    color: RGB = (85 / 255, 1.0, 1.0)
    edge_color: RGB = (125 / 255, 125 / 255, 125 / 255)
    alpha: float = 0.5


def image_size(msg: object) -> tuple[int, int]:
    """Width and height the rays span: the ROI's if set, divided by binning (as RViz2)."""
    width = msg.roi.width or msg.width
    height = msg.roi.height or msg.height
    if msg.binning_x > 0:
        width //= msg.binning_x
    if msg.binning_y > 0:
        height //= msg.binning_y
    return width, height


def frustum_corners(msg: object, far_clip: float) -> np.ndarray:
    """
    Return the optical centre and the far corners A, B, C, D (5 x 3, optical frame).

    Pixel (u, v) gives the ray ((u - cx - Tx) / fx, (v - cy - Ty) / fy, 1) from P, Tx and Ty
    taken as RViz2 takes them (projectPixelTo3dRay), scaled to z = ``far_clip``; A, B, C,
    D are the pixels (0, 0), (width, 0), (width, height), (0, height).
    """
    p = [float(value) for value in msg.p]
    if len(p) != 12 or not finite(p):
        raise ShapeError('P must be 12 finite numbers')
    fx, fy, cx, cy, tx, ty = p[0], p[5], p[2], p[6], p[3], p[7]
    if fx == 0.0 or fy == 0.0:
        raise ShapeError('Invalid intrinsic matrix (P[0] or P[5] is 0)')
    width, height = image_size(msg)
    if width <= 0 or height <= 0:
        raise ShapeError(f'image size {width} x {height}: no frustum to draw')
    pixels = np.array([(0, 0), (width, 0), (width, height), (0, height)], dtype=np.float64)
    rays = np.column_stack([(pixels[:, 0] - cx - tx) / fx, (pixels[:, 1] - cy - ty) / fy,
                            np.ones(4)])
    return np.vstack([np.zeros(3), rays * far_clip])


def camera_info_to_element(msg: object, key: str, style: FrustumStyle = FrustumStyle()
                           ) -> Element:
    """Build the frustum of a CameraInfo in its optical frame: edges and optional sides."""
    corners = frustum_corners(msg, style.far_clip)
    children = []
    if style.side_polygons:
        children.append(flat_mesh(f'{key}/sides', corners, _SIDES, (*style.color, style.alpha)))
    if style.edges:
        ends = corners[np.array(_EDGES).reshape(-1)]
        children.append(geometry.line(key, ends, EDGE_WIDTH, (*style.edge_color, style.alpha),
                                      segments=True))
    return group(children=children, key=key)
