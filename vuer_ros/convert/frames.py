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
TF bookkeeping without rclpy: which frames tf2 resolves in the fixed frame, and the groups.

Every resolved frame is a scene group ``frame:<name>``; the groups nest as the TF tree,
re-rooted at the fixed frame, whose group sits in the ROS root group. A TF edge that
points towards the fixed frame (the fixed frame is below the tree's root) is inverted.
A message in frame F goes into F's group; frames tf2 can't resolve are unresolved, and
RViz does not draw their messages.

Frames resolve by tf2's rules (``BufferCore::walkToTopParent``, ros2/geometry2
tf2/src/buffer_core.cpp): a lookup walks parent links up from the frame, then up from the
fixed frame, and succeeds where the walks meet, whatever is wrong elsewhere in the graph.
So a frame resolves when the fixed frame is among its ancestors, or when its ancestors
end at the root the fixed frame's ancestors end at. A walk that goes round a loop fails:
a frame whose walk reaches a loop without passing the fixed frame is unresolved, and
when the fixed frame's own walk loops, only the frames below it resolve. A disconnected
tree is unresolved.

Like tf2, a frame has one parent (the last transform received for it wins; a new parent
is reported once), a leading '/' in a frame id is dropped, and self-transforms, empty
names and NaN are ignored with a warning. The fixed frame always resolves, as tf2 gives
the identity for a lookup from a frame to itself.

Each dynamic edge also keeps tf2's history (``TimeCache``, ros2/geometry2
tf2/src/cache.cpp): the transforms of the last 10 s of stamps, so ``transform_at`` gives a
frame's pose at a message's stamp, interpolated between the stamps around it, with tf2's
errors for stamps it can't serve. A static edge is valid at any time. The groups follow
each edge's newest stamp (tf2's latest); a transform older than that only joins the
history. An edge that changes parent, or turns static or dynamic, starts a new history,
as tf2 reallocates the frame's cache for the latter.
"""

from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Optional, Sequence

from vuer_ros.convert.transforms import (
    compose, finite, IDENTITY, interpolate, invert, normalize_quaternion, quaternion_to_euler,
    rpy_to_quaternion, Transform)

#: Key of the scene group that turns ROS Z-up into three.js Y-up (see the design notes).
ROOT_KEY = 'ros-root'
#: Nanoseconds per second: stamps are integer nanoseconds, as tf2 keeps them.
NS = 1_000_000_000
#: tf2's default cache time (BufferCore::DEFAULT_CACHE_TIME): the history kept per edge.
CACHE_TIME_NS = 10 * NS
#: Expired history entries dropped at once: one shift of the arrays per batch, not per insert.
_PRUNE_BATCH = 256
#: Lookups remembered until TF changes (the markers of one array share frame and stamp).
_LOOKUPS_KEPT = 1024


def stamp_ns(stamp: object) -> int:
    """Return a builtin_interfaces/Time in nanoseconds (None: 0, which tf2 reads as latest)."""
    return 0 if stamp is None else stamp.sec * NS + stamp.nanosec


def display_time(ns: int) -> str:
    """Write a stamp as tf2's errors write it (``displayTimePoint``: seconds, 6 decimals)."""
    return f'{ns / NS:.6f}'


class TransformUnavailable(Exception):
    """
    tf2 can't give a frame's transform at a stamp; the message is tf2's (or RViz2's) error.

    ``later`` says newer transforms may still serve the stamp (it is past the newest one).
    """

    def __init__(self, message: str, later: bool = False) -> None:
        super().__init__(message)
        self.later = later


