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
RViz2's colour maps for values: the rainbow of its Intensity colour transformer.

The same maps colour point clouds by a channel and the scalar sensor displays
(temperature, illuminance, ...) by their reading, so a value looks the same everywhere.
Vectorised over numpy arrays: one call colours a whole cloud.
"""

import numpy as np

#: Used instead of a zero range, so every value maps to the same colour
#: (intensity_pc_transformer.cpp:99-105).
_HUGE_RANGE = 1e20


def rainbow(values: np.ndarray) -> np.ndarray:
    """
    Colour ``values`` in 0..1 (clamped) by RViz2's rainbow: N x 3 RGB in 0..1.

    An HSV wheel from magenta (0) through blue, cyan, green and yellow to red (1), as
    ``getRainbowColor`` (point_cloud_helpers.hpp:131-157).
    """
    value = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    h = value * 5.0 + 1.0
    sector = np.floor(h).astype(int)
    f = h - sector
    f = np.where(sector % 2 == 0, 1.0 - f, f)
    n = 1.0 - f
    zero, one = np.zeros_like(n), np.ones_like(n)
    sector = np.clip(sector, 1, 5)
    red = np.choose(sector - 1, [n, zero, zero, n, one])
    green = np.choose(sector - 1, [zero, n, one, one, n])
    blue = np.choose(sector - 1, [one, one, n, zero, zero])
    return np.stack([red, green, blue], axis=-1)


def intensity_rainbow(values: np.ndarray, low: float, high: float,
                      invert: bool = False) -> np.ndarray:
    """
    Colour ``values`` as RViz2's Intensity transformer does with "Use rainbow" on.

    ``low`` maps to red and ``high`` to magenta; ``invert`` swaps them
    (intensity_pc_transformer.cpp:98-117).
    """
    span = high - low
    if span == 0:
        span = _HUGE_RANGE
    value = 1.0 - (np.asarray(values, dtype=np.float64) - low) / span
    return rainbow(1.0 - value if invert else value)
