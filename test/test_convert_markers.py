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

"""Markers are drawn by RViz2's rules (/work/shared/reference/rviz-markers.md)."""

import math

from hypothesis import given, HealthCheck, settings, strategies as st
from msg_factory import child, marker, message_class, node_matrix as matrix, span, to_real
from msg_factory import three_euler_matrix
import msgpack
import numpy as np
import pytest

from vuer_ros.convert import cdr, markers as M
from vuer_ros.convert.markers import (
    duplicate_error, marker_key, marker_to_element, marker_warnings, MarkerError)
from vuer_ros.validation import validate_node

MARKER = 'visualization_msgs/msg/Marker'


def mesh_url(resource):
    return None if 'missing' in resource else f'/meshes/{resource.split("://")[-1]}'


def convert(msg, key='k', **options):
    """
    Serialize a marker's element and check it the way the server does before sending.

    Every marker of these tests is also serialized to CDR and decoded the way the bridge
    reads it (``convert.cdr``): that path must draw exactly what the typed message draws,
    or fail the same way.
    """
    options.setdefault('mesh_url', mesh_url)
    assert_raw_path_draws_the_same(msg, key, options)
    node = marker_to_element(msg, key, **options).serialize()
    validate_node(node)
    msgpack.packb(node, use_bin_type=True)
    return node


def outcome(marker, key, options):
    """Return the serialized element, or the error text, of one marker."""
    try:
        return marker_to_element(marker, key, **options).serialize()
    except MarkerError as error:
        return f'MarkerError: {error}'


def assert_raw_path_draws_the_same(msg, key, options):
    serialization = pytest.importorskip('rclpy.serialization')
    real = msg if hasattr(type(msg), 'get_fields_and_field_types') else to_real(msg, MARKER)
    data = serialization.serialize_message(real)
    typed = serialization.deserialize_message(data, type(real))   # as a typed subscriber
    assert outcome(cdr.decode_marker(data), key, options) == outcome(typed, key, options)


def both(plain):
    """Give the plain marker and, when visualization_msgs is importable, the real one."""
    return [plain, to_real(plain, MARKER)]


def vertices(node):
    return np.frombuffer(node['vertices'], '<f2').reshape(-1, 3).astype(float) + node['position']


def faces(node):
    return np.frombuffer(node['faces'], '<u4').reshape(-1, 3)


def colors(node):
    return np.frombuffer(node['colors'], np.uint8).reshape(-1, 3)


# -- placement -------------------------------------------------------------------------

@pytest.mark.parametrize('msg', both(marker(M.CUBE, position=(1, 0, 1))))
def test_marker_at_x1_z1_is_one_metre_forward_and_one_up(msg):
    node = convert(msg)
    assert node['tag'] == 'group' and node['key'] == 'k'
    assert node['position'] == [1, 0, 1]  # ROS coordinates inside the root group
    root = three_euler_matrix([-math.pi / 2, 0, 0])  # the 'ros-root' group's rotation
    np.testing.assert_allclose(root @ node['position'], [1, 1, 0], atol=1e-12)


def test_group_carries_the_pose_orientation():
    s = math.sqrt(0.5)
    node = convert(marker(M.CUBE, orientation=(0, 0, s, s)))
    np.testing.assert_allclose(matrix(node)[:3, :3] @ (1, 0, 0), (0, 1, 0), atol=1e-12)


# -- shapes ----------------------------------------------------------------------------

@pytest.mark.parametrize('msg', both(marker(M.CUBE, scale=(1, 2, 3), color=(1, 0.5, 0, 1))))
def test_cube_is_a_box_of_full_extents_scale(msg):
    box = child(convert(msg), 'box')
    assert box['tag'] == 'Box' and box['args'] == [1, 2, 3]
    assert box['material'] == {'color': '#ff8000', 'opacity': 1.0, 'transparent': False,
                               'depthWrite': True}