class _History:
    """One dynamic edge's transforms by stamp, oldest first, as tf2's TimeCache keeps them."""

    __slots__ = ('stamps', 'values')

    def __init__(self) -> None:
        self.stamps = array('q')
        self.values = array('d')   # translation and rotation: 7 numbers per stamp

    def insert(self, stamp: int, transform: Transform) -> bool:
        """Add a transform; False when it is older than the history keeps (TF_OLD_DATA)."""
        stamps = self.stamps
        if stamps and stamp < stamps[-1] - CACHE_TIME_NS:
            return False
        index = bisect_right(stamps, stamp)   # after equal stamps: the newest one wins
        stamps.insert(index, stamp)
        self.values[7 * index:7 * index] = array('d', (*transform.translation,
                                                       *transform.rotation))
        start = self._start()
        if start >= _PRUNE_BATCH:
            del stamps[:start]
            del self.values[:7 * start]
        return True

    def _start(self) -> int:
        """Index of the oldest stamp tf2 still keeps (within CACHE_TIME_NS of the newest)."""
        return bisect_left(self.stamps, self.stamps[-1] - CACHE_TIME_NS)

    def _at(self, index: int) -> Transform:
        v = self.values[7 * index:7 * index + 7]
        return Transform((v[0], v[1], v[2]), (v[3], v[4], v[5], v[6]))

    def sample(self, stamp: int) -> Transform:
        """Return the transform at ``stamp``, as ``TimeCache::getData``; raise tf2's error."""
        stamps = self.stamps
        if not stamps:
            raise TransformUnavailable('No transform received since time jumped back',
                                       later=True)
        start, last = self._start(), len(stamps) - 1
        earliest, latest = stamps[start], stamps[last]
        if stamp == latest:
            return self._at(last)
        if start == last:
            raise TransformUnavailable(
                f'Lookup would require extrapolation at time {display_time(stamp)}, but only '
                f'time {display_time(latest)} is in the buffer', later=stamp > latest)
        if stamp == earliest:
            return self._at(start)
        if stamp > latest:
            raise TransformUnavailable(
                'Lookup would require extrapolation into the future.  Requested time '
                f'{display_time(stamp)} but the latest data is at time {display_time(latest)}',
                later=True)
        if stamp < earliest:
            raise TransformUnavailable(
                'Lookup would require extrapolation into the past.  Requested time '
                f'{display_time(stamp)} but the earliest data is at time '
                f'{display_time(earliest)}')
        newer = bisect_right(stamps, stamp)
        older = newer - 1
        ratio = (stamp - stamps[older]) / (stamps[newer] - stamps[older])
        return interpolate(self._at(older), self._at(newer), ratio)


def normalize_frame(frame_id: str) -> str:
    """Return a frame id as tf2 stores it: without one leading '/'."""
    return frame_id[1:] if frame_id.startswith('/') else frame_id


_FRAME_PREFIX = 'frame:'


def frame_key(frame_id: str) -> str:
    """Scene key of a frame's group."""
    return _FRAME_PREFIX + normalize_frame(frame_id)


class GroupUpdate(NamedTuple):
    """Place group ``key`` inside ``parent_key`` at ``position`` / ``rotation`` (three Euler)."""

    key: str
    parent_key: str
    position: list[float]
    rotation: list[float]

    @property
    def frame(self) -> str:
        """Return the frame this group stands for."""
        return self.key[len(_FRAME_PREFIX):]


@dataclass
class FrameChanges:
    """
    What a TF update changes in the scene.

    ``groups`` are listed parents first, so upserting them in order nests correctly; a
    group whose ``parent_key`` changed must move, and every group below a listed one moves
    with it. ``resolved`` frames can now show their waiting messages; ``unresolved`` ones
    lost the fixed frame and their groups should go.
    """

    groups: list[GroupUpdate] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Edge(NamedTuple):
    parent: str
    transform: Transform  # child pose in the parent frame
    static: bool


#: Resolved frame -> (the frame its group hangs in, its pose there); None for the fixed frame.
_Placement = tuple[Optional[str], Transform]


