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
Websocket server scenarios (issue #4: 1, 2, 6, 7), vuer_ros beside the reference vuer.

The clients run in this (the runner's) process; each server runs in its own subprocess,
so the CPU and memory figures are the server's alone.
"""

import asyncio
import functools
import time

from clients import close_all, connect_all, CountingClient, SlowClient
import harness
from harness import CpuWindow, CURVE_PERCENTILES, ServerProcess
from scenario import Context, medians, Result, Row, row, scenario, side_by_side

#: Keys the broadcast workloads upsert; their element keys all start with 'k'.
BROADCAST_PREFIX = 'k'


def _cpu_resolution(window: float) -> float:
    """One clock tick over the window, in percent of a core."""
    return 100.0 * harness.CPU_RESOLUTION / window


async def _wait_for_updates(clients: list[CountingClient], timeout: float) -> None:
    """Return once every client has received an update (the workload has started)."""
    await harness.wait_until(lambda: all(client.updates for client in clients), timeout,
                             'not every client got an update', period=0.02)


def _ms(values_us: list) -> list:
    return [None if value is None else round(value / 1000.0, 3) for value in values_us]


# -- 1. idle ---------------------------------------------------------------------------

@scenario('idle', 1, 'Idle: server CPU with 10 connected clients and no traffic')
async def idle(ctx: Context) -> Result:
    """Ten clients sent INIT and wait; the server should cost nothing."""
    clients, window = 10, ctx.seconds(10.0, 3.0)

    async def measure(impl: str) -> dict:
        async with ServerProcess(impl, 'idle', ctx.work_dir) as server:
            peers = [CountingClient(server.url, BROADCAST_PREFIX) for _ in range(clients)]
            try:
                await connect_all(peers)
                await asyncio.sleep(min(1.0, window / 3))  # handlers started, logs written
                cpu = CpuWindow(server.pid).start()
                await asyncio.sleep(window)
                cpu.stop()
                return {'cpu_pct': cpu.percent, 'cpu_s': cpu.cpu, 'window_s': cpu.wall,
                        'rss_mb': harness.rss_mb(server.pid)}
            finally:
                await close_all(peers)

    case = f'{clients} clients'
    runs = await side_by_side(ctx, {case: {}}, ctx.repeat_count(3), measure)
    by_impl = medians(runs)[case]
    return Result(
        params={'clients': clients, 'window_s': window},
        rows=[row(case, 'server CPU', '% core', by_impl, 'cpu_pct', better='lower',
                  resolution=_cpu_resolution(window)),
              row(case, 'server RSS', 'MiB', by_impl, 'rss_mb')],
        runs=runs)


# -- 2. seed ---------------------------------------------------------------------------

@scenario('seed', 2, "Seed workload: the seed example's per-session loop, CPU per update")
async def seed(ctx: Context) -> Result:
    """
    Every client gets its own session looping upserts of 'animated-box' every 50 ms.

    The CPU window runs from just before the clients connect until every session has
    ended (the handler returned and the server closed the socket), so session setup and
    teardown are in it, as they are in the seed.
    """
    period = 0.05
    iterations = max(10, round(ctx.seconds(10.0, 6.0) / period))

    async def measure(impl: str, clients: int) -> dict:
        async with ServerProcess(impl, 'seed', ctx.work_dir, iterations=iterations) as server:
            peers = [CountingClient(server.url, 'animated-box') for _ in range(clients)]
            try:
                cpu = CpuWindow(server.pid).start()
                await connect_all(peers)
                await asyncio.gather(*(peer.wait_closed(iterations * period * 4 + 15)
                                       for peer in peers))
                cpu.stop()
            finally:
                await close_all(peers)
        updates = sum(peer.updates for peer in peers)
        return {'cpu_s': cpu.cpu, 'window_s': cpu.wall, 'cpu_pct': cpu.percent,
                'updates': updates, 'expected': clients * iterations,
                'cpu_ms_per_update': 1000.0 * cpu.cpu / updates if updates else None}

    cases = {f'{count} client{"s" if count > 1 else ""}': {'clients': count}
             for count in (1, 10)}
    runs = await side_by_side(ctx, cases, ctx.repeat_count(3), measure)
    rows = []
    for case, by_impl in medians(runs).items():
        window = min(values['window_s'] for values in by_impl.values())
        updates = min(values['updates'] for values in by_impl.values()) or 1
        rows += [
            row(case, 'server CPU per delivered update', 'ms', by_impl, 'cpu_ms_per_update',
                better='lower', target=20.0,
                resolution=1000.0 * harness.CPU_RESOLUTION / updates),
            row(case, 'server CPU', '% core', by_impl, 'cpu_pct', better='lower',
                resolution=_cpu_resolution(window)),
            row(case, 'updates delivered', 'count', by_impl, 'updates'),
        ]
    return Result(params={'iterations': iterations, 'period_s': period}, rows=rows, runs=runs)


# -- 6. fan-out ------------------------------------------------------------------------

@scenario('fanout', 6, 'Fan-out: shared-scene upserts to 1, 10, 50 clients')
async def fanout(ctx: Context) -> Result:
    """Upsert ``keys`` boxes at ``rate`` Hz from a server task; every client should get them."""
    keys, rate = 20, 60.0
    window = ctx.seconds(8.0, 3.0)
    settle = 0.5

    async def measure(impl: str, clients: int) -> dict:
        async with ServerProcess(impl, 'broadcast', ctx.work_dir, clients=clients, keys=keys,
                                 rate=rate, duration=window + 15) as server:
            peers = [CountingClient(server.url, BROADCAST_PREFIX) for _ in range(clients)]
            try:
                await connect_all(peers)
                await _wait_for_updates(peers, 15)
                await asyncio.sleep(settle)
                for peer in peers:
                    peer.reset()
                own = time.process_time()
                cpu = CpuWindow(server.pid).start()
                await asyncio.sleep(window)
                cpu.stop()
                own = time.process_time() - own
                counts = [peer.updates for peer in peers]
                latencies = [value for peer in peers for value in peer.latencies_us]
            finally:
                await close_all(peers)
        p50, p99 = _ms(harness.percentiles(latencies, (50, 99)))
        return {
            'per_client_updates_s': sum(counts) / len(counts) / cpu.wall,
            'min_client_updates_s': min(counts) / cpu.wall,
            'total_updates_s': sum(counts) / cpu.wall,
            'offered_updates_s': keys * rate,
            'cpu_pct': cpu.percent,
            'cpu_us_per_update': 1e6 * cpu.cpu / sum(counts) if sum(counts) else None,
            'latency_p50_ms': p50, 'latency_p99_ms': p99,
            'client_process_cpu_pct': 100.0 * own / cpu.wall,
            'curve_ms': _ms(harness.percentiles(latencies, CURVE_PERCENTILES)),
        }

    cases = {f'{count} client{"s" if count > 1 else ""}': {'clients': count}
             for count in (1, 10, 50)}
    runs = await side_by_side(ctx, cases, ctx.repeat_count(3), measure)
    rows, curves = [], {}
    for case, by_impl in medians(runs).items():
        rows += [
            row(case, 'updates/s per client', f'of {keys * rate:.0f}', by_impl,
                'per_client_updates_s', better='higher'),
            row(case, 'updates/s total', '1/s', by_impl, 'total_updates_s', better='higher'),
            row(case, 'server CPU' + (' (target < 10)' if case == '50 clients' else ''),
                '% core', by_impl, 'cpu_pct', better='lower',
                resolution=_cpu_resolution(window)),
            row(case, 'server CPU per delivered update', 'us', by_impl, 'cpu_us_per_update',
                better='lower'),
            row(case, 'latency p50', 'ms', by_impl, 'latency_p50_ms', better='lower'),
            row(case, 'latency p99', 'ms', by_impl, 'latency_p99_ms', better='lower'),
            row(case, 'client process CPU', '% core', by_impl, 'client_process_cpu_pct'),
        ]
        curves.update({f'fanout {impl} {case}': harness.cdf(values['curve_ms'])
                       for impl, values in by_impl.items()})
    return Result(
        params={'keys': keys, 'rate_hz': rate, 'window_s': window,
                'publish': {harness.OURS: 'app.upsert @ boxes (shared scene)',
                            harness.REFERENCE: 'session.upsert @ boxes on every session '
                                               '(vuer has no shared scene)'}},
        rows=rows, runs=runs, series={'latency': curves},
        notes=['client process CPU near 100% means the clients, not the server, '
               'limited the delivered rate'])


# -- 7. slow client --------------------------------------------------------------------

@scenario('slow', 7, 'Slow client: one client reading 1 frame/s beside five 60 Hz clients')
async def slow(ctx: Context) -> Result:
    """
    Five clients read 60 Hz updates of 20 keys; a sixth reads one frame per second.

    Measured with and without the slow one: server RSS over time, the normal clients'
    latency (receive time minus the ``t`` the server put in at upsert time) and, after
    the updates stop, whether the slow client catches up to the server's last values.
    """
    normal, keys, rate = 5, 20, 60.0
    duration = ctx.seconds(60.0, 10.0)
    drain_timeout = 30.0

    async def measure(impl: str, with_slow: bool) -> dict:
        async with ServerProcess(impl, 'broadcast', ctx.work_dir, keys=keys, rate=rate,
                                 clients=normal + with_slow, duration=duration) as server:
            peers = [CountingClient(server.url, BROADCAST_PREFIX) for _ in range(normal)]
            laggard = SlowClient(server.url, period=1.0) if with_slow else None
            try:
                await connect_all(peers + ([laggard] if laggard else []))
                await _wait_for_updates(peers, 15)
                for peer in peers:
                    peer.reset()
                rss = harness.Sampler(functools.partial(harness.rss_mb, server.pid),
                                      period=0.5).start()
                cpu = CpuWindow(server.pid).start()
                state = await server.read_state(duration + 30)
                cpu.stop()
                rss_samples = await rss.stop()
                latencies = [value for peer in peers for value in peer.latencies_us]
                updates = sum(peer.updates for peer in peers) / normal / cpu.wall
                caught_up = await laggard.drain(state['last'], drain_timeout) if laggard else {}
            finally:
                await close_all(peers + ([laggard] if laggard else []))
        p50, p99, worst = _ms(harness.percentiles(latencies, (50, 99, 100)))
        started = rss_samples[0][0]
        samples = [(round(when - started, 2), round(value, 2)) for when, value in rss_samples]
        mib = [value for _t, value in samples]
        dropped = [queue['closed_at_s'] for queue in state['queues']
                   if queue['closed_at_s'] is not None]
        return {
            'latency_p50_ms': p50, 'latency_p99_ms': p99, 'latency_max_ms': worst,
            'normal_updates_s': updates, 'cpu_pct': cpu.percent,
            'rss_start_mb': mib[0], 'rss_end_mb': mib[-1], 'rss_max_mb': max(mib),
            'rss_growth_mb': mib[-1] - mib[0],
            **{f'slow_{name}': value for name, value in caught_up.items()},
            'slow_catch_up_s': caught_up['drain_s'] if caught_up.get('ends_on_latest') else None,
            'sessions_dropped': len(dropped),
            'first_drop_s': min(dropped, default=None),
            'server_queues': state.get('queues'),
            'curve_ms': _ms(harness.percentiles(latencies, CURVE_PERCENTILES)),
            'rss_samples': samples,
        }

    cases = {'without slow client': {'with_slow': False},
             'with slow client': {'with_slow': True}}
    runs = await side_by_side(ctx, cases, ctx.repeat_count(1), measure)
    rows: list[Row] = []
    series: dict[str, dict[str, list]] = {'latency': {}, 'rss': {}}
    for case, by_impl in medians(runs).items():
        rows += [
            row(case, 'normal clients latency p50', 'ms', by_impl, 'latency_p50_ms',
                better='lower'),
            row(case, 'normal clients latency p99', 'ms', by_impl, 'latency_p99_ms',
                better='lower'),
            row(case, 'updates/s per normal client', f'of {keys * rate:.0f}', by_impl,
                'normal_updates_s', better='higher'),
            row(case, 'server CPU', '% core', by_impl, 'cpu_pct', better='lower'),
            row(case, 'server RSS growth', 'MiB', by_impl, 'rss_growth_mb'),
            row(case, 'server RSS max', 'MiB', by_impl, 'rss_max_mb'),
            row(case, 'sessions the server dropped', 'count', by_impl, 'sessions_dropped'),
        ]
        if case == 'with slow client':
            rows += [
                row(case, 'first session dropped after', 's', by_impl, 'first_drop_s'),
                row(case, 'slow client ends on latest', 'yes/no', by_impl,
                    'slow_ends_on_latest'),
                row(case, 'slow client catch-up time', 's', by_impl, 'slow_catch_up_s',
                    better='lower'),
            ]
        for impl, values in by_impl.items():
            series['latency'][f'slow {impl} {case}'] = harness.cdf(values['curve_ms'])
            series['rss'][f'{impl} {case}'] = values['rss_samples']
    return Result(
        params={'normal_clients': normal, 'keys': keys, 'rate_hz': rate,
                'duration_s': duration, 'slow_reads_per_s': 1.0,
                'drain_timeout_s': drain_timeout},
        rows=rows, runs=runs, series=series)
