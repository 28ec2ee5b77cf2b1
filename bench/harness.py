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
Benchmark subprocesses, waiting on them, and what the kernel says they cost.

Every process under test runs on its own, so its CPU time (utime + stime from
``/proc/<pid>/stat``) and resident memory (``VmRSS``) are its own and not the clients'.
The servers are started the same way, from ``server_main.py``; the ROS scenarios start
theirs as :class:`Process` too. Port and message helpers the tests share are in
``vuer_ros.testing``.
"""

import asyncio
from dataclasses import dataclass
import functools
import json
import os
from pathlib import Path
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np

from vuer_ros.testing import free_port

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
#: Percentiles stored for latency curves (the plot draws them as a CDF).
CURVE_PERCENTILES = [*range(0, 100, 2), 99, 99.5, 99.9, 100]


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


def child_env(**variables: str) -> dict[str, str]:
    """Return this environment plus ``variables``, the checkout first on PYTHONPATH."""
    path = os.pathsep.join(filter(None, (str(REPO), os.environ.get('PYTHONPATH'))))
    return dict(os.environ, **variables, PYTHONPATH=path)


async def wait_until(ready: Callable[[], Any], timeout: float, what: str,
                     period: float = 0.05) -> Any:
    """
    Poll ``ready()`` every ``period`` seconds and return its first true value.

    Raises TimeoutError, saying ``what`` did not happen, after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f'{what} after {timeout:.0f} s')
        await asyncio.sleep(period)


