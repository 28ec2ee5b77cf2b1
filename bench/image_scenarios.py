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
Benchmarks 16 and 17 (issue #9): camera images and a 4000 x 4000 map through the bridge.

16, ``images``: a CompressedImage of 1280 x 720 (JPEG, passed on undecoded) and a raw rgb8
Image of 640 x 480 (converted and JPEG-encoded by the bridge), each at 30 Hz in turn:
publish-to-frame latency p50/p99, delivered share (images are newest-wins, so a slow
bridge skips frames), bytes per frame and the bridge's CPU. 17, ``map``: a latched
OccupancyGrid of 4000 x 4000 cells: publish to the first and to the last of its 64 tiles
at the client, and the bridge's CPU meanwhile. ``image_main.py`` publishes (numbering
each message where the number survives the bridge); the client here reads the number
back: from a JPEG comment segment, from black and white blocks of the picture, or from
the tiles' height.
"""

import asyncio
import io
import json
import struct
import sys
from typing import Any, Optional

from clients import binary_frames, WireClient
import harness
from harness import CpuSampler
import msgpack
import numpy as np
from PIL import Image as PilImage
from ros_scenarios import (_latencies_ms, _latency_figures, _repeat, _rows, _setup,
                           _setup_row, Rig, ros_unavailable)
from scenario import Context, medians, Result, scenario

IMAGE_MAIN = harness.BENCH_DIR / 'image_main.py'
COMPRESSED_TOPIC, RAW_TOPIC, MAP_TOPIC = '/bench/front/compressed', '/bench/image', '/bench/map'
#: The picture's key: a CompressedImage ``T/compressed`` shows camera ``T``.
COMPRESSED_KEY = 'image:/bench/front'
RATE = 30.0
SEQ_BITS, BLOCK = 24, 16          # as image_main.py writes them
MAP_TILES = 64                    # 4000 x 4000 cells in 512 x 512 tiles


def comment_seq(jpeg: bytes) -> Optional[int]:
    """Read the number image_main.py put in the JPEG's first comment segment."""
    if jpeg[2:4] != b'\xff\xfe':
        return None
    return struct.unpack('>Q', jpeg[6:14])[0]


