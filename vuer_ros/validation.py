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
Checks on serialized elements before they leave the server.

One malformed element blanks the whole browser client (every element disappears: a
Text with ``children: 'HELLO'`` is enough), so every node is checked, with its children,
on every send. The checks are what the client's components rely on: a list of
children, finite numbers, and binary arrays whose sizes agree with each other.
"""

from typing import Any, Iterable, Optional

import numpy as np

from vuer_ros.schemas import SCENE_CHILD_LISTS

#: Floats travel as float32 (msgpack's single floats): larger ones cannot be sent.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Types msgpack sends as they are (tuples go as arrays).
_SCALARS = (str, bytes, bytearray, bool, int, float, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)
#: Props holding lists of child nodes, checked as nodes in turn.
_CHILD_PROPS = frozenset({'children', *SCENE_CHILD_LISTS})
_BINARY = (bytes, bytearray)

#: Bytes per vertex of the packed layouts (float16 xyz, uint8 rgb, float16 uv).
_XYZ_BYTES, _RGB_BYTES, _UV_BYTES, _INDEX_BYTES = 6, 3, 4, 4


class InvalidElement(ValueError):
    """A node the client cannot take; ``key`` is the offending node's, ``reason`` says why."""

    def __init__(self, key: Optional[str], reason: str,
                 path: tuple[str, ...] = ()) -> None:
        #: keys of the nodes that contain the offending one, outermost first
        self.path = path
        if path:
            reason = f'{reason} (inside {" > ".join(map(repr, path))})'
        self.key = key
        self.reason = reason
        super().__init__(f'element {key!r}: {reason}')


def validate_node(node: Any, partial: bool = False) -> None:
    """
    Raise InvalidElement if ``node`` (a serialized element) would break the client.

    With ``partial``, ``node`` is an UPDATE patch of a node the client already holds:
    props it leaves out (a mesh's ``vertices``, a line's ``points``) are not required.
    """
    _check_node(node, partial, ())


def validate_nodes(nodes: Iterable[Any],
                   partial: bool = False) -> tuple[list[dict], list[InvalidElement]]:
    """Split nodes into the ones safe to send and the errors of the rejected ones."""
    good, rejected = [], []
    for node in nodes:
        try:
            _check_node(node, partial, ())
        except InvalidElement as error:
            rejected.append(error)
        else:
            good.append(node)
    return good, rejected


def _check_node(node: Any, partial: bool, path: tuple[str, ...]) -> None:
    if not isinstance(node, dict):
        raise InvalidElement(None, f'a node must be a map, got {_kind(node)}', path)
    key, tag = node.get('key'), node.get('tag')
    label = tag if isinstance(tag, str) and tag else 'node without a tag'
    if not isinstance(key, str):
        raise InvalidElement(None, f'{label}: key must be a string, got {_kind(key)}', path)
    if label is not tag:
        raise InvalidElement(key, f'{label}: tag must be a non-empty string, got {_kind(tag)}',
                             path)
    own_props, own_check = _SPECIAL_PROPS.get(tag, _NO_SPECIAL_PROPS)
    for name, value in node.items():
        if name in _CHILD_PROPS:
            problem = _bad_children(name, value, partial, path, key)
        elif name in _TRANSFORM_PROPS:
            problem = _bad_transform(name, value)
        elif type(value) is str or name in own_props:  # tag and key are strings
            continue
        else:
            problem = _bad_value(value)
            problem = problem and name + problem
        if problem:
            raise InvalidElement(key, f'{label}: {problem}', path)
    problem = own_check and own_check(node, partial)
    if problem:
        raise InvalidElement(key, f'{label}: {problem}', path)


#: Transform props and the number counts the client accepts; anything else (a string, a
#: map, null) blanks the whole page, as measured with the real client.
_TRANSFORM_PROPS = {'position': (3,), 'rotation': (3, 4), 'quaternion': (4,),
                    'scale': (1, 3)}


def _bad_transform(name: str, value: Any) -> Optional[str]:
    """Return what is wrong with a position, rotation, quaternion or scale, or None."""
    counts = _TRANSFORM_PROPS[name]
    if type(value) in (int, float) and 1 in counts:
        return _bad_value(value) and name + _bad_value(value)
    if type(value) is not list or len(value) not in counts:
        return f'{name} must be a list of {" or ".join(map(str, counts))} numbers, got ' \
               f'{_kind(value)}'
    # A rotation may end with its Euler order ('XYZ'), as three.js accepts.
    numbers = value[:3] if name == 'rotation' and len(value) == 4 else value
    if name == 'rotation' and len(value) == 4 and type(value[3]) is not str:
        return f'rotation must be 3 angles and an optional order string, got {_kind(value)}'
    if not all(type(item) in (int, float) for item in numbers):
        return f'{name} must hold only numbers, got {_kind(value)}'
    problem = _bad_value(numbers)
    return problem and name + problem


def _bad_children(name: str, children: Any, partial: bool, path: tuple[str, ...],
                  key: str) -> Optional[str]:
    """Return what is wrong with a list of children, or None; checks child nodes too."""
    if type(children) is not list:
        return f'{name} must be a list, got {_kind(children)}'
    for child in children:
        if isinstance(child, dict):
            _check_node(child, partial, (*path, key))
        elif not isinstance(child, str):
            return f'{name} may hold only elements and strings, got {_kind(child)}'
    return None


def _bad_float(value: float) -> Optional[str]:
    """Say why a float can't travel as the wire's float32 (not finite, out of range)."""
    if value - value != 0.0:
        return f' is {value}'
    return None if -FLOAT32_MAX <= value <= FLOAT32_MAX else f' is {value}, beyond float32'


