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
Illuminance, Temperature, RelativeHumidity and FluidPressure as RViz2 shows them.

Citations are to ros2/rviz (rolling, October 2024), under
rviz_default_plugins/src/rviz_default_plugins/displays/ (``<type>/<type>_display.cpp``,
``pointcloud/point_cloud_common.cpp``, ``pointcloud/transformers/
intensity_pc_transformer.cpp``) and rviz_default_plugins/include/.../pointcloud/
(``point_cloud_helpers.hpp``, ``point_cloud_scalar_display.hpp``). The readings are those
RViz2's visual tests publish (rviz_default_plugins/test/rviz_default_plugins/displays/
<type>/<type>_display_visual_test.cpp), which draw them as 11 m spheres.
"""

import math

from msg_factory import child, node_matrix, to_real
import numpy as np
import pytest
from test_display_scene import in_fixed_frame, parents
from test_display_vectors import displays

from vuer_ros.convert.colormaps import intensity_rainbow, rainbow
from vuer_ros.convert.sensor_points import (scalar_to_element, ScalarError, ScalarStyle,
                                            STYLES)
from vuer_ros.displays import BY_MESSAGE_TYPE, sensor_points
from vuer_ros.displays.base import RVIZ_QOS
from vuer_ros.testing import header, Plain
from vuer_ros.validation import validate_node

#: kind -> (ROS type, field, RViz2's min and max, invert, the visual test's low and high
#: readings, the colours RViz2 computes for those two).
KINDS = {
    # illuminance_display.cpp:49-50; illuminance_display_visual_test.cpp:64,70
    'illuminance': ('sensor_msgs/msg/Illuminance', 'illuminance', 0.0, 1000.0, False,
                    150.0, 800.0, '#ffbf00', '#0000ff'),
    # temperature_display.cpp:49-51 (inverted); temperature_display_visual_test.cpp:64,70
    'temperature': ('sensor_msgs/msg/Temperature', 'temperature', 0.0, 100.0, True,
                    15.0, 85.0, '#4000ff', '#ffbf00'),
    # relative_humidity_display.cpp:49-50; relative_humidity_display_visual_test.cpp:64,70
    'relative_humidity': ('sensor_msgs/msg/RelativeHumidity', 'relative_humidity', 0.0, 1.0,
                          False, 0.15, 0.85, '#ffbf00', '#4000ff'),
    # fluid_pressure_display.cpp:49-50; fluid_pressure_display_visual_test.cpp:64,70
    'fluid_pressure': ('sensor_msgs/msg/FluidPressure', 'fluid_pressure', 98000.0, 105000.0,
                       False, 99000.0, 104000.0, '#ffb600', '#4900ff'),
}


def reading(kind: str, value: float, frame_id: str = '') -> Plain:
    """Build the sensor message of ``kind`` as RViz2's test publishers fill it (variance 1)."""
    return Plain(header=header(frame_id or f'{kind}_frame'),
                 **{KINDS[kind][1]: value, 'variance': 1.0})


def style_of(kind: str, **changes) -> ScalarStyle:
    _, _, low, high, invert, *_ = KINDS[kind]
    return ScalarStyle(low=low, high=high, invert=invert, **changes)


def convert(value: float, style: ScalarStyle) -> dict:
    """Serialize the element the way the server does before sending, and check it."""
    node = scalar_to_element(value, 'k', style).serialize()
    validate_node(node)
    return node


def colour(node: dict) -> str:
    (shape,) = node['children']
    if shape['tag'] == 'Billboard':
        (shape,) = shape['children']
    return shape['material']['color']


# -- the colour map --------------------------------------------------------------------

def test_rainbow_runs_magenta_blue_cyan_green_yellow_red():
    # getRainbowColor (point_cloud_helpers.hpp:131-157) at its sector boundaries, clamped.
    values = [-1.0, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 2.0]
    expected = [(1, 0, 1), (1, 0, 1), (0, 0, 1), (0, 1, 1), (0, 1, 0), (1, 1, 0), (1, 0, 0),
                (1, 0, 0)]
    np.testing.assert_allclose(rainbow(values), expected, atol=1e-9)
    # Inside a sector it interpolates: 0.85 -> h 5.25, sector 5, n 0.75.
    np.testing.assert_allclose(rainbow([0.85]), [(1, 0.75, 0)], atol=1e-9)


def test_intensity_rainbow_matches_rvizs_own_transformer_tests():
    # intensity_pc_transformer_test.cpp:44-66: autocomputed bounds 0..2.
    np.testing.assert_allclose(intensity_rainbow([0, 1, 2], 0, 2),
                               [(1, 0, 0), (0, 1, 0.5), (1, 0, 1)], atol=1e-9)
    # intensity_pc_transformer_test.cpp:98-123: default bounds 0..4096.
    np.testing.assert_allclose(intensity_rainbow([0, 1024, 2048], 0, 4096),
                               [(1, 0, 0), (0.75, 1, 0), (0, 1, 0.5)], atol=1e-9)


def test_inverted_rainbow_and_equal_bounds():
    np.testing.assert_allclose(intensity_rainbow([0, 2], 0, 2, invert=True),
                               [(1, 0, 1), (1, 0, 0)], atol=1e-9)
    # Equal bounds divide by 1e20: every reading gets the minimum's colour
    # (intensity_pc_transformer.cpp:98-105).
    np.testing.assert_allclose(intensity_rainbow([-5, 3, 1e6], 3, 3),
                               [(1, 0, 0)] * 3, atol=1e-9)


