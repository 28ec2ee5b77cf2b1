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
The ROS side of the robot model benchmarks (#18, #19), each role in a process of its own.

Roles (``python bench/robot_main.py ROLE --help``):
  joints    publish a 30-joint description latched, then JointState at given rates; the
            first joint is prismatic along x and carries the sequence number, so the
            client reads it back from the position of that joint's link group
  describe  publish a description file latched and stay up (the model a new tab loads)
  wireform  in process, no ROS: bytes per joint update of the two wire forms (per-link
            frame groups, and the client's Urdf element with jointValues)
Each writes JSON to ``--out``, like ``ros_main.py``, whose publishing loop it reuses.
"""

import argparse
import asyncio
import math
import sys
import time
from typing import Any, Optional

from ros_main import _publish_phase, _say, _wait_for_readers, _write_json

#: The description topic, joint state topic and fixed frame of the benchmark robot.
DESCRIPTION_TOPIC = '/bench/robot_description'
JOINTS_TOPIC = '/bench/joint_states'
BASE = 'bench_base'
#: The link the sequence number moves (child of the prismatic first joint).
SEQ_LINK = 'link_0'
JOINTS = 30


def bench_description(joints: int = JOINTS) -> str:
    """Return the benchmark arm: a prismatic joint carrying the sequence number, then revolutes."""
    from vuer_ros.convert.urdf import chain_description
    chain = chain_description(joints - 1, 'bench_arm')
    seq_joint = (f'<link name="{BASE}"/><joint name="seq" type="prismatic"><parent '
                 f'link="{BASE}"/><child link="{SEQ_LINK}"/><axis xyz="1 0 0"/><limit '
                 'lower="0" upper="1" effort="1" velocity="1"/></joint>')
    return chain.replace('</robot>', seq_joint + '</robot>')


class _JointSource:
    """JointState messages for ros_main's publishing loop: seq in the first joint."""

    serialized = False

    def __init__(self, joints: int) -> None:
        from sensor_msgs.msg import JointState
        self.msg_type = JointState
        self.names = ['seq'] + [f'joint_{index}' for index in range(1, joints)]

    def message_for(self, seq: int, stamp_ns: int) -> Any:
        message = self.msg_type(name=self.names, position=[float(seq)] + [
            math.sin(seq * 0.01 + index) for index in range(1, len(self.names))])
        message.header.stamp.sec, message.header.stamp.nanosec = divmod(stamp_ns, 10 ** 9)
        return message


def _latched_description(node: Any, text: str, topic: str) -> Any:
    from rclpy.qos import DurabilityPolicy, QoSProfile
    from std_msgs.msg import String
    publisher = node.create_publisher(
        String, topic, QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL))
    publisher.publish(String(data=text))
    return publisher


def joints(args: argparse.Namespace) -> None:
    """Publish the description latched, then joint states phase by phase."""
    import rclpy
    rclpy.init()
    node = rclpy.create_node('bench_robot')
    keep = _latched_description(node, bench_description(args.joints), DESCRIPTION_TOPIC)
    source = _JointSource(args.joints)
    publisher = node.create_publisher(source.msg_type, JOINTS_TOPIC, 100)
    result: dict[str, Any] = {'phases': [], 'samples': []}
    try:
        if not _wait_for_readers(publisher, 1, 30.0):
            result['error'] = f'no subscriber on {JOINTS_TOPIC} within 30 s'
            return
        time.sleep(1.0)   # the description reaches the bridge and the client first
        _say('publishing')
        seq = 0
        for index, phase in enumerate(args.phases):
            if index:
                time.sleep(args.gap)
            rate, seconds = phase.split(':')
            result['phases'].append(_publish_phase(publisher, source, float(rate),
                                                   float(seconds), seq, result['samples']))
            seq = result['samples'][-1][1]
        time.sleep(0.5)
    finally:
        _write_json(args.out, result)
        del keep
        node.destroy_node()
        rclpy.try_shutdown()


def describe(args: argparse.Namespace) -> None:
    """Publish a description file latched; stay up ``--seconds``."""
    import rclpy
    rclpy.init()
    node = rclpy.create_node('bench_describe')
    with open(args.file, encoding='utf-8') as handle:
        keep = _latched_description(node, handle.read(), DESCRIPTION_TOPIC)
    _say('published')
    _write_json(args.out, {'file': args.file})
    try:
        time.sleep(args.seconds)
    finally:
        del keep
        node.destroy_node()
        rclpy.try_shutdown()


async def _wire_bytes(joints_count: int, updates: int) -> dict:
    """Bytes a client receives per joint update: per-link groups, and a Urdf element."""
    import aiohttp

    from vuer_ros import Vuer
    from vuer_ros.convert.frames import ROOT_KEY
    from vuer_ros.displays.host import DisplayHost
    from vuer_ros.displays.robot_model import JointStateDisplay, RobotDescriptionDisplay
    from vuer_ros.schemas import Group, Urdf
    from vuer_ros.settings import settings_from_values
    from vuer_ros.testing import Plain

    source = _JointSource(joints_count)
    description = bench_description(joints_count)

    async def measure(prepare, update) -> float:
        app = Vuer(host='127.0.0.1', port=0)
        await app.start_server()
        prepare(app)
        sizes = []
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f'ws://127.0.0.1:{app.port}/', max_msg_size=0) as ws:
                await ws.send_bytes(__import__('msgpack').packb(
                    {'etype': 'INIT', 'ts': time.time(), 'value': {}}))
                await ws.receive(timeout=5)   # the scene
                for seq in range(1, updates + 1):
                    update(app, seq)
                    message = await ws.receive(timeout=5)
                    total = len(message.data)
                    while True:   # the rest of the same update, if split
                        try:
                            total += len((await ws.receive(timeout=0.05)).data)
                        except asyncio.TimeoutError:
                            break
                    sizes.append(total)
        await app.stop_server()
        return sorted(sizes)[len(sizes) // 2]

    def per_link(axes: float):
        displays = {}

        def prepare(app) -> None:
            host = DisplayHost(app, settings_from_values({
                'fixed_frame': BASE, 'frame_axes': axes, 'robot_update_rate': 0.0}))
            host.start()
            host.show(RobotDescriptionDisplay, DESCRIPTION_TOPIC).on_message(
                Plain(data=description))
            displays['joints'] = host.show(JointStateDisplay, JOINTS_TOPIC)

        def update(app, seq: int) -> None:
            displays['joints'].on_message(source.message_for(seq, seq * 10 ** 9))
        return prepare, update

    def urdf_prepare(app) -> None:
        app.upsert @ Group(key=ROOT_KEY, rotation=[-math.pi / 2, 0.0, 0.0])
        app.upsert(Urdf(key='robot', text=description, workingPath='/', jointValues={}),
                   to=ROOT_KEY)

    def urdf_update(app, seq: int) -> None:
        message = source.message_for(seq, 0)
        app.update @ {'key': 'robot', 'tag': 'Urdf',
                      'jointValues': dict(zip(message.name, message.position))}

    return {'per_link_bytes': await measure(*per_link(0.0)),
            'per_link_with_axes_bytes': await measure(*per_link(0.3)),
            'urdf_joint_values_bytes': await measure(urdf_prepare, urdf_update)}


def wireform(args: argparse.Namespace) -> None:
    """Write the bytes per joint update of both wire forms."""
    _write_json(args.out, asyncio.run(_wire_bytes(args.joints, args.updates)))


def _parse(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    roles = parser.add_subparsers(dest='role', required=True)
    pub = roles.add_parser('joints', help='a latched description, then joint states')
    pub.add_argument('--joints', type=int, default=JOINTS)
    pub.add_argument('--phases', nargs='+', required=True, metavar='RATE:SECONDS')
    pub.add_argument('--gap', type=float, default=0.5)
    desc = roles.add_parser('describe', help='a latched description file')
    desc.add_argument('--file', required=True)
    desc.add_argument('--seconds', type=float, default=120.0)
    wire = roles.add_parser('wireform', help='bytes per joint update of both wire forms')
    wire.add_argument('--joints', type=int, default=JOINTS)
    wire.add_argument('--updates', type=int, default=21)
    for role in (pub, desc, wire):
        role.add_argument('--out', required=True)
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> None:
    """Run one role."""
    args = _parse(argv)
    {'joints': joints, 'describe': describe, 'wireform': wireform}[args.role](args)


if __name__ == '__main__':
    sys.exit(main())
