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
Vuer wire events: msgpack maps, one per binary websocket message.

Server events are ``{'etype', 'ts' (int ms), 'data'}``; client events are
``{'etype', 'ts' (float s), 'value', 'key'}``. Nodes are packed once and the packed bytes
are spliced into every frame that carries them, so a broadcast to many clients (or a
node waiting in a queue) is never packed twice.
"""

from dataclasses import dataclass, field
import math
import time
from typing import Any, Iterable, Optional

import msgpack

#: Packing options of the reference server (floats travel as float32).
PACK_OPTIONS = {'use_bin_type': True, 'use_single_float': True}

#: Client frames larger than this are refused (the browser sends small events; a
#: WebXR mesh upload is the largest legitimate one).
DEFAULT_MAX_CLIENT_FRAME = 16 * 1024 * 1024


class ProtocolError(ValueError):
    """A client frame that does not follow the Vuer protocol."""


def now_ms() -> int:
    """Server timestamps are integer milliseconds, as the client expects."""
    return int(time.time() * 1000)


def pack(value: Any) -> bytes:
    """Pack one value with the reference server's options."""
    return msgpack.packb(value, **PACK_OPTIONS)


def _map_header(size: int) -> bytes:
    return msgpack.Packer(**PACK_OPTIONS).pack_map_header(size)


def _array_header(size: int) -> bytes:
    return msgpack.Packer(**PACK_OPTIONS).pack_array_header(size)


_K_ETYPE = pack('etype')
_K_TS = pack('ts')
_K_DATA = pack('data')
_K_NODES = pack('nodes')
_K_TO = pack('to')
_K_STRICT = pack('strict')
_FALSE = pack(False)


def _head(etype: str, extra_fields: int = 0) -> bytes:
    """Open an event map: etype, ts and the 'data' key; the caller appends the value."""
    return b''.join((
        _map_header(3 + extra_fields), _K_ETYPE, pack(etype), _K_TS, pack(now_ms()), _K_DATA,
    ))


def nodes_frame(etype: str, packed_nodes: Iterable[bytes], to: Optional[str]) -> bytes:
    """UPSERT or ADD of already packed nodes under parent ``to`` (None: the scene root)."""
    packed_nodes = list(packed_nodes)
    return b''.join((
        _head(etype), _map_header(2), _K_NODES, _array_header(len(packed_nodes)),
        *packed_nodes, _K_TO, pack(to),
    ))


def update_frame(packed_nodes: Iterable[bytes]) -> bytes:
    """UPDATE: patch nodes that exist, by key."""
    packed_nodes = list(packed_nodes)
    return b''.join((
        _head('UPDATE', 1), _map_header(1), _K_NODES, _array_header(len(packed_nodes)),
        *packed_nodes, _K_STRICT, _FALSE,
    ))


def remove_frame(keys: Iterable[str]) -> bytes:
    """REMOVE nodes (and their subtrees) by key."""
    return _head('REMOVE') + pack({'keys': list(keys)})


def set_frame(scene: dict) -> bytes:
    """SET the whole scene."""
    return _head('SET') + pack(scene)


def event_frame(etype: str, data: Any) -> bytes:
    """Any other server event, such as an RPC request."""
    return _head(etype) + pack(data)


@dataclass
class ClientEvent:
    """An event from a client: ``etype``, ``value``, ``key`` and the client's timestamp."""

    etype: str
    value: Any = None
    key: Optional[str] = None
    ts: float = 0.0
    extra: dict = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Compare with an etype string as the reference does (``event == 'INIT'``)."""
        if isinstance(other, str):
            return self.etype == other
        if isinstance(other, ClientEvent):
            return (self.etype, self.value, self.key, self.ts) == (
                other.etype, other.value, other.key, other.ts)
        return NotImplemented

    __hash__ = None  # mutable, compared by value


def decode_client_frame(data: Any, max_size: int = DEFAULT_MAX_CLIENT_FRAME) -> ClientEvent:
    """Check and decode one client frame; raise :class:`ProtocolError` saying what is wrong."""
    if isinstance(data, str):
        raise ProtocolError('text frame; the Vuer protocol sends binary msgpack frames')
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtocolError(f'unexpected frame payload of type {type(data).__name__}')
    if len(data) > max_size:
        raise ProtocolError(f'frame of {len(data)} bytes exceeds the limit of {max_size}')
    try:
        payload = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as error:  # msgpack raises several unrelated types for bad input
        raise ProtocolError(f'not valid msgpack: {error}') from None
    if not isinstance(payload, dict):
        raise ProtocolError(f'frame is a {type(payload).__name__}, not a map')
    etype = payload.pop('etype', None)
    if not isinstance(etype, str) or not etype:
        raise ProtocolError(f'missing or non-string etype: {etype!r}')
    ts = payload.pop('ts', 0.0)
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
        raise ProtocolError(f'{etype}: timestamp is not a finite number: {ts!r}')
    key = payload.pop('key', None)
    if key is not None and not isinstance(key, str):
        raise ProtocolError(f'{etype}: key is not a string: {key!r}')
    value = payload.pop('value', None)
    return ClientEvent(etype=etype, value=value, key=key, ts=float(ts), extra=payload)
