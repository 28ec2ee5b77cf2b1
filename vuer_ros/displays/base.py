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
What a display is: a message type, its parameters, its QoS, and its per-topic state.

As in RViz2, every message family is a display of its own; the node only iterates the
registry. Nothing here imports rclpy: message types are named as ROS names them
(``geometry_msgs/msg/PoseStamped``), QoS is described in plain terms, and the node turns
both into rclpy objects. So a display is tested with plain objects and a Vuer app.
"""

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import AbstractSet, Any, Callable, ClassVar, Mapping, Optional, Protocol

from vuer_ros.displays.scene import RosScene, Warn


@dataclass(frozen=True)
class Param:
    """
    One node parameter: its name, default, description and allowed values.

    The type follows the default (bool, int, float, str, or a tuple of strings for a
    string list); ``low``/``high`` bound numbers and ``choices`` bound strings. ``check``
    parses a value that has a format of its own (a colour) and raises ValueError saying
    what is wrong, so a bad value stops the node at start, naming the parameter.
    """

    name: str
    default: Any
    description: str
    low: Optional[float] = None
    high: Optional[float] = None
    choices: tuple[str, ...] = ()
    check: Optional[Callable[[Any], Any]] = None


@dataclass(frozen=True)
class Qos:
    """
    The QoS a display subscribes with, in ROS terms; ``why`` says why it is the default.

    ``depth`` names the parameter whose value is the history depth (and the bound of
    messages waiting for the loop).
    """

    why: str
    depth: str = 'queue_depth'
    reliable: bool = True
    transient_local: bool = False


#: RViz2's default for a display's subscription.
RVIZ_QOS = Qos('RViz2 subscribes reliable, volatile, keep-last: the same here, so a '
               'publisher that works with RViz2 works with the viewer')


class MeshUrls(Protocol):
    """Turns mesh resource URIs into URLs the browser can load."""

    def url_for(self, uri: str, embedded: Optional[bytes] = None) -> str: ...  # noqa: D102,E704


@dataclass
class DisplayContext:
    """
    What every display shares: the scene, the options, the loop and the resources.

    :param scene: places elements in frames (the fixed frame, TF, waiting messages).
    :param options: every parameter's value by name (a display reads its own).
    :param loop: the asyncio loop the display runs on, for timers.
    :param warn: throttled warnings.
    :param meshes: resolves mesh URIs (None: meshes are not drawn).
    :param font_url: font for text, served by the same server.
    :param charset: code points that font can draw.
    """

    scene: RosScene
    options: Mapping[str, Any]
    loop: Optional[asyncio.AbstractEventLoop] = None
    warn: Warn = lambda key, text: None
    meshes: Optional[MeshUrls] = None
    font_url: Optional[str] = None
    charset: Optional[AbstractSet[int]] = None
    #: State displays of one family share (a Marker topic and its _array sibling).
    shared: dict = field(default_factory=dict)

    def now(self) -> float:
        """Receive time in seconds on the loop's clock (0 before a loop runs)."""
        return self.loop.time() if self.loop is not None else 0.0


