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
Every setting of the bridge, derived from the display registry, read once and validated.

The node's own parameters are listed here; each display kind adds its ``<kind>_topics``
parameter and its options. From that one list come the ROS parameter declarations
(``ros/config.py``), ``config/viewer.yaml``, the launch file's arguments and the
README's table (``python -m vuer_ros.settings yaml|markdown`` writes them), so the four
never disagree. Nothing here imports rclpy.
"""

from dataclasses import dataclass
import math
import re
import sys
import textwrap
from typing import Any, Iterable, Mapping, Optional

from vuer_ros.displays import DISPLAYS
from vuer_ros.displays.base import Display, Param
from vuer_ros.displays.frames import parse_static_frame, STATIC_FRAMES, StaticFrameError

#: The node's own parameters, by section (the configuration file's headings).
CORE: dict[str, tuple[Param, ...]] = {
    'Server: open http://<robot>:8012 in a browser': (
        Param('host', '0.0.0.0', 'Interface the viewer listens on (0.0.0.0: every '
              'interface).'),
        Param('port', 8012, 'Port of the viewer page and its websocket.', low=0, high=65535),
        Param('client_reconnect', True, 'Browser client reconnects by itself after a drop.'),
        Param('client_collapse_menu', True, 'Browser client starts with its side menu '
              'collapsed.'),
        Param('client_dir', '', 'Folder with a Vuer client build; empty: the vuer package '
              'one.'),
        Param('client_byte_limit', 16 * 1024 * 1024, 'Bytes that may wait for one slow '
              'client before it is resynced.', low=65536, high=2 ** 31 - 1),
    ),
    'What is shown, and where': (
        Param('fixed_frame', 'map', "Frame everything is placed in, as RViz2's fixed frame."),
        Param('auto_topics', True, 'Show every topic on the graph whose type has a display, '
              'found again as topics appear and vanish.'),
        Param('topic_allowlist', ('.*',), 'Regular expressions: auto_topics shows only topics '
              'that match one (as foxglove_bridge).'),
        Param('topic_denylist', (), 'Regular expressions: auto_topics never shows topics that '
              'match one.'),
        Param('max_rate', 60.0, 'Most updates per second drawn per pose-like topic (0: every '
              'message).', low=0.0, high=10000.0),
        Param('topic_rates', (), 'Per-topic overrides of max_rate: "TOPIC=HZ" each.'),
        Param('queue_depth', 100, 'Subscription queue depth (KEEP_LAST history).', low=1,
              high=100000),
        Param('mesh_roots', (), 'Folders file:// meshes may come from; empty: any file '
              'named, and the mesh and texture files below its folder are served too.'),
    ),
    'Access and TLS: who may open the viewer; https and wss for headsets': (
        Param('token', '', 'Secret the page, its websocket and every HTTP route require '
              '(?token= in the URL, then a cookie); empty: no check.'),
        Param('certfile', '', 'TLS certificate (PEM) to serve https and wss on the same '
              'port, as WebXR headsets need; make one with: python3 -m vuer_ros.tls.'),
        Param('keyfile', '', 'Private key (PEM) of certfile; empty: the key is in certfile.'),
    ),
    "Teleoperation: the operator's inputs published to ROS": (
        Param('teleop', False, "Publish the operator's inputs (camera, head, hands, "
              'controllers, gamepad, RViz2 tools, dragged elements); off: only ~/clicked.'),
        Param('teleop_sessions', 'one', 'one: a single session operates at a time (the first '
              'to send input; released on disconnect or timeout); each: every session '
              'publishes on its own topics, <topic>/session_<id>.', choices=('one', 'each')),
        Param('teleop_timeout', 0.5, "Seconds without input after which a session's "
              'inputs stop (deadman); Joy topics then get one neutral message.', low=0.05,
              high=60.0),
        Param('teleop_max_rate', 120.0, 'Most messages per second published per input '
              'topic and session (the newest is always sent).', low=1.0, high=1000.0),
        Param('haptic_duration', 100.0, 'Milliseconds a controller pulses for each '
              'JoyFeedback on haptics_topic.', low=1.0, high=5000.0),
        Param('camera_pose_topic', '~/camera_pose', 'Viewer camera pose (PoseStamped).'),
        Param('head_pose_topic', '~/head_pose', 'Headset pose (PoseStamped).'),
        Param('hands_topic', '~/hands', 'Hands: <topic>/left and /right (PoseArray, 25 '
              'WebXR joints), <topic>/left/joy and /right/joy (Joy: pinch, squeeze, tap).'),
        Param('controllers_topic', '~/controllers', 'Controllers: <topic>/<side>/pose '
              '(PoseStamped) and <topic>/<side>/joy (Joy).'),
        Param('joy_topic', '/joy', "Gamepad on the viewer's computer (Joy, as joy_node)."),
        Param('clicked_point_topic', '/clicked_point', 'Point tool (PointStamped).'),
        Param('goal_pose_topic', '/goal_pose', '2D goal pose tool (PoseStamped).'),
        Param('initial_pose_topic', '/initialpose', '2D pose estimate tool '
              '(PoseWithCovarianceStamped).'),
        Param('moved_topic', '~/moved', 'Dragged elements: <topic>/<element key> '
              '(PoseStamped).'),
        Param('haptics_topic', '~/haptics', 'Controller pulses (JoyFeedbackArray: id 0 '
              'left, 1 right; rumble or buzzer).'),
    ),
}


class ConfigError(ValueError):
    """A parameter value the node can't run with."""


