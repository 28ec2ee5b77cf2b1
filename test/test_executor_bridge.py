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
ExecutorBridge with real rclpy publishers, subscribers and services in this process.

Async tests use pytest-asyncio (``@pytest.mark.asyncio``, a loop per test). Waits carry a
generous ``HANG_GUARD_SEC`` so a broken bridge fails instead of hanging; no test asserts
how fast anything is.
"""

import asyncio
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, Iterator, List, Optional
import uuid

from conftest import require_ros
import pytest

require_ros()
pytestmark = pytest.mark.ros

from rcl_interfaces.srv import GetParameters  # noqa: E402
from rclpy.context import Context  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSProfile,  # noqa: E402
                       ReliabilityPolicy)
from rclpy.task import Future  # noqa: E402
from std_msgs.msg import String, UInt32  # noqa: E402

from vuer_ros.ros.executor import (BridgeStoppedError, ExecutorBridge,  # noqa: E402
                                   ExecutorKind, MessageStream, wait_for_service)

HANG_GUARD_SEC = 20.0
# Reliable and KEEP_ALL on both ends, so any loss or reordering is the bridge's doing.
LOSSLESS = QoSProfile(
    history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE, depth=1)
LATCHED = QoSProfile(
    depth=1, reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL)
REPO_ROOT = Path(__file__).absolute().parents[1]


def unique(name: str) -> str:
    """Return a node or topic name no other test uses."""
    return f'{name}_{uuid.uuid4().hex[:8]}'


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait for a condition ROS offers no event for, such as discovery."""
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), HANG_GUARD_SEC)


async def take(stream: MessageStream, count: Optional[int] = None) -> list:
    """Return the first ``count`` messages of a stream, or all until it ends."""
    messages = []
    async for msg in stream:
        messages.append(msg)
        if len(messages) == count:
            break
    return messages


def subscribes(node: Node, topic: str) -> bool:
    """Return whether the node has a subscription to the topic."""
    name = node.resolve_topic_name(topic)
    return any(subscription.topic_name == name for subscription in node.subscriptions)


@pytest.fixture(params=list(ExecutorKind), ids=[kind.value for kind in ExecutorKind])
def executor_kind(request: pytest.FixtureRequest) -> ExecutorKind:
    return request.param


@pytest.fixture
def node(ros_context: Context) -> Iterator[Node]:
    node = Node(unique('bridge_test'), context=ros_context)
    yield node
    node.destroy_node()


@pytest.fixture
def peer(ros_context: Context) -> Iterator[Node]:
    """Make a second node, the other end of topics and services."""
    node = Node(unique('bridge_peer'), context=ros_context)
    yield node
    node.destroy_node()


@pytest.mark.asyncio
async def test_prefers_the_events_executor(node: Node) -> None:
    bridge = ExecutorBridge(node)
    assert bridge.executor_kind is ExecutorKind.EVENTS
    assert type(bridge.executor).__name__ == 'EventsExecutor'
    bridge.stop()


@pytest.mark.asyncio
async def test_burst_reaches_the_loop_in_order_without_loss(
    node: Node, peer: Node, executor_kind: ExecutorKind
) -> None:
    count = 3000
    topic = unique('burst')
    received: List[int] = []
    threads = set()
    all_received = asyncio.Event()

    def on_message(msg: UInt32) -> None:
        threads.add(threading.current_thread())
        received.append(msg.data)
        if len(received) == count:
            all_received.set()

    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        bridge.create_subscription(UInt32, topic, on_message, LOSSLESS)
        publisher = peer.create_publisher(UInt32, topic, LOSSLESS)
        await wait_until(lambda: publisher.get_subscription_count() == 1)
        for i in range(count):  # one burst: the loop gets no turn until it is sent
            publisher.publish(UInt32(data=i))
        await asyncio.wait_for(all_received.wait(), HANG_GUARD_SEC)

    assert received == list(range(count))
    assert threads == {threading.current_thread()}


@pytest.mark.asyncio
async def test_bounded_subscription_keeps_the_newest_and_counts_drops(
    node: Node, peer: Node, executor_kind: ExecutorKind
) -> None:
    count = 200
    topic = unique('bounded')
    received: List[int] = []
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        subscription = bridge.create_subscription(
            UInt32, topic, lambda msg: received.append(msg.data), LOSSLESS, maxlen=2)
        publisher = peer.create_publisher(UInt32, topic, LOSSLESS)
        await wait_until(lambda: publisher.get_subscription_count() == 1)
        for i in range(count):
            publisher.publish(UInt32(data=i))
        time.sleep(1.0)  # the loop is busy: messages pile up on the executor side
        await wait_until(lambda: received and received[-1] == count - 1)
    assert received == sorted(received) and received[-1] == count - 1
    assert subscription.dropped == count - len(received) > 0


