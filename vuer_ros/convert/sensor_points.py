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
Scalar sensor readings to one coloured point, as RViz2's point-cloud scalar displays.

RViz2 shows sensor_msgs Illuminance, Temperature, RelativeHumidity and FluidPressure as a
point cloud of one point at the origin of the message's frame, whose only channel is the
reading, coloured by the Intensity transformer's rainbow between fixed bounds
(point_cloud_scalar_display.hpp:75-96). The point is drawn in the cloud's style, ``size``
metres across; RViz2's default style is flat squares 0.01 m wide, opaque
(point_cloud_common.cpp:106-135). NaN or infinity raises ScalarError.
"""

from dataclasses import dataclass
import math

from vuer_ros.convert import geometry
from vuer_ros.convert.colormaps import intensity_rainbow
from vuer_ros.schemas import Billboard, Box, Element, group, Plane, Sphere

#: RViz2's point-cloud styles drawn here; 'Points' (pixel sized) and 'Tiles' are not.
STYLES = ('Flat Squares', 'Squares', 'Spheres', 'Boxes')


class ScalarError(ValueError):
    """A reading that cannot be drawn (NaN or infinite)."""


@dataclass(frozen=True)
class ScalarStyle:
    """
    How a reading is drawn: the point's style, size and opacity, and the colour bounds.

    ``low`` is the reading drawn red and ``high`` the one drawn magenta (``invert`` swaps
    them); readings beyond them get the end colours.
    """

    low: float
    high: float
    invert: bool = False
    style: str = 'Flat Squares'
    size: float = 0.01
    alpha: float = 1.0

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f'point style {self.style!r} is not one of {STYLES}')


def point_element(key: str, rgb: tuple[float, float, float], style: ScalarStyle) -> Element:
    """
    Draw one point at the frame's origin in ``style``.

    Squares face the camera, unlit, as RViz2's billboards; spheres and boxes are lit
    shapes ``size`` across.
    """
    size = float(style.size)
    mat = geometry.material((*rgb, style.alpha))
    if style.style == 'Spheres':
        shape = Sphere(key=f'{key}/sphere', args=[size / 2.0, geometry.SEGMENTS,
                                                  geometry.SEGMENTS // 2], material=mat)
    elif style.style == 'Boxes':
        shape = Box(key=f'{key}/box', args=[size, size, size], material=mat)
    else:
        shape = Billboard(Plane(key=f'{key}/square', args=[size, size], materialType='basic',
                                material=mat), key=f'{key}/billboard')
    return group(children=[shape], key=key)


def scalar_to_element(value: float, key: str, style: ScalarStyle) -> Element:
    """Draw a reading as one point coloured by the Intensity transformer's rainbow."""
    if not math.isfinite(value):
        raise ScalarError(f'reading {value!r} is not a finite number')
    rgb = intensity_rainbow([value], style.low, style.high, style.invert)[0]
    return point_element(key, tuple(rgb.tolist()), style)
