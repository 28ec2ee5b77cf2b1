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
The ROS side of the point-cloud benchmarks (14, 15), each role in a process of its own.

Roles (``python bench/cloud_main.py ROLE --help``):
  publish   a PointCloud2 of x, y, z (float32) and a packed rgb (uint32), 16 bytes a
            point, at given rates; it records when it published each sequence number
  bare      a bare rclpy subscriber (EventsExecutor, the bridge's QoS) noting when each
            cloud came: what ROS alone costs, the floor of the bridge's latency
  convert   the bridge's work on one cloud in this process: rclpy deserialization (the
            executor thread), the conversion (the worker thread) and the drawing into a
            real Vuer app (the loop), in CPU time of each
Findings go as JSON to ``--out``, as ros_main.py's roles write theirs (its publisher and
helpers are reused).

The number travels in the cloud's bounding box: points lie within +-10 m, and point 0 is
moved to x = 2 seq + 10, so the box's centre, which the bridge sends as the element's
``position``, has x = seq (exact in float32 up to 2^24).
"""

import argparse
import struct
import time
from typing import Any

import numpy as np
import ros_main
from ros_main import _bridge_displays, _cpu_times, _say, _write_json

#: Half the side of the cube the points fill, metres.
HALF_SIDE = 10.0
#: Marks point 0's x in the serialized cloud (found once, then overwritten per message).
SEQ_SENTINEL = 123456.789


def sentinel_x(seq: int) -> float:
    """Return point 0's x that puts the bounding box's centre at x = ``seq``."""
    return 2.0 * seq + HALF_SIDE


def lidar_like_cloud(count: int) -> Any:
    """Return a PointCloud2 of ``count`` coloured points in the cube, frame ``map``."""
    from vuer_ros.ros.demo import XYZ_RGB, xyz_rgb_cloud
    rng = np.random.default_rng(14)
    records = np.zeros(count, dtype=XYZ_RGB)
    for axis in 'xyz':
        records[axis] = rng.uniform(-HALF_SIDE, HALF_SIDE, count)
    records['rgb'] = rng.integers(0, 1 << 24, count, dtype=np.uint32)
    records['x'][0] = SEQ_SENTINEL
    return xyz_rgb_cloud(records, 'map')


class CloudSource:
    """Serializes the cloud once; each message is those bytes with its number written in."""

    serialized = True

    def __init__(self, count: int) -> None:
        from rclpy.serialization import serialize_message
        from sensor_msgs.msg import PointCloud2
        self.msg_type = PointCloud2
        self._bytes = bytearray(serialize_message(lidar_like_cloud(count)))
        self._offset = self._bytes.index(struct.pack('<f', SEQ_SENTINEL))

    def serialize(self, seq: int, change: str = 'last') -> bytes:
        """Return the cloud numbered ``seq``, serialized."""
        struct.pack_into('<f', self._bytes, self._offset, sentinel_x(seq))
        return bytes(self._bytes)


def publish(args: argparse.Namespace) -> None:
    """
    Publish numbered clouds phase by phase (``RATE:SECONDS`` each), reliable.

    ros_main.py's publish role does it, with its message source swapped for the cloud:
    the same phase loop, waits and JSON as every other ROS benchmark.
    """
    ros_main._Source = lambda _kind, count: CloudSource(count)
    ros_main.publish(argparse.Namespace(kind='cloud', readers=1, match_timeout=20.0,
                                        settle=0.5, gap=0.0, **vars(args)))


def bare(args: argparse.Namespace) -> None:
    """Note when each numbered cloud arrives; stop ``--idle`` s after the last one."""
    import rclpy
    from rclpy.experimental import EventsExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import PointCloud2
    rclpy.init()
    node = rclpy.create_node('bench_cloud_bare')
    arrivals: list[tuple[int, int]] = []

    def on_cloud(message: PointCloud2) -> None:
        x = struct.unpack('<f', bytes(message.data[:4]))[0]   # point 0's x
        arrivals.append((round((x - HALF_SIDE) / 2.0), time.time_ns()))

    node.create_subscription(PointCloud2, args.topic, on_cloud, QoSProfile(
        depth=10, reliability=ReliabilityPolicy.RELIABLE))
    executor = EventsExecutor()
    executor.add_node(node)
    _say('ready')
    end = time.monotonic() + args.seconds
    try:
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.1)
            if arrivals and time.time_ns() - arrivals[-1][1] > args.idle * 1e9:
                break
    finally:
        _write_json(args.out, {'arrivals': arrivals})
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


def convert(args: argparse.Namespace) -> None:
    """Time each stage of the bridge's work on one cloud, in CPU seconds of its thread."""
    from rclpy.serialization import deserialize_message

    from vuer_ros.displays.point_clouds import PointCloud2Display
    source = CloudSource(args.count)
    host = _bridge_displays()
    display = host.show(PointCloud2Display, '/bench/cloud')
    style = display.style
    data = {'bytes': source.serialize(1)}
    message = {'typed': deserialize_message(data['bytes'], source.msg_type)}

    def renumber(index: int) -> None:
        data['bytes'] = source.serialize(index + 2)
        message['typed'] = deserialize_message(data['bytes'], source.msg_type)

    deserialize = _cpu_times(args.repeats, renumber,
                             lambda: deserialize_message(data['bytes'], source.msg_type))
    drawn: dict[str, Any] = {}

    def converted() -> None:
        drawn['result'] = display._convert(message['typed'], style)
    work = _cpu_times(args.repeats, renumber, converted)
    wall = _cpu_times(args.repeats, renumber, converted, clock=time.perf_counter)
    draw = _cpu_times(args.repeats, lambda index: (renumber(index), converted()),
                      lambda: display._finish(message['typed'], drawn['result']))
    element = drawn['result'].element
    wire_bytes = len(element.props['vertices']) + len(element.props.get('colors', b''))
    _write_json(args.out, {
        'count': args.count, 'repeats': args.repeats, 'deserialize_seconds': deserialize,
        'convert_seconds': work, 'convert_wall_seconds': wall, 'draw_seconds': draw,
        'ros_message_bytes': len(data['bytes']), 'element_bytes': wire_bytes})


def main() -> None:
    """Run the role named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    roles = parser.add_subparsers(dest='role', required=True)
    role = roles.add_parser('publish', help='publish numbered clouds')
    role.add_argument('--topic', required=True)
    role.add_argument('--count', type=int, required=True, help='points per cloud')
    role.add_argument('--phases', nargs='+', required=True, metavar='RATE:SECONDS')
    role.add_argument('--depth', type=int, default=2)
    role.add_argument('--linger', type=float, default=1.0)
    role.add_argument('--out', required=True)
    role = roles.add_parser('bare', help='note when each cloud reaches a bare subscriber')
    role.add_argument('--topic', required=True)
    role.add_argument('--seconds', type=float, required=True, help='longest time to spin')
    role.add_argument('--idle', type=float, default=1.0)
    role.add_argument('--out', required=True)
    role = roles.add_parser('convert', help='time the bridge stages on one cloud')
    role.add_argument('--count', type=int, required=True)
    role.add_argument('--repeats', type=int, default=5)
    role.add_argument('--out', required=True)
    args = parser.parse_args()
    {'publish': publish, 'bare': bare, 'convert': convert}[args.role](args)


if __name__ == '__main__':
    main()
