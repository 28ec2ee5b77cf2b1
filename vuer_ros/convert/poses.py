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
Pose-like messages to scene elements, drawn as RViz2's displays draw them.

Handles geometry_msgs PoseStamped, PoseWithCovarianceStamped, TransformStamped and
PoseArray, and nav_msgs Odometry and Path, read by attribute like the marker converter.
Each function returns one element placed in the message's ``header.frame_id`` (the node
puts it into that frame's group). The defaults are RViz2's (rviz_default_plugins,
displays/pose, pose_array, path): a pose is a red-orange arrow along its +X axis with a
1 m shaft and a 0.3 m head, a pose array is flat arrows 0.3 m long, a path a green line
one pixel wide. NaN or infinity raises PoseError.
"""

from dataclasses import dataclass, replace
import math
from typing import Optional, Sequence

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.covariance import covariance_elements, CovarianceStyle
from vuer_ros.convert.transforms import finite, finite_array, quaternion_to_euler
from vuer_ros.schemas import CoordsMarker, Element, group

RGBA = tuple[float, float, float, float]

#: RViz2's pose colour, QColor(255, 25, 0), alpha 1 (pose_display.cpp, odometry_display.cpp,
#: pose_array_display.cpp, pose_with_covariance_display.cpp).
POSE_COLOR: RGBA = (1.0, 25 / 255, 0.0, 1.0)
#: RViz2's path colour, QColor(25, 255, 0), alpha 1 (path_display.cpp).
PATH_COLOR: RGBA = (25 / 255, 1.0, 0.0, 1.0)
KINDS = ('arrow', 'axes', 'flat')
#: flat_arrows_array.cpp: the head's two strokes end 0.75 of the length along, 0.2 aside.
FLAT_HEAD = ((0.75, 0.2, 0.0), (0.75, -0.2, 0.0))


class PoseError(ValueError):
    """A pose message that cannot be drawn (NaN or infinite values)."""


def _check_sizes(style: object, names: Sequence[str]) -> None:
    if len(style.color) != 4 or not finite(style.color):
        raise ValueError(f'style color {style.color!r} is not four finite numbers')
    for name in names:
        value = getattr(style, name)
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f'style {name} {value!r} must be finite and >= 0')


@dataclass(frozen=True)
class PoseStyle:
    """
    How poses are drawn; the defaults are RViz2's PoseDisplay (pose_display.cpp).

    ``kind`` 'arrow': a shaft ``length`` long and ``diameter`` thick along the pose's +X,
    then a head ``head_length`` long and ``head_diameter`` thick, lit, in ``color`` (RGBA
    0..1). RViz2 names these thicknesses 'Shaft Radius' and 'Head Radius' but its Arrow
    takes them as diameters (rviz_rendering arrow.cpp), so its numbers mean these.
    'axes': the client's red/green/blue axes ``length`` long. 'flat' (pose arrays, as
    flat_arrows_array.cpp): unlit lines one pixel wide, ``length`` long, with a head.
    """

    kind: str = 'arrow'
    length: float = 1.0
    diameter: float = 0.05
    head_length: float = 0.3
    head_diameter: float = 0.1
    color: RGBA = POSE_COLOR

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f'pose style kind {self.kind!r} is not one of {KINDS}')
        _check_sizes(self, ('length', 'diameter', 'head_length', 'head_diameter'))

    def scaled(self, factor: float) -> 'PoseStyle':
        """Return the same shape ``factor`` times as big."""
        return replace(self, length=self.length * factor, diameter=self.diameter * factor,
                       head_length=self.head_length * factor,
                       head_diameter=self.head_diameter * factor)


AXES = PoseStyle(kind='axes')
#: RViz2's PoseArray shapes (pose_array_display.cpp), 0.3 m long each: 'Arrow (Flat)' (its
#: default, 'Arrow Length' 0.3), 'Arrow (3D)' (0.23 m shaft 0.01 m thick, 0.07 m head
#: 0.03 m thick) and 'Axes' ('Axes Length' 0.3).
RVIZ_ARRAY_LENGTH = 0.3
ARRAY_SHAPES = {
    'flat': PoseStyle(kind='flat', length=RVIZ_ARRAY_LENGTH),
    'arrow': PoseStyle(length=0.23, diameter=0.01, head_length=0.07, head_diameter=0.03),
    'axes': PoseStyle(kind='axes', length=RVIZ_ARRAY_LENGTH),
}


@dataclass(frozen=True)
class PathStyle:
    """
    How a Path is drawn; the defaults are RViz2's PathDisplay (path_display.cpp).

    Its 'Lines' style: an unlit line one pixel wide in ``color``; with ``billboards``, a
    line ``width`` metres wide (its 'Billboards' style and 'Line Width').
    """

    color: RGBA = PATH_COLOR
    width: float = 0.03
    billboards: bool = False

    def __post_init__(self) -> None:
        _check_sizes(self, ('width',))


def _placement(position: object, orientation: object, what: str) -> dict:
    """``position`` and three.js ``rotation`` props of a pose; PoseError for NaN."""
    p, o = position, orientation
    xyz, quaternion = (p.x, p.y, p.z), (o.x, o.y, o.z, o.w)
    if not (finite(xyz) and finite(quaternion)):
        raise PoseError(f'{what} contains NaN or infinite values')
    return {'position': list(xyz), 'rotation': quaternion_to_euler(quaternion)}


def _shape(key: str, style: PoseStyle) -> list[Element]:
    """Build the pose's shape in its own frame: RViz2's arrow along +X, or axes."""
    if style.kind == 'axes':
        return [CoordsMarker(key=f'{key}/axes', scale=float(style.length))]
    return geometry.arrow_meshes(
        key, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0),
        (style.length, style.diameter, style.diameter),
        (style.head_length, style.head_diameter, style.head_diameter),
        geometry.material(style.color))


def _placed(key: str, placement: dict, style: PoseStyle) -> Element:
    if style.kind == 'axes':
        return CoordsMarker(key=key, scale=float(style.length), **placement)
    return group(*_shape(key, style), key=key, **placement)


def pose_element(pose: object, key: str, style: PoseStyle = PoseStyle(),
                 what: str = 'pose') -> Element:
    """Draw a geometry_msgs Pose in ``style``; ``what`` names it in errors."""
    return _placed(key, _placement(pose.position, pose.orientation, what), style)


def pose_stamped_to_element(msg: object, key: str, style: PoseStyle = PoseStyle()) -> Element:
    """geometry_msgs PoseStamped."""
    return pose_element(msg.pose, key, style)


def pose_with_covariance_to_element(msg: object, key: str, style: PoseStyle = PoseStyle(),
                                    covariance: Optional[CovarianceStyle] = None) -> Element:
    """
    geometry_msgs PoseWithCovarianceStamped, or nav_msgs Odometry: both hold pose.pose.

    A group at the pose holding its shape and, unless ``covariance`` is None, the
    covariance as RViz2 draws it. Raises PoseError for the pose, then CovarianceError
    (a ValueError, not a PoseError: the pose alone can still be drawn).
    """
    pose = msg.pose.pose
    placement = _placement(pose.position, pose.orientation, 'pose')
    children = _shape(key, style)
    if covariance is not None:
        o = pose.orientation
        children += covariance_elements(key, msg.pose.covariance, (o.x, o.y, o.z, o.w),
                                        covariance)
    return group(children=children, key=key, **placement)


odometry_to_element = pose_with_covariance_to_element


def transform_stamped_to_element(msg: object, key: str, style: PoseStyle = AXES) -> Element:
    """geometry_msgs TransformStamped: ``child_frame_id`` placed in ``header.frame_id``."""
    transform = msg.transform
    return _placed(key, _placement(transform.translation, transform.rotation, 'transform'),
                   style)


def pose_array_to_element(msg: object, key: str,
                          style: PoseStyle = ARRAY_SHAPES['flat']) -> Element:
    """
    geometry_msgs PoseArray: a group in the array's frame.

    Flat arrows are one line list ``key/line`` (as RViz2 draws them in one object);
    arrows and axes are one child ``key/<index>`` per pose.
    """
    if style.kind != 'flat':
        return group(children=[pose_element(pose, f'{key}/{index}', style, f'pose {index}')
                               for index, pose in enumerate(msg.poses)], key=key)
    poses = np.array([(p.position.x, p.position.y, p.position.z, p.orientation.x,
                       p.orientation.y, p.orientation.z, p.orientation.w)
                      for p in msg.poses], dtype=np.float64).reshape(-1, 7)
    bad = np.flatnonzero(~np.isfinite(poses).all(axis=1))
    if len(bad):
        raise PoseError(f'pose {bad[0]} contains NaN or infinite values')
    if not len(poses):
        return group(children=[], key=key)
    return group(children=[geometry.line(key, _flat_arrows(poses, style.length), 1.0,
                                         style.color, segments=True, world_units=False)],
                 key=key)


def _flat_arrows(poses: np.ndarray, length: float) -> np.ndarray:
    """
    flat_arrows_array.cpp: per pose, base to tip and the head's two strokes (6 points).

    Quaternions are normalised (all zeros: the identity), as for the other shapes.
    """
    tip = (1.0, 0.0, 0.0)
    local = np.array([(0.0, 0.0, 0.0), tip, tip, FLAT_HEAD[0], tip, FLAT_HEAD[1]]) * length
    q = poses[:, 3:]
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.where(norms > 1e-12, q / np.where(norms > 1e-12, norms, 1.0), (0.0, 0.0, 0.0, 1.0))
    u, w = q[:, None, :3], q[:, None, 3:]
    # v' = v + 2w (u x v) + u x (2 u x v), for every pose and point at once.
    twice = 2.0 * np.cross(u, local[None])
    rotated = local[None] + w * twice + np.cross(u, twice)
    return (poses[:, None, :3] + rotated).reshape(-1, 3)


def path_to_element(msg: object, key: str, style: PathStyle = PathStyle()) -> Element:
    """
    nav_msgs Path: a line through its poses' positions, in ``style``.

    The poses' own headers are ignored, as RViz2 does: the path's frame counts.
    """
    points = np.array([(s.pose.position.x, s.pose.position.y, s.pose.position.z)
                       for s in msg.poses], dtype=np.float64).reshape(-1, 3)
    if not finite_array(points):
        raise PoseError('path contains NaN or infinite positions')
    if len(points) < 2:
        return group(children=[], key=key)
    if style.billboards:
        line = geometry.line(key, points, style.width, style.color)
    else:
        line = geometry.line(key, points, 1.0, style.color, world_units=False)
    return group(children=[line], key=key)
