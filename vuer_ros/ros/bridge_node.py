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
The vuer_bridge node: ROS topics in, a live Vuer scene out, one port for the viewer.

The rclpy executor spins in its own thread (ExecutorBridge); subscriptions hand
messages to the asyncio loop, where the displays (``vuer_ros.displays``) turn them into
scene updates that the Vuer server sends to every viewer. The node only wires: it
declares the registry's parameters, subscribes each display's topics with the display's
QoS, and with ``auto_topics`` finds displayable topics on the graph by itself. Clicks in
the viewer come back as ROS messages.

Time: messages are placed by their header stamps against TF's stamps, so with
``use_sim_time`` (a bag played with ``--clock``) nothing compares a simulated stamp with
the wall clock; waits for TF, the frame timeout and marker lifetimes are spans of receive
time on the loop's clock. When the node's ROS clock jumps back (the bag starts again),
TF's history is cleared, as tf2_ros's Buffer clears it.
"""

import asyncio
from functools import partial
import importlib
import logging
import sys
import time
from typing import Any, Callable, Optional, Sequence

from rclpy.clock import ClockChange, JumpThreshold, TimeJump
from rclpy.duration import Duration
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSPolicyKind, QoSProfile,
                       ReliabilityPolicy)
from rclpy.qos_overriding_options import QoSOverridingOptions
from rclpy.serialization import deserialize_message
from std_msgs.msg import String

from vuer_ros.convert.cdr import CdrError
from vuer_ros.displays.base import Display, RateLimit
from vuer_ros.displays.discovery import GraphTopic, TopicDiscovery
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.scene import viewer_scene
from vuer_ros.resources import MeshResources
from vuer_ros.ros.config import declare_parameters
from vuer_ros.ros.executor import ExecutorBridge, run_with_ros
from vuer_ros.ros.teleop import Teleop
from vuer_ros.server import Vuer
from vuer_ros.settings import ConfigError, Settings
from vuer_ros.tls import server_context, TlsError
from vuer_ros.wire import ClientEvent

#: Seconds between two warnings with one key.
WARN_PERIOD = 5.0
#: Seconds between two scans of the ROS graph for auto_topics (a few topic-list calls).
DISCOVERY_PERIOD = 1.0
#: QoS policies users may override per topic (qos_overrides.<topic>.subscription.<policy>):
#: rclpy's defaults leave out durability, which latched publishers need.
QOS_OVERRIDES = QoSOverridingOptions(policy_kinds=(
    QoSPolicyKind.HISTORY, QoSPolicyKind.DEPTH, QoSPolicyKind.RELIABILITY,
    QoSPolicyKind.DURABILITY))
#: Where viewer clicks are published (the first of the operator's inputs sent to ROS).
CLICK_TOPIC = '~/clicked'


def _package_share(package: str) -> str:
    from ament_index_python.packages import get_package_share_directory
    return get_package_share_directory(package)


def message_class(type_name: str) -> Any:
    """Import a message class from its ROS name (``geometry_msgs/msg/PoseStamped``)."""
    package, interface, name = type_name.split('/')
    return getattr(importlib.import_module(f'{package}.{interface}'), name)


class RosLogHandler(logging.Handler):
    """
    Send vuer_ros's Python log records (the server's) to a ROS logger, at their level.

    Unconfigured, Python prints warnings bare, without level or name, which reads as a
    fault in a ROS console; this way they look like every other ROS log line.
    """

    def __init__(self, ros_logger: Any) -> None:
        super().__init__()
        self._ros_logger = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        """Log ``record`` through the ROS logger at the matching severity."""
        text = self.format(record)
        if record.levelno >= logging.ERROR:
            self._ros_logger.error(text)
        elif record.levelno >= logging.WARNING:
            self._ros_logger.warning(text)
        elif record.levelno >= logging.INFO:
            self._ros_logger.info(text)
        else:
            self._ros_logger.debug(text)


class VuerBridge(Node):
    """
    Shows every configured (and, with auto_topics, every displayable) topic in Vuer.

    :param app: the Vuer server to draw on; by default one built from the parameters.
    :param overrides: parameter defaults to use instead of the built-in ones.
    """

    def __init__(self, *, app: Optional[Vuer] = None, node_name: str = 'vuer_bridge',
                 overrides: Optional[dict[str, Any]] = None, **node_options: Any) -> None:
        super().__init__(node_name, **node_options)
        self.settings: Settings = declare_parameters(self, overrides)
        settings = self.settings
        self.app = app or Vuer(
            settings['host'], settings['port'], queries=settings.client_queries,
            client_dir=settings['client_dir'] or None,
            client_byte_limit=settings['client_byte_limit'], token=settings['token'],
            ssl_context=(server_context(settings['certfile'], settings['keyfile'])
                         if settings['certfile'] else None),
            initial_scene=viewer_scene())
        self.meshes = MeshResources(_package_share, settings['mesh_roots'])
        self.meshes.add_routes(self.app.add_route)
        self.host = DisplayHost(self.app, settings, meshes=self.meshes, warn=self._warn)
        self._warned: dict[str, float] = {}
        self._limits: dict[str, RateLimit] = {}
        self._listening: dict[str, Any] = {}
        self._inputs: list[Any] = []
        self._missing_types: set[str] = set()
        self._latched_warned: set[str] = set()
        self._discovery: Optional[asyncio.Task] = None
        self._time_jumps: Any = None
        self._clicks = self.create_publisher(String, CLICK_TOPIC, 10)
        self.app.add_handler('ON_CLICK', self._on_click)
        self.teleop = Teleop(self, self.app, settings, self._warn)

    # -- running --------------------------------------------------------------------------

    def subscribe(self, bridge: ExecutorBridge) -> None:
        """Subscribe every configured topic and start finding the others."""
        settings = self.settings
        self.host.context.loop = bridge.loop
        self.host.start()
        self.teleop.start(bridge.loop, partial(self._subscribe_input, bridge))
        # tf2_ros's Buffer threshold: any jump back, and ROS time switched on or off.
        self._time_jumps = self.get_clock().create_jump_callback(
            JumpThreshold(min_forward=None, min_backward=Duration(nanoseconds=-1)),
            post_callback=partial(self._on_time_jump, bridge.loop))
        explicit = []
        for kind, topics in settings.topics.items():
            for topic in topics if kind.enabled(settings.options) else ():
                if self.show(bridge, kind, topic):
                    explicit.append(f'{topic} ({kind.kind})')
        self.get_logger().info(
            f'fixed frame {settings.fixed_frame!r}; showing '
            + (', '.join(explicit) or 'no configured topics')
            + ('; finding displayable topics on the graph' if settings['auto_topics'] else ''))
        if settings['auto_topics']:
            discovery = TopicDiscovery(
                [topic for topics in settings.topics.values() for topic in topics],
                settings.auto_shows, settings.options)
            self._discovery = bridge.loop.create_task(self._discover(bridge, discovery))

    def show(self, bridge: ExecutorBridge, kind: type[Display], topic: str) -> bool:
        """Subscribe ``topic`` for display ``kind``; False when its type is not installed."""
        if topic in self._listening:   # already shown, e.g. as another topic's companion
            return True
        try:
            msg_type = message_class(kind.message_type)
        except (ImportError, AttributeError):
            if kind.message_type not in self._missing_types:
                self._missing_types.add(kind.message_type)
                frames = ('; or publish frames on transform_topics or list them in '
                          'static_frames' if kind.message_type.startswith('tf2_msgs/') else '')
                self.get_logger().warning(
                    f'{kind.message_type} is not installed here: {topic} is not shown. '
                    'On a PyPI install, build tf2_msgs and map_msgs once with: bash '
                    f'scripts/build_interfaces.sh <venv> (see the README){frames}.')
            return False
        display = self.host.show(kind, topic)
        qos = kind.qos_for(topic)
        depth = self.settings[qos.depth]
        # Kinds that decode the bytes themselves skip rclpy's deserialization, the
        # costliest step for big marker arrays (a Python object per point).
        raw = kind.reads_raw(msg_type)
        handle: Callable[[Any], None] = partial(
            self._deliver, display,
            partial(self._show_raw, display, msg_type) if raw else display.on_message)
        rate = self.settings.rate_for(topic)
        if kind.newest_only and rate > 0:
            handle = self._limits[topic] = RateLimit(bridge.loop, rate, handle)
        profile = QoSProfile(
            history=HistoryPolicy.KEEP_LAST, depth=depth,
            reliability=(ReliabilityPolicy.RELIABLE if qos.reliable
                         else ReliabilityPolicy.BEST_EFFORT),
            durability=(DurabilityPolicy.TRANSIENT_LOCAL if qos.transient_local
                        else DurabilityPolicy.VOLATILE))
        # Waiting messages are bounded: newest-only displays keep one, the others their
        # depth; when drawing falls behind the oldest are dropped (and counted) so the
        # view stays live instead of lagging more and more.
        self._listening[topic] = bridge.create_subscription(
            msg_type, topic, handle, profile, maxlen=1 if kind.newest_only else depth, raw=raw,
            qos_overriding_options=QOS_OVERRIDES,
            event_callbacks=SubscriptionEventCallbacks(
                incompatible_qos=partial(self._on_incompatible_qos, topic)))
        self._check_latched(topic)
        for companion, companion_topic in kind.companions(topic):
            if companion_topic not in self._listening:
                self.show(bridge, companion, companion_topic)
        return True

    def _subscribe_input(self, bridge: ExecutorBridge, msg_type: type, topic: str,
                         handle: Callable[[Any], None], depth: int) -> None:
        """Subscribe a topic the viewer takes input from (haptics), handled on the loop."""
        self._inputs.append(bridge.create_subscription(msg_type, topic, handle, depth,
                                                       maxlen=depth))

    def _on_incompatible_qos(self, topic: str, info: Any) -> None:
        """Say which policy keeps a publisher out, and the override that lets it in."""
        policy = QoSPolicyKind(info.last_policy_kind).name.lower()
        offer, value = {
            'reliability': ('a publisher is best effort, the viewer subscribes reliable (as '
                            'RViz2)', 'best_effort'),
            'durability': ('a publisher is volatile, the viewer subscribes transient local',
                           'volatile'),
        }.get(policy, (f'a publisher offers another {policy}', '<value>'))
        self._warn(f'qos:{topic}', f'{topic}: incompatible QoS: {offer}, so its messages are '
                   f'not shown. To show them: -p qos_overrides.{topic}.subscription.{policy}:='
                   f'{value}')

    def _check_latched(self, topic: str) -> None:
        """
        Warn once when a publisher latches (transient local) and the viewer does not.

        Both match, so no QoS event says it: only what was published before the viewer
        started is missing, and the user sees nothing at all.
        """
        subscription = self._listening.get(topic)
        if subscription is None or topic in self._latched_warned:
            return
        if subscription.subscription.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL:
            return
        if any(info.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
               for info in self.get_publishers_info_by_topic(topic)):
            self._latched_warned.add(topic)
            self.get_logger().warning(
                f'{topic}: a publisher latches its messages (transient local) but the viewer '
                'subscribes volatile, as RViz2: what it sent before the viewer started is '
                f'not shown. To show it: -p qos_overrides.{topic}.subscription.durability:='
                'transient_local')

    @property
    def shown_topics(self) -> dict[str, type[Display]]:
        """Topics the node listens to now, with their display kind."""
        return {topic: type(self.host.displays[topic]) for topic in self._listening}

    def hide(self, topic: str) -> None:
        """Stop listening to ``topic``; what it drew stays, as RViz2 keeps the last state."""
        subscription = self._listening.pop(topic, None)
        if subscription is not None:
            subscription.close()
        limit = self._limits.pop(topic, None)
        if limit is not None:
            limit.cancel()

    async def _discover(self, bridge: ExecutorBridge, discovery: TopicDiscovery) -> None:
        """Scan the graph every DISCOVERY_PERIOD and show or drop topics as they change."""
        log = self.get_logger()
        while True:
            own = self.teleop.own_topics()   # what only the operator publishes isn't drawn
            graph = [GraphTopic(name, tuple(types), count)
                     for name, types in self.get_topic_names_and_types()
                     for count in (self.count_publishers(name),)
                     if not (name in own and count <= 1)]
            plan = discovery.scan(graph)
            for topic, kind in plan.show:
                if self.show(bridge, kind, topic):
                    log.info(f'found {topic} ({kind.message_type}): showing it')
            for topic in plan.drop:
                log.info(f'{topic} has no publisher any more: keeping its last state')
                self.hide(topic)
            if plan.unknown:
                log.info('not shown (no display for their type): ' + ', '.join(
                    f'{topic} ({type_name})' for topic, type_name in plan.unknown))
            for topic in list(self._listening):   # publishers that came after the topic
                self._check_latched(topic)
            await asyncio.sleep(DISCOVERY_PERIOD)

    def close(self) -> None:
        """Stop discovery and timers on the loop; subscriptions go with the ExecutorBridge."""
        if self._time_jumps is not None:
            self._time_jumps.unregister()
        if self._discovery is not None:
            self._discovery.cancel()
        for limit in self._limits.values():
            limit.cancel()
        self.teleop.close()
        self.host.close()

    # -- callbacks (on the asyncio loop) ----------------------------------------------------

    def _show_raw(self, display: Display, msg_type: Any, data: bytes) -> None:
        """Show serialized bytes; those the display's decoder refuses, read by rclpy."""
        try:
            display.on_raw(data)
        except CdrError as error:   # rclpy reads more (invalid UTF-8, big-endian CDR)
            self._warn(f'cdr:{display.topic}', f'{display.topic}: {error}; read with rclpy '
                                               'instead (slower)')
            display.on_message(deserialize_message(data, msg_type))

    def _deliver(self, display: Display, show: Callable[[Any], None], message: Any) -> None:
        show(message)
        subscription = self._listening.get(display.topic)
        dropped = subscription.dropped if subscription is not None else 0
        if dropped and not display.newest_only:
            self._warn(f'dropped:{display.topic}',
                       f'{display.topic}: messages arrive faster than they can be drawn; '
                       f'{dropped} stale message(s) dropped so far to stay live')

    def _on_time_jump(self, loop: asyncio.AbstractEventLoop, jump: TimeJump) -> None:
        """Clear TF's history on the loop (this runs on the thread that moved the clock)."""
        back = jump.delta.nanoseconds < 0
        if back:
            self.get_logger().warning('Detected jump back in time. Clearing TF buffer.')
        if back or jump.clock_change in (ClockChange.ROS_TIME_ACTIVATED,
                                         ClockChange.ROS_TIME_DEACTIVATED):
            loop.call_soon_threadsafe(self.host.scene.on_time_jump)

    def _on_click(self, event: ClientEvent, session: Any) -> None:
        key = event.value.get('key') if isinstance(event.value, dict) else None
        if isinstance(key, str):
            self._clicks.publish(String(data=key))

    def _warn(self, key: str, text: str) -> None:
        """Log a warning at most once per WARN_PERIOD per key, as RViz2 throttles."""
        now = time.monotonic()
        if now - self._warned.get(key, -WARN_PERIOD) >= WARN_PERIOD:
            self._warned[key] = now
            self.get_logger().warning(text)


