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
The operator's inputs, as the vuer 0.1.6 client sends them, turned into ROS-ready values.

Pure functions: a client event's ``value`` in, poses and Joy fields out, or
:class:`TeleopInputError` saying what is wrong; nothing here imports rclpy.

Frames. The client's world is three.js Y-up; the scene root turns ROS (x, y, z) into
three.js (x, z, -y) (``Z_UP_TO_Y_UP`` in ``displays/scene.py``) and sits at the fixed
frame, so a viewer position (a, b, c) is (a, -c, b) in the fixed frame. WebXR reference
space (``local-floor``) is that same world. Device axes follow WebXR and three.js
cameras (-Z forward, +Y up, +X right); they are turned into REP 103 body axes (x
forward, y left, z up), so a level camera or head looking along the fixed frame's x axis
has the identity orientation. Hand joints follow the same rule: x points along the bone
towards the finger tip, z out of the back of the hand.

Payload shapes (read from the client bundle, where several differ from vuer's docs):

- ``CAMERA_MOVE``: ``{camera: {position[3], quaternion[4], matrix[16], ...}, world?}``
  (``world`` added by the client's BackgroundColor);
- ``HEAD_MOVE``: ``{matrix[16]}``, column-major;
- ``HAND_MOVE``: ``{left[400], right[400], leftState, rightState}``: 25 joint matrices in
  WebXR order (:data:`HAND_JOINTS`), in the reference space (not wrist-relative);
- ``CONTROLLER_MOVE``: ``{left[16], right[16], leftState, rightState}``: target-ray pose;
- ``GAMEPAD``: ``{id, axes[], buttons[]}``: button values 0..1;
- ``OBJECT_MOVE`` / ``OBJECT_MOVE_END``: ``{matrix[16] (desktop: in the parent's frame),
  matrixWorld[16], position, rotation, quaternion}``; in XR ``matrix`` is missing and
  ``matrixWorld`` is the world pose.
"""

from dataclasses import dataclass
import math
from typing import Any, Iterable, Mapping, Optional, Sequence

import numpy as np

from vuer_ros.convert.transforms import Quaternion, Vector3

#: WebXR hand joints, in the order HAND_MOVE sends them (and ~/hands/<side> publishes).
HAND_JOINTS = (
    'wrist',
    'thumb-metacarpal', 'thumb-phalanx-proximal', 'thumb-phalanx-distal', 'thumb-tip',
    'index-finger-metacarpal', 'index-finger-phalanx-proximal',
    'index-finger-phalanx-intermediate', 'index-finger-phalanx-distal', 'index-finger-tip',
    'middle-finger-metacarpal', 'middle-finger-phalanx-proximal',
    'middle-finger-phalanx-intermediate', 'middle-finger-phalanx-distal',
    'middle-finger-tip',
    'ring-finger-metacarpal', 'ring-finger-phalanx-proximal',
    'ring-finger-phalanx-intermediate', 'ring-finger-phalanx-distal', 'ring-finger-tip',
    'pinky-finger-metacarpal', 'pinky-finger-phalanx-proximal',
    'pinky-finger-phalanx-intermediate', 'pinky-finger-phalanx-distal', 'pinky-finger-tip',
)
SIDES = ('left', 'right')
#: Joy layout of a hand (~/hands/<side>/joy): the client's gesture flags and distances.
HAND_BUTTONS = ('pinch', 'squeeze', 'tap')
HAND_AXES = ('pinchValue', 'squeezeValue', 'tapValue')
#: Joy layout of a controller (~/controllers/<side>/joy), in xr-standard button order.
CONTROLLER_BUTTONS = ('trigger', 'squeeze', 'touchpad', 'thumbstick', 'aButton', 'bButton')
CONTROLLER_AXES = ('thumbstick x', 'thumbstick y', 'touchpad x', 'touchpad y', 'trigger',
                   'squeeze')
#: nav2's and RViz2's initial pose covariance (rviz_default_plugins InitialPoseTool:
#: std dev 0.5 m in x and y, pi/12 rad in yaw), row-major 6x6.
INITIAL_POSE_COVARIANCE = tuple(
    {0: 0.25, 7: 0.25, 35: (math.pi / 12.0) ** 2}.get(i, 0.0) for i in range(36))
#: Largest coordinate accepted, in metres: a headset or camera beyond it is a bad value.
MAX_COORDINATE = 1e5
#: How far a rotation's columns may be from orthonormal (float32 matrices are ~1e-7).
ORTHONORMAL_TOLERANCE = 1e-3
#: Largest number of axes or buttons accepted from a gamepad.
MAX_GAMEPAD_CHANNELS = 64
#: Distances (metres) of the hand gestures above this are bad values.
MAX_GESTURE_DISTANCE = 10.0

#: Three.js world (Y-up) coordinates -> fixed frame (Z-up): (a, b, c) -> (a, -c, b).
VIEWER_TO_ROS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
#: REP 103 body axes expressed in WebXR device axes: x = -Z, y = -X, z = +Y.
BODY_IN_DEVICE = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]])

#: Keys each event's value may hold (the client's own extras included: BackgroundColor
#: adds ``world`` to CAMERA_MOVE); any other key makes the event malformed.
VALUE_KEYS = {
    'CAMERA_MOVE': frozenset({'camera', 'world'}),
    'HEAD_MOVE': frozenset({'matrix'}),
    'HAND_MOVE': frozenset({'left', 'right', 'leftState', 'rightState'}),
    'CONTROLLER_MOVE': frozenset({'left', 'right', 'leftState', 'rightState'}),
    'GAMEPAD': frozenset({'id', 'axes', 'buttons', 'index', 'mapping', 'timestamp'}),
    'OBJECT_MOVE': frozenset({'matrix', 'matrixWorld', 'position', 'rotation',
                              'quaternion'}),
}
VALUE_KEYS['OBJECT_MOVE_END'] = VALUE_KEYS['OBJECT_MOVE']


class TeleopInputError(ValueError):
    """A client event that must not reach ROS: what is wrong with it, for the warning."""


@dataclass(frozen=True)
class Pose:
    """A pose in the fixed frame: position (m) and unit quaternion (x, y, z, w)."""

    position: Vector3
    orientation: Quaternion


@dataclass(frozen=True)
class JoyState:
    """The fields of a sensor_msgs/Joy: axes (floats) and buttons (0 or 1)."""

    axes: tuple[float, ...]
    buttons: tuple[int, ...]

    def neutral(self) -> 'JoyState':
        """Return the same layout with nothing pushed: what a dead operator leaves."""
        return JoyState((0.0,) * len(self.axes), (0,) * len(self.buttons))


# -- checks ---------------------------------------------------------------------------------

def checked_value(etype: str, value: Any) -> Mapping[str, Any]:
    """Return ``value`` when it is a map holding only the keys ``etype`` sends."""
    if not isinstance(value, Mapping):
        raise TeleopInputError(f'value is a {type(value).__name__}, not a map')
    unknown = set(value) - VALUE_KEYS[etype]
    if unknown:
        raise TeleopInputError(f'unknown key(s) {sorted(map(str, unknown))}')
    return value


def numbers(values: Any, count: Optional[int], what: str, *, low: float = -math.inf,
            high: float = math.inf) -> np.ndarray:
    """Return ``values`` as float64 when it is ``count`` finite numbers in [low, high]."""
    if not isinstance(values, (list, tuple)) or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise TeleopInputError(f'{what} is not a list of numbers')
    if count is not None and len(values) != count:
        raise TeleopInputError(f'{what} has {len(values)} numbers, not {count}')
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise TeleopInputError(f'{what} holds NaN or infinity')
    if array.size and (array.min() < low or array.max() > high):
        raise TeleopInputError(f'{what} is out of range [{low}, {high}]')
    return array


# -- poses ----------------------------------------------------------------------------------

def _quaternions(rotations: np.ndarray) -> np.ndarray:
    """
    Return unit quaternions (x, y, z, w), w >= 0, of rotation matrices (n, 3, 3).

    Shepperd's method, for all at once: each takes the formula led by its largest of w,
    x, y and z, the one that divides by the largest number.
    """
    m = rotations
    m00, m11, m22 = m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]
    leads = np.stack([1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22,
                      1 + m00 + m11 + m22], axis=1)      # 4 x^2, 4 y^2, 4 z^2, 4 w^2
    sums = np.stack([m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0],
                     m[:, 1, 0] - m[:, 0, 1]], axis=1)   # 4 w x, 4 w y, 4 w z
    pairs = np.stack([m[:, 0, 1] + m[:, 1, 0], m[:, 0, 2] + m[:, 2, 0],
                      m[:, 1, 2] + m[:, 2, 1]], axis=1)  # 4 x y, 4 x z, 4 y z
    # Each row: 4 q_lead * (x, y, z, w), by which component leads.
    products = np.stack([
        np.stack([leads[:, 0], pairs[:, 0], pairs[:, 1], sums[:, 0]], axis=1),
        np.stack([pairs[:, 0], leads[:, 1], pairs[:, 2], sums[:, 1]], axis=1),
        np.stack([pairs[:, 1], pairs[:, 2], leads[:, 2], sums[:, 2]], axis=1),
        np.stack([sums[:, 0], sums[:, 1], sums[:, 2], leads[:, 3]], axis=1)], axis=1)
    chosen = products[np.arange(len(m)), np.argmax(leads, axis=1)]
    chosen /= np.linalg.norm(chosen, axis=1, keepdims=True)
    return np.where(chosen[:, 3:] < 0, -chosen, chosen)


def _quaternion(rotation: np.ndarray) -> Quaternion:
    """Return the unit quaternion (x, y, z, w), w >= 0, of one rotation matrix."""
    return tuple(float(c) for c in _quaternions(rotation[None])[0])


def _rotation(q: Sequence[float]) -> np.ndarray:
    x, y, z, w = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def _rigids(values: Any, count: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Rotations (n, 3, 3) and translations (n, 3) of ``count`` column-major 4x4 matrices."""
    matrices = numbers(values, 16 * count, what).reshape(count, 4, 4).transpose(0, 2, 1)
    rotations, translations = matrices[:, :3, :3], matrices[:, :3, 3]
    if np.abs(matrices[:, 3] - (0.0, 0.0, 0.0, 1.0)).max() > ORTHONORMAL_TOLERANCE:
        raise TeleopInputError(f'{what} is not a rigid transform (last row)')
    gram = np.einsum('nji,njk->nik', rotations, rotations)
    if np.abs(gram - np.eye(3)).max() > ORTHONORMAL_TOLERANCE or \
            (np.linalg.det(rotations) < 0).any():
        raise TeleopInputError(f'{what} is not a rigid transform (rotation)')
    if np.abs(translations).max() > MAX_COORDINATE:
        raise TeleopInputError(f'{what} is more than {MAX_COORDINATE:g} m away')
    return rotations, translations


def _poses(rotations: np.ndarray, translations: np.ndarray) -> list[Pose]:
    quaternions = _quaternions(rotations).tolist()
    return [Pose(tuple(t), tuple(q)) for t, q in zip(translations.tolist(), quaternions)]


def device_poses(values: Any, count: int, what: str = 'matrix') -> list[Pose]:
    """Return poses in the fixed frame, REP 103 body axes, of devices' Y-up world matrices."""
    rotations, translations = _rigids(values, count, what)
    return _poses(VIEWER_TO_ROS @ rotations @ BODY_IN_DEVICE, translations @ VIEWER_TO_ROS.T)


def device_pose(values: Any, what: str = 'matrix') -> Pose:
    """Return the pose in the fixed frame, REP 103 body axes, of a device's Y-up matrix."""
    return device_poses(values, 1, what)[0]


def world_pose(values: Any, what: str = 'matrixWorld') -> Pose:
    """Return the pose in the fixed frame of an object's Y-up world matrix (axes kept)."""
    rotations, translations = _rigids(values, 1, what)
    return _poses(VIEWER_TO_ROS @ rotations, translations @ VIEWER_TO_ROS.T)[0]


def local_pose(values: Any, what: str = 'matrix') -> Pose:
    """Return the pose of a matrix already in ROS coordinates (under the scene root)."""
    return _poses(*_rigids(values, 1, what))[0]


def camera_pose(value: Any) -> Pose:
    """Return the viewer camera's pose from a CAMERA_MOVE value."""
    camera = checked_value('CAMERA_MOVE', value).get('camera')
    if not isinstance(camera, Mapping):
        raise TeleopInputError('no camera map')
    # position and quaternion, not matrix: the controls report before the render updates
    # the camera's matrix, so the matrix may be a frame old.
    position = numbers(camera.get('position'), 3, 'camera.position', low=-MAX_COORDINATE,
                       high=MAX_COORDINATE)
    quaternion = numbers(camera.get('quaternion'), 4, 'camera.quaternion')
    if abs(float(quaternion @ quaternion) - 1.0) > ORTHONORMAL_TOLERANCE:
        raise TeleopInputError('camera.quaternion is not of unit length')
    return _poses((VIEWER_TO_ROS @ _rotation(quaternion) @ BODY_IN_DEVICE)[None],
                  (VIEWER_TO_ROS @ position)[None])[0]


def head_pose(value: Any) -> Pose:
    """Return the headset's pose from a HEAD_MOVE value."""
    return device_pose(checked_value('HEAD_MOVE', value).get('matrix'), 'matrix')


def hand_poses(values: Any, side: str) -> list[Pose]:
    """Return the 25 joint poses of one hand, in :data:`HAND_JOINTS` order."""
    return device_poses(values, len(HAND_JOINTS), f'{side} hand')


def _state(state: Any, side: str) -> Mapping[str, Any]:
    if not isinstance(state, Mapping):
        raise TeleopInputError(f'{side}State is not a map')
    return state


def _flag(value: Any, what: str) -> int:
    """Read a pressed flag: true or "pressed" is 1; false, None or "touched" is 0."""
    if value in (True, 'pressed'):
        return 1
    if value in (False, None, 'touched'):
        return 0
    raise TeleopInputError(f'{what} is {value!r}, not a flag')


def _scalar(value: Any, what: str, low: float, high: float) -> float:
    return float(numbers([value if value is not None else 0.0], 1, what, low=low,
                         high=high)[0])


def hand_joy(state: Any, side: str) -> JoyState:
    """Return a hand's gestures: buttons pinch, squeeze, tap; axes their distances (m)."""
    state = _state(state, side)
    return JoyState(
        tuple(_scalar(state.get(name), f'{side}State.{name}', 0.0, MAX_GESTURE_DISTANCE)
              for name in HAND_AXES),
        tuple(_flag(state.get(name), f'{side}State.{name}') for name in HAND_BUTTONS))


def hand_sides(value: Any) -> dict[str, tuple[list[Pose], Optional[JoyState]]]:
    """Each tracked hand of a HAND_MOVE value: joint poses and gestures."""
    value = checked_value('HAND_MOVE', value)
    hands = {}
    for side in SIDES:
        if value.get(side) is None:   # not tracked now: the client leaves it out
            continue
        state = value.get(f'{side}State')
        hands[side] = (hand_poses(value[side], side),
                       hand_joy(state, side) if state is not None else None)
    return hands


def _stick(values: Any, what: str) -> tuple[float, float]:
    """Return a stick's (x, y) with the joy_node sign: pushed left or up is positive."""
    x, y = numbers(values if values is not None else [0.0, 0.0], 2, what, low=-1.0,
                   high=1.0)
    return (-float(x) or 0.0, -float(y) or 0.0)


def controller_joy(state: Any, side: str) -> JoyState:
    """Return a controller's buttons and axes (CONTROLLER_BUTTONS / _AXES layout)."""
    state = _state(state, side)
    axes = (*_stick(state.get('thumbstickValue'), f'{side}State.thumbstickValue'),
            *_stick(state.get('touchpadValue'), f'{side}State.touchpadValue'),
            _scalar(state.get('triggerValue'), f'{side}State.triggerValue', 0.0, 1.0),
            _scalar(state.get('squeezeValue'), f'{side}State.squeezeValue', 0.0, 1.0))
    return JoyState(axes, tuple(_flag(state.get(name), f'{side}State.{name}')
                                for name in CONTROLLER_BUTTONS))


def controller_sides(value: Any) -> dict[str, tuple[Pose, Optional[JoyState]]]:
    """Each controller of a CONTROLLER_MOVE value: target-ray pose and Joy fields."""
    value = checked_value('CONTROLLER_MOVE', value)
    controllers = {}
    for side in SIDES:
        if value.get(side) is None:
            continue
        state = value.get(f'{side}State')
        controllers[side] = (device_pose(value[side], side),
                             controller_joy(state, side) if state is not None else None)
    return controllers


def gamepad_joy(value: Any) -> JoyState:
    """
    Return a laptop gamepad's state (W3C standard mapping) as joy_node publishes it.

    Axes keep the browser's order (0, 1 left stick; 2, 3 right stick) with joy_node's
    sign, pushed left or up positive; buttons are pressed (1) at half travel or more, in
    the browser's order (0 = A / cross, 4 and 5 the shoulder buttons...).
    """
    value = checked_value('GAMEPAD', value)
    axes = numbers(value.get('axes'), None, 'axes', low=-1.0, high=1.0)
    buttons = numbers(value.get('buttons'), None, 'buttons', low=0.0, high=1.0)
    if max(axes.size, buttons.size) > MAX_GAMEPAD_CHANNELS:
        raise TeleopInputError(f'more than {MAX_GAMEPAD_CHANNELS} axes or buttons')
    return JoyState(tuple(-float(a) or 0.0 for a in axes),
                    tuple(int(b >= 0.5) for b in buttons))


def object_pose(value: Any, under_root: bool = True) -> Pose:
    """
    Pose of a dragged element (OBJECT_MOVE) in the fixed frame.

    On the desktop ``matrix`` is the element's matrix in its parent; for an element placed
    directly under the scene root (``under_root``) that is the fixed frame already. In XR
    only ``matrixWorld``, the Y-up world pose, comes.
    """
    value = checked_value('OBJECT_MOVE', value)
    if value.get('matrix') is not None and under_root:
        return local_pose(value['matrix'])
    return world_pose(value.get('matrixWorld'))


def ground_pose(pose: Pose) -> Pose:
    """Return the pose on the ground (z = 0) with its yaw only, as RViz2's 2D tools do."""
    x, y, z, w = pose.orientation
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return Pose((pose.position[0], pose.position[1], 0.0),
                (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)))


# -- haptics --------------------------------------------------------------------------------

#: sensor_msgs/JoyFeedback types that pulse a controller (LED does nothing here).
FEEDBACK_RUMBLE, FEEDBACK_BUZZER = 1, 2


def haptic_pulses(feedback: Iterable[Any], duration_ms: float) -> dict[str, dict]:
    """
    HAPTIC_ACTUATOR_PULSE data of a JoyFeedbackArray's entries.

    A rumble or buzzer entry with ``id`` 0 pulses the left controller, 1 the right, at
    ``intensity`` (0..1) for ``duration_ms`` (JoyFeedback has no duration field).
    """
    pulses: dict[str, dict] = {}
    for entry in feedback:
        if entry.type not in (FEEDBACK_RUMBLE, FEEDBACK_BUZZER):
            raise TeleopInputError(f'feedback type {entry.type} is not rumble (1) or buzzer (2)')
        if entry.id not in (0, 1):
            raise TeleopInputError(f'feedback id {entry.id} is not 0 (left) or 1 (right)')
        strength = _scalar(entry.intensity, 'intensity', 0.0, 1.0)
        pulses[SIDES[entry.id]] = {'strength': strength, 'duration': float(duration_ms)}
    return pulses


# -- what the client sends for a pose (the inverse; for tests, benchmarks and demos) ---------

def _world_matrix(rotation: np.ndarray, translation: Sequence[float]) -> list[float]:
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = translation
    return matrix.T.reshape(16).tolist()


def viewer_matrix(pose: Pose) -> list[float]:
    """Return the column-major Y-up world matrix of a device at ``pose`` (the inverse)."""
    return _world_matrix(VIEWER_TO_ROS.T @ _rotation(pose.orientation) @ BODY_IN_DEVICE.T,
                         VIEWER_TO_ROS.T @ np.asarray(pose.position, dtype=np.float64))


def camera_payload(pose: Pose) -> dict:
    """CAMERA_MOVE value of the viewer camera at ``pose``, as the client's controls send it."""
    matrix = viewer_matrix(pose)
    rotation = np.asarray(matrix).reshape(4, 4).T[:3, :3]
    return {'camera': {'position': matrix[12:15], 'quaternion': list(_quaternion(rotation)),
                       'matrix': matrix, 'near': 0.1, 'far': 1000.0, 'zoom': 1.0,
                       'ctype': 'perspective', 'fov': 50.0, 'aspect': 1.5},
            'world': {'background': '#131416'}}


def hand_payload(left: Optional[Sequence[Pose]] = None, right: Optional[Sequence[Pose]] = None,
                 pinch: float = 0.05, squeeze: float = 0.09) -> dict:
    """HAND_MOVE value for the hands whose 25 joint poses are given (both gestures' state)."""
    value: dict[str, Any] = {}
    for side, poses in (('left', left), ('right', right)):
        if poses is not None:
            value[side] = [v for pose in poses for v in viewer_matrix(pose)]
            value[f'{side}State'] = {'pinch': pinch < 0.01, 'pinchValue': pinch,
                                     'squeeze': squeeze < 0.07, 'squeezeValue': squeeze,
                                     'tap': pinch < 0.01, 'tapValue': pinch}
    return value


def controller_payload(left: Optional[Pose] = None, right: Optional[Pose] = None,
                       state: Optional[Mapping[str, Any]] = None) -> dict:
    """CONTROLLER_MOVE value for the controllers at these poses, each with ``state``."""
    state = {'trigger': False, 'squeeze': False, 'touchpad': False, 'thumbstick': False,
             'aButton': False, 'bButton': False, 'triggerValue': 0, 'squeezeValue': 0,
             'touchpadValue': [0, 0], 'thumbstickValue': [0, 0], **(state or {})}
    value: dict[str, Any] = {}
    for side, pose in (('left', left), ('right', right)):
        if pose is not None:
            value[side], value[f'{side}State'] = viewer_matrix(pose), dict(state)
    return value


def object_payload(pose: Pose, xr: bool = False) -> dict:
    """OBJECT_MOVE value of a Movable under the scene root dragged to ``pose``."""
    local = _world_matrix(_rotation(pose.orientation), pose.position)
    world = _world_matrix(VIEWER_TO_ROS.T @ _rotation(pose.orientation),
                          VIEWER_TO_ROS.T @ np.asarray(pose.position, dtype=np.float64))
    x, y, z, w = pose.orientation
    value = {'matrixWorld': world, 'position': list(pose.position), 'rotation': [0, 0, 0, 'XYZ'],
             'quaternion': [x, y, z, w]}
    return value if xr else {'matrix': local, **value}