def test_translucent_colour_is_transparent_material():
    box = child(convert(marker(M.CUBE, color=(0, 0, 1, 0.25))), 'box')
    assert box['material'] == {'color': '#0000ff', 'opacity': 0.25, 'transparent': True,
                               'depthWrite': False}


def test_sphere_has_diameters_scale():
    sphere = child(convert(marker(M.SPHERE, scale=(1, 2, 3))), 'sphere')
    assert sphere['tag'] == 'Sphere' and sphere['args'][0] == 0.5
    np.testing.assert_allclose(matrix(sphere)[:3, :3] @ (0.5, 0.5, 0.5), (0.5, 1, 1.5))


def test_cylinder_stands_along_marker_z_with_diameters_x_y():
    cylinder = child(convert(marker(M.CYLINDER, scale=(1, 2, 3))), 'cylinder')
    base, top, width, depth = span(cylinder)
    np.testing.assert_allclose(base, (0, 0, -1.5), atol=1e-12)
    np.testing.assert_allclose(top, (0, 0, 1.5), atol=1e-12)
    np.testing.assert_allclose(np.abs(width), (0.5, 0, 0), atol=1e-12)  # radius along X
    np.testing.assert_allclose(np.abs(depth), (0, 1, 0), atol=1e-12)    # radius along Y


# -- arrows ----------------------------------------------------------------------------

@pytest.mark.parametrize('msg', both(marker(M.ARROW, scale=(2, 0.1, 0.2))))
def test_pose_arrow_shaft_077_head_023_head_twice_as_wide(msg):
    node = convert(msg)
    base, top, width, depth = span(child(node, 'shaft'))
    np.testing.assert_allclose([base, top], [(0, 0, 0), (1.54, 0, 0)], atol=1e-12)
    # scale.y is the width across (ROS Y), scale.z the height (ROS Z)
    assert np.linalg.norm(width) == pytest.approx(0.05) and abs(width[1]) == pytest.approx(0.05)
    assert np.linalg.norm(depth) == pytest.approx(0.1) and abs(depth[2]) == pytest.approx(0.1)
    base, tip, width, depth = span(child(node, 'head'))
    np.testing.assert_allclose([base, tip], [(1.54, 0, 0), (2, 0, 0)], atol=1e-12)
    assert abs(width[1]) == pytest.approx(0.1) and abs(depth[2]) == pytest.approx(0.2)


@pytest.mark.parametrize('head_length, expected', [(0.0, 0.23 * 2), (0.5, 0.5), (5.0, 2.0)])
def test_two_point_arrow(head_length, expected):
    node = convert(marker(M.ARROW, scale=(0.1, 0.3, head_length), points=[(1, 1, 0), (1, 3, 0)],
                          position=(5, 5, 5)))
    shaft_base, shaft_top, shaft_radius, _ = span(child(node, 'shaft'))
    head_base, tip, head_radius, _ = span(child(node, 'head'))
    np.testing.assert_allclose(shaft_base, (1, 1, 0), atol=1e-12)  # points are pose-local
    np.testing.assert_allclose(tip, (1, 3, 0), atol=1e-12)
    np.testing.assert_allclose(head_base, (1, 3 - expected, 0), atol=1e-12)
    np.testing.assert_allclose(shaft_top, head_base, atol=1e-12)
    assert np.linalg.norm(shaft_radius) == pytest.approx(0.05)
    assert np.linalg.norm(head_radius) == pytest.approx(0.15)


def test_two_point_arrow_pointing_down_the_y_axis():
    node = convert(marker(M.ARROW, scale=(0.1, 0.2, 0), points=[(0, 0, 0), (0, -1, 0)]))
    _, tip, _, _ = span(child(node, 'head'))
    np.testing.assert_allclose(tip, (0, -1, 0), atol=1e-12)


def test_one_point_arrow_is_an_error_that_hides_the_marker():
    with pytest.raises(MarkerError, match=r"ARROW marker \(ns 'test', id 0\): only one point") \
            as error:
        convert(marker(M.ARROW, points=[(1, 1, 1)]))
    assert error.value.hide and isinstance(error.value, ValueError)


