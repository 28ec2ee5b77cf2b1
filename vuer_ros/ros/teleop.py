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
The operator's inputs published to ROS, safely; haptic feedback sent back.

Everything runs on the asyncio loop. Client events are converted once
(``vuer_ros.convert.teleop``), stamped with the node's ROS time on arrival, in the
fixed frame, and published through a per-topic, per-session rate limit that always ends
on the newest message.

Safety rules:

- nothing is published unless the ``teleop`` parameter is true (then only the legacy
  ``~/clicked`` is);
- ``teleop_sessions: one`` (default): one session operates at a time, the first one that
  sends input; the others' inputs are dropped (with a warning) until it disconnects or
  goes quiet. ``each``: every session publishes on its own topics,
  ``<topic>/session_<id>``, so two operators never mix;
- deadman: a stream (topic) of a session that sends nothing for ``teleop_timeout``
  seconds, or whose session disconnects, stops at once: a message still waiting in the
  rate limit is dropped, and a Joy topic gets one neutral message (no axis pushed, no
  button held), as joy_node's consumers (teleop_twist_joy) expect when a stick is let
  go: they then send one zero command. Pose topics just stop: their consumers must use
  their own timeout, as with any stream;
- a malformed value (NaN, wrong lengths, unknown keys, out-of-range numbers) drops the
  event with a throttled warning naming the event and session.
"""

import asyncio
from dataclasses import dataclass, field
import re
import time
from typing import Any, Callable, Optional

from geometry_msgs.msg import (Point, PointStamped, Pose as PoseMsg, PoseArray, PoseStamped,
                               PoseWithCovarianceStamped, Quaternion)
from rclpy.node import Node
from sensor_msgs.msg import Joy, JoyFeedbackArray
from std_msgs.msg import Header

from vuer_ros import client_assets, wire
from vuer_ros.convert import teleop as convert
from vuer_ros.convert.frames import ROOT_KEY
from vuer_ros.convert.geometry import material, pose_arrow
from vuer_ros.convert.images import text_picture
from vuer_ros.displays.base import RateLimit
from vuer_ros.displays.images import head_up_panel
from vuer_ros.schemas import Movable, Sphere
from vuer_ros.server import Vuer, VuerSession
from vuer_ros.settings import Settings

#: Seconds between two checks for quiet or closed sessions (the deadman's resolution).
WATCH_PERIOD = 0.05
#: Seconds between two updates of a session's head-up status.
HUD_PERIOD = 1.0
#: Seconds a tool handle must rest before its pose is published (XR sends no drag end).
TOOL_SETTLE = 0.3
#: Events only a headset sends: its session is shown the status even with teleop off.
XR_EVENTS = frozenset({'HEAD_MOVE', 'HAND_MOVE', 'CONTROLLER_MOVE'})
#: Scene key of a session's head-up status.
STATUS_KEY = 'teleop-status'
#: Height of the head-up status at the top of the view, as a fraction of the view's.
HUD_SIZE = 0.12
#: Size of a tool's drag gizmo: the client's PivotControls get a tenth of it, in metres.
TOOL_GIZMO_SCALE = 5.0
#: Tool handles: key -> (parameter of its topic, colour, start position in the fixed frame).
TOOLS = {
    'tool:goal_pose': ('goal_pose_topic', (0.2, 0.8, 0.2, 1.0), (1.0, 0.0, 0.0)),
    'tool:initial_pose': ('initial_pose_topic', (0.4, 0.3, 0.9, 1.0), (0.0, 1.0, 0.0)),
    'tool:clicked_point': ('clicked_point_topic', (0.9, 0.8, 0.1, 1.0), (0.0, -1.0, 0.0)),
}
Warn = Callable[[str, str], None]


def topic_token(key: str) -> str:
    """Return a valid ROS name token made of an element key (``tool:goal`` -> ``tool_goal``)."""
    token = re.sub(r'[^A-Za-z0-9_]', '_', key).strip('_') or 'element'
    return token if not token[0].isdigit() else f'_{token}'


def _pose_msg(pose: convert.Pose) -> PoseMsg:
    (x, y, z), (qx, qy, qz, qw) = pose.position, pose.orientation
    return PoseMsg(position=Point(x=x, y=y, z=z),
                   orientation=Quaternion(x=qx, y=qy, z=qz, w=qw))


def _joy(header: Header, state: convert.JoyState) -> Joy:
    return Joy(header=header, axes=list(state.axes), buttons=list(state.buttons))


@dataclass
class _Stream:
    """One session's input on one topic: its rate limit, when it was last heard."""

    publish: RateLimit
    heard: float
    neutral: Optional[Callable[[], Any]] = None   # the message a deadman stop sends


