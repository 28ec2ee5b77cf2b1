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
The executor thread: an rclpy executor spinning beside an asyncio loop, and its lifecycle.

rclpy on Jazzy and Kilted has no asyncio executor, so the executor spins in a thread of its
own. This module starts and stops that thread and keeps the two doors between the threads:
:meth:`ExecutorBridge.call_in_loop` (any thread -> loop) and
:meth:`ExecutorBridge.run_in_executor_thread` (loop -> executor thread). What crosses them
lives with its idea: message delivery in :mod:`.delivery`, futures and streams in
:mod:`.awaitables`.
"""

import asyncio
import enum
import threading
import traceback
from typing import Any, Callable, Optional, Sequence, Set, Tuple, TypeVar, Union

from rclpy.context import Context
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.task import Future

from vuer_ros.ros.executor import awaitables, delivery
from vuer_ros.ros.executor.awaitables import BridgeStoppedError
from vuer_ros.ros.executor.delivery import LoopSubscription

T = TypeVar('T')

# The EventsExecutor of the Jazzy and Kilted wheels busy-waits when spun without a timeout
# (its wait until time_point::max() returns at once): it burns most of a core while idle
# and starves create_task() from other threads. Given a deadline it sleeps until work
# arrives. The slice only bounds that deadline; stopping never waits for it.
_EVENTS_SPIN_SLICE_SEC = 3600.0


class ExecutorKind(str, enum.Enum):
    """Which rclpy executor spins the bridged nodes."""

    #: ``rclpy.experimental.EventsExecutor``: several times the callback rate of the other.
    EVENTS = 'events'
    #: ``rclpy.executors.SingleThreadedExecutor``: the reference implementation.
    SINGLE_THREADED = 'single_threaded'


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

    # Hand-overs to the loop, each defined with its idea (see those functions).
    create_subscription = delivery.create_subscription
    messages = awaitables.messages
    wait_for_message = awaitables.wait_for_message
    wrap = awaitables.wrap
    call = awaitables.call

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

    # -- lifecycle ------------------------------------------------------------------------

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
            self._destroy(loop_subscription)

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

    # -- the doors between the threads ----------------------------------------------------

    def call_in_loop(self, callback: Callable[..., None], *args: Any) -> None:
        """
        Schedule ``callback(*args)`` on the loop; callable from any thread.

        :param callback: A plain function; once the loop is closed it is dropped, as nobody
            is left to receive it.
        :param args: Its arguments.
        """
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            pass  # the loop is closed

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
        return self.fail_on_stop(aio_future)

    def check_running(self) -> None:
        """
        Raise if the executor can no longer serve new work.

        :raises BridgeStoppedError: If the executor has stopped.
        """
        if not self._accepting:
            raise BridgeStoppedError('the executor has stopped')

    def fail_on_stop(self, aio_future: 'asyncio.Future[T]') -> 'asyncio.Future[T]':
        """
        Fail ``aio_future`` with :class:`BridgeStoppedError` if the executor stops first.

        :param aio_future: A future of the loop that only the executor can complete.
        :return: ``aio_future``.
        """
        self._pending.add(aio_future)
        aio_future.add_done_callback(self._pending.discard)
        return aio_future

    def bridged_node(self, node: Optional[Node] = None) -> Node:
        """
        Return ``node``, checked to be spun by this bridge, or the first bridged node.

        :param node: A node, or ``None`` for the first node the bridge was given.
        :raises ValueError: If the bridge does not spin ``node``.
        """
        if node is None:
            return self._nodes[0]
        if node not in self._nodes:
            raise ValueError(f'node {node.get_name()!r} is not spun by this ExecutorBridge')
        return node

    def own(self, loop_subscription: LoopSubscription[Any]) -> None:
        """
        Take a subscription into the bridge's care (any thread).

        Its delivery ends when the executor stops, and its rclpy subscription is destroyed
        when released or after spinning ends, whichever comes first.
        """
        with self._lock:
            self._owned.add(loop_subscription)

    def release(self, loop_subscription: LoopSubscription[Any]) -> None:
        """Destroy an owned subscription where that cannot race the executor."""
        try:
            # A destroy posted as the executor stops never runs: stop() destroys the rest.
            self._post(self._destroy, loop_subscription)
        except BridgeStoppedError:
            self._destroy(loop_subscription)

    # -- the executor thread --------------------------------------------------------------

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
        self.call_in_loop(self._on_executor_finished)

    def _on_executor_finished(self) -> None:
        """Fail what can no longer complete and end the deliveries (loop thread)."""
        for aio_future in list(self._pending):
            if not aio_future.done():
                aio_future.set_exception(BridgeStoppedError('the executor has stopped'))
        self._pending.clear()
        with self._lock:
            owned = list(self._owned)
        for loop_subscription in owned:
            loop_subscription.end()
        if not self._finished.done():
            self._finished.set_result(None)

    def _request_stop(self) -> None:
        if not self._stop_request.done():
            self._stop_request.set_result(None)

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        """Queue ``callback(*args)`` on the executor thread; it must not raise."""
        self.check_running()
        self._executor.create_task(callback, *args)

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
            self.call_in_loop(_set_exception, aio_future, exc)
        else:
            self.call_in_loop(_set_result, aio_future, result)

    def _destroy(self, loop_subscription: LoopSubscription[Any]) -> None:
        """Destroy an owned rclpy subscription, once, from whichever thread gets here first."""
        with self._lock:
            if loop_subscription not in self._owned:
                return
            self._owned.discard(loop_subscription)
        loop_subscription.node.destroy_subscription(loop_subscription.subscription)


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


def _set_result(aio_future: 'asyncio.Future[T]', result: T) -> None:
    if not aio_future.done():
        aio_future.set_result(result)


def _set_exception(aio_future: 'asyncio.Future[Any]', exception: BaseException) -> None:
    if not aio_future.done():
        aio_future.set_exception(exception)
