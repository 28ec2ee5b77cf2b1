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
What the robustness tests share: how long they run, what they measure, where figures go.

CI runs the short settings; ``VUER_ROS_ROBUSTNESS=long`` (``scripts/robustness.sh
--long``) runs the same tests with the long ones. Every test writes its figures to
``test-artifacts/robustness.json`` (one section per ROS distribution), so they can be read
without ``-s``. :class:`RawPeer` is a websocket client written byte by byte, for what a
well-behaved client library refuses to do: malformed frames and TCP resets.
"""

import asyncio
import base64
import fcntl
import importlib.metadata
import json
import os
from pathlib import Path
import socket
import struct
import sys
from typing import Any, Awaitable, Callable, Optional

from hypothesis import given, HealthCheck, settings, strategies as st

#: The long settings (scripts/robustness.sh --long), or the CI ones.
LONG = os.environ.get('VUER_ROS_ROBUSTNESS', '') == 'long'
ARTIFACT = Path(__file__).resolve().parents[2] / 'test-artifacts' / 'robustness.json'


def scaled(ci: Any, long: Any) -> Any:
    """Return the CI setting, or the long one under VUER_ROS_ROBUSTNESS=long."""
    return long if LONG else ci


def fuzz_settings(examples: int, long_examples: int) -> settings:
    """
    Hypothesis settings: a fixed seed in CI (the same cases every run), random when long.

    Nothing is stored in a database: a failure prints its shrunk example instead.
    """
    return settings(max_examples=scaled(examples, long_examples), deadline=None,
                    database=None, derandomize=not LONG, print_blob=True,
                    suppress_health_check=list(HealthCheck))


async def run_examples(strategy: st.SearchStrategy, check: Callable[[Any], Awaitable[None]],
                       examples: int, long_examples: int) -> None:
    """
    Run ``await check(example)`` on the running loop for each example of ``strategy``.

    Hypothesis drives from a worker thread, so the loop (and the server on it) runs on
    while it generates and shrinks; a failing check fails with its shrunk example.
    """
    loop = asyncio.get_running_loop()

    @fuzz_settings(examples, long_examples)
    @given(strategy)
    def each(example: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(example), loop).result(timeout=60)

    await asyncio.to_thread(each)


def open_fds() -> int:
    """Return how many file descriptors this process holds open."""
    return len(os.listdir('/proc/self/fd'))


def rss_bytes() -> int:
    """Return this process's resident memory."""
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _environment() -> str:
    """Name the section of the figures: the ROS distribution, or rclpy's version."""
    try:
        rclpy = f'rclpy {importlib.metadata.version("rclpy")}'
    except importlib.metadata.PackageNotFoundError:
        rclpy = 'no rclpy'
    distro = os.environ.get('ROS_DISTRO')
    return f'{distro} ({rclpy})' if distro else rclpy


def record(test: str, **figures: Any) -> None:
    """
    Merge one test's figures into test-artifacts/robustness.json.

    Runs on several distributions may write at once: the file is locked while it is
    read and rewritten.
    """
    ARTIFACT.parent.mkdir(exist_ok=True)
    with open(ARTIFACT.with_suffix('.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            summary = json.loads(ARTIFACT.read_text())
        except (OSError, ValueError):
            summary = {}
        section = summary.setdefault(_environment(), {})
        section[test] = {'settings': 'long' if LONG else 'ci', **figures}
        section[test]['python'] = sys.version.split()[0]
        ARTIFACT.write_text(json.dumps(summary, indent=2, sort_keys=True) + '\n')


# -- a websocket peer written by hand ----------------------------------------------------

OP_TEXT, OP_BINARY, OP_CLOSE = 0x1, 0x2, 0x8


def client_frame(payload: bytes, opcode: int = OP_BINARY, fin: bool = True,
                 mask: bytes = b'\x01\x02\x03\x04') -> bytes:
    """Frame ``payload`` as a browser does (masked), with any opcode and FIN bit."""
    size = len(payload)
    if size < 126:
        length = struct.pack('!B', 0x80 | size)
    elif size < 1 << 16:
        length = struct.pack('!BH', 0x80 | 126, size)
    else:
        length = struct.pack('!BQ', 0x80 | 127, size)
    key = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, 'big') ^ int.from_bytes(key, 'big')).to_bytes(size, 'big')
    return struct.pack('!B', (0x80 if fin else 0) | opcode) + length + mask + masked


class RawPeer:
    """One websocket connection over a plain TCP stream, driven byte by byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> 'RawPeer':
        """Connect to 127.0.0.1:``port`` and complete the websocket handshake."""
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(f'GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n'
                     f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n'
                     'Sec-WebSocket-Version: 13\r\n\r\n'.encode())
        head = await reader.readuntil(b'\r\n\r\n')
        if not head.startswith(b'HTTP/1.1 101'):
            writer.close()
            raise ConnectionError(f'no websocket upgrade: {head[:60]!r}')
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        """Send raw bytes (frames from :func:`client_frame`, or anything else)."""
        self.writer.write(data)
        await self.writer.drain()

    async def read_frame(self) -> Optional[tuple[int, bytes]]:
        """Return the server's next (opcode, payload), or None once the stream ends."""
        try:
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack('!H', await self.reader.readexactly(2))[0]
            elif size == 127:
                size = struct.unpack('!Q', await self.reader.readexactly(8))[0]
            return first & 0x0F, await self.reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def close_code(self, timeout: float = 10.0) -> Optional[int]:
        """Read until the server's close frame; return its code (None: no close frame)."""
        async def until_close() -> Optional[int]:
            while (frame := await self.read_frame()) is not None:
                opcode, payload = frame
                if opcode == OP_CLOSE:
                    return struct.unpack('!H', payload[:2])[0] if len(payload) >= 2 else None
            return None
        return await asyncio.wait_for(until_close(), timeout)

    def reset(self) -> None:
        """Drop the connection with a TCP reset, as a vanished peer does (SO_LINGER 0)."""
        sock = self.writer.get_extra_info('socket')
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.writer.transport.abort()

    async def close(self) -> None:
        """Close the TCP stream (no websocket close handshake)."""
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
