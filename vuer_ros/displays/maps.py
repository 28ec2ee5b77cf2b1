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
The Map display: nav_msgs/OccupancyGrid and its map_msgs/OccupancyGridUpdate patches.

As RViz2's MapDisplay on topic T also listens to T_updates, a map topic and its
``_updates`` sibling share one grid here (through ``DisplayContext.shared``) and one group
in the scene. The grid is drawn as tiles (``convert.maps``), encoded on the loop's thread
pool, one batch at a time: a map or an update marks tiles changed, and each batch takes
every tile changed since the last one, so a 4000 x 4000 map never holds up the loop and a
costmap update re-sends the one or two tiles it touches, never the whole map. The map
follows its frame's latest transform, as RViz2's transformMap (Use Timestamp off).
"""

from typing import Any, Optional

import numpy as np

from vuer_ros.convert.maps import (grid_cells, MapError, MapGeometry, SCHEMES, Tile, tile_element,
                                   tile_key, tile_png, tiles, tiles_touched, update_cells)
from vuer_ros.displays.base import Display, DisplayContext, Param, Qos, Worker
from vuer_ros.displays.shapes import alpha_param

MAP_SCHEME = Param('map_color_scheme', 'map', "How occupancy values are coloured: RViz2's "
                   'map, costmap or raw palette.', choices=tuple(SCHEMES))
MAP_ALPHA = alpha_param('map_alpha', 0.7, 'the occupancy grid')
MAP_DRAW_BEHIND = Param('map_draw_behind', False, 'Draw the map before everything else '
                        "(RViz2's Draw Behind).")
OPTIONS = (MAP_SCHEME, MAP_ALPHA, MAP_DRAW_BEHIND)
UPDATES_SUFFIX = '_updates'


class _MapTopic:
    """What a map topic and its _updates sibling share: the grid and the tiles to send."""

    def __init__(self, topic: str, context: DisplayContext) -> None:
        self.topic = topic
        self.key = f'map:{topic}'
        self.context = context
        options = context.options
        self.scheme = options[MAP_SCHEME.name]
        self.alpha = options[MAP_ALPHA.name]
        self.draw_behind = options[MAP_DRAW_BEHIND.name]
        self.geometry: Optional[MapGeometry] = None
        self.cells: Optional[np.ndarray] = None
        self._patched = False            # an update changed the cells since the map came
        self._generation = 0             # one per map: results of an older one are dropped
        self._changed: set[Tile] = set()
        self._drawn: set[str] = set()
        self._worker = Worker(context, self._send_changed)

    def on_map(self, message: Any) -> None:
        geometry, cells = grid_cells(message)
        keys = {tile_key(self.key, tile) for tile in tiles(geometry.width, geometry.height)}
        self.context.scene.erase(self._drawn - keys)     # tiles beyond a smaller map
        self._drawn &= keys
        self.geometry, self.cells, self._patched = geometry, cells, False
        self._generation += 1
        self._changed = set(tiles(geometry.width, geometry.height))
        self._send_changed()

    def on_update(self, message: Any) -> None:
        if self.geometry is None:
            raise MapError('update before any map; ignored (RViz2 waits for a full map too)')
        area, data = update_cells(message, self.geometry)
        # rclpy's int8[] is an array.array the display owns: patched in place. Read-only
        # bytes (another source) are copied once.
        if not self.cells.flags.writeable:
            self.cells = self.cells.copy()
        self.cells[area.y:area.y + area.height, area.x:area.x + area.width] = data
        self._patched = True
        self._changed |= tiles_touched(area, self.geometry.width, self.geometry.height)
        self._send_changed()

    def _send_changed(self) -> None:
        """Encode every tile changed since the last batch, unless a batch is running."""
        if self._worker.busy or not self._changed:
            return
        cells, scheme = self.cells, self.scheme
        batch = [(tile, cells[tile.y:tile.y + tile.height, tile.x:tile.x + tile.width])
                 for tile in sorted(self._changed)]
        # Updates patch the cells under a running batch: once they come, a batch gets
        # copies of its (few) tiles. A map's first batch reads the cells in place; a tile
        # an update patches meanwhile is encoded again by the next batch.
        if self._patched:
            batch = [(tile, part.copy()) for tile, part in batch]
        self._changed = set()
        geometry, generation = self.geometry, self._generation
        self._worker.run(lambda: [(tile, tile_png(part, scheme)) for tile, part in batch],
                         lambda encoded: self._draw(geometry, generation, encoded),
                         self.refuse)

    def _draw(self, geometry: MapGeometry, generation: int,
              encoded: list[tuple[Tile, bytes]]) -> None:
        if generation != self._generation:
            return                       # a newer map came meanwhile; its batch draws
        blends = SCHEMES[self.scheme][1]
        for tile, png in encoded:
            key = tile_key(self.key, tile)
            self.context.scene.draw(self.topic, key, geometry.frame_id, tile_element(
                key, geometry, tile, png, self.alpha, blends, self.draw_behind))
            self._drawn.add(key)

    def refuse(self, error: ValueError) -> None:
        """Warn (throttled) that a map could not be drawn, and why."""
        self.context.warn(f'{self.key}:error', f'{self.topic}: {error}; not drawn')

    def close(self) -> None:
        self._worker.close()


class _MapDisplay(Display):
    """A topic of a map: it shares the grid of the map topic ``map_topic`` names."""

    options = OPTIONS

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        name = self.map_topic(topic)
        self.map: _MapTopic = context.shared.setdefault(('maps', name),
                                                        _MapTopic(name, context))

    @staticmethod
    def map_topic(topic: str) -> str:
        """Return the map topic whose grid this topic draws or patches."""
        return topic

    @property
    def group(self) -> str:
        """Return the map topic's group: a map and its updates are one display in RViz2."""
        return self.map.topic

    def close(self) -> None:
        """Drop a batch still encoding."""
        self.map.close()


