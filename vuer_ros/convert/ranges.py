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
sensor_msgs/Range to RViz2's cone: apex at the sensor, opening along +X over field_of_view.

Follows rviz_default_plugins' range_display.cpp: which reading is shown
(``displayed_range``, REP 117's infinities included) and the cone's size. Fields are read
by attribute, so real messages and plain objects both work.
"""

import math

from vuer_ros.convert import geometry
from vuer_ros.convert.shapes import RGBA, ShapeError
from vuer_ros.schemas import Cone, Element, group

#: three's cone points along local +Y; this turns +Y onto -X, so the apex sits at the
#: sensor and the base at the range (RViz2 turns its cone by the same quaternion
#: (0, 0, 0.707, 0.707), range_display.cpp, getPose).
_APEX_TO_SENSOR = [0.0, 0.0, math.pi / 2]


def displayed_range(msg: object) -> float:
    """
    Return the range RViz2 draws (0: nothing), as RViz2's getDisplayedRange decides.

    A reading within [min_range, max_range] is drawn; for a fixed-distance ranger
    (min_range == max_range) -Inf means an object within range, drawn at min_range;
    anything else (+Inf, NaN, out of limits) draws nothing.
    """
    value, low, high = msg.range, msg.min_range, msg.max_range
    if low <= value <= high:
        return float(value)
    if low == high and value == -math.inf:
        return float(low)
    return 0.0


def range_to_element(msg: object, key: str, rgba: RGBA) -> Element:
    """
    Build a group at the sensor holding the cone (none when RViz2 shows no reading).

    The cone is ``displayed_range`` long and 2 * range * tan(field_of_view / 2) across its
    base (range_display.cpp, processMessage); lit like RViz2's shape. The group has a
    rotation so the scene can freeze it where the sensor was (RViz2 leaves each cone of
    its buffer where it was drawn).
    """
    if not (math.isfinite(msg.field_of_view) and not math.isnan(msg.min_range)
            and not math.isnan(msg.max_range)):
        raise ShapeError('field_of_view, min_range or max_range is NaN (or field_of_view '
                         'infinite)')
    length = displayed_range(msg)
    children = []
    if length > 0.0:
        # A negative field of view mirrors RViz2's cone, which looks the same.
        width = abs(2.0 * length * math.tan(msg.field_of_view / 2.0))
        children.append(Cone(key=f'{key}/cone', args=[0.5, 1.0, geometry.SEGMENTS],
                             position=[length / 2.0, 0.0, 0.0], rotation=_APEX_TO_SENSOR,
                             scale=[width, length, width], material=geometry.material(rgba)))
    return group(children=children, key=key, position=[0.0, 0.0, 0.0], rotation=[0.0, 0.0, 0.0])
