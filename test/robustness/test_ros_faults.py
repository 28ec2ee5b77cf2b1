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
ROS as it goes wrong on a robot: publishers that restart, QoS that does not match.

Publishers live in ROS contexts of their own (a DDS participant each, as another process
has) and restart again and again: the bridge must show each new one, whether its topic was
configured or found by auto_topics. A best-effort publisher cannot reach the bridge's
reliable subscription, and a transient-local (latched) marker published before the bridge
started never reaches its volatile one: the bridge must say so clearly, naming the topic,
the policy and the parameter that fixes it, and show the topic once the publisher matches.
"""

import asyncio
import contextlib
from dataclasses import dataclass
import itertools
import signal
import threading
import time
from typing import Any, Callable, Iterator

from conftest import require_ros
import pytest
from robust_support import record, scaled

rclpy = require_ros()

from geometry_msgs.msg import PoseStamped  # noqa: E402,I100
from rclpy.context import Context  # noqa: E402
from rclpy.node import Node  # noqa: E402
from rclpy.publisher import Publisher  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402
from test_bridge_node import running_bridge, start_bridge  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

from vuer_ros import testing  # noqa: E402
from wire_client import WireClient  # noqa: E402

pytestmark = [pytest.mark.robustness, pytest.mark.ros]

RESTARTS = scaled(3, 30)
_names = itertools.count()
BEST_EFFORT = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
LATCHED = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
MARKER_KEY = 'marker:/visualization_marker:latched:7'


@contextlib.contextmanager
def publisher_process(msg_type: type, topic: str, qos: Any = 10) -> Iterator[Publisher]:
    """Give a publisher in a ROS context of its own, gone with its participant after."""
    context = Context()
    rclpy.init(context=context)
    node = Node(f'restarting_publisher_{next(_names)}', context=context)
    try:
        yield node.create_publisher(msg_type, topic, qos)
    finally:
        node.destroy_node()
        rclpy.try_shutdown(context=context)


def pose(x: float) -> PoseStamped:
    message = PoseStamped()
    message.header.frame_id = 'map'
    message.pose.position.x = x
    message.pose.orientation.w = 1.0
    return message


async def publish_until(publisher: Publisher, message: Any, client: WireClient,
                        shown: Callable[[dict], bool], timeout: float = 20.0) -> float:
    """Publish every 50 ms until ``shown(view)``; return the seconds it took."""
    started = time.monotonic()
    while not shown(client.upserted()):
        assert time.monotonic() - started < timeout, f'not shown after {timeout} s'
        publisher.publish(message)
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def at(key: str, x: float) -> Callable[[dict], bool]:
    """Tell whether a client's view shows ``key`` at x."""
    return lambda view: view.get(key, {}).get('position', [None])[0] == x


async def test_restarted_publishers_are_shown_again(ros_context):
    """A configured topic and one found by auto_topics, each publisher restarting."""
    async with running_bridge(ros_context) as rig:
        client = await rig.client()
        recoveries: dict[str, list[float]] = {'/test/pose': [], '/found/pose': []}
        for restart in range(RESTARTS):
            for topic, seconds in recoveries.items():
                with publisher_process(PoseStamped, topic) as publisher:
                    seconds.append(await publish_until(
                        publisher, pose(float(restart + 1)), client,
                        at(f'pose:{topic}', float(restart + 1))))
            # auto_topics lets a topic go with its last publisher; it must come back.
            for _ in range(100):
                if '/found/pose' not in rig.node.shown_topics:
                    break
                await asyncio.sleep(0.1)
            assert '/found/pose' not in rig.node.shown_topics
    record('publisher_restarts', restarts=RESTARTS, seconds_to_show_again={
        topic: {'max': round(max(times), 2), 'mean': round(sum(times) / len(times), 2)}
        for topic, times in recoveries.items()})
    assert max(recoveries['/test/pose']) < 10


@dataclass
class MismatchRun:
    """What one bridge process showed and logged while its publishers did not match."""

    log: str
    best_effort_shown: bool
    reliable_shown_after_s: float
    latched_marker_shown: bool


def latched_marker() -> Marker:
    return testing.marker(Marker.CUBE, ns='latched', marker_id=7, scale=(0.5, 0.5, 0.5))


