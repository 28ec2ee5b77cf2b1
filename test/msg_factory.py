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
Message builders and element probes for the converter tests.

``marker(...)`` and friends return ``types.SimpleNamespace`` trees with the fields and
defaults of the real messages. ``to_real(plain, 'pkg/msg/Type')`` copies such a tree into
the real message class, skipping the test when the message package is not importable,
so one test can run against both. ``three_euler_matrix``, ``node_matrix`` and ``span``
redo in numpy what three.js does with an element's props, to check where things end up.
"""

import math
from types import SimpleNamespace as Plain
from typing import Any, Iterable, Optional, Sequence

import numpy as np
import pytest

_NO_MESSAGES = 'ROS message packages are not importable (source ROS 2 or use the kilted venv)'
_FLOAT_TYPES = {'float', 'double', 'float32', 'float64'}


def vec(x: float = 0.0, y: float = 0.0, z: float = 0.0) -> Plain:
    """Point or Vector3."""
    return Plain(x=x, y=y, z=z)


def quat(x: float = 0.0, y: float = 0.0, z: float = 0.0, w: float = 1.0) -> Plain:
    """Quaternion, (x, y, z, w) like ROS."""
    return Plain(x=x, y=y, z=z, w=w)


def rgba(r: float = 0.0, g: float = 0.0, b: float = 0.0, a: float = 0.0) -> Plain:
    """std_msgs ColorRGBA."""
    return Plain(r=r, g=g, b=b, a=a)


def header(frame_id: str = 'map') -> Plain:
    """std_msgs Header."""
    return Plain(frame_id=frame_id, stamp=Plain(sec=0, nanosec=0))


def pose(position: Sequence[float] = (0.0, 0.0, 0.0),
         orientation: Sequence[float] = (0.0, 0.0, 0.0, 1.0)) -> Plain:
    """geometry_msgs Pose."""
    return Plain(position=vec(*position), orientation=quat(*orientation))


def marker(kind: int, *, ns: str = 'test', marker_id: int = 0, frame_id: str = 'map',
           position: Sequence[float] = (0.0, 0.0, 0.0),
           orientation: Sequence[float] = (0.0, 0.0, 0.0, 1.0),
           scale: Sequence[float] = (1.0, 1.0, 1.0),
           color: Sequence[float] = (1.0, 0.0, 0.0, 1.0),
           points: Iterable[Sequence[float]] = (), colors: Iterable[Sequence[float]] = (),
           text: str = '', mesh_resource: str = '', mesh_use_embedded_materials: bool = False,
           mesh_filename: str = '', lifetime: tuple[int, int] = (0, 0),
           frame_locked: bool = False, action: int = 0) -> Plain:
    """visualization_msgs Marker of type ``kind``."""
    return Plain(
        header=header(frame_id), ns=ns, id=marker_id, type=kind, action=action,
        pose=pose(position, orientation), scale=vec(*scale), color=rgba(*color),
        lifetime=Plain(sec=lifetime[0], nanosec=lifetime[1]), frame_locked=frame_locked,
        points=[vec(*p) for p in points], colors=[rgba(*c) for c in colors], text=text,
        texture_resource='', texture=Plain(header=header(''), format='', data=[]),
        uv_coordinates=[], mesh_resource=mesh_resource,
        mesh_file=Plain(filename=mesh_filename, data=[]),
        mesh_use_embedded_materials=mesh_use_embedded_materials)


def pose_stamped(position: Sequence[float] = (0.0, 0.0, 0.0),
                 orientation: Sequence[float] = (0.0, 0.0, 0.0, 1.0),
                 frame_id: str = 'map') -> Plain:
    """geometry_msgs PoseStamped."""
    return Plain(header=header(frame_id), pose=pose(position, orientation))


def transform_stamped(parent: str, child: str,
                      translation: Sequence[float] = (0.0, 0.0, 0.0),
                      rotation: Sequence[float] = (0.0, 0.0, 0.0, 1.0)) -> Plain:
    """geometry_msgs TransformStamped: ``child`` placed in ``parent``."""
    return Plain(header=header(parent), child_frame_id=child,
                 transform=Plain(translation=vec(*translation), rotation=quat(*rotation)))


def message_class(type_name: str) -> Any:
    """Import the real message class 'pkg/msg/Type', or skip the test if that fails."""
    package, _, name = type_name.replace('/msg/', '/').partition('/')
    module = pytest.importorskip(f'{package}.msg', reason=_NO_MESSAGES)
    return getattr(module, name)


def _element_type(field_type: str) -> Optional[str]:
    """'sequence<pkg/Type>' or 'pkg/Type[3]' -> 'pkg/Type'; None for plain types."""
    inner = field_type
    if inner.startswith('sequence<'):
        inner = inner[len('sequence<'):].split('>', 1)[0].split(',', 1)[0]
    inner = inner.split('[', 1)[0]
    return inner if '/' in inner else None


def _fill(message: Any, plain: Plain) -> Any:
    for name, field_type in message.get_fields_and_field_types().items():
        if not hasattr(plain, name):
            continue
        value = getattr(plain, name)
        nested = _element_type(field_type)
        if nested is None:
            if field_type in _FLOAT_TYPES:
                value = float(value)
            setattr(message, name, value)
        elif isinstance(value, list):
            cls = message_class(nested)
            setattr(message, name, [_fill(cls(), item) for item in value])
        else:
            _fill(getattr(message, name), value)
    return message


def to_real(plain: Plain, type_name: str) -> Any:
    """
    Copy plain's values into a real ``type_name`` ('visualization_msgs/msg/Marker').

    Skips the calling test when the message package cannot be imported.
    """
    return _fill(message_class(type_name)(), plain)


# -- what three.js makes of serialized elements ------------------------------------------

def three_euler_matrix(euler: Sequence[float]) -> np.ndarray:
    """Rotation matrix three.js builds from ``rotation=[a, b, c]`` (order 'XYZ')."""
    a, b, c = euler
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return rx @ ry @ rz


def node_matrix(node: dict) -> np.ndarray:
    """Local 4x4 transform of a serialized node: T @ R('XYZ') @ S, as three.js composes it."""
    m = np.eye(4)
    scale = node.get('scale', 1.0)
    m[:3, :3] = three_euler_matrix(node.get('rotation', (0, 0, 0))) @ np.diag(
        np.broadcast_to(scale, 3))
    m[:3, 3] = node.get('position', (0, 0, 0))
    return m


def child(node: dict, suffix: str) -> dict:
    """Find the one child of a serialized node keyed ``<node key>/<suffix>``."""
    found = [c for c in node['children'] if c['key'] == f'{node["key"]}/{suffix}']
    assert len(found) == 1, [c['key'] for c in node['children']]
    return found[0]


def span(node: dict) -> tuple[np.ndarray, ...]:
    """
    Where an upright three cylinder or cone (axis local +Y) ends up.

    Returns its base centre, top centre, and its radius vectors along local X and Z,
    after the node's own transform.
    """
    args = node['args']
    radius, height = (args[0], args[2]) if node['tag'] == 'Cylinder' else args[:2]
    local = np.array([[0, -height / 2, 0], [0, height / 2, 0], [radius, 0, 0], [0, 0, radius],
                      [0, 0, 0]])
    m = node_matrix(node)
    base, top, width, depth, center = local @ m[:3, :3].T + m[:3, 3]
    return base, top, width - center, depth - center