class Process:
    """
    A subprocess of a benchmark, run in bench/ with its output in a log file.

    ``stop_signal`` is how it is asked to end cleanly; SIGKILL follows after 5 s.
    """

    def __init__(self, name: str, command: Sequence[str], log_path: Path,
                 env: dict[str, str], stop_signal: int) -> None:
        self.name = name
        self.log_path = log_path
        self.stop_signal = stop_signal
        with open(log_path, 'w') as log:
            self.popen = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT,
                                          env=env, cwd=BENCH_DIR)

    @property
    def pid(self) -> int:
        """Return the process id."""
        return self.popen.pid

    def log(self) -> str:
        """Return everything the process printed so far."""
        try:
            return self.log_path.read_text(errors='replace')
        except OSError:
            return ''

    def log_tail(self, lines: int = 20) -> str:
        """Return the last lines it printed, for error messages."""
        return '\n'.join(self.log().splitlines()[-lines:])

    async def until(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        """
        Poll ``ready()`` while the process runs and return its first true value.

        Fails with the end of the log when the process exits first or after ``timeout``
        seconds (``what`` says what did not happen).
        """
        def ready_or_exited() -> Any:
            value = ready()
            if not value and self.popen.poll() is not None:
                raise RuntimeError(f'{self.name} exited with {self.popen.returncode}:\n'
                                   f'{self.log_tail()}')
            return value

        try:
            return await wait_until(ready_or_exited, timeout, f'{self.name} {what}')
        except TimeoutError as error:
            raise TimeoutError(f'{error}:\n{self.log_tail()}') from None

    async def wait_for_line(self, pattern: str, timeout: float) -> re.Match:
        """Wait until the process prints a line matching ``pattern``."""
        return await self.until(lambda: re.search(pattern, self.log(), re.MULTILINE),
                                timeout, f'printed no {pattern!r}')

    async def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself and return its exit status."""
        await self.until(lambda: self.popen.poll() is not None, timeout, 'still running')
        return self.popen.returncode

    async def stop(self) -> None:
        """Send the stop signal, then SIGKILL if the process has not exited after 5 s."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(self.stop_signal)
        try:
            await wait_until(lambda: self.popen.poll() is not None, 5.0, 'exit')
        except TimeoutError:
            self.popen.kill()
            self.popen.wait()


def _listening(port: int) -> bool:
    """Tell whether something accepts connections on the loopback ``port``."""
    with socket.socket() as probe:
        return probe.connect_ex(('127.0.0.1', port)) == 0


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
        self.process: Optional[Process] = None

    @property
    def pid(self) -> int:
        """Return the server's process id."""
        return self.process.pid

    async def __aenter__(self) -> 'ServerProcess':
        """Start the server and return once it accepts connections."""
        self.state_path.unlink(missing_ok=True)
        self.process = Process(f'{self.impl} server', self._command, self.log_path,
                               child_env(), signal.SIGTERM)
        try:
            await self.process.until(lambda: _listening(self.port), 30.0, 'did not listen')
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Stop the server, whatever happened."""
        await self.stop()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited after 5 s."""
        if self.process is not None:
            await self.process.stop()

    async def read_state(self, timeout: float) -> dict:
        """Wait for the JSON the workload writes when done (last values, queue stats)."""
        await wait_until(self.state_path.exists, timeout, f'{self.impl} server wrote no state')
        await asyncio.sleep(0.05)  # written in one call, but let it be closed
        return json.loads(self.state_path.read_text())


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


class Sampler:
    """
    Reads a value every ``period`` seconds in the background: (wall time, value) pairs.

    A read that fails with OSError ends the sampling: the process it reads has gone.
    """

    def __init__(self, read: Callable[[], float], period: float) -> None:
        self.read = read
        self.period = period
        self.samples: list[tuple[float, float]] = []
        self._task: Optional[asyncio.Task] = None

    def start(self) -> 'Sampler':
        """Begin sampling."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> list[tuple[float, float]]:
        """Stop sampling and return the samples."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.samples

    async def _run(self) -> None:
        while True:
            try:
                value = self.read()
            except OSError:
                return
            self.samples.append((time.time(), value))
            await asyncio.sleep(self.period)


def value_at(samples: Sequence[Sequence[float]], when: float) -> float:
    """Return a sampled counter's value at ``when``, interpolated (clamped at the ends)."""
    if when <= samples[0][0]:
        return samples[0][1]
    for (t0, v0), (t1, v1) in zip(samples, samples[1:]):
        if when <= t1:
            return v0 + (v1 - v0) * (when - t0) / ((t1 - t0) or 1.0)
    return samples[-1][1]


def rate_between(samples: Sequence[Sequence[float]], start: float,
                 end: float) -> Optional[float]:
    """Return the increase per second of a sampled counter between two wall times."""
    if len(samples) < 2 or end <= start:
        return None
    return (value_at(samples, end) - value_at(samples, start)) / (end - start)


class CpuSampler:
    """
    CPU use of processes, and of this one as 'client', between any two wall times.

    Sampled in the background from the start, so the window can be chosen afterwards (a
    publisher's phase, say) and is interpolated between samples.
    """

    def __init__(self, processes: dict[str, int], period: float = 0.1) -> None:
        reads = {name: functools.partial(cpu_seconds, pid) for name, pid in processes.items()}
        self.samplers = {name: Sampler(read, period).start()
                         for name, read in {**reads, 'client': time.process_time}.items()}

    def percent(self, name: str, start: float, end: float) -> Optional[float]:
        """Return the CPU use of ``name`` between two wall times, in % of one core."""
        rate = rate_between(self.samplers[name].samples, start, end)
        return None if rate is None else 100.0 * rate

    async def stop(self) -> None:
        """Stop sampling."""
        await asyncio.gather(*(sampler.stop() for sampler in self.samplers.values()))


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


def median(values: Iterable[float]) -> Optional[float]:
    """Return the median of ``values``, or None for no values."""
    (value,) = percentiles(values, (50,))
    return value


def cdf(curve: Sequence[Optional[float]]) -> list[list[float]]:
    """Return the (value, percentile) points of a curve taken at CURVE_PERCENTILES."""
    return [[round(value, 3), q] for value, q in zip(curve, CURVE_PERCENTILES)
            if value is not None]
