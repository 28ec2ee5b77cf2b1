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

``Vuer`` is the API: handlers, the shared scene and running. It holds a
:class:`~vuer_ros.transport.WebsocketTransport`, which serves the browser client and one
websocket per tab on one port. Each connection is a :class:`VuerSession`; the
``@app.spawn`` handler runs once per session after the client's INIT. Besides
per-session scene calls (``session.upsert @ Box(...)``), the app keeps a shared scene
(``app.upsert @ ...``) that every session shows, late joiners included.
"""

import asyncio
from collections import defaultdict
from contextlib import AsyncExitStack
import fnmatch
import inspect
import itertools
import logging
import os
import ssl
from typing import Any, AsyncContextManager, Awaitable, Callable, Optional, TypeVar

from vuer_ros import client_assets, process, wire
from vuer_ros.edits import EditKind, ElementLike, SceneEdit, ScenePublisher
from vuer_ros.scene import SceneTree
from vuer_ros.schemas import serialize_all
from vuer_ros.session import VuerSession
from vuer_ros.transport import Connection, DEFAULT_SEND_BUFFER, WebsocketTransport

__all__ = ['Vuer', 'VuerSession']

LOG = logging.getLogger(__name__)

DEFAULT_PORT = 8012
#: Bytes that may wait for one client before it is resynced from the scene instead.
DEFAULT_CLIENT_BYTE_LIMIT = 16 * 1024 * 1024

Handler = Callable[[wire.ClientEvent, VuerSession], Optional[Awaitable[None]]]
Lifespan = TypeVar('Lifespan', bound=Callable[[], AsyncContextManager])


def _transport_setting(name: str, doc: str) -> property:
    """Read and write a setting that the transport holds, as an attribute of the app."""
    return property(lambda app: getattr(app.transport, name),
                    lambda app, value: setattr(app.transport, name, value), doc=doc)


class Vuer(ScenePublisher):
    """
    The Vuer API: spawn and event handlers, the shared scene, lifespans and running.

    Serving the page and the sockets is the job of :attr:`transport`, whose settings
    (``host``, ``port``, ``queries``...) read and write as attributes of the app too.

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
    :param token: when not empty, required of the page, every route and the websocket
        (the printed URLs carry it); a request without it gets 401, a wrong one 403.
    :param ssl_context: serve https and wss instead of http and ws (headsets need it);
        see :func:`vuer_ros.tls.server_context`.
    :param initial_scene: a Scene (camera, lights, grid in its ``bgChildren``) each new
        client starts from, sent with the shared scene in one SET; None keeps the client's
        own default view, as ``vuer`` does.
    """

    host = _transport_setting('host', 'Interface the server listens on.')
    port = _transport_setting('port', 'TCP port; the bound one once started.')
    queries = _transport_setting('queries', 'Client options put into its URL.')
    client_dir = _transport_setting('client_dir', 'Folder of the browser client build.')
    max_client_frame = _transport_setting('max_client_frame', 'Largest client frame.')
    heartbeat = _transport_setting('heartbeat', 'Seconds between websocket pings.')
    send_buffer = _transport_setting('send_buffer', 'Kernel send buffer per client.')

    def __init__(self, host: Optional[str] = None, port: Optional[int] = None, *,
                 queries: Optional[dict] = None, client_dir: Optional[str] = None,
                 client_byte_limit: int = DEFAULT_CLIENT_BYTE_LIMIT,
                 max_client_frame: int = wire.DEFAULT_MAX_CLIENT_FRAME,
                 initial_scene: Optional[ElementLike] = None,
                 heartbeat: Optional[float] = None,
                 send_buffer: Optional[int] = DEFAULT_SEND_BUFFER, token: str = '',
                 ssl_context: Optional[ssl.SSLContext] = None) -> None:
        super().__init__()
        self.transport: WebsocketTransport[VuerSession] = WebsocketTransport(
            host if host is not None else os.environ.get('VUER_HOST', '0.0.0.0'),
            port if port is not None else int(os.environ.get('VUER_PORT', DEFAULT_PORT)),
            on_connect=self._connect, on_event=self._on_event,
            on_disconnect=self._disconnect, queries=dict(queries or {}),
            client_dir=client_assets.find_client_build(client_dir),
            missing_client=client_assets.missing_client_advice(client_dir),
            max_client_frame=max_client_frame, heartbeat=heartbeat, send_buffer=send_buffer,
            token=token, ssl_context=ssl_context)
        self.client_byte_limit = client_byte_limit
        #: Props (and background lists) of the Scene every SET this server sends carries.
        self.scene_props = {'tag': 'Scene', 'key': 'scene'}
        self.sends_initial_scene = initial_scene is not None
        if initial_scene is not None:
            self.scene_props = {name: value for name, value in
                                serialize_all(initial_scene)[0].items() if name != 'children'}
        self.scene = SceneTree()
        self.sessions: set[VuerSession] = set()
        self.handlers: dict[str, dict[int, Handler]] = defaultdict(dict)
        self._handler_ids = itertools.count()
        self._spawn_handlers: list[tuple[Callable, dict]] = []
        self._lifespans: list[Callable[[], AsyncContextManager]] = []
        #: The entered lifespans while serving (None: not serving).
        self._serving: Optional[AsyncExitStack] = None
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

        Works as ``app.add_handler('ON_CLICK', fn)`` (returns a function that removes
        this registration only) and as a decorator ``@app.add_handler('ON_CLICK')``.
        """
        if fn is None:
            def decorate(handler: Handler) -> Handler:
                self.add_handler(etype, handler, once=once)
                return handler
            return decorate
        handler_id = next(self._handler_ids)
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
        self.transport.add_route(method, path, handler)

    def add_lifespan(self, factory: Lifespan) -> Lifespan:
        """
        Hold ``factory()``, an async context manager, open while the server runs.

        :meth:`start_server` enters every one, in the order they were added, before the
        socket listens; :meth:`stop_server` exits them in reverse once the sessions have
        closed. When one fails to enter, the server does not start and those already
        entered are exited. Returns ``factory``, so it also works as a decorator.
        """
        if self._serving is not None:
            raise RuntimeError('lifespans must be added before the server starts')
        self._lifespans.append(factory)
        return factory

    # -- the shared scene -----------------------------------------------------------------

    def _deliver(self, edit: SceneEdit) -> None:
        packed = edit.pack()
        kept = edit.apply_to(self.scene)
        if kept is not edit:
            taken = {node['key'] for node in kept.payload}
            dropped = [node['key'] for node in edit.payload if node['key'] not in taken]
            more = f' (and {len(dropped) - 1} more)' if len(dropped) > 1 else ''
            self._throttle(f'orphan:{edit.to}', logging.WARNING,
                           f'{dropped[0]!r}{more} not shown: its parent {edit.to!r} is not in '
                           'the scene (the client drops nodes whose parent is missing)')
            if not kept.payload:
                return
            packed = kept.pack()
        for session in self.sessions:
            session.show_shared(packed)

    # -- URLs ---------------------------------------------------------------------------

    def client_url(self, host: Optional[str] = None, base: Optional[str] = None) -> str:
        """Return the URL that opens the viewer on this server (``base``: another host)."""
        return self.transport.client_url(host, base)

    # -- running ------------------------------------------------------------------------

    async def start_server(self) -> None:
        """Enter the lifespans, then serve inside the running event loop; return once bound."""
        if self._serving is not None:
            raise RuntimeError('the server is already running')
        async with AsyncExitStack() as lifespans:
            for factory in self._lifespans:
                await lifespans.enter_async_context(factory())
            await self.transport.start()
            self._serving = lifespans.pop_all()

    async def stop_server(self) -> None:
        """Close every session (GOING_AWAY), stop serving, then exit the lifespans."""
        if self._serving is None:
            return
        lifespans, self._serving = self._serving, None
        try:
            await self.transport.stop()
        finally:
            await lifespans.aclose()

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
        try:
            self._stopped_by_signal = process.run(self.serve)
        except OSError as error:   # binding failed: say what to do instead of a traceback
            LOG.error('cannot listen on %s:%s: %s. Choose another port: Vuer(port=...) or '
                      'the VUER_PORT environment variable.', self.host, self.port,
                      error.strerror or error)
            raise SystemExit(1) from None

    def run(self) -> None:
        """Serve until Ctrl-C or SIGTERM (blocking); same as :meth:`start`."""
        self.start()

    # -- sessions -------------------------------------------------------------------------

    def _connect(self, connection: Connection) -> VuerSession:
        """Make the session of a new connection and queue the shared scene for it."""
        session = VuerSession(self, connection, self.client_byte_limit)
        self.sessions.add(session)
        if self.sends_initial_scene:
            initial = SceneEdit(EditKind.SET, [self.scene.snapshot(self.scene_props)])
            session.show_shared(initial.pack())
        else:  # upserts, parents first
            for node, parent in self.scene.entries():
                session.show_shared(SceneEdit(EditKind.UPSERT, [node], parent).pack())
        session.start_sending()
        return session

    async def _disconnect(self, session: VuerSession) -> None:
        self.sessions.discard(session)
        await session.disconnected()

    def _on_event(self, session: VuerSession, event: wire.ClientEvent) -> None:
        if event.etype == 'INIT' and session.init is None:
            if not isinstance(event.value, dict):
                LOG.warning('session %s: INIT value is a %s, not a map; treating it as empty',
                            session.id, type(event.value).__name__)
            session.init = event.value if isinstance(event.value, dict) else {}
            self._start_handler(session)
        session.dispatch(event)
        for handler in list(self.handlers.get(event.etype, {}).values()):
            try:
                result = handler(event, session)
            except Exception as error:   # a 30 Hz event must not flood the log: throttled
                self._throttle(f'handler:{event.etype}', logging.ERROR,
                               f'handler for {event.etype} failed: {error!r}', exc_info=error)
                continue
            if inspect.isawaitable(result):
                session.spawn_task(result, name=f'{event.etype} handler')

    def _start_handler(self, session: VuerSession) -> None:
        for handler, filters in self._spawn_handlers:
            # As in vuer: shell-style patterns (client='py*'), a missing field never matches.
            if all(session.init.get(name) is not None
                   and fnmatch.fnmatchcase(str(session.init[name]), str(pattern))
                   for name, pattern in filters.items()):
                session.start_handler(handler)
                return
