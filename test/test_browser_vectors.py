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
Wrench, twist, accel and the scalar sensors in the real Vuer client, where RViz2 puts them.

The displays draw on a plain Vuer app with the messages RViz2's visual tests publish, and
headless Chromium shows them. Each check projects a point RViz2's code computes (cited in
test_display_vectors.py and test_display_sensor_points.py) and finds the part's colour
there. Screenshots go to test-artifacts/. Skips with its reason when Chromium or Playwright
is missing.
"""

import math
from pathlib import Path

from browser import open_client
import numpy as np
import pytest
from test_display_sensor_points import KINDS as SCALARS, reading
from test_display_vectors import accel, ogre_rotation_to, twist, wrench

from vuer_ros.displays import BY_MESSAGE_TYPE
from vuer_ros.displays.host import DisplayHost
from vuer_ros.settings import settings_from_values

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'
#: |(1, 3, 2)| x RViz2's default scale 2: the shaft length of both arrows.
LENGTH = 2.0 * math.sqrt(14.0)
#: How the client shows them (measured: lit shapes are shaded, everything is tone-mapped):
#: yellow (255, 255, 0) and cyan (0, 255, 255) shafts and heads, the unlit cyan circle, the
#: circle's head seen from the tip of its axis.
LIT_YELLOW = (201, 199, 57)
LIT_CYAN = (95, 205, 203)
CIRCLE_CYAN = (153, 227, 226)
SHADED_CYAN = (0, 105, 105)


def three(point) -> list:
    """Where the viewer shows ROS point (x, y, z) of the fixed frame: (x, z, -y)."""
    x, y, z = point
    return [x, z, -y]


def along(vector, length: float, origin=(0.0, 0.0, 0.0)) -> np.ndarray:
    vector = np.asarray(vector, dtype=float)
    return np.asarray(origin) + length * vector / np.linalg.norm(vector)


async def assert_colour_at(client, rgb, point, what: str, tolerance: int = 30) -> None:
    """Wait until colour ``rgb`` is drawn at the projection of ROS ``point``."""
    x, y, _ = await client.project(three(point))
    region = (x - 3, y - 3, x + 3, y + 3)

    async def covered():
        await client.render()
        blob = await client.find_colour(rgb, tolerance, region)
        return blob is not None and blob.count >= 9 and blob.contains((x, y))
    await client.wait_for(covered, what=f'{what}: colour {rgb} at ({x:.0f}, {y:.0f})')


async def assert_no_colour_at(client, rgb, point, what: str, tolerance: int = 30) -> None:
    """Colour ``rgb`` is not drawn at the projection of ROS ``point``."""
    x, y, _ = await client.project(three(point))
    found = await client.find_colour(rgb, tolerance, region=(x - 3, y - 3, x + 3, y + 3))
    assert found is None, f'{what}: {found} at ({x:.0f}, {y:.0f})'


#: kind -> (message builder, linear and angular part names)
SCREWS = {'wrench': (wrench, 'force', 'torque'), 'twist': (twist, 'linear', 'angular'),
          'accel': (accel, 'linear', 'angular')}


@pytest.mark.parametrize('kind', sorted(SCREWS))
async def test_arrows_and_circle_show_where_rviz_draws_them(served_app, kind):
    build, linear_name, angular_name = SCREWS[kind]
    app = served_app
    # RViz2's visual test settings: linear yellow, angular cyan, scales 2, width 4
    # (wrench_stamped_display_visual_test.cpp:49-54, twist_display_visual_test.cpp:49-54).
    host = DisplayHost(app, settings_from_values({
        'frame_axes': 0.0, f'{kind}_{linear_name}_color': '255; 255; 0',
        f'{kind}_{angular_name}_color': '0; 255; 255', f'{kind}_width': 4.0}))
    host.start()
    origin = np.array((1.0, -1.0, 0.0))
    host.scene.on_transform('map', f'{kind}_frame', origin, (0, 0, 0, 1))
    display = BY_MESSAGE_TYPE[f'geometry_msgs/msg/{kind.capitalize()}Stamped']
    host.show(display, f'/{kind}').on_message(build())
    linear, angular = (1, 3, 2), (3, 2, 1)
    turn = ogre_rotation_to((0, 0, 1), angular)
    async with open_client(app.port) as client:
        # RViz2's visual test camera: at (10, 10, 16) looking at the origin.
        await client.look_at(three((10, 10, 16)), three((0, 0, 0)))
        # The shafts run from the frame's origin for L, the heads on to 1.3 L
        # (wrench_visual.cpp:82-86, arrow.cpp:75-82); nothing beyond.
        for where in (0.25, 0.75, 1.15):
            await assert_colour_at(client, LIT_YELLOW, along(linear, where * LENGTH, origin),
                                   f'linear arrow at {where} L')
            await assert_colour_at(client, LIT_CYAN, along(angular, where * LENGTH, origin),
                                   f'angular arrow at {where} L')
        await assert_no_colour_at(client, LIT_YELLOW, along(linear, 1.45 * LENGTH, origin),
                                  'beyond the linear arrow')
        await client.screenshot(ARTIFACTS / f'browser-{kind}.png')
        # Down the angular axis: the unlit circle, radius L/4 and L/2 up the axis, in the
        # XY plane turned onto it, from 45 to 360 degrees; the head at 0 degrees points on
        # round, into the gap (wrench_visual.cpp:121-141).
        centre = origin + along(angular, LENGTH / 2)
        await client.look_at(three(centre + along(angular, 12.0)), three(centre))
        for degrees in (90, 180, 270):
            angle = math.radians(degrees)
            await assert_colour_at(client, CIRCLE_CYAN, origin + turn @ (
                LENGTH / 4 * math.cos(angle), LENGTH / 4 * math.sin(angle), LENGTH / 2),
                f'circle at {degrees} degrees')
        await assert_colour_at(client, SHADED_CYAN,
                               origin + turn @ (LENGTH / 4, 0.2, LENGTH / 2), 'circle head')
        await assert_no_colour_at(client, CIRCLE_CYAN, origin + turn @ (
            LENGTH / 4 * math.cos(0.4), LENGTH / 4 * math.sin(0.4), LENGTH / 2), 'the gap')
        await client.screenshot(ARTIFACTS / f'browser-{kind}-axis.png')


#: What the client shows for RViz2's colours of the readings below (measured: unlit, but
#: tone-mapped): '#0000ff', '#ffbf00', '#4000ff' and '#4900ff'.
SQUARES = {'illuminance': (800.0, (0, 0, 228)), 'temperature': (85.0, (231, 201, 65)),
           'relative_humidity': (0.85, (62, 0, 228)),
           'fluid_pressure': (104000.0, (73, 0, 228))}


async def test_readings_are_squares_in_rvizs_colours_at_their_frames(served_app):
    app = served_app
    # RViz2's default flat squares, made 1 m wide to be seen (its tests use 11 m spheres).
    host = DisplayHost(app, settings_from_values({'frame_axes': 0.0, **{
        f'{kind}_size': 1.0 for kind in SQUARES}}))
    host.start()
    places = {}
    for index, (kind, (value, _)) in enumerate(sorted(SQUARES.items())):
        places[kind] = np.array((-3.0 + 2.0 * index, 0.0, 0.5))
        host.scene.on_transform('map', f'{kind}_frame', places[kind], (0, 0, 0, 1))
        display = BY_MESSAGE_TYPE[SCALARS[kind][0]]
        host.show(display, f'/{kind}').on_message(reading(kind, value))
    async with open_client(app.port) as client:
        await client.look_at(three((0, -6, 4)), three((0, 0, 0.5)))
        for kind, (_, rgb) in SQUARES.items():
            # One point at the frame's origin (point_cloud_scalar_display.hpp:183-192),
            # 1 m across, facing the camera (whose right is +X here).
            for offset in (0.0, 0.4, -0.4):
                await assert_colour_at(client, rgb, places[kind] + (offset, 0, 0),
                                       f'{kind} square')
            await assert_no_colour_at(client, rgb, places[kind] + (0.7, 0, 0),
                                      f'beside the {kind} square')
        await client.screenshot(ARTIFACTS / 'browser-sensor-points.png')


async def test_temperature_sphere_changes_colour_as_in_rvizs_visual_test(served_app):
    app = served_app
    # temperature_display_visual_test.cpp:50-74: 11 m spheres, 15 then 85 degrees, seen
    # from (0, 0, 16).
    host = DisplayHost(app, settings_from_values({
        'frame_axes': 0.0, 'temperature_style': 'Spheres', 'temperature_size': 11.0}))
    host.start()
    host.scene.on_transform('map', 'temperature_frame', (0, 0, 0), (0, 0, 0, 1))
    display = host.show(BY_MESSAGE_TYPE['sensor_msgs/msg/Temperature'], '/temperature')
    display.on_message(reading('temperature', 15.0))
    async with open_client(app.port) as client:
        await client.look_at(three((0, -0.01, 16)), three((0, 0, 0)))
        # '#4000ff' and '#ffbf00' as the client lights them (measured).
        for rgb, name in (((23, 0, 205), 'low'), ((211, 171, 36), 'high')):
            for point in ((0, 0, 0), (4, 0, 0), (0, -4, 0)):
                await assert_colour_at(client, rgb, point, f'{name} temperature sphere')
            await assert_no_colour_at(client, rgb, (6, 0, 0), 'beyond its 5.5 m radius')
            await client.screenshot(ARTIFACTS / f'browser-temperature-{name}.png')
            display.on_message(reading('temperature', 85.0))
