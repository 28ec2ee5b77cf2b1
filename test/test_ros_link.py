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
Ros, the asyncio ROS API of Vuer scripts, against real ROS peers and a real Vuer server.

The peer is a node of the test session's own context, spun by its own ExecutorBridge, so
everything the script's node hears or calls crosses DDS as it would between processes.
"""

import asyncio
from functools import partial
import os
from pathlib import Path
import signal
import subprocess
import sys
from typing import AsyncIterator, Awaitable, Callable, Iterator, List, TypeVar

from conftest import require_ros
import pytest

rclpy = require_ros()
pytestmark = pytest.mark.ros

from geometry_msgs.msg import PoseStamped  # noqa: E402,I100
from rcl_interfaces.srv import GetParameters  # noqa: E402
from rclpy.context import Context  # noqa: E402
from rclpy.node import Node  # noqa: E402
from std_msgs.msg import String, UInt32  # noqa: E402

from test_executor_bridge import HANG_GUARD_SEC, unique, wait_until  # noqa: E402
import vuer_ros  # noqa: E402
from vuer_ros import Vuer, VuerSession  # noqa: E402
from vuer_ros.ros import Ros  # noqa: E402
from vuer_ros.ros.executor import ExecutorBridge  # noqa: E402
from vuer_ros.schemas import Box  # noqa: E402
from wire_client import WireClient  # noqa: E402

T = TypeVar('T')
EXAMPLE = Path(__file__).resolve().parent.parent / 'examples' / 'ros_async.py'


@pytest.fixture
def default_context_free() -> Iterator[None]:
    """Ros uses ROS's default context; nothing else in the suite may hold it."""
    assert not rclpy.ok(), 'another test left the default ROS context initialised'
    yield
    rclpy.try_shutdown()  # in case a test failed halfway


@pytest.fixture
async def peer(ros_context: Context) -> AsyncIterator[Node]:
    """Return a spinning node of another context: the other end of topics and services."""
    node = Node(unique('ros_link_peer'), context=ros_context)
    try:
        async with ExecutorBridge(node):
            yield node
    finally:
        node.destroy_node()


def pose(x: float, y: float, z: float) -> PoseStamped:
    message = PoseStamped()
    message.pose.position.x, message.pose.position.y, message.pose.position.z = x, y, z
    return message


async def test_using_ros_before_it_runs_says_how_to_start_it() -> None:
    ros = Ros(node_name=unique('idle'))
    for use in (lambda: ros.node, lambda: ros.messages(String, 'x'),
                lambda: ros.publish(String, 'x', String())):
        with pytest.raises(RuntimeError, match='not running: it starts with the Vuer server'):
            use()
    with pytest.raises(RuntimeError, match='not running'):
        await ros.call(GetParameters, 'x', GetParameters.Request(), timeout=1.0)


async def test_standalone_ros_initialises_and_shuts_down_ros(default_context_free) -> None:
    async with Ros(node_name=unique('standalone')) as ros:
        assert rclpy.ok()
        assert ros.node.context.ok()
        with pytest.raises(RuntimeError, match='running already'):
            await ros.__aenter__()
    assert not rclpy.ok()
    with pytest.raises(RuntimeError, match='not running'):
        ros.node

    rclpy.init()  # someone else's context is left alone
    try:
        async with Ros(node_name=unique('guest')):
            pass
        assert rclpy.ok()
    finally:
        rclpy.try_shutdown()


async def test_messages_arrive_in_order_and_end_with_the_block(
    default_context_free, peer: Node
) -> None:
    topic = f'/{unique("numbers")}'
    publisher = peer.create_publisher(UInt32, topic, 100)
    async with Ros(node_name=unique('listener')) as ros:
        async with ros.messages(UInt32, topic, 100) as numbers:
            await wait_until(lambda: publisher.get_subscription_count() == 1)
            for i in range(50):
                publisher.publish(UInt32(data=i))
            received: List[int] = []
            async for msg in numbers:
                received.append(msg.data)
                if len(received) == 50:
                    break
        assert received == list(range(50))
        await wait_until(lambda: publisher.get_subscription_count() == 0)

        waiting = asyncio.ensure_future(ros.wait_for_message(UInt32, topic, timeout=10))
        await wait_until(lambda: publisher.get_subscription_count() == 1)
        publisher.publish(UInt32(data=7))
        assert (await waiting).data == 7


async def test_call_waits_for_the_service_and_times_out_without_one(
    default_context_free, peer: Node
) -> None:
    peer.declare_parameter('answer', 42)
    async with Ros(node_name=unique('caller')) as ros:
        response = await ros.call(
            GetParameters, f'/{peer.get_name()}/get_parameters',
            GetParameters.Request(names=['answer']), timeout=HANG_GUARD_SEC)
        assert [value.integer_value for value in response.values] == [42]
        with pytest.raises(asyncio.TimeoutError):
            await ros.call(GetParameters, f'/{unique("nobody")}/get_parameters',
                           GetParameters.Request(), timeout=0.2)


