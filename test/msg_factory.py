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
defaults of the real messages (built by :mod:`vuer_ros.testing`, which the benchmarks
share). ``to_real(plain, 'pkg/msg/Type')`` copies such a tree into the real message class,
skipping the test when the message package is not importable, so one test can run against
both. ``three_euler_matrix``, ``node_matrix`` and ``span`` redo in numpy what three.js
does with an element's props, to check where things end up.
"""

import math
from typing import Any, Sequence

import numpy as np
import pytest

from vuer_ros import testing
from vuer_ros.testing import header, Plain, pose, quat, vec

_NO_MESSAGES = 'ROS message packages are not importable (source ROS 2 or use the kilted venv)'


def marker(kind: int, **fields: Any) -> Plain:
    """visualization_msgs Marker of type ``kind``, as plain objects (see ``testing.marker``)."""
    return testing.marker(kind, plain=True, **fields)


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
    package = type_name.partition('/')[0]
    pytest.importorskip(f'{package}.msg', reason=_NO_MESSAGES)
    return testing.message_class(type_name)


def to_real(plain: Plain, type_name: str) -> Any:
    """
    Copy plain's values into a real ``type_name`` ('visualization_msgs/msg/Marker').

    Skips the calling test when the message package cannot be imported.
    """
    return testing.to_message(plain, message_class(type_name)())


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
