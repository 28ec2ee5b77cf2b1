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
Pose displays: PoseStamped, PoseWithCovarianceStamped and PoseArray, as RViz2 shows them.

Defaults are RViz2's (rviz_default_plugins displays/pose, pose_covariance, pose_array and
rviz_common's CovarianceProperty): a red-orange arrow, the covariance as an ellipsoid and
orientation discs, a pose array as flat arrows. Only the newest pose of a topic matters,
so these displays are newest-only: older messages waiting for the loop are dropped and
``max_rate`` bounds the drawing rate.
"""

from dataclasses import replace
from typing import Any, Callable, Optional

from vuer_ros.convert.covariance import CovarianceError, CovarianceStyle
from vuer_ros.convert.poses import (ARRAY_SHAPES, pose_array_to_element,
                                    pose_stamped_to_element, pose_with_covariance_to_element,
                                    PoseError, PoseStyle, RVIZ_ARRAY_LENGTH)
from vuer_ros.displays.base import Display, DisplayContext, Param
from vuer_ros.displays.shapes import alpha_param, color_param, option_color
from vuer_ros.schemas import Element

STYLE = Param('pose_style', 'arrow', 'How PoseStamped, PoseWithCovarianceStamped and '
              "Odometry poses are drawn: arrow (RViz2's default) or axes.",
              choices=('arrow', 'axes'))
LENGTH = Param('pose_length', 1.0, "Length of a pose arrow's shaft, or of each pose axis, "
               'in metres (RViz2: 1).', low=0.001, high=100.0)
RADIUS = Param('pose_radius', 0.05, "Thickness of a pose arrow's shaft, in metres: RViz2's "
               'Shaft Radius, which RViz2 draws as the diameter (0.05).', low=0.0001, high=10.0)
HEAD_LENGTH = Param('pose_head_length', 0.3, "Length of a pose arrow's head, in metres "
                    '(RViz2: 0.3).', low=0.0, high=100.0)
HEAD_RADIUS = Param('pose_head_radius', 0.1, "Thickness of a pose arrow's head, in metres: "
                    "RViz2's Head Radius, drawn as the diameter (0.1).", low=0.0, high=10.0)
COLOR = color_param('pose_color', '255; 25; 0', 'pose arrows and pose arrays')
ALPHA = alpha_param('pose_alpha', 1.0, 'pose arrows and pose arrays')
POSE_OPTIONS = (STYLE, LENGTH, RADIUS, HEAD_LENGTH, HEAD_RADIUS, COLOR, ALPHA)

COVARIANCE = Param('covariance', True, 'Draw the covariance of PoseWithCovarianceStamped and '
                   'Odometry as RViz2 does: an ellipsoid of the position standard deviations '
                   'and the orientation uncertainty around the pose axes.')


def _covariance_part(part: str, color: str, alpha: float, what: str) -> tuple[Param, ...]:
    """Scale, colour and opacity of one part of the covariance, RViz2's defaults given."""
    return (Param(f'covariance_{part}_scale', 1.0, f'Standard deviations {what} spans each '
                  'way.', low=0.0, high=100.0),
            color_param(f'covariance_{part}_color', color, what),
            alpha_param(f'covariance_{part}_alpha', alpha, what))


# rviz_common/properties/covariance_property.cpp: Position and Orientation defaults.
POSITION_SCALE, POSITION_COLOR, POSITION_ALPHA = _covariance_part(
    'position', '204; 51; 204', 0.3, 'the position covariance ellipsoid')
ORIENTATION_SCALE, ORIENTATION_COLOR, ORIENTATION_ALPHA = _covariance_part(
    'orientation', '255; 255; 127', 0.5, 'the orientation covariance shapes')
COVARIANCE_OPTIONS = (COVARIANCE, POSITION_SCALE, POSITION_COLOR, POSITION_ALPHA,
                      ORIENTATION_SCALE, ORIENTATION_COLOR, ORIENTATION_ALPHA)

ARRAY_STYLE = Param('pose_array_style', 'flat', 'How PoseArray poses are drawn: flat '
                    "(RViz2's default: arrows of lines one pixel wide), arrow (3D) or axes.",
                    choices=('flat', 'arrow', 'axes'))
