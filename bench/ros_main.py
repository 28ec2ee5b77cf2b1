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
The ROS side of the bridge benchmarks, each role in a process of its own.

Roles (``python bench/ros_main.py ROLE --help``):
  info      what the bridge runs on: Python, rclpy, ROS distro, RMW, executor kind
  publish   a publisher: PoseStamped, MarkerArray, a Marker flood, a big POINTS
            marker or TransformStamped round a tree of frames, at given rates; it
            records when it published each sequence number
  bare      a bare rclpy subscriber that only counts callbacks (or notes when each
            MarkerArray came): the ceiling and the floor the bridge is compared with
  convert   the bridge's work in this process, without ROS transport or server: rclpy
            deserialization, then the displays drawing real messages into a real Vuer app,
            timed per stage in CPU time (other load on the machine does not count), or
            stamped markers placed through TF's history
Each role writes its findings as JSON to ``--out`` and prints ``ready`` or ``publishing``
lines the runner waits for. The runner (``ros_scenarios.py``) imports no rclpy and, of
vuer_ros, only its test helpers; these processes import both.

The receiving side needs the publish time of what it gets, and the bridge forwards no
header stamp: so every message carries its sequence number in a position (exact in the
float32 the Vuer wire uses up to 2**24) and the publisher writes seq -> publish time.
"""

import argparse
from contextlib import contextmanager
import importlib.metadata
import inspect
import json
import math
import os
import platform
import struct
import sys
import threading
import time
from typing import Any, Callable, Iterator, Optional

#: rclpy's major version -> ROS distribution, for wheels that set no ROS_DISTRO.
RCLPY_DISTROS = {3: 'humble', 4: 'iron', 7: 'jazzy', 9: 'kilted'}
#: Seconds between two (time, count) samples of a running counter.
SAMPLE_PERIOD = 0.05
#: The seq-carrying marker of a MarkerArray is its last one: it is in the array's last frame.
MARKER_NS = 'bench'
#: The fixed frame (the bridge's default) and the benchmark's TF frames, ``bench_<n>``.
FIXED_FRAME = 'map'
TF_FRAME = 'bench_{}'


def _write_json(path: str, data: dict) -> None:
    """Write atomically, so the runner never reads half a file."""
    with open(path + '.tmp', 'w') as out:
        json.dump(data, out)
    os.replace(path + '.tmp', path)


def _say(text: str) -> None:
    print(text, flush=True)


# -- info ------------------------------------------------------------------------------

def ros_info() -> dict:
    """Describe the ROS set-up the bridge runs on here."""
    from rclpy.utilities import get_rmw_implementation_identifier

    from vuer_ros.ros.executor import ExecutorBridge
    rclpy_version = importlib.metadata.version('rclpy')
    distro = os.environ.get('ROS_DISTRO') or RCLPY_DISTROS.get(
        int(rclpy_version.split('.')[0]), f'unknown (rclpy {rclpy_version})')
    kind = inspect.signature(ExecutorBridge).parameters['executor'].default
    try:
        from rclpy.experimental import EventsExecutor  # noqa: F401
        events = True
    except ImportError:
        events = False
    executor = kind.value if events or kind.value != 'events' else 'single_threaded'
    return {'python': platform.python_version(), 'rclpy': rclpy_version, 'distro': distro,
            'rmw': get_rmw_implementation_identifier(), 'bridge_executor': executor,
            'events_executor_available': events}


# -- messages --------------------------------------------------------------------------

def _marker(kind: int, marker_id: int, x: float, y: float) -> Any:
    """Return a small orange marker of the benchmarks' namespace at (x, y)."""
    from vuer_ros.testing import marker
    return marker(kind, ns=MARKER_NS, marker_id=marker_id, position=(x, y, 0.0),
                  scale=(0.1, 0.1, 0.1), color=(0.9, 0.4, 0.0, 1.0))


def _points(count: int, spread: float) -> list:
    from geometry_msgs.msg import Point
    return [Point(x=spread * math.cos(0.7 * i), y=spread * math.sin(1.3 * i), z=0.01 * i)
            for i in range(count)]


