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
Benchmarks 14 and 15 (issue #9): point clouds through the bridge.

14, ``point_cloud``: in process, the bridge's CPU per cloud of 300,000 and 1,000,000
points by stage (rclpy deserialization on the executor thread, conversion on the worker
thread, drawing on the loop); over the wire, a PointCloud2 of 300,000 x, y, z, rgb points
at 10 Hz: publish-to-frame latency p50/p99 (target p50 < 50 ms), delivered share (clouds
are newest-wins), bytes per point and the bridge's CPU. 15, ``cloud_load``: PoseStamped at
100 Hz through the bridge alone, then while 1,000,000-point clouds stream at 10 Hz: how
much the clouds delay the poses. ``cloud_main.py`` publishes the clouds, numbered in
their bounding box (see there); the poses come from ``ros_main.py``.
"""

import asyncio
import sys
from typing import Any

import harness
from harness import CpuSampler, Process
from ros_scenarios import (_check_impls, _latencies_ms, _latency_figures, _read_json,
                           _repeat, _rows, _setup, _setup_row, BridgeClient, POSE_TOPIC, Rig,
                           ros_unavailable, TRANSPORTS)
from scenario import Context, medians, Result, scenario

CLOUD_MAIN = harness.BENCH_DIR / 'cloud_main.py'
CLOUD_TOPIC = '/bench/cloud'
CLOUD_KEY = f'point_cloud:{CLOUD_TOPIC}'
POSE_KEY = f'pose:{POSE_TOPIC}'
RATE = 10.0
CLOUD_POINTS = 300_000
BIG_CLOUD_POINTS = 1_000_000


def _cloud_role(rig: Rig, role: str, *args: Any) -> tuple[Process, Any]:
    """Start ``cloud_main.py ROLE ARGS``; return it and the JSON file it will write."""
    out = rig.dir / f'{rig.label}-cloud-{role}-{len(rig.processes)}.json'
    out.unlink(missing_ok=True)
    return rig._spawn(f'cloud-{role}', [sys.executable, str(CLOUD_MAIN), role,
                                        *map(str, args), '--out', str(out)]), out


async def _run_cloud_role(rig: Rig, role: str, *args: Any, timeout: float) -> dict:
    """Run a cloud_main role to its end and return what it wrote."""
    process, out = _cloud_role(rig, role, *args)
    status = await process.wait(timeout)
    if status != 0 or not out.exists():
        raise RuntimeError(f'cloud_main {role} exited with {status}:\n{process.log_tail()}')
    return _read_json(out)


def _stage_ms(converted: dict) -> dict:
    """Median milliseconds of each stage of a cloud_main convert result."""
    def ms(name: str) -> float:
        return 1000.0 * harness.median(converted[name])
    return {'deserialize_ms': ms('deserialize_seconds'), 'convert_ms': ms('convert_seconds'),
            'convert_wall_ms': ms('convert_wall_seconds'), 'draw_ms': ms('draw_seconds'),
            'element_bytes_per_point': converted['element_bytes'] / converted['count']}


async def _bare_floor(rig: Rig, window: float) -> dict:
    """Publish the clouds to a bare rclpy subscriber: publish -> callback latency."""
    subscriber, out = _cloud_role(rig, 'bare', '--topic', CLOUD_TOPIC, '--seconds', 120)
    await subscriber.wait_for_line('^ready', 60)
    published = await _run_cloud_role(rig, 'publish', '--topic', CLOUD_TOPIC, '--count',
                                      CLOUD_POINTS, '--phases', f'{RATE:g}:{window:.3f}',
                                      timeout=window + 90)
    await subscriber.wait(30)   # it stops a second after the last cloud
    arrivals = [(seq, received, 0) for seq, received in _read_json(out)['arrivals']]
    (phase,) = published['phases']
    latencies, _seen = _latencies_ms(phase, arrivals)
    return _latency_figures(latencies, phase)


STAGE_ROWS = [
    ('rclpy deserialization (executor thread)', 'ms', 'deserialize_ms', 'lower'),
    ('conversion (worker thread) CPU', 'ms', 'convert_ms', 'lower'),
    ('conversion (worker thread) wall', 'ms', 'convert_wall_ms', 'lower'),
    ('drawing: scene, validation, packing (loop)', 'ms', 'draw_ms', 'lower'),
    ('element bytes per point sent (target <= 9)', 'bytes', 'element_bytes_per_point',
     'lower'),
]


@scenario('point_cloud', 14, 'PointCloud2 of 300,000 xyzrgb points at 10 Hz: latency, CPU; '
                             'CPU per cloud by stage', unavailable=ros_unavailable)
async def point_cloud(ctx: Context) -> Result:
    """
    Time the bridge's stages on one cloud in process, then stream 300,000-point clouds.

    In process (CPU time of each thread's work): 300,000 points, and 1,000,000 points
    (over the default budget of 500,000: thinned to it). Over the wire: the cloud is
    serialized beforehand, as a C++ driver does, and published at 10 Hz; the client reads
    each cloud's number back from its position. The same clouds to a bare rclpy
    subscriber give the floor: what ROS (DDS) alone takes to deliver them.
    """
    _check_impls(ctx)
    window = ctx.seconds(8.0, 3.0)
    repeats = max(3, round(ctx.seconds(8, 3)))

    async def streamed(transport: str, profile: Any) -> dict[str, dict]:
        """Measure the ROS floor, then the bridge, publisher and subscribers on one transport."""
        async with Rig(ctx, 'point_cloud', profile) as rig:
            floor = await _bare_floor(rig, window)
            bridge, url = await rig.bridge(point_cloud_topics=[CLOUD_TOPIC])
            async with BridgeClient(url, CLOUD_KEY, CLOUD_KEY) as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                published = await _run_cloud_role(
                    rig, 'publish', '--topic', CLOUD_TOPIC, '--count', CLOUD_POINTS,
                    '--phases', f'{RATE:g}:{window:.3f}', timeout=window + 90)
                await asyncio.sleep(0.5)   # the last ones in flight
                await cpu.stop()
            setup = await _setup(ctx, bridge)
        (phase,) = published['phases']
        latencies, seen = _latencies_ms(phase, client.arrivals)
        sizes = [size for _seq, _t, size in client.arrivals]
        return {
            f'bare rclpy, {transport} (ROS floor)': floor,
            f'bridge, {transport}': {
                **_latency_figures(latencies, phase), 'sent': phase['count'],
                'delivered_pct': 100.0 * len(seen) / phase['count'],
                'wire_bytes_per_point': (harness.median(sizes) or 0) / CLOUD_POINTS,
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended']),
                'setup': setup}}

    async def measure() -> dict[str, dict]:
        figures = {}
        async with Rig(ctx, 'point_cloud') as rig:
            for count in (CLOUD_POINTS, BIG_CLOUD_POINTS):
                converted = await _run_cloud_role(rig, 'convert', '--count', count,
                                                  '--repeats', repeats, timeout=180)
                figures[f'in process, {count:,} points'] = _stage_ms(converted)
        for transport, profile in TRANSPORTS.items():
            figures.update(await streamed(transport, profile))
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    default_case = f'bridge, {next(iter(TRANSPORTS))}'
    rows = [_setup_row(by_case[default_case]['setup'])]
    for case, values in by_case.items():
        if case.startswith('in process'):
            rows += _rows(case, values, STAGE_ROWS)
        elif case.startswith('bare'):
            rows += _rows(case, values, [
                ('publish -> callback p50', 'ms', 'latency_p50_ms', 'lower'),
                ('publish -> callback p99', 'ms', 'latency_p99_ms', 'lower')])
        else:
            rows += _rows(case, values, [   # the table marks the target met or missed
                (f'{CLOUD_POINTS:,} points at {RATE:g} Hz: latency p50 (target < 50)', 'ms',
                 'latency_p50_ms', 'lower'),
                ('latency p99', 'ms', 'latency_p99_ms', 'lower'),
                ('of which the publisher in publish()', 'ms', 'publish_call_ms'),
                ('delivered / sent (newest-wins)', '%', 'delivered_pct', 'higher'),
                ('frame bytes per point (the frame around it included)', 'bytes',
                 'wire_bytes_per_point', 'lower'),
                ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower'),
            ])
    return Result(
        params={'points': CLOUD_POINTS, 'rate_hz': RATE, 'window_s': window,
                'in_process_repeats': repeats, 'ros': by_case[default_case]['setup']},
        rows=rows, runs=runs,
        series={'ros_latency': {
            f'PointCloud2 {CLOUD_POINTS:,} points at {RATE:g} Hz via {case}':
                harness.cdf(values['curve_ms'])
            for case, values in by_case.items() if case.startswith('bridge')}},
        notes=['point_cloud: latency = client receive wall time - publisher wall time just '
               'before publish(); 16 bytes a point in ROS, 9 on the wire (float16 x, y, z, '
               'uint8 r, g, b)',
               "point_cloud: streamed twice, on Fast DDS's defaults (a message over 512 KB "
               'crosses loopback UDP in fragments) and with config/fastdds_large_messages.xml '
               'given to the publisher, the bare subscriber and the bridge (shared memory)'])


@scenario('cloud_load', 15, 'PoseStamped at 100 Hz alone and while 1,000,000-point clouds '
                            'stream at 10 Hz: pose latency', unavailable=ros_unavailable)
async def cloud_load(ctx: Context) -> Result:
    """
    Measure what streaming big clouds costs the other topics: pose latency with and without.

    One bridge shows both topics (every pose drawn: ``max_rate:=0``; clouds up to
    1,000,000 points, so nothing is thinned). Poses at 100 Hz first alone, then while the
    clouds stream; each phase has a client of its own, since both number from 1.
    """
    _check_impls(ctx)
    window = ctx.seconds(6.0, 3.0)

    async def poses(rig: Rig, url: str, cpu: CpuSampler) -> dict:
        async with BridgeClient(url, POSE_KEY, POSE_KEY) as client:
            published = await rig.run_role('publish', '--kind', 'pose', '--topic', POSE_TOPIC,
                                           '--phases', f'100:{window:.3f}',
                                           timeout=window + 60)
            await asyncio.sleep(0.3)
        (phase,) = published['phases']
        latencies, seen = _latencies_ms(phase, client.arrivals)
        return {**_latency_figures(latencies, phase),
                'delivered_pct': 100.0 * len(seen) / phase['count'],
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended'])}

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'cloud_load') as rig:
            bridge, url = await rig.bridge(
                point_cloud_topics=[CLOUD_TOPIC], pose_topics=[POSE_TOPIC], max_rate=0.0,
                point_cloud_max_points=BIG_CLOUD_POINTS)
            cpu = CpuSampler({'bridge': bridge.pid})
            alone = await poses(rig, url, cpu)
            clouds, _ = _cloud_role(rig, 'publish', '--topic', CLOUD_TOPIC, '--count',
                                    BIG_CLOUD_POINTS, '--phases', f'{RATE:g}:{window + 3:.3f}')
            await clouds.wait_for_line('^publishing', 60)
            await asyncio.sleep(1.0)   # clouds flowing before the poses start
            loaded = await poses(rig, url, cpu)
            await clouds.wait(window + 60)
            await cpu.stop()
            setup = await _setup(ctx, bridge)
        return {'poses alone': {**alone, 'setup': setup},
                f'poses while {BIG_CLOUD_POINTS:,}-point clouds stream': loaded}

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    rows = [_setup_row(by_case['poses alone']['setup'])]
    for case, values in by_case.items():
        rows += _rows(case, values, [
            ('pose latency p50', 'ms', 'latency_p50_ms', 'lower'),
            ('pose latency p99', 'ms', 'latency_p99_ms', 'lower'),
            ('pose latency max', 'ms', 'latency_max_ms', 'lower'),
            ('poses delivered / sent', '%', 'delivered_pct', 'higher'),
            ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower')])
    return Result(
        params={'pose_rate_hz': 100.0, 'cloud_points': BIG_CLOUD_POINTS, 'cloud_rate_hz': RATE,
                'window_s': window},
        rows=rows, runs=runs,
        series={'ros_latency': {f'PoseStamped 100 Hz, {case}': harness.cdf(values['curve_ms'])
                                for case, values in by_case.items()}},
        notes=['cloud_load: clouds are converted on a worker thread, so the loop keeps '
               'drawing poses; what remains is the GIL and sending 9 MB frames'])
