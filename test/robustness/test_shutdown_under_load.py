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
Ctrl-C and SIGTERM (``ros2 launch``, systemd) while the bridge is busy.

The bridge runs as a process of its own with marker arrays streaming in and viewers
connected (one of them, in one case, no longer reading, as a headset asleep). It must be
gone within 2 s of the signal, exit 0, print no traceback, and leave no thread running:
a report that each process prints at exit (a ``sitecustomize`` put on its path) lists the
threads still alive once the interpreter has joined the others.
"""

import asyncio
import math
import os
from pathlib import Path
import signal
import time

from conftest import require_ros
import pytest
from robust_support import record

rclpy = require_ros()

from rclpy.node import Node  # noqa: E402,I100
from test_bridge_node import start_bridge  # noqa: E402
from visualization_msgs.msg import MarkerArray  # noqa: E402

from vuer_ros import testing  # noqa: E402
from vuer_ros.convert import markers as mk  # noqa: E402
from wire_client import WireClient  # noqa: E402

pytestmark = [pytest.mark.robustness, pytest.mark.ros]

THREAD_REPORT = """import atexit, sys, threading


def _report():
    alive = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    print(f'threads alive at exit: {alive}', file=sys.stderr, flush=True)


atexit.register(_report)
"""
MARKERS = 100
RATE = 50.0
READING_CLIENTS = 4
#: Seconds of streaming before the signal: enough for a client that does not read to
#: fill its socket buffers.
STREAMING = 3.0
DEADLINE = 2.0


def marker_array(step: int) -> MarkerArray:
    """MARKERS markers of every type, turned by ``step``."""
    kinds = sorted(set(mk.TYPE_NAMES) - {mk.MESH_RESOURCE})
    return MarkerArray(markers=[testing.marker(
        kinds[index % len(kinds)], marker_id=index, text='load',
        position=(math.cos(step * 0.05 + index), math.sin(step * 0.05 + index), 0.0),
        points=[(0.0, 0.0, 0.0), (0.1, 0.0, 0.0), (0.0, 0.1, 0.0)] * 2)
        for index in range(MARKERS)])


@pytest.mark.parametrize('signum, stalled', [
    (signal.SIGINT, False),
    (signal.SIGTERM, False),
    (signal.SIGTERM, True),
], ids=['SIGINT', 'SIGTERM', 'SIGTERM with a client not reading'])
async def test_a_signal_under_load_stops_the_bridge_within_2_s(
        signum: int, stalled: bool, ros_context: object, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / 'sitecustomize.py').write_text(THREAD_REPORT)
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(
        filter(None, [str(tmp_path), os.environ.get('PYTHONPATH')])))
    process, port = start_bridge('main', '-p', 'max_rate:=0.0')
    node = Node('marker_load', context=ros_context)
    publisher = node.create_publisher(MarkerArray, '/visualization_marker_array', 10)
    url = f'ws://127.0.0.1:{port}/'
    clients = [await WireClient(url).connect() for _ in range(READING_CLIENTS)]
    if stalled:
        clients.append(await WireClient(url).connect(read=False))
    arrays = [marker_array(step) for step in range(10)]
    steps = 0

    async def stream() -> None:
        nonlocal steps
        while True:
            publisher.publish(arrays[steps % len(arrays)])
            steps += 1
            await asyncio.sleep(1.0 / RATE)

    streaming = asyncio.get_running_loop().create_task(stream())
    try:
        await clients[0].wait_for(lambda frames: sum(
            key.startswith('marker:') for key in clients[0].upserted()) >= MARKERS, 20)
        await asyncio.sleep(STREAMING)
        received = sum(len(client.frames) for client in clients)
        signalled = time.monotonic()
        process.send_signal(signum)
        try:
            await asyncio.to_thread(process.wait, DEADLINE + 3)
        except Exception:
            process.kill()
            process.wait()
        elapsed = time.monotonic() - signalled
    finally:
        streaming.cancel()
        for client in clients:
            await client.close()
        node.destroy_node()
    log = process.stderr.read()
    threads = next((line for line in log.splitlines()
                    if line.startswith('threads alive at exit:')), 'no report: killed')
    record(f'shutdown_under_load:{signal.Signals(signum).name}' + (':stalled' * stalled),
           seconds_to_exit=round(elapsed, 2), exit_code=process.returncode,
           marker_arrays_published=steps, markers_per_array=MARKERS,
           clients=len(clients), frames_received_before_signal=received,
           threads_at_exit=threads, traceback='Traceback' in log)
    assert elapsed < DEADLINE, f'took {elapsed:.2f} s'
    assert process.returncode == 0, log[-2000:]
    assert 'Traceback' not in log, log
    assert threads == 'threads alive at exit: []', threads
