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
The HTTP and websocket side of the server: one port for the page, its assets and sockets.

:class:`WebsocketTransport` knows nothing of scenes or sessions: it hands each accepted
socket, as a :class:`Connection`, to the callbacks of its owner (the :class:`Vuer` app),
then the client's decoded events, then the end of the connection.
"""

import asyncio
import hmac
import html
import logging
from pathlib import Path
import socket
import ssl
import struct
from typing import AsyncIterator, Awaitable, Callable, Generic, Optional, TypeVar
from urllib.parse import urlencode
import uuid

from aiohttp import EofStream, web, WSCloseCode, WSMsgType

from vuer_ros import client_assets, wire

LOG = logging.getLogger(__name__)

HOSTED_CLIENT = 'https://vuer.ai'
#: Kernel send buffer per client. The kernel's own can grow to megabytes: for a client
#: that reads slowly, seconds of stale frames would sit there, out of the outbox's reach.
#: Kept small, a backlog waits in the outbox, where newer state replaces older.
DEFAULT_SEND_BUFFER = 256 * 1024
#: Seconds a closing handshake may take; a client that stopped reading never answers it,
#: and must not hold up a shutdown (SIGTERM should end the bridge in well under 2 s).
CLOSE_TIMEOUT = 0.2
#: Where the token travels: the URL's query on the first visit, then this cookie (the
#: client's scripts, fonts, meshes and its websocket carry it without knowing the token).
TOKEN_QUERY = 'token'
TOKEN_COOKIE = 'vuer_ros_token'
_SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address

Peer = TypeVar('Peer')


class Connection:
    """One client's websocket: what its session sends and closes, and the events it reads."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, max_frame: int) -> None:
        self._ws = ws
        self._max_frame = max_frame
        self.id = uuid.uuid4().hex[:8]
        self.remote = request.remote
        transport = request.transport
        self._transport = transport
        #: The TCP socket, where aiohttp exposes it.
        self.socket: Optional[socket.socket] = (
            transport.get_extra_info('socket') if transport is not None else None)

    def limit_send_buffer(self, size: Optional[int]) -> None:
        """Keep the kernel's send buffer small (None: leave the kernel's)."""
        if size and self.socket is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)

    async def send(self, frame: bytes) -> None:
        """Send one binary frame, waiting while the socket is full."""
        await self._ws.send_bytes(frame)

    async def close(self, code: int = WSCloseCode.OK, message: bytes = b'') -> None:
        """Close the socket with a websocket close code."""
        await self._ws.close(code=code, message=message)

    def abort(self) -> None:
        """Drop the TCP connection at once (a client that no longer reads)."""
        if self._transport is not None:
            self._transport.abort()

    async def events(self) -> AsyncIterator[wire.ClientEvent]:
        """Yield the client's events until it closes; a bad frame closes it, saying why."""
        async for message in self._ws:
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
            try:
                event = wire.decode_client_frame(message.data, self._max_frame)
            except wire.ProtocolError as error:
                LOG.warning('session %s: closing, bad frame: %s', self.id, error)
                await self.close(WSCloseCode.UNSUPPORTED_DATA, str(error)[:120].encode())
                break
            yield event
        error = self._ws.exception()
        if isinstance(error, (ConnectionResetError, EofStream)):   # a closed tab: normal
            LOG.info('session %s: client went away (%s)', self.id, error)
        elif error is not None:
            LOG.warning('session %s: connection error: %s', self.id, error)