@pytest.mark.asyncio
async def test_message_stream_yields_in_order(
    node: Node, peer: Node, executor_kind: ExecutorKind
) -> None:
    count = 500
    topic = unique('stream')
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        publisher = peer.create_publisher(UInt32, topic, LOSSLESS)
        async with bridge.messages(UInt32, topic, LOSSLESS) as stream:
            assert subscribes(node, topic)
            await wait_until(lambda: publisher.get_subscription_count() == 1)
            for i in range(count):
                publisher.publish(UInt32(data=i))

            received = await asyncio.wait_for(take(stream, count), HANG_GUARD_SEC)
            assert [msg.data for msg in received] == list(range(count))
        await wait_until(lambda: not subscribes(node, topic))


@pytest.mark.asyncio
async def test_publish_from_asyncio_reaches_a_ros_subscriber(
    node: Node, peer: Node, executor_kind: ExecutorKind
) -> None:
    topic = unique('chatter')
    loop = asyncio.get_running_loop()
    heard: 'asyncio.Future[str]' = loop.create_future()
    callback_threads = []

    def on_message(msg: String) -> None:  # a plain rclpy callback, on the executor thread
        callback_threads.append(threading.current_thread().name)
        loop.call_soon_threadsafe(heard.set_result, msg.data)

    peer.create_subscription(String, topic, on_message, 10)
    async with ExecutorBridge([node, peer], executor=executor_kind):
        publisher = node.create_publisher(String, topic, 10)
        await wait_until(lambda: publisher.get_subscription_count() == 1)
        publisher.publish(String(data='hello ROS'))
        assert await asyncio.wait_for(heard, HANG_GUARD_SEC) == 'hello ROS'
    assert callback_threads == [f'{node.get_name()}_executor']


@pytest.mark.asyncio
async def test_service_call_awaited_from_asyncio(
    node: Node, peer: Node, executor_kind: ExecutorKind
) -> None:
    peer.declare_parameter('answer', 42)
    client = node.create_client(GetParameters, f'/{peer.get_name()}/get_parameters')
    async with ExecutorBridge([node, peer], executor=executor_kind) as bridge:
        await wait_for_service(client, timeout=HANG_GUARD_SEC)
        response = await bridge.call(
            client, GetParameters.Request(names=['answer']), timeout=HANG_GUARD_SEC)
    assert [value.integer_value for value in response.values] == [42]


@pytest.mark.asyncio
async def test_call_without_server_times_out_or_is_cancelled(node: Node) -> None:
    client = node.create_client(GetParameters, f"/{unique('nobody')}/get_parameters")
    request = GetParameters.Request(names=['answer'])
    async with ExecutorBridge(node) as bridge:
        with pytest.raises(asyncio.TimeoutError):
            await bridge.call(client, request, timeout=0.1)
        with pytest.raises(asyncio.TimeoutError):
            await wait_for_service(client, timeout=0.1)

        call = asyncio.ensure_future(bridge.call(client, request))
        await asyncio.sleep(0)
        call.cancel()
        await asyncio.wait([call])
        assert call.cancelled()


@pytest.mark.asyncio
async def test_wait_for_message_gets_a_latched_message(
    node: Node, peer: Node, executor_kind: ExecutorKind
) -> None:
    topic = unique('latched')
    peer.create_publisher(String, topic, LATCHED).publish(String(data='state'))
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        msg = await bridge.wait_for_message(String, topic, qos=LATCHED, timeout=HANG_GUARD_SEC)
        assert msg.data == 'state'
        await wait_until(lambda: not subscribes(node, topic))


@pytest.mark.asyncio
async def test_wait_for_message_waits_for_a_later_message(node: Node, peer: Node) -> None:
    topic = unique('later')
    publisher = peer.create_publisher(String, topic, 10)
    async with ExecutorBridge(node) as bridge:
        waiting = asyncio.ensure_future(
            bridge.wait_for_message(String, topic, timeout=HANG_GUARD_SEC))
        await wait_until(lambda: publisher.get_subscription_count() == 1)
        publisher.publish(String(data='late'))
        assert (await waiting).data == 'late'


@pytest.mark.asyncio
async def test_wait_for_message_times_out(node: Node, executor_kind: ExecutorKind) -> None:
    topic = unique('silent')
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        with pytest.raises(asyncio.TimeoutError):
            await bridge.wait_for_message(String, topic, timeout=0.1)
        await wait_until(lambda: not subscribes(node, topic))


@pytest.mark.asyncio
async def test_wrap_carries_result_exception_and_cancellation(
    node: Node, executor_kind: ExecutorKind
) -> None:
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        done = Future()
        wrapped = bridge.wrap(done)
        await bridge.run_in_executor_thread(done.set_result, 5)
        assert await wrapped == 5

        failed = Future()
        wrapped = bridge.wrap(failed)
        await bridge.run_in_executor_thread(failed.set_exception, ValueError('from ROS'))
        with pytest.raises(ValueError, match='from ROS'):
            await wrapped

        cancelled_in_ros = Future()
        wrapped = bridge.wrap(cancelled_in_ros)
        await bridge.run_in_executor_thread(cancelled_in_ros.cancel)
        await asyncio.wait([wrapped])
        assert wrapped.cancelled()

        cancelled_in_asyncio = Future()
        bridge.wrap(cancelled_in_asyncio).cancel()
        await asyncio.sleep(0)  # done-callbacks run on the next loop turn
        assert cancelled_in_asyncio.cancelled()

        assert await bridge.wrap(done) == 5  # an rclpy future that is already done


