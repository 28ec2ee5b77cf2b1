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
Read serialized visualization_msgs Marker and MarkerArray without building ROS messages.

A ``raw=True`` subscription hands over the message's CDR bytes; rclpy's own
deserialization builds one Python object per point and colour (428 ms for a 100,000-point
POINTS marker on the benchmark machine). Here the fixed fields are read with precompiled
``struct.Struct`` objects and the big sequences become numpy arrays over the bytes, so a
marker costs a few microseconds whatever its size. Nothing here imports rclpy.

The bytes are what ``rclpy.serialization.serialize_message`` gives and what a raw
subscription receives: a 4-byte encapsulation header, then XCDR1 plain CDR, little-endian
(``00 01``); alignment counts from the end of that header: primitives align to their
size, float64 to 8; a string is a uint32 length counting its NUL, then its bytes; a
sequence is a uint32 count, then its elements. Big-endian CDR (``00 00``, written only by
big-endian machines), XCDR2 and any other encapsulation are refused with CdrError: the
caller falls back to typed messages.

Layout: Marker as in Jazzy and Kilted, the same field for field (checked with
``get_fields_and_field_types()`` of both, recursively). ``layout_supported(cls)`` compares
a message class with that layout, so a node on another distribution subscribes typed
when they differ (Humble, for one, has no ``texture``, ``uv_coordinates`` or ``mesh_file``).

``MarkerView`` reads like an rclpy Marker (``marker.pose.position.x``,
``marker.header.stamp.sec``...), except:

- ``points`` is an (N, 3) float64 numpy array, ``colors`` (N, 4) float32 and
  ``uv_coordinates`` (N, 2) float32, not lists of messages, all read-only (copy before
  changing them in place). colors and uv_coordinates are views on the received bytes;
  points are an aligned copy, since float64 in a Python ``bytes`` sit at 4 mod 8.
- ``texture.data`` and ``mesh_file.data`` are ``bytes`` (rclpy: ``array.array('B')``).
- Treat every part as read-only: views share one empty texture and one empty mesh file.
- ``content`` is the marker's serialized bytes from ``header.frame_id`` to its end (all
  but the header stamp) without the padding: Fast-CDR leaves padding uninitialised, so
  two serializations of one marker can differ there, and where padding goes depends on
  the marker's offset in its array. Without it the bytes are a packed encoding read in
  order, so equal content means an equal marker, stamp aside, wherever each sits; and
  an equal marker has equal content but for bytes after a NUL in a string (rclpy drops
  them), which would only cost a needless conversion.
- ``header``, ``pose``, ``scale``, ``color``, ``lifetime``, ``points`` and ``colors`` are
  built on first use, so a marker skipped for unchanged content costs about half a full
  decode; the bytes are all checked when the view is made, so using them never fails.

