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
Wrench, TwistStamped and AccelStamped are drawn as RViz2's WrenchVisual and ScrewVisual.

Citations are to ros2/rviz (rolling, October 2024): ``wrench_visual.cpp`` and
``screw_visual.cpp`` and ``arrow.cpp`` under rviz_rendering/src/rviz_rendering/objects/,
``wrench_display.cpp`` and ``screw_display.cpp`` under
rviz_default_plugins/src/rviz_default_plugins/displays/. The messages are those RViz2's
own visual tests publish (rviz_default_plugins/test/rviz_default_plugins/publishers/
wrench_publisher.hpp:71-86, twist_publisher.hpp, accel_publisher.hpp): the linear part
(1, 3, 2), the angular part (3, 2, 1), in frame '<kind>_frame'.
"""

import math

from msg_factory import child, node_matrix, span, to_real
import numpy as np
import pytest
from test_display_scene import in_fixed_frame, parents, Shown

from vuer_ros import Vuer
from vuer_ros.convert.vectors import (accel_to_element, ScrewStyle, twist_to_element,
                                      VectorError, wrench_to_element)
from vuer_ros.displays import BY_MESSAGE_TYPE, vectors
from vuer_ros.displays.base import RVIZ_QOS
from vuer_ros.displays.host import DisplayHost
from vuer_ros.settings import ConfigError
from vuer_ros.testing import header, Plain, vec
from vuer_ros.validation import validate_node

LINEAR = (1.0, 3.0, 2.0)
ANGULAR = (3.0, 2.0, 1.0)
#: RViz2's defaults: scales 2, width 0.5 (screw_display.cpp:86-103, wrench_display.cpp:72-79).
SCALE, WIDTH = 2.0, 0.5
RVIZ_LENGTH = math.sqrt(14.0) * SCALE    # |(1, 3, 2)| = |(3, 2, 1)| = sqrt(14)
YAW_90 = (0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4))


def wrench(force=LINEAR, torque=ANGULAR, frame_id='wrench_frame') -> Plain:
    return Plain(header=header(frame_id), wrench=Plain(force=vec(*force), torque=vec(*torque)))


def twist(linear=LINEAR, angular=ANGULAR, frame_id='twist_frame') -> Plain:
    return Plain(header=header(frame_id), twist=Plain(linear=vec(*linear),
                                                      angular=vec(*angular)))


def accel(linear=LINEAR, angular=ANGULAR, frame_id='accel_frame') -> Plain:
    return Plain(header=header(frame_id), accel=Plain(linear=vec(*linear),
                                                      angular=vec(*angular)))


#: kind -> (message builder, ROS type, converter, part names)
KINDS = {
    'wrench': (wrench, 'geometry_msgs/msg/WrenchStamped', wrench_to_element,
               ('force', 'torque')),
    'twist': (twist, 'geometry_msgs/msg/TwistStamped', twist_to_element,
              ('linear', 'angular')),
    'accel': (accel, 'geometry_msgs/msg/AccelStamped', accel_to_element,
              ('linear', 'angular')),
}


def convert(kind: str, msg, style: ScrewStyle = ScrewStyle()) -> dict:
    """Serialize the element the way the server does before sending, and check it."""
    node = KINDS[kind][2](msg, 'k', style).serialize()
    validate_node(node)
    return node


def keys(node: dict) -> set:
    return {c['key'] for c in node['children']}


def unit(v) -> np.ndarray:
    return np.asarray(v, dtype=float) / np.linalg.norm(v)


def ogre_rotation_to(u, v) -> np.ndarray:
    """Ogre's Vector3::getRotationTo as a matrix: shortest arc, half turn about X x u else."""
    u, v = unit(u), unit(v)
    d = float(u @ v)
    if d < 1e-6 - 1.0:
        axis = np.cross((1.0, 0.0, 0.0), u)
        if np.linalg.norm(axis) < 1e-12:
            axis = np.cross((0.0, 1.0, 0.0), u)
        axis = unit(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    c = np.cross(u, v)
    skew = np.array([[0, -c[2], c[1]], [c[2], 0, -c[0]], [-c[1], c[0], 0]])
    return np.eye(3) + skew + skew @ skew / (1.0 + d)


def circle_points(node: dict, part: str) -> np.ndarray:
    line = child(node, f'{part}/circle/line')
    return np.asarray(line['points'], dtype=float)


# -- converters against RViz2's numbers --------------------------------------------------

@pytest.mark.parametrize('as_real', [False, True])
@pytest.mark.parametrize('kind', sorted(KINDS))
def test_linear_part_is_rviz_arrow_scaled_by_the_vector(kind, as_real):
    build, type_name, _, (linear, _) = KINDS[kind]
    msg = to_real(build(), type_name) if as_real else build()
    node = convert(kind, msg)
    assert node['tag'] == 'group' and 'position' not in node   # at the frame's origin
    direction = unit(LINEAR)
    # setScale(length, width, width) on RViz's Arrow (1, 0.1, 0.3, 0.2): the shaft is
    # |v| * scale long and 0.1 * width across, the head 0.3 of the length and 0.2 * width
    # across (wrench_visual.cpp:82-86, screw_visual.cpp:73-83, arrow.cpp:75-82,135-139).
    base, top, radius_x, radius_z = span(child(node, f'{linear}/shaft'))
    np.testing.assert_allclose(base, (0, 0, 0), atol=1e-9)
    np.testing.assert_allclose(top, RVIZ_LENGTH * direction, atol=1e-9)
    assert np.linalg.norm(radius_x) == pytest.approx(0.1 * WIDTH / 2)
    assert np.linalg.norm(radius_z) == pytest.approx(0.1 * WIDTH / 2)
    base, tip, radius_x, _ = span(child(node, f'{linear}/head'))
    np.testing.assert_allclose(base, RVIZ_LENGTH * direction, atol=1e-9)
    np.testing.assert_allclose(tip, 1.3 * RVIZ_LENGTH * direction, atol=1e-9)
    assert np.linalg.norm(radius_x) == pytest.approx(0.2 * WIDTH / 2)
    # Force / linear colour QColor(204, 51, 51), alpha 1 (wrench_display.cpp:61,69,
    # screw_display.cpp:63,80), on a lit shape.
    assert child(node, f'{linear}/shaft')['material'] == {
        'color': '#cc3333', 'opacity': 1.0, 'transparent': False, 'depthWrite': True}


@pytest.mark.parametrize('kind', sorted(KINDS))
def test_angular_part_is_an_arrow_a_circle_and_a_head(kind):
    build, _, _, (_, angular) = KINDS[kind]
    node = convert(kind, build())
    axis = unit(ANGULAR)
    base, top, _, _ = span(child(node, f'{angular}/shaft'))
    np.testing.assert_allclose(top, RVIZ_LENGTH * axis, atol=1e-9)
    _, tip, _, _ = span(child(node, f'{angular}/head'))
    np.testing.assert_allclose(tip, 1.3 * RVIZ_LENGTH * axis, atol=1e-9)
    # The circle: points i = 4..32 of 32 at radius L/4, height L/2, in the XY plane turned
    # by getRotationTo(Z -> torque) (wrench_visual.cpp:98-102,130-141).
    turn = ogre_rotation_to((0, 0, 1), ANGULAR)
    expected = np.array([turn @ (RVIZ_LENGTH / 4 * math.cos(i * 2 * math.pi / 32),
                                 RVIZ_LENGTH / 4 * math.sin(i * 2 * math.pi / 32),
                                 RVIZ_LENGTH / 2) for i in range(4, 33)])
    np.testing.assert_allclose(circle_points(node, angular), expected, atol=1e-9)
    line = child(node, f'{angular}/circle/line')
    assert line['lineWidth'] == pytest.approx(0.05 * WIDTH)   # wrench_visual.cpp:134
    assert line['worldUnits'] is True
    # Torque / angular colour QColor(204, 204, 51) on the arrow, circle and head
    # (wrench_display.cpp:65, screw_display.cpp:72, wrench_visual.cpp:159-164).
    assert line['color'] == '#cccc33'
    assert child(node, f'{angular}/shaft')['material']['color'] == '#cccc33'
    # The circle's head: Arrow::set(0, 0.1 w, 0.1 w, 0.2 w) at turn * (L/4, 0, L/2),
    # pointing along turn * +Y (wrench_visual.cpp:121-128).
    head = child(node, f'{angular}/circle_head/head')
    assert head['material']['color'] == '#cccc33'
    base, tip, radius_x, _ = span(head)
    np.testing.assert_allclose(base, turn @ (RVIZ_LENGTH / 4, 0, RVIZ_LENGTH / 2), atol=1e-9)
    np.testing.assert_allclose(tip - base, 0.1 * WIDTH * (turn @ (0, 1, 0)), atol=1e-9)
    assert np.linalg.norm(radius_x) == pytest.approx(0.2 * WIDTH / 2)
    # Right-hand rule: from the head's base, the head turns counter-clockwise about the axis.
    assert np.cross(base - axis * (base @ axis), tip - base) @ axis > 0
    assert keys(node) == {f'k/{part}/{piece}' for part in KINDS[kind][3]
                          for piece in ('shaft', 'head')} | {
        f'k/{angular}/circle/line', f'k/{angular}/circle_head/head'}


def test_torque_against_z_turns_half_way_round_minus_y_as_ogre_does():
    node = convert('wrench', wrench(torque=(0, 0, -1)))
    length = 1.0 * SCALE
    # Ogre: UNIT_X x UNIT_Z = -Y is the half-turn axis, so (L/4, 0, L/2) -> (-L/4, 0, -L/2).
    base, tip, _, _ = span(child(node, 'torque/circle_head/head'))
    np.testing.assert_allclose(base, (-length / 4, 0, -length / 2), atol=1e-9)
    np.testing.assert_allclose(unit(tip - base), (0, 1, 0), atol=1e-9)


@pytest.mark.parametrize('magnitude, shown', [(0.2, False), (0.25, False), (0.26, True)])
def test_arrows_no_longer_than_their_width_are_hidden(magnitude, shown):
    # Shown when |v| * scale > width, strictly (wrench_visual.cpp:83,94).
    node = convert('wrench', wrench(force=(magnitude, 0, 0), torque=(0, magnitude, 0)))
    assert bool(keys(node)) is shown
    if shown:
        assert 'k/force/shaft' in keys(node) and 'k/torque/circle/line' in keys(node)


def test_twist_with_hide_small_values_off_draws_small_arrows():
    style = ScrewStyle(hide_small_values=False)
    node = convert('twist', twist(linear=(0.1, 0, 0), angular=(0, 0, 0)), style)
    _, top, _, _ = span(child(node, 'linear/shaft'))
    np.testing.assert_allclose(top, (0.2, 0, 0), atol=1e-12)
    # A zero angular vector: only the circle's head, unturned, at the origin
    # (screw_visual.cpp:86-99 with length 0 and Ogre's identity for a zero vector).
    assert keys(node) == {'k/linear/shaft', 'k/linear/head', 'k/angular/circle_head/head'}
    base, tip, _, _ = span(child(node, 'angular/circle_head/head'))
    np.testing.assert_allclose(base, (0, 0, 0), atol=1e-12)
    np.testing.assert_allclose(tip, (0, 0.05, 0), atol=1e-12)


def test_style_sets_colours_alpha_scales_and_width():
    # RViz2's visual test settings (wrench_stamped_display_visual_test.cpp:49-54).
    style = ScrewStyle(linear_color=(1.0, 1.0, 0.0), angular_color=(0.0, 1.0, 1.0),
                       alpha=0.5, linear_scale=2.0, angular_scale=3.0, width=4.0)
    node = convert('wrench', wrench(), style)
    shaft = child(node, 'force/shaft')
    assert shaft['material'] == {'color': '#ffff00', 'opacity': 0.5, 'transparent': True,
                                 'depthWrite': False}
    _, _, radius_x, _ = span(shaft)
    assert np.linalg.norm(radius_x) == pytest.approx(0.1 * 4.0 / 2)
    _, top, _, _ = span(child(node, 'torque/shaft'))
    assert np.linalg.norm(top) == pytest.approx(math.sqrt(14.0) * 3.0)
    line = child(node, 'torque/circle/line')
    assert line['color'] == '#00ffff' and line['opacity'] == 0.5
    assert line['lineWidth'] == pytest.approx(0.2)


@pytest.mark.parametrize('kind', sorted(KINDS))
@pytest.mark.parametrize('bad', [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_values_raise(kind, bad):
    with pytest.raises(VectorError, match='nans or infs'):
        convert(kind, KINDS[kind][0]((1.0, bad, 0.0), ANGULAR))
    with pytest.raises(VectorError):
        convert(kind, KINDS[kind][0](LINEAR, (0.0, 0.0, bad)))


def test_accept_nan_draws_nan_as_zero_but_not_infinity():
    # wrench_display.cpp:146-156: NaN components become 0; infinity is not replaced.
    style = ScrewStyle(accept_nan=True)
    node = convert('wrench', wrench(force=(math.nan, 1.0, 0.0), torque=(math.nan,) * 3), style)
    assert keys(node) == {'k/force/shaft', 'k/force/head'}
    _, top, _, _ = span(child(node, 'force/shaft'))
    np.testing.assert_allclose(top, (0, 2, 0), atol=1e-12)
    with pytest.raises(VectorError):
        convert('wrench', wrench(force=(math.inf, 1.0, 0.0)), style)


# -- the displays against a real Vuer app ----------------------------------------------

def displays(**values) -> tuple[Vuer, DisplayHost, list]:
    """
    Give a Vuer app, started displays with ``values`` as parameters, and their warnings.

    The app's server is never started: its shared scene is what a client would hold.
    """
    app, warnings = Vuer(host='127.0.0.1', port=0), []
    return app, Shown(app, warnings, **values).host, warnings


def test_each_type_has_its_display_with_rviz_defaults():
    for kind, (_, type_name, _, (linear, angular)) in KINDS.items():
        display = BY_MESSAGE_TYPE[type_name]
        assert display.kind == kind and display.newest_only and display.qos == RVIZ_QOS
        defaults = {p.name: p.default for p in display.options}
        assert defaults[f'{kind}_{linear}_color'] == '204; 51; 51'
        assert defaults[f'{kind}_{angular}_color'] == '204; 204; 51'
        assert (defaults[f'{kind}_alpha'], defaults[f'{kind}_width']) == (1.0, 0.5)
        assert defaults[f'{kind}_{linear}_scale'] == defaults[f'{kind}_{angular}_scale'] == 2.0
    assert {p.name: p.default for p in vectors.TwistDisplay.options}[
        'twist_hide_small_values'] is True
    assert {p.name: p.default for p in vectors.WrenchDisplay.options}[
        'wrench_accept_nan_values'] is False


@pytest.mark.parametrize('as_real', [False, True])
@pytest.mark.parametrize('kind', sorted(KINDS))
def test_display_draws_at_the_origin_of_the_header_frame(kind, as_real):
    build, type_name, _, (linear, _) = KINDS[kind]
    app, host, _ = displays()
    frame = f'{kind}_frame'
    host.scene.on_transform('map', frame, (1.0, 2.0, 3.0), YAW_90)
    msg = to_real(build(), type_name) if as_real else build()
    host.show(BY_MESSAGE_TYPE[type_name], f'/{kind}').on_message(msg)
    key = f'{kind}:/{kind}'
    assert parents(app)[key] == f'/{kind}@{frame}'
    assert parents(app)[f'/{kind}@{frame}'] == f'/{kind}'
    # The frame node at the transform (wrench_display.cpp:165-173,208-209): the arrow's
    # tip, rotated by the frame's yaw, lands at frame origin + R * 1.3 L * direction.
    placed = in_fixed_frame(app, key) @ node_matrix(child(app.scene.get(key), f'{linear}/head'))
    tip = placed[:3, :3] @ (0, 0.5, 0) + placed[:3, 3]   # the tip of the unit-high cone
    yaw = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(tip, (1, 2, 3) + yaw @ (1.3 * RVIZ_LENGTH * unit(LINEAR)),
                               atol=1e-9)
    host.show(BY_MESSAGE_TYPE[type_name], f'/{kind}').on_message(build((0, 0, 1)))
    _, top, _, _ = span(child(app.scene.get(key), f'{linear}/shaft'))
    np.testing.assert_allclose(top, (0, 0, 2), atol=1e-9)   # the newest replaces it


def test_display_options_reach_the_drawing():
    app, host, _ = displays(wrench_force_color='255; 255; 0', wrench_alpha=0.5,
                            wrench_torque_color='0; 255; 255', wrench_width=4.0,
                            wrench_torque_scale=3.0)
    host.show(vectors.WrenchDisplay, '/wrench').on_message(wrench(frame_id='map'))
    node = app.scene.get('wrench:/wrench')
    assert child(node, 'force/head')['material']['color'] == '#ffff00'
    assert child(node, 'force/head')['material']['opacity'] == 0.5
    assert child(node, 'torque/circle/line')['color'] == '#00ffff'
    assert child(node, 'torque/circle/line')['lineWidth'] == pytest.approx(0.2)
    _, top, _, _ = span(child(node, 'torque/shaft'))
    assert np.linalg.norm(top) == pytest.approx(math.sqrt(14.0) * 3.0)


def test_twist_hide_small_values_parameter():
    app, host, _ = displays(twist_hide_small_values=False)
    host.show(vectors.TwistDisplay, '/twist').on_message(
        twist(linear=(0.1, 0, 0), angular=(0, 0, 0.1), frame_id='map'))
    assert 'twist:/twist/linear/shaft' in app.scene
    assert 'twist:/twist/angular/circle/line' in app.scene


def test_wrench_accept_nan_parameter():
    app, host, warnings = displays(wrench_accept_nan_values=True)
    host.show(vectors.WrenchDisplay, '/wrench').on_message(
        wrench(force=(math.nan, 1, 0), frame_id='map'))
    assert 'wrench:/wrench/force/shaft' in app.scene and not warnings


def test_bad_message_warns_and_keeps_the_previous_drawing():
    app, host, warnings = displays()
    display = host.show(vectors.TwistDisplay, '/twist')
    display.on_message(twist(frame_id='map'))
    before = app.scene.get('twist:/twist')
    display.on_message(twist(linear=(math.nan, 0, 0), frame_id='map'))
    # RViz2 sets an error status and returns, leaving its visual (screw_display.cpp:179-184).
    assert app.scene.get('twist:/twist') == before
    assert [key for key, _ in warnings] == ['twist:/twist:error']
    assert '/twist' in warnings[0][1] and 'nans or infs' in warnings[0][1]


def test_bad_colour_parameter_is_refused_naming_it():
    with pytest.raises(ConfigError, match='accel_linear_color'):
        displays(accel_linear_color='purple')


def test_message_in_an_unknown_frame_waits_for_it():
    app, host, warnings = displays()
    host.show(vectors.WrenchDisplay, '/wrench').on_message(wrench())
    assert 'wrench:/wrench' not in app.scene
    assert any(key == 'frame:wrench_frame' and 'wrench_frame' in text
               for key, text in warnings)
    host.scene.on_transform('map', 'wrench_frame', (0, 0, 1), (0, 0, 0, 1))
    assert parents(app)['wrench:/wrench'] == '/wrench@wrench_frame'
