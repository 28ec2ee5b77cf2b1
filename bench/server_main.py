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
The server side of a benchmark, run in its own process: ``vuer_ros`` or ``vuer``.

Both servers run the same workload code with only the imports changed, the way the seed
example is meant to run on either, and both start with ``@app.spawn(start=True)``.

Workloads:
  idle       every session waits in ``session.forever()``
  seed       the seed example's per-session loop (upsert 'animated-box' every 50 ms)
  broadcast  a server task upserts ``--keys`` boxes ``--rate`` times a second for
             ``--duration`` seconds once ``--clients`` sessions have sent INIT. On
             ``vuer_ros`` this is the app-level shared scene (``app.upsert @ boxes``); the
             reference has none, so there it is what a ``vuer`` user writes instead: the
             same upsert on every session.
When a workload is done it writes ``--state-out``: the last value of every key and, for
``vuer_ros``, its per-client queue counters.
"""

import argparse
import asyncio
import json
import os
import time
from typing import Any, Callable

import numpy as np


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--impl', choices=('vuer_ros', 'vuer'), required=True)
    parser.add_argument('--workload', choices=('idle', 'seed', 'broadcast'), required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--state-out', required=True)
    parser.add_argument('--iterations', type=int, default=200)
    parser.add_argument('--clients', type=int, default=1)
    parser.add_argument('--keys', type=int, default=20)
    parser.add_argument('--rate', type=float, default=60.0)
    parser.add_argument('--duration', type=float, default=10.0)
    return parser.parse_args()


def _write_state(path: str, state: dict) -> None:
    """Write atomically, so the runner never reads half a file."""
    with open(path + '.tmp', 'w') as out:
        json.dump(state, out)
    os.replace(path + '.tmp', path)


def seed_handler(box: Callable, iterations: int) -> Callable:
    """Build the seed example's session handler, looping ``iterations`` times."""
    async def background_task(session: Any) -> None:
        count = 0
        while True:
            print(f'Background task running: {count}', flush=True)
            count += 1
            await asyncio.sleep(1.0)

    async def main(session: Any) -> None:
        task = session.spawn_task(background_task(session))
        for i in range(iterations):
            theta = i * 0.1
            x = 0.5 * np.cos(theta)
            z = 0.5 * np.sin(theta)
            session.upsert @ box(
                args=[0.1, 0.1, 0.1],
                position=[x, 0.05, z],
                color='red',
                materialType='standard',
                key='animated-box',
            )
            await asyncio.sleep(0.05)
        task.cancel()

    return main


async def idle_handler(session: Any) -> None:
    """Stay connected and do nothing."""
    await session.forever()


class Broadcast:
    """
    Upserts ``keys`` boxes at ``rate`` Hz to every client, from one server-side task.

    Each box carries ``seq`` (the tick number) and ``t``: the upsert time in integer
    microseconds of ``time.time()``. Floats travel as float32 on the Vuer wire, which
    would round a UNIX time to 128 s, so the timestamp is an integer.
    """

    def __init__(self, args: argparse.Namespace, app: Any, box: Callable) -> None:
        self.args = args
        self.app = app
        self.box = box
        self.sessions: list = []
        self.last: dict[str, int] = {}
        #: session index -> seconds into the broadcast when it was seen closed
        self.closed_at: dict[int, float] = {}
        self._task = None

    async def handler(self, session: Any) -> None:
        """Register the session; the last expected one starts the broadcast."""
        self.sessions.append(session)
        if len(self.sessions) >= self.args.clients and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        await session.forever()

    def _publish(self, boxes: list) -> None:
        if self.args.impl == 'vuer_ros':
            self.app.upsert @ boxes
        else:
            for session in self.sessions:
                session.upsert @ boxes

    async def _run(self) -> None:
        args = self.args
        keys = [f'k{index}' for index in range(args.keys)]
        start = time.monotonic()
        tick = 0
        while time.monotonic() - start < args.duration:
            t_us = time.time_ns() // 1000
            angle = tick * 0.05
            self._publish([
                self.box(key=key, args=[0.1, 0.1, 0.1],
                         position=[np.cos(angle + index), 0.05 * index, np.sin(angle + index)],
                         t=t_us, seq=tick)
                for index, key in enumerate(keys)])
            self.last = dict.fromkeys(keys, tick)
            self._note_closed(time.monotonic() - start)
            tick += 1
            await asyncio.sleep(max(0.0, start + tick / args.rate - time.monotonic()))
        _write_state(args.state_out, {'last': self.last, 'ticks': tick,
                                      'queues': self._queue_stats()})

    def _is_closed(self, session: Any) -> bool:
        if self.args.impl == 'vuer_ros':
            return session.closed
        return session.CURRENT_WS_ID not in self.app.ws

    def _note_closed(self, elapsed: float) -> None:
        """Record when a session ended mid-broadcast (a slow client may be dropped)."""
        for index, session in enumerate(self.sessions):
            if index not in self.closed_at and self._is_closed(session):
                self.closed_at[index] = round(elapsed, 2)

    def _queue_stats(self) -> list[dict]:
        stats = []
        for index, session in enumerate(self.sessions):
            if self.args.impl == 'vuer_ros':
                outbox = session.outbox
                queue = {'queued': len(outbox), 'pending_bytes': outbox.pending_bytes,
                         'coalesced': outbox.coalesced, 'resyncs': outbox.resyncs}
            else:
                queue = {'queued': len(session.uplink_queue)}
            stats.append({**queue, 'closed_at_s': self.closed_at.get(index)})
        return stats


def main() -> None:
    """Build the app for ``--impl`` and serve ``--workload`` until SIGTERM."""
    args = _parse()
    if args.impl == 'vuer_ros':
        from vuer_ros import Vuer
        from vuer_ros.schemas import Box
    else:
        from vuer import Vuer
        from vuer.schemas import Box
    app = Vuer(host='127.0.0.1', port=args.port)
    if args.workload == 'idle':
        handler = idle_handler
    elif args.workload == 'seed':
        handler = seed_handler(Box, args.iterations)
    else:
        handler = Broadcast(args, app, Box).handler
    app.spawn(start=True)(handler)


if __name__ == '__main__':
    main()