class FrameGraph:
    """The TF graph, and the groups of the frames tf2 resolves in the fixed frame."""

    def __init__(self, fixed_frame: str, root_key: str = ROOT_KEY) -> None:
        self.root_key = root_key
        self._fixed = normalize_frame(fixed_frame)
        self._edges: dict[str, _Edge] = {}                 # TF child -> edge to its parent
        self._history: dict[str, _History] = {}            # dynamic TF child -> its history
        self._lookups: dict[tuple[str, int], Transform] = {}   # since the last TF change
        self._children: dict[str, dict[str, None]] = {}    # TF parent -> children, in order
        self._parents_seen: dict[str, set[str]] = {}       # child -> every parent it had
        self._tree: dict[str, _Placement] = {}             # resolved frames, parents first
        self._below: dict[str, dict[str, None]] = {}       # frame -> frames whose group it holds
        self._up: dict[str, None] = {}                     # the fixed frame's ancestors, upwards
        self._up_loops = False                             # ... and whether they end in a loop
        self._rebuild()

    @property
    def fixed_frame(self) -> str:
        return self._fixed

    def is_resolved(self, frame_id: str) -> bool:
        """Whether tf2 resolves a frame in the fixed frame (so its messages can be drawn)."""
        return normalize_frame(frame_id) in self._tree

    def resolved_frames(self) -> list[str]:
        """List the resolved frames, parents before children."""
        return list(self._tree)

    def groups(self) -> list[GroupUpdate]:
        """Every frame group, parents first: the whole state, e.g. for a new scene."""
        return [self._group(frame, *placement) for frame, placement in self._tree.items()]

    def transform_to_fixed(self, frame_id: str) -> Optional[Transform]:
        """Pose of a frame in the fixed frame, or None when it is unresolved."""
        frame = normalize_frame(frame_id)
        if frame not in self._tree:
            return None
        result = IDENTITY
        parent, transform = self._tree[frame]
        while parent is not None:
            result = compose(transform, result)
            parent, transform = self._tree[parent]
        return result

    def fixed_transforms(self, frames: Sequence[str]) -> dict[str, Transform]:
        """
        Return the pose in the fixed frame of ``frames`` and of every frame below them.

        Computed top-down, one composition per frame, so a moved robot base costs one
        pass over its links, not one walk to the root per link.
        """
        result: dict[str, Transform] = {}
        queue = deque(frame for frame in map(normalize_frame, frames) if frame in self._tree)
        while queue:
            frame = queue.popleft()
            if frame in result:
                continue
            parent, transform = self._tree[frame]
            above = result.get(parent) if parent is not None else IDENTITY
            if above is None:
                above = self.transform_to_fixed(parent)
            result[frame] = compose(above, transform)
            queue.extend(self._below.get(frame, ()))
        return result

    def transform_at(self, frame_id: str, stamp: int) -> Transform:
        """
        Return a frame's pose in the fixed frame at ``stamp`` (nanoseconds; 0: the latest).

        Each edge on the frame's path to the fixed frame is read at ``stamp`` from its
        history; raises TransformUnavailable with RViz2's status for an unresolved frame,
        or tf2's extrapolation error naming both frames, as ``walkToTopParent`` words it.
        """
        frame = normalize_frame(frame_id)
        if frame not in self._tree:
            raise TransformUnavailable(self.transform_problem(frame))
        if not stamp:
            return self.transform_to_fixed(frame)
        found = self._lookups.get((frame, stamp))
        if found is not None:
            return found
        result, below = IDENTITY, frame
        parent = self._tree[below][0]
        try:
            while parent is not None:
                edge = self._edges.get(below)
                if edge is not None and edge.parent == parent:
                    step = self._sample(below, stamp)
                else:   # an ancestor of the fixed frame: its edge is inverted
                    step = invert(self._sample(parent, stamp))
                result = compose(step, result)
                below, parent = parent, self._tree[parent][0]
        except TransformUnavailable as error:
            raise TransformUnavailable(
                f'{error}, when looking up transform from frame [{frame}] to frame '
                f'[{self._fixed}]', error.later) from None
        if len(self._lookups) >= _LOOKUPS_KEPT:
            self._lookups.clear()
        self._lookups[frame, stamp] = result
        return result

    def clear_history(self) -> None:
        """
        Forget every dynamic edge's history, as tf2_ros clears its buffer when time jumps.

        The groups keep the latest transforms; stamps are served again as new ones arrive
        (a bag played again would otherwise be older data than the history, and ignored).
        """
        self._lookups.clear()
        for child in self._history:
            self._history[child] = _History()

    def _sample(self, child: str, stamp: int) -> Transform:
        history = self._history.get(child)
        return self._edges[child].transform if history is None else history.sample(stamp)

    def transform_problem(self, frame_id: str) -> Optional[str]:
        """
        Say why a frame can't be placed in the fixed frame, in RViz2's words; None if it can.

        RViz2 wraps tf2's error (rviz_default_plugins TFFrameTransformer::canTransform);
        tf2 walks up from the frame, then from the fixed frame, and the first walk that
        goes round a loop fails (``BufferCore::walkToTopParent``). A frame no transform
        names is a tree of its own, as in that walk.
        """
        frame = normalize_frame(frame_id)
        if frame in self._tree:
            return None
        chain, repeated = self._walk(frame)
        if repeated is None and self._up_loops:
            chain, repeated = self._walk(self._fixed)
        if repeated is not None:
            error = self._loop_error(chain[chain.index(repeated):])
        else:
            error = (f"Could not find a connection between '{self._fixed}' and '{frame}' "
                     'because they are not part of the same tree.'
                     'Tf has two or more unconnected trees.')
        return f'No transform to fixed frame [{self._fixed}]. TF error: [{error}]'

    def set_fixed_frame(self, fixed_frame: str) -> FrameChanges:
        """Re-root every group at another fixed frame."""
        self._lookups.clear()
        self._fixed = normalize_frame(fixed_frame)
        return self._rebuild()

    def add_static(self, parent: str, child: str, xyz: Sequence[float],
                   rpy: Sequence[float]) -> FrameChanges:
        """Set a static transform given as in configs and static_transform_publisher."""
        return self.set_transform(parent, child, xyz, rpy_to_quaternion(*rpy), static=True)

    def set_transform(self, parent: str, child: str, translation: Sequence[float],
                      rotation_xyzw: Sequence[float], static: bool = False,
                      stamp: int = 0) -> FrameChanges:
        """
        Record the pose of ``child`` in ``parent`` at ``stamp`` (ns); return the scene changes.

        A new transform of a known edge changes one group; one older than the edge's newest
        stamp only joins its history. A new edge re-resolves the frames below ``child``
        only, unless it changes the fixed frame's ancestors.
        """
        self._lookups.clear()
        parent, child = normalize_frame(parent), normalize_frame(child)
        problem = None
        if not parent or not child:
            problem = 'an empty frame id'
        elif parent == child:
            problem = 'the same parent and child frame'
        elif not finite((*translation, *rotation_xyzw)):
            problem = 'NaN or infinite values'
        if problem:
            return FrameChanges(warnings=[
                f'ignoring transform {parent!r} -> {child!r}: it has {problem}'])
        transform = Transform(tuple(float(v) for v in translation),
                              normalize_quaternion(rotation_xyzw))
        old = self._edges.get(child)
        if old is None or old.parent != parent or old.static != static:
            self._history.pop(child, None)   # a new edge starts a new history
            if not static:
                self._history[child] = _History()
        history = self._history.get(child)
        if history is not None:
            newest = history.stamps[-1] if history.stamps else stamp
            if not history.insert(stamp, transform):
                return FrameChanges(warnings=[
                    f'TF_OLD_DATA ignoring data from the past for frame {child} at time '
                    f'{display_time(stamp)}'])
            if stamp < newest:
                return FrameChanges()   # history only: the groups show the newest stamp
        self._edges[child] = _Edge(parent, transform, static)
        if old is not None and old.parent == parent:
            return self._move_edge(parent, child, transform)
        warnings = []
        seen = self._parents_seen.setdefault(child, set())
        if old is not None:
            del self._children[old.parent][child]
            if parent not in seen:
                kind = 'static' if old.static else 'dynamic'
                warnings.append(f'frame {child!r} changed parent from {old.parent!r} ({kind}) '
                                f'to {parent!r}: the last transform wins, as in tf2')
        seen.add(parent)
        self._children.setdefault(parent, {})[child] = None
        chain, repeated = self._walk(child)
        if repeated == child:
            warnings.append(self._loop_error(chain))
        if child == self._fixed or child in self._up:
            changes = self._rebuild()
        else:
            changes = self._reattach(child)
        changes.warnings[:0] = warnings
        return changes

    def _walk(self, frame: str) -> tuple[list[str], Optional[str]]:
        """Follow parent links up from ``frame``: the frames passed, and the first met twice."""
        chain, seen = [frame], {frame}
        while frame in self._edges:
            frame = self._edges[frame].parent
            if frame in seen:
                return chain, frame
            chain.append(frame)
            seen.add(frame)
        return chain, None

    def _loop_error(self, loop: Iterable[str]) -> str:
        """Return tf2's loop error, listing the loop's frames as tf2 lists frames."""
        return '\n'.join(['The tf tree is invalid because it contains a loop.', *(
            f'Frame {frame} exists with parent {self._edges[frame].parent}.' for frame in loop)])

    def _group(self, frame: str, parent: Optional[str], transform: Transform) -> GroupUpdate:
        parent_key = self.root_key if parent is None else frame_key(parent)
        return GroupUpdate(frame_key(frame), parent_key, list(transform.translation),
                           quaternion_to_euler(transform.rotation))

    def _put(self, frame: str, parent: Optional[str], transform: Transform) -> None:
        self._tree[frame] = (parent, transform)
        if parent is not None:
            self._below.setdefault(parent, {})[frame] = None

    def _take(self, frame: str) -> None:
        parent = self._tree.pop(frame)[0]
        if parent is not None:
            del self._below[parent][frame]

    def _put_below(self, frames: Iterable[str]) -> list[str]:
        """Resolve the TF descendants of ``frames`` not resolved yet; list them parents first."""
        added = []
        queue = deque(frames)
        while queue:
            frame = queue.popleft()
            for child in self._children.get(frame, ()):
                if child not in self._tree:
                    self._put(child, frame, self._edges[child].transform)
                    added.append(child)
                    queue.append(child)
        return added

    def _move_edge(self, parent: str, child: str, transform: Transform) -> FrameChanges:
        """Update the one group a known edge places, if it is resolved."""
        if not self._up_loops and (child == self._fixed or child in self._up):
            frame, placement = parent, (child, invert(transform))   # towards the fixed frame
        elif child != self._fixed and child in self._tree:
            frame, placement = child, (parent, transform)
        else:
            return FrameChanges()
        if self._tree[frame] == placement:
            return FrameChanges()
        self._tree[frame] = placement
        return FrameChanges(groups=[self._group(frame, *placement)])

    def _reattach(self, child: str) -> FrameChanges:
        """
        Re-resolve ``child`` and the frames below it after it got a new parent.

        ``child`` is not among the fixed frame's ancestors, so only the frames whose walk
        up passes ``child`` can change: they resolve exactly when its new parent does, and
        a parent below ``child`` (a loop) is unresolved with them.
        """
        lost = self._take_subtree(child) if child in self._tree else []
        parent, transform, _ = self._edges[child]
        if parent not in self._tree:
            return FrameChanges(unresolved=lost)
        self._put(child, parent, transform)
        found = [child, *self._put_below([child])]
        if lost:   # the same frames as before, with one group moved
            return FrameChanges(groups=[self._group(child, parent, transform)])
        return FrameChanges(groups=[self._group(frame, *self._tree[frame]) for frame in found],
                            resolved=found)

    def _take_subtree(self, frame: str) -> list[str]:
        """Unresolve ``frame`` and the frames whose groups hang below it; list them."""
        taken = [frame]
        for each in taken:   # grows while it is read: breadth first
            taken.extend(self._below.get(each, ()))
        for each in taken:
            self._take(each)
        return taken

    def _rebuild(self) -> FrameChanges:
        """Resolve every frame again from the fixed frame and its ancestors; list what differs."""
        old = self._tree
        self._tree, self._below = {}, {}
        chain, repeated = self._walk(self._fixed)
        self._up, self._up_loops = dict.fromkeys(chain[1:]), repeated is not None
        self._put(self._fixed, None, IDENTITY)
        if not self._up_loops:   # each ancestor hangs in the frame below it: edges inverted
            for below, frame in zip(chain, chain[1:]):
                self._put(frame, below, invert(self._edges[below].transform))
        self._put_below(list(self._tree))
        return FrameChanges(
            groups=[self._group(frame, *placement) for frame, placement in self._tree.items()
                    if old.get(frame) != placement],
            resolved=[frame for frame in self._tree if frame not in old],
            unresolved=[frame for frame in old if frame not in self._tree])
