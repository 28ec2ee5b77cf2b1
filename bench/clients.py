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
Benchmark clients: the tests' WireClient, reading with counters instead of a log.

A benchmark client keeps running totals (updates per watched key, latencies from the
``t`` prop) rather than every frame, so long runs with many clients stay cheap for the
client process, which shares the machine with the server being measured.
"""

import asyncio
import importlib.util
import time
from typing import Any, AsyncIterator, Optional

import aiohttp
import harness
import msgpack


def _load_wire_client() -> type:
    """``test/wire_client.py``'s WireClient, imported by path (test/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        'wire_client', harness.REPO / 'test' / 'wire_client.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WireClient


WireClient = _load_wire_client()


async def binary_frames(wire: WireClient) -> AsyncIterator[tuple[int, bytes]]:
    """Yield every binary message the client receives, with its arrival (time.time_ns)."""
    async for message in wire.ws:
        if message.type == aiohttp.WSMsgType.BINARY:
            yield time.time_ns(), message.data


def _nodes(frame: dict) -> list:
    """Top-level nodes an UPSERT/ADD/SET frame carries."""
    if frame.get('etype') in ('UPSERT', 'ADD'):
        return frame['data']['nodes']
    if frame.get('etype') == 'SET':
        return frame['data'].get('children') or []
    return []


class CountingClient:
    """A connected client that counts the updates it receives and how late they are."""

    def __init__(self, url: str, prefix: str) -> None:
        self.wire = WireClient(url)
        #: only keys starting with this count as updates
        self.prefix = prefix
        self.updates = 0
        self.frames = 0
        self.latencies_us: list[int] = []
        self._reader: Optional[asyncio.Task] = None

    async def connect(self) -> 'CountingClient':
        """Connect, send INIT and start counting."""
        await self.wire.connect(init=True, read=False)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    def reset(self) -> None:
        """Start a new measurement window."""
        self.updates = 0
        self.frames = 0
        self.latencies_us = []

    @property
    def closed(self) -> bool:
        """Tell whether the server has closed the connection."""
        return self._reader is not None and self._reader.done()

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the server to end the session."""
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def _read(self) -> None:
        async for received_ns, data in binary_frames(self.wire):
            now_us = received_ns // 1000
            self.frames += 1
            for node in _nodes(msgpack.unpackb(data, raw=False)):
                if isinstance(node, dict) and str(node.get('key', '')).startswith(self.prefix):
                    self.updates += 1
                    if isinstance(node.get('t'), int):
                        self.latencies_us.append(now_us - node['t'])

    async def close(self) -> None:
        """Close the connection."""
        await self.wire.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


class SlowClient:
    """
    A client that reads one frame per ``period`` seconds, then drains on request.

    It keeps its view of the scene (key -> last node) as a browser tab would.
    """

    def __init__(self, url: str, period: float) -> None:
        self.wire = WireClient(url)
        self.period = period
        self.view: dict[str, dict] = {}
        self.frames = 0
        self.read_slowly = 0
        self.closed_at: Optional[float] = None
        self._task: Optional[asyncio.Task] = None
        self._t0 = 0.0

    async def connect(self) -> 'SlowClient':
        """Connect, send INIT and start reading slowly."""
        await self.wire.connect(init=True, read=False)
        self._t0 = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._read_slowly())
        return self

    async def _receive(self, timeout: Optional[float] = None) -> bool:
        """Read one message; False once the connection is closed."""
        message = await self.wire.ws.receive(timeout)
        if message.type == aiohttp.WSMsgType.BINARY:
            _apply(self.view, msgpack.unpackb(message.data, raw=False))
            self.frames += 1
            return True
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                            aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            self.closed_at = time.monotonic() - self._t0
            self.wire.close_code = self.wire.ws.close_code
            return False
        return True

    async def _read_slowly(self) -> None:
        while await self._receive():
            self.read_slowly += 1
            await asyncio.sleep(self.period)

    async def drain(self, last: dict[str, Any], timeout: float) -> dict:
        """
        Read as fast as possible until the view shows ``last`` (key -> seq) or time is up.

        Returns whether it got there, how long it took and how many keys were stale.
        """
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        start = time.monotonic()
        frames_before = self.frames
        stale = _stale_keys(self.view, last)
        while stale and self.closed_at is None and time.monotonic() - start < timeout:
            try:
                left = max(0.01, timeout - (time.monotonic() - start))
                if not await self._receive(timeout=left):
                    break
            except asyncio.TimeoutError:
                break
            stale = _stale_keys(self.view, last)
        return {
            'ends_on_latest': not stale,
            'stale_keys': len(stale),
            'drain_s': round(time.monotonic() - start, 3),
            'frames_read_slowly': self.read_slowly,
            'frames_drained': self.frames - frames_before,
            'closed_by_server_at_s': None if self.closed_at is None else round(self.closed_at, 2),
            'close_code': self.wire.close_code,
        }

    async def close(self) -> None:
        """Close the connection."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.wire.close()


def _apply(view: dict[str, dict], frame: dict) -> None:
    """Change a client's view (top-level key -> node) as the browser client would."""
    if frame.get('etype') == 'SET':
        view.clear()
    elif frame.get('etype') == 'REMOVE':
        for key in frame['data']['keys']:
            view.pop(key, None)
    for node in _nodes(frame):
        if isinstance(node, dict) and 'key' in node:
            view[node['key']] = node


def _stale_keys(view: dict[str, dict], last: dict[str, Any]) -> list[str]:
    """Keys whose node in ``view`` does not carry the server's last ``seq``."""
    return [key for key, seq in last.items() if (view.get(key) or {}).get('seq') != seq]


async def connect_all(clients: list) -> list:
    """Connect clients one after another (as tabs open), returning them."""
    for client in clients:
        await client.connect()
    return clients


async def close_all(clients: list) -> None:
    """Close every client, ignoring ones the server already closed."""
    await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
