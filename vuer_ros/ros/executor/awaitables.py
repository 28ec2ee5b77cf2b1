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
ROS results that asyncio code can await: rclpy futures, message streams, service calls.

rclpy futures cannot be awaited from asyncio (awaiting one raises "Task got bad yield"), so
each becomes an asyncio future of the loop that settles when the rclpy one does. Whatever
still waits for the executor when it stops fails with :class:`BridgeStoppedError` instead
of waiting forever.
"""

import asyncio
from collections import deque
from functools import partial
from typing import Any, Deque, Generic, List, Optional, Type, TYPE_CHECKING

from rclpy.client import Client
from rclpy.node import Node
from rclpy.subscription import Subscription
from rclpy.task import Future

from vuer_ros.ros.executor.delivery import LoopSubscription, MsgT, QoS

if TYPE_CHECKING:
    from vuer_ros.ros.executor.bridge import ExecutorBridge


class BridgeStoppedError(RuntimeError):
    """The executor thread has stopped, so ROS can no longer complete the operation."""


class MessageStream(Generic[MsgT]):
    """
    The messages of one topic as an async iterator, in arrival order.

    The subscription exists from construction, so nothing published after
    :meth:`ExecutorBridge.messages` returns is missed. Iteration ends, after the messages
    already received, once the stream is closed or the executor stops. One consumer at a
    time.
    """

    def __init__(
        self,
        bridge: 'ExecutorBridge',
        node: Node,
        msg_type: Type[MsgT],
        topic: str,
        qos: QoS,
        *,
        maxlen: Optional[int] = None,
    ) -> None:
        """
        Subscribe; use :meth:`ExecutorBridge.messages` rather than this.

        The parameters are those of :class:`LoopSubscription`; ``maxlen`` also bounds the
        messages received but not yet iterated.
        """
        self._loop = bridge.loop
        self._buffer: Deque[MsgT] = deque(maxlen=maxlen)
        self._waiter: Optional['asyncio.Future[None]'] = None
        self._ended = False
        self._loop_subscription = LoopSubscription(
            bridge, node, msg_type, topic, qos, self._receive, maxlen=maxlen,
            on_end=self._end)

    @property
    def subscription(self) -> Subscription:
        """Return the rclpy subscription behind the stream."""
        return self._loop_subscription.subscription

    def close(self) -> None:
        """Unsubscribe; iteration ends after the messages already received."""
        self._loop_subscription.close()

    def __aiter__(self) -> 'MessageStream[MsgT]':
        """Iterate over the stream itself."""
        return self

    async def __anext__(self) -> MsgT:
        """Return the next message, waiting for one if none is buffered."""
        while not self._buffer:
            if self._ended:
                raise StopAsyncIteration
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()

    async def __aenter__(self) -> 'MessageStream[MsgT]':
        """Use the stream; it is closed on exit."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the stream."""
        self.close()

    def _receive(self, batch: List[MsgT]) -> None:
        self._buffer.extend(batch)
        self._wake()

    def _end(self) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def messages(
    bridge: 'ExecutorBridge',
    msg_type: Type[MsgT],
    topic: str,
    qos: QoS = 10,
    *,
    node: Optional[Node] = None,
    maxlen: Optional[int] = None,
) -> MessageStream[MsgT]:
    """
    Subscribe and return the messages as an async iterator.

    Called as :meth:`ExecutorBridge.messages`. Example: ``async with bridge.messages(Pose,
    'pose') as poses: async for pose in poses: ...``.

    :param bridge: The bridge whose executor spins the subscribing node.
    :param msg_type: The message class.
    :param topic: The topic name.
    :param qos: A QoS profile or a history depth.
    :param node: Which bridged node subscribes; default: the first.
    :param maxlen: Keep only the newest ``maxlen`` messages not yet iterated
        (``None``: keep all).
    :return: The stream; close it (or leave ``async with``) to unsubscribe.
    :raises BridgeStoppedError: If the executor thread has stopped.
    """
    return MessageStream(bridge, bridge.bridged_node(node), msg_type, topic, qos, maxlen=maxlen)


