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
An rclpy executor and an asyncio loop side by side, with hand-overs both ways.

rclpy on Jazzy and Kilted has no asyncio executor and its futures cannot be awaited from
asyncio, so the executor spins in a thread of its own and everything that crosses goes
through a thread-safe door:

* ROS -> asyncio: a subscription callback only queues the message; the loop is woken once
  per burst (``call_soon_threadsafe``) and takes everything queued, in order.
* asyncio -> ROS: ``Publisher.publish`` and ``Client.call_async`` are thread safe in rclpy
  and are called straight from the loop; work that must run on the executor thread is
  posted with ``executor.create_task``; rclpy futures become asyncio futures with
  :meth:`ExecutorBridge.wrap`.
"""

import asyncio
from collections import deque
import enum
from functools import partial
import signal
import threading
import traceback
from typing import (Any, Awaitable, Callable, Deque, Generic, List, Optional, Sequence, Set,
                    Tuple, Type, TypeVar, Union)

import rclpy
from rclpy.client import Client
from rclpy.context import Context
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.signals import SignalHandlerOptions
from rclpy.subscription import Subscription
from rclpy.task import Future

MsgT = TypeVar('MsgT')
T = TypeVar('T')
QoS = Union[QoSProfile, int]

# The EventsExecutor of the Jazzy and Kilted wheels busy-waits when spun without a timeout
# (its wait until time_point::max() returns at once): it burns most of a core while idle
# and starves create_task() from other threads. Given a deadline it sleeps until work
# arrives. The slice only bounds that deadline; stopping never waits for it.
_EVENTS_SPIN_SLICE_SEC = 3600.0

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ExecutorKind(str, enum.Enum):
    """Which rclpy executor spins the bridged nodes."""

    #: ``rclpy.experimental.EventsExecutor``: several times the callback rate of the other.
    EVENTS = 'events'
    #: ``rclpy.executors.SingleThreadedExecutor``: the reference implementation.
    SINGLE_THREADED = 'single_threaded'


class BridgeStoppedError(RuntimeError):
    """The executor thread has stopped, so ROS can no longer complete the operation."""


class ExecutorBridge:
    """
    An rclpy executor spinning in its own thread, bridged to an asyncio event loop.

    Use it as ``async with ExecutorBridge(node) as bridge:``, or call :meth:`start` and
    :meth:`stop`. Methods are called from the loop's thread unless they say otherwise. The
    bridge adds the nodes to an executor it owns and destroys only what it created: never
    the nodes, never the context.

    ``publisher.publish(msg)`` is thread safe in rclpy, so asyncio code calls it directly (a
    reliable KEEP_ALL publisher can block while readers lag: keep those off the loop).
    """

    def __init__(
        self,
        nodes: Union[Node, Sequence[Node]],
        loop: Optional[asyncio.AbstractEventLoop] = None,
        *,
        executor: Union[ExecutorKind, str] = ExecutorKind.EVENTS,
    ) -> None:
        """
        Create the executor and add the nodes to it; spinning starts with :meth:`start`.

        :param nodes: The node, or nodes, to spin. They must share one context.
        :param loop: The loop that receives messages and results; default: the running one.
        :param executor: Which rclpy executor to use; the EventsExecutor falls back to the
            SingleThreadedExecutor where rclpy lacks it.
        :raises ValueError: If there is no node, the nodes' contexts differ, or the executor
            kind is unknown.
        """
        self._nodes = [nodes] if isinstance(nodes, Node) else list(nodes)
        if not self._nodes:
            raise ValueError('ExecutorBridge needs at least one node')
        self._context: Context = self._nodes[0].context
        if any(node.context is not self._context for node in self._nodes):
            raise ValueError('the nodes of one ExecutorBridge must share one context')
        self._loop = asyncio.get_running_loop() if loop is None else loop
        self._kind, self._executor = _make_executor(ExecutorKind(executor), self._nodes[0])
        for node in self._nodes:
            self._executor.add_node(node)
        # Completing this future ends spinning: each executor wakes on it from any thread.
        self._stop_request: Future = Future()
        self._thread: Optional[threading.Thread] = None
        # False once the executor has shut down: a task posted after that would never run.
        self._accepting = True
        self._lock = threading.Lock()  # guards _owned, touched by both threads
        self._owned: Set[LoopSubscription[Any]] = set()
        self._pending: Set['asyncio.Future[Any]'] = set()  # loop thread only
        self._finished: 'asyncio.Future[None]' = self._loop.create_future()
        self._error: Optional[Exception] = None

    @property
    def executor(self) -> Executor:
        """Return the rclpy executor that the bridge owns and spins."""
        return self._executor

    @property
    def executor_kind(self) -> ExecutorKind:
        """Return the kind of executor in use, after any fallback."""
        return self._kind

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """Return the asyncio loop that receives messages and results."""
        return self._loop

    def start(self) -> None:
        """
        Start spinning the executor in a new thread.

        :raises RuntimeError: If the bridge was started or stopped before.
        """
        if self._thread is not None or self._stop_request.done():
            raise RuntimeError('an ExecutorBridge can be started only once')
        # Not a daemon: stop() joins it, so no callback is cut off halfway at exit.
        self._thread = threading.Thread(
            target=self._spin, name=f'{self._nodes[0].get_name()}_executor')
        self._thread.start()

    def stop(self) -> None:
        """
        Stop the executor thread, wait for it to end and destroy what the bridge created.

        Safe to call from any thread and more than once. In async code prefer :meth:`aclose`,
        which does not block the loop while the executor finishes its current callback.
        """
        self._request_stop()
        thread = self._thread
        if thread is None:
            if self._accepting:
                self._finish()  # never started: nothing spins, so tear down here
        elif thread is threading.current_thread():
            return  # called by a callback: spinning ends when it returns
        else:
            thread.join()
        with self._lock:
            owned = list(self._owned)
        for loop_subscription in owned:
            loop_subscription._destroy()

    async def aclose(self) -> None:
        """Stop the executor thread without blocking the loop, then finish like :meth:`stop`."""
        self._request_stop()
        try:
            if self._thread is not None:
                await asyncio.shield(self._finished)
        finally:
            self.stop()

    async def __aenter__(self) -> 'ExecutorBridge':
        """Start spinning."""
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop spinning and release what the bridge created."""
        await self.aclose()

    async def wait_stopped(self) -> None:
        """
        Wait until the executor thread has ended, for whatever reason.

        It ends on :meth:`stop`, when the ROS context is shut down, or when a callback of a
        node raises (rclpy stops spinning then).

        :raises Exception: The exception that stopped the executor, if a callback raised.
        """
        await asyncio.shield(self._finished)
        if self._error is not None:
            raise self._error

    def create_subscription(
        self,
        msg_type: Type[MsgT],
        topic: str,
        callback: Callable[[MsgT], None],
        qos: QoS = 10,
        *,
        node: Optional[Node] = None,
        maxlen: Optional[int] = None,
        **options: Any,
    ) -> 'LoopSubscription[MsgT]':
        """
        Subscribe with a callback that runs on the loop, message by message, in order.

        An exception in the callback goes to the loop's exception handler; the rest of the
        burst is still delivered.

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
        on_batch = partial(_call_each, callback, self._loop, topic)
        return LoopSubscription(
            self, self._node_or_default(node), msg_type, topic, qos, on_batch, maxlen=maxlen,
            options=options)

    def messages(
        self,
        msg_type: Type[MsgT],
        topic: str,
        qos: QoS = 10,
        *,
        node: Optional[Node] = None,
        maxlen: Optional[int] = None,
    ) -> 'MessageStream[MsgT]':
        """
        Subscribe and return the messages as an async iterator.

        Example: ``async with bridge.messages(Pose, 'pose') as poses: async for pose in
        poses: ...``.

        :param msg_type: The message class.
        :param topic: The topic name.
        :param qos: A QoS profile or a history depth.
        :param node: Which bridged node subscribes; default: the first.
        :param maxlen: Keep only the newest ``maxlen`` messages not yet iterated
            (``None``: keep all).
        :return: The stream; close it (or leave ``async with``) to unsubscribe.
        :raises BridgeStoppedError: If the executor thread has stopped.
        """
        return MessageStream(
            self, self._node_or_default(node), msg_type, topic, qos, maxlen=maxlen)

    async def wait_for_message(
        self,
        msg_type: Type[MsgT],
        topic: str,
        *,
        qos: QoS = 10,
        timeout: Optional[float] = None,
        node: Optional[Node] = None,
    ) -> MsgT:
        """
        Subscribe, wait for the first message, unsubscribe.

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
        async with self.messages(msg_type, topic, qos, node=node, maxlen=1) as stream:
            try:
                return await asyncio.wait_for(anext(stream), timeout)
            except StopAsyncIteration:
                raise BridgeStoppedError('the executor stopped before a message came') from None

    async def call(
        self, client: Client, request: Any, *, timeout: Optional[float] = None
    ) -> Any:
        """
        Call a service and await its response.

        :param client: A client of one of the bridged nodes.
        :param request: The request, of the client's ``srv_type.Request``.
        :param timeout: Seconds to wait; ``None`` waits forever.
        :return: The response.
        :raises asyncio.TimeoutError: If no response came within ``timeout``; the request
            is cancelled then, so a late response is dropped.
        :raises BridgeStoppedError: If the executor thread stopped first.
        """
        return await asyncio.wait_for(self.wrap(client.call_async(request)), timeout)

    def wrap(self, future: Future) -> 'asyncio.Future[Any]':
        """
        Return an asyncio future of the loop that settles like an rclpy future.

        Cancellation crosses both ways: cancelling the asyncio future cancels the rclpy one
        (so a service client forgets the request), and a cancelled rclpy future cancels the
        asyncio one.

        :param future: An rclpy future, for instance from ``Client.call_async``.
        :return: The asyncio future; it fails with :class:`BridgeStoppedError` if the
            executor stops while ``future`` is pending.
        :raises BridgeStoppedError: If ``future`` is pending and the executor has stopped.
        """
        aio_future = self._loop.create_future()
        if future.done() or future.cancelled():
            _settle(aio_future, future)
            return aio_future
        self._check_accepting()
        self._track(aio_future)
        aio_future.add_done_callback(partial(_cancel_if_cancelled, future))
        # rclpy runs this on the executor thread, or on the thread that completes `future`.
        future.add_done_callback(partial(self._call_in_loop, _settle, aio_future))
        return aio_future

    def run_in_executor_thread(
        self, callback: Callable[..., T], *args: Any
    ) -> 'asyncio.Future[T]':
        """
        Run ``callback(*args)`` on the executor thread, between ROS callbacks.

        For rclpy calls that must not race the executor, such as destroying entities. If
        the returned future is cancelled before its turn, the callback does not run.

        :param callback: A plain function (not a coroutine function).
        :param args: Its arguments.
        :return: An asyncio future with the result, or the exception the callback raised.
        :raises BridgeStoppedError: If the executor has stopped.
        """
        aio_future = self._loop.create_future()
        self._post(self._run_for_loop, aio_future, callback, args)
        return self._track(aio_future)

    def _node_or_default(self, node: Optional[Node]) -> Node:
        if node is None:
            return self._nodes[0]
        if node not in self._nodes:
            raise ValueError(f'node {node.get_name()!r} is not spun by this ExecutorBridge')
        return node

    def _spin(self) -> None:
        """Body of the executor thread."""
        try:
            if self._kind is ExecutorKind.EVENTS:
                while not self._stop_request.done() and self._context.ok():
                    self._executor.spin_until_future_complete(
                        self._stop_request, timeout_sec=_EVENTS_SPIN_SLICE_SEC)
            else:
                self._executor.spin_until_future_complete(self._stop_request)
        except ExternalShutdownException:
            pass  # the context was shut down: an ordinary way to end
        except Exception as exc:  # a node callback raised, so rclpy stopped spinning
            self._error = exc
            self._nodes[0].get_logger().error(
                'executor stopped by an exception in a callback:\n'
                + ''.join(traceback.format_exception(exc)))
        finally:
            self._finish()

    def _finish(self) -> None:
        """Shut the executor down and tell the loop; runs once, where spinning ended."""
        self._executor.shutdown()
        self._accepting = False
        self._call_in_loop(self._on_executor_finished)

    def _on_executor_finished(self) -> None:
        """Fail what can no longer complete and end the streams (loop thread)."""
        for aio_future in list(self._pending):
            if not aio_future.done():
                aio_future.set_exception(BridgeStoppedError('the executor has stopped'))
        self._pending.clear()
        with self._lock:
            owned = list(self._owned)
        for loop_subscription in owned:
            loop_subscription._end()
        if not self._finished.done():
            self._finished.set_result(None)

    def _request_stop(self) -> None:
        if not self._stop_request.done():
            self._stop_request.set_result(None)

    def _call_in_loop(self, callback: Callable[..., None], *args: Any) -> None:
        """Schedule ``callback(*args)`` on the loop from any thread."""
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            pass  # the loop is closed: nobody is left to receive it

    def _check_accepting(self) -> None:
        if not self._accepting:
            raise BridgeStoppedError('the executor has stopped')

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        """Queue ``callback(*args)`` on the executor thread; it must not raise."""
        self._check_accepting()
        self._executor.create_task(callback, *args)

    def _track(self, aio_future: 'asyncio.Future[T]') -> 'asyncio.Future[T]':
        """Remember a future that needs the executor, to fail it if the executor stops."""
        self._pending.add(aio_future)
        aio_future.add_done_callback(self._pending.discard)
        return aio_future

    def _run_for_loop(
        self, aio_future: 'asyncio.Future[Any]', callback: Callable[..., Any],
        args: Tuple[Any, ...]
    ) -> None:
        """Run a callback for the loop on the executor thread."""
        if aio_future.cancelled():
            return
        try:
            result = callback(*args)
        except Exception as exc:  # rclpy would re-raise it and stop spinning
            self._call_in_loop(_set_exception, aio_future, exc)
        else:
            self._call_in_loop(_set_result, aio_future, result)

    def _adopt(self, loop_subscription: 'LoopSubscription[Any]') -> None:
        with self._lock:
            self._owned.add(loop_subscription)

    def _disown(self, loop_subscription: 'LoopSubscription[Any]') -> None:
        with self._lock:
            self._owned.discard(loop_subscription)

    def _release(self, loop_subscription: 'LoopSubscription[Any]') -> None:
        """Destroy a subscription where that cannot race the executor."""
        try:
            # A destroy posted as the executor stops never runs: stop() destroys the rest.
            self._post(loop_subscription._destroy)
        except BridgeStoppedError:
            loop_subscription._destroy()


