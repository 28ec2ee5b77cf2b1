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
The PointCloud2 and LaserScan displays: one point cloud per topic, the newest message.

Both are RViz2's PointCloudCommon with its default "Decay Time" of 0: each message
replaces the previous drawing (so they are newest-only: a slow client or conversion skips
messages instead of queueing them). Options carry RViz2's property names, prefixed by the
kind (``point_cloud_size`` is "Size (m)"). The cloud is drawn in the message's frame, at
its header stamp, as RViz2's MessageFilter places it.

Decoding a large cloud takes tens of milliseconds (1 M points: 17-35 ms of CPU by colour
transformer, more on a busy machine), too long to hold the loop that also serves markers,
poses and the viewers: with 1 M-point clouds at 10 Hz converted on the loop, its timers ran
late by p99 166-228 ms, on the worker by 41-121 ms. So with a running loop each conversion
runs on one worker thread (numpy releases the GIL), one at a time per topic; a message
arriving meanwhile waits as the topic's only pending message, replaced by any newer one.
Without a running loop (tests, in-process benchmarks) it converts in line.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Callable, ClassVar, Union

from vuer_ros.convert.geometry import parse_color
from vuer_ros.convert.point_clouds import (cloud_to_element, CloudError, CloudStyle,
                                           COLOR_TRANSFORMERS, DECIMATIONS, Drawn,
                                           scan_to_element, STYLES)
from vuer_ros.displays.base import Display, DisplayContext, Param, Worker
from vuer_ros.displays.shapes import alpha_param, color_param

#: Key of the conversion thread in ``DisplayContext.shared``.
_WORKER = 'point_clouds:worker'


def cloud_options(kind: str, what: str) -> tuple[Param, ...]:
    """
    Return RViz2's point-cloud properties for ``kind``, plus the point budget.

    From point_cloud_common.cpp:100-160 and the colour transformers' createProperties.
    """
    return (
        Param(f'{kind}_style', 'Flat Squares', f'How {what} points are drawn (RViz2 Style; '
              'both are squares facing the camera in the client).', choices=STYLES),
        Param(f'{kind}_size', 0.01, f'Width of {what} points, in metres (RViz2 Size (m)).',
              low=0.0001, high=1000.0),
        alpha_param(f'{kind}_alpha', 1.0, f'{what} points (the client draws points opaque)'),
        Param(f'{kind}_color_transformer', 'auto', f'How {what} points are coloured (RViz2 '
              'Color Transformer); auto: RGB8 with an rgb/rgba field, else Intensity (as '
              'RViz2 chooses; points without the channel are white).',
              choices=COLOR_TRANSFORMERS),
        Param(f'{kind}_channel_name', 'intensity', 'Field the Intensity transformer colours '
              'by (RViz2 Channel Name; any field).'),
        Param(f'{kind}_use_rainbow', True, 'Intensity through the rainbow (RViz2 Use '
              'rainbow); false: between min and max colour.'),
        Param(f'{kind}_invert_rainbow', False, 'Rainbow from magenta at the minimum to red '
              'at the maximum (RViz2 Invert Rainbow).'),
        color_param(f'{kind}_min_color', '0; 0; 0', f'{what} points at the minimum '
                    'intensity, without rainbow'),
        color_param(f'{kind}_max_color', '255; 255; 255', f'{what} points at the maximum '
                    'intensity, without rainbow'),
        Param(f'{kind}_autocompute_intensity_bounds', True, 'Intensity bounds from each '
              "message's values (RViz2 Autocompute Intensity Bounds)."),
        Param(f'{kind}_min_intensity', 0.0, 'Intensity drawn red (or min colour) when not '
              'autocomputed.'),
        Param(f'{kind}_max_intensity', 4096.0, 'Intensity drawn magenta (or max colour) when '
              'not autocomputed.'),
        Param(f'{kind}_axis', 'Z', 'Axis the AxisColor transformer colours along.',
              choices=('X', 'Y', 'Z')),
        Param(f'{kind}_use_fixed_frame', True, "AxisColor along the fixed frame's axis "
              "(RViz2 Use Fixed Frame); false: the message frame's."),
        color_param(f'{kind}_color', '255; 255; 255', f'{what} points with FlatColor'),
        Param(f'{kind}_max_points', 500_000, f'Most {what} points drawn per message; beyond, '
              'the cloud is thinned (said once in the log).', low=1, high=50_000_000),
        Param(f'{kind}_decimation', 'uniform', 'How a message over max_points is thinned: '
              'every k-th point, or one point per voxel (then every k-th if still over).',
              choices=DECIMATIONS),
        Param(f'{kind}_voxel_size', 0.05, 'Edge of the voxels of voxel decimation, metres.',
              low=0.0001, high=1000.0),
    )