def _in_float32(low: float, high: float, total: float) -> bool:
    """Tell whether numbers with this sum, least and greatest all fit float32."""
    return total - total == 0 and -FLOAT32_MAX <= low and high <= FLOAT32_MAX


def _bad_value(value: Any) -> Optional[str]:
    """
    Return what makes a prop value unsendable (a non-finite number, an object), or None.

    The answer completes a sentence that starts with the prop's name. Floats travel as
    float32, so a finite value beyond its range (1e39) is as unsendable as NaN: msgpack
    would raise on it in the middle of the send path.
    """
    kind = type(value)
    if kind is float:
        return _bad_float(value)
    if kind is list or kind is tuple:
        try:
            # One loop in C: a finite sum clears a whole list of numbers at once. An
            # infinite one (a bad item, or a finite overflow) is looked at item by item.
            total = sum(value)
        except TypeError:  # not only numbers
            pass
        else:
            if not value or _in_float32(min(value), max(value), total):
                return None
        return _first_bad(enumerate(value), '[{}]')
    if kind is dict:
        return _first_bad(value.items(), '.{}')
    if kind in _SCALAR_TYPES:
        return None
    if isinstance(value, float):  # numpy.float64 and other float subclasses
        return _bad_float(value)
    if isinstance(value, _SCALARS):
        return None
    return f' cannot be sent: {_kind(value)}'


def _first_bad(items: Iterable[tuple[Any, Any]], where: str) -> Optional[str]:
    for name, item in items:
        problem = type(item) is not str and _bad_value(item)
        if problem:
            return where.format(name) + problem
    return None


def _kind(value: Any) -> str:
    text = repr(value)
    return f'{type(value).__name__} {text[:40]}{"..." if len(text) > 40 else ""}'


# -- props with a layout of their own ---------------------------------------------------

def _packed_count(node: dict, name: str, item_bytes: int,
                  required: bool) -> tuple[Optional[int], Optional[str]]:
    """Items in binary prop ``name`` (None when absent), or what is wrong with it."""
    data = node.get(name)
    if data is None:
        return None, (f'{name} is required' if required else None)
    if not isinstance(data, _BINARY):
        return None, f'{name} must be packed bytes, got {_kind(data)}'
    if len(data) % item_bytes:
        return None, f'{name} has {len(data)} bytes, not a multiple of {item_bytes}'
    return len(data) // item_bytes, None


def _check_vertices(node: dict, partial: bool) -> tuple[Optional[int], Optional[str]]:
    """Vertex count of float16 xyz ``vertices`` (None when absent), or what is wrong."""
    count, problem = _packed_count(node, 'vertices', _XYZ_BYTES, not partial)
    if count and not np.isfinite(np.frombuffer(node['vertices'], '<f2')).all():
        # float16 overflows to inf beyond 65504: coordinates far from the origin.
        return None, 'vertices hold NaN or infinite values (float16 stops at 65504)'
    return count, problem


def _per_vertex(node: dict, name: str, item_bytes: int, vertices: Optional[int]) -> Optional[str]:
    """Return what is wrong with an optional per-vertex binary prop, or None."""
    count, problem = _packed_count(node, name, item_bytes, False)
    if problem or count is None or vertices is None or count == vertices:
        return problem
    return f'{name} has {count} entries for {vertices} vertices'


def _check_trimesh(node: dict, partial: bool) -> Optional[str]:
    vertices, problem = _check_vertices(node, partial)
    if problem:
        return problem
    faces, problem = _packed_count(node, 'faces', 3 * _INDEX_BYTES, not partial)
    if problem:
        return problem
    if faces and vertices is not None:
        highest = int(np.frombuffer(node['faces'], '<u4').max())
        if highest >= vertices:
            return f'faces use vertex index {highest} but there are {vertices} vertices'
    return (_per_vertex(node, 'colors', _RGB_BYTES, vertices)
            or _per_vertex(node, 'uv', _UV_BYTES, vertices))


def _check_point_cloud(node: dict, partial: bool) -> Optional[str]:
    vertices, problem = _check_vertices(node, partial)
    return problem or _per_vertex(node, 'colors', _RGB_BYTES, vertices)


def _check_line(node: dict, partial: bool) -> Optional[str]:
    points = node.get('points')
    if points is None and partial:
        return None
    if not isinstance(points, (list, tuple)):
        return f'points must be a list of [x, y, z], got {_kind(points)}'
    if len(points) < 2:
        return f'a line needs at least 2 points, got {len(points)}'
    try:
        lengths = set(map(len, points))
        total = sum(map(sum, points))  # C loops, faster than building a numpy array
    except TypeError:
        return 'points must be a list of [x, y, z] numbers'
    if lengths != {3}:
        return f'points must be [x, y, z] triples, got lengths {sorted(lengths)}'
    if not _in_float32(min(map(min, points)), max(map(max, points)), total):
        for index, point in enumerate(points):
            if _bad_value(point):
                return f'points[{index}] is {point}, not finite in float32'
    return None


#: tag -> (props checked only by the tag's own check, that check)
_SPECIAL_PROPS = {
    'TriMesh': (frozenset({'vertices', 'faces', 'colors', 'uv'}), _check_trimesh),
    'PointCloud': (frozenset({'vertices', 'colors'}), _check_point_cloud),
    'Line': (frozenset({'points'}), _check_line),
}
_NO_SPECIAL_PROPS = (frozenset(), None)