@dataclass
class _SessionInput:
    """What one session sent: its streams and their counts (for the head-up status)."""

    streams: dict[str, _Stream] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    in_xr: bool = False   # it sent a headset's head, hands or controllers


class Teleop:
    """
    Publishes the operator's inputs (see the module docstring) and sends haptics back.

    :param node: the bridge node (publishers, clock, subscription).
    :param app: the Vuer server whose client events are read.
    :param settings: the node's settings (``teleop``, topic names, limits).
    :param warn: throttled warnings, by key.
    """

    def __init__(self, node: Node, app: Vuer, settings: Settings, warn: Warn) -> None:
        self.node = node
        self.app = app
        self.settings = settings
        self.enabled: bool = settings['teleop']
        self.warn = warn
        self.fixed_frame = settings.fixed_frame
        self.operator: Optional[VuerSession] = None
        self._inputs: dict[VuerSession, _SessionInput] = {}
        self._publishers: dict[str, Any] = {}
        self._tool_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task] = []
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._removers = [app.add_handler(etype, handler) for etype, handler in (
            ('CAMERA_MOVE', self._on_camera), ('HEAD_MOVE', self._on_head),
            ('HAND_MOVE', self._on_hands), ('CONTROLLER_MOVE', self._on_controllers),
            ('GAMEPAD', self._on_gamepad), ('OBJECT_MOVE', self._on_object_move),
            ('OBJECT_MOVE_END', self._on_object_move))]

    # -- running ----------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop, subscribe: Callable[..., Any]) -> None:
        """Start the deadman watch and the status, subscribe haptics, show the tools."""
        self._loop = loop
        self._tasks = [loop.create_task(self._watch()), loop.create_task(self._show_status())]
        subscribe(JoyFeedbackArray, self.settings['haptics_topic'], self._on_haptics, 10)
        if self.enabled:
            self._show_tools()
            if self.settings['teleop_sessions'] == 'one':
                # Made now, not at the first input, so that subscribers have matched
                # before a one-shot message (a goal) is published.
                for msg_type, topic in self.fixed_topics():
                    self._publisher(msg_type, topic)

    def close(self) -> None:
        """Stop watching, drop waiting messages, send neutral Joy messages, unregister."""
        for task in self._tasks:
            task.cancel()
        for timer in self._tool_timers.values():
            timer.cancel()
        for session in list(self._inputs):
            self._stop_session(session)
        for remove in self._removers:
            remove()

    def _show_tools(self) -> None:
        """Draggable handles for RViz2's 2D goal, 2D pose estimate and publish point tools."""
        for key, (_, rgba, position) in TOOLS.items():
            if key == 'tool:clicked_point':
                shape = [Sphere(key=f'{key}/shape', args=[0.08, 16, 16],
                                material=material(rgba))]
            else:
                shape = pose_arrow(f'{key}/shape', 0.6, 0.06, 0.06, material(rgba))
            self.app.upsert(Movable(*shape, key=key, position=list(position),
                                    scale=TOOL_GIZMO_SCALE), to=ROOT_KEY)

    # -- publishing -------------------------------------------------------------------------

    def fixed_topics(self) -> list[tuple[type, str]]:
        """Type and name of every input topic but the dragged elements' ones."""
        settings = self.settings
        topics = [(PoseStamped, settings['camera_pose_topic']),
                  (PoseStamped, settings['head_pose_topic']), (Joy, settings['joy_topic']),
                  (PointStamped, settings['clicked_point_topic']),
                  (PoseStamped, settings['goal_pose_topic']),
                  (PoseWithCovarianceStamped, settings['initial_pose_topic'])]
        for side in convert.SIDES:
            topics += [(PoseArray, f'{settings["hands_topic"]}/{side}'),
                       (Joy, f'{settings["hands_topic"]}/{side}/joy'),
                       (PoseStamped, f'{settings["controllers_topic"]}/{side}/pose'),
                       (Joy, f'{settings["controllers_topic"]}/{side}/joy')]
        return topics

    def own_topics(self) -> set[str]:
        """Fully qualified names of the topics the operator's inputs are published on."""
        return {publisher.topic_name for publisher in self._publishers.values()}

    def _header(self) -> Header:
        return Header(stamp=self.node.get_clock().now().to_msg(), frame_id=self.fixed_frame)

    def _topic(self, session: VuerSession, topic: str) -> str:
        if self.settings['teleop_sessions'] == 'each':
            return f'{topic}/session_{session.id}'
        return topic

    def _publisher(self, msg_type: type, topic: str) -> Any:
        publisher = self._publishers.get(topic)
        if publisher is None:
            publisher = self._publishers[topic] = self.node.create_publisher(
                msg_type, topic, 10)
        return publisher

    def _accepts(self, session: VuerSession, etype: str) -> bool:
        """Tell whether ``session``'s input may be published now (teleop on, operating)."""
        inputs = self._inputs.setdefault(session, _SessionInput())
        inputs.in_xr = inputs.in_xr or etype in XR_EVENTS
        if not self.enabled:
            # Every viewer streams its camera, so with teleop off (the default) this is
            # normal: said once per session, at info level.
            if not inputs.refused:
                self.node.get_logger().info(
                    f'session {session.id} sends input ({etype}); teleop is off, so none '
                    'is published (-p teleop:=true enables it)')
            inputs.refused += 1
            return False
        if self.settings['teleop_sessions'] == 'one':
            if self.operator is None:
                self.operator = session
                self.node.get_logger().info(f'session {session.id} ({session.connection.remote}) '
                                            'now operates')
            elif self.operator is not session:
                inputs.refused += 1
                self.warn(f'teleop:busy:{session.id}',
                          f'{etype} from session {session.id} dropped: session '
                          f'{self.operator.id} operates (teleop_sessions: one)')
                return False
        return True

    def _send(self, session: VuerSession, msg_type: type, topic: str, message: Any,
              neutral: Optional[Callable[[], Any]] = None) -> None:
        """Publish ``message`` on ``session``'s ``topic`` through its rate limit."""
        topic = self._topic(session, topic)
        inputs = self._inputs[session]
        stream = inputs.streams.get(topic)
        if stream is None:
            publisher = self._publisher(msg_type, topic)
            stream = inputs.streams[topic] = _Stream(
                RateLimit(self._loop or asyncio.get_running_loop(),
                          self.settings['teleop_max_rate'], publisher.publish),
                time.monotonic(), neutral)
        stream.heard = time.monotonic()
        stream.neutral = neutral
        inputs.counts[topic] = inputs.counts.get(topic, 0) + 1
        stream.publish(message)

    def _convert(self, event: wire.ClientEvent, session: VuerSession,
                 convert_value: Callable[[Any], Any]) -> Any:
        """``convert_value(event.value)``, or None with a warning when it is malformed."""
        try:
            return convert_value(event.value)
        except convert.TeleopInputError as error:
            self.warn(f'teleop:bad:{event.etype}', f'{event.etype} from session {session.id} '
                      f'dropped: {error}')
            return None

    # -- client events ----------------------------------------------------------------------

    def _on_camera(self, event: wire.ClientEvent, session: VuerSession) -> None:
        self._pose_event(event, session, convert.camera_pose, 'camera_pose_topic')

    def _on_head(self, event: wire.ClientEvent, session: VuerSession) -> None:
        self._pose_event(event, session, convert.head_pose, 'head_pose_topic')

    def _pose_event(self, event: wire.ClientEvent, session: VuerSession,
                    convert_value: Callable[[Any], convert.Pose], param: str) -> None:
        if not self._accepts(session, event.etype):
            return
        pose = self._convert(event, session, convert_value)
        if pose is not None:
            self._send(session, PoseStamped, self.settings[param],
                       PoseStamped(header=self._header(), pose=_pose_msg(pose)))

    def _on_hands(self, event: wire.ClientEvent, session: VuerSession) -> None:
        if not self._accepts(session, event.etype):
            return
        hands = self._convert(event, session, convert.hand_sides)
        base = self.settings['hands_topic']
        for side, (poses, gestures) in (hands or {}).items():
            header = self._header()
            self._send(session, PoseArray, f'{base}/{side}',
                       PoseArray(header=header, poses=[_pose_msg(p) for p in poses]))
            if gestures is not None:
                self._send_joy(session, f'{base}/{side}/joy', header, gestures)

    def _on_controllers(self, event: wire.ClientEvent, session: VuerSession) -> None:
        if not self._accepts(session, event.etype):
            return
        controllers = self._convert(event, session, convert.controller_sides)
        base = self.settings['controllers_topic']
        for side, (pose, buttons) in (controllers or {}).items():
            header = self._header()
            self._send(session, PoseStamped, f'{base}/{side}/pose',
                       PoseStamped(header=header, pose=_pose_msg(pose)))
            if buttons is not None:
                self._send_joy(session, f'{base}/{side}/joy', header, buttons)

    def _on_gamepad(self, event: wire.ClientEvent, session: VuerSession) -> None:
        if not self._accepts(session, event.etype):
            return
        state = self._convert(event, session, convert.gamepad_joy)
        if state is not None:
            self._send_joy(session, self.settings['joy_topic'], self._header(), state)

    def _send_joy(self, session: VuerSession, topic: str, header: Header,
                  state: convert.JoyState) -> None:
        """Publish a Joy whose deadman message is the same layout, nothing pushed."""
        frame_id = header.frame_id
        self._send(session, Joy, topic, _joy(header, state), neutral=lambda: _joy(
            Header(stamp=self.node.get_clock().now().to_msg(), frame_id=frame_id),
            state.neutral()))

    def _on_object_move(self, event: wire.ClientEvent, session: VuerSession) -> None:
        key = event.key
        node = self.app.scene.get(key) if isinstance(key, str) else None
        if node is None or node.get('tag') != 'Movable':
            self.warn('teleop:bad:OBJECT_MOVE', f'{event.etype} from session {session.id} '
                      f'dropped: unknown key {key!r} (not a Movable of the shared scene)')
            return
        if not self._accepts(session, event.etype):
            return
        pose = self._convert(event, session, convert.object_pose)
        if pose is None:
            return
        if key not in TOOLS:
            self._send(session, PoseStamped, f'{self.settings["moved_topic"]}/{topic_token(key)}',
                       PoseStamped(header=self._header(), pose=_pose_msg(pose)))
            return
        # A tool publishes once, where the handle comes to rest: at the drag's end on the
        # desktop, TOOL_SETTLE s after the last move in XR (which sends no end event, and
        # no local ``matrix`` either: that is how the two are told apart).
        timer = self._tool_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        if event.etype == 'OBJECT_MOVE_END':
            self._use_tool(session, key, pose)
        elif event.value.get('matrix') is None:
            self._tool_timers[key] = asyncio.get_running_loop().call_later(
                TOOL_SETTLE, self._use_tool, session, key, pose)

    def _use_tool(self, session: VuerSession, key: str, pose: convert.Pose) -> None:
        """Publish what RViz2's tool publishes for a handle resting at ``pose``."""
        self._tool_timers.pop(key, None)
        if session.closed:
            return
        header = self._header()
        topic = self.settings[TOOLS[key][0]]
        if key == 'tool:clicked_point':
            x, y, z = pose.position
            self._send(session, PointStamped, topic,
                       PointStamped(header=header, point=Point(x=x, y=y, z=z)))
            return
        on_ground = _pose_msg(convert.ground_pose(pose))
        if key == 'tool:goal_pose':
            self._send(session, PoseStamped, topic, PoseStamped(header=header, pose=on_ground))
            return
        message = PoseWithCovarianceStamped(header=header)
        message.pose.pose = on_ground
        message.pose.covariance = list(convert.INITIAL_POSE_COVARIANCE)
        self._send(session, PoseWithCovarianceStamped, topic, message)

    # -- deadman ----------------------------------------------------------------------------

    async def _watch(self) -> None:
        """Stop the streams of closed sessions and those quiet for ``teleop_timeout``."""
        timeout = self.settings['teleop_timeout']
        while True:
            await asyncio.sleep(WATCH_PERIOD)
            now = time.monotonic()
            for session, inputs in list(self._inputs.items()):
                if session.closed:
                    self._stop_session(session)
                    continue
                for topic, stream in list(inputs.streams.items()):
                    if now - stream.heard > timeout:
                        self._stop_stream(inputs, topic)
                if self.operator is session and not inputs.streams:
                    self._release(session, 'went quiet')

    def _stop_stream(self, inputs: _SessionInput, topic: str) -> None:
        stream = inputs.streams.pop(topic)
        stream.publish.cancel()
        if stream.neutral is not None:
            self._publishers[topic].publish(stream.neutral())

    def _stop_session(self, session: VuerSession) -> None:
        inputs = self._inputs.pop(session)
        for topic in list(inputs.streams):
            self._stop_stream(inputs, topic)
        if self.operator is session:
            self._release(session, 'disconnected' if session.closed else 'stopped')
        if self.settings['teleop_sessions'] == 'each' and self._loop is not None:
            # Its own topics go once the neutral messages are out.
            suffix = f'/session_{session.id}'
            self._loop.call_later(1.0, self._drop_publishers, suffix)

    def _drop_publishers(self, suffix: str) -> None:
        for topic in [topic for topic in self._publishers if topic.endswith(suffix)]:
            self.node.destroy_publisher(self._publishers.pop(topic))

    def _release(self, session: VuerSession, why: str) -> None:
        self.operator = None
        self.node.get_logger().info(f'session {session.id} {why}: no session operates now')

    # -- feedback ---------------------------------------------------------------------------

    def _on_haptics(self, message: JoyFeedbackArray) -> None:
        """Pulse the operator's controllers (every session's, with teleop_sessions: each)."""
        try:
            pulses = convert.haptic_pulses(message.array, self.settings['haptic_duration'])
        except convert.TeleopInputError as error:
            self.warn('teleop:haptics', f'{self.settings["haptics_topic"]}: feedback dropped: '
                      f'{error}')
            return
        if not pulses:
            return
        targets = ([self.operator] if self.operator is not None
                   else [] if self.settings['teleop_sessions'] == 'one'
                   else list(self.app.sessions))
        frame = wire.event_frame('HAPTIC_ACTUATOR_PULSE', pulses)
        for session in targets:
            session.outbox.frame(frame, ())

    def status(self, session: VuerSession, seconds: float) -> str:
        """Return the head-up status of ``session``: teleop state, role and input rates."""
        inputs = self._inputs.get(session)
        if not self.enabled:
            state = 'teleop OFF: inputs not published'
        elif self.operator is session or self.settings['teleop_sessions'] == 'each':
            state = 'teleop ON: operating'
        elif self.operator is not None:
            state = f'teleop ON: watching (session {self.operator.id} operates)'
        else:
            state = 'teleop ON: move to operate'
        rates = ', '.join(f'{topic.rsplit("/session_", 1)[0]} {count / seconds:.0f}/s'
                          for topic, count in sorted((inputs.counts if inputs else {}).items()))
        if inputs is not None:
            inputs.counts.clear()
        return f'vuer_ros: connected ({session.id})\n{state}\n{rates or "no input"}'

    async def _show_status(self) -> None:
        """
        Every HUD_PERIOD, show each session its status at the top of its view.

        Only where it matters: every session when teleop is on, else headsets (to say
        why nothing moves); a desktop viewer with teleop off sees the scene alone. A
        picture, because the client keeps only pictures in front of the camera or
        headset; drawn on a worker thread (a few ms each) and sent only when it changed.
        """
        font = str(client_assets.static_dir() / client_assets.DEFAULT_FONT)
        shown: dict[VuerSession, str] = {}
        while True:
            await asyncio.sleep(HUD_PERIOD)
            sessions = list(self.app.sessions)
            for session in list(shown):
                if session not in sessions:
                    del shown[session]
            for session in sessions:
                inputs = self._inputs.get(session)
                if not (self.enabled or inputs is not None and inputs.in_xr):
                    continue
                text = self.status(session, HUD_PERIOD)
                if shown.get(session) == text:
                    continue
                picture = await asyncio.to_thread(text_picture, text, font)
                shown[session] = text
                session.upsert @ head_up_panel(STATUS_KEY, picture, HUD_SIZE, at_top=True)
