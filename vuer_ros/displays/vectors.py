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
The Wrench, TwistStamped and AccelStamped displays: RViz2's force and velocity arrows.

RViz2 has all three in its default plugins (``WrenchDisplay``; ``TwistStampedDisplay``
and ``AccelStampedDisplay``, both a ``ScrewDisplay``), drawn alike by the pure converter
``convert.vectors``. Each kind has RViz2's properties as parameters, with its defaults.
RViz2's "History Length" (default 1) is not offered: only the newest message is drawn,
so these displays are newest-only and ``max_rate`` applies.
"""

from typing import Any, Callable, ClassVar

from vuer_ros.convert.vectors import (accel_to_element, ANGULAR_COLOR, LINEAR_COLOR,
                                      ScrewStyle, twist_to_element, VectorError,
                                      wrench_to_element)
from vuer_ros.displays.base import Display, DisplayContext, Param
from vuer_ros.displays.shapes import alpha_param, color_param, option_color
from vuer_ros.schemas import Element

ACCEPT_NAN = Param('wrench_accept_nan_values', False,
                   'Draw NaN force or torque components as 0 instead of dropping the message.')


def screw_options(kind: str, names: tuple[str, str],
                  units: tuple[str, str]) -> tuple[Param, ...]:
    """
    Return RViz2's ScrewDisplay / WrenchDisplay properties (screw_display.cpp:62-117).

    ``names`` are the linear and angular parts' names, ``units`` their vectors' units;
    the first two are the parts' colours.
    """
    (lin, ang), (lin_unit, ang_unit) = names, units
    return (
        color_param(f'{kind}_{lin}_color', LINEAR_COLOR, f'the {lin} arrow'),
        color_param(f'{kind}_{ang}_color', ANGULAR_COLOR, f'the {ang} arrow and circle'),
        alpha_param(f'{kind}_alpha', 1.0, f'the {kind} arrows'),
        Param(f'{kind}_{lin}_scale', 2.0, f'Shaft length of the {lin} arrow per {lin_unit}, '
              'in metres (the head adds 30 %).', low=0.0, high=1e6),
        Param(f'{kind}_{ang}_scale', 2.0, f'Shaft length of the {ang} arrow per {ang_unit}, '
              'in metres (the head adds 30 %).', low=0.0, high=1e6),
        Param(f'{kind}_width', 0.5, f'Width of the {kind} arrows, in metres (their shaft '
              'is a tenth of it).', low=0.0, high=1000.0),
    )


class ScrewDisplay(Display):
    """A linear and an angular vector drawn as arrows (the base of the kinds below)."""

    newest_only = True
    #: Names of the two parts in parameters and element keys.
    linear: ClassVar[str] = 'linear'
    angular: ClassVar[str] = 'angular'
    #: Draws one message as an element; raises VectorError for what can't be drawn.
    convert: Callable[[Any, str, ScrewStyle], Element]
    #: The ScrewStyle field the kind's switch() parameter sets.
    switch_field: ClassVar[str] = 'hide_small_values'

    def __init_subclass__(cls, units: tuple[str, str], **kwargs: Any) -> None:
        """Give a kind RViz2's properties; ``units`` are those of its two vectors."""
        super().__init_subclass__(**kwargs)
        cls.options = (*screw_options(cls.kind, (cls.linear, cls.angular), units),
                       cls.switch())

    @classmethod
    def switch(cls) -> Param:
        """Return RViz2's "Hide Small Values" of the screw displays (screw_display.cpp:116)."""
        return Param(f'{cls.kind}_hide_small_values', True,
                     f'Hide {cls.kind} arrows no longer than their width.')

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        # Parameters are read once at start: the style never changes.
        linear_color, angular_color = self.options[:2]
        self.style = ScrewStyle(
            linear_color=option_color(context, linear_color),
            angular_color=option_color(context, angular_color),
            alpha=self._option('alpha'), linear_scale=self._option(f'{self.linear}_scale'),
            angular_scale=self._option(f'{self.angular}_scale'), width=self._option('width'),
            **{self.switch_field: context.options[self.switch().name]})

    def _option(self, name: str) -> Any:
        return self.context.options[f'{self.kind}_{name}']

    def on_message(self, message: Any) -> None:
        """Draw the arrows at the origin of the header's frame, replacing the previous ones."""
        key = f'{self.kind}:{self.topic}'
        try:
            element = self.convert(message, key, self.style)
        except VectorError as error:
            self.context.warn(f'{key}:error', f'{self.topic}: {error}; not drawn')
            return
        self.context.scene.draw(self.group, key, message.header.frame_id, element,
                                stamp=message.header.stamp)


class WrenchDisplay(ScrewDisplay, units=('N', 'N m')):
    """geometry_msgs/WrenchStamped: force and torque arrows, as RViz2's Wrench display."""

    kind = 'wrench'
    message_type = 'geometry_msgs/msg/WrenchStamped'
    linear = 'force'
    angular = 'torque'
    convert = staticmethod(wrench_to_element)
    # Small arrows always hide: RViz2's WrenchVisual has no switch (wrench_visual.cpp:83).
    switch_field = 'accept_nan'

    @classmethod
    def switch(cls) -> Param:
        """Return RViz2's "Accept NaN Values" (wrench_display.cpp:55-58)."""
        return ACCEPT_NAN


class TwistDisplay(ScrewDisplay, units=('m/s', 'rad/s')):
    """geometry_msgs/TwistStamped: linear and angular velocity, as RViz2's TwistStamped."""

    kind = 'twist'
    message_type = 'geometry_msgs/msg/TwistStamped'
    convert = staticmethod(twist_to_element)


class AccelDisplay(ScrewDisplay, units=('m/s^2', 'rad/s^2')):
    """geometry_msgs/AccelStamped: linear and angular acceleration, as RViz2 draws them."""

    kind = 'accel'
    message_type = 'geometry_msgs/msg/AccelStamped'
    convert = staticmethod(accel_to_element)


DISPLAYS = (WrenchDisplay, TwistDisplay, AccelDisplay)
