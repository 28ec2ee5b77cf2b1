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
ROS bridge scenarios (issue #4: 3, 4, 5, 8; #13: tf): the vuer_bridge node in its own process.

Each measurement starts, on a fresh random ROS domain limited to this machine, the bridge
(``vuer_ros.ros.bridge_node.main``, as ``ros2 run`` starts it), a publisher process and,
here in the runner, a websocket client; bare rclpy subscribers and in-process
conversions run from ``ros_main.py``. The runner imports no rclpy and, of vuer_ros, only
``vuer_ros.testing`` (free ports).
There is no reference implementation of these, so only the vuer_ros column is filled;
the issue's targets are in the metric names.
"""

import asyncio
from dataclasses import dataclass, field
import importlib.util
import json
import os
from pathlib import Path
import random
import signal
import sys
import time
from typing import Any, Optional, Sequence

from clients import binary_frames, WireClient
import harness
from harness import CpuSampler, NotAvailable, Process
import msgpack
from scenario import Context, medians, Result, Row, scenario

BRIDGE_NODE = harness.REPO / 'vuer_ros' / 'ros' / 'bridge_node.py'
ROS_MAIN = harness.BENCH_DIR / 'ros_main.py'
#: The bridge as ``vuer_bridge`` (``ros2 run``) starts it, parameters given with ``-p``.
BRIDGE_SCRIPT = 'import sys\nfrom vuer_ros.ros.bridge_node import main\nmain(sys.argv)\n'
#: ROS domains the benchmarks pick from (one per measurement; discovery stays on localhost).
DOMAINS = range(150, 201)
#: The Fast DDS profile for large messages the package ships (config/), and the variable
#: that points Fast DDS at a profile (Jazzy's Fast DDS 2 reads only this one; Kilted's too).
LARGE_MESSAGES_PROFILE = harness.REPO / 'config' / 'fastdds_large_messages.xml'
PROFILE_VARIABLE = 'FASTRTPS_DEFAULT_PROFILES_FILE'
#: How the cases measured both ways name the DDS transport.
TRANSPORTS = {'Fast DDS defaults': None,
              'config/fastdds_large_messages.xml': LARGE_MESSAGES_PROFILE}
#: What the bridge prints when rclpy has no EventsExecutor and it falls back.
FALLBACK_WARNING = 'has no EventsExecutor'
SAMPLE_PERIOD = 0.05


def ros_unavailable() -> Optional[str]:
    """Return why the ROS scenarios cannot run here, or None."""
    if not BRIDGE_NODE.exists():
        return f'the bridge node ({BRIDGE_NODE.relative_to(harness.REPO)}) is absent'
    if importlib.util.find_spec('rclpy') is None:
        return 'rclpy is not installed in this Python'
    return None


# -- processes -------------------------------------------------------------------------

class Rig:
    """The processes of one measurement on a ROS domain of their own; all stopped on exit."""

    def __init__(self, ctx: Context, label: str, dds_profile: Optional[Path] = None) -> None:
        """
        Prepare a measurement; its processes get ``dds_profile`` as their Fast DDS profile.

        Without one they run on Fast DDS's defaults, whatever this shell's environment
        says, so figures from different machines compare.
        """
        self.dir = ctx.work_dir
        self.label = label
        self.domain = random.choice(DOMAINS)
        self.processes: list[Process] = []
        self.env = harness.child_env(ROS_DOMAIN_ID=str(self.domain),
                                     ROS_AUTOMATIC_DISCOVERY_RANGE='LOCALHOST',
                                     PYTHONUNBUFFERED='1')
        for variable in (PROFILE_VARIABLE, 'FASTDDS_DEFAULT_PROFILES_FILE'):
            self.env.pop(variable, None)
        if dds_profile is not None:
            self.env[PROFILE_VARIABLE] = str(dds_profile)

    async def __aenter__(self) -> 'Rig':
        """Start with no process."""
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Stop whatever still runs, the newest first."""
        for process in reversed(self.processes):
            await process.stop()

    def _spawn(self, name: str, command: list[str]) -> Process:
        """Start a process of the measurement; SIGINT is the bridge's clean stop."""
        log = self.dir / f'{self.label}-{name}-{len(self.processes)}.log'
        process = Process(name, command, log, self.env, signal.SIGINT)
        self.processes.append(process)
        return process

    async def bridge(self, **params: Any) -> tuple[Process, str]:
        """Start the bridge with these ROS parameters; return it and its websocket URL."""
        args = []
        for name, value in {'host': '127.0.0.1', 'port': 0, **params}.items():
            if isinstance(value, (list, tuple)):
                value = '[' + ','.join(str(item) for item in value) + ']'
            args += ['-p', f'{name}:={value}']
        process = self._spawn('bridge', [sys.executable, '-c', BRIDGE_SCRIPT,
                                         '--ros-args', *args])
        match = await process.wait_for_line(r'^Vuer server on port (\d+)', 60)
        return process, f'ws://127.0.0.1:{match.group(1)}/'

    def role(self, role: str, *args: Any) -> tuple[Process, Path]:
        """Start ``ros_main.py ROLE ARGS``; return it and the JSON file it will write."""
        out = self.dir / f'{self.label}-{role}-{len(self.processes)}.json'
        out.unlink(missing_ok=True)
        command = [sys.executable, str(ROS_MAIN), role, *map(str, args), '--out', str(out)]
        return self._spawn(role, command), out

    async def run_role(self, role: str, *args: Any, timeout: float) -> dict:
        """Run a ros_main role to its end and return what it wrote."""
        process, out = self.role(role, *args)
        status = await process.wait(timeout)
        if status != 0 or not out.exists():
            raise RuntimeError(f'{role} exited with {status}:\n{process.log_tail()}')
        return _read_json(out)


def _read_json(path: Path) -> dict:
    result = json.loads(path.read_text())
    if 'error' in result:
        raise RuntimeError(f'{path.name}: {result["error"]}')
    return result


# -- measuring -------------------------------------------------------------------------

@dataclass
class BridgeClient:
    """
    A websocket client of the bridge, as a browser tab: sends INIT, reads every frame.

    Counts the top-level nodes whose key starts with ``prefix`` (and the bytes of the
    frames that carry them) and, for the node keyed ``seq_key`` (``every``: for each node
    counted), notes the sequence number the publisher put into its x position, when it
    came and in what size of frame.
    """

    url: str
    prefix: str
    seq_key: str = ''
    every: bool = False
    count: int = 0
    frames: int = 0
    carrying_bytes: int = 0
    resyncs: int = 0
    #: (sequence number, receive time ns, frame bytes) of each node keyed ``seq_key``
    arrivals: list[tuple[int, int, int]] = field(default_factory=list)

    async def __aenter__(self) -> 'BridgeClient':
        """Connect and start reading; return once the initial scene has arrived."""
        self.wire = WireClient(self.url)
        await self.wire.connect(init=True, read=False)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        #: (wall time, count) every SAMPLE_PERIOD
        self.counted = harness.Sampler(lambda: self.count, SAMPLE_PERIOD).start()

        def scene_came() -> int:
            if self._reader.done():
                raise RuntimeError('the bridge closed the connection before sending a scene')
            return self.frames

        await harness.wait_until(scene_came, 15, 'the bridge sent no scene', period=0.02)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Close the connection."""
        self._reader.cancel()
        await asyncio.gather(self._reader, self.counted.stop(), return_exceptions=True)
        await self.wire.close()

    async def _read(self) -> None:
        async for received, data in binary_frames(self.wire):
            self.frames += 1
            frame = msgpack.unpackb(data, raw=False)
            if frame.get('etype') == 'SET':
                self.resyncs += self.frames > 1  # the first SET is the initial scene
                continue
            if frame.get('etype') not in ('UPSERT', 'ADD'):
                continue
            carrying = False
            for node in frame['data']['nodes']:
                key = node.get('key', '') if isinstance(node, dict) else ''
                if not key.startswith(self.prefix):
                    continue
                carrying = True
                self.count += 1
                if self.every or key == self.seq_key:
                    self.arrivals.append((round(node['position'][0]), received, len(data)))
            if carrying:
                self.carrying_bytes += len(data)


def _latencies_ms(phase: dict, arrivals: list[tuple[int, int, int]]) -> tuple[list, set]:
    """Return the publish-to-receive latencies (ms) of a phase, and the seqs delivered."""
    first, sent = phase['first_seq'], phase['publish_ns']
    latencies, seen = [], set()
    for seq, received, _size in arrivals:
        if first <= seq < first + len(sent) and seq not in seen:
            seen.add(seq)
            latencies.append((received - sent[seq - first]) / 1e6)
    return latencies, seen


def _latency_figures(latencies: list[float], phase: dict) -> dict:
    """Return latency percentiles and curve, and how long publish() took (median)."""
    p50, p99, worst = harness.percentiles(latencies, (50, 99, 100))
    call = harness.median(phase['publish_call_ns'] or ())
    return {'latency_p50_ms': p50, 'latency_p99_ms': p99, 'latency_max_ms': worst,
            'publish_call_ms': None if call is None else call / 1e6,
            'curve_ms': harness.percentiles(latencies, harness.CURVE_PERCENTILES)}


#: ros_main.py info, asked once per run
_SETUP: dict[str, Any] = {}


async def _setup(ctx: Context, bridge: Optional[Process] = None) -> dict:
    """Return Python, ROS distro, RMW and the bridge's executor (a fallback is logged)."""
    if not _SETUP:
        async with Rig(ctx, 'info') as rig:
            _SETUP.update(await rig.run_role('info', timeout=60))
    if bridge is not None and FALLBACK_WARNING in bridge.log():
        _SETUP['bridge_executor'] = 'single_threaded (fallback)'
    return dict(_SETUP)


def _setup_row(setup: dict) -> Row:
    return Row('setup', 'bridge executor, ROS distro, Python', '',
               {harness.OURS: f'{setup["bridge_executor"]}, {setup["distro"]}, '
                              f'{setup["python"]}'})


def _rows(case: str, values: dict, specs: Sequence[tuple]) -> list[Row]:
    """Build the rows of one case from (metric, unit, name[, better]): vuer_ros only."""
    def value(unit: str, name: str) -> Any:
        figure = values.get(name)
        # a median of counts over an even number of repeats may end in .5: show a count
        return round(figure) if unit == 'count' and isinstance(figure, float) else figure

    return [Row(case, metric, unit, {harness.OURS: value(unit, name)}, *better)
            for metric, unit, name, *better in specs]


def _check_impls(ctx: Context) -> None:
    if harness.OURS not in ctx.impls:
        raise NotAvailable('the ROS scenarios measure vuer_ros only (--impl vuer given)')


async def _repeat(ctx: Context, repeats: int, measure: Any) -> dict[str, dict[str, list]]:
    """Run ``measure()`` (case -> figures) ``repeats`` times: case -> impl -> runs."""
    runs: dict[str, dict[str, list]] = {}
    for _ in range(repeats):
        for case, figures in (await measure()).items():
            runs.setdefault(case, {harness.OURS: []})[harness.OURS].append(figures)
    return runs


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


async def _bare_floor(ctx: Context, msg_type: str, topic: str, publish: list[str]) -> dict:
    """
    Measure publish -> callback of a bare rclpy subscriber: what ROS alone costs.

    It spins the EventsExecutor, as the bridge does, with the bridge's default QoS;
    ``publish`` are the publisher's arguments. Returns one figures dict per phase.
    """
    async with Rig(ctx, f'bare-{msg_type}') as rig:
        subscriber, out = rig.role('bare', '--executor', 'events', '--type', msg_type,
                                   '--topic', topic, '--depth', 100, '--seconds', 120)
        await subscriber.wait_for_line('^ready', 60)
        published = await rig.run_role('publish', '--topic', topic, *publish, timeout=120)
        await subscriber.wait(30)  # it stops one second after the last message
        arrivals = [(seq, received, 0) for seq, received in _read_json(out)['arrivals']]
    figures = {}
    for phase in published['phases']:
        latencies, seen = _latencies_ms(phase, arrivals)
        figures[f'{phase["rate"]:g} Hz'] = {
            **_latency_figures(latencies, phase), 'sent': phase['count'],
            'delivered_pct': 100.0 * len(seen) / phase['count']}
    return figures


FLOOR_ROWS = [
    ('publish -> callback p50', 'ms', 'latency_p50_ms', 'lower'),
    ('publish -> callback p99', 'ms', 'latency_p99_ms', 'lower'),
    ('of which the publisher in publish()', 'ms', 'publish_call_ms'),
]


# -- 3. ROS -> websocket latency -------------------------------------------------------

POSE_TOPIC = '/bench/pose'


@scenario('ros_latency', 3, 'ROS -> websocket latency: PoseStamped at 100 Hz and 1 kHz',
          unavailable=ros_unavailable)
async def ros_latency(ctx: Context) -> Result:
    """
    Publish stamped poses at 100 Hz, then 1 kHz; one client notes when each arrives.

    The bridge draws every message (``max_rate:=0``), but a pose is latest-wins: the
    bridge keeps only the newest one waiting for its loop and its outbox replaces a
    waiting update of the same key, so at high rates some are skipped by design; the
    delivered share says how many.
    """
    _check_impls(ctx)
    phases = {100.0: ctx.seconds(6.0, 2.0), 1000.0: ctx.seconds(4.0, 1.5)}
    load = [_load()]

    async def measure() -> dict[str, dict]:
        floor = await _bare_floor(ctx, 'pose', POSE_TOPIC, [
            '--kind', 'pose', '--gap', 0.5, '--phases',
            *(f'{rate:g}:{seconds / 2:.3f}' for rate, seconds in phases.items())])
        figures = {f'bare rclpy {case} (ROS floor)': values for case, values in floor.items()}
        async with Rig(ctx, 'ros_latency') as rig:
            bridge, url = await rig.bridge(pose_topics=[POSE_TOPIC], max_rate=0.0)
            async with BridgeClient(url, f'pose:{POSE_TOPIC}', f'pose:{POSE_TOPIC}') as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                published = await rig.run_role(
                    'publish', '--kind', 'pose', '--topic', POSE_TOPIC, '--phases',
                    *(f'{rate:g}:{seconds:.3f}' for rate, seconds in phases.items()),
                    '--gap', 0.5, timeout=sum(phases.values()) + 60)
                await asyncio.sleep(0.3)  # the last ones in flight
                await cpu.stop()
        for phase in published['phases']:
            latencies, seen = _latencies_ms(phase, client.arrivals)
            figures[f'{phase["rate"]:g} Hz'] = {
                **_latency_figures(latencies, phase),
                'sent': phase['count'], 'delivered': len(seen),
                'delivered_pct': 100.0 * len(seen) / phase['count'],
                'publish_rate_hz': phase['count'] / (phase['ended'] - phase['started']),
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended']),
                'client_cpu_pct': cpu.percent('client', phase['started'], phase['ended']),
            }
        figures['100 Hz']['setup'] = await _setup(ctx, bridge)
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    load.append(_load())
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    setup = by_case['100 Hz']['setup']
    rows, curves = [_setup_row(setup)], {}
    for case in [case for case in by_case if case.startswith('bare')]:
        values = by_case.pop(case)
        rows += _rows(case, values, FLOOR_ROWS)
        curves[f'PoseStamped {case.split()[2]} Hz, bare rclpy callback'] = harness.cdf(
            values['curve_ms'])
    for case, values in by_case.items():
        p50, p99 = (' (target < 2)', ' (target < 10)') if case == '100 Hz' else ('', '')
        rows += _rows(case, values, [
            (f'latency p50{p50}', 'ms', 'latency_p50_ms', 'lower'),
            (f'latency p99{p99}', 'ms', 'latency_p99_ms', 'lower'),
            ('latency max', 'ms', 'latency_max_ms', 'lower'),
            ('delivered / sent', '%', 'delivered_pct', 'higher'),
            ('messages sent', 'count', 'sent'),
            ('publish rate reached', 'Hz', 'publish_rate_hz'),
            ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower'),
            ('client process CPU', '% core', 'client_cpu_pct'),
        ])
        curves[f'PoseStamped {case} via bridge'] = harness.cdf(values['curve_ms'])
    return Result(
        params={'topic': POSE_TOPIC, 'phases_s': {f'{rate:g} Hz': seconds
                                                  for rate, seconds in phases.items()},
                'bridge_params': {'max_rate': 0.0}, 'ros': setup, 'loadavg': load},
        rows=rows, runs=runs, series={'ros_latency': curves},
        notes=['latency = client receive wall time - publisher wall time just before '
               'publish(); delivered < 100% at 1 kHz is the latest-wins pose path '
               '(one waiting message per topic, outbox coalescing), not loss'])


# -- 4. MarkerArray of 1,000 mixed markers ---------------------------------------------

ARRAY_TOPIC = '/bench/markers'
ARRAY_SIZE = 1000


def _stage_figures(converted: dict, per: int, decode_is_stage: bool = True) -> dict:
    """
    Return CPU per message (ms) and where it goes, from a ros_main convert result.

    The bridge reads these messages serialized and decodes them itself (``raw``): that is
    the main path, timed whole, decoding included. Stages come from an instrumented pass;
    'other' is the plain pass's median minus them, so the timers' own cost is in neither.
    The typed path (rclpy builds the message, for layouts the decoder does not know) is
    timed too, for comparison. ``decode_is_stage`` is False where the drawing decodes
    only what changed (an array), so decoding the whole message is no part of it.
    """
    stages = {name: 1000.0 * value for name, value in converted['stage_seconds'].items()
              if name != 'total'}
    cpu_ms = 1000.0 * harness.median(converted['cpu_seconds'])
    wall_ms = 1000.0 * harness.median(converted['wall_seconds'])
    decode_ms = 1000.0 * harness.median(converted['decode_seconds'])
    stages['other'] = max(0.0, cpu_ms - decode_ms * decode_is_stage - sum(stages.values()))
    typed_ms = 1000.0 * (harness.median(converted['typed_deserialize_seconds'])
                         + harness.median(converted['typed_cpu_seconds']))
    changed = converted.get('all_changed_seconds')
    return {'cpu_ms': cpu_ms, 'wall_ms': wall_ms, 'per_item_us': 1000.0 * cpu_ms / per,
            'items_per_s': per / (cpu_ms / 1000.0), 'decode_ms': decode_ms,
            'capacity_per_s': 1000.0 / cpu_ms,
            'unchanged_ms': 1000.0 * harness.median(converted['unchanged_seconds']),
            'all_changed_ms': 1000.0 * harness.median(changed) if changed else None,
            'typed_deserialize_ms':
                1000.0 * harness.median(converted['typed_deserialize_seconds']),
            'typed_ms': typed_ms, 'typed_over_raw': typed_ms / cpu_ms,
            'packed_bytes': converted['packed_bytes'],
            'ros_bytes': converted['ros_message_bytes'],
            **{f'stage_{name}_ms': value for name, value in stages.items()}}


STAGE_ROWS = [
    ('  of which decoding the CDR bytes', 'ms', 'decode_ms'),
    ('  of which marker_to_element', 'ms', 'stage_convert_ms'),
    ('  of which msgpack pack', 'ms', 'stage_pack_ms'),
    ('  of which marker_warnings', 'ms', 'stage_warnings_ms'),
    ('  of which serialize', 'ms', 'stage_serialize_ms'),
    ('  of which RosScene, scene tree, outbox', 'ms', 'stage_other_ms'),
]
TYPED_ROWS = [
    ('typed path (unknown layouts): rclpy deserialization', 'ms', 'typed_deserialize_ms',
     'lower'),
    ('typed path: deserialization + drawing', 'ms', 'typed_ms', 'lower'),
    ('  raw path faster by', 'x', 'typed_over_raw', 'higher'),
]


#: How each over-the-wire case changes the array between sends (ros_main.CHANGES).
CHANGE_CASES = {'last': 'last marker changed', 'all': 'every marker changed',
                'none': 'the same array again'}


async def _await_seq(client: 'BridgeClient', seq: int, timeout: float) -> Optional[float]:
    """Wait until the message numbered ``seq`` has arrived; return how long that took."""
    start = time.monotonic()
    try:
        await harness.wait_until(
            lambda: any(arrived == seq for arrived, _t, _size in client.arrivals[-5:]),
            timeout, f'message {seq}')
    except TimeoutError:
        return None
    return time.monotonic() - start


@scenario('markers', 4, 'MarkerArray of 1,000 mixed markers at 10 Hz: conversion time, '
                        'encoded bytes, delivery latency', unavailable=ros_unavailable)
async def markers(ctx: Context) -> Result:
    """
    Time the bridge's work on a 1,000-marker array in process, then send arrays.

    In process (``ros_main.py convert``): rclpy deserialization (the executor thread's
    part), then RosScene and a real Vuer app (not serving) as the bridge sets them up
    drawing a real MarkerArray (conversion, validation, packing, scene bookkeeping: the
    asyncio loop's part); CPU time, so other load on the machine does not count. Over
    the wire, at 2 Hz (below what the bridge can take) and at the issue's 10 Hz: the last
    marker of each array carries the array's sequence number; latency is publish to the
    arrival of that marker's frame.
    """
    _check_impls(ctx)
    repeats = max(3, round(ctx.seconds(20, 5)))
    # rate, which markers change between arrays (ros_main.CHANGES) -> seconds
    phases = {(2.0, 'last'): ctx.seconds(5.0, 2.5), (10.0, 'last'): ctx.seconds(8.0, 3.0),
              (10.0, 'all'): ctx.seconds(6.0, 3.0), (10.0, 'none'): ctx.seconds(6.0, 3.0)}
    drain_timeout = 30.0
    seq_key = f'marker:{ARRAY_TOPIC}:bench:{ARRAY_SIZE - 1}'
    load = [_load()]

    async def measure() -> dict[str, dict]:
        (floor,) = (await _bare_floor(ctx, 'marker_array', ARRAY_TOPIC, [
            '--kind', 'marker_array', '--count', ARRAY_SIZE, '--phases',
            f'2:{phases[2.0, "last"]:.3f}'])).values()
        figures = {'bare rclpy at 2 Hz (ROS floor)': floor}
        async with Rig(ctx, 'markers') as rig:
            converted = await rig.run_role('convert', '--kind', 'markers', '--count',
                                           ARRAY_SIZE, '--repeats', repeats, timeout=120)
            bridge, url = await rig.bridge(marker_array_topics=[ARRAY_TOPIC])
            async with BridgeClient(url, f'marker:{ARRAY_TOPIC}:', seq_key) as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                published = await rig.run_role(
                    'publish', '--kind', 'marker_array', '--topic', ARRAY_TOPIC, '--count',
                    ARRAY_SIZE, '--gap', 1.5, '--phases',
                    *(f'{rate:g}:{seconds:.3f}:{change}'
                      for (rate, change), seconds in phases.items()),
                    timeout=sum(phases.values()) + 90)
                # the last phase re-sends one array: the newest is the phase before's last
                last = published['phases'][-2]
                newest_shown = await _await_seq(
                    client, last['first_seq'] + last['count'] - 1, drain_timeout) is not None
                await cpu.stop()
            setup = await _setup(ctx, bridge)
        figures['in process'] = _stage_figures(converted, ARRAY_SIZE, decode_is_stage=False)
        for phase in published['phases']:
            latencies, seen = _latencies_ms(phase, client.arrivals)
            first, count = phase['first_seq'], phase['count']
            sizes = [size for seq, _t, size in client.arrivals if first <= seq < first + count]
            figures[f'{phase["rate"]:g} Hz over the wire, {CHANGE_CASES[phase["change"]]}'] = {
                **_latency_figures(latencies, phase), 'sent': count, 'delivered': len(seen),
                'delivered_pct': 100.0 * len(seen) / count,
                'frame_bytes': harness.median(sizes),
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended']),
                'resyncs': client.resyncs,
                'newest_shown': newest_shown}
        figures['in process']['setup'] = setup
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(1), measure)
    load.append(_load())
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    inproc = by_case.pop('in process')
    rows = [_setup_row(inproc['setup'])]
    rows += _rows('in process', inproc, [
        ('drawing from CDR bytes, the last marker changed', 'ms', 'cpu_ms', 'lower'),
        *STAGE_ROWS[1:],
        ('decoding the whole array (only changed markers are decoded)', 'ms', 'decode_ms'),
        ('drawing from CDR bytes, every marker changed', 'ms', 'all_changed_ms', 'lower'),
        ('drawing from CDR bytes, the same array again', 'ms', 'unchanged_ms', 'lower'),
        *TYPED_ROWS,
        ('arrays/s the bridge can take (last marker changed)', '1/s', 'capacity_per_s',
         'higher'),
        ('packed bytes per array', 'bytes', 'packed_bytes', 'lower'),
        ('ROS message (CDR) bytes per array', 'bytes', 'ros_bytes'),
    ])
    floor = by_case.pop('bare rclpy at 2 Hz (ROS floor)')
    rows += _rows('bare rclpy at 2 Hz (ROS floor)', floor, FLOOR_ROWS)
    curves = {'MarkerArray x1000, bare rclpy callback (2 Hz)': harness.cdf(floor['curve_ms'])}
    unchanged = by_case.pop(f'10 Hz over the wire, {CHANGE_CASES["none"]}')
    for case, values in by_case.items():
        issue_case = case == f'10 Hz over the wire, {CHANGE_CASES["last"]}'
        targets = (' (target < 30)', ' (target < 100)') if issue_case else ('', '')
        rows += _rows(case, values, [
            (f'delivery latency p50{targets[0]}', 'ms', 'latency_p50_ms', 'lower'),
            (f'delivery latency p99{targets[1]}', 'ms', 'latency_p99_ms', 'lower'),
            ('arrays delivered / sent', '%', 'delivered_pct', 'higher'),
            ('bytes per array on the wire (frame)', 'bytes', 'frame_bytes', 'lower'),
            ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower'),
        ])
        curves[f'MarkerArray x1000 via bridge ({case.replace(" over the wire", "")})'] = (
            harness.cdf(values['curve_ms']))
    rows += _rows(f'10 Hz over the wire, {CHANGE_CASES["none"]}', unchanged, [
        ('bridge process CPU (target < 10)', '% core', 'bridge_cpu_pct', 'lower'),
        ('the newest array is the one shown', '', 'newest_shown'),
        ('resyncs (client fell 16 MB behind)', 'count', 'resyncs')])
    return Result(
        params={'markers_per_array': ARRAY_SIZE,
                'phases_s': {f'{rate:g} Hz, {change}': seconds
                             for (rate, change), seconds in phases.items()},
                'in_process_repeats': repeats, 'ros': inproc['setup'], 'loadavg': load},
        rows=rows, runs=runs, series={'ros_latency': curves},
        notes=[f'markers: in-process times are CPU time, medians over {repeats} arrays; '
               'stage times come from a second, instrumented pass',
               'markers: arrays are published serialized before the clock starts, as a C++ '
               "publisher does; rclpy's Python serialization of 1,000 markers is the "
               "publisher's cost, not the bridge's"])


