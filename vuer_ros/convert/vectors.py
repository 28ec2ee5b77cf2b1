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
Wrenches, twists and accelerations to scene elements, drawn as RViz2 draws them.

RViz2 draws all three with one picture (rviz_rendering ``WrenchVisual`` and its copy
``ScrewVisual``): the linear part (force, velocity, acceleration) is an arrow along the
vector; the angular part (torque, angular velocity or acceleration) is an arrow along its
axis with a circle around that axis, near the middle of the arrow, ending in a small arrow
head that shows the sense of rotation (right-hand rule). Arrows are ``|v| * scale`` long
and are hidden when that is not longer than the arrow width. Everything is at the origin
of the message's frame, in that frame. NaN or infinity raises VectorError.
"""

from dataclasses import dataclass
import math
from typing import Sequence

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.transforms import (
    finite, IDENTITY_QUATERNION, quaternion_from_to, rotate, Vector3)
from vuer_ros.schemas import Element, group

#: RViz2's default colours, as its config files write them (screw_display.cpp:63,72 and
#: wrench_display.cpp:61,65).
LINEAR_COLOR = '204; 51; 51'
ANGULAR_COLOR = '204; 204; 51'
#: rviz_rendering::Arrow's shape before scaling (arrow.hpp:78-79): a shaft 1 long and
#: 0.1 across, a head 0.3 long and 0.2 across; setScale(length, width, width) stretches
#: the whole arrow, so the head is 0.3 of the vector's drawn length (arrow.cpp:135-139).
SHAFT_DIAMETER, HEAD_LENGTH, HEAD_DIAMETER = 0.1, 0.3, 0.2
#: The rotation circle (screw_visual.cpp:95-114): radius a quarter of the angular arrow's
#: length, half that length up its axis, drawn from the 4th to the 32nd of 32 segments,
#: its line 0.05 of the arrow width; its head 0.1 x width long and 0.2 x width across.
CIRCLE_SEGMENTS, CIRCLE_FIRST_SEGMENT = 32, 4
CIRCLE_LINE_WIDTH, CIRCLE_HEAD_LENGTH, CIRCLE_HEAD_DIAMETER = 0.05, 0.1, 0.2

_Z = (0.0, 0.0, 1.0)


class VectorError(ValueError):
    """A message that cannot be drawn (NaN or infinite values)."""


@dataclass(frozen=True)
class ScrewStyle:
    """
    How a screw or wrench is drawn; the defaults are RViz2's (screw_display.cpp:62-117).

    ``linear_scale`` and ``angular_scale`` are metres of arrow per unit of the vector;
    ``width`` is the arrow width (its shaft is 0.1 of it); with ``hide_small_values``,
    arrows no longer than ``width`` are not drawn. ``accept_nan`` draws NaN components
    as 0, as the "Accept NaN Values" of RViz2's Wrench display (wrench_display.cpp:146-156).
    """

    linear_color: tuple[float, float, float] = geometry.parse_color(LINEAR_COLOR)
    angular_color: tuple[float, float, float] = geometry.parse_color(ANGULAR_COLOR)
    alpha: float = 1.0
    linear_scale: float = 2.0
    angular_scale: float = 2.0
    width: float = 0.5
    hide_small_values: bool = True
    accept_nan: bool = False


def _xyz(vector: object) -> Vector3:
    return (vector.x, vector.y, vector.z)


def _length(vector: Vector3) -> float:
    return math.sqrt(sum(c * c for c in vector))


def _arrow(key: str, vector: Vector3, length: float, width: float, mat: dict) -> list:
    """Build RViz's Arrow along ``vector``, scaled to (length, width, width) (arrow.cpp:135)."""
    norm = _length(vector)
    direction = tuple(c / norm for c in vector)
    return geometry.arrow_meshes(key, (0.0, 0.0, 0.0), direction,
                                 (length, SHAFT_DIAMETER * width, SHAFT_DIAMETER * width),
                                 (HEAD_LENGTH * length, HEAD_DIAMETER * width,
                                  HEAD_DIAMETER * width), mat)


