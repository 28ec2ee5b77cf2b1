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
The vuer_bridge node's parameters: declared with descriptions, read once, validated.

Every setting lives in one table, so ``ros2 param describe`` and ``config/viewer.yaml``
tell the same story, and a bad value stops the node at start with a message naming it.
"""

from dataclasses import dataclass, field
import math
from typing import Any

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)
from rclpy.node import Node

_STRINGS = ParameterType.PARAMETER_STRING_ARRAY

#: name -> (default, description, descriptor extras)
PARAMETERS: dict[str, tuple[Any, str, dict]] = {
    'host': ('0.0.0.0', 'Interface the viewer listens on (0.0.0.0: every interface).', {}),
    'port': (8012, 'Port of the viewer page and its websocket.',
             {'integer_range': [IntegerRange(from_value=0, to_value=65535, step=1)]}),
    'client_reconnect': (True, 'Browser client reconnects by itself after a drop.', {}),
    'client_collapse_menu': (True, 'Browser client starts with its side menu collapsed.', {}),
    'client_dir': ('', 'Folder with a Vuer client build; empty: the vuer package one.', {}),
    'client_byte_limit': (16 * 1024 * 1024,
                          'Bytes that may wait for one slow client before it is resynced.',
                          {'integer_range': [IntegerRange(from_value=65536,
                                                          to_value=2 ** 31 - 1, step=1)]}),
    'fixed_frame': ('map', "Frame everything is placed in, as RViz2's fixed frame.", {}),
    'static_frames': ([], 'Static frames: "parent child x y z roll pitch yaw" each.',
                      {'type': _STRINGS}),
    'use_tf': (True, 'Subscribe to /tf and /tf_static (needs tf2_msgs).', {}),
    'frame_axes': (0.3, 'Length of the axes drawn at every frame, in metres (0: none).',
                   {'floating_point_range': [FloatingPointRange(
                       from_value=0.0, to_value=100.0, step=0.0)]}),
    'marker_topics': (['/visualization_marker'], 'visualization_msgs/Marker topics.',
                      {'type': _STRINGS}),
    'marker_array_topics': (['/visualization_marker_array'],
                            'visualization_msgs/MarkerArray topics.', {'type': _STRINGS}),
    'pose_topics': ([], 'geometry_msgs/PoseStamped topics.', {'type': _STRINGS}),
    'pose_covariance_topics': ([], 'geometry_msgs/PoseWithCovarianceStamped topics.',
                               {'type': _STRINGS}),
    'pose_array_topics': ([], 'geometry_msgs/PoseArray topics.', {'type': _STRINGS}),
    'transform_topics': ([], 'geometry_msgs/TransformStamped topics (also frame sources).',
                         {'type': _STRINGS}),
    'odometry_topics': ([], 'nav_msgs/Odometry topics.', {'type': _STRINGS}),
    'path_topics': ([], 'nav_msgs/Path topics.', {'type': _STRINGS}),
    'pose_style': ('axes', 'How poses are drawn: axes or arrow.', {}),
    'pose_length': (0.5, 'Length of pose axes or arrows, in metres.',
                    {'floating_point_range': [FloatingPointRange(
                        from_value=0.001, to_value=100.0, step=0.0)]}),
    'pose_radius': (0.03, 'Thickness of pose axes or arrows, in metres.',
                    {'floating_point_range': [FloatingPointRange(
                        from_value=0.0001, to_value=10.0, step=0.0)]}),
    'path_width': (0.02, 'Width of nav_msgs/Path lines, in metres.',
                   {'floating_point_range': [FloatingPointRange(
                       from_value=0.0001, to_value=10.0, step=0.0)]}),
    'max_rate': (60.0, 'Most updates per second drawn per pose topic (0: every message).',
                 {'floating_point_range': [FloatingPointRange(
                     from_value=0.0, to_value=10000.0, step=0.0)]}),
    'topic_rates': ([], 'Per-topic overrides of max_rate: "TOPIC=HZ" each.',
                    {'type': _STRINGS}),
    'queue_depth': (100, 'Subscription queue depth (KEEP_LAST history).',
                    {'integer_range': [IntegerRange(from_value=1, to_value=100000, step=1)]}),
    'marker_array_backlog': (3, 'MarkerArray messages that may wait to be drawn (and the '
                             'history depth of their subscriptions); when '
                             'drawing falls behind, older ones are dropped so the view '
                             'stays live instead of lagging more and more.',
                             {'integer_range': [IntegerRange(from_value=1, to_value=10000,
                                                             step=1)]}),
    'mesh_roots': ([], 'Folders file:// meshes may come from; empty: any file named.',
                   {'type': _STRINGS}),
}

POSE_STYLES = ('axes', 'arrow')


class ConfigError(ValueError):
    """A parameter value the node can't run with."""


@dataclass(frozen=True)
class StaticFrame:
    """A frame fixed to its parent, from the configuration."""

    parent: str
    child: str
    xyz: tuple[float, float, float]
    rpy: tuple[float, float, float]


