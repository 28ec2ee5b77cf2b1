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
Clients that come and go for days: tabs closed, headsets asleep, Wi-Fi dropped.

A thousand connections open and end, politely (websocket close), by a TCP reset (the
peer vanished) and by a bare TCP close (a killed browser), at every stage: before INIT,
after it, while the scene is still on its way. Afterwards the process must hold what it
held before: no task, no session, no file descriptor, no memory left behind, and a tab
that went away must not read as a fault in the log.
"""

import asyncio
import gc
import logging
import tracemalloc

import aiohttp
import msgpack
import pytest
from robust_support import client_frame, open_fds, RawPeer, record, rss_bytes, scaled

from vuer_ros.schemas import Box

pytestmark = pytest.mark.robustness

CYCLES = scaled(1000, 20_000)
#: Connections open at once.
BATCH = 10
WARM_UP = 50
INIT = msgpack.packb({'etype': 'INIT', 'ts': 0.0, 'value': {'client': 'churn'}},
                     use_bin_type=True)
#: Memory one cycle may leave (tracemalloc): far below what one session holds.
BYTES_PER_CYCLE = 256


async def settled(app, timeout: float = 20.0) -> None:
    """Wait until every session has ended and its tasks are gone."""
    for _ in range(int(timeout / 0.02)):
        if not app.sessions:
            break
        await asyncio.sleep(0.02)
    assert not app.sessions, f'{len(app.sessions)} sessions left'
    await asyncio.sleep(0.2)    # closing callbacks and transports
    gc.collect()


def figures(app) -> dict:
    """Measure what a leak would show in: tasks, sessions, descriptors and memory."""
    return {'tasks': len(asyncio.all_tasks()), 'sessions': len(app.sessions),
            'open_fds': open_fds(), 'traced_bytes': tracemalloc.get_traced_memory()[0],
            'rss_bytes': rss_bytes()}


async def test_connect_disconnect_cycles_leave_nothing_behind(loopback_app, caplog):
    app = loopback_app
    caplog.set_level(logging.WARNING)

    @app.spawn
    async def main(session) -> None:
        session.spawn_task(asyncio.sleep(3600), name='cancelled with its session')
        session.upsert @ Box(key='own', position=[0, 1, 0])
        await session.forever()

    await app.start_server()
    # Larger than the kernel's buffers: some clients leave while it is still being sent.
    for index in range(100):
        app.upsert @ Box(key=f'box-{index}', name='x' * 5000)
    url = f'ws://127.0.0.1:{app.port}/'
    endings = ('clean', 'reset before INIT', 'reset after INIT', 'reset while receiving',
               'tcp close while receiving')

    async with aiohttp.ClientSession() as http:
        async def clean() -> None:
            async with http.ws_connect(url, max_msg_size=0) as ws:
                await ws.send_bytes(INIT)
                await ws.receive()

        async def abrupt(stage: int) -> None:
            peer = await RawPeer.connect(app.port)
            if stage >= 2:
                await peer.send(client_frame(INIT))
            if stage >= 3:
                await peer.read_frame()
            if stage == 4:
                await peer.close()
            else:
                peer.reset()

        async def cycle(index: int) -> None:
            stage = index % len(endings)
            await (clean() if stage == 0 else abrupt(stage))

        async def run(cycles: int) -> None:
            for start in range(0, cycles, BATCH):
                await asyncio.gather(*(cycle(start + i) for i in range(BATCH)))

        await run(WARM_UP)
        await settled(app)
        tracemalloc.start()
        try:
            before = figures(app)
            await run(CYCLES)
            await settled(app)
            after = figures(app)
        finally:
            tracemalloc.stop()
    warnings = [r.getMessage() for r in caplog.records]
    grown = {name: after[name] - before[name] for name in before}
    record('connection_churn', cycles=CYCLES, endings=list(endings), concurrent=BATCH,
           before=before, after=after, growth=grown, warning_lines=len(warnings))
    assert grown['tasks'] == 0 and after['sessions'] == 0, grown
    assert grown['open_fds'] <= 0, grown
    assert grown['traced_bytes'] < BYTES_PER_CYCLE * CYCLES, grown
    assert warnings == [], f'{len(warnings)} warnings for clients that left, e.g. {warnings[:3]}'
