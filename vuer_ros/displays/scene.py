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
Where displays draw: one group per topic, placed through TF in the fixed frame.

Everything hangs in one root group that turns ROS Z-up into the viewer's Y-up. Inside
it every display (topic) has a group of its own, so the viewer's scene tree shows one
entry per topic and its eye icon hides that topic. Inside a topic's group there is one
group per frame the topic draws in (``<topic>@<frame>``), placed at that frame's pose in
the fixed frame; a TF update moves those groups, and everything drawn in them moves
along. Non-frame-locked markers are frozen in the fixed frame at the transform current
when they arrive, as RViz2 freezes them. A message in a frame tf2 can't resolve in the
fixed frame waits for it instead of being drawn at the origin, with RViz2's transform
status naming the frames. This is the shared service RViz2 calls the frame manager;
nothing here imports rclpy.
"""

from dataclasses import dataclass
import math
from typing import Callable, Iterable, Optional, Protocol

from vuer_ros.convert.frames import FrameChanges, FrameGraph, normalize_frame, ROOT_KEY
from vuer_ros.convert.markers import CAMERA_FOV_DEGREES
from vuer_ros.convert.transforms import compose, quaternion_to_euler, Transform
from vuer_ros.schemas import (CoordsMarker, Element, Gamepad, Grid, Group, Hands,
                              HemisphereLightStage, MotionControllers, Scene, SceneCamera,
                              SceneCameraControl)

#: The root group's rotation: ROS (x, y, z) appears at three.js (x, z, -y).
Z_UP_TO_Y_UP = [-math.pi / 2, 0.0, 0.0]
#: Messages waiting for one frame; past this the oldest waiting ones are dropped.
MAX_WAITING_PER_FRAME = 10_000
#: Group of the axes drawn at every frame (RViz2's TF display).
FRAMES_GROUP = 'tf'


def viewer_scene() -> Scene:
    """
    Return the view a ROS user expects first: ground grid, lights, a camera looking down.

    The camera's field of view is the one POINTS sizes are computed for; hands and
    controllers stream their poses in XR, for teleoperation.
    """
    return Scene(key='scene', bgChildren=[
        Grid(key='grid'),
        HemisphereLightStage(key='light-stage'),
        Gamepad(key='gamepad-0', index=0),
        Hands(key='hands', fps=30, stream=True),
        MotionControllers(key='motion-controllers', fps=30, stream=True),
        SceneCamera(key='SceneCamera', position=[0, 6, 10], fov=CAMERA_FOV_DEGREES),
        SceneCameraControl(key='SceneCameraControl', makeDefault=True),
    ])


def frame_group_key(group: str, frame: str) -> str:
    """Scene key of the group in which topic ``group`` draws what is in ``frame``."""
    return f'{group}@{frame}'


class SceneTarget(Protocol):
    """Where scene calls go: a Vuer app (shared scene) or a session."""

    @property
    def upsert(self): ...  # noqa: D102,E704

    @property
    def remove(self): ...  # noqa: D102,E704


Warn = Callable[[str, str], None]


@dataclass
class _Drawn:
    """An element the scene should show, and where."""

    group: str                       # the topic's group
    frame: str                       # the frame it waits for
    element: Element
    freeze: Optional[Transform]      # set: frozen in the fixed frame at arrival


class RosScene:
    """
    Places what displays draw in their frames, in a Vuer scene.

    :param target: receives the scene calls (``upsert``, ``remove``).
    :param fixed_frame: everything is placed relative to it, as RViz2's fixed frame.
    :param frame_axes: length of the axes drawn at every frame (0: none).
    :param warn: receives warnings, to be throttled per key.
    """

    def __init__(self, target: SceneTarget, fixed_frame: str, *, frame_axes: float = 0.0,
                 warn: Warn = lambda key, text: None) -> None:
        self.target = target
        self.frames = FrameGraph(fixed_frame)
        self.frame_axes = frame_axes
        self.warn = warn
        self._drawn: dict[str, _Drawn] = {}
        self._by_frame: dict[str, dict[str, None]] = {}
        self._on_screen: dict[str, str] = {}          # element key -> frame group key
        self._groups: set[str] = set()                # topic groups in the scene
        self._frame_groups: dict[str, dict[str, Transform]] = {}  # frame -> key -> pose

    # -- set-up and frames ----------------------------------------------------------------

    def start(self) -> None:
        """Put the root group and the fixed frame's axes in the scene."""
        self.target.upsert @ Group(key=ROOT_KEY, rotation=Z_UP_TO_Y_UP)
        self._apply(FrameChanges(resolved=self.frames.resolved_frames()))

    def add_static_frame(self, parent: str, child: str, xyz: Iterable[float],
                         rpy: Iterable[float]) -> None:
        """Add a frame fixed to its parent, from the configuration."""
        self._apply(self.frames.add_static(parent, child, tuple(xyz), tuple(rpy)))

    def on_transform(self, parent: str, child: str, translation: Iterable[float],
                     rotation_xyzw: Iterable[float], static: bool = False) -> None:
        """Take one TF edge (from /tf, /tf_static or a TransformStamped topic)."""
        self._apply(self.frames.set_transform(parent, child, tuple(translation),
                                              tuple(rotation_xyzw), static))

    def on_transform_msg(self, message: object, static: bool = False) -> None:
        """Take a geometry_msgs/TransformStamped."""
        t, r = message.transform.translation, message.transform.rotation
        self.on_transform(message.header.frame_id, message.child_frame_id,
                          (t.x, t.y, t.z), (r.x, r.y, r.z, r.w), static)

    def _apply(self, changes: FrameChanges) -> None:
        for text in changes.warnings:
            self.warn('tf', text)
        for frame in changes.unresolved:
            self._hide_frame(frame)
        moved = self.frames.fixed_transforms([group.frame for group in changes.groups])
        for frame, pose in moved.items():
            for key, placed in self._frame_groups.get(frame, {}).items():
                if placed != pose:
                    self._frame_groups[frame][key] = pose
                    self._upsert_group(key, pose, parent=key.rpartition('@')[0])
        for frame in changes.resolved:
            self._show_frame(frame)

    def _hide_frame(self, frame: str) -> None:
        """Remove the groups of a frame that lost the fixed frame; what they held waits."""
        keys = list(self._frame_groups.pop(frame, {}))
        if keys:
            self.target.remove @ keys   # the client drops their elements with them
        gone = set(keys)
        for element_key, group_key in list(self._on_screen.items()):
            if group_key in gone:
                del self._on_screen[element_key]
        if self._by_frame.get(frame):
            self._warn_waiting(frame)

    def _warn_waiting(self, frame: str) -> None:
        """Say why ``frame``'s messages wait, as RViz2's transform status says it."""
        self.warn(f'frame:{frame}', f'{self.frames.transform_problem(frame)}; '
                  f'{len(self._by_frame[frame])} message(s) wait for it')

    def _show_frame(self, frame: str) -> None:
        """Draw a frame's axes and what waited for it, now it reaches the fixed frame."""
        if self.frame_axes > 0:
            self.draw(FRAMES_GROUP, f'axes:{frame}', frame,
                      CoordsMarker(key=f'axes:{frame}', scale=self.frame_axes))
        for key in list(self._by_frame.get(frame, {})):
            # Frozen markers stay where they were frozen (RViz never moves them again).
            if key not in self._on_screen:
                self._place(key)

    def _frame_group(self, group: str, frame: str) -> str:
        """Return the key of ``group``'s group for ``frame``, adding it when missing."""
        key = frame_group_key(group, frame)
        placed = self._frame_groups.setdefault(frame, {})
        if key not in placed:
            if group not in self._groups:
                self.target.upsert(Group(key=group), to=ROOT_KEY)
                self._groups.add(group)
            pose = self.frames.transform_to_fixed(frame)
            placed[key] = pose
            self._upsert_group(key, pose, parent=group)
        return key

    def _upsert_group(self, key: str, pose: Transform, parent: str) -> None:
        self.target.upsert(Group(key=key, position=list(pose.translation),
                                 rotation=quaternion_to_euler(pose.rotation)), to=parent)

    # -- placing elements ---------------------------------------------------------------

    def draw(self, group: str, key: str, frame_id: str, element: Element, *,
             frame_locked: bool = True, pose: Optional[Transform] = None) -> None:
        """
        Show ``element`` of topic ``group`` in ``frame_id`` (replacing what ``key`` showed).

        :param frame_locked: False freezes it in the fixed frame at the transform current
            now; then ``pose`` is its pose in ``frame_id`` (the element's own placement).
        """
        frame = normalize_frame(frame_id) or self.frames.fixed_frame
        previous = self._drawn.get(key)
        if previous is not None and previous.frame != frame:
            self._by_frame.get(previous.frame, {}).pop(key, None)
        freeze = None
        if not frame_locked and frame != self.frames.fixed_frame:
            freeze = pose or Transform()
        self._drawn[key] = _Drawn(group, frame, element, freeze)
        waiting = self._by_frame.setdefault(frame, {})
        waiting[key] = None
        if len(waiting) > MAX_WAITING_PER_FRAME and not self.frames.is_resolved(frame):
            self.erase([next(iter(waiting))])
        self._place(key)

    def erase(self, keys: Iterable[str]) -> None:
        """Stop showing these keys."""
        shown = []
        for key in keys:
            drawn = self._drawn.pop(key, None)
            if drawn is not None:
                self._by_frame.get(drawn.frame, {}).pop(key, None)
            if self._on_screen.pop(key, None) is not None:
                shown.append(key)
        if shown:
            self.target.remove @ shown

    def _place(self, key: str) -> None:
        drawn = self._drawn[key]
        if not self.frames.is_resolved(drawn.frame):
            if self._on_screen.pop(key, None) is not None:
                self.target.remove @ key
            self._warn_waiting(drawn.frame)
            return
        element = drawn.element
        if drawn.freeze is not None:
            element = _moved(element, compose(self.frames.transform_to_fixed(drawn.frame),
                                              drawn.freeze))
            parent = self._frame_group(drawn.group, self.frames.fixed_frame)
        else:
            parent = self._frame_group(drawn.group, drawn.frame)
        if self._on_screen.get(key, parent) != parent:
            self.target.remove @ key   # the client only finds a key under the given parent
        self.target.upsert(element, to=parent)
        self._on_screen[key] = parent


def _moved(element: Element, transform: Transform) -> Element:
    """Copy a placed element to ``transform`` (text keeps no rotation)."""
    props = dict(element.props)
    props['position'] = list(transform.translation)
    if 'rotation' in props:
        props['rotation'] = quaternion_to_euler(transform.rotation)
    moved = type(element)(key=element.key, **props)
    moved.children = element.children
    moved.replaces_children = element.replaces_children
    return moved
