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
What ROS messages say, placed in the shared Vuer scene the way RViz2 shows it.

Frames become nested groups under one root group that turns ROS Z-up into the viewer's
Y-up, so a transform update is one small group update that moves everything in that
frame. Markers and poses hang in their frame's group; non-frame-locked markers are
frozen in the fixed frame at the transform current when they arrive, as RViz2 freezes
them. A message whose frame is not connected to the fixed frame waits for it instead
of being drawn at the origin. Nothing here imports rclpy: the node feeds it messages.
"""

from dataclasses import dataclass
import math
from typing import AbstractSet, Callable, Iterable, Optional, Protocol

from vuer_ros.convert import markers as mk
from vuer_ros.convert.frames import (frame_key, FrameChanges, FrameGraph, normalize_frame,
                                     ROOT_KEY)
from vuer_ros.convert.poses import (odometry_to_element, path_to_element,
                                    pose_array_to_element, pose_stamped_to_element,
                                    pose_with_covariance_to_element, PoseError, PoseStyle)
from vuer_ros.convert.transforms import (compose, pose_transform, quaternion_to_euler,
                                         Transform)
from vuer_ros.schemas import (CoordsMarker, Element, Gamepad, Grid, Group, Hands,
                              HemisphereLightStage, MotionControllers, Scene, SceneCamera,
                              SceneCameraControl)

#: The root group's rotation: ROS (x, y, z) appears at three.js (x, z, -y).
Z_UP_TO_Y_UP = [-math.pi / 2, 0.0, 0.0]

#: Pose message kinds the scene draws, by the name used in keys and parameters.
POSE_KINDS: dict[str, Callable[..., Element]] = {
    'pose': pose_stamped_to_element,
    'pose_covariance': pose_with_covariance_to_element,
    'pose_array': pose_array_to_element,
    'odometry': odometry_to_element,
    'path': path_to_element,
}

#: Messages waiting for one frame; past this the oldest waiting ones are dropped.
MAX_WAITING_PER_FRAME = 10_000


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
        SceneCamera(key='SceneCamera', position=[0, 6, 10], fov=mk.CAMERA_FOV_DEGREES),
        SceneCameraControl(key='SceneCameraControl', makeDefault=True),
    ])


class SceneTarget(Protocol):
    """Where scene calls go: a Vuer app (shared scene) or a session."""

    @property
    def upsert(self): ...  # noqa: D102,E704

    @property
    def remove(self): ...  # noqa: D102,E704


class MeshUrls(Protocol):
    """Turns mesh resource URIs into URLs the browser can load."""

    def url_for(self, uri: str, embedded: Optional[bytes] = None) -> str: ...  # noqa: D102,E704


Warn = Callable[[str, str], None]
"""``warn(topic, message)``: a warning, throttled by ``topic`` on the node's side."""


@dataclass
class _Drawn:
    """An element the scene should show, and where."""

    frame: str                       # the frame it waits for
    element: Element
    freeze: Optional[Transform]      # set: frozen in the fixed frame at arrival