# -- 5. bridge throughput vs bare rclpy ------------------------------------------------

FLOOD_TOPIC = '/bench/flood'
FLOOD_DEPTH = 1000


@scenario('bridge_rate', 5, 'Bridge throughput vs a bare rclpy subscriber callback rate',
          unavailable=ros_unavailable)
async def bridge_rate(ctx: Context) -> Result:
    """
    Flood Marker messages (each a new id) and count what comes out, three ways in turn.

    The same publisher (reliable, depth 1000, as fast as it can) feeds, one after the
    other, a bare rclpy subscriber on the SingleThreadedExecutor, one on the
    EventsExecutor, and the bridge with a websocket client. Each marker is a new key, so
    the bridge converts and sends every message it receives and the client counts them.
    Rates are taken over the same window after a warm-up.
    """
    _check_impls(ctx)
    warm, window = ctx.seconds(1.5, 1.0), ctx.seconds(5.0, 1.5)
    shown = max(1000, int(round(ctx.seconds(10_000, 4000), -2)))
    load = [_load()]

    async def flood(rig: Rig, subscriber: Process, client: Optional[BridgeClient]) -> dict:
        cpu = CpuSampler({'subscriber': subscriber.pid})
        rss = harness.rss_mb(subscriber.pid)
        published = await rig.run_role(
            'publish', '--kind', 'flood', '--topic', FLOOD_TOPIC, '--depth', FLOOD_DEPTH,
            '--phases', f'0:{warm + window + 0.3:.3f}', '--linger', '0.2',
            timeout=warm + window + 60)
        await cpu.stop()
        rss = harness.rss_mb(subscriber.pid) - rss
        (phase,) = published['phases']
        start = phase['started'] + warm
        end = start + window
        return {'published_per_s': harness.rate_between(published['samples'], start, end),
                'publish_failures': phase['failed'], 'rss_growth_mb': rss,
                'subscriber_cpu_pct': cpu.percent('subscriber', start, end),
                'client_cpu_pct': cpu.percent('client', start, end) if client else None,
                'window': (start, end)}

    async def bare(executor: str) -> dict:
        async with Rig(ctx, f'bare-{executor}') as rig:
            subscriber, out = rig.role('bare', '--executor', executor, '--topic', FLOOD_TOPIC,
                                       '--depth', FLOOD_DEPTH, '--seconds', 120)
            await subscriber.wait_for_line('^ready', 60)
            figures = await flood(rig, subscriber, None)
            await subscriber.wait(30)  # it stops one second after the last message
            counted = _read_json(out)
        return {**figures,
                'received_per_s': harness.rate_between(counted['samples'], *figures['window'])}

    async def bridged() -> dict:
        async with Rig(ctx, 'bridge-flood') as rig:
            bridge, url = await rig.bridge(marker_topics=[FLOOD_TOPIC],
                                           queue_depth=FLOOD_DEPTH)
            async with BridgeClient(url, f'marker:{FLOOD_TOPIC}:') as client:
                figures = await flood(rig, bridge, client)
                await asyncio.sleep(0.2)
            setup = await _setup(ctx, bridge)
        counted = client.counted.samples
        return {**figures, 'received_per_s': harness.rate_between(counted, *figures['window']),
                'shown': round(harness.value_at(counted, figures['window'][1])),
                'resyncs': client.resyncs, 'setup': setup}

    async def in_process() -> dict:
        async with Rig(ctx, 'flood-convert') as rig:
            costs = await rig.run_role('convert', '--kind', 'flood', '--count', shown,
                                       timeout=120)
        (few, few_s), (many, many_s) = costs['shown_then_seconds']
        return {'few': few, 'many': many, 'few_us': 1e6 * few_s, 'many_us': 1e6 * many_s}

    async def measure() -> dict[str, dict]:
        figures = {'bare rclpy, SingleThreadedExecutor': await bare('single_threaded'),
                   'bare rclpy, EventsExecutor': await bare('events'),
                   'bridge (Marker -> websocket)': await bridged(),
                   'in process': await in_process()}
        ours = figures['bridge (Marker -> websocket)']
        for name in ('single_threaded', 'events'):
            case = ('bare rclpy, SingleThreadedExecutor' if name == 'single_threaded'
                    else 'bare rclpy, EventsExecutor')
            ceiling = figures[case]['received_per_s']
            ours[f'of_{name}_pct'] = (100.0 * ours['received_per_s'] / ceiling
                                      if ceiling else None)
        for values in figures.values():
            values.pop('window', None)
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(2), measure)
    load.append(_load())
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    ours = by_case['bridge (Marker -> websocket)']
    costs = by_case.pop('in process')
    rows = [_setup_row(ours['setup'])]
    for case, values in by_case.items():
        bridge = case.startswith('bridge')
        rows += _rows(case, values, [
            ('messages received' + (', converted and sent' if bridge else ''), '1/s',
             'received_per_s', 'higher'),
            ('messages published', '1/s', 'published_per_s'),
            ('publish() failures (DDS writer full)', 'count', 'publish_failures'),
            (('bridge' if bridge else 'subscriber') + ' process CPU', '% core',
             'subscriber_cpu_pct'),
            (('bridge' if bridge else 'subscriber') + ' RSS growth during the flood', 'MiB',
             'rss_growth_mb', 'lower'),
        ])
    rows += _rows('bridge (Marker -> websocket)', ours, [
        ('client process CPU', '% core', 'client_cpu_pct'),
        ('resyncs (client fell 16 MB behind)', 'count', 'resyncs'),
        ('markers shown on the topic at window end', 'count', 'shown'),
        ('of bare SingleThreadedExecutor rate', '%', 'of_single_threaded_pct', 'higher'),
        ('of bare EventsExecutor rate (target >= 80)', '%', 'of_events_pct', 'higher'),
    ])
    rows += _rows('in process', costs, [
        (f'drawing CPU per Marker, {costs["few"]:,.0f} shown', 'us', 'few_us', 'lower'),
        (f'drawing CPU per Marker, {costs["many"]:,.0f} shown', 'us', 'many_us', 'lower'),
    ])
    return Result(
        params={'topic': FLOOD_TOPIC, 'depth': FLOOD_DEPTH, 'warm_up_s': warm,
                'window_s': window, 'ros': ours['setup'], 'loadavg': load},
        rows=rows, runs=runs,
        notes=['bridge_rate: the publisher takes about one core; on a 2-core machine the '
               'bridge, its client and the publisher share the other, and the bare '
               'subscriber has it alone'])


