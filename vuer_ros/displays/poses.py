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
Pose displays: PoseStamped, PoseWithCovarianceStamped and PoseArray, as axes or arrows.

Only the newest pose of a topic matters, so these displays are newest-only: older
messages waiting for the loop are dropped and ``max_rate`` bounds the drawing rate.
"""

from typing import Any, Callable

from vuer_ros.convert.poses import (pose_array_to_element, pose_stamped_to_element,
                                    pose_with_covariance_to_element, PoseError, PoseStyle)
from vuer_ros.displays.base import Display, Param
from vuer_ros.schemas import Element

STYLE = Param('pose_style', 'axes', 'How poses are drawn: axes or arrow.',
              choices=('axes', 'arrow'))
LENGTH = Param('pose_length', 0.5, 'Length of pose axes or arrows, in metres.',
               low=0.001, high=100.0)
RADIUS = Param('pose_radius', 0.03, 'Thickness of pose axes or arrows, in metres.',
               low=0.0001, high=10.0)


class PoseDisplay(Display):
    """geometry_msgs/PoseStamped: one pose, drawn in its frame."""

    kind = 'pose'
    message_type = 'geometry_msgs/msg/PoseStamped'
    options = (STYLE, LENGTH, RADIUS)
    newest_only = True
    #: Draws one message as an element; raises PoseError for what can't be drawn.
    convert: Callable[[Any, str, PoseStyle], Element] = staticmethod(pose_stamped_to_element)

    def style(self) -> PoseStyle:
        """Return the style the options ask for."""
        options = self.context.options
        return PoseStyle(kind=options[STYLE.name], length=options[LENGTH.name],
                         radius=options[RADIUS.name])

    def on_message(self, message: Any) -> None:
        """Draw the pose in its header's frame, replacing the previous one."""
        key = f'{self.kind}:{self.topic}'
        try:
            element = self.convert(message, key, self.style())
        except PoseError as error:
            self.context.warn(f'{key}:error', f'{self.topic}: {error}; not drawn')
            return
        self.context.scene.draw(self.group, key, message.header.frame_id, element)


class PoseCovarianceDisplay(PoseDisplay):
    """geometry_msgs/PoseWithCovarianceStamped: the pose (covariance not drawn yet)."""

    kind = 'pose_covariance'
    message_type = 'geometry_msgs/msg/PoseWithCovarianceStamped'
    convert = staticmethod(pose_with_covariance_to_element)


class PoseArrayDisplay(PoseDisplay):
    """geometry_msgs/PoseArray: every pose of the array."""

    kind = 'pose_array'
    message_type = 'geometry_msgs/msg/PoseArray'
    convert = staticmethod(pose_array_to_element)


DISPLAYS = (PoseDisplay, PoseCovarianceDisplay, PoseArrayDisplay)