class CloudDisplay(Display):
    """One topic drawn as a point cloud (the base of the two kinds below)."""

    newest_only = True
    #: The converter of this kind's messages.
    convert: ClassVar[Callable[[Any, str, CloudStyle], Drawn]]
    #: What the kind's points are called in messages.
    what: ClassVar[str]

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self.key = f'{self.kind}:{topic}'
        options = context.options

        def option(name: str) -> Any:
            return options[f'{self.kind}_{name}']

        def color(name: str) -> tuple[float, float, float]:
            return parse_color(option(name))   # checked when the settings were read

        # Parameters are read once at start, as every display reads them.
        self.style = CloudStyle(
            color_transformer=option('color_transformer'), channel_name=option('channel_name'),
            use_rainbow=option('use_rainbow'), invert_rainbow=option('invert_rainbow'),
            min_color=color('min_color'), max_color=color('max_color'),
            autocompute_intensity_bounds=option('autocompute_intensity_bounds'),
            min_intensity=option('min_intensity'), max_intensity=option('max_intensity'),
            axis=option('axis'), color=color('color'), style=option('style'),
            size=option('size'), alpha=option('alpha'), max_points=option('max_points'),
            decimation=option('decimation'), voxel_size=option('voxel_size'))
        self.use_fixed_frame = bool(option('use_fixed_frame'))
        if _WORKER not in context.shared:   # one thread for every cloud topic
            context.shared[_WORKER] = ThreadPoolExecutor(1, thread_name_prefix='vuer_ros-clouds')
        self._worker = Worker(context, self._next, executor=context.shared[_WORKER])
        self._pending: Any = None
        self._thinned = False

    def on_message(self, message: Any) -> None:
        """Convert the message (on the worker when a loop runs) and draw it."""
        if self._worker.busy:
            self._pending = message   # newest wins: an older waiting message is dropped
            return
        style = self._style_for(message.header.frame_id)
        self._worker.run(lambda: self._convert(message, style),
                         lambda result: self._finish(message, result))

    def _next(self) -> None:
        """Start the message that waited while the last one converted."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self.on_message(pending)

    def _style_for(self, frame_id: str) -> CloudStyle:
        """Return the style of one message: AxisColor needs its frame's pose in the fixed frame."""
        if self.style.color_transformer != 'AxisColor' or not self.use_fixed_frame:
            return self.style
        pose = self.context.scene.frames.transform_to_fixed(frame_id)
        return replace(self.style, axis_to_fixed=pose)

    def _convert(self, message: Any, style: CloudStyle) -> Union[Drawn, str]:
        """Drawn points, or what is wrong with the message (runs on the worker)."""
        try:
            return type(self).convert(message, self.key, style)
        except CloudError as error:
            return str(error)
        except (AttributeError, TypeError, ValueError, OverflowError, MemoryError) as error:
            return f'cannot be read ({type(error).__name__}: {error})'
        except Exception as error:   # one the converter does not expect: said, not raised
            return f'conversion failed ({type(error).__name__}: {error})'

    def _finish(self, message: Any, result: Union[Drawn, str]) -> None:
        """Draw ``result`` in the message's frame at its stamp, or warn what is wrong."""
        warn = self.context.warn
        if isinstance(result, str):
            # As RViz2 drops such a message: the previous drawing stays.
            warn(f'{self.key}:error', f'{self.topic}: {result}; not drawn')
            return
        if result.note:
            warn(f'{self.key}:color', f'{self.topic}: {result.note}')
        if result.sent < result.valid and not self._thinned:
            self._thinned = True
            warn(f'{self.key}:thinned', f'{self.topic}: {result.valid} {self.what} points are '
                 f'more than {self.kind}_max_points ({self.style.max_points}); drawing '
                 f'{result.sent} ({self.style.decimation} decimation). Said once.')
        if result.element is None:
            self.context.scene.erase([self.key])   # an empty cloud replaces the last one
            return
        self.context.scene.draw(self.group, self.key, message.header.frame_id,
                                result.element, stamp=message.header.stamp)

    def close(self) -> None:
        """Drop the waiting message and stop the worker (at shutdown)."""
        self._worker.close()
        self._pending = None
        worker = self.context.shared.pop(_WORKER, None)
        if worker is not None:
            worker.shutdown(wait=False, cancel_futures=True)


class PointCloud2Display(CloudDisplay):
    """sensor_msgs/PointCloud2: every point with finite x, y, z, coloured by a transformer."""

    kind = 'point_cloud'
    message_type = 'sensor_msgs/msg/PointCloud2'
    options = cloud_options('point_cloud', 'PointCloud2')
    convert = staticmethod(cloud_to_element)
    what = 'cloud'


class LaserScanDisplay(CloudDisplay):
    """sensor_msgs/LaserScan: a point per reading within the range limits, by intensity."""

    kind = 'laser_scan'
    message_type = 'sensor_msgs/msg/LaserScan'
    options = cloud_options('laser_scan', 'LaserScan')
    convert = staticmethod(scan_to_element)
    what = 'scan'


DISPLAYS = (PointCloud2Display, LaserScanDisplay)

__all__ = ['CloudDisplay', 'DISPLAYS', 'LaserScanDisplay', 'PointCloud2Display',
           'cloud_options']
