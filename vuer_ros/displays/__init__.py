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
The display registry: every message family the viewer shows, one module each.

Adding a display kind is one new module (its ``Display`` subclasses and their ``DISPLAYS``
tuple), one line here, and its tests: the node, ``config/viewer.yaml``, the launch
file's arguments and the README's parameter table are all derived from this list.
"""

from vuer_ros.displays import (camera_info, frames, images, maps, markers, odometry, paths,
                               point_clouds, poses, ranges, robot_model, sensor_points,
                               shapes, vectors)
from vuer_ros.displays.base import Display

#: Every display kind, in the order the configuration lists them.
DISPLAYS: tuple[type[Display], ...] = (
    *markers.DISPLAYS,
    *poses.DISPLAYS,
    *odometry.DISPLAYS,
    *paths.DISPLAYS,
    *frames.DISPLAYS,
    *shapes.DISPLAYS,
    *ranges.DISPLAYS,
    *camera_info.DISPLAYS,
    *vectors.DISPLAYS,
    *sensor_points.DISPLAYS,
    *robot_model.DISPLAYS,
    *point_clouds.DISPLAYS,
    *maps.DISPLAYS,
    *images.DISPLAYS,
)

#: ROS message type name -> the display that shows it (for topics found on the graph).
BY_MESSAGE_TYPE: dict[str, type[Display]] = {kind.message_type: kind for kind in DISPLAYS}

__all__ = ['BY_MESSAGE_TYPE', 'DISPLAYS', 'Display']