def display_sections() -> dict[str, tuple[Param, ...]]:
    """Each display's topics parameter and its options, one section per display kind."""
    sections: dict[str, tuple[Param, ...]] = {}
    seen: set[str] = set()
    for kind in DISPLAYS:
        params = [kind.topics_param(), *(p for p in kind.options if p.name not in seen)]
        seen.update(p.name for p in params)
        sections[kind.__doc__.splitlines()[0].rstrip('.')] = tuple(params)
    return sections


def parameters() -> list[Param]:
    """Every parameter of the node, in the configuration file's order."""
    return [param for section in (*CORE.values(), *display_sections().values())
            for param in section]


@dataclass(frozen=True)
class StaticFrame:
    """A frame fixed to its parent, from the configuration."""

    parent: str
    child: str
    xyz: tuple[float, float, float]
    rpy: tuple[float, float, float]


@dataclass(frozen=True)
class Settings:
    """
    Every setting, validated.

    ``options`` holds each parameter by name (string lists as tuples without empty
    entries); the rest is parsed from them.
    """

    options: Mapping[str, Any]
    topics: Mapping[type[Display], tuple[str, ...]]
    topic_rates: Mapping[str, float]
    static_frames: tuple[StaticFrame, ...]
    allow: tuple[re.Pattern, ...]
    deny: tuple[re.Pattern, ...]

    def __getitem__(self, name: str) -> Any:
        return self.options[name]

    @property
    def fixed_frame(self) -> str:
        return self.options['fixed_frame']

    def rate_for(self, topic: str) -> float:
        """Most updates per second drawn for ``topic`` (0: no limit)."""
        return self.topic_rates.get(topic, self.options['max_rate'])

    def auto_shows(self, topic: str) -> bool:
        """Tell whether auto_topics may show ``topic`` (allow and deny lists)."""
        return (any(p.fullmatch(topic) for p in self.allow)
                and not any(p.fullmatch(topic) for p in self.deny))

    @property
    def client_queries(self) -> dict:
        """Options the browser client reads from its URL."""
        return {'reconnect': self.options['client_reconnect'],
                'collapseMenu': self.options['client_collapse_menu']}