async def wait_for_message(
    bridge: 'ExecutorBridge',
    msg_type: Type[MsgT],
    topic: str,
    *,
    qos: QoS = 10,
    timeout: Optional[float] = None,
    node: Optional[Node] = None,
) -> MsgT:
    """
    Subscribe, wait for the first message, unsubscribe.

    Called as :meth:`ExecutorBridge.wait_for_message`.

    :param bridge: The bridge whose executor spins the subscribing node.
    :param msg_type: The message class.
    :param topic: The topic name.
    :param qos: A QoS profile or a history depth; a TRANSIENT_LOCAL profile also gets
        the message a latched publisher sent before.
    :param timeout: Seconds to wait; ``None`` waits forever.
    :param node: Which bridged node subscribes; default: the first.
    :return: The message.
    :raises asyncio.TimeoutError: If no message came within ``timeout``.
    :raises BridgeStoppedError: If the executor thread stopped first.
    """
    async with messages(bridge, msg_type, topic, qos, node=node, maxlen=1) as stream:
        try:
            return await asyncio.wait_for(anext(stream), timeout)
        except StopAsyncIteration:
            raise BridgeStoppedError('the executor stopped before a message came') from None


def wrap(bridge: 'ExecutorBridge', future: Future) -> 'asyncio.Future[Any]':
    """
    Return an asyncio future of the bridge's loop that settles like an rclpy future.

    Called as :meth:`ExecutorBridge.wrap`. Cancellation crosses both ways: cancelling the
    asyncio future cancels the rclpy one (so a service client forgets the request), and a
    cancelled rclpy future cancels the asyncio one.

    :param bridge: The bridge whose executor completes ``future``.
    :param future: An rclpy future, for instance from ``Client.call_async``.
    :return: The asyncio future; it fails with :class:`BridgeStoppedError` if the
        executor stops while ``future`` is pending.
    :raises BridgeStoppedError: If ``future`` is pending and the executor has stopped.
    """
    aio_future = bridge.loop.create_future()
    if future.done() or future.cancelled():
        _settle(aio_future, future)
        return aio_future
    bridge.check_running()
    bridge.fail_on_stop(aio_future)
    aio_future.add_done_callback(partial(_cancel_if_cancelled, future))
    # rclpy runs this on the executor thread, or on the thread that completes `future`.
    future.add_done_callback(partial(bridge.call_in_loop, _settle, aio_future))
    return aio_future


async def call(
    bridge: 'ExecutorBridge', client: Client, request: Any, *, timeout: Optional[float] = None
) -> Any:
    """
    Call a service and await its response.

    Called as :meth:`ExecutorBridge.call`.

    :param bridge: The bridge whose executor spins the client's node.
    :param client: A client of one of the bridged nodes.
    :param request: The request, of the client's ``srv_type.Request``.
    :param timeout: Seconds to wait; ``None`` waits forever.
    :return: The response.
    :raises asyncio.TimeoutError: If no response came within ``timeout``; the request
        is cancelled then, so a late response is dropped.
    :raises BridgeStoppedError: If the executor thread stopped first.
    """
    return await asyncio.wait_for(wrap(bridge, client.call_async(request)), timeout)


async def wait_for_service(client: Client, *, timeout: Optional[float] = None) -> None:
    """
    Wait until a server for the client's service is available.

    rclpy has no graph-change event that every executor delivers (the EventsExecutor has
    no guard conditions), so this polls the non-blocking readiness check, backing off to
    the 0.25 s rclpy's own blocking ``wait_for_service`` sleeps between checks.

    :param client: The service client.
    :param timeout: Seconds to wait; ``None`` waits forever.
    :raises asyncio.TimeoutError: If no server appeared within ``timeout``.
    """
    async def available() -> None:
        delay = 0.01
        while not client.service_is_ready():
            await asyncio.sleep(delay)
            delay = min(2 * delay, 0.25)

    await asyncio.wait_for(available(), timeout)


def _settle(aio_future: 'asyncio.Future[Any]', future: Future) -> None:
    """Give an asyncio future the outcome of a finished rclpy future (loop thread)."""
    if aio_future.done():
        return
    if future.cancelled():
        aio_future.cancel()
        return
    exception = future.exception()
    if exception is not None:
        aio_future.set_exception(exception)
    else:
        aio_future.set_result(future.result())


def _cancel_if_cancelled(future: Future, aio_future: 'asyncio.Future[Any]') -> None:
    if aio_future.cancelled():
        future.cancel()
