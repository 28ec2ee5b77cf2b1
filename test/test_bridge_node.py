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
The vuer_bridge node end to end: real rclpy publishers, the node, a real websocket peer.

Messages are published on ROS in this process, cross the executor thread into the
asyncio loop, are converted and sent by the server, and arrive at a websocket client as
the frames the browser client gets.
"""

import asyncio
import contextlib
import math
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Optional

from conftest import require_ros
import pytest

rclpy = require_ros()

from geometry_msgs.msg import Point, PoseStamped, TransformStamped  # noqa: E402,I100
from nav_msgs.msg import Path as PathMsg  # noqa: E402
from rclpy.node import Node  # noqa: E402
from std_msgs.msg import String  # noqa: E402
from visualization_msgs.msg import Marker, MarkerArray  # noqa: E402

from vuer_ros import testing  # noqa: E402
from vuer_ros.ros.bridge_node import DISCOVERY_PERIOD, VuerBridge  # noqa: E402
from vuer_ros.ros.executor import ExecutorBridge  # noqa: E402
from vuer_ros.settings import ConfigError, parameters  # noqa: E402
from wire_client import WireClient  # noqa: E402

pytestmark = pytest.mark.ros

REPO = Path(__file__).resolve().parent.parent


class Rig:
    """The bridge node, a publisher node, the executor bridge and the running server."""

    def __init__(self, bridge_node: VuerBridge, publisher: Node, bridge: ExecutorBridge):
        self.node = bridge_node
        self.app = bridge_node.app
        self.publisher = publisher
        self.bridge = bridge
        self.clients: list[WireClient] = []
        self._publishers = {}

    def pub(self, msg_type, topic: str, qos=10):
        if topic not in self._publishers:
            self._publishers[topic] = self.publisher.create_publisher(msg_type, topic, qos)
        return self._publishers[topic]

    async def publish(self, msg_type, topic: str, message) -> None:
        """Publish once the bridge's subscription is matched, so nothing is lost."""
        publisher = self.pub(msg_type, topic)
        for _ in range(500):
            if publisher.get_subscription_count() > 0:
                break
            await asyncio.sleep(0.01)
        publisher.publish(message)

    async def client(self) -> WireClient:
        client = WireClient(f'ws://127.0.0.1:{self.app.port}/')
        self.clients.append(client)
        return await client.connect()


@contextlib.asynccontextmanager
async def running_bridge(ros_context, node_options=None, **overrides):
    """
    Run the bridge node with a publisher node and a started server; yield the Rig.

    ``node_options`` go to the bridge's rclpy Node (``parameter_overrides=...``).
    """
    overrides = {
        'host': '127.0.0.1', 'port': 0, 'fixed_frame': 'map', 'frame_axes': 0.0,
        'transform_topics': ['/test/transforms'], 'pose_topics': ['/test/pose'],
        'path_topics': ['/test/path'], 'max_rate': 0.0, **overrides,
    }
    node = VuerBridge(overrides=overrides, context=ros_context, **(node_options or {}))
    publisher = Node('test_publisher', context=ros_context)
    try:
        async with ExecutorBridge([node, publisher]) as bridge:
            node.subscribe(bridge)
            await node.app.start_server()
            rig = Rig(node, publisher, bridge)
            try:
                yield rig
            finally:
                for client in rig.clients:
                    await client.close()
                node.close()
                await node.app.stop_server()
    finally:
        node.destroy_node()
        publisher.destroy_node()


@pytest.fixture
async def rig(ros_context):
    async with running_bridge(ros_context) as running:
        yield running


def marker(kind: int, marker_id: int, *, frame: str = 'map', x: float = 0.0,
           lifetime: float = 0.0, **fields) -> Marker:
    """Half-metre marker ``x`` m along its frame's x axis; ``fields`` are set as given."""
    message = testing.marker(kind, marker_id=marker_id, frame_id=frame,
                             position=(x, 0.0, 0.0), scale=(0.5, 0.5, 0.5),
                             lifetime=(int(lifetime), int((lifetime % 1) * 1e9)))
    for name, value in fields.items():
        setattr(message, name, value)
    return message


