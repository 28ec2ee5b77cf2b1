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
along: frame-locked markers and the frame axes follow the latest transform this way.

A message drawn with its header stamp is placed as RViz2's MessageFilterDisplays place
it: at its frame's transform at that stamp (tf2's history, interpolated), fixed in the
fixed frame's group of its topic. A stamp newer than the transforms on its path waits
for TF, re-tried as transforms arrive, and is dropped once TF_WAIT seconds have passed
without them reaching it; a stamp older than the history is refused with tf2's error.
Non-frame-locked markers and a stamp of zero (no time) are placed at the latest
transform when they arrive, as RViz2 freezes them; other messages stamped zero follow
their frame. A message in a frame tf2 can't resolve in the fixed frame waits for it
instead of being drawn at the origin, with RViz2's transform status naming the frames.
Both refusals are throttled warnings. This is the shared service RViz2 calls the frame
manager; nothing here imports rclpy.
"""

from dataclasses import dataclass
import math
from typing import Callable, Iterable, Optional, Protocol

from vuer_ros.convert.frames import (display_time, FrameChanges, FrameGraph, normalize_frame,
                                     ROOT_KEY, stamp_ns, TransformUnavailable)
from vuer_ros.convert.markers import CAMERA_FOV_DEGREES
from vuer_ros.convert.transforms import (compose, euler_to_quaternion, quaternion_to_euler,
                                         Transform)
from vuer_ros.edits import EditKind
from vuer_ros.schemas import (Billboard, CoordsMarker, Element, Gamepad, Grid, Group, Hands,
                              Head, HemisphereLightStage, MotionControllers, Scene,
                              SceneCamera, SceneCameraControl, Text)

#: The root group's rotation: ROS (x, y, z) appears at three.js (x, z, -y).
Z_UP_TO_Y_UP = [-math.pi / 2, 0.0, 0.0]
#: Messages waiting for one frame; past this the oldest waiting ones are dropped.
MAX_WAITING_PER_FRAME = 10_000
#: Group of the axes drawn at every frame (RViz2's TF display).
FRAMES_GROUP = 'tf'
#: Seconds a message stamped past the newest transforms waits for TF to reach its stamp.
TF_WAIT = 0.5


def viewer_scene() -> Scene:
    """
    Return the view a ROS user expects first: ground grid, lights, a camera looking down.

    The camera's field of view is the one POINTS sizes are computed for. For
    teleoperation the camera control streams CAMERA_MOVE when the view changes, and in
    XR the head, hands and both controllers stream their poses (MotionControllers sends
    a side only when that side's prop is set).
    """
    return Scene(key='scene', bgChildren=[
        Grid(key='grid'),
        HemisphereLightStage(key='light-stage'),
        Gamepad(key='gamepad-0', index=0),
        Head(key='head', fps=30, stream=True),
        Hands(key='hands', fps=30, stream=True),
        MotionControllers(key='motion-controllers', fps=30, stream=True, left=True,
                          right=True),
        SceneCamera(key='SceneCamera', position=[0, 6, 10], fov=CAMERA_FOV_DEGREES),
        SceneCameraControl(key='SceneCameraControl', makeDefault=True, stream=True),
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

    def publish_built(self, kind: EditKind, elements: object,  # noqa: D102
                      to: Optional[str] = None) -> None: ...  # noqa: E704


Warn = Callable[[str, str], None]
"""``warn(throttle_key, message)``: a warning, throttled by key on the node's side."""


@dataclass(frozen=True)
class FrameStyle:
    """
    How every frame is drawn, as RViz2's TF display draws it.

    ``axes`` is the length of each frame's axes (0: none); ``names`` shows each frame's
    name below its origin (RViz2's Show Names); a frame whose transform has not been
    received for ``timeout`` seconds is hidden (RViz2's Frame Timeout; 0: never).
    """

    axes: float = 0.0
    names: bool = False
    timeout: float = 15.0
    font_url: Optional[str] = None


@dataclass
class _Drawn:
    """An element the scene should show, and where."""

    group: str                       # the topic's group
    frame: str                       # the frame it waits for
    element: Element
    freeze: Optional[Transform]      # set: its pose in ``frame``, fixed in the fixed frame
    stamp: int = 0                   # ... at the transform at this stamp (0: latest)
    deadline: float = 0.0            # when it stops waiting for TF to reach ``stamp``
    upright: bool = False            # fixed without rotation (view-facing text)
    built: bool = False              # sendable as built: the server skips validating it


class RosScene:
    """
    Places what displays draw in their frames, in a Vuer scene.

    :param target: receives the scene calls (``upsert``, ``remove``).
    :param fixed_frame: everything is placed relative to it, as RViz2's fixed frame.
    :param style: how the frames themselves are drawn.
    :param warn: receives warnings, to be throttled per key.
    :param clock: seconds of receive time (the loop's clock), for waiting for TF and for
        the frame timeout.
    """

    def __init__(self, target: SceneTarget, fixed_frame: str, *,
                 style: FrameStyle = FrameStyle(), warn: Warn = lambda key, text: None,
                 clock: Callable[[], float] = lambda: 0.0) -> None:
        self.target = target
        self.frames = FrameGraph(fixed_frame)
        self.style = style
        self.warn = warn
        self.clock = clock
        self._heard: dict[str, float] = {}            # dynamic frames, least recently heard first
        self._stale: set[str] = set()                 # frames hidden for the timeout
        self._drawn: dict[str, _Drawn] = {}
        self._early: dict[str, None] = {}             # keys stamped past the newest TF
        self._by_frame: dict[str, dict[str, None]] = {}
        self._on_screen: dict[str, str] = {}          # element key -> frame group key
        self._groups: set[str] = set()                # topic groups in the scene
        self._frame_groups: dict[str, dict[str, Transform]] = {}  # frame -> key -> pose
        self._held: dict[str, int] = {}               # frame group key -> elements on screen
        self._frame_group_frames: dict[str, str] = {}  # frame group key -> its frame
        #: Child frames TF publishers sent (not the robot model's forward kinematics).
        self.published_frames: set[str] = set()

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
                     rotation_xyzw: Iterable[float], static: bool = False,
                     stamp: int = 0) -> None:
        """Take one TF edge (from /tf, /tf_static or a TransformStamped topic) at ``stamp``."""
        self.published_frames.add(normalize_frame(child))
        self.on_transforms([(parent, child, translation, rotation_xyzw, static, stamp)])

    def on_transforms(self, edges: Iterable[tuple]) -> None:
        """
        Take several TF edges ``(parent, child, translation, rotation_xyzw, static, stamp)``.

        Each group they move is sent once, however many of the edges are above it: the
        robot model feeds its forward kinematics this way (not into ``published_frames``).
        """
        moved: dict[str, None] = {}
        for parent, child, translation, rotation_xyzw, static, stamp in edges:
            changes = self.frames.set_transform(parent, child, tuple(translation),
                                                tuple(rotation_xyzw), static, stamp)
            if changes.resolved or changes.unresolved or changes.warnings:
                self._apply(changes)
            else:
                moved.update(dict.fromkeys(group.frame for group in changes.groups))
            self._hear(normalize_frame(child), static)
        self._move_groups(moved)
        for key in list(self._early):   # TF may have reached their stamps now
            del self._early[key]
            self._place(key)

    def on_time_jump(self) -> None:
        """Clear TF's history when ROS time jumps back (a bag played again), as tf2_ros does."""
        self.frames.clear_history()

    def _hear(self, frame: str, static: bool) -> None:
        """Note that ``frame``'s transform arrived: it is fresh (static ones stay fresh)."""
        self._heard.pop(frame, None)
        if not static and self.style.timeout > 0:
            self._heard[frame] = self.clock()
        if frame in self._stale:
            self._stale.discard(frame)
            if self.frames.is_resolved(frame):
                self._draw_axes(frame)

    def next_stale(self) -> Optional[float]:
        """When the least recently heard frame times out (None: no frame can)."""
        heard = next(iter(self._heard.values()), None)
        return None if heard is None else heard + self.style.timeout

    def hide_stale_frames(self, now: float) -> Optional[float]:
        """
        Hide the axes of frames not heard for the timeout, as RViz2's TF display hides them.

        Returns when the next frame times out. A frame is heard again with its next transform.
        """
        for frame, heard in list(self._heard.items()):
            if heard + self.style.timeout > now:
                break
            del self._heard[frame]
            self._stale.add(frame)
            self.erase([f'axes:{frame}', f'name:{frame}'])
        return self.next_stale()

    def on_transform_msg(self, message: object, static: bool = False) -> None:
        """Take a geometry_msgs/TransformStamped, at its header stamp."""
        t, r = message.transform.translation, message.transform.rotation
        self.on_transform(message.header.frame_id, message.child_frame_id,
                          (t.x, t.y, t.z), (r.x, r.y, r.z, r.w), static,
                          stamp_ns(message.header.stamp))

    def _apply(self, changes: FrameChanges) -> None:
        for text in changes.warnings:
            self.warn('tf', text)
        for frame in changes.unresolved:
            self._hide_frame(frame)
        self._move_groups([group.frame for group in changes.groups])
        for frame in changes.resolved:
            self._show_frame(frame)

    def _move_groups(self, frames: Iterable[str]) -> None:
        """Send the groups of ``frames`` and of the frames below them that moved."""
        for frame, pose in self.frames.fixed_transforms(list(frames)).items():
            for key, placed in self._frame_groups.get(frame, {}).items():
                if placed != pose:
                    self._frame_groups[frame][key] = pose
                    self._upsert_group(key, pose, parent=key.rpartition('@')[0])

    def _hide_frame(self, frame: str) -> None:
        """Remove the groups of a frame that lost the fixed frame; what they held waits."""
        keys = list(self._frame_groups.pop(frame, {}))
        if keys:
            self.target.remove @ keys   # the client drops their elements with them
        gone = set(keys)
        for element_key, group_key in list(self._on_screen.items()):
            if group_key in gone:
                del self._on_screen[element_key]
        for key in keys:
            self._held.pop(key, None)
            self._frame_group_frames.pop(key, None)
        if self._by_frame.get(frame):
            self._warn_waiting(frame)

    def _warn_waiting(self, frame: str) -> None:
        """Say why ``frame``'s messages wait, as RViz2's transform status says it."""
        self.warn(f'frame:{frame}', f'{self.frames.transform_problem(frame)}; '
                  f'{len(self._by_frame[frame])} message(s) wait for it')

    def _show_frame(self, frame: str) -> None:
        """Draw a frame's axes and what waited for it, now it reaches the fixed frame."""
        if frame not in self._stale:
            self._draw_axes(frame)
        for key in list(self._by_frame.get(frame, {})):
            # Frozen markers stay where they were frozen (RViz never moves them again).
            if key not in self._on_screen:
                self._place(key)

    def _draw_axes(self, frame: str) -> None:
        """Draw a frame's axes and its name, following its latest transform."""
        style = self.style
        if style.axes > 0:
            self.draw(FRAMES_GROUP, f'axes:{frame}', frame,
                      CoordsMarker(key=f'axes:{frame}', scale=style.axes))
        if style.names:   # RViz2: centred below the origin, 0.1 m high for 0.2 m axes
            props = {'fontSize': (style.axes or 0.2) / 2, 'color': '#ffffff',
                     'anchorX': 'center', 'anchorY': 'top'}
            if style.font_url:
                props['font'] = style.font_url
            self.draw(FRAMES_GROUP, f'name:{frame}', frame, Billboard(
                Text(frame, key=f'name:{frame}/text', **props), key=f'name:{frame}'))

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
            self._frame_group_frames[key] = frame
            self._held.setdefault(key, 0)
            self._upsert_group(key, pose, parent=group)
        return key

    def _upsert_group(self, key: str, pose: Transform, parent: str) -> None:
        self.target.upsert(Group(key=key, position=list(pose.translation),
                                 rotation=quaternion_to_euler(pose.rotation)), to=parent)

    # -- placing elements ---------------------------------------------------------------

    def draw(self, group: str, key: str, frame_id: str, element: Element, *,
             frame_locked: bool = True, pose: Optional[Transform] = None,
             stamp: Optional[object] = None, built: bool = False) -> None:
        """
        Show ``element`` of topic ``group`` in ``frame_id`` (replacing what ``key`` showed).

        :param frame_locked: False fixes it in the fixed frame at the latest transform.
        :param pose: its pose in ``frame_id`` when it is fixed (default: the element's own).
        :param stamp: its header stamp (builtin_interfaces/Time): fixed in the fixed frame
            at the transform at that stamp, as RViz2's MessageFilter places messages;
            None (frame-locked markers, frame axes) or zero: placed at the latest transform.
        :param built: the element comes from a converter whose tests prove it sendable
            (``ScenePublisher.publish_built``), so the server does not validate it again.
        """
        frame = normalize_frame(frame_id) or self.frames.fixed_frame
        previous = self._drawn.get(key)
        if previous is not None and previous.frame != frame:
            self._by_frame.get(previous.frame, {}).pop(key, None)
        at = stamp_ns(stamp)
        freeze = None
        if (at or not frame_locked) and frame != self.frames.fixed_frame:
            freeze = pose or _pose_of(element)
        self._drawn[key] = _Drawn(group, frame, element, freeze, at, self.clock() + TF_WAIT,
                                  upright=pose is not None and 'rotation' not in element.props,
                                  built=built)
        self._early.pop(key, None)
        waiting = self._by_frame.setdefault(frame, {})
        waiting[key] = None
        if len(waiting) > MAX_WAITING_PER_FRAME and not self.frames.is_resolved(frame):
            self.erase([next(iter(waiting))])
        self._place(key)

    def erase(self, keys: Iterable[str]) -> None:
        """Stop showing these keys, and the frame groups they leave empty."""
        shown = []
        for key in keys:
            drawn = self._drawn.pop(key, None)
            if drawn is not None:
                self._by_frame.get(drawn.frame, {}).pop(key, None)
            self._early.pop(key, None)
            if key in self._on_screen:
                shown.append(key)
                shown += self._take_off_screen(key)
        if shown:
            self.target.remove @ shown

    def _take_off_screen(self, key: str) -> list[str]:
        """
        Forget that ``key`` is on screen; return its frame group's key if it is now empty.

        An empty group would stay in the scene tree (a dropped link, a deleted marker
        namespace) and still be sent every move of its frame. The caller removes it.
        """
        parent = self._on_screen.pop(key)
        held = self._held[parent] - 1
        if held:
            self._held[parent] = held
            return []
        del self._held[parent]
        frame = self._frame_group_frames.pop(parent)
        groups = self._frame_groups.get(frame, {})
        groups.pop(parent, None)
        if not groups:
            self._frame_groups.pop(frame, None)
        return [parent]

    def _place(self, key: str) -> None:
        drawn = self._drawn[key]
        if not self.frames.is_resolved(drawn.frame):
            if key in self._on_screen:
                self.target.remove @ [key, *self._take_off_screen(key)]
            self._warn_waiting(drawn.frame)
            return
        element = drawn.element
        if drawn.freeze is not None:
            try:
                at = self.frames.transform_at(drawn.frame, drawn.stamp)
            except TransformUnavailable as error:
                self._refuse_or_wait(key, drawn, error)
                return
            element = _moved(element, compose(at, drawn.freeze), drawn.upright)
            parent = self._frame_group(drawn.group, self.frames.fixed_frame)
        else:
            parent = self._frame_group(drawn.group, drawn.frame)
        if self._on_screen.get(key, parent) != parent:
            # The client only finds a key under the given parent.
            self.target.remove @ [key, *self._take_off_screen(key)]
        if drawn.built:
            self.target.publish_built(EditKind.UPSERT, element, parent)
        else:
            self.target.upsert(element, to=parent)
        if key not in self._on_screen:
            self._held[parent] += 1   # _frame_group made its count
            self._on_screen[key] = parent

    def _refuse_or_wait(self, key: str, drawn: _Drawn, error: TransformUnavailable) -> None:
        """
        Let a message TF has not reached yet wait; drop one it can't serve, with a warning.

        What ``key`` showed before stays, as RViz2 keeps a display's last drawing when the
        MessageFilter drops a message.
        """
        if error.later and self.clock() < drawn.deadline:
            self._early[key] = None
            return
        del self._drawn[key]
        self._by_frame[drawn.frame].pop(key, None)
        where = f'(frame=[{drawn.frame}], stamp=[{display_time(drawn.stamp)}])'
        reason = (f'TF did not reach its stamp within {TF_WAIT} s {where}' if error.later else
                  f'Message removed because it is too old {where}')
        self.warn(f'stamp:{drawn.group}', f'{drawn.group}: {reason}: {error}; not drawn')


def _pose_of(element: Element) -> Transform:
    """Return an element's own pose, from its ``position`` and ``rotation`` props."""
    props = element.props
    return Transform(tuple(props.get('position', (0.0, 0.0, 0.0))),
                     euler_to_quaternion(props.get('rotation', (0.0, 0.0, 0.0))))


def _moved(element: Element, transform: Transform, upright: bool) -> Element:
    """Copy a placed element to ``transform`` (``upright``: keeping no rotation)."""
    props = dict(element.props)
    props['position'] = list(transform.translation)
    if not upright:
        props['rotation'] = quaternion_to_euler(transform.rotation)
    moved = type(element)(key=element.key, **props)
    moved.children = element.children
    moved.replaces_children = element.replaces_children
    return moved