def block_seq(picture: bytes) -> int:
    """Read the number from the black and white blocks along the picture's top."""
    pixels = np.asarray(PilImage.open(io.BytesIO(picture)).convert('L'))
    bits = pixels[BLOCK // 2, BLOCK // 2::BLOCK][:SEQ_BITS] > 127
    return int(''.join('1' if bit else '0' for bit in bits), 2)


class PictureClient:
    """A browser-like client noting when each numbered picture or map tile arrives."""

    def __init__(self, url: str) -> None:
        self.wire = WireClient(url)
        #: key -> [(seq, receive ns, frame bytes)]
        self.arrivals: dict[str, list[tuple[int, int, int]]] = {}
        self.frames = 0

    async def __aenter__(self) -> 'PictureClient':
        """Connect, send INIT, read in the background; return once the scene came."""
        await self.wire.connect(init=True, read=False)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await harness.wait_until(lambda: self.frames, 15, 'the bridge sent no scene',
                                 period=0.02)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Close the connection."""
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.wire.close()

    async def _read(self) -> None:
        async for received, data in binary_frames(self.wire):
            self.frames += 1
            frame = msgpack.unpackb(data, raw=False)
            if frame.get('etype') != 'UPSERT':
                continue
            counted = set()    # a frame's bytes count once per key (many tiles a frame)
            for node in frame['data']['nodes']:
                seq = _seq_of(node)
                if seq is None:
                    continue
                key = node['key'].rpartition('/tile-')[0] or node['key']
                self.arrivals.setdefault(key, []).append(
                    (seq, received, 0 if key in counted else len(data)))
                counted.add(key)


def _seq_of(node: dict) -> Optional[int]:
    key = node.get('key', '')
    if key == COMPRESSED_KEY:
        return comment_seq(node['rgb'])
    if key == f'image:{RAW_TOPIC}':
        return block_seq(node['rgb'])
    if key.startswith(f'map:{MAP_TOPIC}/tile-'):
        return round(node['position'][2])
    return None


async def _publish(rig: Rig, kind: str, topic: str, phases: list[str], timeout: float) -> dict:
    """Run ``image_main.py publish`` to its end; return what it wrote."""
    out = rig.dir / f'{rig.label}-{kind}-{len(rig.processes)}.json'
    process = rig._spawn(f'publish-{kind}', [
        sys.executable, str(IMAGE_MAIN), 'publish', '--kind', kind, '--topic', topic,
        '--phases', *phases, '--out', str(out)])
    status = await process.wait(timeout)
    if status != 0 or not out.exists():
        raise RuntimeError(f'image_main publish {kind} exited with {status}:\n'
                           f'{process.log_tail()}')
    result = json.loads(out.read_text())
    if 'error' in result:
        raise RuntimeError(result['error'])
    return result


async def _stall_figures(rig: Rig) -> dict:
    """Run ``image_main.py stall``: the loop's longest stall while a big map is drawn."""
    out = rig.dir / f'{rig.label}-stall-{len(rig.processes)}.json'
    process = rig._spawn('stall', [sys.executable, str(IMAGE_MAIN), 'stall', '--out', str(out)])
    if await process.wait(120) != 0 or not out.exists():
        raise RuntimeError(f'image_main stall failed:\n{process.log_tail()}')
    return json.loads(out.read_text())


def _bridge_params() -> dict:
    return {'image_topics': [RAW_TOPIC], 'compressed_image_topics': [COMPRESSED_TOPIC],
            'occupancy_grid_topics': [MAP_TOPIC], 'auto_topics': False, 'max_rate': 0.0}


@scenario('images', 16, 'Camera images: CompressedImage 1280x720 and raw rgb8 640x480 at '
                        '30 Hz, latency and bridge CPU', unavailable=ros_unavailable)
async def images(ctx: Context) -> Result:
    """Publish each kind of image at 30 Hz in turn; the client reads each number back."""
    seconds = ctx.seconds(8.0, 3.0)
    cases = {'CompressedImage 1280x720 JPEG': ('compressed', COMPRESSED_TOPIC, COMPRESSED_KEY),
             'Image rgb8 640x480': ('raw', RAW_TOPIC, f'image:{RAW_TOPIC}')}

    async def measure() -> dict[str, dict]:
        figures = {}
        async with Rig(ctx, 'images') as rig:
            bridge, url = await rig.bridge(**_bridge_params())
            async with PictureClient(url) as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                for case, (kind, topic, key) in cases.items():
                    published = await _publish(rig, kind, topic, [f'{RATE:g}:{seconds:.3f}'],
                                               seconds + 90)
                    await asyncio.sleep(0.5)   # the last ones in flight
                    (phase,) = published['phases']
                    arrivals = client.arrivals.get(key, [])
                    latencies, seen = _latencies_ms(phase, arrivals)
                    sizes = [size for _seq, _t, size in arrivals]
                    figures[case] = {
                        **_latency_figures(latencies, phase), 'sent': phase['count'],
                        'delivered_pct': 100.0 * len(seen) / phase['count'],
                        'frame_kib': (harness.median(sizes) or 0) / 1024,
                        'bridge_cpu_pct': cpu.percent('bridge', phase['started'],
                                                      phase['ended'])}
                await cpu.stop()
            figures[next(iter(cases))]['setup'] = await _setup(ctx, bridge)
        return figures

    runs = await _repeat(ctx, ctx.repeat_count(3), measure)
    by_case = {case: by_impl[harness.OURS] for case, by_impl in medians(runs).items()}
    targets = {'CompressedImage 1280x720 JPEG': 10.0, 'Image rgb8 640x480': 30.0}
    rows = [_setup_row(by_case[next(iter(cases))]['setup'])]
    curves = {}
    for case, values in by_case.items():
        rows += _rows(case, values, [   # the table marks the target met or missed
            (f'latency p50 (target < {targets[case]:g})', 'ms', 'latency_p50_ms', 'lower'),
            ('latency p99', 'ms', 'latency_p99_ms', 'lower'),
            ('delivered / sent (newest-wins)', '%', 'delivered_pct', 'higher'),
            ('frame on the wire', 'KiB', 'frame_kib', 'lower'),
            ('bridge process CPU', '% core', 'bridge_cpu_pct', 'lower')])
        curves[f'{case} at 30 Hz via bridge'] = harness.cdf(values['curve_ms'])
    return Result(
        params={'rate_hz': RATE, 'window_s': seconds, 'bridge_params': _bridge_params()},
        rows=rows, runs=runs, series={'ros_latency': curves},
        notes=['images: latency = client receive wall time - publisher wall time just before '
               'publish(); raw images are JPEG-encoded (quality 90) on a worker thread'])


@scenario('map', 17, 'OccupancyGrid 4000x4000: publish to first and last tile at the client',
          unavailable=ros_unavailable)
async def map_first_send(ctx: Context) -> Result:
    """Publish latched 4000 x 4000 maps a few seconds apart; time each one's 64 tiles."""
    maps = 3 if not ctx.quick else 2
    gap = 4.0

    async def measure() -> dict[str, dict]:
        async with Rig(ctx, 'map') as rig:
            bridge, url = await rig.bridge(**_bridge_params())
            async with PictureClient(url) as client:
                cpu = CpuSampler({'bridge': bridge.pid})
                published = await _publish(rig, 'map', MAP_TOPIC,
                                           [f'{1 / gap:g}:{maps * gap - 0.1:.3f}'],
                                           maps * gap + 120)
                await harness.wait_until(
                    lambda: len(client.arrivals.get(f'map:{MAP_TOPIC}', [])) >= MAP_TILES * (
                        published['phases'][0]['count']), 60, 'every tile of every map')
                await cpu.stop()
            setup = await _setup(ctx, bridge)
            stalls = await _stall_figures(rig)
        (phase,) = published['phases']
        tiles = client.arrivals[f'map:{MAP_TOPIC}']
        first, last = [], []
        for offset, sent in enumerate(phase['publish_ns']):
            times = [received for seq, received, _ in tiles if seq == phase['first_seq'] + offset]
            first.append((min(times) - sent) / 1e6)
            last.append((max(times) - sent) / 1e6)
        return {'4000x4000 OccupancyGrid': {
            'first_tile_ms': harness.median(first), 'all_tiles_ms': harness.median(last),
            'publish_call_ms': harness.median(phase['publish_call_ns']) / 1e6,
            'maps': phase['count'], 'wire_mib': sum(size for *_x, size in tiles) / 2 ** 20
            / phase['count'],
            'bridge_cpu_pct': cpu.percent('bridge', phase['started'], phase['ended'] + 1.0),
            'setup': setup}, 'in process, on the asyncio loop': stalls}

    runs = await _repeat(ctx, ctx.repeat_count(2), measure)
    by_case = medians(runs)
    values = by_case['4000x4000 OccupancyGrid'][harness.OURS]
    rows = [_setup_row(values['setup'])]
    rows += _rows('4000x4000 OccupancyGrid', values, [
        ('publish -> first tile at the client', 'ms', 'first_tile_ms', 'lower'),
        ('publish -> all 64 tiles at the client (first send)', 'ms', 'all_tiles_ms',
         'lower'),
        ('  of which the publisher in publish() (rclpy, 16 MB)', 'ms', 'publish_call_ms'),
        ('bytes on the wire per map', 'MiB', 'wire_mib', 'lower'),
        ('maps published', 'count', 'maps'),
        ('bridge process CPU while maps came', '% core', 'bridge_cpu_pct', 'lower')])
    rows += _rows('in process, on the asyncio loop', by_case[
        'in process, on the asyncio loop'][harness.OURS], [
        ('map message handled on the loop', 'ms', 'map_call_ms', 'lower'),
        ('map message -> all 64 tiles drawn', 'ms', 'all_drawn_ms', 'lower'),
        ('update message handled on the loop', 'ms', 'update_call_ms', 'lower'),
        ('longest loop stall meanwhile', 'ms', 'longest_stall_ms', 'lower')])
    return Result(params={'maps': maps, 'gap_s': gap, 'cells': 4000 * 4000},
                  rows=rows, runs=runs,
                  notes=['map: includes rclpy publishing and deserializing 16 MB; tiles are '
                         'indexed PNGs encoded on a worker thread'])
