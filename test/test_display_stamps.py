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
Time in the scene against a real Vuer app: stamps, as RViz2's MessageFilter, and stale frames.

base_link drives +x at 1 m/s in map (odom static at the origin); what a display draws
must land where base_link was at the message's stamp, not where it is when it arrives.
A frame no longer published is hidden after the frame timeout, as RViz2's TF display.
"""

import asyncio
from types import SimpleNamespace as Plain

from msg_factory import marker, pose_stamped, to_real, transform_stamped
import numpy as np
import pytest
from test_display_scene import group_of, marker_key, parents, position, Shown, texts, TOPIC
from test_display_tf import shown

from vuer_ros import Vuer
from vuer_ros.convert import markers as mk
from vuer_ros.displays import frames, shapes
from vuer_ros.displays import scene as display_scene


def time(seconds: float) -> Plain:
    """Return a builtin_interfaces/Time."""
    nanoseconds = round(seconds * 1e9)
    return Plain(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def stamped(message, seconds: float):
    message.header.stamp = time(seconds)
    return message


def drive(scene: Shown, *stamps: float) -> None:
    """Publish base_link at x = t (1 m/s) for each stamp t, as real TransformStamped."""
    for t in stamps:
        message = stamped(transform_stamped('odom', 'base_link', (t, 0, 0)), t)
        scene.on_transform_msg(to_real(message, 'geometry_msgs/msg/TransformStamped'))


@pytest.fixture
def robot() -> tuple[Vuer, Shown, list]:
    """Give the app, displays and warnings, base_link driving in map from 10 s to 11 s."""
    app, scene, warnings = shown(static_frames=['map odom 0 0 0 0 0 0'])
    drive(scene, 10.0, 10.5, 11.0)
    return app, scene, warnings


def cube(seconds: float, marker_id: int = 0, **fields):
    """Return a non-frame-locked cube 1 m ahead of base_link, stamped ``seconds``."""
    return stamped(marker(mk.CUBE, marker_id=marker_id, frame_id='base_link',
                          position=(1, 0, 0), **fields), seconds)


def test_a_marker_lands_where_its_frame_was_at_its_stamp(robot):
    app, scene, _ = robot
    scene.on_marker(TOPIC, to_real(cube(10.5), 'visualization_msgs/msg/Marker'), 0.0)
    # Placed at base_link's transform at 10.5 s (x = 10.5), not at the latest (x = 11).
    np.testing.assert_allclose(position(app, marker_key()), (11.5, 0, 0), atol=1e-9)
    assert parents(app)[marker_key()] == group_of('map')
    scene.on_marker(TOPIC, cube(10.25, marker_id=1), 0.0)   # interpolated between stamps
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (11.25, 0, 0),
                               atol=1e-9)
    drive(scene, 11.5)   # fixed in map: TF moving on does not move it
    np.testing.assert_allclose(position(app, marker_key()), (11.5, 0, 0), atol=1e-9)


def test_a_frame_locked_marker_follows_the_latest_transform(robot):
    app, scene, _ = robot
    scene.on_marker(TOPIC, cube(10.5, frame_locked=True), 0.0)
    np.testing.assert_allclose(position(app, marker_key()), (12, 0, 0), atol=1e-9)
    drive(scene, 11.5)
    np.testing.assert_allclose(position(app, marker_key()), (12.5, 0, 0), atol=1e-9)


def test_a_pose_is_placed_at_its_stamp(robot):
    app, scene, _ = robot
    message = stamped(pose_stamped((1, 0, 0), frame_id='base_link'), 10.5)
    scene.on_pose('pose', '/goal', to_real(message, 'geometry_msgs/msg/PoseStamped'))
    np.testing.assert_allclose(position(app, 'pose:/goal'), (11.5, 0, 0), atol=1e-9)
    assert parents(app)['pose:/goal'] == group_of('map', '/goal')


def test_a_stamp_past_the_newest_transform_waits_for_tf(robot):
    app, scene, warnings = robot
    scene.on_marker(TOPIC, cube(11.2), 0.0)
    assert marker_key() not in app.scene and not warnings
    drive(scene, 11.1)
    assert marker_key() not in app.scene
    drive(scene, 11.4)   # TF passed 11.2: drawn where base_link was then
    np.testing.assert_allclose(position(app, marker_key()), (12.2, 0, 0), atol=1e-9)
    assert not warnings


def test_the_previous_drawing_stays_while_the_next_one_waits(robot):
    app, scene, _ = robot
    for seconds in (10.5, 11.3):
        message = stamped(pose_stamped((1, 0, 0), frame_id='base_link'), seconds)
        scene.on_pose('pose', '/goal', message)
    np.testing.assert_allclose(position(app, 'pose:/goal'), (11.5, 0, 0), atol=1e-9)
    drive(scene, 11.5)
    np.testing.assert_allclose(position(app, 'pose:/goal'), (12.3, 0, 0), atol=1e-9)


def test_a_wait_past_tf_wait_drops_the_message_with_a_warning(robot):
    app, scene, warnings = robot
    now = [100.0]
    scene.host.scene.clock = lambda: now[0]
    scene.on_marker(TOPIC, cube(12.0), 0.0)
    now[0] += display_scene.TF_WAIT
    drive(scene, 11.5)   # TF still behind 12 s, and the wait is over
    assert marker_key() not in app.scene
    drive(scene, 12.5)
    assert marker_key() not in app.scene
    [(key, text)] = warnings
    assert key == f'stamp:{TOPIC}'
    assert text.startswith(f'{TOPIC}: TF did not reach its stamp within 0.5 s (frame=[base_link]'
                           ', stamp=[12.000000]): Lookup would require extrapolation into the '
                           'future.  Requested time 12.000000 but the latest data is at time '
                           '11.500000, when looking up transform from frame [base_link] to '
                           'frame [map]')


def test_a_stamp_older_than_the_history_is_refused_with_tf2s_words(robot):
    app, scene, warnings = robot
    scene.on_marker(TOPIC, cube(9.0), 0.0)
    assert marker_key() not in app.scene
    [text] = texts(warnings, 'too old')
    assert text == (f'{TOPIC}: Message removed because it is too old (frame=[base_link], '
                    'stamp=[9.000000]): Lookup would require extrapolation into the past.  '
                    'Requested time 9.000000 but the earliest data is at time 10.000000, when '
                    'looking up transform from frame [base_link] to frame [map]; not drawn')


def test_a_stamped_message_in_an_unknown_frame_waits_with_rviz2s_status(robot):
    app, scene, warnings = robot
    scene.on_marker(TOPIC, stamped(marker(mk.CUBE, frame_id='laser'), 10.5), 0.0)
    assert marker_key() not in app.scene
    assert texts(warnings, 'No transform to fixed frame [map]')
    scene.on_transform('base_link', 'laser', (0, 0, 1), (0, 0, 0, 1), static=True)
    np.testing.assert_allclose(position(app, marker_key()), (10.5, 0, 1), atol=1e-9)


def test_a_shape_is_placed_at_its_stamp(robot):
    app, scene, _ = robot
    point = Plain(header=Plain(frame_id='base_link', stamp=time(10.5)),
                  point=Plain(x=1.0, y=0.0, z=0.0))
    scene.host.show(shapes.PointStampedDisplay, '/point').on_message(point)
    key = next(key for key in app.scene.keys() if key.startswith('point:/point'))
    np.testing.assert_allclose(position(app, key), (11.5, 0, 0), atol=1e-9)


# -- frames as RViz2's TF display shows them -------------------------------------------------

def test_a_frame_not_published_for_the_timeout_is_hidden_until_it_is_again():
    now = [100.0]
    app, scene, _ = shown(frame_axes=0.3, frame_names=True, frame_timeout=15.0,
                          static_frames=['map odom 0 0 0 0 0 0'])
    scene.host.scene.clock = lambda: now[0]
    drive(scene, 1.0)
    scene.on_transform('base_link', 'laser', (0, 0, 1), (0, 0, 0, 1), static=True)
    assert scene.next_stale() == 115.0
    now[0] = 110.0
    drive(scene, 2.0)                      # heard again: its timeout starts over
    assert scene.hide_stale_frames(114.9) == 125.0
    assert {'axes:base_link', 'name:base_link'} <= set(parents(app))
    assert scene.hide_stale_frames(125.0) is None
    assert 'axes:base_link' not in app.scene and 'name:base_link' not in app.scene
    # Static frames never time out; the frames below a stale one still resolve.
    assert {'axes:map', 'axes:odom', 'axes:laser'} <= set(parents(app))
    drive(scene, 3.0)
    assert parents(app)['axes:base_link'] == 'tf@base_link'
    np.testing.assert_allclose(position(app, 'axes:base_link'), (3, 0, 0), atol=1e-9)


def test_frame_names_hang_below_the_axes_when_asked():
    app, scene, _ = shown(frame_axes=0.3, frame_names=True)
    drive(scene, 1.0)
    scene.on_transform('map', 'odom', (0, 0, 0), (0, 0, 0, 1), static=True)
    assert parents(app)['name:base_link'] == 'tf@base_link'
    text = app.scene.get('name:base_link/text')
    assert text['children'] == ['base_link'] and text['fontSize'] == 0.15
    assert app.scene.get('name:base_link')['tag'] == 'Billboard'
    assert 'name:map' in app.scene
    plain, _, _ = shown(frame_axes=0.3)   # RViz2's Show Names is off by default
    assert 'axes:map' in plain.scene and 'name:map' not in plain.scene


async def test_the_tf_display_hides_a_silent_frame_on_time_without_polling():
    app, scene, _ = shown(frame_axes=0.3, frame_timeout=0.2,
                          static_frames=['map odom 0 0 0 0 0 0'])
    scene.host.context.loop = asyncio.get_running_loop()
    display = scene.host.show(frames.TransformDisplay, '/transforms')
    display.on_message(stamped(transform_stamped('odom', 'base_link', (1, 0, 0)), 1.0))
    assert 'axes:base_link' in app.scene
    await asyncio.sleep(0.3)
    assert 'axes:base_link' not in app.scene and 'axes:odom' in app.scene
    display.on_message(stamped(transform_stamped('odom', 'base_link', (2, 0, 0)), 2.0))
    assert 'axes:base_link' in app.scene
    scene.host.close()