def test_arrow_strip_chains_point_to_point_arrows():
    node = convert(marker(M.ARROW_STRIP, scale=(0.1, 0.2, 0),
                          points=[(0, 0, 0), (1, 0, 0), (1, 2, 0)]))
    assert len(node['children']) == 4
    _, tip0, _, _ = span(child(node, '0/head'))
    head_base, tip1, _, _ = span(child(node, '1/head'))
    np.testing.assert_allclose([tip0, tip1], [(1, 0, 0), (1, 2, 0)], atol=1e-12)
    np.testing.assert_allclose(head_base, (1, 2 - 0.46, 0), atol=1e-12)
    with pytest.raises(MarkerError, match='at least two'):
        convert(marker(M.ARROW_STRIP, points=[(0, 0, 0)]))


# -- lines -----------------------------------------------------------------------------

LINE_POINTS = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 1)]


@pytest.mark.parametrize('msg', both(marker(M.LINE_STRIP, scale=(0.05, 0, 0),
                                            color=(0, 1, 0, 1), points=LINE_POINTS)))
def test_line_strip_is_a_world_unit_line(msg):
    line = child(convert(msg), 'line')
    assert line['tag'] == 'Line' and line['points'] == [list(map(float, p)) for p in LINE_POINTS]
    assert line['lineWidth'] == 0.05 and line['worldUnits'] is True
    assert line['segments'] is False and line['color'] == '#00ff00'
    assert 'vertexColors' not in line


def test_line_colours_per_point_only_when_one_per_point():
    per_point = [(1, 0, 0, 1), (0, 1, 0, 1), (0, 0, 1, 1), (1, 1, 1, 1)]
    line = child(convert(marker(M.LINE_STRIP, points=LINE_POINTS, colors=per_point)), 'line')
    assert line['vertexColors'] == [list(map(float, c[:3])) for c in per_point]
    translucent = per_point[:3] + [(1, 1, 1, 0.5)]
    line = child(convert(marker(M.LINE_STRIP, points=LINE_POINTS, colors=translucent)), 'line')
    assert line['vertexColors'][3] == [1, 1, 1, 0.5]  # RGBA once some alpha is below 1
    line = child(convert(marker(M.LINE_STRIP, points=LINE_POINTS, colors=per_point[:3],
                                color=(0.2, 0.2, 0.2, 0.5))), 'line')
    assert 'vertexColors' not in line and line['color'] == '#333333'
    assert line['opacity'] == 0.5 and line['transparent'] is True


def test_line_list_is_segments_and_odd_counts_are_rejected():
    line = child(convert(marker(M.LINE_LIST, points=LINE_POINTS)), 'line')
    assert line['segments'] is True and len(line['points']) == 4
    with pytest.raises(MarkerError, match='odd number of points'):
        convert(marker(M.LINE_LIST, points=LINE_POINTS[:3]))


def test_lines_with_fewer_than_two_points_draw_nothing():
    assert convert(marker(M.LINE_STRIP, points=[(1, 2, 3)]))['children'] == []
    assert convert(marker(M.LINE_LIST))['children'] == []


# -- merged lists ----------------------------------------------------------------------

