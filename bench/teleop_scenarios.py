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
Benchmark 20, teleoperation: operator input -> ROS while the scene streams the other way.

Two sessions (browser tabs, as the wire client) send HAND_MOVE at 90 Hz, shaped as the
vuer 0.1.6 client sends it (25 joint matrices a hand), to a bridge with ``teleop`` on and
``teleop_sessions: each``; a bare rclpy subscriber (``teleop_main.py``) gets every
session's ``hands/left`` PoseArray. Each event carries its sequence number in the wrist's
x, so latency is subscriber receive time - client send time (one clock: one machine).
Meanwhile PoseStamped flows ROS -> viewer at 1 kHz, the top rate of scenario 3; its
latency is measured alone first, then with the hands load, as scenario 3 measures it.
"""

import asyncio
import json
import sys
import time
from typing import Any

from clients import WireClient
import harness
from ros_scenarios import (_latencies_ms, _latency_figures, _repeat, _rows, _setup,
                           _setup_row, BridgeClient, Rig, ros_unavailable)
from scenario import Context, medians, Result, scenario

from vuer_ros.convert import teleop as convert

POSE_TOPIC = '/bench/pose'
SCENE_RATE = 1000.0
HANDS_RATE = 90.0
SESSIONS = 2
HANDS_PREFIX = '/vuer_bridge/hands/left/session_'
TELEOP_MAIN = harness.BENCH_DIR / 'teleop_main.py'
#: Seconds of hands before the measured window: the listener finds and matches the topics.
WARMUP = 2.0


def _hands_value() -> dict:
    """One HAND_MOVE value: a flat left hand, joints 1 cm apart, 1 m up."""
    joints = [convert.Pose((0.0, 0.0, 1.0 + i / 100), (0.0, 0.0, 0.0, 1.0)) for i in range(25)]
    return convert.hand_payload(left=joints)


async def _send_hands(client: WireClient, stop: asyncio.Event, sent: dict[int, int],
                      first_seq: int) -> None:
    """Send HAND_MOVE at HANDS_RATE until ``stop``; note each seq's send time (ns)."""
    value = _hands_value()
    period = 1.0 / HANDS_RATE
    loop = asyncio.get_running_loop()
    start = loop.time()
    seq = first_seq
    while not stop.is_set():
        value['left'][12] = float(seq)     # the wrist's x, in the viewer and in ROS
        sent[seq] = time.time_ns()
        await client.send('HAND_MOVE', value, key='hands')
        seq += 1
        await asyncio.sleep(max(0.0, start + (seq - first_seq) * period - loop.time()))


def _scene_figures(published: dict, scene: BridgeClient) -> dict:
    (phase,) = published['phases']
    latencies, seen = _latencies_ms(phase, scene.arrivals)
    return {**_latency_figures(latencies, phase),
            'delivered_pct': 100.0 * len(seen) / max(1, phase['count'])}


@scenario('teleop', 20, 'Teleop: 90 Hz hands from 2 sessions -> ROS, scene streaming back',
          unavailable=ros_unavailable)