async def serve(extra_nodes: Callable[[], Sequence[Node]] = tuple,
                overrides: Optional[dict[str, Any]] = None) -> None:
    """Run the bridge (and ``extra_nodes()``, e.g. the demo) until cancelled."""
    try:
        node = VuerBridge(overrides=overrides)
    except (ConfigError, ParameterException, TlsError) as error:
        print(f'vuer_bridge: bad parameter: {error}', file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    nodes = [node, *extra_nodes()]
    server_log = logging.getLogger('vuer_ros')
    forward = RosLogHandler(node.get_logger().get_child('server'))
    server_log.addHandler(forward)
    server_log.setLevel(logging.INFO)
    server_log.propagate = False
    try:
        async with ExecutorBridge(nodes) as bridge:
            node.subscribe(bridge)
            try:
                await node.app.start_server()
            except OSError as error:
                node.get_logger().fatal(
                    f'cannot listen on {node.settings["host"]}:{node.settings["port"]}: '
                    f'{error}; choose another with --ros-args -p port:=PORT')
                raise SystemExit(1) from None
            try:
                await bridge.wait_stopped()
            finally:
                node.close()
                await node.app.stop_server()
    finally:
        server_log.removeHandler(forward)
        for each in nodes:
            each.destroy_node()


def main(args: Optional[list[str]] = None) -> None:
    """Entry point of ``vuer_bridge`` (``ros2 run vuer_ros vuer_bridge --ros-args ...``)."""
    run_with_ros(serve, args=args, description=(
        'Show ROS topics (markers, poses, TF ... every displayable topic on the graph) in '
        'the Vuer viewer,\nserved on one port for browsers and VR headsets.'))


def demo_main(args: Optional[list[str]] = None) -> None:
    """Entry point of ``vuer_ros_demo``: the bridge and the demo publisher in one process."""
    from vuer_ros.ros.demo import DEMO_OVERRIDES, DemoPublisher
    run_with_ros(partial(serve, lambda: [DemoPublisher()], DEMO_OVERRIDES), args=args,
                 description='The Vuer bridge with a demo publisher: open the printed URL '
                             'to see a small\nrobot scene with a marker of every type.')