@dataclass(frozen=True)
class BridgeConfig:
    """Every setting of the bridge, read once at start."""

    host: str = '0.0.0.0'
    port: int = 8012
    client_reconnect: bool = True
    client_collapse_menu: bool = True
    client_dir: str = ''
    client_byte_limit: int = 16 * 1024 * 1024
    fixed_frame: str = 'map'
    static_frames: tuple[StaticFrame, ...] = ()
    use_tf: bool = True
    frame_axes: float = 0.3
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pose_style: str = 'axes'
    pose_length: float = 0.5
    pose_radius: float = 0.03
    path_width: float = 0.02
    max_rate: float = 60.0
    topic_rates: dict[str, float] = field(default_factory=dict)
    queue_depth: int = 100
    marker_array_backlog: int = 3
    mesh_roots: tuple[str, ...] = ()

    def rate_for(self, topic: str) -> float:
        """Most updates per second drawn for ``topic`` (0: no limit)."""
        return self.topic_rates.get(topic, self.max_rate)

    @property
    def client_queries(self) -> dict:
        """Options the browser client reads from its URL."""
        return {'reconnect': self.client_reconnect,
                'collapseMenu': self.client_collapse_menu}


TOPIC_PARAMETERS = ('marker_topics', 'marker_array_topics', 'pose_topics',
                    'pose_covariance_topics', 'pose_array_topics', 'transform_topics',
                    'odometry_topics', 'path_topics')


def declare_parameters(node: Node, overrides: dict[str, Any] | None = None) -> BridgeConfig:
    """
    Declare every parameter on ``node`` and return the validated configuration.

    :param overrides: defaults to use instead of the table's (the demo's topics).
    """
    values = {}
    for name, (default, description, extras) in PARAMETERS.items():
        default = (overrides or {}).get(name, default)
        if extras.get('type') == _STRINGS and not default:
            # rclpy types a parameter by its default and takes [] for a byte array, so a
            # string list from YAML or -p would then be refused; [''] reads as empty.
            default = ['']
        descriptor = ParameterDescriptor(description=description, read_only=True, **extras)
        values[name] = node.declare_parameter(name, default, descriptor).value
    return config_from_values(values)


def config_from_values(values: dict[str, Any]) -> BridgeConfig:
    """Validate raw parameter values; raise :class:`ConfigError` naming the bad one."""
    style = values['pose_style']
    if style not in POSE_STYLES:
        raise ConfigError(f'pose_style must be one of {POSE_STYLES}, not {style!r}')
    fixed_frame = values['fixed_frame'].strip().lstrip('/')
    if not fixed_frame:
        raise ConfigError('fixed_frame must not be empty')
    topics = {name: tuple(_entries(values[name])) for name in TOPIC_PARAMETERS}
    return BridgeConfig(
        host=values['host'], port=values['port'],
        client_reconnect=values['client_reconnect'],
        client_collapse_menu=values['client_collapse_menu'],
        client_dir=values['client_dir'], client_byte_limit=values['client_byte_limit'],
        fixed_frame=fixed_frame,
        static_frames=tuple(parse_static_frame(e) for e in _entries(values['static_frames'])),
        use_tf=values['use_tf'], frame_axes=values['frame_axes'], topics=topics,
        pose_style=style, pose_length=values['pose_length'],
        pose_radius=values['pose_radius'], path_width=values['path_width'],
        max_rate=values['max_rate'],
        topic_rates=dict(parse_topic_rate(e) for e in _entries(values['topic_rates'])),
        queue_depth=values['queue_depth'],
        marker_array_backlog=values['marker_array_backlog'],
        mesh_roots=tuple(_entries(values['mesh_roots'])),
    )


def parse_static_frame(entry: str) -> StaticFrame:
    """Parse ``"parent child x y z roll pitch yaw"`` (metres, radians)."""
    parts = entry.split()
    if len(parts) != 8:
        raise ConfigError(f'static_frames entry {entry!r}: want "parent child x y z roll '
                          'pitch yaw"')
    try:
        numbers = [float(part) for part in parts[2:]]
    except ValueError:
        raise ConfigError(f'static_frames entry {entry!r}: x y z roll pitch yaw must be '
                          'numbers') from None
    if not all(math.isfinite(number) for number in numbers):
        raise ConfigError(f'static_frames entry {entry!r}: values must be finite')
    return StaticFrame(parts[0].lstrip('/'), parts[1].lstrip('/'),
                       tuple(numbers[:3]), tuple(numbers[3:]))


def parse_topic_rate(entry: str) -> tuple[str, float]:
    """Parse ``"TOPIC=HZ"``."""
    topic, sep, rate = entry.rpartition('=')
    try:
        hz = float(rate)
    except ValueError:
        hz = -1.0
    if not sep or not topic or not math.isfinite(hz) or hz < 0:
        raise ConfigError(f'topic_rates entry {entry!r}: want "TOPIC=HZ" with HZ >= 0')
    return topic.strip(), hz


def _entries(values: list[str]) -> list[str]:
    """Non-empty entries: YAML files use [''] for an empty string list."""
    return [value.strip() for value in values if value and value.strip()]