def key(ns: str, marker_id: int, topic: str = '/visualization_marker') -> str:
    return f'marker:{topic}:{ns}:{marker_id}'


async def test_marker_array_arrives_as_upserts_in_the_fixed_frame(rig):
    client = await rig.client()
    array = MarkerArray(markers=[marker(Marker.CUBE, 1, x=1.0),
                                 marker(Marker.SPHERE, 2, x=2.0),
                                 marker(Marker.TEXT_VIEW_FACING, 3, text='hello')])
    await rig.publish(MarkerArray, '/visualization_marker_array', array)
    view = await client.wait_for(
        lambda frames: all(key('test', i) in client.upserted() for i in (1, 2, 3))
        and client.upserted())
    assert view[key('test', 1)]['position'] == [1.0, 0.0, 0.0]
    assert view[key('test', 1) + '/box']['args'][:3] == [0.5, 0.5, 0.5]
    assert view[key('test', 3) + '/text']['children'] == ['hello']
    group = '/visualization_marker'   # a Marker topic and its _array are one display
    assert {client.parents()[key('test', i)] for i in (1, 2, 3)} == {f'{group}@map'}
    assert client.parents()[f'{group}@map'] == group
    assert client.parents()[group] == 'ros-root'


async def test_delete_deleteall_and_lifetime_remove_markers(rig):
    client = await rig.client()
    topic = '/visualization_marker'
    for i, ns in enumerate(['a', 'a', 'b']):
        await rig.publish(Marker, topic, marker(Marker.CUBE, i, ns=ns))
    await rig.publish(Marker, topic, marker(Marker.SPHERE, 9, ns='short', lifetime=0.3))
    await client.wait_for(lambda f: {key('a', 0), key('a', 1), key('b', 2), key('short', 9)}
                          <= set(client.upserted()))
    await rig.publish(Marker, topic, marker(Marker.CUBE, 0, ns='a', action=Marker.DELETE))
    await client.wait_for(lambda f: key('a', 0) not in client.upserted())
    await rig.publish(Marker, topic, marker(Marker.CUBE, 0, ns='a', action=Marker.DELETEALL))
    await client.wait_for(lambda f: key('a', 1) not in client.upserted())
    assert key('b', 2) in client.upserted(), 'DELETEALL with a namespace keeps the others'
    await client.wait_for(lambda f: key('short', 9) not in client.upserted(), timeout=5)
    await rig.publish(Marker, topic, marker(Marker.CUBE, 0, ns='', action=Marker.DELETEALL))
    await client.wait_for(lambda f: not any(k.startswith('marker:') for k in client.upserted()))


async def test_late_joiner_gets_the_whole_scene(rig):
    early = await rig.client()
    await rig.publish(MarkerArray, '/visualization_marker_array', MarkerArray(
        markers=[marker(Marker.CUBE, i, x=float(i)) for i in range(20)]))
    await early.wait_for(lambda f: key('test', 19) in early.upserted())
    late = await rig.client()
    view = await late.wait_for(
        lambda f: key('test', 19) in late.upserted() and late.upserted())
    assert all(key('test', i) in view for i in range(20))
    assert 'ros-root' in view and '/visualization_marker@map' in view


