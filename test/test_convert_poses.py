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
Pose-like messages become what RViz2 draws: arrows, covariance, flat arrows, path lines.

The messages are the ones RViz2's own tests publish (rviz_default_plugins/test/.../
publishers/*_publisher.hpp, rviz_rendering/test/.../covariance_visual_test.cpp); the
expected numbers are computed here from RViz2's code, cited line by line (ros2/rviz at
f7112b1), independently of the converters' own arithmetic.
"""

import math

from msg_factory import child, header, node_matrix, Plain, pose, pose_stamped, span, to_real
from msg_factory import transform_stamped
import numpy as np
import pytest

from vuer_ros.convert.covariance import (covariance_elements, CovarianceError,
                                         CovarianceStyle)
from vuer_ros.convert.geometry import parse_color
from vuer_ros.convert.poses import (
    ARRAY_SHAPES, AXES, odometry_to_element, path_to_element, PathStyle, pose_array_to_element,
    pose_stamped_to_element, pose_with_covariance_to_element, PoseError, PoseStyle,
    transform_stamped_to_element)
from vuer_ros.validation import validate_node

S = math.sqrt(0.5)
YAW_90 = (0, 0, S, S)
#: pose_with_covariance_publisher.hpp, odometry_publisher.hpp and covariance_visual_test.cpp:
#: the covariance every RViz2 covariance test publishes (3D: z, roll and pitch vary).
RVIZ_COVARIANCE_3D = (0.75, 0.04, 0.1, 0, 0, 0,
                      0.04, 0.7, 0.4, 0, 0, 0,
                      0.1, 0.4, 0.5, 0, 0, 0,
                      0, 0, 0, 0.8, 0.25, 0.06,
                      0, 0, 0, 0.25, 0.3, 0.22,
                      0, 0, 0, 0.06, 0.22, 0.6)
#: covariance_visual_test.cpp getCovariances2D: x, y and yaw only (the rest zeros).
RVIZ_COVARIANCE_2D = tuple(
    {0: 0.2, 1: 0.04, 6: 0.04, 7: 0.7, 35: 0.6}.get(index, 0.0) for index in range(36))
#: pose_with_covariance_publisher.hpp: at the origin, turned half a turn about x.
RVIZ_COVARIANCE_ORIENTATION = (1.0, 0.0, 0.0, 0.0)
#: odometry_display_test.cpp createOdometryMessage: at (1, 2, 3), half a turn about y.
RVIZ_ODOMETRY_POSITION, RVIZ_ODOMETRY_ORIENTATION = (1.0, 2.0, 3.0), (0.0, 1.0, 0.0, 0.0)


def real_if(as_real: bool, msg, type_name: str):
    """Return ``msg`` as the real ``type_name`` message when ``as_real``, else as it is."""
    return to_real(msg, type_name) if as_real else msg


def serialized(element):
    node = element.serialize()
    validate_node(node)
    return node


def with_covariance(position=(0.0, 0.0, 0.0), orientation=RVIZ_COVARIANCE_ORIENTATION,
                    covariance=RVIZ_COVARIANCE_3D, frame_id='pose_with_covariance_frame'):
    """geometry_msgs PoseWithCovarianceStamped; defaults: RViz2's publisher's message."""
    return Plain(header=header(frame_id),
                 pose=Plain(pose=pose(position, orientation), covariance=list(covariance)))


def odometry(position=RVIZ_ODOMETRY_POSITION, orientation=RVIZ_ODOMETRY_ORIENTATION,
             covariance=RVIZ_COVARIANCE_3D, frame_id='odometry_frame'):
    """nav_msgs Odometry; defaults: RViz2's odometry display test's message."""
    return Plain(header=header(frame_id), child_frame_id='child_frame',
                 pose=Plain(pose=pose(position, orientation), covariance=list(covariance)),
                 twist=Plain(twist=Plain(linear=Plain(x=3.0, y=0.0, z=0.0),
                                         angular=Plain(x=0.0, y=0.0, z=0.0)),
                             covariance=[0.0] * 36))


def pose_array(*poses, frame_id='pose_array_frame'):
    """geometry_msgs PoseArray; no poses given: RViz2's publisher's three, y = -1, 0, 1."""
    poses = poses or [((0, i - 1, 0), (0, 0, 0, 1)) for i in range(3)]
    return Plain(header=header(frame_id), poses=[pose(*p) for p in poses])


def path(*positions, frame_id='path_frame'):
    """nav_msgs Path; no positions given: RViz2's publisher's (0, 0, 0) to (4, 4, 0)."""
    positions = positions or ((0, 0, 0), (4, 4, 0))
    return Plain(header=header(frame_id),
                 poses=[pose_stamped(p, frame_id=frame_id) for p in positions])


def rotation(q) -> np.ndarray:
    """Rotation matrix of a unit (x, y, z, w) quaternion, written out."""
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def by_key(node, suffix):
    return next(c for c in node['children'] if c['key'].endswith(suffix))


# -- styles and colours --------------------------------------------------------------------

def test_defaults_are_rviz2s():
    # pose_display.cpp:66-90: Color (255, 25, 0), Alpha 1, Shaft Length 1, Shaft Radius
    # 0.05, Head Length 0.3, Head Radius 0.1 (arrow.cpp:46-49 takes the radii as diameters).
    style = PoseStyle()
    assert (style.kind, style.length, style.diameter, style.head_length,
            style.head_diameter) == ('arrow', 1.0, 0.05, 0.3, 0.1)
    assert style.color == pytest.approx((1.0, 25 / 255, 0.0, 1.0))
    # pose_array_display.cpp:100-156: 'Arrow (Flat)' 0.3 long; 3D 0.23 + 0.07, 0.01 / 0.03.
    assert ARRAY_SHAPES['flat'].kind == 'flat' and ARRAY_SHAPES['flat'].length == 0.3
    arrow = ARRAY_SHAPES['arrow']
    assert (arrow.length, arrow.diameter, arrow.head_length, arrow.head_diameter) == (
        0.23, 0.01, 0.07, 0.03)
    assert ARRAY_SHAPES['axes'].length == 0.3
    # path_display.cpp:71-93: Lines, Line Width 0.03 (billboards), Color (25, 255, 0).
    assert PathStyle() == PathStyle((25 / 255, 1.0, 0.0, 1.0), 0.03, False)
    # covariance_property.cpp:64-131: position (204, 51, 204) alpha 0.3 scale 1,
    # orientation (255, 255, 127) alpha 0.5, offset 1, scale 1.
    cov = CovarianceStyle()
    assert cov.position_color == pytest.approx((0.8, 0.2, 0.8, 0.3))
    assert cov.orientation_color == pytest.approx((1.0, 1.0, 127 / 255, 0.5))
    assert (cov.position_scale, cov.orientation_scale, cov.orientation_offset) == (1, 1, 1)


def test_styles_refuse_what_they_cannot_draw():
    for bad in ({'kind': 'cube'}, {'length': -1}, {'diameter': math.nan},
                {'color': (1, 1, 1)}, {'head_length': math.inf}):
        with pytest.raises(ValueError):
            PoseStyle(**bad)
    for bad in ({'width': -0.1}, {'color': (0, 0, math.nan, 1)}):
        with pytest.raises(ValueError):
            PathStyle(**bad)
    for bad in ({'position_scale': -1}, {'orientation_color': (1, 1, 1)}):
        with pytest.raises(ValueError):
            CovarianceStyle(**bad)


def test_colours_read_as_rviz2_saves_them_or_as_html():
    assert parse_color('255; 25; 0') == pytest.approx((1.0, 25 / 255, 0.0))
    assert parse_color('255 25 0') == parse_color('255,25,0') == parse_color('#ff1900')
    assert parse_color(' #FF1900 ') == parse_color('255; 25; 0')
    for bad in ('', 'red', '#ff19', '#gg1900', '256 0 0', '1 2', '1 2 3 4', '-1 0 0'):
        with pytest.raises(ValueError, match='colour'):
            parse_color(bad)


# -- poses ---------------------------------------------------------------------------------

@pytest.mark.parametrize('as_real', [False, True])
def test_pose_is_rviz2s_arrow_along_its_x_axis(as_real):
    # pose_publisher.hpp publishes the identity pose; turned here to see the direction.
    msg = real_if(as_real, pose_stamped((1, 0, 0), YAW_90, frame_id='pose_frame'),
                  'geometry_msgs/msg/PoseStamped')
    node = serialized(pose_stamped_to_element(msg, 'p'))
    assert node['tag'] == 'group' and node['position'] == [1, 0, 0]
    assert node['rotation'] == pytest.approx([0, 0, math.pi / 2])
    # arrow.cpp:77-81: shaft (d, L, d) centred at L/2, head (hd, hl, hd) from L (its cone
    # offset 0.5); pose_display.cpp:111 points it along the pose's +X.
    base, top, width, depth = span(child(node, 'shaft'))
    np.testing.assert_allclose([base, top], [(0, 0, 0), (1, 0, 0)], atol=1e-12)
    assert np.linalg.norm(width) * 2 == pytest.approx(0.05)
    assert np.linalg.norm(depth) * 2 == pytest.approx(0.05)
    base, tip, width, _ = span(child(node, 'head'))
    np.testing.assert_allclose([base, tip], [(1, 0, 0), (1.3, 0, 0)], atol=1e-12)
    assert np.linalg.norm(width) * 2 == pytest.approx(0.1)
    assert child(node, 'shaft')['material']['color'] == '#ff1900'
    assert child(node, 'head')['material']['opacity'] == 1.0


def test_arrow_sizes_and_colour_follow_the_style():
    style = PoseStyle(length=2.0, diameter=0.2, head_length=0.5, head_diameter=0.4,
                      color=(0, 1, 0, 0.5))
    node = serialized(pose_stamped_to_element(pose_stamped(), 'p', style))
    _, tip, width, _ = span(child(node, 'head'))
    np.testing.assert_allclose(tip, (2.5, 0, 0), atol=1e-12)
    assert np.linalg.norm(width) * 2 == pytest.approx(0.4)
    assert child(node, 'shaft')['material'] == {'color': '#00ff00', 'opacity': 0.5,
                                                'transparent': True, 'depthWrite': False}


@pytest.mark.parametrize('as_real', [False, True])
def test_pose_as_axes_is_the_clients_axes(as_real):
    msg = real_if(as_real, pose_stamped((1, 2, 3), YAW_90), 'geometry_msgs/msg/PoseStamped')
    node = serialized(pose_stamped_to_element(msg, 'p', PoseStyle(kind='axes', length=0.5)))
    assert node['tag'] == 'CoordsMarker' and node['key'] == 'p'
    assert node['position'] == [1, 2, 3] and node['scale'] == 0.5
    assert node['rotation'] == pytest.approx([0, 0, math.pi / 2])


@pytest.mark.parametrize('as_real', [False, True])
def test_transform_stamped_defaults_to_axes(as_real):
    msg = real_if(as_real, transform_stamped('map', 'base', (3, 0, 1), YAW_90),
                  'geometry_msgs/msg/TransformStamped')
    node = serialized(transform_stamped_to_element(msg, 't'))
    assert node['tag'] == 'CoordsMarker' and node['position'] == [3, 0, 1]


# -- covariance ----------------------------------------------------------------------------

def position_block_in_pose(node, key='c'):
    """Return the position ellipsoid's semi-axes matrix A A^T, in the pose's frame."""
    sphere = by_key(node, f'{key}/covariance/position') if 'children' in node else node
    assert sphere['tag'] == 'Sphere' and sphere['args'][0] == 0.5   # diameter 1
    half = node_matrix(sphere)[:3, :3] / 2.0
    return half @ half.T


@pytest.mark.parametrize('as_real', [False, True])
@pytest.mark.parametrize('kind', ['pose_covariance', 'odometry'])
def test_position_ellipsoid_is_one_sigma_in_the_header_frame(kind, as_real):
    msg, type_name = {
        'pose_covariance': (with_covariance(), 'geometry_msgs/msg/PoseWithCovarianceStamped'),
        'odometry': (odometry(), 'nav_msgs/msg/Odometry')}[kind]
    msg = real_if(as_real, msg, type_name)
    convert = pose_with_covariance_to_element if kind == 'pose_covariance' else (
        odometry_to_element)
    node = serialized(convert(msg, 'c', PoseStyle(), CovarianceStyle()))
    o = msg.pose.pose.orientation
    pose_rotation = rotation((o.x, o.y, o.z, o.w))
    # covariance_visual.cpp:394 turns the ellipsoid back by the pose's orientation, so it
    # lies in the header frame; :170-178 gives it the eigenvectors as axes and twice the
    # standard deviations as diameters: its semi-axes matrix is the 3x3 position block.
    sigma = np.array(RVIZ_COVARIANCE_3D).reshape(6, 6)[:3, :3]
    np.testing.assert_allclose(pose_rotation @ position_block_in_pose(node) @ pose_rotation.T,
                               sigma, atol=1e-9)
    sphere = by_key(node, 'covariance/position')
    assert sphere.get('position', [0, 0, 0]) == [0, 0, 0]
    assert sphere['material'] == {'color': '#cc33cc', 'opacity': 0.3, 'transparent': True,
                                  'depthWrite': False}
    assert {c['key'] for c in node['children']} == {
        'c/shaft', 'c/head', 'c/covariance/position', 'c/covariance/roll',
        'c/covariance/pitch', 'c/covariance/yaw'}


def expected_disc(block, node_rotation, scale=1.0):
    """
    RViz2's orientation disc in the pose frame: the sum of its two scaled in-plane axes.

    covariance_visual.cpp:466-481: the 2x2 block's eigenvectors in the cylinder's local x-z
    plane, each 2 tan(k sigma) wide (radianScaleToMetricScaleBounded, :241-248).
    """
    variances, vectors = np.linalg.eigh(block)
    total = np.zeros((3, 3))
    for variance, vector in zip(variances, vectors.T):
        width = 2.0 * math.tan(min(scale * math.sqrt(variance), math.radians(89)))
        axis = node_rotation @ np.array([vector[0], 0.0, vector[1]]) * width
        total += np.outer(axis, axis)
    return total


def test_orientation_discs_sit_on_the_axes_the_angles_move():
    node = serialized(pose_with_covariance_to_element(
        with_covariance(orientation=YAW_90), 'c', PoseStyle(), CovarianceStyle()))
    cov = np.array(RVIZ_COVARIANCE_3D).reshape(6, 6)
    # covariance_visual.cpp:302-315: offset nodes at unit x, y, z (times Offset 1), turned
    # by Rx(90) Rz(90), Ry(90) and Rx(90); :458-464: roll's disc shows (pitch, yaw),
    # pitch's (roll, yaw), yaw's (roll, pitch).
    rx = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    ry = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]])
    rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    cases = {'roll': ((1, 0, 0), rx @ rz, cov[np.ix_((4, 5), (4, 5))]),
             'pitch': ((0, 1, 0), ry, cov[np.ix_((3, 5), (3, 5))]),
             'yaw': ((0, 0, 1), rx, cov[np.ix_((3, 4), (3, 4))])}
    for name, (place, turn, block) in cases.items():
        disc = by_key(node, f'covariance/{name}')
        assert disc['tag'] == 'Cylinder' and disc['args'][:3] == [0.5, 0.5, 1.0]
        assert disc['position'] == pytest.approx(place)
        m = node_matrix(disc)[:3, :3]
        in_plane = m[:, [0, 2]]
        np.testing.assert_allclose(in_plane @ in_plane.T, expected_disc(block, turn),
                                   atol=1e-9)
        # Its axis (cylinder's local y) along the pose axis, 1 mm thick (:471).
        np.testing.assert_allclose(np.abs(m[:, 1]), np.abs(turn[:, 1]) * 0.001, atol=1e-12)
        assert disc['material'] == {'color': '#ffff7f', 'opacity': 0.5, 'transparent': True,
                                    'depthWrite': False}


def test_2d_covariance_is_a_flat_ellipse_and_a_yaw_triangle():
    elements = [serialized(e) for e in covariance_elements('c', RVIZ_COVARIANCE_2D, YAW_90)]
    assert [e['key'] for e in elements] == ['c/covariance/position', 'c/covariance/yaw']
    ellipse, cone = elements
    # covariance_visual.cpp:413-417: the x-y block as an ellipse 1 mm thick, in the header
    # frame (the pose is turned 90 degrees, so the ellipse is turned back).
    m = rotation(YAW_90) @ node_matrix(ellipse)[:3, :3]
    half = m[:, :2] / 2.0
    np.testing.assert_allclose(half @ half.T, np.pad([[0.2, 0.04], [0.04, 0.7]], (0, 1)),
                               atol=1e-9)
    np.testing.assert_allclose(m[:, 2], (0, 0, 0.001), atol=1e-12)
    # :325-328 and :436-452: a cone 1 long (Offset) with its tip at the pose, along +X,
    # 2 tan(sigma_yaw) wide, 1 mm thick.
    base, tip, width, depth = span(cone)
    np.testing.assert_allclose(tip, (0.49115 - 0.5, 0, 0), atol=1e-9)
    np.testing.assert_allclose(base, (0.49115 + 0.5, 0, 0), atol=1e-9)
    assert abs(width[1]) == pytest.approx(math.tan(math.sqrt(0.6)))
    assert np.linalg.norm(depth) == pytest.approx(0.0005)


def test_scales_stretch_and_angles_stop_at_89_degrees():
    style = CovarianceStyle(position_scale=2.0, orientation_scale=3.0)
    elements = {e['key']: e for e in map(serialized, covariance_elements(
        'c', RVIZ_COVARIANCE_2D, (0, 0, 0, 1), style))}
    half = node_matrix(elements['c/covariance/position'])[:3, :2] / 2.0
    np.testing.assert_allclose(half @ half.T, 4 * np.pad([[0.2, 0.04], [0.04, 0.7]], (0, 1)),
                               atol=1e-9)
    # 3 sigma of yaw (2.3 rad) is past 89 degrees: radianScaleToMetricScaleBounded caps it.
    _, _, width, _ = span(elements['c/covariance/yaw'])
    assert abs(width[1]) == pytest.approx(math.tan(math.radians(89.0)))


def test_rviz2_reads_the_upper_triangle_of_the_row_major_matrix():
    # covariance_visual.cpp:396 maps the row-major array onto a column-major Eigen matrix
    # and SelfAdjointEigenSolver reads its lower triangle: the array's upper triangle.
    lopsided = list(RVIZ_COVARIANCE_3D)
    lopsided[6] = 5.0     # row 1, column 0: ignored
    node = serialized(pose_with_covariance_to_element(
        with_covariance(orientation=(0, 0, 0, 1), covariance=lopsided), 'c',
        PoseStyle(), CovarianceStyle()))
    np.testing.assert_allclose(position_block_in_pose(node),
                               np.array(RVIZ_COVARIANCE_3D).reshape(6, 6)[:3, :3], atol=1e-9)


def test_zero_covariance_draws_nothing_and_alpha_zero_leaves_a_part_out():
    # All zeros (what many drivers send): RViz2 draws every shape with zero size.
    assert covariance_elements('c', [0.0] * 36, (0, 0, 0, 1)) == []
    no_orientation = CovarianceStyle(orientation_color=(1, 1, 0.5, 0.0))
    keys = [e.key for e in covariance_elements('c', RVIZ_COVARIANCE_3D, (0, 0, 0, 1),
                                               no_orientation)]
    assert keys == ['c/covariance/position']
    flat = list(RVIZ_COVARIANCE_3D)
    flat[0] = flat[1] = flat[2] = flat[6] = flat[12] = 0.0     # no x variance: a disc
    disc = serialized(covariance_elements('c', flat, (0, 0, 0, 1))[0])
    assert min(disc['scale']) == 0.001 and disc['tag'] == 'Sphere'


def test_covariance_that_is_no_covariance_is_refused():
    cases = {'NaN': [math.nan] + [0.0] * 35, '35 values': [0.0] * 35}
    negative = list(RVIZ_COVARIANCE_3D)
    negative[0] = -1.0
    cases['negative eigenvalue .* position'] = negative
    tilted = list(RVIZ_COVARIANCE_3D)
    tilted[28] = -0.5     # pitch variance below zero, roll's stays: still 3D
    cases['negative eigenvalue .* (roll|yaw)'] = tilted
    yaw = list(RVIZ_COVARIANCE_2D)
    yaw[35] = -0.1
    cases['yaw variance'] = yaw
    for match, covariance in cases.items():
        with pytest.raises(CovarianceError, match=match):
            covariance_elements('c', covariance, (0, 0, 0, 1))
    assert not issubclass(CovarianceError, PoseError)   # the pose alone can still be drawn


def test_without_a_covariance_style_only_the_pose_is_drawn():
    node = serialized(pose_with_covariance_to_element(with_covariance(), 'c'))
    assert [c['key'] for c in node['children']] == ['c/shaft', 'c/head']
    axes = serialized(pose_with_covariance_to_element(with_covariance(), 'c', AXES))
    assert axes['tag'] == 'group' and axes['children'][0]['tag'] == 'CoordsMarker'
    with pytest.raises(PoseError, match='NaN'):
        pose_with_covariance_to_element(with_covariance((math.nan, 0, 0)), 'c', PoseStyle(),
                                        CovarianceStyle())


# -- pose arrays and paths -----------------------------------------------------------------

@pytest.mark.parametrize('as_real', [False, True])
def test_pose_array_is_rviz2s_flat_arrows(as_real):
    msg = real_if(as_real, pose_array(), 'geometry_msgs/msg/PoseArray')
    node = serialized(pose_array_to_element(msg, 'a'))
    line = child(node, 'line')
    # flat_arrows_array.cpp:105-113: base, tip at (L, 0, 0), and two strokes from the tip
    # to (0.75 L, +-0.2 L, 0); a line list, 1 pixel, unlit, in the pose colour.
    expected = []
    for y in (-1, 0, 1):
        tip = (0.3, y, 0)
        expected += [(0, y, 0), tip, tip, (0.225, y + 0.06, 0), tip, (0.225, y - 0.06, 0)]
    np.testing.assert_allclose(line['points'], expected, atol=1e-12)
    assert (line['segments'], line['lineWidth'], line['worldUnits']) == (True, 1.0, False)
    assert line['color'] == '#ff1900' and 'opacity' not in line


def test_flat_arrows_turn_with_their_poses():
    line = child(serialized(pose_array_to_element(
        pose_array(((1, 0, 0), YAW_90), ((0, 0, 0), (0, 0, 0, 0))), 'a')), 'line')
    np.testing.assert_allclose(line['points'][:4], [(1, 0, 0), (1, 0.3, 0), (1, 0.3, 0),
                                                    (1 - 0.06, 0.225, 0)], atol=1e-12)
    np.testing.assert_allclose(line['points'][7], (0.3, 0, 0), atol=1e-12)   # zero: identity


@pytest.mark.parametrize('as_real', [False, True])
def test_pose_array_as_3d_arrows_or_axes_is_a_child_per_pose(as_real):
    msg = real_if(as_real, pose_array(((0, 0, 0), (0, 0, 0, 1)), ((1, 0, 0), YAW_90)),
                  'geometry_msgs/msg/PoseArray')
    node = serialized(pose_array_to_element(msg, 'a', ARRAY_SHAPES['arrow']))
    assert [c['key'] for c in node['children']] == ['a/0', 'a/1']
    _, tip, width, _ = span(child(node['children'][0], 'head'))
    np.testing.assert_allclose(tip, (0.3, 0, 0), atol=1e-12)
    assert np.linalg.norm(width) * 2 == pytest.approx(0.03)
    axes = serialized(pose_array_to_element(msg, 'a', ARRAY_SHAPES['axes']))
    assert axes['children'][1]['tag'] == 'CoordsMarker'
    assert axes['children'][1]['position'] == [1, 0, 0] and axes['children'][1]['scale'] == 0.3
    empty = Plain(header=header(), poses=[])
    for style in ARRAY_SHAPES.values():
        assert serialized(pose_array_to_element(empty, 'a', style))['children'] == []


@pytest.mark.parametrize('as_real', [False, True])
def test_path_is_rviz2s_green_line(as_real):
    msg = real_if(as_real, path(), 'nav_msgs/msg/Path')
    node = serialized(path_to_element(msg, 'path'))
    line = child(node, 'line')
    # path_display.cpp:460-478: 'Lines' is a line strip 1 pixel wide, unlit, (25, 255, 0).
    assert line['points'] == [[0, 0, 0], [4, 4, 0]] and line['segments'] is False
    assert (line['lineWidth'], line['worldUnits'], line['color']) == (1.0, False, '#19ff00')
    wide = child(serialized(path_to_element(msg, 'path', PathStyle(
        color=(0, 0, 1, 0.5), width=0.05, billboards=True))), 'line')
    assert (wide['lineWidth'], wide['worldUnits'], wide['color']) == (0.05, True, '#0000ff')
    assert (wide['opacity'], wide['transparent']) == (0.5, True)
    assert serialized(path_to_element(path((1, 1, 1)), 'path'))['children'] == []


def test_nan_is_rejected_with_the_offending_pose_named():
    with pytest.raises(PoseError, match='pose contains NaN'):
        pose_stamped_to_element(pose_stamped((math.nan, 0, 0)), 'p')
    with pytest.raises(PoseError, match='transform contains NaN'):
        transform_stamped_to_element(transform_stamped('a', 'b', (0, 0, 0), (0, 0, math.inf, 1)),
                                     't')
    for style in ARRAY_SHAPES.values():
        with pytest.raises(PoseError, match='pose 1 contains NaN'):
            pose_array_to_element(pose_array(((0, 0, 0), (0, 0, 0, 1)),
                                             ((0, 0, 0), (math.nan, 0, 0, 1))), 'a', style)
    with pytest.raises(PoseError, match='path contains NaN'):
        path_to_element(path((0, 0, 0), (0, math.inf, 0)), 'p')
    assert issubclass(PoseError, ValueError)