async def teleop(ctx: Context) -> Result:
    """Measure hands -> ROS latency, and the scene's latency without and with that load."""
    seconds = ctx.seconds(8.0, 3.0)
    publish = ['--kind', 'pose', '--topic', POSE_TOPIC, '--phases',
               f'{SCENE_RATE:g}:{seconds:.3f}']

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'teleop') as rig:
            bridge, url = await rig.bridge(
                pose_topics=[POSE_TOPIC], max_rate=0.0, auto_topics=False, teleop=True,
                teleop_sessions='each', teleop_max_rate=1000.0, teleop_timeout=2.0)
            async with BridgeClient(url, f'pose:{POSE_TOPIC}', f'pose:{POSE_TOPIC}') as scene:
                alone = await rig.run_role(*['publish', *publish], timeout=seconds + 60)
                alone_figures = _scene_figures(alone, scene)
                scene.arrivals.clear()
                out = rig.dir / f'teleop-listen-{len(rig.processes)}.json'
                listener = rig._spawn('listen', [
                    sys.executable, str(TELEOP_MAIN), '--prefix', HANDS_PREFIX,
                    '--out', str(out)])
                await listener.wait_for_line('^ready', 60)
                senders = [await WireClient(url).connect() for _ in range(SESSIONS)]
                sent: dict[int, int] = {}
                stop = asyncio.Event()
                sending = [asyncio.ensure_future(_send_hands(
                    client, stop, sent, 50_000 * i))   # under MAX_COORDINATE
                    for i, client in enumerate(senders)]
                await asyncio.sleep(WARMUP)
                cpu = harness.CpuSampler({'bridge': bridge.pid})
                loaded = await rig.run_role(*['publish', *publish], timeout=seconds + 60)
                await cpu.stop()
                await asyncio.sleep(0.5)   # the last ones in flight
                stop.set()
                await asyncio.gather(*sending)
                loaded_figures = _scene_figures(loaded, scene)
                for client in senders:
                    await client.close()
                await listener.stop()
                if not out.exists():
                    raise RuntimeError(f'listener failed:\n{listener.log_tail()}')
                heard = json.loads(out.read_text())
        (phase,) = loaded['phases']
        window = (phase['started'] * 1e9, phase['ended'] * 1e9)
        latencies = [(received - sent[seq]) / 1e6 for _topic, seq, received in heard['arrivals']
                     if seq in sent and window[0] <= sent[seq] <= window[1]]
        in_window = sum(window[0] <= t <= window[1] for t in sent.values())
        p50, p99, worst = harness.percentiles(latencies, (50, 99, 100))
        return {
            'hands -> ROS': {
                'latency_p50_ms': p50, 'latency_p99_ms': p99, 'latency_max_ms': worst,
                'delivered_pct': 100.0 * len(latencies) / max(1, in_window),
                'sessions': len(heard['topics']),
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended']),
                'curve_ms': harness.percentiles(latencies, harness.CURVE_PERCENTILES),
                'setup': await _setup(ctx, bridge)},
            'scene 1 kHz, no input': alone_figures,
            'scene 1 kHz, with hands': loaded_figures,
        }

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    hands = by_case['hands -> ROS']
    rows = [_setup_row(hands['setup'])]
    rows += _rows('hands -> ROS', hands, [
        ('latency p50', 'ms', 'latency_p50_ms', 'lower'),
        ('latency p99', 'ms', 'latency_p99_ms', 'lower'),
        ('latency max', 'ms', 'latency_max_ms', 'lower'),
        ('delivered / sent', '%', 'delivered_pct', 'higher'),
        ('sessions heard', 'count', 'sessions'),
        ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower')])
    for case in ('scene 1 kHz, no input', 'scene 1 kHz, with hands'):
        rows += _rows(case, by_case[case], [
            ('latency p50', 'ms', 'latency_p50_ms', 'lower'),
            ('latency p99', 'ms', 'latency_p99_ms', 'lower'),
            ('delivered / sent', '%', 'delivered_pct', 'higher')])
    curves: dict[str, Any] = {
        'HAND_MOVE 2 x 90 Hz -> ROS subscriber': harness.cdf(hands['curve_ms']),
        **{f'PoseStamped {case}': harness.cdf(by_case[case]['curve_ms'])
           for case in ('scene 1 kHz, no input', 'scene 1 kHz, with hands')}}
    return Result(
        params={'sessions': SESSIONS, 'hands_hz': HANDS_RATE, 'scene_hz': SCENE_RATE,
                'window_s': seconds, 'bridge_params': {'teleop': True,
                                                       'teleop_sessions': 'each'}},
        rows=rows, runs=runs, series={'ros_latency': curves},
        notes=['hands latency = rclpy subscriber receive wall time - wire client send wall '
               'time; the scene pose is latest-wins, so delivered < 100% at 1 kHz is '
               'coalescing, as in scenario 3'])
