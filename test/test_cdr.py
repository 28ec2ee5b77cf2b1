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
The CDR decoder reads every Marker field as rclpy's own deserialization does.

Markers are serialized by rclpy (``serialize_message``) and the decoder's view is compared
with ``deserialize_message`` of the same bytes, field by field, for a set covering every
type, action and optional part, then for random markers (hypothesis). Malformed bytes must
raise CdrError and nothing else.
"""

import functools
import math
import struct
import time

from conftest import require_ros
from hypothesis import given, HealthCheck, settings, strategies as st
import numpy as np
import pytest

from vuer_ros.convert import cdr
from vuer_ros.convert.cdr import CdrError, decode_marker, decode_marker_array

require_ros()
pytest.importorskip('visualization_msgs.msg', reason='visualization_msgs is not importable')
from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402,I100
from visualization_msgs.msg import Marker, MarkerArray  # noqa: E402

pytestmark = pytest.mark.ros

#: The sequences the decoder gives as numpy arrays: type -> (element fields, dtype).
ARRAY_FIELDS = {'sequence<geometry_msgs/Point>': (('x', 'y', 'z'), np.float64),
                'sequence<std_msgs/ColorRGBA>': (('r', 'g', 'b', 'a'), np.float32),
                'sequence<visualization_msgs/UVCoordinate>': (('u', 'v'), np.float32)}
F32_MAX = float(np.finfo(np.float32).max)
INT32 = (-2 ** 31, 2 ** 31 - 1)


# -- comparing a view with rclpy's message ----------------------------------------------

def same_float(a: float, b: float) -> bool:
    """Bit-for-bit equal floats, NaNs equal (0.0 and -0.0 differ)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def assert_same(view, message, path='marker'):
    """Compare every field of ``view`` with rclpy message ``message``, recursively."""
    for name, field_type in message.get_fields_and_field_types().items():
        expected, actual, where = getattr(message, name), getattr(view, name), f'{path}.{name}'
        if field_type in ARRAY_FIELDS:
            columns, dtype = ARRAY_FIELDS[field_type]
            rows = [[getattr(item, column) for column in columns] for item in expected]
            wanted = np.array(rows, dtype=dtype).reshape(-1, len(columns))
            assert isinstance(actual, np.ndarray) and actual.dtype == dtype, where
            assert actual.shape == wanted.shape, where
            np.testing.assert_array_equal(actual, wanted, err_msg=where)
            assert actual.flags.aligned and not actual.flags.writeable, where
        elif field_type == 'sequence<uint8>':
            assert isinstance(actual, bytes) and actual == bytes(expected), where
        elif field_type in ('double', 'float'):
            assert isinstance(actual, float) and same_float(actual, expected), (
                where, actual, expected)
        elif '/' in field_type:
            assert_same(actual, expected, where)
        else:
            assert type(actual) is type(expected) and actual == expected, (
                where, actual, expected)


def roundtrip(message):
    """Serialize with rclpy; return the bytes and rclpy's own reading of them."""
    data = serialize_message(message)
    return data, deserialize_message(data, type(message))


def check_marker(message):
    data, expected = roundtrip(message)
    view = decode_marker(data)
    assert_same(view, expected)
    return view


def check_array(markers):
    data, expected = roundtrip(MarkerArray(markers=markers))
    views = decode_marker_array(data)
    assert len(views) == len(expected.markers)
    for index, (view, marker) in enumerate(zip(views, expected.markers)):
        assert_same(view, marker, f'markers[{index}]')
    return views


# -- the marker test set -----------------------------------------------------------------

def make_marker(kind=Marker.CUBE, **fields):
    """Return a Marker of ``kind``; nested fields as dotted names ('pose.position.x')."""
    message = Marker(type=kind, ns='test', scale=_vector(1.0, 1.0, 1.0))
    message.header.frame_id = 'map'
    message.pose.orientation.w = 1.0
    message.color.r = message.color.a = 1.0
    for name, value in fields.items():
        *parents, attribute = name.split('.')
        setattr(functools.reduce(getattr, parents, message), attribute, value)
    return message


