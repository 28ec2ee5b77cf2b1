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
Broken TF graphs against a real Vuer app: what tf2 resolves stays drawn, the rest waits.

tf2 resolves a lookup by walking parent links up from the frame and from the fixed frame
(ros2/geometry2 tf2/src/buffer_core.cpp, ``BufferCore::walkToTopParent``), so RViz2 still
draws every frame whose walk meets the fixed frame's, whatever else is wrong. The graphs
here are fed as real geometry_msgs/TransformStamped messages, through the TF display (in a
plain TFMessage: tf2_msgs is not in the test environments) and TransformStamped topics;
the markers, poses and paths are real messages too.
"""

import math
from types import SimpleNamespace as Plain

from browser import open_client, require_browser
from msg_factory import marker, pose_stamped, to_real, transform_stamped
import numpy as np
import pytest
from test_browser_displays import ARTIFACTS, BLUE, RED
from test_convert_poses import path
from test_display_scene import group_of, marker_key, parents, position, Shown, texts, yaw

from vuer_ros import Vuer
from vuer_ros.convert import markers as mk
from vuer_ros.displays import frames

YAW_90 = (0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4))
#: tf2's error for a walk that goes round a loop (buffer_core.cpp, walkToTopParent).
LOOP = 'The tf tree is invalid because it contains a loop.'
#: RViz2's transform status around tf2's error (TFFrameTransformer::canTransform).
NO_TRANSFORM = 'No transform to fixed frame [{fixed}]. TF error: [{error}]'


def shown(**values) -> tuple[Vuer, Shown, list]:
    """
    Start displays (fixed frame 'map' unless given) on an app that is never served.

    Returns the app, whose shared scene is what clients get, the displays, and the
    ``(key, text)`` warnings they give.
    """
    app, warnings = Vuer(host='127.0.0.1', port=0), []
    return app, Shown(app, warnings, **values), warnings


def tf(scene: Shown, *edges, static: bool = False) -> None:
    """Publish one TFMessage of real TransformStamped: ``(parent, child, xyz[, xyzw])`` each."""
    message = to_real(Plain(transforms=[transform_stamped(*edge) for edge in edges]),
                      'tf2_msgs/msg/TFMessage')
    scene.on_tf_message(message, static)


def cube(scene: Shown, marker_id: int, frame_id: str, **fields) -> None:
    """Publish a real frame-locked cube marker 1 m ahead (+x) in ``frame_id``."""
    message = marker(mk.CUBE, marker_id=marker_id, frame_id=frame_id, position=(1, 0, 0),
                     frame_locked=True, **fields)
    scene.on_marker('/visualization_marker', to_real(message, 'visualization_msgs/msg/Marker'),
                    0.0)


def statuses(warnings: list, frame: str) -> list[str]:
    """Return the transform statuses said for ``frame`` (the node throttles them per frame)."""
    return [text for key, text in warnings if key == f'frame:{frame}']


def robot(scene: Shown) -> None:
    """Publish map -> odom (1, 0, 0) -> base_link (2, 0, 0) turned 90 degrees -> arm -> hand."""
    tf(scene, ('map', 'odom', (1, 0, 0)), ('odom', 'base_link', (2, 0, 0), YAW_90),
       ('base_link', 'arm', (0, 0, 1)), ('arm', 'hand', (0, 0, 0.5)))


def test_a_loop_through_the_fixed_frame_hides_nothing():
    app, scene, warnings = shown(frame_axes=0.3)
    robot(scene)
    cube(scene, 0, 'base_link')
    scene.on_pose('pose', '/goal', to_real(pose_stamped((0, 1, 0), frame_id='odom'),
                                           'geometry_msgs/msg/PoseStamped'))
    scene.on_pose('path', '/plan', to_real(path((0, 0, 0), (1, 1, 0), frame_id='hand'),
                                           'nav_msgs/msg/Path'))
    # A misconfigured publisher on a TransformStamped topic makes map a child of hand.
    bad = to_real(transform_stamped('hand', 'map'), 'geometry_msgs/msg/TransformStamped')
    scene.host.show(frames.TransformDisplay, '/bad_transform').on_message(bad)
    loop_warnings = texts(warnings, LOOP)
    assert [key for key, text in warnings if text in loop_warnings] == ['tf']
    assert all(f'Frame {child} exists with parent {parent}.' in loop_warnings[0]
               for child, parent in [('map', 'hand'), ('hand', 'arm'), ('arm', 'base_link'),
                                     ('base_link', 'odom'), ('odom', 'map')])
    # Every frame's walk up reaches map (walkToTopParent's TargetParentOfSource early out),
    # so everything is drawn where it was: base_link at (3, 0, 0) turned 90 degrees.
    np.testing.assert_allclose(position(app, marker_key()), (3, 1, 0), atol=1e-12)
    assert yaw(app, marker_key()) == pytest.approx(math.pi / 2)
    np.testing.assert_allclose(position(app, 'pose:/goal'), (1, 1, 0), atol=1e-12)
    np.testing.assert_allclose(position(app, group_of('hand', '/plan')), (3, 0, 1.5),
                               atol=1e-12)
    assert parents(app)['path:/plan'] == group_of('hand', '/plan')
    for frame in ('map', 'odom', 'base_link', 'arm', 'hand'):
        assert parents(app)[f'axes:{frame}'] == f'tf@{frame}'
    assert not any(key.startswith('frame:') for key, _ in warnings)
    # The robot keeps driving: its frames keep moving.
    tf(scene, ('odom', 'base_link', (5, 0, 0), YAW_90))
    np.testing.assert_allclose(position(app, marker_key()), (6, 1, 0), atol=1e-12)
    np.testing.assert_allclose(position(app, group_of('hand', '/plan')), (6, 0, 1.5),
                               atol=1e-12)


def test_a_loop_in_the_arm_hides_the_arm_only_until_it_is_fixed():
    app, scene, warnings = shown(frame_axes=0.3)
    robot(scene)
    for marker_id, frame in enumerate(('base_link', 'arm', 'hand')):
        cube(scene, marker_id, frame)
    tf(scene, ('hand', 'arm', (0, 0, -0.5)))   # arm's parent is hand now: arm <-> hand
    assert texts(warnings, "frame 'arm' changed parent from 'base_link' (dynamic) to 'hand'")
    assert texts(warnings, f'{LOOP}\nFrame arm exists with parent hand.\n'
                           'Frame hand exists with parent arm.')
    # tf2's walk up from arm or hand goes round the loop: they wait, axes and all ...
    tree = parents(app)
    for marker_id, frame, other in ((1, 'arm', 'hand'), (2, 'hand', 'arm')):
        assert marker_key(marker_id=marker_id) not in tree and f'axes:{frame}' not in tree
        error = (f'{LOOP}\nFrame {frame} exists with parent {other}.\n'
                 f'Frame {other} exists with parent {frame}.')
        assert statuses(warnings, frame) == [   # the marker and the axes wait
            NO_TRANSFORM.format(fixed='map', error=error) + '; 2 message(s) wait for it']
    # ... and the rest of the robot stays.
    np.testing.assert_allclose(position(app, marker_key()), (3, 1, 0), atol=1e-12)
    assert 'axes:base_link' in tree and not statuses(warnings, 'base_link')
    # A message in a waiting frame waits too, with the status again.
    cube(scene, 3, 'hand')
    assert marker_key(marker_id=3) not in app.scene
    assert statuses(warnings, 'hand')[-1].endswith('; 3 message(s) wait for it')
    # The publisher is fixed: the arm comes back where it belongs.
    tf(scene, ('base_link', 'arm', (0, 0, 1)), ('arm', 'hand', (0, 0, 0.5)))
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (3, 1, 1), atol=1e-12)
    for marker_id in (2, 3):
        np.testing.assert_allclose(position(app, marker_key(marker_id=marker_id)),
                                   (3, 1, 1.5), atol=1e-12)
    np.testing.assert_allclose(position(app, 'axes:hand'), (3, 0, 1.5), atol=1e-12)


def test_a_loop_above_the_fixed_frame_leaves_the_frames_below_it():
    app, scene, warnings = shown(fixed_frame='odom')
    tf(scene, ('map', 'odom', (1, 0, 0)), ('odom', 'base_link', (2, 0, 0)),
       ('map', 'dock', (0, 5, 0)), ('earth', 'map'))
    cube(scene, 0, 'base_link')
    cube(scene, 1, 'dock')
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (0, 5, 0), atol=1e-12)
    tf(scene, ('map', 'earth'))   # map <-> earth
    # From dock tf2 walks round map <-> earth; from base_link it meets odom at once.
    assert marker_key(marker_id=1) not in app.scene
    assert statuses(warnings, 'dock')[-1] == NO_TRANSFORM.format(
        fixed='odom', error=f'{LOOP}\nFrame map exists with parent earth.\n'
                            'Frame earth exists with parent map.') + \
        '; 1 message(s) wait for it'
    np.testing.assert_allclose(position(app, marker_key()), (3, 0, 0), atol=1e-12)
    tf(scene, ('world', 'earth'))   # earth hangs in world again: the loop is gone
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (0, 5, 0), atol=1e-12)


def test_two_parents_fighting_over_a_frame_warn_once_and_the_last_wins():
    app, scene, warnings = shown()
    tf(scene, ('map', 'table', (2, 0, 0)), static=True)
    tf(scene, ('map', 'gripper', (0, 3, 0)))
    tf(scene, ('table', 'cup', (0, 0, 1)), static=True)
    cube(scene, 0, 'cup')
    np.testing.assert_allclose(position(app, marker_key()), (3, 0, 1), atol=1e-12)
    for step in range(20):   # a grasp node and a static publisher both claim the cup
        if step % 2:
            tf(scene, ('table', 'cup', (0, 0, 1)), static=True)
            expected = (3, 0, 1)
        else:
            tf(scene, ('gripper', 'cup', (0, 0, 0.1)))
            expected = (1, 3, 0.1)
        np.testing.assert_allclose(position(app, marker_key()), expected, atol=1e-12)
    assert [text for _, text in warnings] == [
        "frame 'cup' changed parent from 'table' (static) to 'gripper': "
        'the last transform wins, as in tf2']


def test_a_disconnected_tree_waits_with_rviz2s_status_until_connected():
    app, scene, warnings = shown()
    robot(scene)
    tf(scene, ('camera_link', 'camera_optical', (0, 0, 0), (-0.5, 0.5, -0.5, 0.5)),
       static=True)
    cube(scene, 0, 'base_link')
    cube(scene, 1, 'camera_optical')
    cube(scene, 2, 'lidar')
    assert marker_key(marker_id=1) not in app.scene and marker_key(marker_id=2) not in app.scene
    # tf2 buffer_core.cpp createConnectivityErrorString, as RViz2's marker status shows it
    assert statuses(warnings, 'camera_optical') == [NO_TRANSFORM.format(
        fixed='map', error="Could not find a connection between 'map' and 'camera_optical' "
        'because they are not part of the same tree.Tf has two or more unconnected trees.') +
        '; 1 message(s) wait for it']
    # a frame no transform names is a tree of its own in tf2's walk
    assert "between 'map' and 'lidar' because" in statuses(warnings, 'lidar')[0]
    np.testing.assert_allclose(position(app, marker_key()), (3, 1, 0), atol=1e-12)
    tf(scene, ('base_link', 'camera_link', (0.5, 0, 0)), static=True)
    # camera_link is at map (3, 0.5, 0) turned as base_link; camera_optical is turned as
    # REP 103 optical frames are: its x is camera_link's -y, which is map's +x
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (4, 0.5, 0), atol=1e-12)
    # Losing the link again hides it, and says why once for what it holds.
    tf(scene, ('rig', 'camera_link'), static=True)
    assert marker_key(marker_id=1) not in app.scene
    assert statuses(warnings, 'camera_optical')[-1].startswith(
        'No transform to fixed frame [map]. TF error: [Could not find a connection between '
        "'map' and 'camera_optical'")


def three(x: float, y: float, z: float) -> list[float]:
    """Where ROS point (x, y, z) of the fixed frame is in the viewer's Y-up world."""
    return [x, z, -y]


