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
Line plots as SVG, written by hand: the suite needs no plotting library.

matplotlib is not a dependency of vuer_ros, and a PNG made without one would have no
readable labels, so plots are SVG (any browser opens them). Each panel is a set of
labelled polylines; an x axis may be logarithmic (latencies span decades).
"""

from dataclasses import dataclass
import math
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

COLORS = ('#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
          '#7f7f7f', '#bcbd22', '#17becf')
WIDTH, PANEL_HEIGHT = 960, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 330, 40, 50


@dataclass
class Panel:
    """One chart: labelled series of (x, y) points."""

    title: str
    x_label: str
    y_label: str
    series: dict[str, Sequence[Sequence[float]]]
    log_x: bool = False


def _ticks(low: float, high: float, log: bool) -> list[float]:
    if log:
        return [10.0 ** power for power in range(math.floor(math.log10(low)),
                                                 math.ceil(math.log10(high)) + 1)]
    span = max(high - low, 1e-9)
    decade = 10 ** math.floor(math.log10(span))
    # the largest of 1, 0.5, 0.2, 0.1 decades that still gives four intervals or more
    step = next(step for step in (decade, decade / 2, decade / 5, decade / 10)
                if span / step >= 4)
    return [index * step for index in range(math.floor(low / step), math.ceil(high / step) + 1)]


def _label(value: float) -> str:
    return f'{value:g}'


def _panel_svg(panel: Panel, top: float) -> list[str]:
    points = [(x, y) for line in panel.series.values() for x, y in line
              if x is not None and y is not None and (x > 0 or not panel.log_x)]
    if not points:
        return []
    x_ticks = _ticks(min(x for x, _ in points), max(x for x, _ in points), panel.log_x)
    y_ticks = _ticks(min(0.0, min(y for _, y in points)), max(y for _, y in points), False)
    x_low, x_high, y_low, y_high = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    scale = math.log10 if panel.log_x else float
    width, height = WIDTH - LEFT - RIGHT, PANEL_HEIGHT - TOP - BOTTOM

    def to_x(x: float) -> float:
        span = scale(x_high) - scale(x_low) or 1.0
        return LEFT + width * (scale(x) - scale(x_low)) / span

    def to_y(y: float) -> float:
        return top + TOP + height * (1 - (y - y_low) / ((y_high - y_low) or 1.0))

    out = [f'<text x="{LEFT}" y="{top + 24}" font-size="16" font-weight="bold">'
           f'{escape(panel.title)}</text>',
           f'<rect x="{LEFT}" y="{top + TOP}" width="{width}" height="{height}" '
           'fill="none" stroke="#444"/>']
    for tick in x_ticks:
        out.append(f'<line x1="{to_x(tick):.1f}" x2="{to_x(tick):.1f}" y1="{top + TOP}" '
                   f'y2="{top + TOP + height}" stroke="#ddd"/>')
        out.append(f'<text x="{to_x(tick):.1f}" y="{top + TOP + height + 18}" '
                   f'text-anchor="middle" font-size="12">{_label(tick)}</text>')
    for tick in y_ticks:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + width}" y1="{to_y(tick):.1f}" '
                   f'y2="{to_y(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{to_y(tick) + 4:.1f}" text-anchor="end" '
                   f'font-size="12">{_label(tick)}</text>')
    out.append(f'<text x="{LEFT + width / 2}" y="{top + PANEL_HEIGHT - 8}" '
               f'text-anchor="middle" font-size="13">{escape(panel.x_label)}</text>')
    out.append(f'<text x="16" y="{top + TOP + height / 2}" font-size="13" '
               f'text-anchor="middle" transform="rotate(-90 16 {top + TOP + height / 2})">'
               f'{escape(panel.y_label)}</text>')
    for index, (label, line) in enumerate(panel.series.items()):
        color = COLORS[index % len(COLORS)]
        path = ' '.join(f'{to_x(x):.1f},{to_y(y):.1f}' for x, y in line
                        if x is not None and y is not None and (x > 0 or not panel.log_x))
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                   'stroke-width="1.8"/>')
        legend_y = top + TOP + 14 + 18 * index
        out.append(f'<line x1="{WIDTH - RIGHT + 16}" x2="{WIDTH - RIGHT + 40}" '
                   f'y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{color}" '
                   'stroke-width="3"/>')
        out.append(f'<text x="{WIDTH - RIGHT + 46}" y="{legend_y}" font-size="12">'
                   f'{escape(label)}</text>')
    return out


def write_svg(path: Path, panels: list[Panel]) -> bool:
    """Write the panels that have data, one under the other; False if none had any."""
    drawn: list[list[str]] = []
    for panel in panels:
        lines = _panel_svg(panel, PANEL_HEIGHT * len(drawn))
        if lines:
            drawn.append(lines)
    if not drawn:
        return False
    height = PANEL_HEIGHT * len(drawn)
    path.write_text('\n'.join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        *(line for lines in drawn for line in lines), '</svg>', '']))
    return True