class WebsocketTransport(Generic[Peer]):
    """
    Serve the browser client and accept websockets on one port.

    :param on_connect: makes the peer (a session) of a new connection.
    :param on_event: gets each decoded client event with its peer.
    :param on_disconnect: ends a peer once its socket has closed.
    :param missing_client: what to tell users when ``client_dir`` is None.
    The other parameters are those of :class:`vuer_ros.Vuer`.
    """

    def __init__(self, host: str, port: int, *,
                 on_connect: Callable[[Connection], Peer],
                 on_event: Callable[[Peer, wire.ClientEvent], None],
                 on_disconnect: Callable[[Peer], Awaitable[None]],
                 queries: dict, client_dir: Optional[Path], max_client_frame: int,
                 heartbeat: Optional[float], send_buffer: Optional[int],
                 missing_client: str = 'browser client not found', token: str = '',
                 ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self.host = host
        self.port = port
        self.queries = queries
        self.client_dir = client_dir
        self.missing_client = missing_client
        self.max_client_frame = max_client_frame
        self.heartbeat = heartbeat
        self.send_buffer = send_buffer
        self._on_connect = on_connect
        self._on_event = on_event
        self._on_disconnect = on_disconnect
        self._routes: list[tuple[str, str, Callable]] = []
        self._connections: set[Connection] = set()
        self._runner: Optional[web.AppRunner] = None
        self._page: Optional[str] = None
        #: Required of every request when not empty (page, assets, routes, websocket).
        self.token = token
        #: Set: https and wss on the port, instead of http and ws.
        self.ssl_context = ssl_context
        self._refused: set[str] = set()

    @property
    def running(self) -> bool:
        """Tell whether the server is bound and serving."""
        return self._runner is not None

    def add_route(self, method: str, path: str, handler: Callable) -> None:
        """Serve an extra HTTP route on the same port (mesh files, for instance)."""
        if self.running:
            raise RuntimeError('routes must be added before the server starts')
        self._routes.append((method, path, handler))

    @property
    def secure(self) -> bool:
        """Tell whether the page and sockets are served over TLS (https, wss)."""
        return self.ssl_context is not None

    def client_url(self, host: Optional[str] = None, base: Optional[str] = None) -> str:
        """
        Return the URL that opens the viewer on this server (``base``: another host).

        ``ws=`` is always given: on an https page the client's own default is
        ``wss://<host>`` without the port. The token, when set, is in both.
        """
        host = host or ('localhost' if self.host in ('0.0.0.0', '::', '') else self.host)
        web_scheme, ws_scheme = ('https', 'wss') if self.secure else ('http', 'ws')
        access = f'/?{urlencode({TOKEN_QUERY: self.token})}' if self.token else ''
        query = {'ws': f'{ws_scheme}://{host}:{self.port}{access}'}
        query.update({name: str(value).lower() if isinstance(value, bool) else value
                      for name, value in self.queries.items()})
        if self.token:
            query[TOKEN_QUERY] = self.token
        return (f'{base or f"{web_scheme}://{host}:{self.port}"}/?'
                f'{urlencode(query, safe=":/")}')

    async def start(self) -> None:
        """Bind and serve inside the running event loop; print the URLs once bound."""
        app = web.Application(middlewares=[self._check_token] if self.token else [])
        app.router.add_get('/', self._index)
        if self.client_dir is not None:
            app.router.add_static('/assets', self.client_dir / 'assets')
        app.router.add_static('/static', client_assets.static_dir())
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        app.on_shutdown.append(self._close_connections)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port,
                              ssl_context=self.ssl_context).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        self._print_urls()

    async def stop(self) -> None:
        """Close every connection (GOING_AWAY), wait for their ends, and stop serving."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def _print_urls(self) -> None:
        """
        Print only addresses that open a working viewer.

        The hosted client is an https page: browsers let it open ws:// only to localhost
        (mixed content otherwise), so it is offered for this machine alone, and only when
        the client files are missing here.
        """
        lan = lan_address()
        lines = [f'Vuer server on port {self.port}'
                 + (' (https, wss)' if self.secure else '')
                 + (', token required' if self.token else '')]
        if self.client_dir is not None:
            lines.append(f'  local:   {self.client_url()}')
            if lan:
                lines.append(f'  network: {self.client_url(lan)}')
                if not self.secure:
                    lines.append('  headsets (WebXR) need https: set certfile and keyfile '
                                 '(python3 -m vuer_ros.tls makes them)')
        else:
            lines.extend(f'  {line}' for line in self.missing_client.splitlines())
            lines.append('  meanwhile, on this machine only (needs internet): '
                         + self.client_url('localhost', HOSTED_CLIENT))
        print('\n'.join(lines), flush=True)

    @web.middleware
    async def _check_token(self, request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
        """
        Refuse a request without the token: 401 when none is given, 403 when it is wrong.

        The token comes in the query (``?token=``), an ``Authorization: Bearer`` header or
        the cookie set on the first visit; refusals are logged once per address.
        """
        bearer = request.headers.get('Authorization', '')
        given = (request.query.get(TOKEN_QUERY)
                 or (bearer[7:] if bearer.lower().startswith('bearer ') else None)
                 or request.cookies.get(TOKEN_COOKIE))
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            status = 401 if given is None else 403
            if request.remote not in self._refused:
                self._refused.add(request.remote)
                LOG.warning('refused %s %s from %s: %s token (logged once per address)',
                            request.method, request.path, request.remote,
                            'no' if given is None else 'wrong')
            return web.Response(status=status, text='a valid token is required: open the '
                                'URL the bridge printed\n')
        response = await handler(request)
        if request.query.get(TOKEN_QUERY) and not isinstance(response, web.WebSocketResponse):
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite='Strict',
                                secure=self.secure)
        return response

    async def _index(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get('Upgrade', '').lower() == 'websocket':
            return await self._websocket(request)
        if self.client_dir is None:
            return web.Response(
                status=404, content_type='text/html',
                text=f'<pre>{html.escape(self.missing_client)}</pre><p>On the robot itself, '
                     f'<a href="{self.client_url("localhost", HOSTED_CLIENT)}">the hosted '
                     'client</a> works meanwhile (it needs internet).</p>')
        if self._page is None:
            self._page = _with_reconnect((self.client_dir / 'index.html').read_text())
        return web.Response(text=self._page, content_type='text/html')

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=self.max_client_frame,
                                   heartbeat=self.heartbeat, compress=False)
        await ws.prepare(request)
        connection = Connection(ws, request, self.max_client_frame)
        connection.limit_send_buffer(self.send_buffer)
        self._connections.add(connection)
        peer = self._on_connect(connection)
        LOG.info('session %s connected from %s', connection.id, connection.remote)
        try:
            async for event in connection.events():
                self._on_event(peer, event)
        finally:
            self._connections.discard(connection)
            await self._on_disconnect(peer)
            LOG.info('session %s closed', connection.id)
        return ws

    async def _close_connections(self, _app: web.Application) -> None:
        """Say GOING_AWAY to every client; drop those that do not answer in time."""
        connections = list(self._connections)
        closing = [asyncio.ensure_future(connection.close(WSCloseCode.GOING_AWAY,
                                                          b'server shutdown'))
                   for connection in connections]
        if not closing:
            return
        await asyncio.wait(closing, timeout=CLOSE_TIMEOUT)
        for connection, task in zip(connections, closing):
            if not task.done():
                connection.abort()   # a client that stopped reading never answers
        await asyncio.gather(*closing, return_exceptions=True)


#: Runs before the client's own scripts. The vuer 0.1.6 client never reconnects after its
#: websocket closes (whatever ``reconnect`` says), so every tab went dead when the bridge
#: restarted. This watches the page's sockets to this server: when one closes, it waits
#: until the server answers again and reloads the page, unless the URL says reconnect=false.
RECONNECT_SCRIPT = """<script>
(() => {
  if (new URLSearchParams(location.search).get('reconnect') === 'false') return;
  const Native = window.WebSocket;
  let reloading = false;
  const comeBack = () => {
    if (reloading) return;
    reloading = true;
    const probe = () => fetch(location.href, {cache: 'no-store'})
      .then((reply) => (reply.ok ? location.reload() : setTimeout(probe, 1000)))
      .catch(() => setTimeout(probe, 1000));
    setTimeout(probe, 500);
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('close', comeBack);
    }
  };
})();
</script>"""


#: Runs before the client's own scripts. The client's Gamepad element (react-gamepads'
#: useGamepads) polls navigator.getGamepads() only where ``ongamepadconnected`` is not in
#: window, and relies on that event elsewhere, but removes its listener as soon as it adds
#: it: in Chromium and Firefox it never sent a GAMEPAD event (checked in Chromium with a
#: stand-in gamepad). Without the property the hook polls on every animation frame, and the
#: element sends the pad's state at the display's rate while the tab is visible.
GAMEPAD_POLL_SCRIPT = """<script>
delete window.ongamepadconnected;
delete Window.prototype.ongamepadconnected;
</script>"""


def _with_reconnect(page: str) -> str:
    """Return the client's index.html with RECONNECT_SCRIPT and GAMEPAD_POLL_SCRIPT first."""
    scripts = RECONNECT_SCRIPT + GAMEPAD_POLL_SCRIPT
    head = page.find('<head>')
    if head < 0:
        return scripts + page
    return page[:head + len('<head>')] + scripts + page[head + len('<head>'):]


def interface_addresses() -> list[str]:
    """
    Return this machine's IPv4 addresses, from its network interfaces (Linux), loopback last.

    Read from the interfaces, since on Debian and Ubuntu the host name resolves to
    127.0.1.1; nothing is sent anywhere. Elsewhere, the host name's address is the guess.
    """
    try:
        import fcntl
    except ImportError:  # not Linux: the host name is the best guess
        try:
            return [socket.gethostbyname(socket.gethostname())]
        except OSError:
            return []
    addresses = []
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                request = struct.pack('256s', name[:15].encode())
                reply = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
            except OSError:
                continue  # no IPv4 address on this interface
        addresses.append(socket.inet_ntoa(reply[20:24]))
    return sorted(addresses, key=lambda address: address.startswith('127.'))


def lan_address() -> Optional[str]:
    """Return this machine's LAN address, for URLs a headset can open (or None)."""
    return next((address for address in interface_addresses()
                 if not address.startswith('127.')), None)
