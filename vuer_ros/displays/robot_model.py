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
The robot model: RViz2's RobotModel display, moved by TF or by joint states directly.

A description (std_msgs/String on ``/robot_description``, latched as robot_state_publisher
publishes it, or the ``urdf_file`` parameter) becomes one group per link, named after it
(``<topic>@<link frame>`` in the scene tree), holding the link's visuals (or collisions) in
the link's frame; the shared scene places those groups through TF like any other frame,
so the root link's frame puts the robot in the fixed frame.

Links move two ways. TF (robot_state_publisher's /tf) moves them as it moves every frame.
And sensor_msgs/JointState moves them without robot_state_publisher: the bridge runs the
forward kinematics (``convert.urdf``) and feeds the link transforms into the scene's TF
graph, as robot_state_publisher would have published them, so the links, their axes and
other messages in link frames all follow. ``robot_joint_source`` decides: ``auto``
computes only the links no TF publisher provides (a frame published on TF wins from then
on), ``joint_states`` always computes them, ``tf`` never does (RViz2's behaviour).
Joint states are merged per robot, newest position per joint winning, and drawn at most
``robot_update_rate`` times a second, so a 1 kHz /joint_states costs one update per frame.

A joint state topic moves the robots described in its namespace (``/r2/joint_states`` the
robot of ``/r2/robot_description``); when no robot is described there, every robot with
joints of those names. A new description replaces the model (joint positions are kept by
name); one that fails to parse is reported with its line, and the previous model stays.
"""

import math
import os
from typing import Any

from vuer_ros.convert.frames import stamp_ns
from vuer_ros.convert.geometry import parse_color
from vuer_ros.convert.urdf import (Kinematics, link_elements, Look, MOVING, parse_urdf, Robot,
                                   UrdfError)
from vuer_ros.displays.base import Display, DisplayContext, Param, Qos

URDF_FILE = Param('urdf_file', '', 'A URDF file to show as a robot, for machines without '
                  'robot_state_publisher (joint_state_topics move it; empty: none).')
JOINT_SOURCE = Param(
    'robot_joint_source', 'auto', 'What moves robot links: auto (TF where a publisher sends '
    'the link frames, forward kinematics from joint_state_topics for the others), '
    'joint_states (always forward kinematics) or tf (only TF, as RViz2).',
    choices=('auto', 'joint_states', 'tf'))
UPDATE_RATE = Param('robot_update_rate', 60.0, 'Most joint updates per second drawn per '
                    'robot; joint states in between are merged, newest wins (0: every one).',
                    low=0.0, high=10000.0)
VISUAL = Param('robot_visual', True, "Draw the links' visual geometry (RViz2's Visual "
               'Enabled).')
COLLISION = Param('robot_collision', False, "Draw the links' collision geometry (RViz2's "
                  'Collision Enabled, off by default).')
ALPHA = Param('robot_alpha', 1.0, "Opacity of every robot model (RViz2's Alpha).", low=0.0,
              high=1.0)


#: Source name of the robot from ``urdf_file`` (robots from topics are named by the topic).
FILE_SOURCE = 'urdf_file:'


def parse_topic_entry(entry: str) -> tuple[str, str]:
    """Split a ``"TOPIC=VALUE"`` entry; raise ValueError saying what is wrong."""
    topic, equals, value = entry.partition('=')
    if not equals or not topic.strip():
        raise ValueError(f'entry {entry!r}: want "TOPIC=VALUE"')
    return topic.strip(), value.strip()


def parse_look(entry: str) -> tuple[str, Look]:
    """Read a ``robot_colors`` entry ``"TOPIC=R G B [ALPHA]"`` (or ``#rrggbb [ALPHA]``)."""
    topic, value = parse_topic_entry(entry)
    parts = value.replace(',', ' ').replace(';', ' ').split()
    alpha = 1.0
    if len(parts) in (2, 4):
        try:
            alpha = float(parts[-1])
        except ValueError:
            alpha = -1.0
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'robot_colors entry {entry!r}: alpha must be in 0..1')
        parts = parts[:-1]
    try:
        rgb = parse_color(' '.join(parts))
    except ValueError as error:
        raise ValueError(f'robot_colors entry {entry!r}: {error}') from None
    return topic, Look(rgba=(*rgb, alpha))


def _check_entries(parse):
    def check(entries: tuple) -> None:
        for entry in entries:
            parse(entry)
    return check


TF_PREFIXES = Param('robot_tf_prefixes', (), '"TOPIC=PREFIX" each: the TF prefix of the robot '
                    "described on TOPIC, its links being PREFIX/link (RViz2's TF Prefix; "
                    "robot_state_publisher's frame_prefix).",
                    check=_check_entries(parse_topic_entry))
COLORS = Param('robot_colors', (), '"TOPIC=R G B [ALPHA]" each (0-255, alpha 0-1): draw the '
               'robot described on TOPIC in one colour, e.g. a translucent commanded robot '
               'beside the measured one.', check=_check_entries(parse_look))
OPTIONS = (URDF_FILE, JOINT_SOURCE, UPDATE_RATE, VISUAL, COLLISION, ALPHA, TF_PREFIXES, COLORS)

#: robot_state_publisher publishes the description latched; the same here, so a viewer
#: started later still gets it.
LATCHED = Qos('latched (transient local, reliable) as robot_state_publisher publishes it: '
              'a viewer started later still gets the description', transient_local=True)


def namespace(source: str) -> str:
    """
    Return the namespace of a topic or robot source.

    ``/r2/joint_states`` -> ``/r2``, ``/joint_states`` -> ''; a robot from ``urdf_file``
    is in the root namespace, as /robot_description is.
    """
    return '' if source.startswith(FILE_SOURCE) else source.rpartition('/')[0]


def prefixed(prefix: str, frame: str) -> str:
    """Return a link's TF frame with its robot's prefix (``r2`` + ``base``: ``r2/base``)."""
    prefix = prefix.strip('/')
    return f'{prefix}/{frame}' if prefix else frame


class _Robot:
    """One shown robot: its description, its joints' positions and what it drew."""

    def __init__(self, source: str, group: str, robot: Robot, prefix: str, look: Look,
                 text: str) -> None:
        self.source = source
        self.text = text
        self.group = group
        self.kinematics = Kinematics(robot)
        self.prefix = prefix
        self.look = look
        self.keys: list[str] = []
        self.dirty: set[str] = set(robot.joints)   # every joint is placed once at first
        self.stamp = 0
        self.last_update = -float('inf')
        self.timer: Any = None

    @property
    def robot(self) -> Robot:
        return self.kinematics.robot


class RobotModels:
    """Every robot shown, shared by the description and joint state displays."""

    def __init__(self, context: DisplayContext) -> None:
        self.context = context
        options = context.options
        self.robots: dict[str, _Robot] = {}
        #: joint state topic -> the newest position of every joint it named, and its stamp
        self._states: dict[str, tuple[dict[str, float], int]] = {}
        self._prefixes = dict(parse_topic_entry(e) for e in options.get(TF_PREFIXES.name, ()))
        self._looks = dict(parse_look(e) for e in options.get(COLORS.name, ()))
        self._source = options.get(JOINT_SOURCE.name, JOINT_SOURCE.default)
        rate = options.get(UPDATE_RATE.name, UPDATE_RATE.default)
        self._period = 1.0 / rate if rate > 0 else 0.0
        path = options.get(URDF_FILE.name, '')
        if path:
            self.load_file(path)

    # -- descriptions ---------------------------------------------------------------------

    def load_file(self, path: str) -> None:
        """Show the robot of a URDF file; its meshes resolve relative to it."""
        try:
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            self.context.warn(f'urdf_file:{path}', f'urdf_file {path!r}: {error}')
            return
        base = os.path.dirname(os.path.abspath(path))
        self.describe(FILE_SOURCE + path, f'urdf:{os.path.basename(path)}', text, base)

    def describe(self, source: str, group: str, text: str, base: str = '') -> None:
        """
        Show (or replace) the robot ``source`` describes; keep the old one if it fails.

        ``base`` is the folder relative mesh paths resolve in (the URDF file's).
        """
        warn = self.context.warn
        old = self.robots.get(source)
        if old is not None and old.text == text:
            return   # published again unchanged (some publishers repeat it): nothing to do
        try:
            robot = parse_urdf(text)
        except UrdfError as error:
            kept = ' the previous model stays' if source in self.robots else ' nothing shown'
            warn(f'urdf:{source}', f'{source}: the robot description does not parse: '
                                   f'{error};{kept}')
            return
        for text_ in robot.warnings:
            warn(f'urdf:{source}:{text_}', f'{source}: {text_}')
        self.robots.pop(source, None)
        model = _Robot(source, group, robot, self._prefixes.get(source, ''),
                       self._looks.get(source, Look()), text)
        model.look = Look(model.look.alpha * self.context.options.get(ALPHA.name, 1.0),
                          model.look.rgba)
        if old is not None:
            self.context.scene.erase(old.keys)
            if old.timer is not None:
                old.timer.cancel()
            model.kinematics.positions.update(old.kinematics.positions)
        for topic in self._topics_moving(source):   # states that came before the model
            positions, stamp = self._states[topic]
            model.kinematics.update(positions, positions.values())
            model.stamp = max(model.stamp, stamp)
        self.robots[source] = model
        self._update(model)   # the link frames first: the links then show at once
        self._draw(model, base)

    def _draw(self, model: _Robot, base: str) -> None:
        """Draw every link in its frame, leaving out (and reporting) meshes not found."""
        options, context = self.context.options, self.context
        shown = [kind for kind, on in (('visual', options.get(VISUAL.name, True)),
                                       ('collision', options.get(COLLISION.name, False)))
                 if on]

        def mesh_url(filename: str) -> str:
            if context.meshes is None:
                raise ValueError('meshes are not served by this scene')
            if '://' not in filename:   # relative to the description (urdfdom leaves it)
                filename = 'file://' + os.path.join(base or os.getcwd(), filename)
            return context.meshes.url_for(filename)

        for link in model.robot.links.values():
            frame = prefixed(model.prefix, link.name)
            for kind in shown:
                elements, problems = link_elements(
                    link, f'{model.group}:{link.name}', model.look, mesh_url,
                    collision=kind == 'collision')
                for problem in problems:
                    context.warn(f'mesh:{model.source}:{problem}',
                                 f'{model.source}: {problem}; the rest of the robot is shown')
                for element in elements:
                    context.scene.draw(model.group, element.key, frame, element)
                    model.keys.append(element.key)

    # -- joints ---------------------------------------------------------------------------

    def on_joint_state(self, topic: str, message: Any) -> None:
        """Take the positions of a JointState for the robots it moves."""
        names, positions = list(message.name), list(message.position)
        if len(names) != len(positions):
            # robot_state_publisher ignores such a message the same way.
            self.context.warn(f'joint_state:{topic}', f'{topic}: {len(names)} joint names '
                              f'but {len(positions)} positions; message ignored')
            return
        for name, value in zip(names, positions):
            if not math.isfinite(value):
                self.context.warn(f'joint_nan:{topic}', f'{topic}: joint {name!r} has '
                                  f'position {value}; ignored')
        stamp = stamp_ns(message.header.stamp)
        kept = self._states.setdefault(topic, ({}, 0))[0]
        kept.update(zip(names, positions))
        self._states[topic] = (kept, stamp)
        ours = [model for model in self.robots.values()
                if namespace(model.source) == namespace(topic)]
        for model in ours or self.robots.values():
            moved = model.kinematics.update(names, positions)
            if not moved:
                continue
            model.dirty |= moved
            model.stamp = stamp
            self._schedule(model)

    def _topics_moving(self, source: str) -> list[str]:
        """Return the joint state topics that move robot ``source`` (on_joint_state's rule)."""
        described = {namespace(other) for other in self.robots}
        return [topic for topic in self._states if namespace(topic) == namespace(source)
                or namespace(topic) not in described]

    def _schedule(self, model: _Robot) -> None:
        """Update now, or at the end of the robot's rate period (newest positions win)."""
        loop = self.context.loop
        if model.timer is not None:
            return   # the update due takes these positions too
        if loop is None or self.context.now() - model.last_update >= self._period:
            self._update(model)
        else:
            model.timer = loop.call_at(model.last_update + self._period, self._update, model)

    def _update(self, model: _Robot) -> None:
        """Feed the transforms of the joints that moved into the scene's TF graph."""
        model.timer = None
        model.last_update = self.context.now()
        dirty, model.dirty = model.dirty, set()
        if self._source == 'tf' or not dirty:
            return
        scene = self.context.scene
        edges = []
        for joint, transform in model.kinematics.edges(dirty):
            child = prefixed(model.prefix, joint.child)
            if self._source == 'auto' and child in scene.published_frames:
                continue    # a TF publisher sends this link: TF places it
            # Fixed joints and unstamped states are valid at any time, as tf2's statics.
            static = joint.type not in MOVING or not model.stamp
            edges.append((prefixed(model.prefix, joint.parent), child, transform.translation,
                          transform.rotation, static, model.stamp))
        scene.on_transforms(edges)

    def close(self) -> None:
        """Stop the robots' update timers."""
        for model in self.robots.values():
            if model.timer is not None:
                model.timer.cancel()
                model.timer = None


def robot_models(context: DisplayContext) -> RobotModels:
    """Return the robots of this viewer (one registry, whichever display comes first)."""
    models = context.shared.get('robot models')
    if models is None:
        models = context.shared['robot models'] = RobotModels(context)
    return models


class RobotDescriptionDisplay(Display):
    """std_msgs/String robot descriptions (URDF), as RViz2's RobotModel with Description Topic."""

    kind = 'robot_description'
    message_type = 'std_msgs/msg/String'
    default_topics = ('/robot_description',)
    options = OPTIONS
    qos = LATCHED

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self.robots = robot_models(context)

    @classmethod
    def claims(cls, topic: str) -> bool:
        """
        Found on the graph, only ``*robot_description`` topics are descriptions.

        String topics carry every kind of text (``/chatter``, the viewer's own
        ``~/clicked``); any String topic may still be configured in
        ``robot_description_topics``.
        """
        return topic.endswith('robot_description')

    def on_message(self, message: Any) -> None:
        """Show (or replace) the robot this description describes."""
        self.robots.describe(self.topic, self.topic, message.data)

    def close(self) -> None:
        """Stop the robots' timers."""
        self.robots.close()


class JointStateDisplay(Display):
    """sensor_msgs/JointState: the positions the bridge turns into link transforms."""

    kind = 'joint_state'
    message_type = 'sensor_msgs/msg/JointState'
    default_topics = ('/joint_states',)
    options = OPTIONS

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self.robots = robot_models(context)

    def on_message(self, message: Any) -> None:
        """Merge the positions into the robots this topic moves."""
        self.robots.on_joint_state(self.topic, message)

    def close(self) -> None:
        """Stop the robots' timers."""
        self.robots.close()


DISPLAYS = (RobotDescriptionDisplay, JointStateDisplay)
