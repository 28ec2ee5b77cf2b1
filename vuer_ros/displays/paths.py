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
The Path display: nav_msgs/Path drawn as a line through its poses, as RViz2 draws it.

RViz2's defaults (rviz_default_plugins displays/path/path_display.cpp): Line Style
'Lines', one pixel wide, unlit, colour (25, 255, 0), alpha 1; 'Billboards' are 0.03 m wide.
"""

from vuer_ros.convert.poses import path_to_element, PathStyle
from vuer_ros.displays.base import Param
from vuer_ros.displays.poses import PoseDisplay
from vuer_ros.displays.shapes import alpha_param, color_param

STYLE = Param('path_style', 'lines', "How nav_msgs/Path is drawn: lines (RViz2's default, "
              'one pixel wide) or billboards (path_width metres wide).',
              choices=('lines', 'billboards'))
WIDTH = Param('path_width', 0.03, 'Width of nav_msgs/Path billboards, in metres (RViz2: '
              '0.03).', low=0.001, high=10.0)
COLOR = color_param('path_color', '25; 255; 0', 'nav_msgs/Path lines')
ALPHA = alpha_param('path_alpha', 1.0, 'nav_msgs/Path lines')


class PathDisplay(PoseDisplay):
    """nav_msgs/Path: the newest path replaces the previous one."""

    kind = 'path'
    message_type = 'nav_msgs/msg/Path'
    options = (STYLE, WIDTH, COLOR, ALPHA)
    convert = staticmethod(path_to_element)

    def make_style(self) -> PathStyle:
        """Draw lines or billboards in the configured colour."""
        options = self.context.options
        return PathStyle(color=self.color(COLOR, ALPHA), width=options[WIDTH.name],
                         billboards=options[STYLE.name] == 'billboards')


DISPLAYS = (PathDisplay,)