@pytest.mark.asyncio
async def test_run_in_executor_thread(node: Node, executor_kind: ExecutorKind) -> None:
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        name = await bridge.run_in_executor_thread(lambda: threading.current_thread().name)
        assert name == f'{node.get_name()}_executor'

        def fail() -> None:
            raise KeyError('in the executor')

        with pytest.raises(KeyError):
            await bridge.run_in_executor_thread(fail)
        assert await bridge.run_in_executor_thread(sum, [1, 2]) == 3  # still spinning

        # Cancelled while the executor is busy: it never runs.
        release = threading.Event()
        ran = []
        busy = bridge.run_in_executor_thread(release.wait, HANG_GUARD_SEC)
        skipped = bridge.run_in_executor_thread(ran.append, 'ran')
        skipped.cancel()
        release.set()
        assert await busy
        assert await bridge.run_in_executor_thread(len, ran) == 0


@pytest.mark.asyncio
async def test_callback_error_stops_executor_and_is_raised(
    node: Node, executor_kind: ExecutorKind
) -> None:
    def fail() -> None:
        raise RuntimeError('timer callback failed')

    node.create_timer(0.01, fail)
    async with ExecutorBridge(node, executor=executor_kind) as bridge:
        with pytest.raises(RuntimeError, match='timer callback failed'):
            await asyncio.wait_for(bridge.wait_stopped(), HANG_GUARD_SEC)


@pytest.mark.asyncio
async def test_stop_fails_pending_work_and_ends_streams(
    node: Node, executor_kind: ExecutorKind
) -> None:
    client = node.create_client(GetParameters, f"/{unique('nobody')}/get_parameters")
    topic = unique('never')
    bridge = ExecutorBridge(node, executor=executor_kind)
    bridge.start()
    call = asyncio.ensure_future(bridge.call(client, GetParameters.Request()))
    stream = bridge.messages(String, topic)
    drained = asyncio.ensure_future(asyncio.wait_for(take(stream), HANG_GUARD_SEC))
    await asyncio.sleep(0)
    assert subscribes(node, topic)

    await bridge.aclose()

    with pytest.raises(BridgeStoppedError):
        await call
    assert await drained == []
    assert not subscribes(node, topic)
    with pytest.raises(BridgeStoppedError):
        bridge.messages(String, topic)
    with pytest.raises(BridgeStoppedError):
        bridge.run_in_executor_thread(print)
    await bridge.wait_stopped()  # it ended without an error


@pytest.mark.asyncio
async def test_stop_leaves_no_thread(node: Node, executor_kind: ExecutorKind) -> None:
    before = set(threading.enumerate())

    bridge = ExecutorBridge(node, executor=executor_kind)
    bridge.start()
    assert len(set(threading.enumerate()) - before) == 1
    await bridge.aclose()
    assert set(threading.enumerate()) == before

    bridge = ExecutorBridge(node, executor=executor_kind)
    bridge.start()
    bridge.stop()  # blocking, from the loop thread
    bridge.stop()  # again: nothing left to do
    assert set(threading.enumerate()) == before
    with pytest.raises(RuntimeError):
        bridge.start()


@pytest.mark.asyncio
async def test_ros_shutdown_ends_the_executor(executor_kind: ExecutorKind) -> None:
    context = Context()
    context.init()
    node = Node(unique('shutdown_test'), context=context)
    try:
        async with ExecutorBridge(node, executor=executor_kind) as bridge:
            context.try_shutdown()
            await asyncio.wait_for(bridge.wait_stopped(), HANG_GUARD_SEC)
    finally:
        node.destroy_node()
        context.try_shutdown()


SIGNAL_PROBE = """
import threading

from rclpy.node import Node
from std_msgs.msg import String

from vuer_ros.ros.executor import ExecutorBridge, run_with_ros


async def serve() -> None:
    node = Node('signal_probe')
    try:
        async with ExecutorBridge(node) as bridge:
            async with bridge.messages(String, 'signal_probe') as stream:
                print('READY', flush=True)
                try:
                    async for _ in stream:
                        pass
                finally:  # the asyncio side stops first, while ROS still runs
                    print('ROS UP', node.context.ok(), flush=True)
    finally:
        node.destroy_node()


run_with_ros(serve)
print('THREADS', len(threading.enumerate()), flush=True)
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_signal_stops_a_ros_program_cleanly(signum: signal.Signals) -> None:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get('PYTHONPATH')]))
    process = subprocess.Popen(
        [sys.executable, '-c', SIGNAL_PROBE], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout.readline() == 'READY\n'
        process.send_signal(signum)
        out, err = process.communicate(timeout=2.0)  # the deadline the node promises
    except BaseException:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, err
    assert err == ''
    assert out == 'ROS UP True\nTHREADS 1\n'
