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
One connected client: its scene calls, its tasks, its events and its sender.

A session shows the app's shared scene with its own changes on top. What waits for its
client sits in its :class:`Outbox`, which its own sender task empties, so a client that
stops reading only delays itself.
"""

import asyncio
from collections import defaultdict
import logging
from typing import Any, Awaitable, Callable, Coroutine, Optional, TYPE_CHECKING
import uuid

from aiohttp import WSCloseCode

from vuer_ros import wire
from vuer_ros.edits import EditKind, PackedEdit, SceneEdit, ScenePublisher, Throttle
from vuer_ros.outbox import Outbox
from vuer_ros.scene import SceneTree
from vuer_ros.transport import Connection

if TYPE_CHECKING:
    from vuer_ros.server import Vuer

LOG = logging.getLogger(__name__)


#: Failures of spawned tasks, logged at most once per task name per period.
_FAILURES = Throttle()


class VuerSession(ScenePublisher):
    """One connected client: its scene calls, its tasks and its events."""

    def __init__(self, app: 'Vuer', connection: Connection, byte_limit: int) -> None:
        super().__init__()
        self.app = app
        self.connection = connection
        self.id = connection.id
        #: The client's INIT value (client, pkg, userAgent...), once it has arrived.
        self.init: Optional[dict] = None
        #: What waits to be sent; its counters tell how the client keeps up.
        self.outbox = Outbox(byte_limit)
        #: What this session changed on top of the app's shared scene.
        self.local = SceneTree()
        self._removed_shared: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._waiters: dict[str, list[asyncio.Future]] = defaultdict(list)
        self._closed = asyncio.Event()
        self._idle = asyncio.Event()
        self._sender: Optional[asyncio.Task] = None
        self._handler_task: Optional[asyncio.Task] = None
        self._in_forever = False

    @property
    def closed(self) -> bool:
        """Tell whether the connection has closed."""
        return self._closed.is_set()

    def spawn_task(self, coro: Coroutine, name: Optional[str] = None) -> asyncio.Task:
        """Run ``coro`` beside the session; it is cancelled when the session closes."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        if self.closed:
            task.cancel()
            return task
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    async def till(self, etype: str, timeout: Optional[float] = None) -> wire.ClientEvent:
        """Wait for this client's next event of type ``etype``."""
        future = asyncio.get_running_loop().create_future()
        self._waiters[etype].append(future)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            if future in self._waiters.get(etype, ()):
                self._waiters[etype].remove(future)

    async def forever(self) -> None:
        """Keep the handler alive until the client disconnects, then return."""
        self._in_forever = True
        try:
            await self._closed.wait()
        finally:
            self._in_forever = False

    async def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far has been handed to the socket."""
        async def drained() -> None:
            while len(self.outbox) or self.outbox.needs_resync or not self._idle.is_set():
                await asyncio.sleep(0)  # let the sender run
                await self._idle.wait()
        try:
            await asyncio.wait_for(drained(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def rpc(self, etype: str, data: Any, timeout: float = 2.0) -> wire.ClientEvent:
        """Send a request event and wait for its ``<etype>_RESPONSE@<uuid>`` reply."""
        request_id = str(uuid.uuid4())
        reply = f'{etype}_RESPONSE@{request_id}'
        future = asyncio.get_running_loop().create_future()
        self._waiters[reply].append(future)
        try:
            self.outbox.frame(wire.event_frame(etype, {**(data or {}), 'uuid': request_id}), ())
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.pop(reply, None)

    async def close(self, code: int = WSCloseCode.OK, message: bytes = b'') -> None:
        """Send what is queued, then close; the session's tasks are cancelled."""
        if code == WSCloseCode.OK and not self.closed:
            await self.flush()
        await self.connection.close(code, message)

    def scene_snapshot(self) -> dict:
        """Return the Scene this client should show: the shared one with its own changes."""
        tree = self.app.scene.copy()
        for node, parent in self.local.entries():
            tree.upsert(node, parent, require_parent=False)
        tree.remove(self._removed_shared)
        if self.local.scene_props:
            tree.scene_props = dict(self.local.scene_props)
        return tree.snapshot(self.app.scene_props)

    # -- driven by the app ------------------------------------------------------------

    def show_shared(self, edit: PackedEdit) -> None:
        """Queue an edit of the app's shared scene; keys it sends again show again here."""
        self._reshow(edit)
        edit.queue_on(self.outbox)

    def start_sending(self) -> None:
        """Start the sender: it hands what the outbox holds to the socket as it comes."""
        self._sender = asyncio.get_running_loop().create_task(
            self._send_loop(), name=f'session {self.id} sender')

    def start_handler(self, handler: Callable[['VuerSession'], Awaitable[None]]) -> None:
        """Run the app's spawn handler for this client; the session ends when it returns."""
        self._handler_task = self.spawn_task(self._run_handler(handler), name=handler.__name__)

    def dispatch(self, event: wire.ClientEvent) -> None:
        """Hand a client event to what waits for it (:meth:`till`, :meth:`rpc`)."""
        for future in self._waiters.pop(event.etype, ()):
            if not future.done():
                future.set_result(event)

    async def disconnected(self) -> None:
        """
        End the session once its socket has closed, and wait for its tasks to finish.

        A handler waiting in :meth:`forever` returns from it instead of being cancelled,
        so it can clean up.
        """
        self._closed.set()
        tasks = list(self._tasks)
        for task in tasks:
            if task is not self._handler_task or not self._in_forever:
                task.cancel()
        if self._sender is not None:
            self._sender.cancel()
            tasks.append(self._sender)
        for futures in self._waiters.values():
            for future in futures:
                future.cancel()
        self._waiters.clear()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- inside -----------------------------------------------------------------------

    def _deliver(self, edit: SceneEdit) -> None:
        packed = edit.pack()
        edit.apply_to(self.local, require_parent=False)
        if edit.kind is EditKind.REMOVE:
            self._removed_shared.update(key for key in edit.payload if key in self.app.scene)
        else:
            self._reshow(packed)
        packed.queue_on(self.outbox)

    def _reshow(self, edit: PackedEdit) -> None:
        if self._removed_shared and edit.reshows:
            self._removed_shared.difference_update(edit.keys)

    async def _run_handler(self, handler: Callable[['VuerSession'], Awaitable[None]]) -> None:
        try:
            await handler(self)
        except asyncio.CancelledError:
            raise
        except Exception:
            LOG.exception('session %s: handler %s failed', self.id, handler.__name__)
        # As in vuer: a session whose handler has returned is over.
        await self.close()

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            # Async event handlers run as tasks, one per event: throttled by task name.
            _FAILURES(f'task:{task.get_name()}', logging.ERROR,
                      f'session {self.id}: task {task.get_name()} failed: {error!r}',
                      exc_info=error)

    async def _send_loop(self) -> None:
        """Send what the outbox holds; wait (not poll) when it is empty."""
        outbox = self.outbox
        while True:
            if not len(outbox) and not outbox.needs_resync:
                self._idle.set()
            await outbox.wait()
            self._idle.clear()
            if outbox.needs_resync:
                outbox.needs_resync = False
                LOG.warning('session %s fell behind by more than %d bytes; resyncing it '
                            'from the scene', self.id, outbox.byte_limit)
                frames = [wire.set_frame(self.scene_snapshot())]
            else:
                frames = outbox.take()
            try:
                for frame in frames:
                    await self.connection.send(frame)
            except ConnectionResetError as gone:   # a closed tab, a headset asleep: normal
                LOG.info('session %s: client went away (%s)', self.id, gone)
                return
