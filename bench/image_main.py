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
The ROS side of the image and map benchmarks (16, 17): numbered pictures, and map stalls.

``python bench/image_main.py publish --kind compressed|raw|map --topic T --phases
RATE:SECONDS ... --out FILE`` publishes, with ``ros_main.py``'s phase loop (publish time
taken just before ``publish()``), messages that carry their sequence number where it
survives the bridge:
  compressed  a 1280 x 720 JPEG with the number in a comment segment (the bridge passes
              the bytes on unchanged)
  raw         a 640 x 480 rgb8 image with the number's 24 bits as black and white 16 x 16
              blocks along its top (they survive the bridge's JPEG encoding)
  map         a 4000 x 4000 OccupancyGrid, latched as map_server publishes it, with the
              number as its origin's z (each tile is placed at that height)
``python bench/image_main.py stall --out FILE`` draws a 4000 x 4000 map, then a costmap-like
update, with the bridge's displays in this process on a running asyncio loop, and notes
how long the loop was held at most (a 1 ms ticker's longest gap) and when the tiles were
all drawn.
"""

import argparse
import io
import struct
import time
from typing import Any

import numpy as np
from ros_main import _bridge_displays, _publish_phase, _say, _wait_for_readers, _write_json

#: The number's bits: blocks of BLOCK x BLOCK pixels along the picture's top, most
#: significant first.
SEQ_BITS, BLOCK = 24, 16
#: Picture sizes of the issue's cases, and the map's side in cells.
COMPRESSED_SIZE, RAW_SIZE, MAP_SIDE = (1280, 720), (640, 480), 4000


def scene_pixels(width: int, height: int) -> np.ndarray:
    """Return a camera-like RGB picture: smooth gradients, shapes and a little noise."""
    columns, rows = np.meshgrid(np.arange(width), np.arange(height))
    pixels = np.dstack([columns * 255 // width, rows * 255 // height,
                        (128 + 100 * np.sin(columns / 37.0) * np.cos(rows / 23.0))])
    pixels += np.random.default_rng(4).normal(0.0, 6.0, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def with_comment(jpeg: bytes, seq: int) -> bytes:
    """Put ``seq`` in a JPEG comment segment right after the start-of-image marker."""
    return jpeg[:2] + b'\xff\xfe' + struct.pack('>HQ', 10, seq) + jpeg[2:]


def stamp_bits(pixels: np.ndarray, seq: int) -> None:
    """Write ``seq`` as white (1) and black (0) blocks along the picture's top."""
    for bit in range(SEQ_BITS):
        on = (seq >> (SEQ_BITS - 1 - bit)) & 1
        pixels[:BLOCK, bit * BLOCK:(bit + 1) * BLOCK] = 255 if on else 0


class _PictureSource:
    """Builds the message for a sequence number, for ros_main's phase loop."""

    serialized = False

    def __init__(self, kind: str) -> None:
        from PIL import Image as PilImage
        self.kind = kind
        if kind == 'compressed':
            from sensor_msgs.msg import CompressedImage
            out = io.BytesIO()
            PilImage.fromarray(scene_pixels(*COMPRESSED_SIZE)).save(out, 'JPEG', quality=85)
            self.jpeg = out.getvalue()
            self.msg_type, self.message = CompressedImage, CompressedImage(format='jpeg')
        elif kind == 'raw':
            from sensor_msgs.msg import Image
            width, height = RAW_SIZE
            self.pixels = scene_pixels(width, height)
            self.msg_type = Image
            self.message = Image(width=width, height=height, encoding='rgb8', step=3 * width)
        else:
            import array

            from nav_msgs.msg import OccupancyGrid
            self.msg_type, self.message = OccupancyGrid, OccupancyGrid()
            info = self.message.info
            info.width = info.height = MAP_SIDE
            info.resolution = 0.05
            info.origin.position.x = info.origin.position.y = -MAP_SIDE * 0.05 / 2
            cells = np.full((MAP_SIDE, MAP_SIDE), -1, np.int8)
            cells[200:3800, 200:3800] = 0
            cells[::97, :] = 100          # walls every few metres
            cells[:, ::89] = 100
            self.message.data = array.array('b', cells.tobytes())
        self.message.header.frame_id = 'map'

    def message_for(self, seq: int, stamp_ns: int) -> Any:
        """Return the message numbered ``seq`` (and stamped now)."""
        stamp = self.message.header.stamp
        stamp.sec, stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        if self.kind == 'compressed':
            self.message.data = with_comment(self.jpeg, seq)
        elif self.kind == 'raw':
            stamp_bits(self.pixels, seq)
            self.message.data = self.pixels.tobytes()
        else:
            self.message.info.origin.position.z = float(seq)
        return self.message


def publish(args: argparse.Namespace) -> None:
    """Publish numbered pictures (or maps) phase by phase."""
    import rclpy
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    source = _PictureSource(args.kind)
    rclpy.init()
    node = rclpy.create_node('bench_image_publisher')
    qos = QoSProfile(depth=args.depth, reliability=ReliabilityPolicy.RELIABLE,
                     durability=(DurabilityPolicy.TRANSIENT_LOCAL if args.kind == 'map'
                                 else DurabilityPolicy.VOLATILE))
    publisher = node.create_publisher(source.msg_type, args.topic, qos)
    result: dict[str, Any] = {'kind': args.kind, 'topic': args.topic, 'phases': [],
                              'samples': []}
    try:
        if not _wait_for_readers(publisher, 1, 20.0):
            result['error'] = f'no subscriber on {args.topic} within 20 s'
            return
        time.sleep(0.5)   # both ends finish matching: reliable, nothing lost
        _say('publishing')
        seq = 0
        for phase in args.phases:
            rate, seconds = phase.split(':')
            result['phases'].append(_publish_phase(publisher, source, float(rate),
                                                   float(seconds), seq, result['samples']))
            seq = result['samples'][-1][1]
        time.sleep(args.linger)
    finally:
        _write_json(args.out, result)
        node.destroy_node()
        rclpy.try_shutdown()


async def _stalls() -> dict:
    """Feed a real 4000 x 4000 map and an update to the displays; time the loop's stalls."""
    import asyncio

    from map_msgs.msg import OccupancyGridUpdate
    from rclpy.serialization import deserialize_message, serialize_message

    from vuer_ros.displays.maps import OccupancyGridDisplay, OccupancyGridUpdateDisplay
    source = _PictureSource('map')
    grid = deserialize_message(serialize_message(source.message), source.msg_type)
    patch = OccupancyGridUpdate(x=1000, y=1000, width=60, height=60)
    patch.data = np.full(3600, 100, np.int8).tobytes()
    host = _bridge_displays()
    host.context.loop = asyncio.get_running_loop()
    maps = host.show(OccupancyGridDisplay, '/bench/map')
    updates = host.show(OccupancyGridUpdateDisplay, '/bench/map_updates')
    gaps: list[float] = []
    ticking = True

    async def tick() -> None:
        last = time.perf_counter()
        while ticking:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    def tiles() -> int:
        keys = host.scene.target.scene.keys()
        return sum(key.startswith('map:/bench/map/tile-') for key in keys)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0.1)
    start = time.perf_counter()
    maps.on_message(grid)
    map_call = time.perf_counter() - start
    while tiles() < 64:
        await asyncio.sleep(0.001)
    drawn = time.perf_counter() - start
    start = time.perf_counter()
    updates.on_message(patch)
    update_call = time.perf_counter() - start
    await asyncio.sleep(0.3)
    ticking = False
    await ticker
    return {'map_call_ms': 1000 * map_call, 'all_drawn_ms': 1000 * drawn,
            'update_call_ms': 1000 * update_call, 'longest_stall_ms': 1000 * max(gaps)}


def main() -> None:
    """Run the role named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    roles = parser.add_subparsers(dest='role', required=True)
    role = roles.add_parser('publish', help='publish numbered pictures or maps')
    role.add_argument('--kind', choices=('compressed', 'raw', 'map'), required=True)
    role.add_argument('--topic', required=True)
    role.add_argument('--phases', nargs='+', required=True, metavar='RATE:SECONDS')
    role.add_argument('--depth', type=int, default=5)
    role.add_argument('--linger', type=float, default=1.0)
    role.add_argument('--out', required=True)
    stall = roles.add_parser('stall', help='time the loop while a big map is drawn')
    stall.add_argument('--out', required=True)
    args = parser.parse_args()
    if args.role == 'stall':
        import asyncio
        _write_json(args.out, asyncio.run(_stalls()))
    else:
        publish(args)


if __name__ == '__main__':
    main()