Malformed bytes (truncated, a length or count past the end) raise CdrError, never
IndexError or struct.error, and no allocation is larger than the bytes received. So do
two things rclpy reads leniently: invalid UTF-8 (rclpy: U+FFFD) and a bool byte other
than 0 or 1 (rclpy: True); refusing them keeps ``content`` canonical. On CdrError the
caller falls back to ``deserialize_message``, which reads what rclpy can.
"""

import struct
from typing import Any, NamedTuple, Union

import numpy as np

#: XCDR1 plain CDR, little-endian: what rmw_fastrtps writes (checked by the tests).
CDR_LE = b'\x00\x01'
CDR_BE = b'\x00\x00'
_ENCAPSULATION = 4

#: Field names and types of the message classes this decoder knows, as the classes'
#: ``get_fields_and_field_types()`` gives them in Jazzy and Kilted.
KNOWN_LAYOUTS: dict[str, dict[str, str]] = {
    'visualization_msgs/MarkerArray': {'markers': 'sequence<visualization_msgs/Marker>'},
    'visualization_msgs/Marker': {
        'header': 'std_msgs/Header', 'ns': 'string', 'id': 'int32', 'type': 'int32',
        'action': 'int32', 'pose': 'geometry_msgs/Pose', 'scale': 'geometry_msgs/Vector3',
        'color': 'std_msgs/ColorRGBA', 'lifetime': 'builtin_interfaces/Duration',
        'frame_locked': 'boolean', 'points': 'sequence<geometry_msgs/Point>',
        'colors': 'sequence<std_msgs/ColorRGBA>', 'texture_resource': 'string',
        'texture': 'sensor_msgs/CompressedImage',
        'uv_coordinates': 'sequence<visualization_msgs/UVCoordinate>', 'text': 'string',
        'mesh_resource': 'string', 'mesh_file': 'visualization_msgs/MeshFile',
        'mesh_use_embedded_materials': 'boolean'},
    'std_msgs/Header': {'stamp': 'builtin_interfaces/Time', 'frame_id': 'string'},
    'builtin_interfaces/Time': {'sec': 'int32', 'nanosec': 'uint32'},
    'builtin_interfaces/Duration': {'sec': 'int32', 'nanosec': 'uint32'},
    'geometry_msgs/Pose': {'position': 'geometry_msgs/Point',
                           'orientation': 'geometry_msgs/Quaternion'},
    'geometry_msgs/Point': {'x': 'double', 'y': 'double', 'z': 'double'},
    'geometry_msgs/Vector3': {'x': 'double', 'y': 'double', 'z': 'double'},
    'geometry_msgs/Quaternion': {'x': 'double', 'y': 'double', 'z': 'double', 'w': 'double'},
    'std_msgs/ColorRGBA': {'r': 'float', 'g': 'float', 'b': 'float', 'a': 'float'},
    'sensor_msgs/CompressedImage': {'header': 'std_msgs/Header', 'format': 'string',
                                    'data': 'sequence<uint8>'},
    'visualization_msgs/UVCoordinate': {'u': 'float', 'v': 'float'},
    'visualization_msgs/MeshFile': {'filename': 'string', 'data': 'sequence<uint8>'},
}

#: Bytes of the smallest serialized Marker (empty strings and sequences): bounds a count.
MIN_MARKER_BYTES = 189


class CdrError(ValueError):
    """Bytes that are not a serialized message of the expected layout; says where and why."""


# -- the view classes: what the converters read of a Marker --------------------------------
# Named tuples: immutable, and built from unpacked values by tuple.__new__ faster than
# a class with __slots__ runs its __init__.

class Time(NamedTuple):
    """builtin_interfaces Time or Duration."""

    sec: int
    nanosec: int


class Header(NamedTuple):
    """std_msgs Header."""

    stamp: Time
    frame_id: str


class Vector3(NamedTuple):
    """geometry_msgs Point or Vector3."""

    x: float
    y: float
    z: float


class Quaternion(NamedTuple):
    """geometry_msgs Quaternion."""

    x: float
    y: float
    z: float
    w: float


class Pose(NamedTuple):
    """geometry_msgs Pose."""

    position: Vector3
    orientation: Quaternion


class ColorRGBA(NamedTuple):
    """std_msgs ColorRGBA."""

    r: float
    g: float
    b: float
    a: float


class CompressedImage(NamedTuple):
    """sensor_msgs CompressedImage (a marker's texture); ``data`` is bytes."""

    header: Header
    format: str  # noqa: A003 (the message field's name)
    data: bytes


class MeshFile(NamedTuple):
    """visualization_msgs MeshFile; ``data`` is bytes."""

    filename: str
    data: bytes


class MarkerView:
    """
    One Marker read from CDR bytes, with the attributes of an rclpy Marker.

    ``points``, ``colors`` and ``uv_coordinates`` are numpy arrays (see the module's
    docstring); ``content`` the marker's bytes, stamp and padding aside. Some fields are
    built on first use (see the module's docstring).
    """

    __slots__ = ('header', 'ns', 'id', 'type', 'action', 'pose', 'scale', 'color',
                 'lifetime', 'frame_locked', 'points', 'colors', 'texture_resource',
                 'texture', 'uv_coordinates', 'text', 'mesh_resource', 'mesh_file',
                 'mesh_use_embedded_materials', '_data', '_start', '_end', '_pads', '_tail',
                 '_content', '_frame_id', '_body', '_points_at', '_colors_at')

    def __getattr__(self, name: str) -> Any:
        """Build a lazy field on its first use (only called while its slot is empty)."""
        build = _LAZY.get(name)
        if build is None:
            raise AttributeError(f'{type(self).__name__!r} object has no attribute {name!r}')
        build(self)
        return object.__getattribute__(self, name)

    @property
    def content(self) -> bytes:
        """Bytes from ``header.frame_id`` to the marker's end, padding left out (cached)."""
        if self._content is None:
            data, start, tail = self._data, self._start, self._tail
            if self._end - start > _SMALL:   # slices of a memoryview copy nothing
                data = memoryview(data)
            pieces = []
            append = pieces.append
            for begin, end in self._pads:
                append(data[start:begin])
                start = end
            if tail is None:
                pieces.append(data[start:self._end])
            else:   # the fields after colors were all empty: their bytes are known
                pieces += (data[start:tail],
                           _EMPTY_TAIL_CONTENT[self.mesh_use_embedded_materials])
            self._content = b''.join(pieces)
        return self._content

    @property
    def start(self) -> int:
        """Offset of the marker (its header stamp) in the buffer it was read from."""
        return self._start - 8

    @property
    def end(self) -> int:
        """Offset just past the marker's last byte in that buffer."""
        return self._end

    def __repr__(self) -> str:
        return (f'MarkerView(ns={self.ns!r}, id={self.id}, type={self.type}, '
                f'action={self.action}, points={len(self.points)})')


#: Up to this many bytes, slicing ``bytes`` is cheaper than a memoryview or a numpy copy.
_SMALL = 4096
_EMPTY_STAMP = Time(0, 0)
_EMPTY_TEXTURE = CompressedImage(Header(_EMPTY_STAMP, ''), '', b'')
_EMPTY_MESH_FILE = MeshFile('', b'')


def _empty(columns: int, dtype: str) -> np.ndarray:
    array = np.zeros((0, columns), dtype=dtype)
    array.flags.writeable = False
    return array


#: Empty sequences by their number of columns: points, colors, uv_coordinates.
_EMPTY = {3: _empty(3, '<f8'), 4: _empty(4, '<f4'), 2: _empty(2, '<f4')}

# -- decoding ------------------------------------------------------------------------------

_new = tuple.__new__
_U32 = struct.Struct('<I').unpack_from
_STAMP_AND_LENGTH = struct.Struct('<iII').unpack_from   # Time, then a string's length
_STAMP = struct.Struct('<iI').unpack_from
# id, type, action; [pad to 8]; pose, scale (10 float64); color (4 float32); lifetime;
# frame_locked; pad to 4; the points' count. The pad before pose depends on the offset.
_BODY = (struct.Struct('<3i10d4fiIB3xI'), struct.Struct('<3i4x10d4fiIB3xI'))
_BODY_SIZE = (_BODY[0].size, _BODY[1].size)
_BODY = (_BODY[0].unpack_from, _BODY[1].unpack_from)
# The fields after ``colors`` when all are empty, as nearly every marker but TEXT and
# MESH_RESOURCE has them: one unpack instead of a dozen (x: padding, skipped).
# texture_resource, texture (stamp, frame_id, format, data), uv_coordinates, text,
# mesh_resource, mesh_file (filename, data), then mesh_use_embedded_materials.
_EMPTY_TAIL = struct.Struct('<IB3x iIIB3x IB3x I I IB3x IB3x IB3x I B')
_EMPTY_TAIL_VALUES = (1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0)
_EMPTY_TAILS = frozenset((*_EMPTY_TAIL_VALUES, flag) for flag in (0, 1))
_EMPTY_TAIL_CONTENT = tuple(struct.pack(_EMPTY_TAIL.format.replace('3x', ''),
                                        *_EMPTY_TAIL_VALUES, flag) for flag in (0, 1))
_EMPTY_TAIL_SIZE = _EMPTY_TAIL.size
_EMPTY_TAIL = _EMPTY_TAIL.unpack_from


def _fail(problem: str, offset: int) -> CdrError:
    return CdrError(f'malformed CDR: {problem} at byte {offset}')


def _string(data: bytes, offset: int, pads: list) -> tuple[str, int]:
    """
    Read the string whose length is at ``offset`` (4-aligned); return it and the next offset.

    The next offset is 4-aligned, the padding skipped noted in ``pads``.
    """
    (length,) = _U32(data, offset)
    offset += 4
    end = offset + length
    if length == 1 and data[offset] == 0:   # the empty string, as DDS writes it
        text = ''
    elif end > len(data):
        raise _fail(f'string of {length} bytes past the end ({len(data)} bytes)', offset)
    else:
        stop = data.find(0, offset, end)   # rclpy ends a string at its first NUL
        try:
            text = str(data[offset:end if stop < 0 else stop], 'utf-8')
        except UnicodeDecodeError as error:
            raise _fail(f'string is not UTF-8 ({error.reason})', offset) from None
    aligned = (end + 3) & ~3
    if aligned != end:
        pads.append((end, aligned))
    return text, aligned


def _check(data: bytes, offset: int, count: int, item: int, what: str) -> int:
    """Return where ``count`` items of ``item`` bytes at ``offset`` end, if in ``data``."""
    end = offset + count * item
    if end > len(data):
        raise _fail(f'{count} {what} ({count * item} bytes) past the end '
                    f'({len(data)} bytes)', offset)
    return end


def _array(data: bytes, offset: int, count: int, item: int, dtype: str, columns: int,
           what: str) -> tuple[np.ndarray, int]:
    """
    Read ``count`` items of ``item`` bytes as a (count, columns) array, and the next offset.

    A read-only view on ``data``, or, when its items are not aligned in memory (float64 in
    a Python bytes object are at 4 mod 8), an aligned read-only copy: numpy's unaligned
    loops are slower (np.isfinite twice as slow), and copying 100,000 points takes 0.1 ms.
    """
    end = _check(data, offset, count, item, what)
    if not count:
        return _EMPTY[columns], end
    array = np.frombuffer(data, dtype, count * columns, offset)
    if not array.flags.aligned:
        if end - offset <= _SMALL:   # a bytes slice is aligned, and cheaper than a copy
            array = np.frombuffer(data[offset:end], dtype)
        if not array.flags.aligned:
            array = array.copy()
            array.flags.writeable = False
    return array.reshape(count, columns), end


def _blob(data: bytes, offset: int, what: str) -> tuple[bytes, int]:
    """Read a sequence<uint8> at ``offset`` (4-aligned): its bytes and the next offset."""
    (count,) = _U32(data, offset)
    start = offset + 4
    end = start + count
    if end > len(data):
        raise _fail(f'{what} of {count} bytes past the end ({len(data)} bytes)', offset)
    return data[start:end], end


def _flag(value: int, what: str, offset: int) -> bool:
    if value > 1:
        raise _fail(f'{what} is {value}, not a bool (0 or 1)', offset)
    return value == 1


def _align4(offset: int, pads: list) -> int:
    aligned = (offset + 3) & ~3
    if aligned != offset:
        pads.append((offset, aligned))
    return aligned


def _marker(data: bytes, offset: int) -> MarkerView:
    """
    Read the Marker starting at ``offset`` (4-aligned, counted from the buffer's start).

    Offsets count from the start of the buffer, encapsulation header included, so nothing
    is copied; CDR aligns from the end of the 4-byte header, the same for 4-byte alignment.
    """
    view = MarkerView()
    view._data, view._content = data, None
    view._pads = pads = []
    view._start = offset + 8
    view._frame_id, offset = _string(data, offset + 8, pads)
    view.ns, offset = _string(data, offset, pads)
    # pose (float64) is 12 bytes on and must start at a multiple of 8 after the header
    padded = (offset - _ENCAPSULATION) & 4 == 0
    view._body = body = _BODY[padded](data, offset)
    view.id, view.type, view.action = body[:3]
    frame_locked, count = body[19], body[20]
    if padded:
        pads.append((offset + 12, offset + 16))
    offset += _BODY_SIZE[padded]
    pads.append((offset - 7, offset - 4))  # after frame_locked
    if frame_locked > 1:
        raise _fail(f'frame_locked is {frame_locked}, not a bool (0 or 1)', offset - 8)
    view.frame_locked = frame_locked == 1
    # The points start 8-aligned: the body ends at a multiple of 8 (as pose did) plus 32.
    view._points_at = offset, count
    offset = _check(data, offset, count, 24, 'points')
    (count,) = _U32(data, offset)
    offset += 4
    view._colors_at = offset, count
    offset = _check(data, offset, count, 16, 'colors')
    if offset + _EMPTY_TAIL_SIZE <= len(data):
        tail = _EMPTY_TAIL(data, offset)
        if tail in _EMPTY_TAILS:
            view.texture_resource = view.text = view.mesh_resource = ''
            view.texture, view.mesh_file, view.uv_coordinates = (
                _EMPTY_TEXTURE, _EMPTY_MESH_FILE, _EMPTY[2])
            view.mesh_use_embedded_materials = tail[-1] == 1
            view._tail = offset
            view._end = offset + _EMPTY_TAIL_SIZE
            return view
    view._tail = None
    _tail(view, data, offset, pads)
    return view


def _tail(view: MarkerView, data: bytes, offset: int, pads: list) -> None:
    """Read the fields after ``colors``, at ``offset``, into ``view``."""
    view.texture_resource, offset = _string(data, offset, pads)
    sec, nanosec, _ = _STAMP_AND_LENGTH(data, offset)
    texture_frame, offset = _string(data, offset + 8, pads)
    texture_format, offset = _string(data, offset, pads)
    texture_data, offset = _blob(data, offset, 'texture data')
    offset = _align4(offset, pads)
    if sec or nanosec or texture_frame or texture_format or texture_data:
        view.texture = CompressedImage(Header(Time(sec, nanosec), texture_frame),
                                       texture_format, texture_data)
    else:
        view.texture = _EMPTY_TEXTURE
    (count,) = _U32(data, offset)
    view.uv_coordinates, offset = _array(data, offset + 4, count, 8, '<f4', 2,
                                         'uv_coordinates')
    view.text, offset = _string(data, offset, pads)
    view.mesh_resource, offset = _string(data, offset, pads)
    filename, offset = _string(data, offset, pads)
    mesh_data, offset = _blob(data, offset, 'mesh_file data')
    view.mesh_file = MeshFile(filename, mesh_data) if filename or mesh_data else \
        _EMPTY_MESH_FILE
    if offset >= len(data):
        raise _fail('message ends before mesh_use_embedded_materials', offset)
    view.mesh_use_embedded_materials = _flag(data[offset], 'mesh_use_embedded_materials',
                                             offset)
    view._end = offset + 1


# -- the lazy fields --------------------------------------------------------------------

def _fixed_parts(view: MarkerView) -> None:
    """Build header, pose, scale, color and lifetime from the values read."""
    body = view._body
    view.header = _new(Header, (_new(Time, _STAMP(view._data, view._start - 8)), view._frame_id))
    view.pose = _new(Pose, (_new(Vector3, body[3:6]), _new(Quaternion, body[6:10])))
    view.scale = _new(Vector3, body[10:13])
    view.color = _new(ColorRGBA, body[13:17])
    view.lifetime = _new(Time, body[17:19])


def _sequences(view: MarkerView) -> None:
    """Build points and colors (their bounds were checked when the view was made)."""
    data = view._data
    offset, count = view._points_at
    view.points = _array(data, offset, count, 24, '<f8', 3, 'points')[0]
    offset, count = view._colors_at
    view.colors = _array(data, offset, count, 16, '<f4', 4, 'colors')[0]


_LAZY = {'header': _fixed_parts, 'pose': _fixed_parts, 'scale': _fixed_parts,
         'color': _fixed_parts, 'lifetime': _fixed_parts, 'points': _sequences,
         'colors': _sequences}


def _checked(data: Union[bytes, bytearray, memoryview]) -> bytes:
    """Return ``data`` as bytes if it is little-endian XCDR1, else raise CdrError."""
    if not isinstance(data, bytes):
        data = bytes(data)
    kind = data[:2]
    if len(data) < _ENCAPSULATION:
        raise CdrError(f'malformed CDR: {len(data)} bytes, shorter than the encapsulation '
                       'header')
    if kind == CDR_BE:
        raise CdrError('big-endian CDR (encapsulation 00 00) is not supported: deserialize '
                       'it with rclpy')
    if kind != CDR_LE:
        raise CdrError(f'unsupported CDR encapsulation {kind.hex(" ")} (only XCDR1 '
                       'little-endian, 00 01, is read)')
    return data


def _guarded(read: Any, data: bytes) -> Any:
    try:
        return read(data)
    except (struct.error, IndexError) as error:
        # unpack_from or a bool past the end: the message stops inside a field.
        raise CdrError(f'malformed CDR: message truncated ({len(data)} bytes): '
                       f'{error}') from None


def _one_marker(data: bytes) -> MarkerView:
    return _marker(data, _ENCAPSULATION)


def _marker_list(data: bytes) -> list[MarkerView]:
    (count,) = _U32(data, _ENCAPSULATION)
    offset = _ENCAPSULATION + 4
    if count > (len(data) - offset) // MIN_MARKER_BYTES:
        raise _fail(f'{count} markers cannot fit in {len(data)} bytes', _ENCAPSULATION)
    markers = []
    for _ in range(count):
        view = _marker(data, (offset + 3) & ~3)
        offset = view._end
        markers.append(view)
    return markers


def decode_marker(data: Union[bytes, bytearray, memoryview]) -> MarkerView:
    """Read a serialized visualization_msgs/msg/Marker (raw subscription bytes)."""
    return _guarded(_one_marker, _checked(data))


def decode_marker_array(data: Union[bytes, bytearray, memoryview]) -> list[MarkerView]:
    """Read a serialized visualization_msgs/msg/MarkerArray: its markers, in order."""
    return _guarded(_marker_list, _checked(data))


def decode_marker_at(data: bytes, offset: int) -> MarkerView:
    """
    Read the one Marker of a serialized MarkerArray that starts at ``offset``.

    For re-reading only the markers that changed since an earlier array of the same
    layout (``MarkerView.start`` of that array's markers gives the offsets).
    """
    if offset < _ENCAPSULATION or offset % 4:
        raise CdrError(f'malformed CDR: no marker can start at byte {offset}')
    return _guarded(lambda checked: _marker(checked, offset), _checked(data))


def _type_name(message_class: Any) -> str:
    """'pkg/Type' of an rclpy message class, from its module 'pkg.msg._type'."""
    package = getattr(message_class, '__module__', '').split('.', 1)[0]
    return f'{package}/{getattr(message_class, "__name__", "")}'


def layout_supported(message_class: Any) -> bool:
    """
    Tell whether ``message_class`` (rclpy's Marker or MarkerArray) has the layout read here.

    Compares its fields, and those of every message it contains, with KNOWN_LAYOUTS; any
    difference (another distribution's message) means: subscribe with typed messages.
    """
    import importlib

    if _type_name(message_class) not in ('visualization_msgs/Marker',
                                         'visualization_msgs/MarkerArray'):
        return False
    pending, seen = [message_class], set()
    while pending:
        cls = pending.pop()
        name = _type_name(cls)
        if name in seen:
            continue
        seen.add(name)
        try:
            fields = cls.get_fields_and_field_types()
        except AttributeError:
            return False
        if KNOWN_LAYOUTS.get(name) != fields:
            return False
        for field_type in fields.values():
            nested = field_type.removeprefix('sequence<').removesuffix('>')
            if '/' in nested:
                package, _, type_name = nested.partition('/')
                try:
                    pending.append(getattr(importlib.import_module(f'{package}.msg'),
                                           type_name))
                except (ImportError, AttributeError):
                    return False
    return True
