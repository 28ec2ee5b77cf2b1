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
Server subprocesses and what the kernel says they cost.

The server under test always runs in its own process, so its CPU time (utime + stime
from ``/proc/<pid>/stat``) and resident memory (``VmRSS``) are its own and not the
clients'. Both servers are started the same way, from ``server_main.py``.
"""

import asyncio
from dataclasses import dataclass
import json
import os
from pathlib import Path
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any, Iterable, Optional

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SERVER_MAIN = BENCH_DIR / 'server_main.py'

#: The two implementations, as named in tables and JSON.
OURS = 'vuer_ros'
REFERENCE = 'vuer'
IMPLS = (OURS, REFERENCE)

CLOCK_TICK = os.sysconf('SC_CLK_TCK')
#: Smallest CPU time /proc can show: one clock tick.
CPU_RESOLUTION = 1.0 / CLOCK_TICK


class NotAvailable(Exception):
    """A scenario that cannot run here; the message says why."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    stat = Path(f'/proc/{pid}/stat').read_text()
    # The command name may hold spaces and parentheses; fields follow the last ')'.
    fields = stat[stat.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def rss_mb(pid: int) -> float:
    """Resident memory of the process in MiB."""
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f'no VmRSS for process {pid}')


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@dataclass
class CpuWindow:
    """CPU use of one process between :meth:`start` and :meth:`stop`."""

    pid: int
    wall: float = 0.0
    cpu: float = 0.0

    def start(self) -> 'CpuWindow':
        """Open the window now."""
        self._t0, self._c0 = time.monotonic(), cpu_seconds(self.pid)
        return self

    def stop(self) -> 'CpuWindow':
        """Close the window; ``wall`` and ``cpu`` are the seconds spent."""
        self.wall = time.monotonic() - self._t0
        self.cpu = cpu_seconds(self.pid) - self._c0
        return self

    @property
    def percent(self) -> float:
        """CPU use in percent of one core."""
        return 100.0 * self.cpu / self.wall if self.wall > 0 else 0.0


class ServerProcess:
    """One server under test (``vuer_ros`` or ``vuer``) running a workload in a subprocess."""

    def __init__(self, impl: str, workload: str, log_dir: Path, **options: Any) -> None:
        self.impl = impl
        self.port = free_port()
        self.url = f'ws://127.0.0.1:{self.port}/'
        self.state_path = log_dir / f'state-{impl}-{workload}-{self.port}.json'
        self.log_path = log_dir / f'server-{impl}-{workload}-{self.port}.log'
        self._command = [sys.executable, str(SERVER_MAIN), '--impl', impl,
                         '--workload', workload, '--port', str(self.port),
                         '--state-out', str(self.state_path)]
        for name, value in options.items():
            self._command += [f'--{name.replace("_", "-")}', str(value)]
        self.process: Optional[subprocess.Popen] = None

    @property
    def pid(self) -> int:
        """Return the server's process id."""
        return self.process.pid

    async def __aenter__(self) -> 'ServerProcess':
        """Start the server and return once it accepts connections."""
        self.state_path.unlink(missing_ok=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, (str(REPO), os.environ.get('PYTHONPATH')))))
        with open(self.log_path, 'w') as log:
            self.process = subprocess.Popen(
                self._command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=BENCH_DIR)
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'{self.impl} server exited with {self.process.returncode}:'
                                   f'\n{self.log_tail()}')
            try:
                _reader, writer = await asyncio.open_connection('127.0.0.1', self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return self
        await self.stop()
        raise RuntimeError(f'{self.impl} server did not listen within 30 s:\n{self.log_tail()}')

    async def __aexit__(self, *exc_info: Any) -> None:
        """Stop the server, whatever happened."""
        await self.stop()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited after 5 s."""
        if self.process is not None:
            await stop_process(self.process, signal.SIGTERM)

    async def read_state(self, timeout: float) -> dict:
        """Wait for the JSON the workload writes when done (last values, queue stats)."""
        deadline = time.monotonic() + timeout
        while not self.state_path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f'{self.impl} server wrote no state in {timeout:.0f} s')
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)  # written in one call, but let it be closed
        return json.loads(self.state_path.read_text())

    def log_tail(self, lines: int = 20) -> str:
        """Return the last lines the server printed, for error messages."""
        try:
            return '\n'.join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return '(no log)'


class RssSampler:
    """Samples a process's RSS at a fixed period in the background."""

    def __init__(self, pid: int, period: float = 0.5) -> None:
        self.pid = pid
        self.period = period
        self.samples: list[tuple[float, float]] = []
        self._task: Optional[asyncio.Task] = None

    def start(self) -> 'RssSampler':
        """Begin sampling; time 0 is now."""
        self._task = asyncio.get_running_loop().create_task(self._run(time.monotonic()))
        return self

    async def stop(self) -> list[tuple[float, float]]:
        """Stop and return ``(seconds, MiB)`` pairs."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.samples

    async def _run(self, t0: float) -> None:
        while True:
            self.samples.append((round(time.monotonic() - t0, 2), round(rss_mb(self.pid), 2)))
            await asyncio.sleep(self.period)


def median_of(runs: list[dict]) -> dict:
    """Per-metric median over repeats (numbers only; other values from the last run)."""
    merged = dict(runs[-1])
    for name, value in runs[-1].items():
        values = [run[name] for run in runs if isinstance(run.get(name), (int, float))
                  and not isinstance(run.get(name), bool)]
        if values and len(values) == len(runs):
            merged[name] = statistics.median(values)
    return merged


def percentiles(values: Iterable[float], qs: Iterable[float]) -> list[Optional[float]]:
    """Percentiles (0..100) of ``values``, linearly interpolated; Nones for no values."""
    values = np.asarray(list(values), dtype=float)
    qs = list(qs)
    if not values.size:
        return [None] * len(qs)
    return [float(value) for value in np.percentile(values, qs)]


async def stop_process(process: subprocess.Popen, signum: int) -> None:
    """Send ``signum``, then SIGKILL if the process has not exited after 5 s."""
    if process.poll() is not None:
        return
    process.send_signal(signum)
    for _ in range(100):
        if process.poll() is not None:
            return
        await asyncio.sleep(0.05)
    process.kill()
    process.wait()
