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
Shape displays: PointStamped spheres, PolygonStamped outlines and GridCells tiles.

Each follows its RViz2 display (rviz_default_plugins/displays/point, polygon and
grid_cells): the same defaults for colour, alpha, size and history, the same refusals.
``ShapeDisplay`` is what the sensor shapes (Range, CameraInfo) share with them: one
element per message, a ring of keys when RViz2 keeps a history, RViz2's colour options.
The colour and alpha option helpers serve every display with RViz2's Color and Alpha.
"""

from typing import Any, Callable, ClassVar, Optional

from vuer_ros.convert.geometry import parse_color
from vuer_ros.convert.shapes import (grid_cells_to_element, point_to_element, polygon_to_element,
                                     RGB, RGBA, ShapeError)
from vuer_ros.displays.base import Display, DisplayContext, Param
from vuer_ros.schemas import Element

_COLOR_FORMAT = '"R; G; B" (0-255 each, as RViz2 saves colours) or #rrggbb'


def color_param(name: str, default: str, what: str) -> Param:
    """Return a colour option, written as RViz2's configuration files write colours."""
    return Param(name, default, f'Colour of {what}, {_COLOR_FORMAT}.', check=parse_color)


def alpha_param(name: str, default: float, what: str) -> Param:
    """Return an opacity option in [0, 1], as RViz2's Alpha properties."""
    return Param(name, default, f'Opacity of {what} (0: invisible, 1: opaque).', low=0.0,
                 high=1.0)


def option_color(context: DisplayContext, param: Param) -> RGB:
    """Read a colour option (checked when the settings were read)."""
    return parse_color(context.options[param.name])


class ShapeDisplay(Display):
    """
    One element per message, in the message's frame; RViz2's colour and alpha options.

    Subclasses set ``color`` and ``alpha`` (their options) and ``convert`` (or ``element``).
    ``history`` names the option that says how many messages stay shown (RViz2's History
    Length / Buffer Length; None: only the newest). ``clear_on_error`` says RViz2 clears
    what it showed when it refuses a message; ``frame_locked`` False freezes each element
    in the fixed frame where it arrived instead of moving it with its frame. Each message
    is placed at its stamp unless ``at_stamp`` is False.
    """

    newest_only = True
    color: ClassVar[Param]
    alpha: ClassVar[Param]
    history: ClassVar[Optional[Param]] = None
    clear_on_error: ClassVar[bool] = False
    frame_locked: ClassVar[bool] = True
    at_stamp: ClassVar[bool] = True
    #: Draws one message in the display's colour; raises ShapeError for what RViz2 refuses.
    convert: Callable[[Any, str, RGBA], Element]

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self.rgba: RGBA = (*option_color(context, self.color), context.options[self.alpha.name])
        self._drawn = 0

    def element(self, message: Any, key: str) -> Element:
        """Convert one message; raise ShapeError for one RViz2 would not draw."""
        return self.convert(message, key, self.rgba)

    def _key(self) -> str:
        key = f'{self.kind}:{self.topic}'
        if self.history is None:
            return key
        return f'{key}:{self._drawn % self.context.options[self.history.name]}'

    def on_message(self, message: Any) -> None:
        """Draw the message, replacing the oldest one shown."""
        self.show(message)

    def show(self, message: Any) -> bool:
        """Draw the message; tell whether it was drawn (False: refused, and warned)."""
        key = self._key()
        try:
            element = self.element(message, key)
        except ShapeError as error:
            self.context.warn(f'{self.kind}:{self.topic}:error',
                              f'{self.topic}: {error}; not drawn')
            if self.clear_on_error:
                self.context.scene.erase([key])
            return False
        self._drawn += 1
        self.context.scene.draw(self.group, key, message.header.frame_id, element,
                                frame_locked=self.frame_locked,
                                stamp=message.header.stamp if self.at_stamp else None)
        return True


POINT_COLOR = color_param('point_color', '204; 41; 204', 'PointStamped spheres')
POINT_ALPHA = alpha_param('point_alpha', 1.0, 'PointStamped spheres')
POINT_RADIUS = Param('point_radius', 0.2, "Size of PointStamped spheres, in metres: RViz2's "
                     'Radius, which scales its 1 m sphere, so it is their diameter.',
                     low=0.0, high=100.0)
POINT_HISTORY = Param('point_history_length', 1, 'PointStamped messages shown per topic (the '
                      "newest ones), as RViz2's History Length.", low=1, high=100000)


class PointStampedDisplay(ShapeDisplay):
    """geometry_msgs/PointStamped: a sphere at each of the newest points."""

    kind = 'point'
    message_type = 'geometry_msgs/msg/PointStamped'
    options = (POINT_COLOR, POINT_ALPHA, POINT_RADIUS, POINT_HISTORY)
    color, alpha, history = POINT_COLOR, POINT_ALPHA, POINT_HISTORY
    # Every point counts for the history, as RViz2 draws every message.
    newest_only = False

    def element(self, message: Any, key: str) -> Element:
        """Draw RViz2's sphere at the point."""
        return point_to_element(message, key, self.context.options[POINT_RADIUS.name],
                                self.rgba)


POLYGON_COLOR = color_param('polygon_color', '25; 255; 0', 'PolygonStamped outlines')
POLYGON_ALPHA = alpha_param('polygon_alpha', 1.0, 'PolygonStamped outlines')


class PolygonDisplay(ShapeDisplay):
    """geometry_msgs/PolygonStamped: the newest polygon's outline."""

    kind = 'polygon'
    message_type = 'geometry_msgs/msg/PolygonStamped'
    color, alpha = POLYGON_COLOR, POLYGON_ALPHA
    options = (color, alpha)
    convert = staticmethod(polygon_to_element)


GRID_CELLS_COLOR = color_param('grid_cells_color', '25; 255; 0', 'GridCells tiles')
GRID_CELLS_ALPHA = alpha_param('grid_cells_alpha', 1.0, 'GridCells tiles')


class GridCellsDisplay(ShapeDisplay):
    """nav_msgs/GridCells: the newest message's cells as flat tiles."""

    kind = 'grid_cells'
    message_type = 'nav_msgs/msg/GridCells'
    # RViz2 empties its cloud before it checks a message (grid_cells_display.cpp:119-123).
    clear_on_error = True
    color, alpha = GRID_CELLS_COLOR, GRID_CELLS_ALPHA
    options = (color, alpha)
    convert = staticmethod(grid_cells_to_element)


DISPLAYS = (PointStampedDisplay, PolygonDisplay, GridCellsDisplay)