def _vector(x, y, z):
    from geometry_msgs.msg import Vector3
    return Vector3(x=x, y=y, z=z)


def points(count, scale=1.0):
    from geometry_msgs.msg import Point
    return [Point(x=scale * i, y=-0.5 * i, z=1e-3 * i) for i in range(count)]


def colors(count):
    from std_msgs.msg import ColorRGBA
    return [ColorRGBA(r=i / 7.0, g=0.25, b=1.0 - i / 9.0, a=0.5) for i in range(count)]


def uvs(count):
    from visualization_msgs.msg import UVCoordinate
    return [UVCoordinate(u=i / 3.0, v=1.0 - i / 5.0) for i in range(count)]


def textured():
    """TRIANGLE_LIST with a texture (CompressedImage) and uv coordinates, all set."""
    message = make_marker(Marker.TRIANGLE_LIST, points=points(6), colors=colors(6),
                          uv_coordinates=uvs(6), texture_resource='embedded://tex.png')
    message.texture.header.stamp.sec = 12
    message.texture.header.stamp.nanosec = 345
    message.texture.header.frame_id = 'camera'
    message.texture.format = 'png'
    message.texture.data = bytes(range(256)) * 3
    return message


def embedded_mesh():
    message = make_marker(Marker.MESH_RESOURCE, mesh_resource='embedded://robot',
                          mesh_use_embedded_materials=True)
    message.mesh_file.filename = 'robot.stl'
    message.mesh_file.data = b'solid robot\n' * 50
    return message


def marker_cases():
    """(name, Marker) pairs: every type and action and every optional part of a marker."""
    cases = [(f'type {kind}', make_marker(kind)) for kind in range(13)]
    cases += [(f'type {kind} with points', make_marker(kind, points=points(6)))
              for kind in range(13)]
    cases += [
        ('delete', make_marker(action=Marker.DELETE)),
        ('deleteall', make_marker(action=Marker.DELETEALL, ns='')),
        ('unknown action and type', make_marker(99, action=7)),
        ('arrow, two points', make_marker(Marker.ARROW, points=points(2))),
        ('points with colours', make_marker(Marker.POINTS, points=points(5),
                                            colors=colors(5))),
        ('fewer colours than points', make_marker(Marker.LINE_STRIP, points=points(4),
                                                  colors=colors(3))),
        ('colours, no points', make_marker(Marker.POINTS, colors=colors(2))),
        ('one point', make_marker(Marker.SPHERE_LIST, points=points(1))),
        ('text', make_marker(Marker.TEXT_VIEW_FACING, text='hello')),
        ('text of 3 bytes', make_marker(Marker.TEXT_VIEW_FACING, text='abc')),
        ('text of 4 bytes', make_marker(Marker.TEXT_VIEW_FACING, text='abcd')),
        ('multi-line text', make_marker(Marker.TEXT_VIEW_FACING, text='one\ntwo\n')),
        ('unicode text', make_marker(Marker.TEXT_VIEW_FACING,
                                     text='héllo wörld ✓ 日本語 🚀 Ωμέγα')),
        ('empty strings', make_marker(ns='', **{'header.frame_id': ''})),
        ('unicode ns and frame', make_marker(ns='naïve/ß', **{'header.frame_id': 'bäse'})),
        ('long ns', make_marker(ns='n' * 1000)),
        ('mesh', make_marker(Marker.MESH_RESOURCE,
                             mesh_resource='package://robot/meshes/base.dae')),
        ('embedded mesh', embedded_mesh()),
        ('texture and uv', textured()),
        ('frame locked with lifetime', make_marker(
            frame_locked=True, **{'lifetime.sec': 3, 'lifetime.nanosec': 500_000_000})),
        ('stamped', make_marker(**{'header.stamp.sec': 1_700_000_000,
                                   'header.stamp.nanosec': 999_999_999})),
        ('NaN everywhere', make_marker(
            Marker.POINTS, points=points(3, math.nan), colors=colors(3),
            **{'pose.position.x': math.nan, 'pose.orientation.w': math.nan,
               'scale.y': math.nan, 'color.g': math.nan})),
        ('infinities', make_marker(**{'pose.position.y': math.inf, 'scale.z': -math.inf,
                                      'color.b': math.inf})),
        ('extremes', make_marker(
            INT32[1], id=INT32[0], action=INT32[1], points=points(2, 1.7e308),
            **{'header.stamp.sec': INT32[0], 'header.stamp.nanosec': 2 ** 32 - 1,
               'lifetime.sec': INT32[1], 'lifetime.nanosec': 2 ** 32 - 1,
               'pose.position.x': 5e-324, 'pose.position.y': -1.7976931348623157e308,
               'pose.position.z': -0.0, 'color.r': F32_MAX, 'color.g': -F32_MAX,
               'color.b': 1e-45})),
    ]
    return cases