class RosScene:
    """
    Places poses, markers and frames in a Vuer scene.

    :param target: receives the scene calls (``upsert``, ``remove``).
    :param fixed_frame: everything is placed relative to it, as RViz2's fixed frame.
    :param pose_style: how pose messages are drawn.
    :param path_style: how nav_msgs/Path lines are drawn.
    :param frame_axes: length of the axes drawn at every frame (0: none).
    :param meshes: resolves MESH_RESOURCE URIs (None: meshes are not drawn).
    :param font_url: font for text markers, served by the same server.
    :param charset: code points that font can draw (others become '?').
    :param warn: receives warnings, to be throttled per topic.
    """

    def __init__(self, target: SceneTarget, fixed_frame: str, *,
                 pose_style: PoseStyle = PoseStyle(kind='axes', length=0.5),
                 path_style: PoseStyle = PoseStyle(line_width=0.02),
                 frame_axes: float = 0.0, meshes: Optional[MeshUrls] = None,
                 font_url: Optional[str] = None, charset: Optional[AbstractSet[int]] = None,
                 warn: Warn = lambda topic, text: None) -> None:
        self.target = target
        self.frames = FrameGraph(fixed_frame)
        self.pose_style = pose_style
        self.path_style = path_style
        self.frame_axes = frame_axes
        self.meshes = meshes
        self.font_url = font_url
        self.charset = charset
        self.warn = warn
        self._stores: dict[str, mk.MarkerStore] = {}
        self._drawn: dict[str, _Drawn] = {}
        self._by_frame: dict[str, dict[str, None]] = {}
        self._on_screen: dict[str, str] = {}      # key -> group it hangs in
        self._group_parent: dict[str, str] = {}   # frame group key -> parent key
        # Earliest lifetime end seen since the last expire(): never later than the truth,
        # so a timer set from it fires in time (early at worst), and reading it is O(1).
        self._earliest: Optional[float] = None

    # -- set-up and frames ----------------------------------------------------------------

    def start(self) -> None:
        """Put the root group and the fixed frame's group in the scene."""
        self.target.upsert @ Group(key=ROOT_KEY, rotation=Z_UP_TO_Y_UP)
        self._apply(FrameChanges(groups=self.frames.groups(),
                                 resolved=self.frames.resolved_frames()))

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

    def on_tf_message(self, message: object, static: bool = False) -> None:
        """
        Take a tf2_msgs/TFMessage (from /tf, or /tf_static with ``static``).

        Read by attribute like every message here, so this path is tested where tf2_msgs
        cannot be installed.
        """
        for transform in message.transforms:
            self.on_transform_msg(transform, static)

    def _apply(self, changes: FrameChanges) -> None:
        for text in changes.warnings:
            self.warn('tf', text)
        lost: set[str] = set()
        shown: list[str] = []
        for group in changes.groups:
            previous = self._group_parent.get(group.key)
            if previous is not None and previous != group.parent_key:
                self.target.remove @ group.key   # the client drops its subtree with it
                lost |= self._forget_group(group.key)
            self.target.upsert(Group(key=group.key, position=group.position,
                                     rotation=group.rotation), to=group.parent_key)
            if group.key not in self._group_parent:
                shown.append(group.key)
            self._group_parent[group.key] = group.parent_key
            lost.discard(group.key)
        for frame in changes.unresolved:
            key = frame_key(frame)
            if key in self._group_parent:
                self.target.remove @ key
                lost |= self._forget_group(key)
        # Groups that went down with a moved parent come back in their new place.
        for group in self.frames.groups() if lost else ():
            if group.key in lost:
                self.target.upsert(Group(key=group.key, position=group.position,
                                         rotation=group.rotation), to=group.parent_key)
                self._group_parent[group.key] = group.parent_key
                shown.append(group.key)
        frames_shown = {key: frame for frame in self.frames.resolved_frames()
                        if (key := frame_key(frame)) in shown}
        for key in shown:
            frame = frames_shown.get(key)
            if frame is not None:
                self._show_frame(frame)

    def _forget_group(self, key: str) -> set[str]:
        """Forget a removed group and everything the client dropped with it."""
        gone = {key}
        pending = [key]
        while pending:
            parent = pending.pop()
            for child, its_parent in list(self._group_parent.items()):
                if its_parent == parent and child not in gone:
                    gone.add(child)
                    pending.append(child)
        for group_key in gone:
            self._group_parent.pop(group_key, None)
        for element_key, group_key in list(self._on_screen.items()):
            if group_key in gone:
                del self._on_screen[element_key]
        return gone

    def _show_frame(self, frame: str) -> None:
        """Draw a frame's axes and what waited for it, now its group is in the scene."""
        if self.frame_axes > 0:
            self.target.upsert(CoordsMarker(key=f'axes:{frame}', scale=self.frame_axes),
                               to=frame_key(frame))
        for key in list(self._by_frame.get(frame, {})):
            # Frozen markers stay where they were frozen (RViz never moves them again).
            if key not in self._on_screen:
                self._place(key)

    # -- placing elements ---------------------------------------------------------------

    def draw(self, key: str, frame_id: str, element: Element, *,
             frame_locked: bool = True, pose: Optional[Transform] = None) -> None:
        """
        Show ``element`` in ``frame_id`` (replacing what ``key`` showed before).

        :param frame_locked: False freezes it in the fixed frame at the transform current
            now; then ``pose`` is its pose in ``frame_id`` (the element's own placement).
        """
        frame = normalize_frame(frame_id) or self.frames.fixed_frame
        previous = self._drawn.get(key)
        if previous is not None and previous.frame != frame:
            self._by_frame.get(previous.frame, {}).pop(key, None)
        freeze = None
        if not frame_locked and frame != self.frames.fixed_frame:
            freeze = pose or Transform((0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))
        self._drawn[key] = _Drawn(frame, element, freeze)
        self._by_frame.setdefault(frame, {})[key] = None
        waiting = self._by_frame[frame]
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
            self.warn(f'frame:{drawn.frame}',
                      f'no transform from {drawn.frame!r} to the fixed frame '
                      f'{self.frames.fixed_frame!r}: {len(self._by_frame[drawn.frame])} '
                      'message(s) wait for it')
            return
        element, group = drawn.element, frame_key(drawn.frame)
        if drawn.freeze is not None:
            element = _moved(element, compose(self.frames.transform_to_fixed(drawn.frame),
                                              drawn.freeze))
            group = frame_key(self.frames.fixed_frame)
        if self._on_screen.get(key, group) != group:
            self.target.remove @ key   # the client only finds a key under the given parent
        self.target.upsert(element, to=group)
        self._on_screen[key] = group

    # -- markers --------------------------------------------------------------------------

    def on_marker(self, topic: str, marker: object, now: float) -> None:
        """Take one visualization_msgs/Marker received at ``now`` (seconds)."""
        store = self._store(topic)
        action = marker.action
        if action == mk.ADD:
            self._add_marker(store, marker, now)
        elif action == mk.DELETE:
            self.erase(store.delete(marker.ns, marker.id))
        elif action == mk.DELETEALL:
            self.erase(store.delete_all(marker.ns))
        else:
            self.warn(f'action:{topic}', f'{topic}: marker (ns {marker.ns!r}, id {marker.id}) '
                                         f'has unknown action {action}; ignored')

    def on_marker_array(self, topic: str, array: object, now: float) -> None:
        """Take one visualization_msgs/MarkerArray received at ``now`` (seconds)."""
        duplicate = mk.duplicate_error(array.markers)
        if duplicate:
            self.warn(f'duplicate:{topic}', f'{topic}: {duplicate}')
        for marker in array.markers:
            self.on_marker(topic, marker, now)

    def expire(self, now: float) -> Optional[float]:
        """Remove markers whose lifetime is over; return when the next one ends."""
        for store in self._stores.values():
            self.erase(store.expired(now))
        self._earliest = min((t for store in self._stores.values()
                              if (t := store.next_expiry()) is not None), default=None)
        return self._earliest

    def next_expiry(self) -> Optional[float]:
        """Return when the next marker's lifetime may end (None: none has one)."""
        return self._earliest

    def _store(self, topic: str) -> mk.MarkerStore:
        # A Marker display on T also listens to T_array: both share one (ns, id) space.
        display = topic.removesuffix('_array')
        store = self._stores.get(display)
        if store is None:
            store = self._stores[display] = mk.MarkerStore(display)
        return store

    def _add_marker(self, store: mk.MarkerStore, marker: object, now: float) -> None:
        key = store.key(marker.ns, marker.id)
        try:
            element = mk.marker_to_element(marker, key, mesh_url=self._mesh_url(marker),
                                           font_url=self.font_url, charset=self.charset)
        except mk.MarkerError as error:
            self.warn(f'{key}:error', f'{store.topic}: {error}')
            if error.hide:
                self.erase(store.delete(marker.ns, marker.id))
            return
        for text in mk.marker_warnings(marker):
            self.warn(f'{key}:warning', f'{store.topic}: marker (ns {marker.ns!r}, id '
                                        f'{marker.id}): {text}')
        slot = store.add(marker, now)
        if slot.expires is not None and (self._earliest is None or slot.expires < self._earliest):
            self._earliest = slot.expires
        self.draw(slot.key, slot.frame_id, element, frame_locked=bool(marker.frame_locked),
                  pose=pose_transform(marker.pose))

    def _mesh_url(self, marker: object) -> Callable[[str], Optional[str]]:
        """
        Return a resolver the converter calls only once the marker passed its checks.

        Resolving publishes the mesh's folder over HTTP, so a rejected marker must never
        get that far.
        """
        def resolve(uri: str) -> Optional[str]:
            if self.meshes is None:
                self.warn('meshes', 'mesh markers are not served by this scene')
                return None
            embedded = bytes(marker.mesh_file.data) if uri.startswith('embedded://') else None
            try:
                return self.meshes.url_for(uri, embedded)
            except ValueError as error:
                self.warn(f'mesh:{uri}', f'mesh {uri!r} of marker (ns {marker.ns!r}, id '
                                         f'{marker.id}): {error}')
                return None
        return resolve

    # -- poses ----------------------------------------------------------------------------

    def on_pose(self, kind: str, topic: str, message: object) -> None:
        """Draw a pose-like message; ``kind`` is one of :data:`POSE_KINDS`."""
        key = f'{kind}:{topic}'
        style = self.path_style if kind == 'path' else self.pose_style
        try:
            element = POSE_KINDS[kind](message, key, style)
        except PoseError as error:
            self.warn(f'{key}:error', f'{topic}: {error}; not drawn')
            return
        self.draw(key, message.header.frame_id, element)


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