def settings_from_values(values: Mapping[str, Any]) -> Settings:
    """Validate raw parameter values (defaults for missing ones); raise ConfigError."""
    options: dict[str, Any] = {}
    for param in parameters():
        value = values.get(param.name, param.default)
        options[param.name] = _checked(param, value)
    fixed_frame = options['fixed_frame'].strip().lstrip('/')
    if not fixed_frame:
        raise ConfigError('fixed_frame must not be empty')
    options['fixed_frame'] = fixed_frame
    try:
        static_frames = tuple(StaticFrame(*parse_static_frame(entry))
                              for entry in options[STATIC_FRAMES.name])
    except StaticFrameError as error:
        raise ConfigError(str(error)) from None
    return Settings(
        options=options,
        topics={kind: options[kind.topics_param().name] for kind in DISPLAYS},
        topic_rates=dict(parse_topic_rate(entry) for entry in options['topic_rates']),
        static_frames=static_frames,
        allow=_patterns('topic_allowlist', options['topic_allowlist']),
        deny=_patterns('topic_denylist', options['topic_denylist']),
    )


def _checked(param: Param, value: Any) -> Any:
    if isinstance(param.default, tuple):
        if value is None:       # `[]` from a YAML file or -p reads as no value
            return ()
        return tuple(entry.strip() for entry in value if entry and entry.strip())
    if param.choices and value not in param.choices:
        raise ConfigError(f'{param.name} must be one of {param.choices}, not {value!r}')
    if param.low is not None and not param.low <= value <= param.high:
        raise ConfigError(f'{param.name} must be in [{param.low}, {param.high}], not {value!r}')
    if param.check is not None:
        try:
            param.check(value)
        except ValueError as error:
            raise ConfigError(f'{param.name} {value!r}: {error}') from None
    return value


def _patterns(name: str, entries: Iterable[str]) -> tuple[re.Pattern, ...]:
    try:
        return tuple(re.compile(entry) for entry in entries)
    except re.error as error:
        raise ConfigError(f'{name} entry {error.pattern!r} is not a regular expression: '
                          f'{error}') from None


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


# -- derived files ------------------------------------------------------------------------

def _yaml_value(value: Any) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, tuple):
        # rclpy types an empty list as a byte array and then refuses strings: [''] reads
        # as an empty string list everywhere.
        return '[' + ', '.join(f"'{entry}'" for entry in value or ('',)) + ']'
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def render_yaml(overrides: Optional[Mapping[str, Any]] = None) -> str:
    """Return ``config/viewer.yaml``: every parameter with its default and description."""
    lines = ['# Parameters of the vuer_bridge node (ros2 launch vuer_ros viewer.launch.py).',
             '# Generated from the display registry: python -m vuer_ros.settings yaml',
             '# Every parameter is declared with a description: '
             '`ros2 param describe /vuer_bridge <name>`.',
             'vuer_bridge:', '  ros__parameters:']
    for title, params in (*CORE.items(), *display_sections().items()):
        lines.append(f'    # -- {title}')
        for param in params:
            value = (overrides or {}).get(param.name, param.default)
            lines.extend(f'    # {line}' for line in textwrap.wrap(param.description, 88))
            lines.append(f'    {param.name}: {_yaml_value(value)}')
    return '\n'.join(lines) + '\n'


def _markdown_value(value: Any) -> str:
    if isinstance(value, tuple):
        return '`[' + ', '.join(value) + ']`'
    if isinstance(value, bool):
        return f'`{str(value).lower()}`'
    return f'`{value}`'


def render_markdown() -> str:
    """Return the README's parameter table."""
    lines = ['| parameter | default | what it does |', '| --- | --- | --- |']
    for param in parameters():
        description = param.description.replace('|', '\\|')
        lines.append(f'| `{param.name}` | {_markdown_value(param.default)} | {description} |')
    return '\n'.join(lines) + '\n'


def launch_arguments() -> list[tuple[str, type, str]]:
    """(name, type, description) of every parameter, for the launch file's arguments."""
    return [(param.name, list if isinstance(param.default, tuple) else type(param.default),
             param.description) for param in parameters()]


if __name__ == '__main__':
    outputs = {'yaml': render_yaml, 'markdown': render_markdown}
    if len(sys.argv) != 2 or sys.argv[1] not in outputs:
        sys.exit('usage: python -m vuer_ros.settings yaml|markdown')
    sys.stdout.write(outputs[sys.argv[1]]())