# -- 8. a POINTS marker with 100,000 points --------------------------------------------

POINTS_TOPIC = '/bench/points'
POINT_COUNT = 100_000


@scenario('points', 8, 'POINTS marker with 100,000 points: encode time, bytes per point',
          unavailable=ros_unavailable)
async def points(ctx: Context) -> Result:
    """
    Time the bridge's encoding of a 100,000-point POINTS marker, then send a few.

    Every point has its own colour. In process: CPU time of the Marker display drawing
    the serialized marker into a real Vuer app (decoding, conversion, packing), and the
    typed path beside it. Over the wire: the marker published (serialized beforehand, as
    a C++ publisher does) once a second; its frame's size per point and the time from
    publish to that frame's arrival.
    """
    _check_impls(ctx)
    repeats = max(2, round(ctx.seconds(5, 3)))
    sends = max(1, round(ctx.seconds(4, 2)))
    seq_key = f'marker:{POINTS_TOPIC}:bench:0'
    load = [_load()]

    async def over_the_wire(profile: Optional[Path]) -> dict:
        async with Rig(ctx, 'points', profile) as rig:
            bridge, url = await rig.bridge(marker_topics=[POINTS_TOPIC])
            async with BridgeClient(url, seq_key, seq_key) as client:
                published = await rig.run_role(
                    'publish', '--kind', 'points', '--topic', POINTS_TOPIC, '--count',
                    POINT_COUNT, '--phases', f'1:{sends}', '--linger', '2.0',
                    timeout=sends + 90)
                await asyncio.sleep(0.5)
            setup = await _setup(ctx, bridge)
        (phase,) = published['phases']
        latencies, seen = _latencies_ms(phase, client.arrivals)
        sizes = [size for _seq, _t, size in client.arrivals]
        return {**_latency_figures(latencies, phase), 'sent': phase['count'],
                'delivered': len(seen),
                'frame_bytes': harness.median(sizes),
                'wire_bytes_per_point': (harness.median(sizes) / POINT_COUNT
                                         if sizes else None),
                'setup': setup}

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'points') as rig:
            converted = await rig.run_role('convert', '--kind', 'points', '--count',
                                           POINT_COUNT, '--repeats', repeats, timeout=120)
        inproc = _stage_figures(converted, POINT_COUNT)
        inproc['packed_bytes_per_point'] = inproc['packed_bytes'] / POINT_COUNT
        inproc['per_point_ns'] = 1000.0 * inproc.pop('per_item_us')
        figures = {'in process': inproc}
        for transport, profile in TRANSPORTS.items():
            figures[f'over the wire, {transport}'] = await over_the_wire(profile)
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(1), measure)
    load.append(_load())
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    inproc = by_case['in process']
    setup = by_case[f'over the wire, {next(iter(TRANSPORTS))}']['setup']
    rows = [_setup_row(setup)]
    rows += _rows('in process', inproc, [
        ('drawing from CDR bytes: decode+convert+pack', 'ms', 'cpu_ms', 'lower'),
        *STAGE_ROWS[:3], STAGE_ROWS[-1],
        ('drawing CPU per point', 'ns', 'per_point_ns', 'lower'),
        ('drawing from CDR bytes, the same marker again', 'ms', 'unchanged_ms', 'lower'),
        *TYPED_ROWS,
        ('packed bytes per point', 'bytes', 'packed_bytes_per_point', 'lower'),
        ('ROS message (CDR) bytes', 'bytes', 'ros_bytes'),
    ])
    for transport in TRANSPORTS:
        case = f'over the wire, {transport}'
        rows += _rows(case, by_case[case], [
            ('bytes per point on the wire (target <= 12)', 'bytes', 'wire_bytes_per_point',
             'lower'),
            ('frame size', 'bytes', 'frame_bytes'),
            ('publish -> frame received p50 (target < 30)', 'ms', 'latency_p50_ms',
             'lower'),
            ('of which the publisher in publish()', 'ms', 'publish_call_ms'),
            ('markers delivered', 'count', 'delivered'),
            ('markers sent', 'count', 'sent'),
        ])
    return Result(
        params={'points': POINT_COUNT, 'per_point_colors': True, 'sends': sends,
                'in_process_repeats': repeats, 'ros': setup, 'loadavg': load},
        rows=rows, runs=runs,
        notes=['points: over the wire twice, the publisher and the bridge both on Fast '
               "DDS's defaults (a message over 512 KB crosses loopback UDP in fragments), "
               'then both given config/fastdds_large_messages.xml (shared memory)'])