class OccupancyGridDisplay(_MapDisplay):
    """nav_msgs/OccupancyGrid: the grid as textured tiles in RViz2's colour schemes."""

    kind = 'occupancy_grid'
    message_type = 'nav_msgs/msg/OccupancyGrid'
    default_topics = ('/map',)
    # map_server and Nav2's costmaps publish transient local; RViz2's Map display subscribes
    # so too, and a viewer started after the map was sent still gets it.
    qos = Qos('RViz2 subscribes maps reliable and transient local, as map_server and Nav2 '
              'publish them: a viewer started later still gets the map', transient_local=True)
    newest_only = True

    @classmethod
    def companions(cls, topic: str) -> tuple[tuple[type[Display], str], ...]:
        """Show ``T_updates`` with map ``T``, as RViz2's Map display subscribes both."""
        return ((OccupancyGridUpdateDisplay, topic + UPDATES_SUFFIX),)

    def on_message(self, message: Any) -> None:
        """Keep the grid and send its tiles."""
        try:
            self.map.on_map(message)
        except MapError as error:
            self.map.refuse(error)


class OccupancyGridUpdateDisplay(_MapDisplay):
    """map_msgs/OccupancyGridUpdate: patches of the map on the topic without ``_updates``."""

    kind = 'occupancy_grid_update'
    message_type = 'map_msgs/msg/OccupancyGridUpdate'
    # Each map topic T brings T_updates (companions): list others only if named otherwise.
    qos = Qos('RViz2 subscribes map updates with rclcpp::QoS(5): reliable, volatile, keep '
              'last; every update is a patch, so none is dropped for a newer one')
    newest_only = False

    @staticmethod
    def map_topic(topic: str) -> str:
        """Return the map topic ``T`` of ``T_updates``, as RViz2's Map display pairs them."""
        return topic.removesuffix(UPDATES_SUFFIX)

    def on_message(self, message: Any) -> None:
        """Patch the grid and re-send the tiles the update touches."""
        try:
            self.map.on_update(message)
        except MapError as error:
            self.context.warn(f'{self.map.key}:update', f'{self.topic}: {error}')


DISPLAYS = (OccupancyGridDisplay, OccupancyGridUpdateDisplay)
