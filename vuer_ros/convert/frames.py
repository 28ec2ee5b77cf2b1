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
TF bookkeeping without rclpy: which frames reach the fixed frame, and the scene groups.

Every resolved frame is a scene group ``frame:<name>``; the groups nest as the TF tree,
re-rooted at the fixed frame, whose group sits in the ROS root group. A TF edge that
points towards the fixed frame (the fixed frame is below the tree's root) is inverted.
A message in frame F goes into F's group; frames not connected to the fixed frame are
unresolved, and RViz does not draw their messages.

Like tf2, a frame has one parent (the last transform received for it wins), a leading
'/' in a frame id is dropped, and self-transforms, empty names and NaN are ignored with a
warning. A loop makes the frames of the fixed frame's tree unresolved, as tf2's lookups
fail on it.
"""

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple, Optional, Sequence

from vuer_ros.convert.transforms import (
    compose, finite, IDENTITY, invert, normalize_quaternion, quaternion_to_euler,
    rpy_to_quaternion, Transform)

#: Key of the scene group that turns ROS Z-up into three.js Y-up (see the design notes).
ROOT_KEY = 'ros-root'


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
    group whose ``parent_key`` changed must move. ``resolved`` frames can now show their
    waiting messages; ``unresolved`` ones lost the fixed frame and their groups should go.
    """

    groups: list[GroupUpdate] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Edge(NamedTuple):
    parent: str
    transform: Transform  # child pose in the parent frame
    static: bool


class FrameGraph:
    """The TF tree, and the groups of the frames connected to the fixed frame."""

    def __init__(self, fixed_frame: str, root_key: str = ROOT_KEY) -> None:
        self.root_key = root_key
        self._fixed = normalize_frame(fixed_frame)
        self._edges: dict[str, _Edge] = {}          # TF child -> edge to its parent
        self._children: dict[str, set[str]] = {}    # TF parent -> children
        # Resolved frames, parents first: frame -> (group parent frame, transform in it).
        self._tree: dict[str, tuple[Optional[str], Transform]] = {self._fixed: (None, IDENTITY)}

    @property
    def fixed_frame(self) -> str:
        return self._fixed

    def is_resolved(self, frame_id: str) -> bool:
        """Whether a frame is connected to the fixed frame (so its messages can be drawn)."""
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
        wanted = [normalize_frame(frame) for frame in frames]
        below: dict[str, list[str]] = {}
        for frame, (parent, _) in self._tree.items():
            if parent is not None:
                below.setdefault(parent, []).append(frame)
        result: dict[str, Transform] = {}
        queue = deque(frame for frame in wanted if frame in self._tree)
        while queue:
            frame = queue.popleft()
            if frame in result:
                continue
            parent, transform = self._tree[frame]
            above = result.get(parent) if parent is not None else IDENTITY
            if above is None:
                above = self.transform_to_fixed(parent)
            result[frame] = compose(above, transform)
            queue.extend(below.get(frame, ()))
        return result

    def set_fixed_frame(self, fixed_frame: str) -> FrameChanges:
        """Re-root every group at another fixed frame."""
        self._fixed = normalize_frame(fixed_frame)
        return self._rebuild()

    def add_static(self, parent: str, child: str, xyz: Sequence[float],
                   rpy: Sequence[float]) -> FrameChanges:
        """Set a static transform given as in configs and static_transform_publisher."""
        return self.set_transform(parent, child, xyz, rpy_to_quaternion(*rpy), static=True)

    def set_transform(self, parent: str, child: str, translation: Sequence[float],
                      rotation_xyzw: Sequence[float], static: bool = False) -> FrameChanges:
        """Record the pose of ``child`` in ``parent``; return the scene changes it makes."""
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
        self._edges[child] = _Edge(parent, transform, static)
        if old is not None and old.parent == parent:
            return self._move_edge(parent, child, transform)
        warnings = []
        if old is not None:
            self._children[old.parent].discard(child)
            kind = 'static' if old.static else 'dynamic'
            warnings.append(f'frame {child!r} changed parent from {old.parent!r} ({kind}) to '
                            f'{parent!r}: the last transform wins, as in tf2')
        self._children.setdefault(parent, set()).add(child)
        if self._is_ancestor(child, parent):
            warnings.append(f'transform {parent!r} -> {child!r} closes a loop in the TF tree')
        changes = self._rebuild()
        changes.warnings[:0] = warnings
        return changes

    def _is_ancestor(self, ancestor: str, frame: str) -> bool:
        seen = set()
        while frame in self._edges and frame not in seen:
            seen.add(frame)
            frame = self._edges[frame].parent
            if frame == ancestor:
                return True
        return False

    def _group(self, frame: str, parent: Optional[str], transform: Transform) -> GroupUpdate:
        parent_key = self.root_key if parent is None else frame_key(parent)
        return GroupUpdate(frame_key(frame), parent_key, list(transform.translation),
                           quaternion_to_euler(transform.rotation))

    def _move_edge(self, parent: str, child: str, transform: Transform) -> FrameChanges:
        """Update the one group below a known edge that got a new transform, if resolved."""
        if self._tree.get(child, (None,))[0] == parent:
            frame, placement = child, (parent, transform)
        elif self._tree.get(parent, (None,))[0] == child:
            frame, placement = parent, (child, invert(transform))
        else:
            return FrameChanges()
        if self._tree[frame] == placement:
            return FrameChanges()
        self._tree[frame] = placement
        return FrameChanges(groups=[self._group(frame, *placement)])

    def _rebuild(self) -> FrameChanges:
        """Re-root the fixed frame's tree (breadth first) and list what differs."""
        tree: dict[str, tuple[Optional[str], Transform]] = {self._fixed: (None, IDENTITY)}
        queue = deque([self._fixed])
        loop = False
        while queue and not loop:
            frame = queue.popleft()
            neighbours = [(c, self._edges[c].transform) for c in self._children.get(frame, ())]
            if frame in self._edges:
                edge = self._edges[frame]
                neighbours.append((edge.parent, invert(edge.transform)))
            for neighbour, transform in neighbours:
                if neighbour in tree:
                    loop = loop or neighbour != tree[frame][0]
                    continue
                tree[neighbour] = (frame, transform)
                queue.append(neighbour)
        changes = FrameChanges()
        if loop:
            tree = {self._fixed: (None, IDENTITY)}
            changes.warnings.append(f'the TF tree of fixed frame {self._fixed!r} has a loop: '
                                    'its frames cannot be resolved')
        for frame, placement in tree.items():
            if self._tree.get(frame) != placement:
                changes.groups.append(self._group(frame, *placement))
        changes.resolved = [frame for frame in tree if frame not in self._tree]
        changes.unresolved = [frame for frame in self._tree if frame not in tree]
        self._tree = tree
        return changes