# -- 13. TF at 1 kHz over 50 frames, and TF history lookups ----------------------------

TF_TOPIC = '/bench/transforms'
TF_FRAMES = 50
TF_RATE = 1000.0
#: The TF display's group of a frame (scene.FRAMES_GROUP '@' frame), with its axes in it.
TF_GROUP_PREFIX = 'tf@bench_'
HISTORY_DEPTHS = (1, 10)
STAMPINGS = {'latest': 'stamp zero (latest)', 'one stamp': 'all at one stamp',
             'own stamps': 'each at its own stamp'}
NO_TARGET = ' (target —)'


def _history_figures(converted: dict) -> dict[str, dict]:
    """Return ms per array for each depth and stamping, and what history adds to latest."""
    figures = {}
    for depth in converted['depths']:
        ms = {stamping: 1000.0 * harness.median(converted['seconds'][f'{depth} {stamping}'])
              for stamping in STAMPINGS}
        figures[f'in process, frame {depth} deep'] = {
            **{f'{stamping}_ms': value for stamping, value in ms.items()},
            **{f'{stamping}_extra_ms': value - ms['latest'] for stamping, value in ms.items()
               if stamping != 'latest'}}
    return figures


@scenario('tf', 13, 'TF at 1 kHz over 50 frames: bridge CPU, frame-update latency; history '
                    'lookups per 1,000 stamped markers', unavailable=ros_unavailable)