@pytest.mark.browser
async def test_the_client_keeps_the_robot_and_loses_only_the_looped_arm(served_app):
    """The real client: a base cube stays put while the arm's loop hides the hand cube."""
    require_browser()
    scene = Shown(served_app, [])
    robot(scene)
    size = (0.4, 0.4, 0.4)
    cube(scene, 0, 'base_link', color=(1, 0, 0, 1), scale=size)   # at map (3, 1, 0)
    cube(scene, 1, 'hand', color=(0, 0, 1, 1), scale=size)        # at map (3, 1, 1.5)
    async with open_client(served_app.port) as client:
        await client.look_at(three(3, -3, 1.5), three(3, 1, 0.75))
        places = {colour: await client.project(three(3, 1, z))
                  for colour, z in ((RED, 0), (BLUE, 1.5))}

        async def seen(colour) -> bool:
            x, y, _ = places[colour]
            blob = await client.wait_for_colour(colour, region=(x - 80, y - 80, x + 80, y + 80))
            return blob.contains(places[colour])

        async def gone() -> bool:
            await client.render()
            return await client.find_colour(BLUE) is None

        assert await seen(RED) and await seen(BLUE)
        tf(scene, ('hand', 'arm', (0, 0, -0.5)))   # the arm's loop
        await client.wait_for(gone, what='the hand cube to wait')
        await client.screenshot(ARTIFACTS / 'browser-tf-loop.png')
        assert await seen(RED), 'the base, which tf2 still resolves, stays where it was'
        tf(scene, ('base_link', 'arm', (0, 0, 1)))   # fixed
        assert await seen(BLUE)
        await client.screenshot(ARTIFACTS / 'browser-tf-loop-fixed.png')
        assert client.console_errors() == []