CASES = marker_cases()


@pytest.mark.parametrize('name, message', CASES, ids=[name for name, _ in CASES])
def test_every_field_of_every_case_reads_as_rclpy_reads_it(name, message):
    check_marker(message)


def test_an_array_of_every_case_at_every_alignment_reads_as_rclpy_reads_it():
    # Rotating the array moves markers between offsets 0 and 4 mod 8: their padding moves.
    markers = [message for _, message in CASES]
    offsets = set()
    for shift in range(4):
        views = check_array(markers[shift:] + markers[:shift])
        offsets |= {view._start % 8 for view in views}
    assert offsets == {0, 4}


def test_empty_array_and_a_big_mixed_array():
    assert decode_marker_array(serialize_message(MarkerArray())) == []
    plan = [Marker.CUBE, Marker.POINTS, Marker.TEXT_VIEW_FACING, Marker.LINE_STRIP]
    check_array([make_marker(plan[i % 4], id=i, points=points(i % 17),
                             colors=colors(i % 17 if i % 2 else 0), text=f'marker {i}')
                 for i in range(300)])


def test_a_big_points_marker_reads_as_rclpy_reads_it():
    """Past 4 KiB the points are copied rather than sliced, and content uses a memoryview."""
    message = make_marker(Marker.POINTS, points=points(3000, 0.01), colors=colors(3000))
    data = serialize_message(message)
    view = decode_marker(data)
    assert_same(view, deserialize_message(data, Marker))
    received = np.frombuffer(data, np.uint8)
    assert np.shares_memory(view.colors, received)        # aligned: a view
    assert not np.shares_memory(view.points, received)    # float64 at 4 mod 8: a copy
    message.header.stamp.sec = 5
    assert check_marker(message).content == view.content


def test_arrays_are_read_only_aligned_and_shaped_even_when_empty():
    view = check_marker(textured())
    assert view.points.shape == (6, 3) and view.colors.shape == (6, 4)
    assert view.uv_coordinates.shape == (6, 2)
    empty = decode_marker(serialize_message(make_marker()))
    for array, columns in ((empty.points, 3), (empty.colors, 4), (empty.uv_coordinates, 2)):
        assert array.shape == (0, columns) and not array.flags.writeable
    with pytest.raises(ValueError):
        view.points[0, 0] = 1.0


def test_lazy_fields_are_built_once_and_other_names_are_attribute_errors():
    view = decode_marker(serialize_message(make_marker(Marker.POINTS, points=points(4))))
    assert view.pose is view.pose and view.points is view.points
    assert view.header.frame_id == 'map' and view.points.shape == (4, 3)
    with pytest.raises(AttributeError, match='no attribute'):
        view.no_such_field


def test_any_buffer_type_is_accepted():
    data = serialize_message(textured())
    expected = deserialize_message(data, Marker)
    for buffer in (bytearray(data), memoryview(data)):
        assert_same(decode_marker(buffer), expected)


