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
The Range display: sensor_msgs/Range as RViz2's cone, with its buffer of readings.

As rviz_default_plugins' range_display.cpp: white, half transparent, one cone per reading
in a ring of ``range_buffer_length`` cones, each left in the fixed frame where the sensor
was when it arrived; a reading RViz2 does not show (out of limits, +Inf, NaN) empties its
slot of the ring.
"""

from vuer_ros.convert.ranges import range_to_element
from vuer_ros.displays.base import Param
from vuer_ros.displays.shapes import alpha_param, color_param, ShapeDisplay

RANGE_COLOR = color_param('range_color', '255; 255; 255', 'Range cones')
RANGE_ALPHA = alpha_param('range_alpha', 0.5, 'Range cones')
RANGE_BUFFER = Param('range_buffer_length', 1, 'Range readings shown per topic (the newest '
                     "ones), as RViz2's Buffer Length.", low=1, high=100000)


class RangeDisplay(ShapeDisplay):
    """sensor_msgs/Range: a cone over the field of view, as long as the reading."""

    kind = 'range'
    message_type = 'sensor_msgs/msg/Range'
    options = (RANGE_COLOR, RANGE_ALPHA, RANGE_BUFFER)
    color, alpha, history = RANGE_COLOR, RANGE_ALPHA, RANGE_BUFFER
    # Every reading takes a slot of the buffer, as RViz2 draws every message.
    newest_only = False
    # RViz2 places each cone in the fixed frame once (range_display.cpp:126-135).
    frame_locked = False
    convert = staticmethod(range_to_element)


DISPLAYS = (RangeDisplay,)
