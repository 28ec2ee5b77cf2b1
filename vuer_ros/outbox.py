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
What is waiting to be sent to one client, kept small and in order.

Live robot state is mostly the same keys updated again and again, so an upsert of a key
that is still waiting replaces the waiting one in place: the client gets the newest
state, at the position of the first, so nodes attached to it since still find their
parent. Adds, removes, sets and updates are kept in order and never dropped; they end
coalescing for the keys they touch. When the bytes waiting pass the limit, everything
waiting is dropped at once and the client is brought back in sync from the server's
scene instead, so a client that falls behind costs bounded memory and is never left
silently diverged.

A shared-scene edit reaches every client: it comes as one :class:`UpsertBatch`, framed
once for all of them. A client with nothing waiting queues the batch as it is, so an edit
costs each client the same whatever its number of keys; only when something else arrives
before it is sent is the batch opened into per-key upserts, and coalesced as above.
"""

import asyncio
from functools import cached_property
from typing import Iterable, Iterator, Optional, Sequence, Union

from vuer_ros import wire

#: A merged UPSERT frame is cut at about this size, so one huge batch does not become a
#: frame the client must parse in one go.
MAX_MERGED_FRAME = 4 * 1024 * 1024


class _Upsert:
    """One waiting upsert; replaced in place while it waits."""

    __slots__ = ('to', 'key', 'packed', 'nested')

    def __init__(self, to: Optional[str], key: str, packed: bytes, nested: tuple) -> None:
        self.to = to
        self.key = key
        self.packed = packed
        self.nested = nested


class UpsertBatch:
    """
    Packed upserts under one parent, shared by every client that shows them.

    :param upserts: (key, packed node, keys nested in it) for each node.
    """

    def __init__(self, to: Optional[str], upserts: Sequence[tuple[str, bytes, tuple]]) -> None:
        self.to = to
        self.upserts = upserts
        self.size = sum(len(packed) for _key, packed, _nested in upserts)

    @cached_property
    def frame(self) -> bytes:
        """Return the batch's UPSERT frame, built once for all the clients it goes to."""
        return wire.nodes_frame('UPSERT', [packed for _key, packed, _nested in self.upserts],
                                self.to)


class Outbox:
    """Frames waiting for one client, with per-key coalescing and a byte bound."""

    def __init__(self, byte_limit: int) -> None:
        if byte_limit <= 0:
            raise ValueError(f'byte_limit must be positive, got {byte_limit}')
        self.byte_limit = byte_limit
        self._items: list[Union[_Upsert, bytes, UpsertBatch]] = []
        self._waiting: dict[str, _Upsert] = {}
        #: keys nested inside a waiting upsert -> that upsert
        self._nested_in: dict[str, _Upsert] = {}
        self.pending_bytes = 0
        self.needs_resync = False
        self.coalesced = 0
        self.resyncs = 0
        #: The sender waiting for something to send (a bare future: cheaper than an Event,
        #: and set once per edit for every client)
        self._waiter: Optional[asyncio.Future] = None

    def __len__(self) -> int:
        return len(self._items)

    def batch(self, batch: UpsertBatch) -> None:
        """Queue a shared batch of upserts: whole when nothing waits, else key by key."""
        if self.needs_resync:
            return
        if self._items or batch.size > MAX_MERGED_FRAME:
            for key, packed, nested in batch.upserts:
                self.upsert(key, batch.to, packed, nested)
            return
        self._items.append(batch)
        self.pending_bytes += batch.size
        self._after_enqueue()

    def _open_batch(self) -> None:
        """Turn a waiting batch into per-key upserts, so newer ones can replace them."""
        batch = self._items.pop()
        self.pending_bytes -= batch.size
        for key, packed, nested in batch.upserts:
            waiting = _Upsert(batch.to, key, packed, nested)
            self._items.append(waiting)
            self._waiting[key] = waiting
            self._index_nested(waiting)
            self.pending_bytes += len(packed)

    def upsert(self, key: str, to: Optional[str], packed: bytes, nested: tuple = ()) -> None:
        """Queue an upsert of one packed node; ``nested`` are the keys of its children."""
        if self.needs_resync:
            return
        if self._items and isinstance(self._items[-1], UpsertBatch):
            self._open_batch()
        if key in self._nested_in:
            # The key also lives inside a waiting node: that node must not be refreshed
            # in place any more, or it would overwrite this newer state when sent.
            self._stop_coalescing(self._nested_in.pop(key).key)
        waiting = self._waiting.get(key)
        if waiting is not None and waiting.to == to:
            self.pending_bytes += len(packed) - len(waiting.packed)
            waiting.packed = packed
            for old in waiting.nested:
                self._nested_in.pop(old, None)
            waiting.nested = nested
            self._index_nested(waiting)
            self.coalesced += 1
        else:
            waiting = _Upsert(to, key, packed, nested)
            self._items.append(waiting)
            self._waiting[key] = waiting
            self._index_nested(waiting)
            self.pending_bytes += len(packed)
        self._after_enqueue()

    def frame(self, frame: bytes, keys: Optional[Iterable[str]]) -> None:
        """Queue a frame that is never dropped; it ends coalescing for ``keys`` (None: all)."""
        if self.needs_resync:
            return
        if self._items and isinstance(self._items[-1], UpsertBatch):
            self._open_batch()   # its keys coalesce with later upserts, as queued ones do
        self._items.append(frame)
        self.pending_bytes += len(frame)
        if keys is None:
            self._waiting.clear()
            self._nested_in.clear()
        else:
            for key in keys:
                self._stop_coalescing(key)
        self._after_enqueue()

    def request_resync(self) -> None:
        """Drop what waits; the sender will send the whole scene instead."""
        self._items.clear()
        self._waiting.clear()
        self._nested_in.clear()
        self.pending_bytes = 0
        self.needs_resync = True
        self.resyncs += 1
        self._wake()

    async def wait(self) -> None:
        """Return once there is something to send."""
        if not self._items and not self.needs_resync:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self) -> list[bytes]:
        """Everything waiting, as frames: runs of upserts under one parent are merged."""
        items = self._items
        self._items = []
        self._waiting.clear()
        self._nested_in.clear()
        self.pending_bytes = 0
        return list(_frames(items))

    def _stop_coalescing(self, key: str) -> None:
        waiting = self._waiting.pop(key, None)
        if waiting is not None:
            for nested in waiting.nested:
                self._nested_in.pop(nested, None)

    def _index_nested(self, waiting: _Upsert) -> None:
        for nested in waiting.nested:
            self._nested_in[nested] = waiting

    def _after_enqueue(self) -> None:
        if self.pending_bytes > self.byte_limit:
            self.request_resync()
        else:
            self._wake()


def _frames(items: list) -> Iterator[bytes]:
    if len(items) == 1 and isinstance(items[0], UpsertBatch):
        yield items[0].frame   # a batch waits only alone: else it was opened
        return
    run: list[bytes] = []
    run_to: Optional[str] = None
    run_bytes = 0
    for item in items:
        if isinstance(item, _Upsert) and (not run or item.to == run_to) and (
                run_bytes + len(item.packed) <= MAX_MERGED_FRAME or not run):
            run.append(item.packed)
            run_to = item.to
            run_bytes += len(item.packed)
            continue
        if run:
            yield wire.nodes_frame('UPSERT', run, run_to)
            run, run_bytes = [], 0
        if isinstance(item, _Upsert):
            run, run_to, run_bytes = [item.packed], item.to, len(item.packed)
        else:
            yield item
    if run:
        yield wire.nodes_frame('UPSERT', run, run_to)