@pytest.mark.parametrize('raw, expected', [
    (b'ab\0cd\0', 'ab'),       # rclpy ends a string at its first NUL
    (b'abcd', 'abcd'),        # no terminator: all its bytes
    (b'', ''),                # length 0, as some serializers write ''
])
def test_strings_end_where_rclpy_ends_them(raw, expected):
    message = make_marker(Marker.TEXT_VIEW_FACING, text='@' * 11)
    data = serialize_message(message)
    at = data.index(b'@' * 11) - 4
    # Replace text's length and bytes, keeping what follows 4-aligned.
    body = raw + bytes(-len(raw) % 4)
    data = data[:at] + struct.pack('<I', len(raw)) + body + data[at + 4 + 12:]
    assert deserialize_message(data, Marker).text == expected
    assert_same(decode_marker(data), deserialize_message(data, Marker))


def test_what_a_raw_subscription_receives_reads_as_rclpy_reads_it(ros_context):
    """The bytes a real publisher sends (Fast DDS's own serialization) decode alike."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    markers = [message for _, message in CASES]
    received = []
    node = rclpy.create_node('test_cdr_raw', context=ros_context)
    executor = SingleThreadedExecutor(context=ros_context)
    try:
        executor.add_node(node)
        node.create_subscription(MarkerArray, '/test_cdr/raw', received.append, 10, raw=True)
        publisher = node.create_publisher(MarkerArray, '/test_cdr/raw', 10)
        deadline = time.monotonic() + 10.0
        while not received and time.monotonic() < deadline:
            publisher.publish(MarkerArray(markers=markers))
            executor.spin_once(timeout_sec=0.1)
    finally:
        executor.shutdown()
        node.destroy_node()
    assert received, 'nothing arrived on the raw subscription in 10 s'
    data = received[0]
    assert isinstance(data, bytes)
    views = decode_marker_array(data)
    for index, (view, marker) in enumerate(zip(views, deserialize_message(
            data, MarkerArray).markers, strict=True)):
        assert_same(view, marker, f'markers[{index}]')
    # The same markers serialized locally have the same content, whatever the padding.
    local = decode_marker_array(serialize_message(MarkerArray(markers=markers)))
    assert [view.content for view in views] == [view.content for view in local]


# -- content: the bytes that say whether a marker changed ----------------------------------

def flat(view):
    """Every field of a view as exact, comparable values (floats by their bits)."""
    items = []
    for name in cdr.MarkerView.__slots__:
        if name.startswith('_'):
            continue
        value = getattr(view, name)
        items.append((name, value.tobytes() if isinstance(value, np.ndarray) else
                      repr(_nested(value))))
    return items


def _nested(value):
    if isinstance(value, tuple):   # the view's parts are named tuples
        return [(name, _nested(getattr(value, name))) for name in value._fields]
    return struct.pack('<d', value) if isinstance(value, float) else value


def test_content_leaves_out_the_stamp_only():
    message = make_marker(Marker.POINTS, points=points(3), colors=colors(3), text='t')
    content = check_marker(message).content
    message.header.stamp.sec = 99
    message.header.stamp.nanosec = 7
    assert check_marker(message).content == content
    message.header.frame_id = 'odom'
    assert check_marker(message).content != content


@pytest.mark.parametrize('name, message', [case for case in CASES if case[0] in (
    'type 1', 'texture and uv', 'embedded mesh', 'unicode text', 'points with colours',
    'frame locked with lifetime')])
def test_content_changes_exactly_when_a_field_other_than_the_stamp_does(name, message):
    """
    Flip each byte of the marker in turn: content changes iff a decoded field does.

    The flips that change no field are the padding's, which DDS leaves uninitialised, so
    content must not depend on them.
    """
    data = serialize_message(message)
    original = decode_marker(data)
    fields, content = flat(original)[1:], original.content   # [0] is the header
    padding = 0
    for index in range(original._start, len(data)):
        corrupt = bytearray(data)
        corrupt[index] ^= 0xA5
        try:
            view = decode_marker(bytes(corrupt))
        except CdrError:
            continue
        unchanged = flat(view)[1:] == fields and view.header.frame_id == \
            original.header.frame_id
        assert (view.content == content) == unchanged, index
        padding += unchanged
    assert padding > 0


def test_content_is_the_same_wherever_the_marker_sits_in_its_array():
    markers = [make_marker(id=i, text='t' * 4 * i) for i in range(1, 6)]  # 4 bytes more each
    views = check_array(markers)
    singles = [decode_marker(serialize_message(marker)) for marker in markers]
    assert {view._start % 8 for view in views} == {0, 4}   # pose padded, and not
    assert [view.content for view in views] == [single.content for single in singles]
    assert len({view.content for view in views}) == len(views)


# -- random markers ------------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=('Cs',)), max_size=12)
doubles = st.floats(allow_nan=True, allow_infinity=True)
singles = st.floats(allow_nan=True, allow_infinity=True, width=32)
int32 = st.integers(*INT32)
uint32 = st.integers(0, 2 ** 32 - 1)


@st.composite
def random_markers(draw):
    from geometry_msgs.msg import Point
    from std_msgs.msg import ColorRGBA
    from visualization_msgs.msg import UVCoordinate
    message = Marker(ns=draw(text), id=draw(int32), type=draw(int32), action=draw(int32),
                     frame_locked=draw(st.booleans()), text=draw(text),
                     texture_resource=draw(text), mesh_resource=draw(text),
                     mesh_use_embedded_materials=draw(st.booleans()))
    message.header.frame_id = draw(text)
    message.header.stamp.sec, message.header.stamp.nanosec = draw(int32), draw(uint32)
    message.lifetime.sec, message.lifetime.nanosec = draw(int32), draw(uint32)
    for part, names in ((message.pose.position, 'xyz'), (message.pose.orientation, 'xyzw'),
                        (message.scale, 'xyz')):
        for name in names:
            setattr(part, name, draw(doubles))
    for name in 'rgba':
        setattr(message.color, name, draw(singles))
    message.points = [Point(x=x, y=y, z=z) for x, y, z in draw(
        st.lists(st.tuples(doubles, doubles, doubles), max_size=8))]
    message.colors = [ColorRGBA(r=r, g=g, b=b, a=a) for r, g, b, a in draw(
        st.lists(st.tuples(singles, singles, singles, singles), max_size=8))]
    message.uv_coordinates = [UVCoordinate(u=u, v=v) for u, v in draw(
        st.lists(st.tuples(singles, singles), max_size=4))]
    message.texture.header.frame_id, message.texture.format = draw(text), draw(text)
    message.texture.header.stamp.sec = draw(int32)
    message.texture.data = draw(st.binary(max_size=9))
    message.mesh_file.filename, message.mesh_file.data = draw(text), draw(
        st.binary(max_size=9))
    return message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_markers())
def test_random_markers_read_as_rclpy_reads_them(message):
    check_marker(message)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(random_markers(), max_size=5))
def test_random_arrays_read_as_rclpy_reads_them(markers):
    views = check_array(markers)
    # A marker's content does not depend on where it sits: the same as when sent alone.
    assert [view.content for view in views] == [
        decode_marker(serialize_message(marker)).content for marker in markers]


# -- malformed bytes -----------------------------------------------------------------------

def _cut_everywhere(data, decode):
    for cut in range(len(data)):
        with pytest.raises(CdrError):
            decode(data[:cut])


@pytest.mark.parametrize('name, message', [case for case in CASES if case[0] in (
    'type 1', 'texture and uv', 'embedded mesh', 'unicode text', 'points with colours')])
def test_a_marker_cut_anywhere_is_a_cdr_error(name, message):
    data = serialize_message(message)
    decode_marker(data)
    _cut_everywhere(data, decode_marker)


def test_an_array_cut_anywhere_is_a_cdr_error():
    markers = [make_marker(Marker.LINE_STRIP, id=1, points=points(3), colors=colors(3)),
               make_marker(Marker.TEXT_VIEW_FACING, id=2, text='ok'), textured()]
    _cut_everywhere(serialize_message(MarkerArray(markers=markers)), decode_marker_array)


def _with_u32(data, offset, value):
    return data[:offset] + struct.pack('<I', value) + data[offset + 4:]


def test_absurd_counts_and_lengths_are_refused_before_allocating():
    data = serialize_message(make_marker(Marker.POINTS, points=points(2), colors=colors(2)))
    view = decode_marker(data)
    count_at = data.index(struct.pack('<3d', 1.0, -0.5, 1e-3)) - 24 - 4  # before 2 points
    assert view.points.shape == (2, 3)
    for count in (2 ** 20, 2 ** 32 - 1):
        with pytest.raises(CdrError, match='points'):
            decode_marker(_with_u32(data, count_at, count))
    with pytest.raises(CdrError, match='string'):
        decode_marker(_with_u32(data, 12, 2 ** 31))   # frame_id's length
    array = serialize_message(MarkerArray(markers=[make_marker()]))
    for count in (2, 2 ** 32 - 1):
        with pytest.raises(CdrError, match='markers|truncated'):
            decode_marker_array(_with_u32(array, 4, count))


@pytest.mark.parametrize('header, problem', [
    (b'\x00\x00\x00\x00', 'big-endian'),
    (b'\x00\x07\x00\x00', 'encapsulation 00 07'),
    (b'\x01\x01\x00\x00', 'encapsulation 01 01'),
])
def test_other_encapsulations_are_refused(header, problem):
    data = header + serialize_message(make_marker())[4:]
    with pytest.raises(CdrError, match=problem):
        decode_marker(data)


@pytest.mark.parametrize('data', [b'', b'\x00', b'\x00\x01\x00'])
def test_too_short_for_a_header(data):
    with pytest.raises(CdrError, match='shorter than the encapsulation header'):
        decode_marker(data)


def test_what_rclpy_reads_leniently_is_a_cdr_error_for_the_fallback():
    """Bools other than 0 or 1 and invalid UTF-8: CdrError here, read by rclpy."""
    data = serialize_message(make_marker(Marker.TEXT_VIEW_FACING, frame_locked=True,
                                         mesh_use_embedded_materials=True, text='héllo'))
    at = data.index('héllo'.encode())
    locked = bytearray(data)
    locked[_frame_locked_offset(data)] = 2
    for bad, problem in ((data[:-1] + b'\x02', 'mesh_use_embedded_materials is 2'),
                         (data[:at + 1] + b'\xff' + data[at + 2:], 'not UTF-8'),
                         (bytes(locked), 'frame_locked is 2')):
        with pytest.raises(CdrError, match=problem):
            decode_marker(bad)
        deserialize_message(bad, Marker)   # the fallback reads it


def _frame_locked_offset(data):
    """Where frame_locked is: the byte whose flip to 0 alone makes frame_locked False."""
    for index in range(len(data)):
        probe = bytearray(data)
        if probe[index] != 1:
            continue
        probe[index] = 0
        try:
            if not decode_marker(bytes(probe)).frame_locked:
                return index
        except CdrError:
            pass
    raise AssertionError('frame_locked not found')


# -- layouts -------------------------------------------------------------------------------

def test_the_installed_layouts_are_the_known_ones():
    assert cdr.layout_supported(Marker) and cdr.layout_supported(MarkerArray)


def test_another_layout_is_not_supported():
    from geometry_msgs.msg import Pose

    class Humble:
        """Marker without the fields Jazzy added (texture, uv_coordinates, mesh_file)."""

        @staticmethod
        def get_fields_and_field_types():
            fields = dict(Marker.get_fields_and_field_types())
            for name in ('texture_resource', 'texture', 'uv_coordinates', 'mesh_file'):
                del fields[name]
            return fields

    Humble.__module__ = Marker.__module__
    Humble.__name__ = 'Marker'
    assert not cdr.layout_supported(Humble)
    assert not cdr.layout_supported(Pose)
    assert not cdr.layout_supported(object)
