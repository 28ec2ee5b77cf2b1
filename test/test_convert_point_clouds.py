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
PointCloud2 and LaserScan to a PointCloud element: layouts, skipped points, colours, bytes.

Messages are plain objects with the real messages' fields; every check decodes the
element's bytes back as the client does (float16 x, y, z plus the element's position,
uint8 r, g, b) and compares with what RViz2 draws for the same message. The last tests
drive the two displays on a Vuer app: where a cloud goes, what a bad one leaves, and the
worker thread's newest-wins hand-off on a running loop.
"""

import asyncio
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from test_display_scene import parents
from test_display_vectors import displays

from vuer_ros.convert.colormaps import intensity_rainbow
from vuer_ros.convert.markers import POINT_SIZE_PER_METRE
from vuer_ros.convert.point_clouds import (cloud_to_element, CloudError, CloudStyle,
                                           scan_to_element)
from vuer_ros.convert.transforms import Transform
from vuer_ros.displays import BY_MESSAGE_TYPE, point_clouds

#: PointField datatypes.
INT8, UINT8, INT16, UINT16, INT32, UINT32, FLOAT32, FLOAT64 = range(1, 9)
_CODES = {'i1': INT8, 'u1': UINT8, 'i2': INT16, 'u2': UINT16, 'i4': INT32, 'u4': UINT32,
          'f4': FLOAT32, 'f8': FLOAT64}
RED, MAGENTA = (255, 0, 0), (255, 0, 255)


def header(frame: str = 'lidar') -> SimpleNamespace:
    return SimpleNamespace(frame_id=frame, stamp=SimpleNamespace(sec=0, nanosec=0))


def cloud(records: np.ndarray, height: int = 1, row_step: int = 0,
          data: bytes = None, fields=None) -> SimpleNamespace:
    """Build a PointCloud2 with the fields and layout of the structured ``records``."""
    dtype = records.dtype
    if fields is None:
        fields = [SimpleNamespace(name=name, offset=offset, count=1,
                                  datatype=_CODES[kind.str[1:]])
                  for name, (kind, offset) in dtype.fields.items() if not name.startswith('_')]
    width = len(records) // height
    return SimpleNamespace(
        header=header(), height=height, width=width, fields=fields,
        is_bigendian=dtype[0].byteorder == '>', point_step=dtype.itemsize,
        row_step=row_step or width * dtype.itemsize, is_dense=False,
        data=records.tobytes() if data is None else data)


def xyz_records(points, order: str = '<', kind: str = 'f4', extra=(), step: int = 0):
    """Build records with x, y, z of ``kind`` and ``extra`` (name, type, values) fields."""
    names = ['x', 'y', 'z'] + [name for name, _, _ in extra]
    formats = [order + kind] * 3 + [order + code for _, code, _ in extra]
    dtype = np.dtype({'names': names, 'formats': formats}, align=False)
    if step:
        dtype = np.dtype({'names': names, 'formats': formats,
                          'offsets': [dtype.fields[n][1] for n in names], 'itemsize': step})
    points = np.asarray(points, dtype=np.float64)
    records = np.zeros(len(points), dtype=dtype)
    for column, axis in enumerate('xyz'):
        records[axis] = points[:, column]
    for name, _, values in extra:
        records[name] = values
    return records


def decoded(element) -> tuple[np.ndarray, np.ndarray]:
    """Positions and colours as the client reads them (float16 vertices + position)."""
    props = element.props
    vertices = np.frombuffer(props['vertices'], dtype='<f2').reshape(-1, 3)
    xyz = vertices.astype(np.float64) + np.asarray(props['position'])
    colors = props.get('colors')
    rgb = None if colors is None else np.frombuffer(colors, np.uint8).reshape(-1, 3)
    return xyz, rgb


POINTS = [(1.0, 2.0, 0.5), (-3.0, 0.25, 1.5), (4.0, -1.0, -0.5), (0.0, 0.0, 0.0)]
PACKED = [0xff0000, 0x00ff00, 0x0000ff, 0x808080]
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (128, 128, 128)]


def test_float32_xyz_and_uint32_rgb_decode_back_in_nine_bytes_a_point():
    message = cloud(xyz_records(POINTS, extra=[('rgb', 'u4', PACKED)]))
    drawn = cloud_to_element(message, 'cloud', CloudStyle())
    xyz, rgb = decoded(drawn.element)
    assert drawn.transformer == 'RGB8'
    assert xyz == pytest.approx(np.array(POINTS), abs=4e-3)
    assert rgb.tolist() == [list(c) for c in COLOURS]
    props = drawn.element.props
    assert len(props['vertices']) + len(props['colors']) == 9 * len(POINTS)
    # RViz2's default Size (m) 0.01, in the client's point units.
    assert props['size'] == pytest.approx(0.01 * POINT_SIZE_PER_METRE)


def test_rgb_as_packed_float_is_the_same_colour_as_uint32():
    as_float = np.asarray(PACKED, dtype='<u4').view('<f4')
    message = cloud(xyz_records(POINTS, extra=[('rgb', 'f4', as_float)]))
    _, rgb = decoded(cloud_to_element(message, 'cloud', CloudStyle()).element)
    assert rgb.tolist() == [list(c) for c in COLOURS]


def test_rgba_field_is_read_as_rgb():
    message = cloud(xyz_records(POINTS, extra=[('rgba', 'u4', [c | 0x80000000
                                                               for c in PACKED])]))
    _, rgb = decoded(cloud_to_element(message, 'cloud', CloudStyle()).element)
    assert rgb.tolist() == [list(c) for c in COLOURS]


def test_float64_xyz_at_any_offset_and_point_step():
    records = xyz_records(POINTS, kind='f8', extra=[('intensity', 'u2', [1, 2, 3, 4])],
                          step=40)
    message = cloud(records)
    assert message.point_step == 40
    xyz, _ = decoded(cloud_to_element(message, 'cloud', CloudStyle()).element)
    assert xyz == pytest.approx(np.array(POINTS), abs=4e-3)


def test_far_float64_cloud_keeps_its_shape_around_its_centre():
    far = np.array(POINTS) + (1e6, -2e6, 30.0)
    drawn = cloud_to_element(cloud(xyz_records(far, kind='f8')), 'cloud', CloudStyle())
    centre = np.asarray(drawn.element.props['position'])
    assert centre == pytest.approx((1e6 + 0.5, -2e6 + 0.5, 30.5))
    local = np.frombuffer(drawn.element.props['vertices'], dtype='<f2').reshape(-1, 3)
    # float16 around the centre: the shape is kept to millimetres, 1,000 km out.
    assert local.astype(np.float64) == pytest.approx(far - centre, abs=4e-3)


def test_padded_rows_are_skipped():
    records = xyz_records(POINTS + [(5.0, 5.0, 5.0), (6.0, 6.0, 6.0)])
    step = records.dtype.itemsize
    rows = records.reshape(2, 3)
    padding = b'\xff' * 8   # NaN-looking garbage that must never be read as a point
    data = b''.join(row.tobytes() + padding for row in rows)
    message = cloud(records, height=2, row_step=3 * step + 8, data=data)
    drawn = cloud_to_element(message, 'cloud', CloudStyle())
    xyz, _ = decoded(drawn.element)
    assert (drawn.received, drawn.valid, drawn.sent) == (6, 6, 6)
    assert xyz == pytest.approx(records_xyz(records), abs=4e-3)


def records_xyz(records: np.ndarray) -> np.ndarray:
    return np.stack([records[axis].astype(np.float64) for axis in 'xyz'], axis=-1)


def test_big_endian_fields():
    records = xyz_records(POINTS, order='>', extra=[('rgb', 'u4', PACKED)])
    message = cloud(records)
    assert message.is_bigendian
    xyz, rgb = decoded(cloud_to_element(message, 'cloud', CloudStyle()).element)
    assert xyz == pytest.approx(np.array(POINTS), abs=4e-3)
    assert rgb.tolist() == [list(c) for c in COLOURS]


def test_points_with_a_non_finite_coordinate_are_skipped_as_rviz2_does():
    points = POINTS + [(np.nan, 1.0, 1.0), (1.0, np.inf, 1.0), (1.0, 1.0, -np.inf)]
    message = cloud(xyz_records(points, extra=[('rgb', 'u4', PACKED + [0xffffff] * 3)]))
    drawn = cloud_to_element(message, 'cloud', CloudStyle())
    xyz, rgb = decoded(drawn.element)
    assert (drawn.received, drawn.valid, drawn.sent) == (7, 4, 4)
    assert xyz == pytest.approx(np.array(POINTS), abs=4e-3)
    assert rgb.tolist() == [list(c) for c in COLOURS]   # colours stay with their points


def test_all_points_invalid_or_none_draws_nothing():
    nan = cloud(xyz_records([(np.nan, 0.0, 0.0)]))
    assert cloud_to_element(nan, 'cloud', CloudStyle()).element is None
    empty = cloud(xyz_records(np.zeros((0, 3))))
    assert cloud_to_element(empty, 'cloud', CloudStyle()).element is None


def grid_points(count: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.uniform(-10.0, 10.0, size=(count, 3))


def test_uniform_decimation_keeps_at_most_the_budget_spread_over_the_cloud():
    points = grid_points(10_000)
    message = cloud(xyz_records(points, extra=[('intensity', 'f4', np.arange(10_000))]))
    drawn = cloud_to_element(message, 'cloud', CloudStyle(max_points=999))
    xyz, rgb = decoded(drawn.element)
    assert (drawn.valid, drawn.sent) == (10_000, len(xyz))
    assert 500 < drawn.sent <= 999
    assert xyz == pytest.approx(points[::11], abs=1e-2)   # every 11th point
    assert len(rgb) == len(xyz)


def test_voxel_decimation_keeps_one_point_per_voxel():
    base = np.array([(0.5, 0.5, 0.5), (3.5, 0.5, 0.5), (0.5, 3.5, 0.5)])
    # 300 points, 100 in each of three 1 m voxels
    points = np.repeat(base, 100, axis=0) + np.random.default_rng(1).uniform(
        -0.4, 0.4, size=(300, 3))
    style = CloudStyle(max_points=100, decimation='voxel', voxel_size=1.0)
    drawn = cloud_to_element(cloud(xyz_records(points)), 'cloud', style)
    xyz, _ = decoded(drawn.element)
    assert drawn.sent == 3
    cells = {tuple(np.floor(p).astype(int)) for p in xyz}
    assert cells == {(0, 0, 0), (3, 0, 0), (0, 3, 0)}


def test_intensity_through_the_rainbow_with_bounds_from_the_message():
    values = [10.0, 20.0, 30.0, 40.0]
    message = cloud(xyz_records(POINTS, extra=[('intensity', 'f4', values)]))
    drawn = cloud_to_element(message, 'cloud', CloudStyle())
    _, rgb = decoded(drawn.element)
    assert drawn.transformer == 'Intensity'
    expected = np.rint(intensity_rainbow(values, 10.0, 40.0) * 255)
    assert rgb == pytest.approx(expected, abs=1)
    assert tuple(rgb[0]) == RED and tuple(rgb[-1]) == MAGENTA
    inverted = cloud_to_element(message, 'cloud', CloudStyle(invert_rainbow=True))
    _, rgb = decoded(inverted.element)
    assert tuple(rgb[0]) == MAGENTA and tuple(rgb[-1]) == RED


def test_any_field_between_min_and_max_colour_with_fixed_bounds():
    message = cloud(xyz_records(POINTS, extra=[('ring', 'u2', [0, 5, 10, 20])]))
    style = CloudStyle(color_transformer='Intensity', channel_name='ring', use_rainbow=False,
                       min_color=(0.0, 0.0, 1.0), max_color=(1.0, 1.0, 0.0),
                       autocompute_intensity_bounds=False, min_intensity=0.0,
                       max_intensity=10.0)
    _, rgb = decoded(cloud_to_element(message, 'cloud', style).element)
    assert rgb.tolist() == [[0, 0, 255], [128, 128, 128], [255, 255, 0], [255, 255, 0]]


def test_equal_intensities_are_all_red():
    message = cloud(xyz_records(POINTS, extra=[('intensity', 'f4', [7.0] * 4)]))
    _, rgb = decoded(cloud_to_element(message, 'cloud', CloudStyle()).element)
    assert {tuple(c) for c in rgb} == {RED}


def test_axis_colour_along_z_in_the_fixed_frame():
    message = cloud(xyz_records(POINTS))
    drawn = cloud_to_element(message, 'cloud', CloudStyle(color_transformer='AxisColor'))
    _, rgb = decoded(drawn.element)
    assert drawn.transformer == 'AxisColor'
    heights = np.array(POINTS)[:, 2]
    lowest, highest = int(np.argmin(heights)), int(np.argmax(heights))
    assert tuple(rgb[lowest]) == RED and tuple(rgb[highest]) == MAGENTA
    # The message frame turned upside down (180 degrees about x): its lowest point is the
    # highest in the fixed frame.
    upside_down = Transform((0.0, 0.0, 5.0), (1.0, 0.0, 0.0, 0.0))
    flipped = CloudStyle(color_transformer='AxisColor', axis_to_fixed=upside_down)
    _, rgb = decoded(cloud_to_element(message, 'cloud', flipped).element)
    assert tuple(rgb[lowest]) == MAGENTA and tuple(rgb[highest]) == RED


def test_flat_colour_sends_one_colour_not_one_per_point():
    message = cloud(xyz_records(POINTS, extra=[('rgb', 'u4', PACKED)]))
    style = CloudStyle(color_transformer='FlatColor', color=(0.0, 1.0, 0.0))
    drawn = cloud_to_element(message, 'cloud', style)
    assert 'colors' not in drawn.element.props
    assert drawn.element.props['color'] == '#00ff00'


def test_without_rgb_or_intensity_points_are_white_as_in_rviz2():
    # RViz2 picks Intensity (best score), which cannot colour them: its default white.
    drawn = cloud_to_element(cloud(xyz_records(POINTS)), 'cloud', CloudStyle())
    assert (drawn.transformer, drawn.note) == ('Intensity', '')
    assert drawn.element.props['color'] == '#ffffff'
    assert 'colors' not in drawn.element.props


def test_an_explicit_transformer_without_its_field_draws_white_with_a_note():
    message = cloud(xyz_records(POINTS))
    for chosen, words in (('Intensity', "no 'intensity' field"), ('RGB8', 'no rgb/rgba')):
        drawn = cloud_to_element(message, 'cloud', CloudStyle(color_transformer=chosen))
        assert words in drawn.note and 'white' in drawn.note
        assert drawn.element.props['color'] == '#ffffff'


def test_alpha_zero_draws_nothing():
    drawn = cloud_to_element(cloud(xyz_records(POINTS)), 'cloud', CloudStyle(alpha=0.0))
    assert drawn.element is None and drawn.sent == 4


@pytest.mark.parametrize('change, words', [
    (lambda m: setattr(m, 'data', m.data[:-1]), 'data is 63 bytes'),
    (lambda m: setattr(m, 'width', 5), 'width (5) x height (1) x point_step (16)'),
    (lambda m: setattr(m, 'fields', m.fields[:2]), 'no z field'),
    (lambda m: setattr(m.fields[0], 'datatype', 9), 'unknown datatype 9'),
    (lambda m: setattr(m.fields[3], 'offset', 14), 'runs past point_step 16'),
    (lambda m: setattr(m, 'point_step', 0), 'point_step is 0'),
    (lambda m: (setattr(m, 'width', 1 << 20), setattr(m, 'height', 1 << 20)), 'beyond'),
])
def test_bad_clouds_raise_a_clear_error(change, words):
    message = cloud(xyz_records(POINTS, extra=[('rgb', 'u4', PACKED)]))
    change(message)
    with pytest.raises(CloudError, match=words.replace('(', r'\(').replace(')', r'\)')):
        cloud_to_element(message, 'cloud', CloudStyle())


def test_a_cloud_wider_than_float16_raises():
    message = cloud(xyz_records([(0.0, 0.0, 0.0), (200_000.0, 0.0, 0.0)]))
    with pytest.raises(CloudError, match='float16'):
        cloud_to_element(message, 'cloud', CloudStyle())


def scan(ranges, intensities=(), angle_min=-np.pi / 2, increment=np.pi / 2,
         range_min=0.1, range_max=10.0) -> SimpleNamespace:
    return SimpleNamespace(header=header('laser'), angle_min=angle_min,
                           angle_max=angle_min + increment * (len(ranges) - 1),
                           angle_increment=increment, time_increment=0.0, scan_time=0.1,
                           range_min=range_min, range_max=range_max,
                           ranges=np.asarray(ranges, dtype=np.float32),
                           intensities=np.asarray(intensities, dtype=np.float32))


def test_scan_points_in_the_scan_plane_out_of_range_and_non_finite_dropped():
    # -90, 0, 90, 180 degrees, then readings laser_geometry drops.
    message = scan([2.0, 1.0, 3.0, 4.0, np.nan, np.inf, 0.05, 10.0, 12.0],
                   intensities=[5.0, 1.0, 3.0, 9.0, 0, 0, 0, 0, 0])
    drawn = scan_to_element(message, 'scan', CloudStyle())
    xyz, rgb = decoded(drawn.element)
    assert (drawn.received, drawn.valid, drawn.sent) == (9, 4, 4)
    assert xyz == pytest.approx(np.array([(0, -2, 0), (1, 0, 0), (0, 3, 0), (-4, 0, 0)]),
                                abs=4e-3)
    expected = np.rint(intensity_rainbow([5.0, 1.0, 3.0, 9.0], 1.0, 9.0) * 255)
    assert rgb == pytest.approx(expected, abs=1)
    assert tuple(rgb[1]) == RED and tuple(rgb[3]) == MAGENTA


def test_scan_without_one_intensity_per_range_is_white_as_rviz2_draws_it():
    # laser_geometry adds no intensity channel, so RViz2's Intensity leaves them white.
    for intensities in ((), (1.0, 2.0)):
        drawn = scan_to_element(scan([1.0, 2.0, 3.0], intensities), 'scan', CloudStyle())
        assert drawn.element.props['color'] == '#ffffff'
        assert drawn.note == ''


def test_scan_with_equal_intensities_is_red():
    drawn = scan_to_element(scan([1.0, 2.0, 3.0], [4.0] * 3), 'scan', CloudStyle())
    _, rgb = decoded(drawn.element)
    assert drawn.transformer == 'Intensity'
    assert {tuple(c) for c in rgb} == {RED}


def test_scan_with_a_non_finite_angle_raises():
    with pytest.raises(CloudError, match='not finite'):
        scan_to_element(scan([1.0], angle_min=np.nan), 'scan', CloudStyle())


# -- the displays ------------------------------------------------------------------------

def test_both_kinds_are_registered_with_rviz2s_defaults():
    for kind, type_name in (('point_cloud', 'sensor_msgs/msg/PointCloud2'),
                            ('laser_scan', 'sensor_msgs/msg/LaserScan')):
        display = BY_MESSAGE_TYPE[type_name]
        assert display.kind == kind and display.newest_only
        defaults = {p.name[len(kind) + 1:]: p.default for p in display.options}
        # point_cloud_common.cpp:106-141 and intensity_pc_transformer.cpp:150-190
        assert (defaults['style'], defaults['size'], defaults['alpha']) == (
            'Flat Squares', 0.01, 1.0)
        assert (defaults['channel_name'], defaults['use_rainbow'],
                defaults['autocompute_intensity_bounds']) == ('intensity', True, True)
        assert (defaults['min_intensity'], defaults['max_intensity']) == (0.0, 4096.0)
        assert defaults['max_points'] == 500_000


def rgb_cloud(first_x: float = 1.0, frame: str = 'lidar') -> SimpleNamespace:
    message = cloud(xyz_records([(first_x, 0.0, 0.0)] + POINTS[1:],
                                extra=[('rgb', 'u4', PACKED)]))
    message.header.frame_id = frame
    return message


def test_a_cloud_is_drawn_in_its_frame_and_a_bad_one_keeps_it():
    app, host, warnings = displays()
    host.scene.on_transform('map', 'lidar', (1.0, 2.0, 0.0), (0, 0, 0, 1))
    display = host.show(BY_MESSAGE_TYPE['sensor_msgs/msg/PointCloud2'], '/points')
    display.on_message(rgb_cloud())
    key = 'point_cloud:/points'
    assert parents(app)[key] == '/points@lidar'
    drawn = app.scene.get(key)
    bad = rgb_cloud(first_x=7.0)
    bad.data = bad.data[:-2]
    display.on_message(bad)
    assert app.scene.get(key) == drawn   # RViz2 drops the message; the last cloud stays
    assert warnings[-1][1] == (
        '/points: data is 62 bytes; width (4) x height (1) x point_step (16) is 64 and '
        'row_step (64) x height is 64; not drawn')


async def test_with_a_loop_clouds_convert_on_a_worker_and_the_newest_wins():
    app, host, _ = displays()
    host.context.loop = asyncio.get_running_loop()
    host.scene.on_transform('map', 'lidar', (0.0, 0.0, 0.0), (0, 0, 0, 1))
    threads: list[str] = []

    class Recorded(point_clouds.PointCloud2Display):
        @staticmethod
        def convert(message, key, style):
            threads.append(threading.current_thread().name)
            return cloud_to_element(message, key, style)

    display = host.show(Recorded, '/points')
    for first_x in (1.0, 2.0, 3.0):   # the 2nd and 3rd come while the 1st converts
        display.on_message(rgb_cloud(first_x))
    for _ in range(200):
        if not display._worker.busy:
            break
        await asyncio.sleep(0.01)
    xyz, _ = decoded(SimpleNamespace(props=app.scene.get('point_cloud:/points')))
    assert xyz[0] == pytest.approx((3.0, 0.0, 0.0), abs=4e-3)   # the newest is drawn
    assert len(threads) == 2, 'the 2nd was replaced by the 3rd before it was converted'
    assert all(name.startswith('vuer_ros-clouds') for name in threads)
    display.close()


def test_voxel_decimation_of_a_vast_cloud_with_tiny_voxels():
    # 60 km wide with 0.1 mm voxels: more cells than one int64 key numbers.
    points = np.concatenate([np.zeros((50, 3)), np.full((50, 3), 30_000.0)])
    style = CloudStyle(max_points=10, decimation='voxel', voxel_size=0.0001)
    drawn = cloud_to_element(cloud(xyz_records(points, kind='f8')), 'cloud', style)
    assert drawn.sent == 2   # one point per occupied voxel


def test_intensities_is_the_second_name_and_a_nan_reads_as_the_lowest():
    # intensity_pc_transformer.cpp tries 'intensities' when 'intensity' is missing.
    values = [10.0, np.nan, 40.0, 20.0]
    message = cloud(xyz_records(POINTS, extra=[('intensities', 'f4', values)]))
    drawn = cloud_to_element(message, 'cloud', CloudStyle())
    _, rgb = decoded(drawn.element)
    assert drawn.transformer == 'Intensity'
    assert [tuple(c) for c in rgb[:3]] == [RED, RED, MAGENTA]


async def test_a_failure_on_the_worker_is_said_and_the_next_cloud_drawn():
    app, host, warnings = displays()
    host.context.loop = asyncio.get_running_loop()
    host.scene.on_transform('map', 'lidar', (0.0, 0.0, 0.0), (0, 0, 0, 1))

    class Failing(point_clouds.PointCloud2Display):
        @staticmethod
        def convert(message, key, style):
            if message.data[:4] == rgb_cloud(5.0).data[:4]:
                raise KeyError('unexpected')
            return cloud_to_element(message, key, style)

    display = host.show(Failing, '/points')
    display.on_message(rgb_cloud(5.0))
    display.on_message(rgb_cloud(6.0))   # waits for the failing one
    for _ in range(200):
        if app.scene.get('point_cloud:/points') is not None:
            break
        await asyncio.sleep(0.01)
    xyz, _ = decoded(SimpleNamespace(props=app.scene.get('point_cloud:/points')))
    assert xyz[0] == pytest.approx((6.0, 0.0, 0.0), abs=4e-3)
    assert warnings[0][1] == "/points: conversion failed (KeyError: 'unexpected'); not drawn"
    display.close()
