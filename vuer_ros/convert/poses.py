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
Pose-like messages to scene elements: axes or arrows, pose arrays and paths.

Handles geometry_msgs PoseStamped, PoseWithCovarianceStamped, TransformStamped and
PoseArray, and nav_msgs Odometry and Path, read by attribute like the marker converter.
Each function returns one element placed in the message's ``header.frame_id`` (the node
puts it into that frame's group). Defaults follow Foxglove's 3D panel: a pose is an arrow
along its +X axis, a path a line 0.2 m wide. NaN or infinity raises PoseError.
"""

from dataclasses import dataclass
import math
from typing import Sequence

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.transforms import finite, finite_array, quaternion_to_euler
from vuer_ros.schemas import CoordsMarker, Element, group

#: Foxglove's default pose colour (RGBA 0..1).
DEFAULT_COLOR = (124 / 255, 107 / 255, 1.0, 1.0)
KINDS = ('axes', 'arrow')


class PoseError(ValueError):
    """A pose message that cannot be drawn (NaN or infinite values)."""


@dataclass(frozen=True)
class PoseStyle:
    """
    How poses are drawn.

    ``kind`` 'arrow': an arrow ``length`` long along the pose's +X, shaft ``radius``,
    head 0.23 of the length and twice the shaft's width (RViz's marker proportions), in
    ``color`` (RGBA 0..1). ``kind`` 'axes': the client's red/green/blue axes ``length``
    long (their thickness is the client's, ``radius`` does not apply). ``line_width``:
    width of a Path's line in metres, drawn in ``color``.
    """

    kind: str = 'arrow'
    length: float = 1.0
    radius: float = 0.075
    color: tuple[float, float, float, float] = DEFAULT_COLOR
    line_width: float = 0.2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f'pose style kind {self.kind!r} is not one of {KINDS}')
        if len(self.color) != 4 or not finite(self.color):
            raise ValueError(f'pose style color {self.color!r} is not four finite numbers')
        for name in ('length', 'radius', 'line_width'):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f'pose style {name} {value!r} must be finite and >= 0')


AXES = PoseStyle(kind='axes')


def _placed(key: str, position: Sequence[float], quaternion: Sequence[float],
            style: PoseStyle, what: str) -> Element:
    if not (finite(position) and finite(quaternion)):
        raise PoseError(f'{what} contains NaN or infinite values')
    position = list(position)
    rotation = quaternion_to_euler(quaternion)
    if style.kind == 'axes':
        return CoordsMarker(key=key, position=position, rotation=rotation,
                            scale=float(style.length))
    width = 2.0 * style.radius
    arrow = geometry.pose_arrow(key, style.length, width, width, geometry.material(style.color))
    return group(*arrow, key=key, position=position, rotation=rotation)


def pose_element(pose: object, key: str, style: PoseStyle = PoseStyle(),
                 what: str = 'pose') -> Element:
    """Draw a geometry_msgs Pose in ``style``; ``what`` names it in errors."""
    p, o = pose.position, pose.orientation
    return _placed(key, (p.x, p.y, p.z), (o.x, o.y, o.z, o.w), style, what)


def pose_stamped_to_element(msg: object, key: str, style: PoseStyle = PoseStyle()) -> Element:
    """geometry_msgs PoseStamped."""
    return pose_element(msg.pose, key, style)


def pose_with_covariance_to_element(msg: object, key: str,
                                    style: PoseStyle = PoseStyle()) -> Element:
    """
    geometry_msgs PoseWithCovarianceStamped, or nav_msgs Odometry: both hold pose.pose.

    The covariance is not drawn.
    """
    return pose_element(msg.pose.pose, key, style)


odometry_to_element = pose_with_covariance_to_element


def transform_stamped_to_element(msg: object, key: str, style: PoseStyle = AXES) -> Element:
    """geometry_msgs TransformStamped: ``child_frame_id`` placed in ``header.frame_id``."""
    t, r = msg.transform.translation, msg.transform.rotation
    return _placed(key, (t.x, t.y, t.z), (r.x, r.y, r.z, r.w), style, 'transform')


def pose_array_to_element(msg: object, key: str, style: PoseStyle = PoseStyle()) -> Element:
    """geometry_msgs PoseArray: a group with one child ``key/<index>`` per pose."""
    return group(children=[pose_element(pose, f'{key}/{index}', style, f'pose {index}')
                           for index, pose in enumerate(msg.poses)], key=key)


def path_to_element(msg: object, key: str, style: PoseStyle = PoseStyle()) -> Element:
    """
    nav_msgs Path: a line ``style.line_width`` wide through its poses' positions.

    The poses' own headers are ignored, as RViz and Foxglove do: the path's frame counts.
    """
    points = np.array([(s.pose.position.x, s.pose.position.y, s.pose.position.z)
                       for s in msg.poses], dtype=np.float64).reshape(-1, 3)
    if not finite_array(points):
        raise PoseError('path contains NaN or infinite positions')
    if len(points) < 2:
        return group(children=[], key=key)
    return group(children=[geometry.line(key, points, style.line_width, style.color)], key=key)
