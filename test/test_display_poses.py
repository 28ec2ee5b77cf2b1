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
The pose, covariance, pose array, odometry and path displays with no configuration.

Each display runs in a DisplayHost on a real Vuer app (its shared scene is what every
client holds) with the messages RViz2's own tests publish, and is checked against what
RViz2 draws for them with its defaults (ros2/rviz at f7112b1, files cited).
"""

import math

from msg_factory import node_matrix, pose_stamped, span
import numpy as np
import pytest
from test_convert_poses import (odometry, path, pose_array, rotation, RVIZ_COVARIANCE_3D,
                                with_covariance)
from test_display_scene import group_of, in_fixed_frame, parents, position, Shown

from vuer_ros import Vuer
from vuer_ros.displays.odometry import OdometryDisplay
from vuer_ros.settings import ConfigError, settings_from_values

S = math.sqrt(0.5)
YAW_90 = (0.0, 0.0, S, S)


@pytest.fixture
def app() -> Vuer:
    """Give a Vuer app that is never started: its shared scene is what clients get."""
    return Vuer(host='127.0.0.1', port=0)


def shown(app: Vuer, frame: str, **values) -> Shown:
    """
    Start displays with these options; ``frame`` at (1, 2, 0) in map, turned 90 degrees.

    Warnings, as ``(key, text)``, collect in the returned scene's ``warnings``.
    """
    warnings: list = []
    scene = Shown(app, warnings, **values)
    scene.warnings = warnings
    scene.on_transform('map', frame, (1, 2, 0), YAW_90)
    return scene


def placed(app: Vuer, key: str) -> np.ndarray:
    """
    4x4 of node ``key`` in the fixed frame, nested in another node's children or not.

    Multiplies down from the top-level node that carries it, as three.js does.
    """
    def path_to(node: dict) -> list:
        if node['key'] == key:
            return [node]
        for child in node.get('children', []):
            found = path_to(child)
            if found:
                return [node, *found]
        return []

    for top in parents(app):
        nodes = path_to(app.scene.get(top))
        if nodes:
            matrix = in_fixed_frame(app, top)
            for node in nodes[1:]:
                matrix = matrix @ node_matrix(node)
            return matrix
    raise AssertionError(f'{key} is not in the scene')


def world(app: Vuer, key: str, point=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Where ``point`` of node ``key``'s own frame is in the fixed frame."""
    return (placed(app, key) @ (*point, 1.0))[:3]


def test_pose_is_rviz2s_red_orange_arrow(app):
    scene = shown(app, 'pose_frame')
    scene.on_pose('pose', '/pose', pose_stamped(frame_id='pose_frame'))   # pose_publisher.hpp
    assert parents(app)['pose:/pose'] == group_of('pose_frame', '/pose')
    # pose_display.cpp:76-90 and arrow.cpp:77-81: 1 m shaft, 0.3 m head, along the pose's X.
    np.testing.assert_allclose(world(app, 'pose:/pose/head', (0, 0.5, 0)), (1, 3.3, 0),
                               atol=1e-9)
    np.testing.assert_allclose(position(app, 'pose:/pose'), (1, 2, 0), atol=1e-12)
    shaft = app.scene.get('pose:/pose/shaft')
    assert shaft['material']['color'] == '#ff1900' and shaft['scale'][0] == 0.05
    assert scene.warnings == []


def test_pose_style_axes_is_still_there(app):
    scene = shown(app, 'pose_frame', pose_style='axes', pose_length=0.5)
    scene.on_pose('pose', '/pose', pose_stamped(frame_id='pose_frame'))
    node = app.scene.get('pose:/pose')
    assert node['tag'] == 'CoordsMarker' and node['scale'] == 0.5


def test_pose_options_reach_the_arrow(app):
    scene = shown(app, 'pose_frame', pose_length=2.0, pose_radius=0.2,
                  pose_head_length=0.5, pose_head_radius=0.4, pose_color='#0000ff',
                  pose_alpha=0.5)
    scene.on_pose('pose', '/pose', pose_stamped(frame_id='pose_frame'))
    base, tip, width, _ = span(app.scene.get('pose:/pose/head'))
    np.testing.assert_allclose([base, tip], [(2, 0, 0), (2.5, 0, 0)], atol=1e-12)
    assert np.linalg.norm(width) * 2 == pytest.approx(0.4)
    assert app.scene.get('pose:/pose/shaft')['material'] == {
        'color': '#0000ff', 'opacity': 0.5, 'transparent': True, 'depthWrite': False}


def test_a_bad_colour_option_stops_the_start_naming_it():
    with pytest.raises(ConfigError, match="pose_color 'orange'.*'R G B'"):
        settings_from_values({'pose_color': 'orange'})