async def watch_mismatches(port: int) -> dict:
    """Publish best-effort poses, then reliable ones; report what a client was shown."""
    client = await WireClient(f'ws://127.0.0.1:{port}/').connect()
    try:
        with publisher_process(PoseStamped, '/test/pose', BEST_EFFORT) as best_effort:
            with contextlib.suppress(AssertionError):
                await publish_until(best_effort, pose(1.0), client, at('pose:/test/pose', 1.0),
                                    timeout=3.0)
        best_effort_shown = 'pose:/test/pose' in client.upserted()
        with publisher_process(PoseStamped, '/test/pose') as reliable:
            recovered = await publish_until(reliable, pose(2.0), client,
                                            at('pose:/test/pose', 2.0))
        return {'best_effort_shown': best_effort_shown, 'reliable_shown_after_s': recovered,
                'latched_marker_shown': MARKER_KEY in client.upserted()}
    finally:
        await client.close()


def stop(process: Any) -> str:
    """Stop a bridge process with Ctrl-C and return what it logged."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    return process.stderr.read()


class LogWatch:
    """Read a bridge process's log as it comes, to wait for a line before stopping it."""

    def __init__(self, process: Any) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> None:
        """Return once a line holds ``text`` (any case), or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(
                text in line.lower() for line in list(self.lines)):
            time.sleep(0.05)

    def stop(self) -> str:
        """Stop the process with Ctrl-C and return all it logged."""
        stop(self.process)   # what it writes while stopping goes to the reader, too
        self._reader.join(timeout=10)
        return ''.join(self.lines)


@pytest.fixture(scope='module')
def mismatch_run() -> MismatchRun:
    """
    Run a bridge after a latched marker was published, then give it a best-effort publisher.

    The bridge runs as a process of its own, so its log is what a user reads.
    """
    with publisher_process(Marker, '/visualization_marker', LATCHED) as latched:
        latched.publish(latched_marker())
        process, port = start_bridge('main', '-p', 'pose_topics:=[/test/pose]',
                                     '-p', 'max_rate:=0.0')
        log = LogWatch(process)
        try:
            shown = asyncio.run(watch_mismatches(port))
            # The bridge warns once the ROS graph lists the latched publisher: measured
            # 0 to over 3 s after start on Jazzy (discovery), so wait for it, bounded.
            log.wait_for('transient local', timeout=15.0)
        finally:
            text = log.stop()
    return MismatchRun(log=text, **shown)


def test_the_bridge_recovers_when_a_publisher_comes_back_with_matching_qos(mismatch_run):
    incompatible = [line for line in mismatch_run.log.splitlines() if 'incompatible' in line]
    record('qos_mismatch', best_effort_pose_shown=mismatch_run.best_effort_shown,
           reliable_pose_shown_after_s=round(mismatch_run.reliable_shown_after_s, 2),
           latched_marker_shown=mismatch_run.latched_marker_shown,
           warnings_today=incompatible)
    assert not mismatch_run.best_effort_shown
    assert mismatch_run.reliable_shown_after_s < 10
    assert 'Traceback' not in mismatch_run.log


def test_a_best_effort_publisher_is_named_with_the_fix(mismatch_run):
    warning = next(line for line in mismatch_run.log.splitlines() if '/test/pose' in line
                   and 'incompatible' in line.lower())
    assert 'best' in warning.lower() and 'reliable' in warning.lower(), warning
    assert 'qos_overrides./test/pose.subscription.reliability' in warning, warning


def test_markers_latched_before_the_bridge_started_are_named_with_the_fix(mismatch_run):
    assert not mismatch_run.latched_marker_shown
    warnings = [line for line in mismatch_run.log.splitlines()
                if '/visualization_marker' in line and 'transient' in line.lower()]
    assert warnings, 'no warning names the latched topic'
    assert 'qos_overrides./visualization_marker.subscription.durability' in warnings[0]


def test_the_durability_override_shows_markers_latched_before_the_bridge_started():
    """
    The remedy the warning should name: the standard QoS override, for durability too.

    The README says any policy of any subscription can be overridden so.
    """
    with publisher_process(Marker, '/visualization_marker', LATCHED) as latched:
        latched.publish(latched_marker())
        process, port = start_bridge(
            'main', '-p',
            'qos_overrides./visualization_marker.subscription.durability:=transient_local')
        try:
            async def look() -> float:
                started = time.monotonic()
                client = await WireClient(f'ws://127.0.0.1:{port}/').connect()
                try:
                    await client.wait_for(lambda frames: MARKER_KEY in client.upserted(), 10)
                finally:
                    await client.close()
                return time.monotonic() - started

            shown_after = asyncio.run(look())
        finally:
            log = stop(process)
    record('latched_markers_with_override', shown_after_s=round(shown_after, 2))
    assert 'Traceback' not in log