async def test_message_in_unknown_frame_waits_for_its_transform(rig):
    client = await rig.client()
    await rig.publish(Marker, '/visualization_marker',
                      marker(Marker.CUBE, 5, frame='base_link', frame_locked=True))
    # Messages on one topic arrive in order: once a later one is drawn, the first one
    # would have been drawn too.
    await rig.publish(Marker, '/visualization_marker', marker(Marker.CUBE, 6))
    await client.wait_for(lambda f: key('test', 6) in client.upserted())
    assert key('test', 5) not in client.upserted(), 'never drawn at the origin'
    transform = TransformStamped()
    transform.header.frame_id = 'map'
    transform.child_frame_id = 'base_link'
    transform.transform.translation.x = 3.0
    transform.transform.rotation.w = 1.0
    await rig.publish(TransformStamped, '/test/transforms', transform)
    await client.wait_for(lambda f: key('test', 5) in client.upserted())
    group = '/visualization_marker@base_link'
    assert client.parents()[key('test', 5)] == group
    assert client.upserted()[group]['position'] == [3.0, 0.0, 0.0]
    # A transform update moves the frame without touching what hangs in it.
    transform.transform.translation.x = 4.0
    await rig.publish(TransformStamped, '/test/transforms', transform)
    await client.wait_for(
        lambda f: client.upserted()[group]['position'] == [4.0, 0.0, 0.0])
    last = [n for fr in client.frames if fr['etype'] == 'UPSERT' for n in fr['data']['nodes']
            if n['key'] == group][-1]
    assert 'children' not in last, "a frame update must not wipe the frame's children"


async def test_poses_and_paths_are_drawn_in_their_frames(rig):
    client = await rig.client()
    pose = PoseStamped()
    pose.header.frame_id = 'map'
    pose.pose.position.x, pose.pose.position.z = 1.0, 1.0
    pose.pose.orientation.z, pose.pose.orientation.w = math.sin(0.5), math.cos(0.5)
    await rig.publish(PoseStamped, '/test/pose', pose)
    path = PathMsg()
    path.header.frame_id = 'map'
    for i in range(5):
        stamped = PoseStamped()
        stamped.pose.position.x = float(i)
        path.poses.append(stamped)
    await rig.publish(PathMsg, '/test/path', path)
    view = await client.wait_for(lambda f: {'pose:/test/pose', 'path:/test/path'}
                                 <= set(client.upserted()) and client.upserted())
    assert view['pose:/test/pose']['position'] == [1.0, 0.0, 1.0]
    assert view['pose:/test/pose']['rotation'] == pytest.approx([0.0, 0.0, 1.0], abs=1e-6)
    line = view['path:/test/path/line']
    assert len(line['points']) == 5   # RViz2's default: a 1-pixel line
    assert line['worldUnits'] is False and line['lineWidth'] == 1


async def test_nan_and_bad_markers_are_rejected_and_others_still_drawn(rig, caplog):
    client = await rig.client()
    bad = marker(Marker.CUBE, 1)
    bad.pose.position.x = float('nan')
    arrow = marker(Marker.ARROW, 2, points=[Point(x=1.0)])
    await rig.publish(MarkerArray, '/visualization_marker_array', MarkerArray(
        markers=[bad, arrow, marker(99, 3), marker(Marker.CUBE, 4)]))
    # A later array on the same topic: once it is drawn, the bad markers would have been.
    await rig.publish(MarkerArray, '/visualization_marker_array',
                      MarkerArray(markers=[marker(Marker.CUBE, 5)]))
    await client.wait_for(lambda f: key('test', 5) in client.upserted())
    assert key('test', 4) in client.upserted()
    assert not {key('test', i) for i in (1, 2, 3)} & set(client.upserted())


async def test_click_in_the_viewer_is_published_on_ros(rig):
    client = await rig.client()
    received = rig.bridge.wait_for_message(String, '/vuer_bridge/clicked', timeout=10)
    waiter = asyncio.ensure_future(received)
    await asyncio.sleep(0.5)  # let the subscription match
    await client.send('ON_CLICK', {'key': 'marker:/visualization_marker:test:1'})
    message = await waiter
    assert message.data == 'marker:/visualization_marker:test:1'


