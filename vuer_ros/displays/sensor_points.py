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
The Illuminance, Temperature, RelativeHumidity and FluidPressure displays: one coloured point.

RViz2 shows each reading as a one-point cloud at the origin of the message's frame,
coloured by the rainbow between bounds fixed per type (``PointCloudScalarDisplay`` and
e.g. temperature_display.cpp); the pure converter is ``convert.sensor_points``. Each kind
takes the cloud properties RViz2 leaves visible (style, size, alpha, min and max). RViz2's
default "Decay Time" of 0 shows only the latest reading, so these displays are newest-only.
"""

import re
from typing import Any, ClassVar

from vuer_ros.convert.sensor_points import scalar_to_element, ScalarError, ScalarStyle, STYLES
from vuer_ros.displays.base import Display, DisplayContext, Param
from vuer_ros.displays.shapes import alpha_param


def scalar_options(kind: str, unit: str, low: float, high: float,
                   invert: bool = False) -> tuple[Param, ...]:
    """
    Return the point-cloud properties of one kind (point_cloud_common.cpp:106-135).

    ``low`` and ``high`` are its Min and Max Intensity; ``invert`` its Invert Rainbow.
    """
    name = kind.replace('_', ' ')
    first, last = ('magenta', 'red') if invert else ('red', 'magenta')
    return (
        Param(f'{kind}_style', 'Flat Squares', f"How the {name} point is drawn (RViz2's "
              'point cloud styles).', choices=STYLES),
        Param(f'{kind}_size', 0.01, f'Size of the {name} point, in metres.',
              low=0.0001, high=1000.0),
        alpha_param(f'{kind}_alpha', 1.0, f'the {name} point'),
        Param(f'{kind}_min_value', low, f'Reading ({unit}) drawn {first}, and any lower.'),
        Param(f'{kind}_max_value', high, f'Reading ({unit}) drawn {last}, and any higher.'),
    )


class ScalarDisplay(Display):
    """One reading drawn as a point coloured by its value (the base of the kinds below)."""

    newest_only = True
    #: Whether the rainbow runs from magenta at the minimum to red at the maximum.
    invert: ClassVar[bool] = False

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        # Parameters are read once at start: the style never changes.
        options = context.options
        self.style = ScalarStyle(
            low=options[f'{self.kind}_min_value'], high=options[f'{self.kind}_max_value'],
            invert=self.invert, style=options[f'{self.kind}_style'],
            size=options[f'{self.kind}_size'], alpha=options[f'{self.kind}_alpha'])

    def on_message(self, message: Any) -> None:
        """Draw the reading at the origin of the header's frame, replacing the previous one."""
        key = f'{self.kind}:{self.topic}'
        try:
            # Each message holds its reading in the field its kind is named after.
            element = scalar_to_element(getattr(message, self.kind), key, self.style)
        except ScalarError as error:
            self.context.warn(f'{key}:error', f'{self.topic}: {error}; not drawn')
            return
        self.context.scene.draw(self.group, key, message.header.frame_id, element,
                                stamp=message.header.stamp)


def scalar_display(name: str, unit: str, low: float, high: float,
                   invert: bool = False) -> type[ScalarDisplay]:
    """
    Return the display of ``sensor_msgs/<name>``, whose reading is in ``unit``.

    ``low`` and ``high`` are its Min and Max Intensity and ``invert`` its Invert Rainbow;
    the message field holding the reading is named as the kind (``relative_humidity``).
    """
    kind = re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()
    return type(f'{name}Display', (ScalarDisplay,), {
        '__doc__': f'sensor_msgs/{name}: one point coloured by its reading.',
        'kind': kind, 'message_type': f'sensor_msgs/msg/{name}', 'invert': invert,
        'options': scalar_options(kind, unit, low, high, invert)})


# Each display's setInitialValues() sets its bounds: illuminance_display.cpp:45-51,
# temperature_display.cpp:45-52 (with "Invert Rainbow", so hot is red),
# relative_humidity_display.cpp:45-51, fluid_pressure_display.cpp:45-51.
IlluminanceDisplay = scalar_display('Illuminance', 'lx', 0.0, 1000.0)
TemperatureDisplay = scalar_display('Temperature', 'degrees Celsius', 0.0, 100.0, invert=True)
RelativeHumidityDisplay = scalar_display('RelativeHumidity', 'fraction, 0-1', 0.0, 1.0)
FluidPressureDisplay = scalar_display('FluidPressure', 'Pa', 98000.0, 105000.0)

DISPLAYS = (IlluminanceDisplay, TemperatureDisplay, RelativeHumidityDisplay,
            FluidPressureDisplay)
