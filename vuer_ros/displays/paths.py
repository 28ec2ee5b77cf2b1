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

"""The Path display: nav_msgs/Path drawn as a line through its poses."""

from vuer_ros.convert.poses import path_to_element, PoseStyle
from vuer_ros.displays.base import Param
from vuer_ros.displays.poses import PoseDisplay

WIDTH = Param('path_width', 0.02, 'Width of nav_msgs/Path lines, in metres.',
              low=0.0001, high=10.0)


class PathDisplay(PoseDisplay):
    """nav_msgs/Path: the newest path replaces the previous one."""

    kind = 'path'
    message_type = 'nav_msgs/msg/Path'
    options = (WIDTH,)
    convert = staticmethod(path_to_element)

    def style(self) -> PoseStyle:
        """Draw a line of the configured width."""
        return PoseStyle(line_width=self.context.options[WIDTH.name])


DISPLAYS = (PathDisplay,)