# -- one reading, one point --------------------------------------------------------------

@pytest.mark.parametrize('kind', sorted(KINDS))
def test_readings_get_rvizs_colours(kind):
    *_, low_reading, high_reading, low_colour, high_colour = KINDS[kind]
    assert colour(convert(low_reading, style_of(kind))) == low_colour
    assert colour(convert(high_reading, style_of(kind))) == high_colour


def test_default_point_is_a_flat_square_one_centimetre_wide_facing_the_camera():
    # Style "Flat Squares", size 0.01 m, alpha 1 (point_cloud_common.cpp:106-135); an
    # unlit billboard, at the frame's origin (point_cloud_scalar_display.hpp:183-192).
    node = convert(15.0, style_of('temperature'))
    assert node['tag'] == 'group' and 'position' not in node
    billboard = child(node, 'billboard')
    assert billboard['tag'] == 'Billboard' and billboard['follow'] is True
    (square,) = billboard['children']
    assert square['tag'] == 'Plane' and square['args'] == [0.01, 0.01]
    assert square['materialType'] == 'basic'
    assert square['material'] == {'color': '#4000ff', 'opacity': 1.0, 'transparent': False,
                                  'depthWrite': True}


@pytest.mark.parametrize('style, tag, size', [
    ('Spheres', 'Sphere', lambda n: 2 * n['args'][0]),
    ('Boxes', 'Box', lambda n: n['args']),
    ('Squares', 'Billboard', lambda n: n['children'][0]['args']),
])
def test_styles_draw_a_point_size_metres_across(style, tag, size):
    # The visual tests' style: 11 m spheres (temperature_display_visual_test.cpp:61-62).
    node = convert(85.0, style_of('temperature', style=style, size=11.0))
    (shape,) = node['children']
    assert shape['tag'] == tag
    assert np.all(np.asarray(size(shape)) == 11.0)
    assert colour(node) == '#ffbf00'


def test_alpha_makes_the_point_translucent():
    node = convert(0.5, style_of('relative_humidity', alpha=0.25))
    square = node['children'][0]['children'][0]
    assert square['material']['opacity'] == 0.25 and square['material']['transparent']


@pytest.mark.parametrize('bad', [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_readings_raise(bad):
    with pytest.raises(ScalarError, match='not a finite number'):
        convert(bad, style_of('illuminance'))


def test_unknown_style_is_refused():
    assert 'Points' not in STYLES and 'Flat Squares' in STYLES
    with pytest.raises(ValueError, match='Points'):
        style_of('temperature', style='Points')


# -- the displays against a real Vuer app ----------------------------------------------

def test_each_type_has_its_display_with_rviz_defaults():
    for kind, (type_name, _, low, high, invert, *_) in KINDS.items():
        display = BY_MESSAGE_TYPE[type_name]
        assert display.kind == kind and display.newest_only and display.qos == RVIZ_QOS
        assert display.invert is invert
        defaults = {p.name: p.default for p in display.options}
        assert defaults == {f'{kind}_style': 'Flat Squares', f'{kind}_size': 0.01,
                            f'{kind}_alpha': 1.0, f'{kind}_min_value': low,
                            f'{kind}_max_value': high}


@pytest.mark.parametrize('as_real', [False, True])
@pytest.mark.parametrize('kind', sorted(KINDS))
def test_display_draws_the_reading_at_the_header_frame(kind, as_real):
    type_name, *_, low_reading, high_reading, low_colour, high_colour = KINDS[kind]
    app, host, _ = displays(**{f'{kind}_style': 'Spheres', f'{kind}_size': 11.0})
    frame = f'{kind}_frame'
    host.scene.on_transform('map', frame, (1.0, 2.0, 3.0), (0, 0, 0, 1))
    display = host.show(BY_MESSAGE_TYPE[type_name], f'/{kind}')
    for value, expected in ((low_reading, low_colour), (high_reading, high_colour)):
        msg = reading(kind, value)
        display.on_message(to_real(msg, type_name) if as_real else msg)
        key = f'{kind}:/{kind}'
        assert parents(app)[key] == f'/{kind}@{frame}'
        sphere = child(app.scene.get(key), 'sphere')
        assert sphere['args'][0] == 5.5 and sphere['material']['color'] == expected
        centre = (in_fixed_frame(app, key) @ node_matrix(sphere))[:3, 3]
        np.testing.assert_allclose(centre, (1, 2, 3), atol=1e-12)


def test_display_options_set_the_bounds():
    app, host, _ = displays(temperature_min_value=-20.0, temperature_max_value=20.0)
    host.show(sensor_points.TemperatureDisplay, '/t').on_message(reading('temperature', 20.0,
                                                                         'map'))
    assert colour(app.scene.get('temperature:/t')) == '#ff0000'   # the maximum is red


def test_bad_reading_warns_and_keeps_the_previous_point():
    app, host, warnings = displays()
    display = host.show(sensor_points.FluidPressureDisplay, '/pressure')
    display.on_message(reading('fluid_pressure', 101325.0, 'map'))
    before = app.scene.get('fluid_pressure:/pressure')
    display.on_message(reading('fluid_pressure', math.nan, 'map'))
    assert app.scene.get('fluid_pressure:/pressure') == before
    assert [key for key, _ in warnings] == ['fluid_pressure:/pressure:error']
    assert '/pressure' in warnings[0][1] and 'nan' in warnings[0][1]