async def test_auto_topics_show_every_displayable_topic_in_its_own_group(ros_context):
    async with running_bridge(ros_context, topic_denylist=['/secret/.*']) as rig:
        client = await rig.client()
        pose = PoseStamped()
        pose.header.frame_id = 'map'
        pose.pose.position.x = 2.0
        pose.pose.orientation.w = 1.0
        found = rig.pub(PoseStamped, '/found/pose')
        hidden = rig.pub(PoseStamped, '/secret/pose')
        rig.pub(String, '/found/chatter')   # no display for String: listed, not shown

        for _ in range(150):   # discovery scans the graph every DISCOVERY_PERIOD
            found.publish(pose)
            hidden.publish(pose)
            if 'pose:/found/pose' in client.upserted():
                break
            await asyncio.sleep(0.1)
        assert client.parents()['pose:/found/pose'] == '/found/pose@map'
        assert client.parents()['/found/pose'] == 'ros-root'
        assert client.upserted()['pose:/found/pose']['position'] == [2.0, 0.0, 0.0]
        assert set(rig.node.shown_topics) >= {'/found/pose', '/visualization_marker'}
        assert '/secret/pose' not in rig.node.shown_topics
        assert '/found/chatter' not in rig.node.shown_topics
        # The publisher goes: the bridge stops listening and keeps what was drawn.
        rig.publisher.destroy_publisher(found)
        for _ in range(100):
            if '/found/pose' not in rig.node.shown_topics:
                break
            await asyncio.sleep(0.1)
        assert '/found/pose' not in rig.node.shown_topics
        assert 'pose:/found/pose' in client.upserted()


async def test_auto_topics_off_shows_only_configured_topics(ros_context):
    async with running_bridge(ros_context, auto_topics=False) as rig:
        rig.pub(PoseStamped, '/found/pose').publish(PoseStamped())
        for _ in range(100):   # the node sees the publisher: discovery could show it now
            if rig.node.count_publishers('/found/pose'):
                break
            await asyncio.sleep(DISCOVERY_PERIOD / 10)
        assert rig.node.count_publishers('/found/pose') == 1
        assert '/found/pose' not in rig.node.shown_topics
        assert '/test/pose' in rig.node.shown_topics
        assert rig.node._discovery is None, 'nothing scans the graph to show it later'


def test_every_parameter_has_a_description_and_is_read_only(ros_context):
    node = VuerBridge(overrides={'port': 0}, context=ros_context, node_name='describe_me')
    try:
        for param in parameters():
            descriptor = node.describe_parameter(param.name)
            assert descriptor.description == param.description, param.name
            assert descriptor.read_only, param.name
        assert node.get_parameter('port').value == 0
        assert node.describe_parameter('port').integer_range[0].to_value == 65535
        assert node.settings['marker_topics'] == ('/visualization_marker',)
    finally:
        node.destroy_node()


@pytest.mark.parametrize('name, value, message', [
    ('pose_style', 'sparkles', 'pose_style'),
    ('static_frames', ['map base_link 1 2'], 'static_frames'),
    ('topic_rates', ['/odom=fast'], 'topic_rates'),
])
def test_bad_parameters_stop_the_node_naming_them(ros_context, name, value, message):
    with pytest.raises(ConfigError, match=message):
        VuerBridge(overrides={'port': 0, name: value}, context=ros_context,
                   node_name='bad_params')


