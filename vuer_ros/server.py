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
A Vuer-protocol server on aiohttp: the async API of ``vuer`` with a shared scene.

``Vuer`` serves the browser client and one websocket per tab on one port. Each
connection is a :class:`VuerSession`; the ``@app.spawn`` handler runs once per session
after the client's INIT. Besides per-session scene calls (``session.upsert @ Box(...)``),
the app keeps a shared scene (``app.upsert @ ...``) that every session shows, late
joiners included. Every client has its own outbox and sender task: nothing polls, and a
client that stops reading only delays itself.
"""

import asyncio
from collections import defaultdict
import fnmatch
import inspect
import logging
import os
import signal
import socket
import struct
import time
from typing import Any, Awaitable, Callable, Coroutine, Iterable, Optional, Union
from urllib.parse import urlencode
import uuid

from aiohttp import web, WSCloseCode, WSMsgType

from vuer_ros import client_assets, wire
from vuer_ros.outbox import Outbox
from vuer_ros.scene import nested_keys, SceneTree
from vuer_ros.schemas import Element, serialize_all
from vuer_ros.validation import validate_nodes

LOG = logging.getLogger('vuer_ros.server')

DEFAULT_PORT = 8012
_SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address
HOSTED_CLIENT = 'https://vuer.ai'
#: Bytes that may wait for one client before it is resynced from the scene instead.
DEFAULT_CLIENT_BYTE_LIMIT = 16 * 1024 * 1024
#: Kernel send buffer per client. The kernel's own can grow to megabytes: for a client
#: that reads slowly, seconds of stale frames would sit there, out of the outbox's reach.
#: Kept small, a backlog waits in the outbox, where newer state replaces older.
DEFAULT_SEND_BUFFER = 256 * 1024

ElementLike = Union[Element, dict]
Elements = Union[ElementLike, Iterable[ElementLike]]
Handler = Callable[[wire.ClientEvent, 'VuerSession'], Optional[Awaitable[None]]]


class _SceneCall:
    """``target.upsert @ element`` and ``target.upsert(element, to='parent')`` alike."""

    def __init__(self, apply: Callable[..., None]) -> None:
        self._apply = apply

    def __matmul__(self, elements: Any) -> None:
        self._apply(elements)

    def __call__(self, elements: Any, to: Optional[str] = None, **options: Any) -> None:
        self._apply(elements, to=to, **options)


class _Throttle:
    """Let one log line per topic through per period, counting what it held back."""

    def __init__(self, period: float = 2.0) -> None:
        self.period = period
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = defaultdict(int)

    def __call__(self, topic: str, level: int, message: str) -> None:
        now = time.monotonic()
        if now - self._last.get(topic, -1e9) < self.period:
            self._held[topic] += 1
            return
        self._last[topic] = now
        held = self._held.pop(topic, 0)
        LOG.log(level, message + (f' ({held} more like it held back)' if held else ''))


class _ScenePublisher:
    """Scene calls shared by sessions and the app: validate, pack once, deliver."""

    def __init__(self) -> None:
        self._throttle = _Throttle()

    @property
    def upsert(self) -> _SceneCall:
        """Update nodes by key, inserting the ones that are missing (``to``: parent key)."""
        return _SceneCall(self._upsert)

    @property
    def add(self) -> _SceneCall:
        """Insert nodes under ``to`` (the scene root by default)."""
        return _SceneCall(self._add)

    @property
    def update(self) -> _SceneCall:
        """Patch props of nodes that exist, by key."""
        return _SceneCall(self._update)

    @property
    def remove(self) -> _SceneCall:
        """Remove nodes (with their subtrees) by key: ``remove @ 'key'`` or a list."""
        return _SceneCall(self._remove)

    @property
    def set(self) -> _SceneCall:  # noqa: A003 (Vuer's API: session.set @ Scene(...))
        """Replace the whole scene with a ``Scene`` element."""
        return _SceneCall(self._set)

    def _checked(self, elements: Elements, partial: bool = False) -> list[dict]:
        """
        Nodes that are safe to send; the others are logged with their key and why.

        :param partial: the nodes are patches (UPDATE), so required props may be absent.
        """
        nodes, rejected = validate_nodes(serialize_all(elements), partial=partial)
        for error in rejected:
            self._throttle(f'reject:{error.key}', logging.ERROR,
                           f'element {error.key!r} not sent: {error.reason}')
        return nodes

    def _upsert(self, elements: Elements, to: Optional[str] = None, strict: bool = False) -> None:
        for node in self._checked(elements):
            self._deliver_upsert(node, to)

    def _add(self, elements: Elements, to: Optional[str] = None) -> None:
        nodes = self._checked(elements)
        if nodes:
            self._deliver_frame(nodes, to, 'ADD')

    def _update(self, elements: Elements, to: Optional[str] = None) -> None:
        nodes = self._checked(elements, partial=True)
        if nodes:
            self._deliver_frame(nodes, to, 'UPDATE')

    def _remove(self, keys: Union[str, Iterable[str]], to: Optional[str] = None) -> None:
        keys = [keys] if isinstance(keys, str) else [str(key) for key in keys]
        if keys:
            self._deliver_frame(keys, None, 'REMOVE')

    def _set(self, scene: ElementLike, to: Optional[str] = None) -> None:
        nodes = self._checked(scene)
        if nodes:
            self._deliver_frame(nodes, None, 'SET')

    def _deliver_upsert(self, node: dict, to: Optional[str]) -> None:
        raise NotImplementedError

    def _deliver_frame(self, payload: list, to: Optional[str], etype: str) -> None:
        raise NotImplementedError


def structural_frame(etype: str, payload: list, to: Optional[str]) -> tuple[bytes, list]:
    """Build the frame for ADD/UPDATE/REMOVE/SET, and list the keys it touches (None: all)."""
    if etype == 'REMOVE':
        return wire.remove_frame(payload), payload
    if etype == 'SET':
        return wire.set_frame(payload[0]), None
    packed = [wire.pack(node) for node in payload]
    keys = [key for node in payload for key in (node['key'], *nested_keys(node))]
    if etype == 'ADD':
        return wire.nodes_frame('ADD', packed, to), keys
    return wire.update_frame(packed), keys


def apply_to_tree(tree: SceneTree, etype: str, payload: list, to: Optional[str],
                  require_parent: bool = True) -> None:
    """Keep a scene tree in step with a structural event."""
    if etype == 'REMOVE':
        tree.remove(payload)
    elif etype == 'SET':
        tree.set(payload[0])
    elif etype == 'ADD':
        for node in payload:
            tree.upsert(node, to, require_parent=require_parent)
    else:
        for node in payload:
            tree.update(node)


class VuerSession(_ScenePublisher):
    """One connected client: its scene calls, its tasks and its events."""

    def __init__(self, app: 'Vuer', ws: web.WebSocketResponse, byte_limit: int) -> None:
        super().__init__()
        self.app = app
        self.ws = ws
        self.id = uuid.uuid4().hex[:8]
        #: The client's INIT value (client, pkg, userAgent...), once it has arrived.
        self.init: Optional[dict] = None
        self.outbox = Outbox(byte_limit)
        #: What this session changed on top of the app's shared scene.
        self.local = SceneTree()
        self._removed_shared: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self._waiters: dict[str, list[asyncio.Future]] = defaultdict(list)
        self._closed = asyncio.Event()
        self._idle = asyncio.Event()
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
        await self.ws.close(code=code, message=message)

    def _deliver_upsert(self, node: dict, to: Optional[str]) -> None:
        self.local.upsert(node, to, require_parent=False)
        self._removed_shared.discard(node['key'])
        self.outbox.upsert(node['key'], to, wire.pack(node), tuple(nested_keys(node)))

    def _deliver_frame(self, payload: list, to: Optional[str], etype: str) -> None:
        apply_to_tree(self.local, etype, payload, to, require_parent=False)
        if etype == 'REMOVE':
            self._removed_shared.update(key for key in payload if key in self.app.scene)
        frame, keys = structural_frame(etype, payload, to)
        self.outbox.frame(frame, keys)

    def _shared_changed(self, keys: Iterable[str]) -> None:
        """Note that the app re-sent these shared keys: this session shows them again."""
        if self._removed_shared:
            self._removed_shared.difference_update(keys)

    def scene_snapshot(self) -> dict:
        """Return the Scene this client should show: the shared one with its own changes."""
        tree = self.app.scene.copy()
        for node, parent in self.local.entries():
            tree.upsert(node, parent, require_parent=False)
        tree.remove(self._removed_shared)
        if self.local.scene_props:
            tree.scene_props = dict(self.local.scene_props)
        return tree.snapshot(self.app.scene_props)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            LOG.error('session %s: task %s failed: %r', self.id, task.get_name(), error,
                      exc_info=error)

    def _dispatch(self, event: wire.ClientEvent) -> None:
        for future in self._waiters.pop(event.etype, ()):
            if not future.done():
                future.set_result(event)

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
            for frame in frames:
                await self.ws.send_bytes(frame)

    def _shutdown(self) -> None:
        self._closed.set()
        for task in list(self._tasks):
            # A handler waiting in forever() returns from it instead, so it can clean up.
            if task is not self._handler_task or not self._in_forever:
                task.cancel()
        for futures in self._waiters.values():
            for future in futures:
                future.cancel()
        self._waiters.clear()


class Vuer(_ScenePublisher):
    """
    The server: the browser client, the websocket sessions and the shared scene.

    :param host: interface to listen on; default ``$VUER_HOST`` or ``0.0.0.0`` (every
        interface, for headsets on the LAN).
    :param port: TCP port, default ``$VUER_PORT`` or 8012, as in ``vuer``; 0 picks a free
        one (read it back from :attr:`port` once started).
    :param queries: options for the client, put into the URL (``reconnect``,
        ``collapseMenu``...).
    :param client_dir: folder with the browser client build; by default the one of the
        installed ``vuer`` package, when there is one.
    :param client_byte_limit: bytes that may wait for one client before it is resynced.
    :param max_client_frame: largest client frame accepted, in bytes.
    :param heartbeat: seconds between websocket pings; a client that does not answer in
        time is dropped. None (default, as vuer): a slow reader, whose pong waits behind
        the frames it has not read yet, is never mistaken for a dead one.
    :param send_buffer: kernel send buffer per client, in bytes (None: the kernel's).
    :param initial_scene: a Scene (camera, lights, grid in its ``bgChildren``) each new
        client starts from, sent with the shared scene in one SET; None keeps the client's
        own default view, as ``vuer`` does.
    """

    def __init__(self, host: Optional[str] = None, port: Optional[int] = None, *,
                 queries: Optional[dict] = None, client_dir: Optional[str] = None,
                 client_byte_limit: int = DEFAULT_CLIENT_BYTE_LIMIT,
                 max_client_frame: int = wire.DEFAULT_MAX_CLIENT_FRAME,
                 initial_scene: Optional[ElementLike] = None,
                 heartbeat: Optional[float] = None,
                 send_buffer: Optional[int] = DEFAULT_SEND_BUFFER) -> None:
        super().__init__()
        self.host = host if host is not None else os.environ.get('VUER_HOST', '0.0.0.0')
        self.port = port if port is not None else int(os.environ.get('VUER_PORT', DEFAULT_PORT))
        self.queries = dict(queries or {})
        self.client_dir = client_assets.find_client_build(client_dir)
        self.client_byte_limit = client_byte_limit
        self.max_client_frame = max_client_frame
        self.heartbeat = heartbeat
        self.send_buffer = send_buffer
        #: Props (and background lists) of the Scene every SET this server sends carries.
        self.scene_props = {'tag': 'Scene', 'key': 'scene'}
        self.sends_initial_scene = initial_scene is not None
        if initial_scene is not None:
            self.scene_props = {name: value for name, value in
                                serialize_all(initial_scene)[0].items() if name != 'children'}
        self.scene = SceneTree()
        self.sessions: set[VuerSession] = set()
        self.handlers: dict[str, dict[int, Handler]] = defaultdict(dict)
        self._spawn_handlers: list[tuple[Callable, dict]] = []
        self._routes: list[tuple[str, str, Callable]] = []
        self._runner: Optional[web.AppRunner] = None
        self._stopped_by_signal = False

    # -- registration -------------------------------------------------------------------

    def spawn(self, fn: Optional[Callable] = None, *, start: bool = False,
              **filters: Any) -> Any:
        """
        Register ``async def handler(session)`` to run for each client after its INIT.

        ``filters`` match fields of the INIT value (``client='browser'``); the first
        matching handler runs. With ``start=True`` the server starts at once (blocking).
        """
        def register(handler: Callable) -> Callable:
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f'spawn handler {handler!r} must be an async function')
            self._spawn_handlers.append((handler, filters))
            if start:
                self.start()
            return handler

        return register(fn) if fn is not None else register

    def add_handler(self, etype: str, fn: Optional[Handler] = None, *,
                    once: bool = False) -> Any:
        """
        Call ``fn(event, session)`` for every client event of type ``etype``.

        Works as ``app.add_handler('ON_CLICK', fn)`` (returns a function that removes the
        handler) and as a decorator ``@app.add_handler('ON_CLICK')``.
        """
        if fn is None:
            def decorate(handler: Handler) -> Handler:
                self.add_handler(etype, handler, once=once)
                return handler
            return decorate
        handler_id = id(fn) ^ id(object())
        handlers = self.handlers[etype]

        def remove() -> None:
            handlers.pop(handler_id, None)

        if once:
            def call_once(event: wire.ClientEvent, session: VuerSession) -> Any:
                remove()
                return fn(event, session)
            handlers[handler_id] = call_once
        else:
            handlers[handler_id] = fn
        return remove

    def add_route(self, method: str, path: str, handler: Callable) -> None:
        """Serve an extra HTTP route on the same port (mesh files, for instance)."""
        if self._runner is not None:
            raise RuntimeError('routes must be added before the server starts')
        self._routes.append((method, path, handler))

    # -- the shared scene -----------------------------------------------------------------

    def _deliver_upsert(self, node: dict, to: Optional[str]) -> None:
        if not self.scene.upsert(node, to):
            self._throttle(f'orphan:{to}', logging.WARNING,
                           f'{node["key"]!r} not shown: its parent {to!r} is not in the scene '
                           '(the client drops nodes whose parent is missing)')
            return
        packed = wire.pack(node)
        key = node['key']
        nested = tuple(nested_keys(node))
        for session in self.sessions:
            session._shared_changed((key,))
            session.outbox.upsert(key, to, packed, nested)

    def _deliver_frame(self, payload: list, to: Optional[str], etype: str) -> None:
        apply_to_tree(self.scene, etype, payload, to)
        frame, keys = structural_frame(etype, payload, to)
        for session in self.sessions:
            if etype != 'REMOVE' and keys:
                session._shared_changed(keys)
            session.outbox.frame(frame, keys)

    # -- URLs ---------------------------------------------------------------------------

    def client_url(self, host: Optional[str] = None, base: Optional[str] = None) -> str:
        """Return the URL that opens the viewer on this server (``base``: another host)."""
        host = host or ('localhost' if self.host in ('0.0.0.0', '::', '') else self.host)
        query = {'ws': f'ws://{host}:{self.port}'}
        query.update({name: str(value).lower() if isinstance(value, bool) else value
                      for name, value in self.queries.items()})
        return f'{base or f"http://{host}:{self.port}"}/?{urlencode(query, safe=":/")}'

    def _print_urls(self) -> None:
        lan = _lan_address()
        lines = [f'Vuer server on port {self.port}']
        if self.client_dir is not None:
            lines.append(f'  local:   {self.client_url()}')
            if lan:
                lines.append(f'  network: {self.client_url(lan)}')
        else:
            lines.append('  (browser client not installed here: pip install vuer_ros[client])')
        lines.append(f'  hosted:  {self.client_url(lan or "localhost", HOSTED_CLIENT)}')
        print('\n'.join(lines), flush=True)

    # -- running ------------------------------------------------------------------------

    async def start_server(self) -> None:
        """Start serving inside the running event loop and return once bound."""
        app = web.Application()
        app.router.add_get('/', self._index)
        if self.client_dir is not None:
            app.router.add_static('/assets', self.client_dir / 'assets')
        app.router.add_static('/static', client_assets.static_dir())
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        app.on_shutdown.append(self._close_sessions)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._print_urls()

    async def stop_server(self) -> None:
        """Close every session (GOING_AWAY) and stop serving."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def serve(self, stop: Optional[asyncio.Event] = None) -> None:
        """Serve until ``stop`` is set (or the task is cancelled), then shut down cleanly."""
        await self.start_server()
        try:
            await (stop.wait() if stop is not None else asyncio.Event().wait())
        finally:
            await self.stop_server()

    def start(self) -> None:
        """Serve until Ctrl-C or SIGTERM (blocking)."""
        if self._stopped_by_signal:
            return  # e.g. the seed's app.run() after @app.spawn(start=True) was stopped
        logging.basicConfig(level=logging.INFO, format='[%(levelname)s] %(name)s: %(message)s')
        asyncio.run(self._serve_until_signal())

    def run(self) -> None:
        """Serve until Ctrl-C or SIGTERM (blocking); same as :meth:`start`."""
        self.start()

    async def _serve_until_signal(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await self.serve(stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        self._stopped_by_signal = True

    # -- HTTP and websocket -------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get('Upgrade', '').lower() == 'websocket':
            return await self._websocket(request)
        if self.client_dir is None:
            return web.Response(
                status=404, content_type='text/html',
                text='<p>The Vuer browser client is not installed on this machine. '
                     'Install it with <code>pip install vuer_ros[client]</code>, or open '
                     f'<a href="{self.client_url(base=HOSTED_CLIENT)}">the hosted client'
                     '</a>.</p>')
        return web.FileResponse(self.client_dir / 'index.html')

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=self.max_client_frame,
                                   heartbeat=self.heartbeat, compress=False)
        await ws.prepare(request)
        self._limit_send_buffer(request)
        session = VuerSession(self, ws, self.client_byte_limit)
        self.sessions.add(session)
        self._send_scene_to(session)
        sender = asyncio.get_running_loop().create_task(session._send_loop())
        LOG.info('session %s connected from %s', session.id, request.remote)
        try:
            await self._receive(session)
        finally:
            self.sessions.discard(session)
            sender.cancel()
            session._shutdown()
            await asyncio.gather(sender, return_exceptions=True)
            LOG.info('session %s closed', session.id)
        return ws

    def _limit_send_buffer(self, request: web.Request) -> None:
        sock = request.transport.get_extra_info('socket') if request.transport else None
        if self.send_buffer and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)

    def _send_scene_to(self, session: VuerSession) -> None:
        """Queue the shared scene for a new client: one SET, or upserts parents first."""
        if self.sends_initial_scene:
            session.outbox.frame(wire.set_frame(self.scene.snapshot(self.scene_props)), None)
            return
        for node, parent in self.scene.entries():
            session.outbox.upsert(node['key'], parent, wire.pack(node),
                                  tuple(nested_keys(node)))

    async def _receive(self, session: VuerSession) -> None:
        ws = session.ws
        async for message in ws:
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
            try:
                event = wire.decode_client_frame(message.data, self.max_client_frame)
            except wire.ProtocolError as error:
                LOG.warning('session %s: closing, bad frame: %s', session.id, error)
                await ws.close(code=WSCloseCode.UNSUPPORTED_DATA,
                               message=str(error)[:120].encode())
                break
            self._on_event(session, event)
        if ws.exception() is not None:
            LOG.warning('session %s: connection error: %s', session.id, ws.exception())

    def _on_event(self, session: VuerSession, event: wire.ClientEvent) -> None:
        if event.etype == 'INIT' and session.init is None:
            if not isinstance(event.value, dict):
                LOG.warning('session %s: INIT value is a %s, not a map; treating it as empty',
                            session.id, type(event.value).__name__)
            session.init = event.value if isinstance(event.value, dict) else {}
            self._start_handler(session)
        session._dispatch(event)
        for handler in list(self.handlers.get(event.etype, {}).values()):
            try:
                result = handler(event, session)
            except Exception:
                LOG.exception('handler for %s failed', event.etype)
                continue
            if inspect.isawaitable(result):
                session.spawn_task(result, name=f'{event.etype} handler')

    def _start_handler(self, session: VuerSession) -> None:
        for handler, filters in self._spawn_handlers:
            # As in vuer: shell-style patterns (client='py*'), a missing field never matches.
            if all(session.init.get(name) is not None
                   and fnmatch.fnmatchcase(str(session.init[name]), str(pattern))
                   for name, pattern in filters.items()):
                session._handler_task = session.spawn_task(
                    self._run_handler(handler, session), name=handler.__name__)
                return

    async def _run_handler(self, handler: Callable, session: VuerSession) -> None:
        try:
            await handler(session)
        except asyncio.CancelledError:
            raise
        except Exception:
            LOG.exception('session %s: handler %s failed', session.id, handler.__name__)
        # As in vuer: a session whose handler has returned is over.
        await session.close()

    async def _close_sessions(self, _app: web.Application) -> None:
        await asyncio.gather(*(
            session.close(WSCloseCode.GOING_AWAY, b'server shutdown')
            for session in list(self.sessions)), return_exceptions=True)


def _lan_address() -> Optional[str]:
    """
    Return this machine's LAN address, for URLs a headset can open (or None).

    Read from the network interfaces, since on Debian and Ubuntu the host name resolves
    to 127.0.1.1; nothing is sent anywhere.
    """
    try:
        import fcntl
    except ImportError:  # not Linux: the host name is the best guess
        fcntl = None
    if fcntl is not None:
        for _index, name in socket.if_nameindex():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    request = struct.pack('256s', name[:15].encode())
                    reply = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
                except OSError:
                    continue  # no IPv4 address on this interface
            address = socket.inet_ntoa(reply[20:24])
            if not address.startswith('127.'):
                return address
        return None
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return None
    return None if address.startswith('127.') else address