def test_covariance_is_drawn_in_the_header_frame(app):
    scene = shown(app, 'pose_with_covariance_frame')
    scene.on_pose('pose_covariance', '/pose_with_covariance', with_covariance())
    key = 'pose_covariance:/pose_with_covariance'
    assert parents(app)[key] == group_of('pose_with_covariance_frame', '/pose_with_covariance')
    # The ellipsoid's semi-axes in the fixed frame are the frame's rotation applied to the
    # 3x3 position block (covariance_visual.cpp:170-178, :394).
    half = placed(app, f'{key}/covariance/position')[:3, :3] / 2.0
    turn = rotation(YAW_90)
    sigma = np.array(RVIZ_COVARIANCE_3D).reshape(6, 6)[:3, :3]
    np.testing.assert_allclose(half @ half.T, turn @ sigma @ turn.T, atol=1e-9)
    np.testing.assert_allclose(world(app, f'{key}/covariance/position'), (1, 2, 0), atol=1e-12)
    # The roll disc one metre out along the pose's own x (local frame, the default): the
    # pose turned half a turn about x keeps its x, the frame turns it to +y.
    np.testing.assert_allclose(world(app, f'{key}/covariance/roll'), (1, 3, 0), atol=1e-9)
    assert app.scene.get(f'{key}/covariance/yaw')['material']['color'] == '#ffff7f'
    assert scene.warnings == []


def test_covariance_off_draws_only_the_pose(app):
    scene = shown(app, 'pose_with_covariance_frame', covariance=False)
    scene.on_pose('pose_covariance', '/c', with_covariance())
    node = app.scene.get('pose_covariance:/c')
    keys = [c['key'] for c in node['children']]
    assert keys == ['pose_covariance:/c/shaft', 'pose_covariance:/c/head']


@pytest.mark.parametrize('kind', ['pose_covariance', 'odometry'])
def test_bad_covariance_warns_and_the_pose_is_drawn_alone(app, kind):
    scene = shown(app, 'f')
    negative = list(RVIZ_COVARIANCE_3D)
    negative[0] = -1.0
    build = with_covariance if kind == 'pose_covariance' else odometry
    for x, covariance in enumerate((negative, [math.nan] * 36)):
        scene.on_pose(kind, '/c', build(position=(x, 0, 0), orientation=(0, 0, 0, 1),
                                        covariance=covariance, frame_id='f'))
    drawn = [key for key in app.scene.keys() if key.startswith(f'{kind}:/c')]
    assert drawn and not [key for key in drawn if '/covariance/' in key]
    assert {key for key, _ in scene.warnings} == {f'{kind}:/c:covariance'}
    texts = [text for _, text in scene.warnings]
    assert 'negative eigenvalue' in texts[0] and 'NaN' in texts[1]
    assert all(text.startswith('/c: ') and 'only the pose' in text for text in texts)


def test_pose_array_is_flat_arrows_in_its_frame(app):
    scene = shown(app, 'pose_array_frame')
    scene.on_pose('pose_array', '/pose_array', pose_array())
    line = app.scene.get('pose_array:/pose_array/line')
    assert parents(app)['pose_array:/pose_array'] == group_of('pose_array_frame',
                                                              '/pose_array')
    assert line['worldUnits'] is False and line['color'] == '#ff1900'
    # The middle arrow's tip: 0.3 m along the frame's x, which points along map's y.
    np.testing.assert_allclose(world(app, 'pose_array:/pose_array', line['points'][7]),
                               (1, 2.3, 0), atol=1e-9)


def test_pose_array_options(app):
    scene = shown(app, 'f', pose_array_style='arrow', pose_array_length=0.6)
    scene.on_pose('pose_array', '/a', pose_array(frame_id='f'))
    _, tip, width, _ = span(app.scene.get('pose_array:/a/1/head'))
    np.testing.assert_allclose(tip, (0.6, 0, 0), atol=1e-12)       # twice RViz2's 0.3
    assert np.linalg.norm(width) * 2 == pytest.approx(0.06)


def test_path_is_a_green_line_one_pixel_wide(app):
    scene = shown(app, 'path_frame')
    scene.on_pose('path', '/path', path())
    line = app.scene.get('path:/path/line')
    assert (line['color'], line['lineWidth'], line['worldUnits']) == ('#19ff00', 1.0, False)
    np.testing.assert_allclose(world(app, 'path:/path', line['points'][1]), (-3, 6, 0),
                               atol=1e-9)
    wide = shown(app, 'path_frame', path_style='billboards', path_color='0 0 255',
                 path_alpha=0.5)
    wide.on_pose('path', '/wide', path())
    line = app.scene.get('path:/wide/line')
    assert (line['color'], line['lineWidth'], line['worldUnits']) == ('#0000ff', 0.03, True)
    assert line['opacity'] == 0.5


# -- odometry ------------------------------------------------------------------------------

def odometry_keys(app: Vuer, topic: str = '/odom') -> list[str]:
    prefix = f'odometry:{topic}/'
    return sorted((key for key in parents(app) if key.startswith(prefix)),
                  key=lambda key: int(key.rpartition('/')[2]))


