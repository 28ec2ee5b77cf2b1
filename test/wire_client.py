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

"""A small websocket peer that speaks the Vuer protocol, for tests and benchmarks."""

import asyncio
import time
from typing import Any, Callable, Optional, Sequence

import aiohttp
import msgpack

INIT_VALUE = {'client': 'test', 'pkg': 'vuer_ros-tests', 'userAgent': 'pytest'}


class WireClient:
    """Connects like a browser tab, sends events and records every frame it receives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.frames: list[dict] = []
        self.received_at: list[float] = []
        self._http: Optional[aiohttp.ClientSession] = None
        self.ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self._reader: Optional[asyncio.Task] = None
        self._changed = asyncio.Event()
        self.close_code: Optional[int] = None

    async def connect(self, init: bool = True, read: bool = True) -> 'WireClient':
        """Open the websocket, optionally send INIT and start reading in the background."""
        self._http = aiohttp.ClientSession()
        self.ws = await self._http.ws_connect(self.url, max_msg_size=0)
        if init:
            await self.send('INIT', INIT_VALUE)
        if read:
            self.start_reading()
        return self

    def start_reading(self) -> None:
        """Read frames in the background (a stalled client calls this late or never)."""
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def send(self, etype: str, value: Any = None, key: Optional[str] = None) -> None:
        """Send one client event as the browser does (ts in seconds)."""
        await self.ws.send_bytes(msgpack.packb(
            {'etype': etype, 'ts': time.time(), 'value': value, 'key': key},
            use_bin_type=True))

    async def send_raw(self, data: Any) -> None:
        """Send bytes or text as they are, for malformed-input tests."""
        if isinstance(data, str):
            await self.ws.send_str(data)
        else:
            await self.ws.send_bytes(data)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.frames.append(msgpack.unpackb(message.data, raw=False))
                self.received_at.append(time.perf_counter())
                self._changed.set()
        self.close_code = self.ws.close_code
        self._changed.set()

    async def wait_for(self, predicate: Callable[[list[dict]], Any],
                       timeout: float = 5.0) -> Any:
        """Wait until ``predicate(frames)`` is truthy and return its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = predicate(self.frames)
            if result:
                return result
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f'condition not met; last frames: {self.frames[-3:]}')
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_at(self, key: str, xyz: Sequence[float], timeout: float = 5.0,
                      tolerance: float = 1e-5) -> dict:
        """Wait until node ``key`` is at ``xyz`` (its ``position``) and return the node."""
        want = [float(value) for value in xyz]

        def there(frames: list[dict]) -> Optional[dict]:
            node = self.upserted().get(key)
            position = node.get('position') if node else None
            if position is not None and len(position) == len(want) and all(
                    abs(have - wanted) <= tolerance for have, wanted in zip(position, want)):
                return node
            return None

        try:
            return await self.wait_for(there, timeout)
        except TimeoutError:
            node = self.upserted().get(key)
            raise AssertionError(f'{key} is not at {want}: '
                                 f"{node.get('position') if node else 'not drawn'}") from None

    async def wait_closed(self, timeout: float = 5.0) -> Optional[int]:
        """Wait for the server to close the connection and return the close code."""
        await asyncio.wait_for(self._reader, timeout)
        return self.close_code

    def upserted(self) -> dict[str, dict]:
        """
        Return the last node received per key through UPSERT, ADD or SET (a client's view).

        A REMOVE drops the key with everything nested in it or attached below it, as the
        browser client does.
        """
        return self._view()[0]

    def parents(self) -> dict[str, object]:
        """Return the parent key of every node in the client's view (None: the root)."""
        return self._view()[1]

    def _view(self) -> tuple[dict[str, dict], dict[str, object]]:
        view: dict[str, dict] = {}
        parent: dict[str, object] = {}
        for frame in self.frames:
            data = frame['data']
            if frame['etype'] == 'SET':
                view.clear()
                parent.clear()
                _collect(data.get('children', []), None, view, parent)
            elif frame['etype'] in ('UPSERT', 'ADD'):
                _collect(data['nodes'], data.get('to'), view, parent)
            elif frame['etype'] == 'REMOVE':
                doomed = set(data['keys'])
                grew = True
                while grew:
                    more = {key for key, up in parent.items() if up in doomed} - doomed
                    grew = bool(more)
                    doomed |= more
                for key in doomed:
                    view.pop(key, None)
                    parent.pop(key, None)
        return view, parent

    async def close(self) -> None:
        """Close the connection and the HTTP session."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._http is not None:
            await self._http.close()


def _collect(nodes: list, to: object, view: dict, parent: dict) -> None:
    for node in nodes:
        if isinstance(node, dict) and 'key' in node:
            key = node['key']
            # The client merges an upsert into the node it already holds.
            view[key] = {**view.get(key, {}), **node}
            parent.setdefault(key, to)
            _collect(node.get('children') or [], key, view, parent)