async def test_publish_reaches_a_ros_subscriber(default_context_free, peer: Node) -> None:
    topic = f'/{unique("chatter")}'
    heard: 'asyncio.Queue[str]' = asyncio.Queue()
    loop = asyncio.get_running_loop()
    peer.create_subscription(
        String, topic, lambda msg: loop.call_soon_threadsafe(heard.put_nowait, msg.data), 10)
    async with Ros(node_name=unique('talker')) as ros:
        publisher = ros.publisher(String, topic, 1)
        await wait_until(lambda: publisher.get_subscription_count() == 1)
        publisher.publish(String(data='own publisher'))
        assert await asyncio.wait_for(heard.get(), HANG_GUARD_SEC) == 'own publisher'

        # publish() makes its publisher on first use: what it sends before discovery is lost.
        heard_first = await repeat_until(
            lambda: ros.publish(String, topic, String(data='made on first use')), heard.get)
        assert heard_first == 'made on first use'


async def repeat_until(send: Callable[[], object], outcome: Callable[[], Awaitable[T]]) -> T:
    """Send until the outcome shows: a publisher made or matched just now may lose some."""
    async def keep_sending() -> T:
        while True:
            send()
            try:
                return await asyncio.wait_for(outcome(), 0.2)
            except asyncio.TimeoutError:
                pass

    return await asyncio.wait_for(keep_sending(), HANG_GUARD_SEC)


def box_at(client: WireClient, position: List[float]) -> Callable[[], Awaitable[object]]:
    """Return a wait for the viewer to show the goal box at ``position``."""
    return partial(client.wait_for,
                   lambda _: client.upserted().get('goal', {}).get('position') == position)


async def test_seed_style_app_draws_a_box_that_follows_ros_poses(
    default_context_free, peer: Node
) -> None:
    topic = f'/{unique("goal")}'
    app = Vuer(host='127.0.0.1', port=0)
    ros = Ros(app, node_name=unique('vuer_script'))

    @app.spawn
    async def main(session: VuerSession) -> None:
        async with ros.messages(PoseStamped, topic, maxlen=1) as goals:
            async for goal in goals:
                p = goal.pose.position
                session.upsert @ Box(key='goal', position=[p.x, p.z, -p.y])

    publisher = peer.create_publisher(PoseStamped, topic, 10)
    await app.start_server()
    try:
        assert ros.node.context.ok()
        client = await WireClient(f'ws://127.0.0.1:{app.port}/').connect()
        try:
            for x, y, z in [(1.0, 2.0, 3.0), (-0.5, 0.0, 0.25)]:
                await repeat_until(partial(publisher.publish, pose(x, y, z)),
                                   box_at(client, [x, z, -y]))
        finally:
            await client.close()
    finally:
        await app.stop_server()
    with pytest.raises(RuntimeError, match='not running'):
        ros.node
    assert not rclpy.ok()


@pytest.mark.timeout(90)
def test_example_script_follows_poses_publishes_clicks_and_calls_a_service(
    ros_context: Context
) -> None:
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, 'VUER_PORT': '0', 'VUER_HOST': '127.0.0.1',
                        'PYTHONUNBUFFERED': '1',
                        # the vuer_ros these tests import, installed or from the checkout
                        'PYTHONPATH': str(Path(vuer_ros.__file__).parent.parent)})
    try:
        port = _served_port(process)
        asyncio.run(_drive_example(ros_context, port))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert 'parameters of vuer_script: ' in stdout and 'use_sim_time' in stdout, stdout
    assert process.returncode == 0 and 'Traceback' not in stderr, stderr


def _served_port(process: subprocess.Popen) -> int:
    for line in process.stdout:
        if line.startswith('Vuer server on port'):
            return int(line.split()[-1])
    raise AssertionError(f'the example did not start: {process.stderr.read()}')


async def _drive_example(context: Context, port: int) -> None:
    """Publish a goal and click the box, as a robot and a viewer would."""
    node = Node(unique('example_peer'), context=context)
    try:
        async with ExecutorBridge(node) as bridge:
            goals = node.create_publisher(PoseStamped, '/goal', 10)
            client = await WireClient(f'ws://127.0.0.1:{port}/').connect()
            try:
                clicks: 'asyncio.Queue[str]' = asyncio.Queue()
                bridge.create_subscription(
                    String, '/clicked', lambda msg: clicks.put_nowait(msg.data))
                await repeat_until(partial(goals.publish, pose(1.0, 2.0, 3.0)),
                                   box_at(client, [1.0, 3.0, -2.0]))
                # The example makes its click publisher on the first click.
                click = await repeat_until(
                    lambda: asyncio.ensure_future(client.send('ON_CLICK', {'key': 'goal'})),
                    clicks.get)
                assert click == 'goal'
            finally:
                await client.close()
    finally:
        node.destroy_node()