def test_odometry_keeps_a_trail_of_arrows_frozen_where_they_arrived(app):
    scene = shown(app, 'odometry_frame')
    message = odometry(position=(0, 0, 0), orientation=(0, 0, 0, 1))   # publisher's pose
    scene.on_pose('odometry', '/odom', message)
    # odometry_display.cpp:313-333: within 0.1 m and 0.1 rad of the last arrow: no new one.
    scene.on_pose('odometry', '/odom', odometry(position=(0.05, 0, 0), orientation=(0, 0, 0, 1)))
    assert odometry_keys(app) == ['odometry:/odom/0']
    scene.on_pose('odometry', '/odom', odometry(position=(0.2, 0, 0), orientation=(0, 0, 0, 1)))
    turned = (0, 0, math.sin(0.1), math.cos(0.1))     # 0.2 rad
    scene.on_pose('odometry', '/odom', odometry(position=(0.2, 0, 0), orientation=turned))
    assert odometry_keys(app) == [f'odometry:/odom/{n}' for n in range(3)]
    # Each placed once in the fixed frame (odometry_display.cpp:275-286), with its
    # covariance: later transforms do not move it.
    assert all(parents(app)[key] == group_of('map', '/odom') for key in odometry_keys(app))
    np.testing.assert_allclose(position(app, 'odometry:/odom/1'), (1, 2.2, 0), atol=1e-9)
    scene.on_transform('map', 'odometry_frame', (5, 5, 0), (0, 0, 0, 1))
    np.testing.assert_allclose(position(app, 'odometry:/odom/1'), (1, 2.2, 0), atol=1e-9)
    assert 'odometry:/odom/1/covariance/position' in app.scene
    assert scene.warnings == []


def test_odometry_keeps_only_the_newest_ones(app):
    scene = shown(app, 'f', odometry_keep=3)
    for step in range(5):
        scene.on_pose('odometry', '/odom', odometry(position=(step, 0, 0),
                                                    orientation=(0, 0, 0, 1), frame_id='f'))
    assert odometry_keys(app) == [f'odometry:/odom/{n}' for n in (2, 3, 4)]
    assert 'odometry:/odom/0/shaft' not in app.scene
    display = scene.host.displays['/odom']
    assert isinstance(display, OdometryDisplay) and len(display.kept) == 3


def test_odometry_keep_zero_keeps_all_and_tolerances_apply(app):
    scene = shown(app, 'f', odometry_keep=0, odometry_position_tolerance=2.0)
    for step in range(150):
        scene.on_pose('odometry', '/odom', odometry(position=(step, 0, 0),
                                                    orientation=(0, 0, 0, 1), frame_id='f'))
    assert len(odometry_keys(app)) == 75     # every second step is within 2 m


def test_odometry_refuses_what_rviz2_refuses(app):
    scene = shown(app, 'f')
    # odometry_display.cpp:260-267 and :292-311: unnormalised quaternions and NaN.
    scene.on_pose('odometry', '/odom', odometry(position=(0, 0, 0), orientation=(0, 0, 0, 33),
                                                frame_id='f'))
    scene.on_pose('odometry', '/odom', odometry(position=(math.nan, 0, 0),
                                                orientation=(0, 0, 0, 1), frame_id='f'))
    assert odometry_keys(app) == []
    assert [key for key, _ in scene.warnings] == ['odometry:/odom:error'] * 2
    assert 'unnormalized quaternion' in scene.warnings[0][1] and 'NaN' in scene.warnings[1][1]
    scene.on_pose('odometry', '/odom', odometry(frame_id='f'))     # still draws after that
    assert odometry_keys(app) == ['odometry:/odom/0']


def test_odometry_arrow_matches_rviz2s_display_test(app):
    scene = Shown(app, [])
    scene.on_pose('odometry', '/odom', odometry(frame_id='map'))
    # odometry_display_test.cpp processMessage_sets_arrow_and_axes_according_to_message:
    # the arrow's direction is the pose's x turned by (0, 1, 0, 0): -x.
    matrix = in_fixed_frame(app, 'odometry:/odom/0')
    np.testing.assert_allclose(matrix[:3, 3], (1, 2, 3), atol=1e-12)
    np.testing.assert_allclose(matrix[:3, 0], (-1, 0, 0), atol=1e-12)
    np.testing.assert_allclose(node_matrix(app.scene.get('odometry:/odom/0/shaft'))[:3, 3],
                               (0.5, 0, 0), atol=1e-12)


@pytest.mark.parametrize('values, message', [
    ({'pose_array_style': 'cube'}, 'pose_array_style must be one of'),
    ({'path_style': 'dotted'}, 'path_style must be one of'),
    ({'pose_alpha': 1.5}, 'pose_alpha must be in'),
    ({'odometry_keep': -1}, 'odometry_keep must be in'),
    ({'covariance_position_scale': -1.0}, 'covariance_position_scale must be in'),
])
def test_options_out_of_range_stop_at_start(values, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_values(values)
