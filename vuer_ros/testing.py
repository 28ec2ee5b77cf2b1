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
Helpers for vuer_ros's own tests and benchmarks.

They live in the package because both ``test/`` and ``bench/`` (and the processes the
benchmarks start) import the installed vuer_ros, and neither folder can import the other.
Nothing here imports ROS until asked for a real message, so the tests that run without
ROS use the same builders: ``marker(..., plain=True)`` gives ``types.SimpleNamespace``
trees with the fields and defaults of the real message, and :func:`to_message` copies such
a tree into a real one.
"""

import importlib
import socket
import time
from types import SimpleNamespace as Plain
from typing import Any, Iterable, Optional, Sequence
import urllib.error
import urllib.request

_FLOAT_TYPES = {'float', 'double', 'float32', 'float64'}


def free_port() -> int:
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


# -- messages as plain objects ----------------------------------------------------------

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
           frame_locked: bool = False, action: int = 0, plain: bool = False) -> Any:
    """
    Return a visualization_msgs Marker of type ``kind``; with ``plain``, as plain objects.

    ``lifetime`` is (sec, nanosec), as in the message. The plain form needs no ROS; the
    real one is that form copied into the message class, so both carry the same values.
    """
    message = Plain(
        header=header(frame_id), ns=ns, id=marker_id, type=kind, action=action,
        pose=pose(position, orientation), scale=vec(*scale), color=rgba(*color),
        lifetime=Plain(sec=lifetime[0], nanosec=lifetime[1]), frame_locked=frame_locked,
        points=[vec(*p) for p in points], colors=[rgba(*c) for c in colors], text=text,
        texture_resource='', texture=Plain(header=header(''), format='', data=[]),
        uv_coordinates=[], mesh_resource=mesh_resource,
        mesh_file=Plain(filename=mesh_filename, data=[]),
        mesh_use_embedded_materials=mesh_use_embedded_materials)
    if plain:
        return message
    return to_message(message, message_class('visualization_msgs/msg/Marker')())


# -- real messages ----------------------------------------------------------------------

def message_class(type_name: str) -> type:
    """Import the real message class 'pkg/msg/Type' (or 'pkg/Type')."""
    package, _, name = type_name.replace('/msg/', '/').partition('/')
    return getattr(importlib.import_module(f'{package}.msg'), name)


def _element_type(field_type: str) -> Optional[str]:
    """'sequence<pkg/Type>' or 'pkg/Type[3]' -> 'pkg/Type'; None for plain types."""
    inner = field_type
    if inner.startswith('sequence<'):
        inner = inner[len('sequence<'):].split('>', 1)[0].split(',', 1)[0]
    inner = inner.split('[', 1)[0]
    return inner if '/' in inner else None


def to_message(plain: Any, message: Any) -> Any:
    """
    Copy ``plain``'s values into the real ``message`` and return it.

    Fields the plain tree lacks keep the message's defaults, and plain fields the message
    lacks (one an older ROS distribution has not got) are left out.
    """
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
            setattr(message, name, [to_message(item, cls()) for item in value])
        else:
            to_message(value, getattr(message, name))
    return message


def page_status(port: int, timeout: float = 10.0) -> int:
    """Return the HTTP status of the viewer page on ``port`` once something answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=2) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code   # 404: the client files are not installed; still serving
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
