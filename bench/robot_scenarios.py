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
Robot model scenarios (issue #8): joint states to frames (18), the model to a new tab (19).

Both run the bridge node in its own process on a ROS domain of their own, as the other
ROS scenarios do (``ros_scenarios.Rig``); the publishers are ``robot_main.py`` roles.
Targets, set here since the issue names none: with the default ``robot_update_rate``
(60 Hz per robot), joint state to frame p50 < 20 ms and p99 < 50 ms (the rate's period
plus the bridge), at most 4 KiB on the wire per update of a 30-joint arm, and a new tab
holding the model with every mesh fetched within 1 s.
"""

import asyncio
from pathlib import Path
import shutil
import sys
import time
from typing import Any

import aiohttp
import harness
from harness import CpuSampler
from ros_scenarios import (_check_impls, _latencies_ms, _latency_figures, _load, _read_json,
                           _repeat, _rows, _setup, _setup_row, BridgeClient, Rig,
                           ros_unavailable)
from scenario import Context, medians, Result, scenario

ROBOT_MAIN = harness.BENCH_DIR / 'robot_main.py'
TEST_ROBOT = harness.REPO / 'test' / 'robot'
DESCRIPTION_TOPIC = '/bench/robot_description'
JOINTS_TOPIC = '/bench/joint_states'
#: The group of the link the sequence number moves (robot_main.SEQ_LINK).
SEQ_GROUP = f'{DESCRIPTION_TOPIC}@link_0'
JOINTS = 30
RATES = (100.0, 1000.0)


async def _role(rig: Rig, role: str, *args: Any) -> tuple[Any, Path]:
    """Start ``robot_main.py ROLE ARGS`` in the rig; return it and its JSON file."""
    out = rig.dir / f'{rig.label}-{role}-{len(rig.processes)}.json'
    out.unlink(missing_ok=True)
    process = rig._spawn(role, [sys.executable, str(ROBOT_MAIN), role, *map(str, args),
                                '--out', str(out)])
    return process, out


async def _finished(process: Any, out: Path, timeout: float) -> dict:
    status = await process.wait(timeout)
    if status != 0 or not out.exists():
        raise RuntimeError(f'robot_main exited with {status}:\n{process.log_tail()}')
    return _read_json(out)


@scenario('robot_joints', 18, 'Robot model: 30-joint JointState at 100 Hz and 1 kHz to link '
          'frames; bytes per update, both wire forms',
          unavailable=ros_unavailable)
async def robot_joints(ctx: Context) -> Result:
    """
    Publish a 30-joint arm's joint states at 100 Hz, then 1 kHz; time them to the client.

    The first joint is prismatic along x and carries the sequence number, so the client
    reads it back from its link's frame group; the bridge runs forward kinematics with
    its defaults (robot_update_rate 60 Hz: newer states replace waiting ones). Bytes per
    update are over the wire, robot frames only (frame_axes 0); in process, both wire
    forms are measured for the same update (per-link groups with and without the TF
    display's axes, and the client's Urdf element patched with jointValues).
    """
    _check_impls(ctx)
    phases = {rate: ctx.seconds(5.0, 2.0) for rate in RATES}
    load = [_load()]

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'robot_joints') as rig:
            process, out = await _role(rig, 'wireform', '--joints', JOINTS)
            wireform = await _finished(process, out, 120)
            bridge, url = await rig.bridge(
                robot_description_topics=[DESCRIPTION_TOPIC], joint_state_topics=[JOINTS_TOPIC],
                fixed_frame='bench_base', frame_axes=0.0, auto_topics=False)
            async with BridgeClient(url, DESCRIPTION_TOPIC + '@', SEQ_GROUP) as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                process, out = await _role(rig, 'joints', '--joints', JOINTS, '--phases', *(
                    f'{rate:g}:{seconds:.3f}' for rate, seconds in phases.items()))
                published = await _finished(process, out, sum(phases.values()) + 90)
                await asyncio.sleep(0.3)
                await cpu.stop()
            setup = await _setup(ctx, bridge)
        figures = {}
        for phase in published['phases']:
            latencies, seen = _latencies_ms(phase, client.arrivals)
            updates = max(1, len(client.arrivals))
            figures[f'{phase["rate"]:g} Hz'] = {
                **_latency_figures(latencies, phase), 'sent': phase['count'],
                'updates_per_s': len(seen) / (phase['ended'] - phase['started']),
                'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended']),
                'bytes_per_update': client.carrying_bytes / updates}
        figures['100 Hz'].update(setup=setup, **wireform)
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    load.append(_load())
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    rows = [_setup_row(by_case['100 Hz']['setup'])]
    for case, values in by_case.items():
        rows += _rows(case, values, [
            ('joint state -> frame p50 (target < 20)', 'ms', 'latency_p50_ms', 'lower'),
            ('joint state -> frame p99 (target < 50)', 'ms', 'latency_p99_ms', 'lower'),
            ('joint state -> frame max', 'ms', 'latency_max_ms', 'lower'),
            ('updates drawn per second (robot_update_rate 60)', 'Hz', 'updates_per_s'),
            ('joint states sent', 'count', 'sent'),
            ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower'),
        ])
    rows += _rows('100 Hz', by_case['100 Hz'], [
        ('bytes per update over the wire (target <= 4,096)', 'bytes', 'bytes_per_update',
         'lower'),
        ('in process: per-link frame groups (the chosen form)', 'bytes', 'per_link_bytes'),
        ('in process: per-link frame groups with frame_axes 0.3', 'bytes',
         'per_link_with_axes_bytes'),
        ('in process: Urdf element, jointValues patch', 'bytes', 'urdf_joint_values_bytes'),
    ])
    return Result(
        params={'joints': JOINTS, 'phases_s': {f'{rate:g} Hz': s for rate, s in phases.items()},
                'bridge_params': {'frame_axes': 0.0, 'robot_update_rate': 60.0},
                'loadavg': load},
        rows=rows, runs=runs,
        series={'ros_latency': {f'JointState x {JOINTS} at {case}, link frame via bridge':
                                harness.cdf(values['curve_ms'])
                                for case, values in by_case.items()}},
        notes=['robot_joints: latency = publish of a JointState to the arrival of the frame '
               'group of the link its first (prismatic) joint moves, the sequence number in '
               'x; states are merged per robot at robot_update_rate, so most are replaced '
               'by newer ones before they are drawn (by design)',
               'robot_joints: the Urdf element form is smaller but the client replaces every '
               'URDF material with its own grey and has no link groups: not chosen (see '
               'README, Robot model)'])


def _ament_prefix(root: Path) -> Path:
    """Install the test arm's package (test/robot) in an ament prefix at ``root``."""
    index = root / 'share' / 'ament_index' / 'resource_index' / 'packages'
    index.mkdir(parents=True, exist_ok=True)
    (index / 'vuer_test_arm').write_text('')
    shutil.copytree(TEST_ROBOT / 'meshes', root / 'share' / 'vuer_test_arm' / 'meshes',
                    dirs_exist_ok=True)
    return root


async def _new_tab(url: str, http_base: str) -> dict:
    """Connect as a new tab; time the scene with the robot, then every mesh and texture."""
    import msgpack
    from clients import WireClient
    started = time.monotonic()
    client = WireClient(url)
    await client.connect()
    try:
        def robot_elements() -> list:
            return [node for key, node in client.upserted().items()
                    if key.startswith(DESCRIPTION_TOPIC + ':') and 'src' in node]
        await harness.wait_until(lambda: len(robot_elements()) >= 4, 10,
                                 'the robot did not reach the new tab', period=0.002)
        scene_ms = (time.monotonic() - started) * 1e3
        scene_bytes = sum(len(msgpack.packb(frame)) for frame in client.frames)
        sources = sorted({node['src'] for node in robot_elements()})
        sources.append(next(s for s in sources if s.endswith('.dae')).replace(
            'visual/forearm.dae', 'textures/green.png'))
        sources.append(next(s for s in sources if s.endswith('.obj')).replace('.obj', '.mtl'))
        mesh_bytes = 0
        async with aiohttp.ClientSession() as http:
            for src in sources:
                async with http.get(http_base + src) as response:
                    response.raise_for_status()
                    mesh_bytes += len(await response.read())
        return {'scene_ms': scene_ms, 'total_ms': (time.monotonic() - started) * 1e3,
                'scene_bytes': scene_bytes, 'mesh_bytes': mesh_bytes, 'files': len(sources)}
    finally:
        await client.close()


@scenario('robot_model', 19, 'Robot model: a described arm with meshes sent to a new tab',
          unavailable=ros_unavailable)
async def robot_model(ctx: Context) -> Result:
    """
    Time a new tab from connecting to holding the robot, then to every mesh it names.

    The test arm (binary and ASCII STL, DAE with its texture, OBJ with its MTL, primitives)
    is installed in an ament prefix and published latched; the bridge serves its
    ``package://`` meshes. Each new tab connects, waits for the robot's elements in the
    scene it is sent, then fetches every mesh, the texture and the MTL as the client does.
    """
    _check_impls(ctx)
    tabs = ctx.repeat_count(10, 5)
    load = [_load()]

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'robot_model') as rig:
            rig.env['AMENT_PREFIX_PATH'] = str(_ament_prefix(rig.dir / 'robot_prefix'))
            process, _ = await _role(rig, 'describe', '--file', TEST_ROBOT / 'arm.urdf')
            await process.wait_for_line('^published', 60)
            bridge, url = await rig.bridge(robot_description_topics=[DESCRIPTION_TOPIC],
                                           fixed_frame='base_link', auto_topics=False)
            http_base = url.replace('ws://', 'http://').rstrip('/')
            await _new_tab(url, http_base)   # the bridge got the description
            samples = [await _new_tab(url, http_base) for _ in range(tabs)]
            setup = await _setup(ctx, bridge)
        figures = {name: harness.median(sample[name] for sample in samples)
                   for name in samples[0]}
        return {'new tab': {**figures, 'setup': setup}}

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    load.append(_load())
    values = medians(runs)['new tab'][harness.OURS]
    rows = [_setup_row(values['setup'])]
    rows += _rows('new tab', values, [
        ('connect -> robot in the scene', 'ms', 'scene_ms', 'lower'),
        ('connect -> robot and every mesh fetched (target < 1,000)', 'ms', 'total_ms',
         'lower'),
        ('scene bytes sent (whole scene)', 'bytes', 'scene_bytes'),
        ('mesh, texture and MTL bytes', 'bytes', 'mesh_bytes'),
        ('files fetched', 'count', 'files'),
    ])
    return Result(params={'tabs_per_repeat': tabs, 'robot': 'test/robot/arm.urdf',
                          'loadavg': load},
                  rows=rows, runs=runs,
                  notes=['robot_model: the client fetches meshes in parallel; here they are '
                         'fetched one after another, an upper bound of its load time'])
