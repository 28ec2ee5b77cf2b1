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
Messages from the executor thread to the asyncio loop: in order, one wake-up per burst.

A subscription callback on the executor thread only queues the message; the loop is woken
once per burst (``call_soon_threadsafe``) and takes everything queued, so a burst costs one
cross-thread wake-up and the executor thread never blocks. A bounded queue keeps the newest
messages and counts the ones it drops, so a consumer that falls behind sees the present
instead of an ever longer backlog.
"""

import asyncio
from collections import deque
from functools import partial
import threading
from typing import (Any, Callable, Deque, Generic, List, Optional, Type, TYPE_CHECKING,
                    TypeVar, Union)

from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.subscription import Subscription

if TYPE_CHECKING:
    from vuer_ros.ros.executor.bridge import ExecutorBridge

MsgT = TypeVar('MsgT')
QoS = Union[QoSProfile, int]


class LoopSubscription(Generic[MsgT]):
    """
    A ROS subscription whose messages are handed to the asyncio loop, in order.

    The bridge owns it: when the executor stops, delivery ends and the rclpy subscription
    is destroyed with the bridge's other entities.
    """

    def __init__(
        self,
        bridge: 'ExecutorBridge',
        node: Node,
        msg_type: Type[MsgT],
        topic: str,
        qos: QoS,
        on_batch: Callable[[List[MsgT]], None],
        *,
        maxlen: Optional[int] = None,
        on_end: Optional[Callable[[], None]] = None,
        options: Optional[dict] = None,
    ) -> None:
        """
        Subscribe; use :meth:`ExecutorBridge.create_subscription` rather than this.

        :param bridge: The bridge whose executor spins ``node``.
        :param node: The subscribing node.
        :param msg_type: The message class.
        :param topic: The topic name.
        :param qos: A QoS profile or a history depth.
        :param on_batch: Called on the loop's thread with the messages of one wake-up.
        :param maxlen: Keep only the newest ``maxlen`` queued messages (``None``: all).
        :param on_end: Called on the loop's thread when delivery ends for good.
        :param options: Passed to ``Node.create_subscription``.
        :raises BridgeStoppedError: If the executor thread has stopped.
        """
        self._bridge = bridge
        self._on_batch = on_batch
        self._on_end = on_end
        self._lock = threading.Lock()
        self._queued: Deque[MsgT] = deque(maxlen=maxlen)
        #: Messages dropped because ``maxlen`` were already waiting for the loop.
        self.dropped = 0
        self._wake_pending = False
        self._closed = False
        bridge.check_running()
        self.node = node
        self.subscription: Subscription = node.create_subscription(
            msg_type, topic, self._on_message, qos, **(options or {}))
        bridge.own(self)

    @property
    def closed(self) -> bool:
        """Return whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Stop delivering and destroy the subscription; messages still queued are dropped."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queued.clear()
        self._bridge.release(self)
        self.end()

    def end(self) -> None:
        """
        Tell the consumer that delivery has ended for good (loop thread).

        :meth:`close` calls it, and so does the bridge when its executor stops; the
        consumer hears it once.
        """
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end()

    def _on_message(self, msg: MsgT) -> None:
        """Queue a message (executor thread)."""
        with self._lock:
            if self._closed:
                return
            if len(self._queued) == self._queued.maxlen:
                self.dropped += 1  # the oldest waiting message makes room
            self._queued.append(msg)
            if self._wake_pending:
                return
            self._wake_pending = True
        self._bridge.call_in_loop(self._drain)

    def _drain(self) -> None:
        """Hand everything queued to the consumer (loop thread)."""
        with self._lock:
            self._wake_pending = False
            batch = list(self._queued)
            self._queued.clear()
        if batch:
            self._on_batch(batch)


def create_subscription(
    bridge: 'ExecutorBridge',
    msg_type: Type[MsgT],
    topic: str,
    callback: Callable[[MsgT], None],
    qos: QoS = 10,
    *,
    node: Optional[Node] = None,
    maxlen: Optional[int] = None,
    **options: Any,
) -> LoopSubscription[MsgT]:
    """
    Subscribe with a callback that runs on the loop, message by message, in order.

    Called as :meth:`ExecutorBridge.create_subscription`. An exception in the callback goes
    to the loop's exception handler; the rest of the burst is still delivered.

    :param bridge: The bridge whose executor spins the subscribing node.
    :param msg_type: The message class.
    :param topic: The topic name.
    :param callback: Called on the loop's thread with each message.
    :param qos: A QoS profile or a history depth.
    :param node: Which bridged node subscribes; default: the first.
    :param maxlen: Keep only the newest ``maxlen`` messages waiting for the loop
        (``None``: keep all).
    :param options: Passed to ``Node.create_subscription`` (``qos_overriding_options``,
        ``event_callbacks``...).
    :return: The subscription; ``close()`` it to unsubscribe.
    :raises BridgeStoppedError: If the executor thread has stopped.
    """
    on_batch = partial(_call_each, callback, bridge.loop, topic)
    return LoopSubscription(
        bridge, bridge.bridged_node(node), msg_type, topic, qos, on_batch, maxlen=maxlen,
        options=options)


def _call_each(
    callback: Callable[[MsgT], None], loop: asyncio.AbstractEventLoop, topic: str,
    batch: List[MsgT]
) -> None:
    """Deliver a batch message by message; like asyncio's callbacks, report errors and go on."""
    for msg in batch:
        try:
            callback(msg)
        except Exception as exc:
            loop.call_exception_handler({
                'message': f'exception in the subscription callback for {topic!r}',
                'exception': exc,
            })