def _colors(count: int) -> list:
    from std_msgs.msg import ColorRGBA
    return [ColorRGBA(r=(i % 7) / 7.0, g=(i % 11) / 11.0, b=(i % 13) / 13.0, a=1.0)
            for i in range(count)]


def mixed_markers(count: int) -> list:
    """
    Return ``count`` markers cycling through the types RViz users publish most.

    Shapes, arrows (pose and point forms), lines, points with per-point colours, text,
    cube and sphere lists, triangles and arrow strips, a few points each: a busy but
    ordinary MarkerArray. The last one is a CUBE, the one that carries the sequence.
    """
    from visualization_msgs.msg import Marker
    plan = [
        (Marker.CUBE, 0), (Marker.SPHERE, 0), (Marker.CYLINDER, 0), (Marker.ARROW, 0),
        (Marker.ARROW, 2), (Marker.LINE_STRIP, 8), (Marker.LINE_LIST, 8), (Marker.POINTS, 16),
        (Marker.TEXT_VIEW_FACING, 0), (Marker.CUBE_LIST, 8), (Marker.SPHERE_LIST, 4),
        (Marker.TRIANGLE_LIST, 6), (Marker.ARROW_STRIP, 3),
    ]
    markers = []
    for index in range(count):
        kind, points = plan[index % len(plan)] if index < count - 1 else (Marker.CUBE, 0)
        marker = _marker(kind, index, (index % 40) * 0.25, (index // 40) * 0.25)
        if points:
            marker.points = _points(points, 0.1)
        if kind in (Marker.POINTS, Marker.LINE_STRIP):
            marker.colors = _colors(points)
        if kind == Marker.TEXT_VIEW_FACING:
            marker.text = f'marker {index}'
        markers.append(marker)
    return markers


def points_marker(count: int) -> Any:
    """Return a POINTS marker of ``count`` points, each with its own colour."""
    from visualization_msgs.msg import Marker
    marker = _marker(Marker.POINTS, 0, 0.0, 0.0)
    marker.scale.x = marker.scale.y = 0.02
    marker.points = _points(count, 10.0)
    marker.colors = _colors(count)
    return marker


#: Marker arrays and POINTS markers go out serialized before the clock starts, as a C++
#: publisher (MoveIt, nav2) serializes them in about a millisecond: rclpy's Python
#: serialization of 1,000 markers takes tens of ms and is not the bridge's. A phase's
#: third field says which markers change between arrays: 'last' (only the one carrying
#: the sequence number), 'all' (every marker moves), 'none' (the same array again).
CHANGES = ('last', 'all', 'none')
#: Marks the sequence number's place in the serialized message (found, then overwritten).
SEQ_SENTINEL = 123456.789


class _Source:
    """Makes the message to publish for a sequence number (cheaply: one built, reused)."""

    def __init__(self, kind: str, count: int) -> None:
        from geometry_msgs.msg import PoseStamped, TransformStamped
        from visualization_msgs.msg import Marker, MarkerArray
        self.kind = kind
        self.count = count
        if kind == 'tf':   # a tree: every frame a child of the fixed frame, in turn
            self.msg_type, self.message = TransformStamped, TransformStamped()
            self.message.header.frame_id = FIXED_FRAME
            self.message.transform.rotation.w = 1.0
            self._seq_at = self.message.transform.translation
        elif kind == 'pose':
            self.msg_type, self.message = PoseStamped, PoseStamped()
            self.message.header.frame_id = 'map'
            self.message.pose.orientation.w = 1.0
            self._seq_at = self.message.pose.position
        elif kind == 'marker_array':
            self.msg_type = MarkerArray
            self.message = MarkerArray(markers=mixed_markers(count))
            self._seq_at = self.message.markers[-1].pose.position
        elif kind == 'flood':
            self.msg_type, self.message = Marker, _marker(Marker.CUBE, 0, 0.0, 0.0)
            self._seq_at = self.message.pose.position
        else:
            self.msg_type, self.message = Marker, points_marker(count)
            self._seq_at = self.message.pose.position
        self.serialized = kind in ('marker_array', 'points')
        self._bytes = bytearray()
        self._seq_offset = 0

    def serialize(self, seq: int, change: str) -> bytes:
        """
        Return the message numbered ``seq`` serialized, changed as ``change`` says.

        The bytes are made once (again for every array when all markers move) and the
        sequence number is written into them in place.
        """
        from rclpy.serialization import serialize_message
        if change == 'all':
            for marker in self.message.markers:
                marker.pose.position.z = 1e-6 * seq
        if change == 'all' or not self._bytes:
            self._seq_at.x = SEQ_SENTINEL
            self._bytes = bytearray(serialize_message(self.message))
            self._seq_offset = self._bytes.rindex(struct.pack('<d', SEQ_SENTINEL))
        if change != 'none':
            struct.pack_into('<d', self._bytes, self._seq_offset, float(seq))
        return bytes(self._bytes)

    def message_for(self, seq: int, stamp_ns: int) -> Any:
        """Put ``seq`` (and, for a flood, a new marker id; for TF, the next frame) in."""
        self._seq_at.x = float(seq)
        if self.kind == 'flood':
            self.message.id = seq  # every message a new key: nothing is coalesced
        elif self.kind == 'tf':
            self.message.child_frame_id = TF_FRAME.format(seq % self.count)
        if self.kind in ('pose', 'tf'):
            stamp = self.message.header.stamp
            stamp.sec, stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        return self.message


# -- publish ---------------------------------------------------------------------------

def _wait_for_readers(publisher: Any, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while publisher.get_subscription_count() < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _publish_phase(publisher: Any, source: _Source, rate: float, seconds: float,
                   seq: int, samples: list, change: str = 'last') -> dict:
    """
    Publish at ``rate`` Hz (0: as fast as possible) for ``seconds``, numbering from seq + 1.

    Serialized sources are serialized before the publish time is taken (see CHANGES).

    At a set rate every publish time is kept (wall ns, taken just before ``publish()``,
    as a stamp would be) with how long ``publish()`` took; a flood keeps only samples of
    its count. A publish that fails (the DDS writer's history full) is counted and its
    number skipped.
    """
    sent: list[int] = []
    calls: list[int] = []
    started, start = time.time(), time.monotonic()
    period = 1.0 / rate if rate > 0 else 0.0
    index = failures = 0
    while True:
        if period:
            due = start + index * period
            if due - start >= seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        elif index % 64 == 0 and time.monotonic() - start >= seconds:
            break
        seq += 1
        serialized = source.serialize(seq, change) if source.serialized else None
        stamp_ns = time.time_ns()
        try:
            publisher.publish(serialized or source.message_for(seq, stamp_ns))
        except RuntimeError:  # rclpy's RCLError: in a flood the DDS writer may be full
            failures += 1
        index += 1
        if period:
            sent.append(stamp_ns)
            calls.append(time.time_ns() - stamp_ns)
        if (period or index % 256 == 0) and (
                not samples or stamp_ns / 1e9 - samples[-1][0] >= SAMPLE_PERIOD):
            samples.append((stamp_ns / 1e9, seq))
    samples.append((time.time(), seq))
    return {'rate': rate, 'seconds': seconds, 'change': change,
            'first_seq': seq - index + 1, 'count': index,
            'started': started, 'ended': time.time(), 'publish_ns': sent or None,
            'publish_call_ns': calls or None, 'failed': failures}


def publish(args: argparse.Namespace) -> None:
    """Publish ``--kind`` messages phase by phase, ``--gap`` seconds apart."""
    import rclpy
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
    source = _Source(args.kind, args.count)
    rclpy.init()
    node = rclpy.create_node('bench_publisher')
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=args.depth,
                     reliability=ReliabilityPolicy.RELIABLE)
    publisher = node.create_publisher(source.msg_type, args.topic, qos)
    result: dict[str, Any] = {'kind': args.kind, 'topic': args.topic, 'phases': [],
                              'samples': []}
    try:
        if not _wait_for_readers(publisher, args.readers, args.match_timeout):
            result['error'] = f'no subscriber on {args.topic} within {args.match_timeout} s'
            return
        time.sleep(args.settle)  # let both ends finish matching: reliable, nothing lost
        _say('publishing')
        seq = 0
        for index, phase in enumerate(args.phases):
            if index:
                time.sleep(args.gap)
            rate, seconds, *change = phase.split(':')
            result['phases'].append(_publish_phase(
                publisher, source, float(rate), float(seconds), seq, result['samples'],
                *change))
            seq = result['samples'][-1][1]
        time.sleep(args.linger)  # reliable: stay until the last ones are acknowledged
    finally:
        _write_json(args.out, result)
        node.destroy_node()
        rclpy.try_shutdown()


# -- bare subscriber -------------------------------------------------------------------

class _Sampler(threading.Thread):
    """
    Samples a counter every SAMPLE_PERIOD from a thread: (wall time, count) pairs.

    Once the count has moved and then stood still for ``idle`` seconds (the publisher is
    done), it calls ``on_idle``.
    """

    def __init__(self, read: Callable[[], int], idle: float,
                 on_idle: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.read = read
        self.idle = idle
        self.on_idle = on_idle
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        changed = time.monotonic()
        while not self.stopped.wait(SAMPLE_PERIOD):
            count = self.read()
            if not self.samples or count != self.samples[-1][1]:
                changed = time.monotonic()
            elif count and time.monotonic() - changed >= self.idle:
                self.on_idle()
                return
            self.samples.append((time.time(), count))


def bare(args: argparse.Namespace) -> None:
    """Count callbacks of a subscription with nothing else in the process."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
    from rclpy.task import Future
    from geometry_msgs.msg import PoseStamped
    from visualization_msgs.msg import Marker, MarkerArray
    rclpy.init()
    node = rclpy.create_node('bench_bare_subscriber')
    received = [0]
    arrivals: list[tuple[int, int]] = []

    def on_message(_msg: Marker) -> None:
        received[0] += 1

    def on_pose(msg: PoseStamped) -> None:
        arrivals.append((round(msg.pose.position.x), time.time_ns()))
        received[0] += 1

    def on_array(msg: MarkerArray) -> None:
        arrivals.append((round(msg.markers[-1].pose.position.x), time.time_ns()))
        received[0] += 1

    # The bridge's QoS (reliable, volatile, keep last queue_depth).
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=args.depth,
                     reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.VOLATILE)
    msg_type, callback = {'marker': (Marker, on_message), 'pose': (PoseStamped, on_pose),
                          'marker_array': (MarkerArray, on_array)}[args.type]
    node.create_subscription(msg_type, args.topic, callback, qos)
    if args.executor == 'events':
        from rclpy.experimental import EventsExecutor
        executor = EventsExecutor()
    else:
        executor = SingleThreadedExecutor()
    executor.add_node(node)
    done = Future()
    sampler = _Sampler(lambda: received[0], args.idle, lambda: done.set_result(None))
    sampler.start()
    _say('ready')
    try:
        # A timeout, as the bridge spins it: the EventsExecutor busy-waits without one.
        executor.spin_until_future_complete(done, timeout_sec=args.seconds)
    finally:
        sampler.stopped.set()
        _write_json(args.out, {'executor': args.executor, 'received': received[0],
                               'samples': sampler.samples, 'arrivals': arrivals})
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()


# -- in-process conversion -------------------------------------------------------------

#: Where the bridge's drawing time goes: (module, function name) -> stage label.
STAGES = {
    ('vuer_ros.convert.markers', 'marker_to_element'): 'convert',
    ('vuer_ros.convert.markers', 'marker_warnings'): 'warnings',
    ('vuer_ros.edits', 'serialize_all'): 'serialize',
    ('vuer_ros.edits', 'validate_nodes'): 'validate',
    ('vuer_ros.wire', 'pack'): 'pack',
}


@contextmanager
def _stage_timers(totals: dict[str, float], packed: list[int]) -> Iterator[None]:
    """Time the STAGES functions while inside (they are wrapped, then restored)."""
    modules = {name: sys.modules[name] for name, _ in STAGES}
    originals = {}
    for (module, function), label in STAGES.items():
        original = getattr(modules[module], function)
        originals[module, function] = original

        def timed(*args: Any, _original: Callable = original, _label: str = label,
                  **kwargs: Any) -> Any:
            start = time.thread_time()
            value = _original(*args, **kwargs)
            totals[_label] = totals.get(_label, 0.0) + time.thread_time() - start
            if _label == 'pack':
                packed.append(len(value))
            return value
        setattr(modules[module], function, timed)
    try:
        yield
    finally:
        for (module, function), original in originals.items():
            setattr(modules[module], function, original)


def _bridge_displays() -> Any:
    """Build the displays on a Vuer app (not serving) exactly as VuerBridge does."""
    from vuer_ros.displays.host import DisplayHost
    from vuer_ros.displays.scene import viewer_scene
    from vuer_ros.server import Vuer
    from vuer_ros.settings import settings_from_values
    host = DisplayHost(Vuer('127.0.0.1', 0, initial_scene=viewer_scene()),
                       settings_from_values({}))
    host.start()
    return host


def _flood_costs(host: Any, count: int, sample: int) -> dict:
    """
    Time the CPU per Marker message as the topic fills up, each message a new id.

    The first ``sample`` and the last ``sample`` of ``count`` messages are timed. After
    every marker the display schedules its next lifetime end
    (VuerBridge._on_marker), so that is done here too.
    """
    from visualization_msgs.msg import Marker

    from vuer_ros.displays.markers import MarkerDisplay
    display = host.show(MarkerDisplay, '/bench/flood')
    marker = _marker(Marker.CUBE, 0, 0.0, 0.0)
    stretches = {0: sample, count - sample: count}  # first index -> end of a timed stretch
    costs = []
    for index in range(count):
        if index in stretches:
            begin, end = time.thread_time(), stretches[index]
        marker.id = index
        display.on_message(marker)
        if index + 1 == end:
            costs.append((index + 1 - sample // 2, (time.thread_time() - begin) / sample))
    return {'shown_then_seconds': costs}


#: TF history of the in-process lookups: one transform per edge every 50 ms for 10 s.
HISTORY_STEP_NS = 50_000_000
HISTORY_STEPS = 200
#: The stamping cases of the lookups: stamp zero, one stamp for all, one each.
STAMPINGS = ('latest', 'one stamp', 'own stamps')


def _chain_history(scene: Any, depth: int, newest: int) -> None:
    """Give the chain fixed frame -> bench_1 -> ... -> bench_<depth> a full TF history."""
    for step in range(HISTORY_STEPS):
        stamp = newest - (HISTORY_STEPS - 1 - step) * HISTORY_STEP_NS
        yaw = 0.01 * step   # every edge moves, so lookups interpolate real motion
        for link in range(1, depth + 1):
            parent = TF_FRAME.format(link - 1) if link > 1 else FIXED_FRAME
            scene.on_transform(parent, TF_FRAME.format(link), (0.1, 0.01 * step, 0.0),
                               (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)), stamp=stamp)


def _history_costs(host: Any, count: int, depths: list[int], repeats: int) -> dict:
    """
    Time the drawing of ``count`` stamped markers (not frame-locked) per depth and stamping.

    Each case draws one MarkerArray in ``bench_<depth>`` once, then ``repeats`` times in
    thread CPU time; before each timed drawing another frame moves, so TF has changed (as
    with /tf running) and no lookup is remembered from the drawing before.
    """
    from visualization_msgs.msg import MarkerArray

    from vuer_ros.displays.markers import MarkerArrayDisplay
    newest = time.time_ns()
    _chain_history(host.scene, max(depths), newest)
    span = (HISTORY_STEPS - 2) * HISTORY_STEP_NS
    oldest = newest - span
    stamps = {'latest': [0] * count,
              'one stamp': [oldest + span // 2 + HISTORY_STEP_NS // 2] * count,
              'own stamps': [oldest + index * span // count + 3_000_000
                             for index in range(count)]}
    message = MarkerArray(markers=mixed_markers(count))
    seq_at = message.markers[-1].pose.position
    display = host.show(MarkerArrayDisplay, '/bench/tf_markers')
    other = newest
    seconds: dict[str, list[float]] = {}
    for depth in depths:
        for stamping in STAMPINGS:
            for marker, stamp in zip(message.markers, stamps[stamping]):
                marker.header.frame_id = TF_FRAME.format(depth)
                marker.header.stamp.sec, marker.header.stamp.nanosec = divmod(stamp, 10**9)
            display.on_message(message)   # the first drawing places the keys in this frame
            times = seconds[f'{depth} {stamping}'] = []
            for index in range(repeats):
                other += 1_000_000
                host.scene.on_transform(FIXED_FRAME, 'bench_other', (1.0, 0.0, 0.0),
                                        (0.0, 0.0, 0.0, 1.0), stamp=other)
                seq_at.x = float(index + 1)
                start = time.thread_time()
                display.on_message(message)
                times.append(time.thread_time() - start)
    return {'count': count, 'depths': depths, 'repeats': repeats, 'seconds': seconds}


def convert(args: argparse.Namespace) -> None:
    """Time what the bridge does with one message, stage by stage, in CPU seconds."""
    from rclpy.serialization import deserialize_message

    from vuer_ros.convert import cdr
    import vuer_ros.convert.markers  # noqa: F401 (stage timers patch these modules)
    from vuer_ros.displays.markers import MarkerArrayDisplay, MarkerDisplay
    import vuer_ros.edits  # noqa: F401
    host = _bridge_displays()
    if args.kind == 'flood':
        _write_json(args.out, _flood_costs(host, args.count, min(500, args.count // 4)))
        return
    if args.kind == 'tf_history':
        _write_json(args.out, _history_costs(host, args.count, args.depths, args.repeats))
        return
    source = _Source('marker_array' if args.kind == 'markers' else 'points', args.count)
    message = source.message
    if args.kind == 'markers':
        display = host.show(MarkerArrayDisplay, '/bench/markers')
    else:
        display = host.show(MarkerDisplay, '/bench/points')
    serialized = source.serialize(0, 'last')

    # The typed path (layouts convert.cdr does not know): the executor thread builds
    # Python objects from CDR, then the displays draw them.
    typed = deserialize_message(serialized, type(message))
    deserialize = _cpu_times(max(2, args.repeats // 2),
                             lambda index: None, lambda: deserialize_message(serialized,
                                                                             type(message)))
    display.on_message(typed)
    typed_seq = typed.markers[-1].pose.position if args.kind == 'markers' else typed.pose.position

    def next_typed(index: int) -> None:
        typed_seq.x = float(index + 1)
    typed_cpu = _cpu_times(args.repeats, next_typed, lambda: display.on_message(typed))

    # The raw path: the display decodes the bytes itself. The first drawing adds the
    # keys; the timed ones replace them, as at 10 Hz.
    data = {'bytes': serialized}

    def change(how: str) -> Callable[[int], None]:
        def prepare(index: int) -> None:
            data['bytes'] = source.serialize(args.repeats * 10 + index, how)
        return prepare
    draw = lambda: display.on_raw(data['bytes'])  # noqa: E731
    decoder = cdr.decode_marker_array if args.kind == 'markers' else cdr.decode_marker
    decode = _cpu_times(args.repeats, change('last'), lambda: decoder(data['bytes']))
    cpu = _cpu_times(args.repeats, change('last'), draw)
    wall = _cpu_times(args.repeats, change('last'), draw, clock=time.perf_counter)
    unchanged = _cpu_times(args.repeats, change('none'), draw)
    changed = (_cpu_times(max(2, args.repeats // 2), change('all'), draw)
               if args.kind == 'markers' else None)
    stages: dict[str, float] = {}
    packed: list[int] = []
    with _stage_timers(stages, packed):
        for index in range(args.repeats):
            change('last')(index + 1)
            start = time.thread_time()
            draw()
            stages['total'] = stages.get('total', 0.0) + time.thread_time() - start
    _write_json(args.out, {
        'kind': args.kind, 'count': args.count, 'repeats': args.repeats,
        'wall_seconds': wall, 'cpu_seconds': cpu, 'decode_seconds': decode,
        'unchanged_seconds': unchanged, 'all_changed_seconds': changed,
        'typed_deserialize_seconds': deserialize, 'typed_cpu_seconds': typed_cpu,
        'stage_seconds': {name: value / args.repeats for name, value in stages.items()},
        'packed_bytes': sum(packed) / args.repeats, 'ros_message_bytes': len(serialized),
    })


def _cpu_times(repeats: int, prepare: Callable[[int], None], run: Callable[[], Any],
               clock: Callable[[], float] = time.thread_time) -> list[float]:
    """Time ``run`` ``repeats`` times (thread CPU by default), after ``prepare(index)`` each."""
    times = []
    for index in range(repeats):
        prepare(index)
        start = clock()
        run()
        times.append(clock() - start)
    return times


# -- command line ----------------------------------------------------------------------

def _parse(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    roles = parser.add_subparsers(dest='role', required=True)
    info = roles.add_parser('info', help='describe the ROS set-up')
    info.add_argument('--out', required=True)
    pub = roles.add_parser('publish', help='publish messages carrying a sequence number')
    pub.add_argument('--kind', choices=('pose', 'marker_array', 'flood', 'points', 'tf'),
                     required=True)
    pub.add_argument('--topic', required=True)
    pub.add_argument('--phases', nargs='+', required=True, metavar='RATE:SECONDS[:CHANGE]',
                     help='publish at RATE Hz (0: as fast as possible) for SECONDS, in turn; '
                          f'marker arrays: CHANGE is one of {", ".join(CHANGES)}')
    pub.add_argument('--count', type=int, default=1000,
                     help='markers per array, points per POINTS marker, or TF frames')
    pub.add_argument('--depth', type=int, default=100, help='KEEP_LAST depth (reliable)')
    pub.add_argument('--readers', type=int, default=1, help='subscribers to wait for')
    pub.add_argument('--match-timeout', type=float, default=20.0)
    pub.add_argument('--settle', type=float, default=0.5,
                     help='seconds between matching and the first message')
    pub.add_argument('--gap', type=float, default=0.0, help='seconds between phases')
    pub.add_argument('--linger', type=float, default=0.5,
                     help='seconds to stay after the last message')
    pub.add_argument('--out', required=True)
    sub = roles.add_parser('bare', help='count callbacks of a bare subscriber')
    sub.add_argument('--executor', choices=('single_threaded', 'events'), required=True)
    sub.add_argument('--type', choices=('marker', 'pose', 'marker_array'), default='marker',
                     help='Marker: count only; the others: note when each seq came')
    sub.add_argument('--topic', required=True)
    sub.add_argument('--depth', type=int, default=1000)
    sub.add_argument('--seconds', type=float, required=True, help='longest time to spin')
    sub.add_argument('--idle', type=float, default=1.0,
                     help='stop once no message came for this long (after some came)')
    sub.add_argument('--out', required=True)
    conv = roles.add_parser('convert', help='time the bridge conversion in process')
    conv.add_argument('--kind', choices=('markers', 'points', 'flood', 'tf_history'),
                      required=True)
    conv.add_argument('--count', type=int, required=True)
    conv.add_argument('--repeats', type=int, default=10)
    conv.add_argument('--depths', type=int, nargs='+', default=[1, 10],
                      help='tf_history: frames between the markers and the fixed frame')
    conv.add_argument('--out', required=True)
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> None:
    """Run one role."""
    args = _parse(argv)
    if args.role == 'info':
        _write_json(args.out, ros_info())
    elif args.role == 'publish':
        publish(args)
    elif args.role == 'bare':
        bare(args)
    else:
        convert(args)


if __name__ == '__main__':
    main()