ARRAY_LENGTH = Param('pose_array_length', RVIZ_ARRAY_LENGTH, 'Length of each PoseArray '
                     "arrow or axis, in metres (RViz2: 0.3; 3D arrows keep RViz2's "
                     'proportions).', low=0.001, high=100.0)


class PoseDisplay(Display):
    """geometry_msgs/PoseStamped: one pose, drawn in its frame."""

    kind = 'pose'
    message_type = 'geometry_msgs/msg/PoseStamped'
    options = POSE_OPTIONS
    newest_only = True
    #: Draws one message as an element; raises PoseError for what can't be drawn.
    convert: Callable[..., Element] = staticmethod(pose_stamped_to_element)

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self.style = self.make_style()  # the options are read once, at start

    @property
    def key(self) -> str:
        """Scene key of what this topic draws (and of its warnings)."""
        return f'{self.kind}:{self.topic}'

    def make_style(self) -> Any:
        """Return the style the options ask for."""
        options = self.context.options
        return PoseStyle(kind=options[STYLE.name], length=options[LENGTH.name],
                         diameter=options[RADIUS.name], head_length=options[HEAD_LENGTH.name],
                         head_diameter=options[HEAD_RADIUS.name],
                         color=self.color(COLOR, ALPHA))

    def color(self, color: Param, alpha: Param) -> tuple[float, float, float, float]:
        """RGBA of a colour option and its alpha (RViz2's default colour, warned, if bad)."""
        return (*option_color(self.context, color), float(self.context.options[alpha.name]))

    def draw_message(self, message: Any, key: str) -> Element:
        """Return the element of one message; raise PoseError when it can't be drawn."""
        return self.convert(message, key, self.style)

    def element(self, message: Any, key: str) -> Optional[Element]:
        """Return the element of one message, or None after a warning naming the topic."""
        try:
            return self.draw_message(message, key)
        except PoseError as error:
            self.context.warn(f'{self.key}:error', f'{self.topic}: {error}; not drawn')
            return None

    def on_message(self, message: Any) -> None:
        """Draw the pose in its header's frame, replacing the previous one."""
        element = self.element(message, self.key)
        if element is not None:
            self.context.scene.draw(self.group, self.key, message.header.frame_id, element,
                                    stamp=message.header.stamp)


class PoseCovarianceDisplay(PoseDisplay):
    """geometry_msgs/PoseWithCovarianceStamped: the pose and its covariance."""

    kind = 'pose_covariance'
    message_type = 'geometry_msgs/msg/PoseWithCovarianceStamped'
    options = (*POSE_OPTIONS, *COVARIANCE_OPTIONS)
    convert = staticmethod(pose_with_covariance_to_element)

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        options = context.options
        self.covariance: Optional[CovarianceStyle] = CovarianceStyle(
            position_color=self.color(POSITION_COLOR, POSITION_ALPHA),
            position_scale=options[POSITION_SCALE.name],
            orientation_color=self.color(ORIENTATION_COLOR, ORIENTATION_ALPHA),
            orientation_scale=options[ORIENTATION_SCALE.name],
        ) if options[COVARIANCE.name] else None

    def draw_message(self, message: Any, key: str) -> Element:
        """Draw the pose with its covariance; a covariance that can't be drawn is left out."""
        try:
            return self.convert(message, key, self.style, self.covariance)
        except CovarianceError as error:
            self.context.warn(f'{self.key}:covariance',
                              f'{self.topic}: {error}; only the pose is drawn')
            return self.convert(message, key, self.style)


class PoseArrayDisplay(PoseDisplay):
    """geometry_msgs/PoseArray: every pose of the array."""

    kind = 'pose_array'
    message_type = 'geometry_msgs/msg/PoseArray'
    options = (ARRAY_STYLE, ARRAY_LENGTH, COLOR, ALPHA)
    convert = staticmethod(pose_array_to_element)

    def make_style(self) -> PoseStyle:
        """RViz2's PoseArray shape, ``pose_array_length`` long, in the pose colour."""
        options = self.context.options
        shape = replace(ARRAY_SHAPES[options[ARRAY_STYLE.name]], color=self.color(COLOR, ALPHA))
        return shape.scaled(options[ARRAY_LENGTH.name] / RVIZ_ARRAY_LENGTH)


DISPLAYS = (PoseDisplay, PoseCovarianceDisplay, PoseArrayDisplay)
