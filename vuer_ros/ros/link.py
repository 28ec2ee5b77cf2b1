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
ROS for Vuer scripts: await messages and services from ``@app.spawn`` handlers.

One :class:`Ros` per script gives it a node of its own, spun by an :class:`ExecutorBridge`
that starts with the Vuer server and stops with it::

    app = Vuer()
    ros = Ros(app)

    @app.spawn(start=True)
    async def main(session):
        async with ros.messages(PoseStamped, 'goal') as goals:
            async for goal in goals:
                ...
"""

import asyncio
from contextlib import AsyncExitStack
import threading
from typing import Any, Callable, Dict, Optional, Tuple, Type, TYPE_CHECKING, Union

from rclpy.client import Client
from rclpy.node import Node
from rclpy.publisher import Publisher

from vuer_ros.ros.executor import (ExecutorBridge, ExecutorKind, MessageStream,
                                   ros_initialised, wait_for_service)
from vuer_ros.ros.executor.delivery import MsgT, QoS

if TYPE_CHECKING:
    from vuer_ros.server import Vuer


class Ros:
    """
    A ROS node for asyncio code, spinning beside the loop while a Vuer server runs.

    With an app, it starts with the server (before it listens, so spawn handlers find it
    running) and stops after the sessions have closed. Without one, ``async with Ros() as
    ros:`` runs it. Either way ROS is initialised if nobody did yet (and then shut down
    after), with no rclpy signal handlers: the server's handling of Ctrl-C stops all.
    Create it before ``@app.spawn(start=True)``, which starts the server at once.
    """

    def __init__(
        self,
        app: Optional['Vuer'] = None,
        *,
        node_name: str = 'vuer_script',
        executor: Union[ExecutorKind, str] = ExecutorKind.EVENTS,
    ) -> None:
        """
        Prepare the node; nothing touches ROS until the server (or ``async with``) starts.

        :param app: The Vuer server to start and stop with; ``None`` for ``async with``.
        :param node_name: The node's name, as ``ros2 node list`` shows it.
        :param executor: Which rclpy executor spins the node (see :class:`ExecutorKind`).
        """
        self._node_name = node_name
        self._executor_kind = ExecutorKind(executor)
        self._stack: Optional[AsyncExitStack] = None
        self._bridge: Optional[ExecutorBridge] = None
        self._lock = threading.Lock()  # guards the caches: publish() may come from any thread
        self._publishers: Dict[Tuple[type, str], Publisher] = {}
        self._clients: Dict[Tuple[type, str], Client] = {}
        if app is not None:
            app.add_lifespan(lambda: self)

    async def __aenter__(self) -> 'Ros':
        """
        Initialise ROS if needed, create the node and start spinning it.

        :raises RuntimeError: If it is running already.
        """
        if self._stack is not None:
            raise RuntimeError(f'ROS node {self._node_name!r} is running already')
        async with AsyncExitStack() as stack:  # unwinds what was done if a step fails
            stack.enter_context(ros_initialised())
            node = Node(self._node_name)
            stack.callback(node.destroy_node)
            self._bridge = await stack.enter_async_context(
                ExecutorBridge(node, executor=self._executor_kind))
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop spinning, destroy the node, and shut ROS down if this started it."""
        stack, self._stack, self._bridge = self._stack, None, None
        with self._lock:
            self._publishers.clear()
            self._clients.clear()
        if stack is not None:
            await stack.aclose()

    @property
    def bridge(self) -> ExecutorBridge:
        """
        Return the executor bridge, for callbacks on the loop and work on the executor.

        :raises RuntimeError: If it is not running (the server has not started).
        """
        if self._bridge is None:
            raise RuntimeError(
                f'ROS node {self._node_name!r} is not running: it starts with the Vuer '
                'server it was given (app.run(), await app.start_server()), or in '
                '"async with Ros() as ros:"')
        return self._bridge

    @property
    def node(self) -> Node:
        """Return the node, to create other ROS entities (timers, services...)."""
        return self.bridge.bridged_node()

    def messages(
        self, msg_type: Type[MsgT], topic: str, qos: QoS = 10, *,
        maxlen: Optional[int] = None
    ) -> MessageStream[MsgT]:
        """
        Subscribe and return the messages as an async iterator, in arrival order.

        Use it as ``async with ros.messages(...) as stream: async for msg in stream:``, so
        the subscription ends with the block (else with the server).

        :param msg_type: The message class.
        :param topic: The topic name, relative to the node's namespace unless absolute.
        :param qos: A QoS profile or a history depth.
        :param maxlen: Keep only the newest ``maxlen`` messages not yet iterated
            (``None``: keep all); 1 follows a state topic without lagging.
        """
        return self.bridge.messages(msg_type, topic, qos, maxlen=maxlen)

    async def wait_for_message(
        self, msg_type: Type[MsgT], topic: str, *, qos: QoS = 10,
        timeout: Optional[float] = None
    ) -> MsgT:
        """
        Return the next message of a topic (see :meth:`ExecutorBridge.wait_for_message`).

        :param msg_type: The message class.
        :param topic: The topic name.
        :param qos: A QoS profile or a history depth; TRANSIENT_LOCAL also gets a latched
            message.
        :param timeout: Seconds to wait; ``None`` waits forever.
        :raises asyncio.TimeoutError: If no message came within ``timeout``.
        """
        return await self.bridge.wait_for_message(msg_type, topic, qos=qos, timeout=timeout)

    async def call(
        self, srv_type: Type[Any], name: str, request: Any, *,
        timeout: Optional[float] = None
    ) -> Any:
        """
        Call a service, waiting first for a server to appear.

        :param srv_type: The service class, such as ``ListParameters``.
        :param name: The service name.
        :param request: A ``srv_type.Request``.
        :param timeout: Seconds for waiting and the call together; ``None`` waits forever.
        :return: The ``srv_type.Response``.
        :raises asyncio.TimeoutError: If no response came within ``timeout``; the request
            is cancelled then, so a late response is dropped.
        """
        client = self._cached(self._clients, srv_type, name, self.node.create_client)

        async def when_available() -> Any:
            await wait_for_service(client)
            return await self.bridge.call(client, request)

        return await asyncio.wait_for(when_available(), timeout)

    def publisher(self, msg_type: Type[MsgT], topic: str, qos: QoS = 10) -> Publisher:
        """
        Create a publisher of the node; its ``publish`` may be called from any thread.

        :param msg_type: The message class.
        :param topic: The topic name.
        :param qos: A QoS profile or a history depth.
        """
        return self.node.create_publisher(msg_type, topic, qos)

    def publish(self, msg_type: Type[MsgT], topic: str, msg: MsgT) -> None:
        """
        Publish a message, with a publisher (depth 10) made on first use; any thread.

        :param msg_type: The message class.
        :param topic: The topic name.
        :param msg: The message.
        """
        self._cached(self._publishers, msg_type, topic, self.publisher).publish(msg)

    def _cached(self, cache: Dict[Tuple[type, str], Any], kind: type, name: str,
                create: Callable[[type, str], Any]) -> Any:
        """Return the entity of ``kind`` and ``name`` from ``cache``, created on first use."""
        with self._lock:
            if (kind, name) not in cache:
                cache[kind, name] = create(kind, name)
            return cache[kind, name]