def test_cube_list_is_one_mesh_of_scaled_cubes_with_point_colours():
    points = [(0, 0, 0), (10, 0, 0), (0, 0, 4)]
    point_colors = [(1, 0, 0, 1), (0, 1, 0, 1), (0, 0, 1, 1)]
    node = convert(marker(M.CUBE_LIST, scale=(1, 2, 0.5), points=points, colors=point_colors))
    mesh = child(node, 'mesh')
    assert mesh['tag'] == 'TriMesh' and 'color' not in mesh
    corners = vertices(mesh).reshape(3, 24, 3)
    for point, cube in zip(points, corners):
        np.testing.assert_allclose(cube.min(axis=0), np.add(point, (-0.5, -1, -0.25)), atol=4e-3)
        np.testing.assert_allclose(cube.max(axis=0), np.add(point, (0.5, 1, 0.25)), atol=4e-3)
    assert faces(mesh).shape == (36, 3) and faces(mesh).max() == 71
    np.testing.assert_array_equal(colors(mesh)[::24], [(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    assert mesh['opacity'] == 1.0 and 'material' not in mesh


def test_cube_faces_point_outwards():
    mesh = child(convert(marker(M.CUBE_LIST, points=[(0, 0, 0)])), 'mesh')
    corners = vertices(mesh)
    for a, b, c in faces(mesh):
        normal = np.cross(corners[b] - corners[a], corners[c] - corners[a])
        assert normal @ (corners[a] + corners[b] + corners[c]) > 0


def test_sphere_list_spheres_have_diameters_scale_and_uniform_colour():
    node = convert(marker(M.SPHERE_LIST, scale=(2, 2, 2), color=(0, 0, 1, 0.5),
                          points=[(1, 1, 1), (3, 1, 1)], colors=[(1, 0, 0, 1)]))
    mesh = child(node, 'mesh')
    spheres = vertices(mesh).reshape(2, -1, 3)
    np.testing.assert_allclose(np.linalg.norm(spheres[0] - (1, 1, 1), axis=1), 1.0, atol=4e-3)
    np.testing.assert_allclose(np.linalg.norm(spheres[1] - (3, 1, 1), axis=1), 1.0, atol=4e-3)
    assert len(faces(mesh)) == 160
    # one colour for two points: marker colour for all (RViz's rule)
    assert mesh['color'] == '#0000ff' and 'colors' not in mesh
    assert mesh['opacity'] == 0.5 and mesh['material']['alphaTest'] == 0


def test_points_are_a_point_cloud_scale_x_wide():
    points = [(100.0, 50.0, 0.0), (100.5, 50.25, 1.0)]
    node = convert(marker(M.POINTS, scale=(0.2, 0.2, 0), points=points,
                          colors=[(1, 0, 0, 1), (0, 0.5, 1, 1)]))
    cloud = child(node, 'points')
    assert cloud['tag'] == 'PointCloud'
    # size * tan(fov / 2) is the width in metres the client draws (three.js attenuation)
    half_fov = math.radians(M.CAMERA_FOV_DEGREES) / 2
    assert cloud['size'] * math.tan(half_fov) == pytest.approx(0.2)
    # centred vertices keep float16 precision far from the origin
    np.testing.assert_allclose(vertices(cloud), points, atol=1e-3)
    np.testing.assert_array_equal(colors(cloud), [(255, 0, 0), (0, 128, 255)])


def test_fully_transparent_points_draw_nothing():
    assert convert(marker(M.POINTS, points=[(0, 0, 0)], color=(1, 1, 1, 0)))['children'] == []


def test_triangle_list_scale_multiplies_and_colours_per_vertex_or_face():
    points = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (0, 1, 1)]
    node = convert(marker(M.TRIANGLE_LIST, scale=(2, 3, 1), points=points))
    mesh = child(node, 'mesh')
    np.testing.assert_allclose(vertices(mesh), np.multiply(points, (2, 3, 1)), atol=1e-3)
    np.testing.assert_array_equal(faces(mesh), [(0, 1, 2), (3, 4, 5)])
    assert mesh['color'] == '#ff0000' and mesh['materialType'] == 'standard'
    per_face = child(convert(marker(M.TRIANGLE_LIST, points=points, color=(1, 1, 1, 0.5),
                                    colors=[(0, 1, 0, 1), (0, 0, 1, 1)])), 'mesh')
    np.testing.assert_array_equal(colors(per_face), [(0, 255, 0)] * 3 + [(0, 0, 255)] * 3)
    assert per_face['materialType'] == 'basic'  # RViz leaves coloured triangles unlit
    assert per_face['opacity'] == 0.5           # colors[i].a times color.a
    per_vertex = child(convert(marker(M.TRIANGLE_LIST, points=points,
                                      colors=[(1, 1, 1, 1)] * 6)), 'mesh')
    assert len(colors(per_vertex)) == 6


TRIANGLES = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (0, 1, 1)]


@pytest.mark.parametrize('color_alpha, alphas, opacity', [
    # One colour per vertex: RViz2 blends when one of theirs is below 1, alpha times color.a.
    (0.5, [1.0] * 6, 1.0), (0.5, [1.0] * 5 + [0.4], 0.45), (1.0, [0.5] * 6, 0.5),
    # One per face: color.a decides whether it blends, whatever the faces' alphas.
    (1.0, [0.5, 0.5], 1.0), (0.5, [1.0, 0.5], 0.375),
])
def test_triangle_list_blends_by_rviz_rules(color_alpha, alphas, opacity):
    """rviz_default_plugins triangle_list_marker.cpp: fillManualObject, updateMaterial."""
    mesh = child(convert(marker(M.TRIANGLE_LIST, points=TRIANGLES, color=(1, 1, 1, color_alpha),
                                colors=[(0, 1, 0, a) for a in alphas])), 'mesh')
    assert mesh['opacity'] == pytest.approx(opacity)
    assert ('material' in mesh) == (opacity < 1.0)   # translucent: blended, no depth writes


@pytest.mark.parametrize('alpha', [0.9998, 0.99995, 1.0])
def test_alpha_from_rviz_opaque_threshold_up_is_opaque(alpha):
    box = child(convert(marker(M.CUBE, color=(1, 0, 0, alpha))), 'box')
    assert box['material']['opacity'] == 1.0 and box['material']['transparent'] is False
    line = child(convert(marker(M.LINE_STRIP, points=LINE_POINTS[:2],
                                colors=[(1, 0, 0, alpha)] * 2)), 'line')
    assert line['vertexColors'] == [[1, 0, 0]] * 2   # RGB only: no translucent point
    mesh = child(convert(marker(M.TRIANGLE_LIST, points=TRIANGLES, color=(1, 1, 1, alpha),
                                colors=[(0, 1, 0, alpha)] * 6)), 'mesh')
    assert mesh['opacity'] == 1.0 and 'material' not in mesh


def test_alpha_below_rviz_opaque_threshold_is_translucent():
    box = child(convert(marker(M.CUBE, color=(1, 0, 0, 0.9997))), 'box')
    assert box['material']['opacity'] == pytest.approx(0.9997)
    assert box['material']['transparent'] is True


@pytest.mark.parametrize('count', [0, 2, 4])
def test_triangle_list_needs_a_positive_multiple_of_three(count):
    with pytest.raises(MarkerError, match='multiple of 3'):
        convert(marker(M.TRIANGLE_LIST, points=[(i, 0, 0) for i in range(count)]))


def test_list_types_with_no_points_draw_nothing():
    for kind in (M.CUBE_LIST, M.SPHERE_LIST, M.POINTS):
        assert convert(marker(kind))['children'] == []


# -- text and meshes -------------------------------------------------------------------

@pytest.mark.parametrize('msg', both(marker(
    M.TEXT_VIEW_FACING, text='hello\nrobot', scale=(0, 0, 0.3), position=(1, 2, 3),
    orientation=(0, 0, math.sqrt(0.5), math.sqrt(0.5)), color=(1, 1, 1, 1))))
def test_text_faces_the_viewer_and_ignores_orientation(msg):
    node = convert(msg, font_url='/fonts/roboto.woff')
    assert node['position'] == [1, 2, 3] and 'rotation' not in node
    billboard = child(node, 'billboard')
    assert billboard['tag'] == 'Billboard'
    text = billboard['children'][0]
    assert text['tag'] == 'Text' and text['children'] == ['hello\nrobot']
    assert text['fontSize'] == 0.3 and text['color'] == '#ffffff'
    assert text['font'] == '/fonts/roboto.woff' and 'fillOpacity' not in text
    assert 'font' not in child(convert(msg), 'billboard')['children'][0]


@pytest.mark.parametrize('resource, tag', [
    ('package://robot/meshes/base.stl', 'Stl'), ('package://robot/meshes/BASE.STL', 'Stl'),
    ('file:///tmp/arm.dae', 'Dae'), ('package://r/m.glb', 'Glb'), ('package://r/m.gltf', 'Glb'),
    ('package://r/m.obj', 'Obj'), ('https://example.com/m.ply?v=2', 'Ply'),
])
def test_mesh_resource_element_by_extension(resource, tag):
    node = convert(marker(M.MESH_RESOURCE, mesh_resource=resource, scale=(2, 2, 2),
                          color=(0, 1, 0, 0.5)))
    mesh = child(node, 'mesh')
    assert mesh['tag'] == tag and mesh['src'] == mesh_url(resource)
    assert mesh['scale'] == [2, 2, 2] and mesh['color'] == '#00ff00' and mesh['opacity'] == 0.5


def test_mesh_keeps_embedded_materials_only_with_zero_colour():
    msg = marker(M.MESH_RESOURCE, mesh_resource='package://r/m.dae',
                 mesh_use_embedded_materials=True, color=(0, 0, 0, 0))
    mesh = child(convert(msg), 'mesh')
    assert 'color' not in mesh and 'opacity' not in mesh
    msg.color.r = 1.0  # a colour tints even embedded materials
    assert child(convert(msg), 'mesh')['color'] == '#ff0000'


def test_embedded_mesh_takes_its_type_from_mesh_file():
    asked = []

    def url(resource):
        asked.append(resource)
        return '/embedded/1'

    msg = marker(M.MESH_RESOURCE, mesh_resource='embedded://part', mesh_filename='part.STL')
    for variant in both(msg):
        mesh = child(convert(variant, mesh_url=url), 'mesh')
        assert mesh['tag'] == 'Stl' and mesh['src'] == '/embedded/1'
    assert asked == ['embedded://part'] * len(asked)


@pytest.mark.parametrize('resource, problem', [
    ('', 'mesh_resource is empty'), ('package://r/m.3ds', 'supported file types'),
    ('package://r/missing.stl', 'could not load'),
])
def test_mesh_resource_errors(resource, problem):
    with pytest.raises(MarkerError, match=problem):
        convert(marker(M.MESH_RESOURCE, mesh_resource=resource))


# -- rejection -------------------------------------------------------------------------

@pytest.mark.parametrize('field', ['position', 'orientation', 'scale', 'color', 'points',
                                   'colors'])
@pytest.mark.parametrize('bad', [math.nan, math.inf])
def test_nan_and_infinity_anywhere_reject_the_whole_message(field, bad):
    values = {'position': (0, bad, 0), 'orientation': (0, 0, 0, bad), 'scale': (1, bad, 1),
              'color': (1, 1, 1, bad), 'points': [(0, 0, 0), (1, bad, 0)],
              'colors': [(1, 1, 1, 1), (bad, 1, 1, 1)]}
    msg = marker(M.LINE_STRIP, ns='arm', marker_id=7,
                 **{'points': [(0, 0, 0), (1, 1, 0)], field: values[field]})
    for variant in both(msg):
        with pytest.raises(MarkerError, match=r"ns 'arm', id 7\): contains NaN") as error:
            convert(variant)
        assert not error.value.hide  # RViz ignores the message: the old marker stays
        assert (error.value.ns, error.value.id) == ('arm', 7)


def test_unknown_type_is_rejected():
    with pytest.raises(MarkerError, match=r'marker \(ns .test., id 0\): unknown marker type 42'):
        convert(marker(42))


def test_zero_scale_is_drawn_like_rviz_and_warned_about():
    node = convert(marker(M.CUBE, scale=(1, 0, 1)))
    assert child(node, 'box')['args'] == [1, 0, 1]  # a flat box, as in RViz
    assert marker_warnings(marker(M.CUBE, scale=(1, 0, 1))) == ['scale of 0 in one of x/y/z']
    assert marker_warnings(marker(M.LINE_STRIP, scale=(0, 1, 1))) == [
        'line width (scale.x) is 0']
    assert marker_warnings(marker(M.LINE_STRIP, scale=(0.1, 0, 0))) == []
    assert marker_warnings(marker(M.TEXT_VIEW_FACING, text='a', scale=(0, 0, 0))) == [
        'text height (scale.z) is 0']
    assert marker_warnings(marker(M.ARROW, scale=(0.1, 0.2, 0),
                                  points=[(0, 0, 0), (1, 0, 0)])) == []


def test_other_warnings():
    assert marker_warnings(marker(M.CUBE)) == []
    assert 'uninitialized quaternion' in marker_warnings(
        marker(M.CUBE, orientation=(0, 0, 0, 0)))[0]
    assert 'unnormalized' in marker_warnings(marker(M.CUBE, orientation=(0, 0, 0, 2)))[0]
    assert marker_warnings(marker(M.CUBE, color=(1, 1, 1, 0))) == [
        'marker is fully transparent (color.a is 0)']
    assert marker_warnings(marker(M.POINTS, points=[(0, 0, 0)] * 2, colors=[(1, 1, 1, 1)])) == [
        '1 colors for 2 points: using color for all points']
    assert marker_warnings(marker(M.POINTS, points=[(0, 0, 0)], colors=[(1, 1, 1, 0)])) == [
        'all points have a zero alpha value']
    assert marker_warnings(marker(M.TRIANGLE_LIST, points=[(0, 0, 0)] * 3,
                                  colors=[(1, 1, 1, 1)])) == []


# -- every type, real messages ---------------------------------------------------------

EVERY_TYPE = [
    marker(M.ARROW), marker(M.CUBE), marker(M.SPHERE), marker(M.CYLINDER),
    marker(M.LINE_STRIP, points=LINE_POINTS), marker(M.LINE_LIST, points=LINE_POINTS),
    marker(M.CUBE_LIST, points=LINE_POINTS), marker(M.SPHERE_LIST, points=LINE_POINTS),
    marker(M.POINTS, points=LINE_POINTS), marker(M.TEXT_VIEW_FACING, text='x'),
    marker(M.MESH_RESOURCE, mesh_resource='package://a/b.stl'),
    marker(M.TRIANGLE_LIST, points=LINE_POINTS[:3]),
    marker(M.ARROW_STRIP, points=LINE_POINTS),
]


def test_every_type_is_covered_and_real_messages_convert_alike():
    assert sorted(m.type for m in EVERY_TYPE) == sorted(M.TYPE_NAMES)
    for plain in EVERY_TYPE:
        message = to_real(plain, MARKER)
        assert message.type == plain.type
        assert convert(message) == convert(plain)


def test_constants_match_visualization_msgs():
    message = message_class(MARKER)
    for value, name in M.TYPE_NAMES.items():
        assert getattr(message, name) == value
    for name in ('ADD', 'MODIFY', 'DELETE', 'DELETEALL'):
        assert getattr(message, name) == getattr(M, name)


# -- keys, arrays and the marker store -------------------------------------------------

def test_marker_key_and_duplicates():
    assert marker_key('/viz/markers', 'a:b', 3) == 'marker:/viz/markers:a:b:3'
    assert duplicate_error([marker(M.CUBE, ns='a', marker_id=1),
                            marker(M.CUBE, ns='b', marker_id=1)]) is None
    assert duplicate_error([marker(M.CUBE, ns='a', marker_id=1),
                            marker(M.CUBE, ns='a', marker_id=1)]) == (
        'Multiple Markers in the same MarkerArray message had the same ns and id: (a, 1)')


# -- large inputs (speed is measured in bench/, not asserted here) ----------------------

def test_large_point_lists_keep_every_point_and_colour():
    rng = np.random.default_rng(1)
    points = rng.uniform(-20, 20, size=(100_000, 3))
    colors = rng.uniform(0, 1, size=(100_000, 4))
    msg = marker(M.POINTS, scale=(0.05, 0.05, 0), points=points, colors=colors)
    node = marker_to_element(msg, 'k', mesh_url=mesh_url).serialize()
    cloud = child(node, 'points')
    assert len(cloud['vertices']) == 6 * 100_000 and len(cloud['colors']) == 3 * 100_000
    decoded = np.frombuffer(cloud['vertices'], dtype=np.float16).reshape(-1, 3)
    offset = np.asarray(cloud.get('position', [0, 0, 0]))
    assert np.allclose(decoded + offset, points, atol=0.05), 'float16 re-centred points'


def test_geometry_beyond_float16_range_is_rejected():
    with pytest.raises(MarkerError, match='float16'):
        convert(marker(M.POINTS, points=[(0, 0, 0), (200_000, 0, 0)]))


@pytest.mark.parametrize('kind, fields, problem', [
    (M.POINTS, {'scale': (3e38, 0, 0), 'points': [(0, 0, 0)]}, 'wider than float32'),
    (M.ARROW, {'points': [(-3e38, 0, 0), (3e38, 0, 0)]}, 'longer, wider or further'),
    (M.ARROW, {'scale': (1, 1, 2e38)}, 'longer, wider or further'),
    (M.ARROW_STRIP, {'points': [(0, 0, 0), (-3e38, 0, 0), (3e38, 0, 0)]},
     'longer, wider or further'),
    (M.TRIANGLE_LIST, {'scale': (1e10, 1, 1), 'points': [(1e30, 0, 0)] * 3},
     'further away than float32'),
], ids=['points_size', 'arrow_points', 'arrow_head', 'arrow_strip', 'triangles'])
def test_finite_input_whose_geometry_leaves_float32_is_refused(kind, fields, problem):
    """Scale times points, or the span between points, can overflow the wire's float32."""
    with pytest.raises(MarkerError, match=problem) as caught:
        convert(marker(kind, **fields))
    assert caught.value.hide, 'the input was valid; what it asks for cannot be drawn'


def test_text_characters_the_font_cannot_draw_become_question_marks():
    msg = marker(M.TEXT_VIEW_FACING, text='ok 机器人\nline', scale=(1, 1, 0.2))
    node = marker_to_element(msg, 'k', mesh_url=mesh_url, font_url='/f.ttf',
                             charset={ord(c) for c in 'ok line?'}).serialize()
    assert child(node, 'billboard')['children'][0]['children'] == ['ok ???\nline']


# -- every element built is sendable as it is (the server does not validate it again) ----

_ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e6, 1e6), st.sampled_from([0.0, 1e-30, 3.4e38, 3.5e38, 1e300, -1e39]))
_SMALL = st.floats(-100.0, 100.0)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(kind=st.integers(0, 13), action=st.sampled_from([0, 2, 3]),
       position=st.tuples(_ANY_FLOAT, _SMALL, _SMALL),
       orientation=st.tuples(_SMALL, _SMALL, _SMALL, _ANY_FLOAT),
       scale=st.tuples(_ANY_FLOAT, _SMALL, _ANY_FLOAT),
       color=st.tuples(st.floats(0, 1), st.floats(0, 1), _ANY_FLOAT, st.floats(-1, 2)),
       points=st.lists(st.tuples(_ANY_FLOAT, _SMALL, _SMALL), max_size=7),
       colors=st.lists(st.tuples(_SMALL, _SMALL, _SMALL, _ANY_FLOAT), max_size=7),
       text=st.text(max_size=5))
def test_every_element_built_passes_the_servers_checks(kind, action, position, orientation,
                                                       scale, color, points, colors, text):
    """What marker_to_element returns goes out unchecked (publish_built): it must be valid."""
    msg = marker(kind, action=action, position=position, orientation=orientation,
                 scale=scale, color=color, points=points, colors=colors, text=text,
                 mesh_resource='package://pkg/mesh.stl')
    try:
        node = marker_to_element(msg, 'k', mesh_url=mesh_url).serialize()
    except MarkerError:
        return   # rejected, with a reason: nothing is sent
    validate_node(node)
    msgpack.packb(node, use_bin_type=True, use_single_float=True)