def _rotation_circle(key: str, vector: Vector3, length: float, width: float,
                     rgba: Sequence[float], mat: dict) -> list:
    """
    Draw the circle around the angular arrow and its arrow head (screw_visual.cpp:89-114).

    The circle lies in the XY plane turned onto the vector (Ogre's shortest-arc
    ``getRotationTo``, identity for a zero vector) and ends at angle 0, where the head
    points along the turned +Y: counter-clockwise seen from the arrow's tip.
    """
    norm = _length(vector)
    turn = quaternion_from_to(_Z, tuple(c / norm for c in vector)) if norm else IDENTITY_QUATERNION
    radius, height = length / 4.0, length / 2.0
    children = []
    if length > 0.0:
        angles = (2.0 * math.pi / CIRCLE_SEGMENTS
                  * np.arange(CIRCLE_FIRST_SEGMENT, CIRCLE_SEGMENTS + 1))
        points = np.array([rotate(turn, (radius * math.cos(a), radius * math.sin(a), height))
                           for a in angles])
        children.append(geometry.line(f'{key}/circle', points, CIRCLE_LINE_WIDTH * width,
                                      rgba))
    # RViz sets this arrow's shaft length to 0: only its head shows.
    head = geometry.arrow_meshes(
        f'{key}/circle_head', rotate(turn, (radius, 0.0, height)),
        rotate(turn, (0.0, 1.0, 0.0)), (0.0, 0.0, 0.0),
        (CIRCLE_HEAD_LENGTH * width, CIRCLE_HEAD_DIAMETER * width,
         CIRCLE_HEAD_DIAMETER * width), mat)[-1]
    return [*children, head]


def screw_to_element(key: str, linear: Vector3, angular: Vector3,
                     style: ScrewStyle = ScrewStyle(),
                     names: tuple[str, str] = ('linear', 'angular')) -> Element:
    """
    Draw a linear and an angular vector as RViz2's ScrewVisual::setScrew does.

    Children are keyed ``key/<names[0]>`` (the linear arrow) and ``key/<names[1]>``
    (the angular arrow, ``.../circle`` and ``.../circle_head``); a hidden part has none.
    """
    if style.accept_nan:
        linear, angular = (tuple(0.0 if math.isnan(c) else c for c in v)
                           for v in (linear, angular))
    if not (finite(linear) and finite(angular)):
        raise VectorError('Message contained invalid floating point values (nans or infs)')
    children = []
    linear_length = _length(linear) * style.linear_scale
    if linear_length > style.width or not style.hide_small_values:
        if linear_length > 0.0:
            children += _arrow(f'{key}/{names[0]}', linear, linear_length, style.width,
                               geometry.material((*style.linear_color, style.alpha)))
    angular_length = _length(angular) * style.angular_scale
    if angular_length > style.width or not style.hide_small_values:
        rgba = (*style.angular_color, style.alpha)
        mat = geometry.material(rgba)
        if angular_length > 0.0:
            children += _arrow(f'{key}/{names[1]}', angular, angular_length, style.width,
                               mat)
        children += _rotation_circle(f'{key}/{names[1]}', angular, angular_length,
                                     style.width, rgba, mat)
    return group(children=children, key=key)


def wrench_to_element(msg: object, key: str, style: ScrewStyle = ScrewStyle()) -> Element:
    """geometry_msgs WrenchStamped: force and torque (wrench_display.cpp:199-207)."""
    return screw_to_element(key, _xyz(msg.wrench.force), _xyz(msg.wrench.torque), style,
                            ('force', 'torque'))


def twist_to_element(msg: object, key: str, style: ScrewStyle = ScrewStyle()) -> Element:
    """geometry_msgs TwistStamped: linear and angular velocity (twist_display.cpp:40)."""
    return screw_to_element(key, _xyz(msg.twist.linear), _xyz(msg.twist.angular), style)


def accel_to_element(msg: object, key: str, style: ScrewStyle = ScrewStyle()) -> Element:
    """geometry_msgs AccelStamped: linear and angular acceleration (accel_display.cpp:48)."""
    return screw_to_element(key, _xyz(msg.accel.linear), _xyz(msg.accel.angular), style)