class Display:
    """
    One topic shown in the scene: subclasses set the class attributes and ``on_message``.

    Class attributes describe the kind for the registry: ``kind`` names the
    ``<kind>_topics`` parameter, ``message_type`` is the ROS type the topic must have,
    ``options`` are parameters the kind reads (shared by name between kinds of a
    module), ``qos`` the default QoS, and ``newest_only`` that only the newest message
    matters (older ones waiting are dropped, and ``max_rate`` / ``topic_rates`` apply).
    """

    kind: ClassVar[str]
    message_type: ClassVar[str]
    default_topics: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[Param, ...]] = ()
    qos: ClassVar[Qos] = RVIZ_QOS
    newest_only: ClassVar[bool] = False

    def __init__(self, topic: str, context: DisplayContext) -> None:
        self.topic = topic
        self.context = context

    @classmethod
    def topics_param(cls) -> Param:
        """Return the ``<kind>_topics`` parameter that lists this kind's topics."""
        package, _, name = cls.message_type.split('/')
        return Param(f'{cls.kind}_topics', cls.default_topics, f'{package}/{name} topics.')

    @classmethod
    def enabled(cls, options: Mapping[str, Any]) -> bool:
        """Tell whether the options let this kind show topics at all."""
        return True

    @classmethod
    def claims(cls, topic: str) -> bool:
        """
        Tell whether a topic of this kind's type found on the graph is one to show.

        A kind whose type carries other things too (std_msgs/String) names the topics it
        takes; configured topics are shown whatever their name.
        """
        return True

    @classmethod
    def companions(cls, topic: str) -> tuple[tuple[type['Display'], str], ...]:
        """
        Return the (kind, topic) pairs shown with ``topic``, as one display of RViz2.

        RViz2's Map display on T also subscribes T_updates; a kind that does the same
        names its companions here, and the node shows them beside it.
        """
        return ()

    @classmethod
    def qos_for(cls, topic: str) -> Qos:
        """Return the QoS for ``topic`` (one kind may need another QoS on some topics)."""
        return cls.qos

    @property
    def group(self) -> str:
        """Scene group of this topic: the viewer's scene tree shows one per topic."""
        return self.topic

    @classmethod
    def reads_raw(cls, message_class: type) -> bool:
        """
        Tell whether this kind takes serialized messages (``on_raw``) of ``message_class``.

        A kind that decodes the bytes itself, faster than rclpy builds the message, says
        yes for the layouts it knows; the node then subscribes ``raw``.
        """
        return False

    def on_message(self, message: Any) -> None:
        """Show one message (called on the asyncio loop)."""
        raise NotImplementedError

    def on_raw(self, data: bytes) -> None:
        """Show one serialized message (only for kinds whose ``reads_raw`` says so)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop timers; what is drawn stays, as RViz2 keeps the last state."""


class Alarm:
    """
    One loop timer that calls ``wake(now)`` when due; ``wake`` returns its next due time.

    Asking for a time later than the timer set changes nothing, so asking on every message
    is cheap; nothing polls.
    """

    def __init__(self, context: DisplayContext, wake: Callable[[float], Optional[float]]) -> None:
        self._context = context
        self._wake = wake
        self._timer: Optional[asyncio.TimerHandle] = None

    def at(self, when: Optional[float]) -> None:
        """Wake up at ``when`` (loop seconds) at the latest; None: no need."""
        loop = self._context.loop
        if loop is None or when is None:
            return
        if self._timer is not None:
            if self._timer.when() <= when:
                return
            self._timer.cancel()
        self._timer = loop.call_at(when, self._ring)

    def _ring(self) -> None:
        self._timer = None
        self.at(self._wake(self._context.now()))

    def cancel(self) -> None:
        """Stop the timer (at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class RateLimit:
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
        # While a flush is due, the newest message waits for it, even when the period is
        # over (the timer runs late on a busy loop): handled now, it would be followed at
        # once by the older one the timer holds.
        if self._timer is None and now - self._last >= self._period:
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


class Worker:
    """
    Runs one conversion at a time off the loop, then hands back the result.

    The conversions run on ``executor`` (default: the loop's thread pool); numpy releases
    the GIL, so the loop keeps serving the other topics and the viewers meanwhile.

    ``done`` and ``failed`` run on the loop; ``idle`` is called after each, so the owner
    starts what waited meanwhile (the newest frame, the map tiles changed since). Without
    a running loop (a display driven by hand) the work runs at once.
    """

    def __init__(self, context: DisplayContext, idle: Callable[[], None],
                 executor: Optional[Executor] = None) -> None:
        self._context = context
        self._idle = idle
        self._executor = executor
        self.busy = False
        self._closed = False

    def run(self, work: Callable[[], Any], done: Callable[[Any], None],
            failed: Optional[Callable[[ValueError], None]] = None) -> None:
        """
        Run ``work()`` off the loop; call ``done(result)`` or ``failed(error)`` on it.

        Work that reports its own errors in its result passes no ``failed``.
        """
        loop = self._context.loop
        if loop is None or not loop.is_running():
            try:
                done(work())
            except ValueError as error:
                if failed is None:
                    raise
                failed(error)
            return
        self.busy = True
        future = loop.run_in_executor(self._executor, work)
        future.add_done_callback(lambda finished: self._finish(finished, done, failed))

    def _finish(self, future: asyncio.Future, done: Callable[[Any], None],
                failed: Optional[Callable[[ValueError], None]]) -> None:
        self.busy = False
        if self._closed or future.cancelled():
            return
        error = future.exception()
        if isinstance(error, ValueError) and failed is not None:
            failed(error)
        elif error is not None:
            raise error
        else:
            done(future.result())
        self._idle()

    def close(self) -> None:
        """Drop results still coming (at shutdown)."""
        self._closed = True
