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
A pose's 6x6 covariance drawn as RViz2 draws it (rviz_rendering's CovarianceVisual).

Position: an ellipsoid whose axes are the eigenvectors of the 3x3 position block and whose
diameters are twice the standard deviations (one sigma each way), oriented in the
message's header frame (the frame the covariance is expressed in), centred on the pose.
When the z, roll and pitch variances are all <= 0 the pose is 2D: an ellipse from the x-y
block, 1 mm thick. Orientation, in the pose's own frame (RViz2's default 'Local'): in 3D a
flat disc one metre out along each axis, spanning the tangent of one standard deviation of
the two angles that move that axis' tip; in 2D a flat triangle along +X opening by the yaw
standard deviation each way. Numbers and node layout: covariance_visual.cpp; defaults:
rviz_common/properties/covariance_property.cpp.
"""

from dataclasses import dataclass
import math
from typing import Optional, Sequence

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.transforms import (finite, normalize_quaternion, Quaternion,
                                         quaternion_multiply, quaternion_to_euler,
                                         rpy_to_quaternion)
from vuer_ros.schemas import Cone, Cylinder, Element, Sphere

RGBA = tuple[float, float, float, float]

#: covariance_property.cpp: position Color QColor(204, 51, 204), Alpha 0.3.
POSITION_COLOR: RGBA = (204 / 255, 51 / 255, 204 / 255, 0.3)
#: covariance_property.cpp: orientation Color QColor(255, 255, 127), Alpha 0.5.
ORIENTATION_COLOR: RGBA = (1.0, 1.0, 127 / 255, 0.5)
#: covariance_visual.cpp: thickness of the flat shapes (2D ellipse, discs, triangle).
FLAT = 0.001
#: covariance_visual.hpp kMaxDegrees: angles beyond it are drawn as 89 degrees.
MAX_ANGLE = math.radians(89.0)
#: covariance_visual.cpp: where the centre of the 2D yaw cone sits along +X, per metre of
#: offset, so that its tip is at the pose.
CONE_ORIGIN_TO_TOP = 0.49115
#: Eigenvalues this far below zero (relative to the largest) are rounding, not negative.
_ROUNDING = 1e-9

_QUARTER = math.pi / 2
#: covariance_visual.cpp: each orientation shape's offset node, (axis, orientation): a
#: cylinder (upright along local Y) turned so its axis lies along the pose's axis.
_ORIENTATION_NODES = {
    'roll': ((1.0, 0.0, 0.0), quaternion_multiply(rpy_to_quaternion(_QUARTER, 0.0, 0.0),
                                                  rpy_to_quaternion(0.0, 0.0, _QUARTER))),
    'pitch': ((0.0, 1.0, 0.0), rpy_to_quaternion(0.0, _QUARTER, 0.0)),
    'yaw': ((0.0, 0.0, 1.0), rpy_to_quaternion(_QUARTER, 0.0, 0.0)),
}
_YAW_2D = rpy_to_quaternion(0.0, 0.0, _QUARTER)


class CovarianceError(ValueError):
    """A covariance that cannot be drawn: NaN, a wrong size, or not positive semidefinite."""


@dataclass(frozen=True)
class CovarianceStyle:
    """
    Colours (RGBA 0..1; alpha 0 leaves that part out) and scales, as RViz2's defaults.

    ``position_scale`` and ``orientation_scale``: standard deviations drawn.
    ``orientation_offset``: how far out the 3D discs sit, and the 2D triangle's length.
    """

    position_color: RGBA = POSITION_COLOR
    position_scale: float = 1.0
    orientation_color: RGBA = ORIENTATION_COLOR
    orientation_scale: float = 1.0
    orientation_offset: float = 1.0

    def __post_init__(self) -> None:
        for name in ('position_color', 'orientation_color'):
            if len(getattr(self, name)) != 4 or not finite(getattr(self, name)):
                raise ValueError(f'covariance style {name} is not four finite numbers')
        for name in ('position_scale', 'orientation_scale', 'orientation_offset'):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f'covariance style {name} {value!r} must be finite and >= 0')


def covariance_elements(key: str, covariance: Sequence[float], orientation: Sequence[float],
                        style: CovarianceStyle = CovarianceStyle()) -> list[Element]:
    """
    Children, in the pose's own frame, that draw a pose's covariance (row-major 6x6).

    ``orientation`` is the pose's quaternion in its header frame, where the position
    covariance is expressed. Raises CovarianceError for what RViz2 refuses or hides.
    """
    values = np.asarray(covariance, dtype=np.float64).ravel()
    if values.shape != (36,):
        raise CovarianceError(f'covariance has {values.size} values, not 36')
    if not np.isfinite(values).all():
        raise CovarianceError('covariance contains NaN or infinite values')
    # RViz2 maps the row-major array onto a column-major Eigen matrix (the transpose) and
    # its solver reads the lower triangle: numpy's eigh reads the same numbers here.
    matrix = values.reshape(6, 6).T
    # covariance_visual.cpp setCovariance: no z, roll and pitch variance means a 2D pose.
    planar = matrix[2, 2] <= 0 and matrix[3, 3] <= 0 and matrix[4, 4] <= 0
    shapes = [*_position(key, matrix, planar, orientation, style),
              *_orientation(key, matrix, planar, style)]
    return [shape for shape in shapes if shape is not None]


def _position(key: str, matrix: np.ndarray, planar: bool, orientation: Sequence[float],
              style: CovarianceStyle) -> list[Optional[Element]]:
    """RViz2's updatePosition: the ellipsoid, turned back from the pose into its header frame."""
    if planar:
        variances, axes = _principal(matrix[:2, :2], 'position')
        rotation = np.eye(3)
        rotation[:2, :2] = axes
        diameters = [*(2.0 * np.sqrt(variances) * style.position_scale), FLAT]
        flat_axis = 2
    else:
        variances, rotation = _principal(matrix[:3, :3], 'position')
        diameters = list(2.0 * np.sqrt(variances) * style.position_scale)
        flat_axis = None
    x, y, z, w = normalize_quaternion(orientation)
    in_header = quaternion_multiply((-x, -y, -z, w), _quaternion(rotation))
    scale = _extents(diameters, flat_axis)
    if scale is None or style.position_color[3] <= 0:
        return []
    return [Sphere(key=f'{key}/covariance/position',
                   args=[0.5, geometry.SEGMENTS, geometry.SEGMENTS // 2],
                   rotation=quaternion_to_euler(in_header), scale=scale,
                   material=geometry.material(style.position_color))]


def _orientation(key: str, matrix: np.ndarray, planar: bool,
                 style: CovarianceStyle) -> list[Optional[Element]]:
    """RViz2's updateOrientation: three discs (3D) or the yaw triangle (2D)."""
    offset, mat = style.orientation_offset, geometry.material(style.orientation_color)
    if planar:
        yaw_variance = matrix[5, 5]
        if yaw_variance < 0:
            raise CovarianceError(f'yaw variance {yaw_variance:g} is negative')
        width = _tangent(2.0 * math.sqrt(yaw_variance) * style.orientation_scale)
        scale = _extents([offset * width, offset, FLAT], 2)
        shapes = [] if scale is None else [Cone(
            key=f'{key}/covariance/yaw', args=[0.5, 1.0, geometry.SEGMENTS],
            position=[offset * CONE_ORIGIN_TO_TOP, 0.0, 0.0],
            rotation=quaternion_to_euler(_YAW_2D), scale=scale, material=mat)]
    else:
        # The angles that move each axis' tip: roll's disc shows pitch and yaw, and so on.
        blocks = {'roll': matrix[4:6, 4:6], 'pitch': matrix[np.ix_((3, 5), (3, 5))],
                  'yaw': matrix[3:5, 3:5]}
        shapes = [_disc(f'{key}/covariance/{name}', blocks[name], name, style, mat)
                  for name in _ORIENTATION_NODES]
    return shapes if style.orientation_color[3] > 0 else []


def _disc(key: str, block: np.ndarray, name: str, style: CovarianceStyle,
          mat: dict) -> Optional[Element]:
    """One flat cylinder: the 2x2 block's ellipse in the plane across axis ``name``."""
    variances, axes = _principal(block, name)
    # computeShapeScaleAndOrientation2D, XZ_PLANE: the ellipse lies in the cylinder's
    # local x-z plane, its axis (local y) is the flat one.
    in_plane = np.array([[axes[0, 0], 0.0, axes[0, 1]], [0.0, 1.0, 0.0],
                         [axes[1, 0], 0.0, axes[1, 1]]])
    offset = style.orientation_offset
    widths = [offset * _tangent(2.0 * math.sqrt(v) * style.orientation_scale)
              for v in variances]
    scale = _extents([widths[0], FLAT, widths[1]], 1)
    if scale is None:
        return None
    axis, node = _ORIENTATION_NODES[name]
    return Cylinder(key=key, args=[0.5, 0.5, 1.0, geometry.SEGMENTS],
                    position=[offset * a for a in axis],
                    rotation=quaternion_to_euler(quaternion_multiply(node,
                                                                     _quaternion(in_plane))),
                    scale=scale, material=mat)


def _principal(block: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """
    Variances (ascending) and their axes (columns, right-handed) of a symmetric block.

    RViz2's diagonalizeCovariance and makeRightHanded: when the first two axes and the
    last (the normal, in 2D) make a left-handed frame, the first two swap places.
    """
    variances, axes = np.linalg.eigh(block, UPLO='L')
    if variances[0] < -_ROUNDING * max(1.0, abs(variances[-1])):
        raise CovarianceError(f'negative eigenvalue {variances[0]:g} found for {what}: '
                              'the covariance is not positive semidefinite')
    variances = np.clip(variances, 0.0, None)
    if len(variances) == 3:
        left_handed = np.dot(np.cross(axes[:, 0], axes[:, 1]), axes[:, 2]) < 0
    else:
        left_handed = axes[0, 0] * axes[1, 1] - axes[1, 0] * axes[0, 1] < 0
    if left_handed:
        axes[:, [0, 1]] = axes[:, [1, 0]]
        variances[[0, 1]] = variances[[1, 0]]
    return variances, axes


def _tangent(angle: float) -> float:
    """RViz2's radianScaleToMetricScaleBounded: an angle span to the width it opens at 1 m."""
    if angle > 2.0 * MAX_ANGLE:
        return 2.0 * math.tan(MAX_ANGLE)
    return 2.0 * math.tan(angle / 2.0)


def _extents(diameters: Sequence[float], flat_axis: Optional[int]) -> Optional[list[float]]:
    """
    Scale of a shape, or None when it has no area to show (RViz2 draws it invisible).

    A zero diameter beside two others (a flat ellipsoid) becomes FLAT, so the client gets
    an invertible matrix for the shape's normals.
    """
    spread = [d for index, d in enumerate(diameters) if index != flat_axis]
    if sum(d > 0 for d in spread) < 2:
        return None
    return [float(d) if d > 0 else FLAT for d in diameters]


def _quaternion(rotation: np.ndarray) -> Quaternion:
    """(x, y, z, w) of a proper rotation matrix (Shepperd's method, stable everywhere)."""
    m = rotation
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 2.0 * math.sqrt(1.0 + trace)
        q = ((m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4)
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = (s / 4, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s)
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = ((m[0, 1] + m[1, 0]) / s, s / 4, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s)
    else:
        s = 2.0 * math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = ((m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, s / 4, (m[1, 0] - m[0, 1]) / s)
    return normalize_quaternion(tuple(float(c) for c in q))