def start_bridge(entry: str, *ros_args: str) -> tuple[subprocess.Popen, int]:
    """
    Run ``vuer_ros.ros.bridge_node.<entry>`` in a process on a free port.

    Return the process and the port it printed, once it serves.
    """
    script = f'import sys\nfrom vuer_ros.ros.bridge_node import {entry}\n{entry}(sys.argv)\n'
    process = subprocess.Popen(
        [sys.executable, '-c', script, '--ros-args', *ros_args, '-p', 'port:=0', '-p',
         'host:=127.0.0.1'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith('Vuer server on port'):
            return process, int(line.split()[-1])
    process.kill()
    raise AssertionError(f'the bridge did not start: {process.stderr.read()}')


def run_entry(entry: str, *args: str) -> subprocess.CompletedProcess:
    """Run a console entry point with ``args`` to its end."""
    script = f'import sys\nfrom vuer_ros.ros.bridge_node import {entry}\n{entry}(sys.argv)\n'
    return subprocess.run([sys.executable, '-c', script, *args], capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize('entry', ['main', 'demo_main'])
def test_help_prints_usage_and_starts_nothing(entry):
    result = run_entry(entry, '--help')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: ') and '--ros-args -p port:=' in result.stdout
    assert 'Vuer server' not in result.stdout


def test_unknown_option_is_refused_not_ignored():
    result = run_entry('main', '--port', '9000')
    assert result.returncode == 2
    assert 'unrecognized arguments: --port 9000' in result.stderr


def test_empty_list_on_the_command_line_switches_a_list_off():
    """``-p marker_topics:=[]`` is what people type to switch a list off."""
    process, port = start_bridge('main', '-p', 'marker_topics:=[]', '-p', 'tf_topics:=[]')
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0 and port > 0
    log = process.stderr.read()
    assert 'Traceback' not in log
    shown = next(line for line in log.splitlines() if "fixed frame 'map'; showing" in line)
    assert '/visualization_marker_array (marker_array)' in shown
    assert '/visualization_marker (marker)' not in shown


def test_string_list_parameters_from_outside_are_accepted(ros_context):
    from rclpy.parameter import Parameter
    node = VuerBridge(overrides={'port': 0}, context=ros_context, node_name='lists',
                      parameter_overrides=[Parameter('pose_topics', value=['/a', '/b']),
                                           Parameter('static_frames', value=[''])])
    try:
        assert node.settings['pose_topics'] == ('/a', '/b')
        assert node.settings.static_frames == ()
        assert node.get_parameter('mesh_roots').type_ == Parameter.Type.STRING_ARRAY
    finally:
        node.destroy_node()


def test_the_packaged_config_file_starts_the_bridge():
    """viewer.yaml as ros2 launch passes it: --params-file."""
    process, port = start_bridge('main', '--params-file', str(REPO / 'config' / 'viewer.yaml'))
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0 and port > 0


@pytest.mark.parametrize('argument', ['port:=99999', 'port:=abc', 'queue_depth:=0',
                                      'pose_style:=sparkles'])
def test_bad_parameter_on_the_command_line_is_one_line_on_stderr(argument):
    script = 'import sys\nfrom vuer_ros.ros.bridge_node import main\nmain(sys.argv)\n'
    result = subprocess.run([sys.executable, '-c', script, '--ros-args', '-p', argument],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    assert result.stderr.startswith('vuer_bridge: bad parameter'), result.stderr


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_the_bridge_quickly_and_cleanly(signum):
    process, _ = start_bridge('main')
    try:
        started = time.monotonic()
        process.send_signal(signum)
        process.wait(timeout=10)
        elapsed = time.monotonic() - started
        stderr = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert elapsed < 2.0, f'took {elapsed:.2f} s to stop'
    assert process.returncode == 0
    assert 'Traceback' not in stderr, stderr


@contextlib.asynccontextmanager
async def demo_client(log: Optional[list] = None):
    """
    Run the demo process (bridge and demo publisher) and yield a client reading it.

    ``log``, when given, receives the lines the process logged, once it has stopped.
    """
    process, port = start_bridge('demo_main')
    try:
        client = await WireClient(f'ws://127.0.0.1:{port}/').connect()
        try:
            yield client
        finally:
            await client.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        if log is not None:
            log.extend(process.stderr.read().splitlines())


async def test_demo_publisher_and_bridge_run_together():
    """The README's main job: the demo process serves a scene with every marker type."""
    # The poses, the path and the first odometry arrow come on topics of their own, in
    # whatever order: wait for all of them with the markers.
    poses = {'axes:base_link', 'odometry:/demo/odom/0', 'path:/demo/path',
             'pose_array:/demo/particles', 'pose:/demo/goal'}
    log = []
    async with demo_client(log) as client:
        view = await client.wait_for(
            lambda f: sum(k.startswith('marker:') and k.count('/') == 1
                          for k in client.upserted()) >= 17
            and poses <= set(client.upserted()) and client.upserted(), timeout=20)
    types = {key_.split(':')[3] for key_ in view if key_.startswith('marker:/visualization')}
    assert {str(i) for i in range(13)} <= types, 'a marker of every type'
    assert poses <= set(view)
    # A newcomer's log holds no warning the demo brings on itself.
    assert not [line for line in log if 'latches its messages' in line], log