async def tf(ctx: Context) -> Result:
    """
    Send TransformStamped at 1 kHz round 50 frames; time stamped markers placed through TF.

    Over the wire: the frames are a tree, each a child of the fixed frame ``map``, sent in
    turn (20 Hz each) on a transform topic of the bridge (TransformStamped: no tf2_msgs
    needed); each carries its sequence number in x, which the client reads back from the
    TF display's frame group ``tf@<frame>``. After one message per frame at 50 Hz (the
    frames appear), the 1 kHz phase is measured. In process: a MarkerArray of 1,000 mixed
    markers (not frame-locked) in a frame 1 and 10 deep in a chain with 10 s of history,
    drawn at stamp zero, at one stamp, and each marker at its own stamp; CPU time.
    """
    _check_impls(ctx)
    window = ctx.seconds(6.0, 2.0)
    repeats = max(3, round(ctx.seconds(10, 5)))
    load = [_load()]

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'tf') as rig:
            converted = await rig.run_role(
                'convert', '--kind', 'tf_history', '--count', ARRAY_SIZE, '--repeats',
                repeats, '--depths', *HISTORY_DEPTHS, timeout=180)
            bridge, url = await rig.bridge(transform_topics=[TF_TOPIC])
            async with BridgeClient(url, TF_GROUP_PREFIX, every=True) as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                published = await rig.run_role(
                    'publish', '--kind', 'tf', '--topic', TF_TOPIC, '--count', TF_FRAMES,
                    '--phases', f'{TF_FRAMES}:1', f'{TF_RATE:g}:{window:.3f}', '--gap', 0.5,
                    timeout=window + 60)
                await asyncio.sleep(0.3)  # the last ones in flight
                await cpu.stop()
            setup = await _setup(ctx, bridge)
        phase = published['phases'][-1]
        latencies, seen = _latencies_ms(phase, client.arrivals)
        wire = {**_latency_figures(latencies, phase), 'sent': phase['count'],
                'delivered_pct': 100.0 * len(seen) / phase['count'],
                'publish_rate_hz': phase['count'] / (phase['ended'] - phase['started']),
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended']),
                'client_cpu_pct': cpu.percent('client', phase['started'], phase['ended']),
                'setup': setup}
        return {f'{TF_RATE:g} Hz over the wire': wire, **_history_figures(converted)}

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    load.append(_load())
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    wire_case = f'{TF_RATE:g} Hz over the wire'
    wire = by_case.pop(wire_case)
    rows = [_setup_row(wire['setup'])]
    rows += _rows(wire_case, wire, [
        (f'bridge process CPU{NO_TARGET}', '% core', 'bridge_cpu_pct', 'lower'),
        (f'frame-update latency p50{NO_TARGET}', 'ms', 'latency_p50_ms', 'lower'),
        (f'frame-update latency p99{NO_TARGET}', 'ms', 'latency_p99_ms', 'lower'),
        ('frame-update latency max', 'ms', 'latency_max_ms', 'lower'),
        ('of which the publisher in publish()', 'ms', 'publish_call_ms'),
        ('updates delivered / sent', '%', 'delivered_pct', 'higher'),
        ('transforms sent', 'count', 'sent'),
        ('publish rate reached', 'Hz', 'publish_rate_hz'),
        ('client process CPU', '% core', 'client_cpu_pct'),
    ])
    for case, values in by_case.items():
        rows += _rows(case, values, [
            (f'1,000 markers, {text}' + (NO_TARGET if stamping != 'latest' else ''), 'ms',
             f'{stamping}_ms', 'lower') for stamping, text in STAMPINGS.items()])
        rows += _rows(case, values, [
            (f'  minus stamp zero, {STAMPINGS[stamping]}', 'ms', f'{stamping}_extra_ms')
            for stamping in STAMPINGS if stamping != 'latest'])
    return Result(
        params={'topic': TF_TOPIC, 'frames': TF_FRAMES, 'tree': 'every frame a child of map',
                'rate_hz': TF_RATE, 'window_s': window, 'markers_per_array': ARRAY_SIZE,
                'history_depths': list(HISTORY_DEPTHS), 'in_process_repeats': repeats,
                'ros': wire['setup'], 'loadavg': load},
        rows=rows, runs=runs,
        series={'ros_latency': {f'TransformStamped {TF_RATE:g} Hz x {TF_FRAMES} frames, '
                                'frame group via bridge': harness.cdf(wire['curve_ms'])}},
        notes=['tf: latency = publish of a transform to the arrival of its frame group '
               '(tf@<frame>) with the sequence number in x; a frame moved twice before the '
               'bridge sends keeps only the newer (delivered < 100%)',
               f'tf: in-process times are CPU time, medians over {repeats} arrays; another '
               'frame moves before each, so no lookup is reused from the drawing before; '
               'markers sharing a stamp share one lookup (remembered until TF changes), '
               'stamp zero walks the tree per marker, so one stamp can cost less'])