class LoopSubscription(Generic[MsgT]):
    """
    A ROS subscription whose messages are handed to the asyncio loop, in order.

    The ROS callback only queues the message and, if the loop has not been woken yet for
    this subscription, wakes it once; the loop then takes the whole burst. So a burst costs
    one cross-thread wake-up, not one per message, and the executor thread never blocks.
    """

    def __init__(
        self,
        bridge: ExecutorBridge,
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
        self._destroyed = False
        bridge._check_accepting()
        self.node = node
        self.subscription: Subscription = node.create_subscription(
            msg_type, topic, self._on_message, qos, **(options or {}))
        bridge._adopt(self)

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
        self._bridge._release(self)
        self._end()

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
        self._bridge._call_in_loop(self._drain)

    def _drain(self) -> None:
        """Hand everything queued to the consumer (loop thread)."""
        with self._lock:
            self._wake_pending = False
            batch = list(self._queued)
            self._queued.clear()
        if batch:
            self._on_batch(batch)

    def _destroy(self) -> None:
        """Destroy the rclpy subscription, once, from whichever thread gets here first."""
        with self._lock:
            if self._destroyed:
                return
            self._destroyed = True
        self._bridge._disown(self)
        self.node.destroy_subscription(self.subscription)

    def _end(self) -> None:
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end()


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
        bridge: ExecutorBridge,
        node: Node,
        msg_type: Type[MsgT],
        topic: str,
        qos: QoS,
        *,
        maxlen: Optional[int] = None,
    ) -> None:
        """
        Subscribe; use :meth:`ExecutorBridge.messages` rather than this.

        :param bridge: The bridge whose executor spins ``node``.
        :param node: The subscribing node.
        :param msg_type: The message class.
        :param topic: The topic name.
        :param qos: A QoS profile or a history depth.
        :param maxlen: Keep only the newest ``maxlen`` messages not yet iterated.
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


def run_with_ros(
    main: Callable[[], Awaitable[object]], *, args: Optional[List[str]] = None
) -> None:
    """
    Initialise ROS, run ``main()`` in a new event loop, end cleanly on SIGINT or SIGTERM.

    A signal cancels ``main()``, so its ``async with`` and ``finally`` blocks unwind in
    order: the asyncio side first, then (leaving ``async with ExecutorBridge(...)``) the
    executor thread; ``rclpy.try_shutdown()`` comes last, and the process exits without a
    traceback. asyncio owns both signals: rclpy is initialised with
    ``SignalHandlerOptions.NO``, as its own handlers would shut the context down under the
    running executor instead. Call it from the main thread.

    Example::

        async def serve() -> None:
            node = Node('viewer')
            try:
                async with ExecutorBridge(node) as bridge:
                    ...  # subscribe, start servers
                    await bridge.wait_stopped()
            finally:
                node.destroy_node()

        def main() -> None:
            run_with_ros(serve)

    :param main: A coroutine function that creates the nodes and runs until cancelled.
    :param args: Command-line arguments for ``rclpy.init``; default: ``sys.argv``.
    """
    asyncio.run(_run_until_signal(main, args))


async def _run_until_signal(
    main: Callable[[], Awaitable[object]], args: Optional[List[str]]
) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    signalled = False

    def on_signal() -> None:
        nonlocal signalled
        signalled = True
        task.cancel()

    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal)
    try:
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
        try:
            await main()
        except asyncio.CancelledError:
            if not signalled:
                raise
        finally:
            rclpy.try_shutdown()
    finally:
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)


def _make_executor(kind: ExecutorKind, node: Node) -> Tuple[ExecutorKind, Executor]:
    """Create the executor of ``kind``, falling back to the SingleThreadedExecutor."""
    if kind is ExecutorKind.EVENTS:
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:
            node.get_logger().warning(
                'rclpy has no EventsExecutor here; using the SingleThreadedExecutor')
        else:
            return kind, EventsExecutor(context=node.context)
    return ExecutorKind.SINGLE_THREADED, SingleThreadedExecutor(context=node.context)


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


def _set_result(aio_future: 'asyncio.Future[T]', result: T) -> None:
    if not aio_future.done():
        aio_future.set_result(result)


def _set_exception(aio_future: 'asyncio.Future[Any]', exception: BaseException) -> None:
    if not aio_future.done():
        aio_future.set_exception(exception)


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
