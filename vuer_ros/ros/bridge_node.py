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
messages to the asyncio loop, where RosScene turns them into scene updates that the
Vuer server sends to every viewer. Clicks in the viewer come back as ROS messages.
"""

import asyncio
from functools import partial
import sys
import time
from typing import Any, Callable, Optional, Sequence

from geometry_msgs.msg import (PoseArray, PoseStamped, PoseWithCovarianceStamped,
                               TransformStamped)
from nav_msgs.msg import Odometry, Path
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy)
from rclpy.qos_overriding_options import QoSOverridingOptions
from std_msgs.msg import String
from visualization_msgs.msg import Marker, MarkerArray

from vuer_ros import client_assets
from vuer_ros.convert.poses import PoseStyle
from vuer_ros.ros.config import BridgeConfig, ConfigError, declare_parameters
from vuer_ros.ros.executor_bridge import ExecutorBridge, run_with_ros
from vuer_ros.ros.resources import MeshResources
from vuer_ros.ros.ros_scene import RosScene, viewer_scene
from vuer_ros.server import Vuer
from vuer_ros.wire import ClientEvent

#: Pose parameters -> (message type, RosScene pose kind).
POSE_TOPICS = {
    'pose_topics': (PoseStamped, 'pose'),
    'pose_covariance_topics': (PoseWithCovarianceStamped, 'pose_covariance'),
    'pose_array_topics': (PoseArray, 'pose_array'),
    'odometry_topics': (Odometry, 'odometry'),
    'path_topics': (Path, 'path'),
}
#: Seconds between two warnings on one topic.
WARN_PERIOD = 5.0
#: Where viewer clicks are published (the first of the operator's inputs sent to ROS).
CLICK_TOPIC = '~/clicked'


def _package_share(package: str) -> str:
    from ament_index_python.packages import get_package_share_directory
    return get_package_share_directory(package)


class _RateLimit:
    """Hand on at most ``rate`` messages per second, always ending on the newest one."""

    def __init__(self, loop: asyncio.AbstractEventLoop, rate: float,
                 handle: Callable[[Any], None]) -> None:
        self._loop = loop
        self._period = 1.0 / rate if rate > 0 else 0.0
        self._handle = handle
        self._last = -float('inf')
        self._pending: Any = None
        self._timer: Optional[asyncio.TimerHandle] = None

    def __call__(self, message: Any) -> None:
        now = self._loop.time()
        if now - self._last >= self._period:
            self._last = now
            self._handle(message)
            return
        self._pending = message
        if self._timer is None:
            self._timer = self._loop.call_at(self._last + self._period, self._flush)

    def _flush(self) -> None:
        self._timer = None
        message, self._pending = self._pending, None
        if message is not None:
            self._last = self._loop.time()
            self._handle(message)

    def cancel(self) -> None:
        """Drop what is waiting (at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class VuerBridge(Node):
    """
    Subscribes to pose, marker and TF topics and draws them in a Vuer scene.

    :param app: the Vuer server to draw on; by default one built from the parameters.
    :param overrides: parameter defaults to use instead of the built-in ones.
    """

    def __init__(self, *, app: Optional[Vuer] = None, node_name: str = 'vuer_bridge',
                 overrides: Optional[dict[str, Any]] = None, **node_options: Any) -> None:
        super().__init__(node_name, **node_options)
        self.config: BridgeConfig = declare_parameters(self, overrides)
        config = self.config
        self.app = app or Vuer(
            config.host, config.port, queries=config.client_queries,
            client_dir=config.client_dir or None, client_byte_limit=config.client_byte_limit,
            initial_scene=viewer_scene())
        self.meshes = MeshResources(_package_share, config.mesh_roots)
        self.meshes.add_routes(self.app.add_route)
        self.scene = RosScene(
            self.app, config.fixed_frame,
            pose_style=PoseStyle(kind=config.pose_style, length=config.pose_length,
                                 radius=config.pose_radius),
            path_style=PoseStyle(line_width=config.path_width),
            frame_axes=config.frame_axes, meshes=self.meshes,
            font_url=client_assets.default_font_url(),
            charset=client_assets.font_charset(), warn=self._warn)
        self._warned: dict[str, float] = {}
        self._limits: list[_RateLimit] = []
        self._expiry: Optional[asyncio.TimerHandle] = None
        self._marker_subs: dict[str, Any] = {}
        self._dropped: dict[str, int] = {}
        self._clicks = self.create_publisher(String, CLICK_TOPIC, 10)
        self.app.add_handler('ON_CLICK', self._on_click)

    # -- running --------------------------------------------------------------------------

    def subscribe(self, bridge: ExecutorBridge) -> None:
        """Create every subscription the parameters ask for, delivering into the loop."""
        config, loop = self.config, bridge.loop
        self.scene.start()
        for frame in config.static_frames:
            self.scene.add_static_frame(frame.parent, frame.child, frame.xyz, frame.rpy)
        qos = self._qos(config.queue_depth)
        overridable = {'qos_overriding_options': QoSOverridingOptions.with_default_policies()}
        # Waiting messages are bounded: when drawing falls behind, the oldest are dropped
        # (and counted) so the view stays live instead of lagging more and more.
        for topic in config.topics['marker_topics']:
            self._marker_subs[topic] = bridge.create_subscription(
                Marker, topic, partial(self._on_marker, topic, loop), qos,
                maxlen=config.queue_depth, **overridable)
        # The DDS history too: every array queued there costs a deserialization first.
        array_qos = self._qos(config.marker_array_backlog)
        for topic in config.topics['marker_array_topics']:
            self._marker_subs[topic] = bridge.create_subscription(
                MarkerArray, topic, partial(self._on_marker_array, topic, loop), array_qos,
                maxlen=config.marker_array_backlog, **overridable)
        for topic in config.topics['transform_topics']:
            bridge.create_subscription(TransformStamped, topic, self.scene.on_transform_msg,
                                       qos, **overridable)
        for parameter, (msg_type, kind) in POSE_TOPICS.items():
            for topic in config.topics[parameter]:
                handle = partial(self.scene.on_pose, kind, topic)
                rate = config.rate_for(topic)
                if rate > 0:
                    handle = _RateLimit(loop, rate, handle)
                    self._limits.append(handle)
                # Only the newest pose matters: older ones waiting for the loop are dropped.
                bridge.create_subscription(msg_type, topic, handle, qos, maxlen=1,
                                           **overridable)
        if config.use_tf:
            self._subscribe_tf(bridge, config.queue_depth)
        shown = [f'{parameter.removesuffix("_topics")}: {", ".join(topics)}'
                 for parameter, topics in config.topics.items() if topics]
        self.get_logger().info(f'fixed frame {config.fixed_frame!r}; showing '
                               + ('; '.join(shown) or 'no topics (set *_topics parameters)'))

    def _subscribe_tf(self, bridge: ExecutorBridge, depth: int) -> None:
        try:
            from tf2_msgs.msg import TFMessage
        except ImportError:
            self.get_logger().warning(
                'tf2_msgs is not installed: /tf and /tf_static are not shown. Publish frames '
                'on transform_topics or list them in static_frames instead.')
            return

        bridge.create_subscription(TFMessage, '/tf', self.scene.on_tf_message,
                                   self._qos(max(depth, 100)))
        # As tf2 does: /tf_static is latched, so late joiners get every static frame.
        latched = QoSProfile(depth=max(depth, 100), durability=DurabilityPolicy.TRANSIENT_LOCAL,
                             reliability=ReliabilityPolicy.RELIABLE)
        bridge.create_subscription(TFMessage, '/tf_static',
                                   partial(self.scene.on_tf_message, static=True), latched)

    @staticmethod
    def _qos(depth: int) -> QoSProfile:
        """RViz2's default: reliable, volatile, keep last; override per topic by parameter."""
        return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                          reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.VOLATILE)

    def close(self) -> None:
        """Cancel timers on the loop; subscriptions go with the ExecutorBridge."""
        for limit in self._limits:
            limit.cancel()
        if self._expiry is not None:
            self._expiry.cancel()

    # -- callbacks (on the asyncio loop) ----------------------------------------------------

    def _on_marker(self, topic: str, loop: asyncio.AbstractEventLoop, marker: Marker) -> None:
        self.scene.on_marker(topic, marker, loop.time())
        self._after_markers(topic, loop)

    def _on_marker_array(self, topic: str, loop: asyncio.AbstractEventLoop,
                         array: MarkerArray) -> None:
        self.scene.on_marker_array(topic, array, loop.time())
        self._after_markers(topic, loop)

    def _after_markers(self, topic: str, loop: asyncio.AbstractEventLoop) -> None:
        self._schedule_expiry(loop)
        dropped = self._marker_subs[topic].dropped
        if dropped > self._dropped.get(topic, 0):
            self._dropped[topic] = dropped
            self._warn(f'dropped:{topic}', f'{topic}: markers arrive faster than they can be '
                       f'drawn; {dropped} stale message(s) dropped so far to stay live')

    def _schedule_expiry(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake up exactly when the next marker lifetime ends (no polling timer)."""
        when = self.scene.next_expiry()
        if when is None:
            return
        if self._expiry is not None:
            if self._expiry.when() <= when:
                return
            self._expiry.cancel()
        self._expiry = loop.call_at(when, self._expire, loop)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._expiry = None
        self.scene.expire(loop.time())
        self._schedule_expiry(loop)

    def _on_click(self, event: ClientEvent, session: Any) -> None:
        key = event.value.get('key') if isinstance(event.value, dict) else None
        if isinstance(key, str):
            self._clicks.publish(String(data=key))

    def _warn(self, topic: str, text: str) -> None:
        """Log a warning at most once per WARN_PERIOD per topic, as RViz2 throttles."""
        now = time.monotonic()
        if now - self._warned.get(topic, -WARN_PERIOD) >= WARN_PERIOD:
            self._warned[topic] = now
            self.get_logger().warning(text)


async def serve(extra_nodes: Callable[[], Sequence[Node]] = tuple,
                overrides: Optional[dict[str, Any]] = None) -> None:
    """Run the bridge (and ``extra_nodes()``, e.g. the demo) until cancelled."""
    try:
        node = VuerBridge(overrides=overrides)
    except (ConfigError, ParameterException) as error:
        print(f'vuer_bridge: bad parameter: {error}', file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    nodes = [node, *extra_nodes()]
    try:
        async with ExecutorBridge(nodes) as bridge:
            node.subscribe(bridge)
            try:
                await node.app.start_server()
            except OSError as error:
                node.get_logger().fatal(
                    f'cannot listen on {node.config.host}:{node.config.port}: {error}; choose '
                    'another with --ros-args -p port:=PORT')
                raise SystemExit(1) from None
            try:
                await bridge.wait_stopped()
            finally:
                node.close()
                await node.app.stop_server()
    finally:
        for each in nodes:
            each.destroy_node()


def main(args: Optional[list[str]] = None) -> None:
    """Entry point of ``vuer_bridge`` (``ros2 run vuer_ros vuer_bridge --ros-args ...``)."""
    run_with_ros(serve, args=args)


def demo_main(args: Optional[list[str]] = None) -> None:
    """Entry point of ``vuer_ros_demo``: the bridge and the demo publisher in one process."""
    from vuer_ros.ros.demo import DEMO_OVERRIDES, DemoPublisher
    run_with_ros(partial(serve, lambda: [DemoPublisher()], DEMO_OVERRIDES), args=args)
