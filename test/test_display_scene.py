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
The displays and their scene against a real Vuer app: what every client would show.

No mocks: the target is a ``vuer_ros.Vuer`` app whose shared scene (``app.scene``) keeps
the client's own rules (merge on upsert, orphans dropped, removes take subtrees), so the
assertions read what a browser would hold. Rules: /work/shared/reference/rviz-markers.md.
"""

import asyncio
import hashlib
import math
import re
from types import SimpleNamespace as Plain
from typing import Optional

import aiohttp
from msg_factory import header, marker, node_matrix, pose, pose_stamped, to_real
from msg_factory import transform_stamped
import numpy as np
import pytest

from vuer_ros import Vuer
from vuer_ros.convert import markers as mk
from vuer_ros.displays import frames, markers, odometry, paths, poses
from vuer_ros.displays import scene as display_scene
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.scene import RosScene
from vuer_ros.resources import MeshResources
from vuer_ros.settings import settings_from_values

MARKER = 'visualization_msgs/msg/Marker'
TOPIC = '/visualization_marker'
YAW_90 = (0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4))
STL = (b'solid part\nfacet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n'
       b'  vertex 0 1 0\n endloop\nendfacet\nendsolid part\n')
SECRET = b'not for browsers'


# -- set-up and probes ---------------------------------------------------------------------

@pytest.fixture
def app() -> Vuer:
    """Give a Vuer app whose server is never started: its shared scene is the record."""
    return Vuer(host='127.0.0.1', port=0)


@pytest.fixture
def warnings() -> list:
    """Collect ``warn(topic, text)`` calls."""
    return []


POSE_DISPLAYS = {kind.kind: kind
                 for kind in (*poses.DISPLAYS, *odometry.DISPLAYS, *paths.DISPLAYS)}


class Shown:
    """
    A started DisplayHost fed message by message, as the node feeds it.

    Marker times are given explicitly (``now``), so lifetimes are tested without waiting.
    """

    def __init__(self, app: Vuer, warnings: list, meshes=None, **values) -> None:
        settings = settings_from_values({'fixed_frame': 'map', 'frame_axes': 0.0, **values})
        self.host = DisplayHost(app, settings, meshes=meshes,
                                warn=lambda key, text: warnings.append((key, text)))
        self.host.start()
        self.frames = self.host.scene.frames

    def __getattr__(self, name: str):
        return getattr(self.host.scene, name)   # on_transform, draw, erase ...

    def _markers(self, topic: str, kind=markers.MarkerDisplay):
        return self.host.show(kind, topic).markers

    def on_marker(self, topic: str, marker, now: float) -> None:
        self._markers(topic).on_marker(marker, now)

    def on_marker_array(self, topic: str, array, now: float) -> None:
        display = self.host.show(markers.MarkerArrayDisplay, topic)
        display.markers.now = lambda: now
        display.on_message(array)

    def _marker_topics(self) -> list:
        return list({id(d.markers): d.markers for d in self.host.displays.values()
                     if isinstance(d, markers.MarkerDisplay)}.values())

    def expire(self, now: float):
        ends = [each.expire(now) for each in self._marker_topics()]
        return min((end for end in ends if end is not None), default=None)

    def next_expiry(self):
        ends = [each.store.next_expiry() for each in self._marker_topics()]
        return min((end for end in ends if end is not None), default=None)

    def on_pose(self, kind: str, topic: str, message) -> None:
        self.host.show(POSE_DISPLAYS[kind], topic).on_message(message)

    def on_tf_message(self, message, static: bool = False) -> None:
        self.host.show(frames.TfDisplay, '/tf_static' if static else '/tf').on_message(message)


@pytest.fixture
def scene(app, warnings) -> Shown:
    """Give started displays with fixed frame 'map'."""
    return Shown(app, warnings)


def parents(app: Vuer) -> dict[str, Optional[str]]:
    """Map every top-level key of the shared scene to its parent key."""
    return {node['key']: parent for node, parent in app.scene.entries()}


def in_fixed_frame(app: Vuer, key: str) -> np.ndarray:
    """
    Return where node ``key`` is in the fixed frame 'map', as a 4x4 ROS transform.

    Multiplies the props of the node and of its ancestors up to 'frame:map', as three.js
    does, so it checks what the client draws, however the groups are nested.
    """
    tree = parents(app)
    matrix = np.eye(4)
    while key != 'ros-root':
        assert key in tree, f'{key} is not attached to the fixed frame'
        matrix = node_matrix(app.scene.get(key)) @ matrix
        key = tree[key]
    return matrix


def position(app: Vuer, key: str) -> np.ndarray:
    return in_fixed_frame(app, key)[:3, 3]


def yaw(app: Vuer, key: str) -> float:
    rotation = in_fixed_frame(app, key)[:3, :3]
    return math.atan2(rotation[1, 0], rotation[0, 0])


def texts(warnings: list, word: str) -> list[str]:
    """Warning texts that contain ``word``."""
    return [text for _, text in warnings if word in text]


def marker_key(ns: str = 'test', marker_id: int = 0, topic: str = TOPIC) -> str:
    return f'marker:{topic}:{ns}:{marker_id}'


def connect_base_link(scene: RosScene) -> None:
    """Connect map -> odom (identity) -> base_link at (2, 0, 0), yawed 90 degrees."""
    scene.on_transform('map', 'odom', (0, 0, 0), (0, 0, 0, 1))
    scene.on_transform('odom', 'base_link', (2, 0, 0), YAW_90)


# -- start and frames ----------------------------------------------------------------------

def test_start_puts_the_z_up_root_and_the_fixed_frame_in_the_scene(app, scene):
    assert parents(app) == {'ros-root': None}
    root = app.scene.get('ros-root')
    assert root['rotation'] == pytest.approx([-math.pi / 2, 0, 0])
    # ROS (x, y, z) shows at three.js (x, z, -y).
    np.testing.assert_allclose(node_matrix(root)[:3, :3] @ (1, 2, 3), (1, 3, -2), atol=1e-12)


def group_of(frame: str, topic: str = TOPIC) -> str:
    """Key of the group in which ``topic`` draws what is in ``frame``."""
    return f'{topic}@{frame}'


def test_frame_axes_are_drawn_in_every_resolved_frame(app):
    scene = Shown(app, [], frame_axes=0.25)
    assert parents(app)['axes:map'] == 'tf@map'
    assert parents(app)['tf@map'] == 'tf' and parents(app)['tf'] == 'ros-root'
    assert app.scene.get('axes:map')['scale'] == 0.25
    assert app.scene.get('axes:map')['tag'] == 'CoordsMarker'
    connect_base_link(scene)
    assert parents(app)['axes:odom'] == 'tf@odom'
    assert parents(app)['axes:base_link'] == 'tf@base_link'
    np.testing.assert_allclose(position(app, 'axes:base_link'), (2, 0, 0), atol=1e-12)
    assert yaw(app, 'axes:base_link') == pytest.approx(math.pi / 2)


@pytest.mark.parametrize('as_real', [False, True])
def test_transforms_place_frame_groups_in_the_fixed_frame(app, as_real):
    scene = Shown(app, [], frame_axes=0.1)
    for msg in (transform_stamped('map', 'odom', (1, 0, 0)),
                transform_stamped('odom', 'base_link', (2, 0, 0), YAW_90)):
        scene.on_transform_msg(to_real(msg, 'geometry_msgs/msg/TransformStamped')
                               if as_real else msg)
    tree = parents(app)
    # Flat: every frame group hangs in its topic's group, placed in the fixed frame.
    assert tree['tf@odom'] == 'tf' and tree['tf@base_link'] == 'tf'
    base_link = app.scene.get('tf@base_link')
    assert base_link['position'] == pytest.approx([3, 0, 0])
    assert base_link['rotation'] == pytest.approx([0, 0, math.pi / 2])


def test_no_frame_axes_by_default(app, scene):
    connect_base_link(scene)
    assert 'axes:map' not in app.scene and 'tf' not in app.scene


def test_static_frame_from_the_configuration(app):
    Shown(app, [], frame_axes=0.1, static_frames=['map laser 1 2 3 0 0 1.5707963267948966'])
    laser = app.scene.get('tf@laser')
    assert laser['position'] == pytest.approx([1, 2, 3])
    assert laser['rotation'] == pytest.approx([0, 0, math.pi / 2])


def test_edge_towards_the_fixed_frame_is_inverted(app, scene):
    scene.on_transform('world', 'map', (1, 0, 0), (0, 0, 0, 1))
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='world', frame_locked=True), 0.0)
    np.testing.assert_allclose(position(app, marker_key()), (-1, 0, 0), atol=1e-12)


def test_transform_updates_move_the_group_and_keep_its_markers(app, scene):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', position=(1, 0, 0),
                                  frame_locked=True), 0.0)
    before = parents(app)
    for step in range(100):
        scene.on_transform('odom', 'base_link', (step * 0.01, 0, 0), (0, 0, 0, 1))
    assert parents(app) == before
    assert parents(app)[marker_key()] == group_of('base_link')
    assert parents(app)[group_of('base_link')] == TOPIC
    assert app.scene.get(group_of('base_link'))['position'] == pytest.approx([0.99, 0, 0])
    assert app.scene.get(group_of('base_link'))['rotation'] == pytest.approx([0, 0, 0])
    np.testing.assert_allclose(position(app, marker_key()), (1.99, 0, 0), atol=1e-12)
    assert app.scene.get(f'{marker_key()}/box') is not None


def test_moving_a_parent_frame_moves_what_hangs_below_it(app, warnings):
    scene = Shown(app, warnings, frame_axes=0.5)
    connect_base_link(scene)
    scene.on_transform('base_link', 'laser', (0, 0, 1), (0, 0, 0, 1))
    scene.on_marker(TOPIC, marker(mk.SPHERE, marker_id=1, frame_id='laser',
                                  frame_locked=True), 0.0)
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (2, 0, 1), atol=1e-12)
    scene.on_transform('map', 'odom', (0, 4, 0), (0, 0, 0, 1))
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (2, 4, 1), atol=1e-12)
    np.testing.assert_allclose(position(app, 'axes:laser'), (2, 4, 1), atol=1e-12)


def test_reparented_frame_keeps_its_markers_and_child_frames(app, warnings):
    scene = Shown(app, warnings, frame_axes=0.5)
    connect_base_link(scene)
    scene.on_transform('base_link', 'laser', (0, 0, 1), (0, 0, 0, 1))
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    scene.on_marker(TOPIC, marker(mk.SPHERE, marker_id=1, frame_id='laser',
                                  frame_locked=True), 0.0)
    scene.on_transform('map', 'base_link', (5, 0, 0), (0, 0, 0, 1))
    tree = parents(app)
    assert tree[marker_key()] == group_of('base_link')
    assert tree[marker_key(marker_id=1)] == group_of('laser')
    assert tree['axes:base_link'] == 'tf@base_link' and tree['axes:laser'] == 'tf@laser'
    np.testing.assert_allclose(position(app, marker_key()), (5, 0, 0), atol=1e-12)
    np.testing.assert_allclose(position(app, marker_key(marker_id=1)), (5, 0, 1), atol=1e-12)
    np.testing.assert_allclose(position(app, 'axes:odom'), (0, 0, 0), atol=1e-12)
    assert texts(warnings, "'base_link' changed parent")


def test_frozen_marker_stays_put_when_its_frame_is_reparented(app, scene):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', position=(1, 0, 0)), 0.0)
    np.testing.assert_allclose(position(app, marker_key()), (2, 1, 0), atol=1e-12)
    scene.on_transform('map', 'base_link', (5, 0, 0), (0, 0, 0, 1))
    np.testing.assert_allclose(position(app, marker_key()), (2, 1, 0), atol=1e-12)


def test_frame_without_a_path_to_the_fixed_frame_waits(app, scene, warnings):
    scene.on_transform('odom', 'base_link', (2, 0, 0), YAW_90)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', position=(1, 0, 0),
                                  frame_locked=True), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, marker_id=1, frame_id='base_link',
                                  position=(1, 0, 0)), 0.0)
    assert set(parents(app)) == {'ros-root'}   # nothing at the origin
    assert marker_key() not in app.scene and f'{marker_key()}/box' not in app.scene
    assert [topic for topic, _ in warnings] == ['frame:base_link'] * 2
    assert all("'base_link'" in text and "'map'" in text for _, text in warnings)
    scene.on_transform('map', 'odom', (0, 0, 0), (0, 0, 0, 1))
    assert parents(app)[marker_key()] == group_of('base_link')
    assert parents(app)[marker_key(marker_id=1)] == group_of('map')   # frozen when resolved
    for key in (marker_key(), marker_key(marker_id=1)):
        np.testing.assert_allclose(position(app, key), (2, 1, 0), atol=1e-12)


def test_frame_that_loses_the_fixed_frame_hides_its_markers_until_found(app, scene):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    scene.on_transform('ghost', 'base_link', (0, 0, 0), (0, 0, 0, 1))
    assert group_of('base_link') not in app.scene and marker_key() not in app.scene
    scene.on_transform('map', 'ghost', (0, 3, 0), (0, 0, 0, 1))
    assert parents(app)[marker_key()] == group_of('base_link')
    np.testing.assert_allclose(position(app, marker_key()), (0, 3, 0), atol=1e-12)


def test_bad_transforms_are_ignored_with_a_warning(app, scene, warnings):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    before = {key: dict(app.scene.get(key)) for key in parents(app)}
    scene.on_transform('odom', 'base_link', (math.nan, 0, 0), (0, 0, 0, 1))
    scene.on_transform('odom', 'odom', (1, 0, 0), (0, 0, 0, 1))
    assert {key: app.scene.get(key) for key in parents(app)} == before
    assert [topic for topic, _ in warnings] == ['tf', 'tf']
    assert texts(warnings, 'NaN') and texts(warnings, 'same parent and child')


def test_a_loop_in_the_tf_tree_keeps_what_tf2_resolves_drawn(app, scene, warnings):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    scene.on_transform('base_link', 'map', (0, 0, 0), (0, 0, 0, 1))
    # tf2 walks up from base_link through odom to map: the loop through map hides nothing
    assert parents(app)[marker_key()] == group_of('base_link')
    np.testing.assert_allclose(position(app, marker_key()), (2, 0, 0), atol=1e-12)
    assert texts(warnings, 'The tf tree is invalid because it contains a loop.')
    scene.on_transform('world', 'map', (0, 0, 0), (0, 0, 0, 1))   # map's parent is world now
    assert parents(app)[marker_key()] == group_of('base_link')
    np.testing.assert_allclose(position(app, marker_key()), (2, 0, 0), atol=1e-12)


# -- markers -------------------------------------------------------------------------------

def test_every_topic_has_its_own_group_for_the_eye_icon(app, scene):
    scene.on_marker(TOPIC, marker(mk.CUBE), 0.0)
    scene.on_marker('/other_marker', marker(mk.CUBE), 0.0)
    scene.on_pose('pose', '/goal', pose_stamped((1, 2, 0), YAW_90))
    tree = parents(app)
    for topic in (TOPIC, '/other_marker', '/goal'):
        assert tree[topic] == 'ros-root' and tree[group_of('map', topic)] == topic
    assert tree[marker_key(topic='/other_marker')] == group_of('map', '/other_marker')


@pytest.mark.parametrize('as_real', [False, True])
def test_frame_locked_marker_hangs_in_its_frame_group(app, scene, as_real):
    connect_base_link(scene)
    msg = marker(mk.CUBE, frame_id='base_link', position=(1, 0, 0), scale=(1, 2, 3),
                 frame_locked=True)
    scene.on_marker(TOPIC, to_real(msg, MARKER) if as_real else msg, 0.0)
    assert parents(app)[marker_key()] == group_of('base_link')
    node = app.scene.get(marker_key())
    assert node['position'] == pytest.approx([1, 0, 0])
    assert app.scene.get(f'{marker_key()}/box')['args'] == pytest.approx([1, 2, 3])
    np.testing.assert_allclose(position(app, marker_key()), (2, 1, 0), atol=1e-12)


@pytest.mark.parametrize('as_real', [False, True])
def test_marker_not_frame_locked_is_frozen_in_the_fixed_frame(app, scene, as_real):
    connect_base_link(scene)
    msg = marker(mk.CUBE, frame_id='base_link', position=(1, 0, 0))
    scene.on_marker(TOPIC, to_real(msg, MARKER) if as_real else msg, 0.0)
    assert parents(app)[marker_key()] == group_of('map')
    node = app.scene.get(marker_key())
    assert node['position'] == pytest.approx([2, 1, 0])
    assert node['rotation'] == pytest.approx([0, 0, math.pi / 2])
    assert app.scene.get(f'{marker_key()}/box') is not None
    # Later transforms do not move it: RViz froze it at arrival.
    scene.on_transform('odom', 'base_link', (7, 0, 0), (0, 0, 0, 1))
    assert app.scene.get(marker_key())['position'] == pytest.approx([2, 1, 0])


def test_marker_in_the_fixed_frame_is_placed_at_its_pose(app, scene):
    scene.on_marker(TOPIC, marker(mk.CUBE, position=(1, 2, 3), orientation=YAW_90), 0.0)
    assert parents(app)[marker_key()] == group_of('map')
    assert app.scene.get(marker_key())['position'] == pytest.approx([1, 2, 3])
    assert yaw(app, marker_key()) == pytest.approx(math.pi / 2)


def test_frozen_text_keeps_no_rotation(app, scene):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.TEXT_VIEW_FACING, frame_id='base_link',
                                  position=(1, 0, 0), text='hi'), 0.0)
    node = app.scene.get(marker_key())
    assert node['position'] == pytest.approx([2, 1, 0]) and 'rotation' not in node


def test_modify_moves_a_marker_between_frames_and_groups(app, scene):
    connect_base_link(scene)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='odom', frame_locked=True), 0.0)
    assert parents(app)[marker_key()] == group_of('odom')
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link'), 0.0)
    assert parents(app)[marker_key()] == group_of('map')
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    assert parents(app)[marker_key()] == group_of('base_link')
    assert [key for key in app.scene.keys() if key.startswith('marker:')] == [
        marker_key(), f'{marker_key()}/box']


def test_modify_replaces_the_marker_even_when_the_type_changes(app, scene):
    scene.on_marker(TOPIC, marker(mk.CUBE, position=(1, 0, 0)), 0.0)
    scene.on_marker(TOPIC, marker(mk.SPHERE, position=(0, 1, 0), scale=(2, 2, 2)), 0.0)
    assert f'{marker_key()}/box' not in app.scene
    assert app.scene.get(f'{marker_key()}/sphere')['scale'] == [2, 2, 2]
    assert app.scene.get(marker_key())['position'] == pytest.approx([0, 1, 0])
    # An ADD whose geometry is empty leaves nothing of the old one either.
    scene.on_marker(TOPIC, marker(mk.LINE_STRIP, points=[(0, 0, 0)]), 0.0)
    assert app.scene.get(marker_key())['children'] == []
    assert f'{marker_key()}/sphere' not in app.scene


def test_delete_and_deleteall(app, scene):
    for ns, marker_id in (('a', 0), ('a', 1), ('b', 0)):
        scene.on_marker(TOPIC, marker(mk.CUBE, ns=ns, marker_id=marker_id), 0.0)
    scene.on_marker('/other', marker(mk.CUBE, ns='a'), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='a', marker_id=1, action=mk.DELETE), 0.0)
    assert marker_key('a', 1) not in app.scene and f'{marker_key("a", 1)}/box' not in app.scene
    assert marker_key('a', 0) in app.scene
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='b', marker_id=5, action=mk.DELETEALL), 0.0)
    assert marker_key('b', 0) not in app.scene and marker_key('a', 0) in app.scene
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='', action=mk.DELETEALL), 0.0)
    assert not [key for key in app.scene.keys() if key.startswith(f'marker:{TOPIC}:')]
    assert marker_key('a', 0, '/other') in app.scene   # another display
    before = parents(app)
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='a', marker_id=9, action=mk.DELETE), 0.0)
    assert parents(app) == before   # DELETE of an unknown (ns, id): nothing to do


def test_a_frame_group_left_empty_leaves_the_scene_and_comes_back_when_needed(app, scene):
    """A deleted namespace, a moved marker: no empty group stays behind to be moved by TF."""
    connect_base_link(scene)
    odom_group = f'{TOPIC}@odom'
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='a', frame_id='odom', frame_locked=True), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='b', frame_id='odom', frame_locked=True), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='a', action=mk.DELETE), 0.0)
    assert parents(app)[marker_key('b')] == odom_group, 'one marker left: the group stays'
    # Moving the last one to another frame empties the odom group: it goes.
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='b', frame_id='base_link', frame_locked=True),
                    0.0)
    assert odom_group not in app.scene
    assert parents(app)[marker_key('b')] == f'{TOPIC}@base_link'
    # A frame move sends nothing for it, and a new marker in odom brings it back.
    scene.on_transform('map', 'odom', (1, 0, 0), (0, 0, 0, 1))
    assert odom_group not in app.scene
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='c', frame_id='odom', frame_locked=True), 0.0)
    assert parents(app)[marker_key('c')] == odom_group
    assert position(app, marker_key('c')) == pytest.approx([1, 0, 0])
    scene.on_marker(TOPIC, marker(mk.CUBE, ns='', action=mk.DELETEALL), 0.0)
    assert not [key for key in app.scene.keys() if key.startswith(f'{TOPIC}@')]


@pytest.mark.parametrize('as_real', [False, True])
def test_marker_and_marker_array_topics_share_one_id_space(app, scene, as_real):
    def array(*markers):
        plain = Plain(markers=list(markers))
        return to_real(plain, 'visualization_msgs/msg/MarkerArray') if as_real else plain

    scene.on_marker_array(f'{TOPIC}_array', array(marker(mk.CUBE), marker(mk.CUBE, ns='x')),
                          0.0)
    assert marker_key() in app.scene and marker_key('x') in app.scene
    one = marker(mk.CUBE, action=mk.DELETE)
    scene.on_marker(TOPIC, to_real(one, MARKER) if as_real else one, 0.0)
    assert marker_key() not in app.scene and marker_key('x') in app.scene
    scene.on_marker(TOPIC, marker(mk.SPHERE, marker_id=3), 0.0)
    scene.on_marker_array(f'{TOPIC}_array', array(marker(mk.CUBE, marker_id=3,
                                                         action=mk.DELETE)), 0.0)
    assert marker_key(marker_id=3) not in app.scene


def test_lifetime_expires_and_a_re_add_restarts_it(app, scene):
    assert scene.next_expiry() is None
    scene.on_marker(TOPIC, marker(mk.CUBE, lifetime=(2, 0)), 10.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, marker_id=1, lifetime=(5, 500_000_000)), 10.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, marker_id=2), 10.0)   # lifetime 0: forever
    assert scene.next_expiry() == pytest.approx(12.0)
    assert scene.expire(11.9) == pytest.approx(12.0)
    assert marker_key() in app.scene
    scene.on_marker(TOPIC, marker(mk.CUBE, position=(1, 0, 0), lifetime=(2, 0)), 11.0)
    # next_expiry() may be early (12.0, cached), never late; expiring finds the truth.
    assert scene.next_expiry() <= 13.0
    assert scene.expire(12.0) == pytest.approx(13.0)
    assert scene.expire(12.5) == pytest.approx(13.0)
    assert marker_key() in app.scene
    assert scene.expire(13.0) == pytest.approx(15.5)
    assert marker_key() not in app.scene and f'{marker_key()}/box' not in app.scene
    assert scene.expire(15.5) is None
    assert marker_key(marker_id=1) not in app.scene
    assert marker_key(marker_id=2) in app.scene


def test_deleted_marker_no_longer_expires(app, scene):
    scene.on_marker(TOPIC, marker(mk.CUBE, lifetime=(1, 0)), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, action=mk.DELETE), 0.0)
    assert scene.expire(0.5) is None
    assert scene.next_expiry() is None


def test_nan_marker_is_ignored_and_the_previous_one_kept(app, scene, warnings):
    scene.on_marker(TOPIC, marker(mk.CUBE, position=(1, 0, 0)), 0.0)
    before = app.scene.get(marker_key())
    for bad in (marker(mk.CUBE, position=(math.nan, 0, 0)),
                marker(mk.CUBE, scale=(1, math.inf, 1)),
                marker(mk.CUBE, color=(1, 0, math.nan, 1)),
                marker(mk.LINE_STRIP, points=[(0, 0, 0), (math.nan, 1, 0)])):
        scene.on_marker(TOPIC, bad, 1.0)
    assert app.scene.get(marker_key()) == before
    assert len(texts(warnings, 'NaN')) == 4
    scene.on_marker(TOPIC, marker(mk.CUBE, marker_id=1, position=(math.nan, 0, 0)), 1.0)
    assert marker_key(marker_id=1) not in app.scene


def test_unknown_type_warns_and_hides_the_previous_marker(app, scene, warnings):
    scene.on_marker(TOPIC, marker(mk.CUBE), 0.0)
    scene.on_marker(TOPIC, marker(99), 0.0)
    assert marker_key() not in app.scene and f'{marker_key()}/box' not in app.scene
    assert texts(warnings, 'unknown marker type 99')
    scene.on_marker(TOPIC, marker(mk.CUBE, lifetime=(1, 0)), 0.0)
    scene.on_marker(TOPIC, marker(99), 0.0)
    assert scene.expire(0.5) is None   # forgotten, not only hidden


def test_duplicate_ids_in_one_array_warn_and_are_all_processed(app, scene, warnings):
    array = Plain(markers=[marker(mk.CUBE, position=(1, 0, 0)), marker(mk.CUBE, marker_id=1),
                           marker(mk.SPHERE, position=(2, 0, 0))])
    scene.on_marker_array(f'{TOPIC}_array', array, 0.0)
    assert texts(warnings, 'same ns and id: (test, 0)')
    assert app.scene.get(marker_key())['position'] == pytest.approx([2, 0, 0])
    assert f'{marker_key()}/sphere' in app.scene and f'{marker_key()}/box' not in app.scene
    assert marker_key(marker_id=1) in app.scene


def test_unknown_action_warns_and_changes_nothing(app, scene, warnings):
    scene.on_marker(TOPIC, marker(mk.CUBE), 0.0)
    before = app.scene.get(marker_key())
    scene.on_marker(TOPIC, marker(mk.SPHERE, position=(3, 0, 0), action=1), 0.0)
    assert app.scene.get(marker_key()) == before
    assert texts(warnings, 'unknown action 1')


def test_delete_of_a_waiting_marker_stops_it_for_good(app, scene):
    scene.on_marker(TOPIC, marker(mk.CUBE, frame_id='base_link', frame_locked=True), 0.0)
    scene.on_marker(TOPIC, marker(mk.CUBE, action=mk.DELETE), 0.0)
    connect_base_link(scene)
    assert marker_key() not in app.scene


def test_messages_waiting_for_a_frame_stay_bounded(app, scene, warnings, monkeypatch):
    monkeypatch.setattr(display_scene, 'MAX_WAITING_PER_FRAME', 3)
    for marker_id in range(10):
        scene.on_marker(TOPIC, marker(mk.CUBE, marker_id=marker_id, frame_id='base_link',
                                      frame_locked=True), 0.0)
    assert '3 message(s) wait' in warnings[-1][1]
    scene.on_pose('pose', '/goal', pose_stamped(frame_id='base_link'))   # the bound is per frame
    assert '3 message(s) wait' in warnings[-1][1]
    connect_base_link(scene)
    shown = [key for key in parents(app) if key.startswith('marker:')]
    assert sorted(shown) == [marker_key(marker_id=i) for i in (8, 9)]   # the newest ones
    assert parents(app)['pose:/goal'] == group_of('base_link', '/goal')
    # In a resolved frame nothing waits, so the bound does not apply.
    for marker_id in range(10, 20):
        scene.on_marker(TOPIC, marker(mk.CUBE, marker_id=marker_id, frame_id='base_link',
                                      frame_locked=True), 0.0)
    assert len([key for key in parents(app) if key.startswith('marker:')]) == 12


# -- meshes --------------------------------------------------------------------------------

@pytest.fixture
def share(tmp_path):
    """Give a package share folder 'robot' with one STL mesh, and a secret beside it."""
    folder = tmp_path / 'install' / 'robot'
    (folder / 'meshes').mkdir(parents=True)
    (folder / 'meshes' / 'part.stl').write_bytes(STL)
    (folder / 'meshes' / 'my part.stl').write_bytes(STL.replace(b'part', b'my'))
    (tmp_path / 'secret.stl').write_bytes(SECRET)
    return folder


@pytest.fixture
def meshes(share) -> MeshResources:
    def package_share(package: str) -> str:
        if package != 'robot':
            raise LookupError(f'no package {package}')
        return str(share)

    return MeshResources(package_share)


@pytest.fixture
def mesh_scene(app, warnings, meshes) -> Shown:
    return Shown(app, warnings, meshes=meshes)


def mesh_marker(resource: str, marker_id: int = 0, data: bytes = b'',
                filename: str = '') -> Plain:
    msg = marker(mk.MESH_RESOURCE, marker_id=marker_id, mesh_resource=resource,
                 mesh_filename=filename)
    msg.mesh_file.data = list(data)
    return msg


def mesh_src(app: Vuer, marker_id: int = 0) -> str:
    node = app.scene.get(f'{marker_key(marker_id=marker_id)}/mesh')
    assert node is not None and node['tag'] == 'Stl'
    return node['src']


def test_package_mesh_resolves_to_a_served_url(app, mesh_scene, warnings):
    mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/part.stl'), 0.0)
    assert re.fullmatch(r'/resources/[0-9a-f]{12}/meshes/part\.stl', mesh_src(app))
    mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/my part.stl', 1), 0.0)
    assert mesh_src(app, 1).endswith('/meshes/my%20part.stl')
    assert mesh_src(app, 1).split('/')[2] == mesh_src(app).split('/')[2]   # one root
    assert not warnings


@pytest.mark.parametrize('resource, problem', [
    ('package://robot/meshes/missing.stl', 'does not exist'),
    ('package://nobody/meshes/part.stl', "package 'nobody' not found"),
    ('package://robot/../../secret.stl', 'escapes its root'),
    ('package://robot/meshes/../../../secret.stl', 'escapes its root'),
    ('ftp://host/part.stl', 'unsupported mesh URI scheme'),
])
def test_unservable_mesh_warns_and_is_not_drawn(app, mesh_scene, warnings, resource, problem):
    mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/part.stl'), 0.0)
    mesh_scene.on_marker(TOPIC, mesh_marker(resource), 0.0)
    assert marker_key() not in app.scene and f'{marker_key()}/mesh' not in app.scene
    assert texts(warnings, problem)
    assert all(SECRET.decode() not in text for _, text in warnings)


def test_embedded_mesh_is_served_from_memory(app, mesh_scene, warnings):
    mesh_scene.on_marker(TOPIC, mesh_marker('embedded://part.stl', data=STL), 0.0)
    first = mesh_src(app)
    assert re.fullmatch(r'/resources/embedded-[0-9a-f]{16}/[^/]+', first)
    # Other bytes under the same name are another mesh; the same bytes, the same URL.
    mesh_scene.on_marker(TOPIC, mesh_marker('embedded://part.stl', 1, STL + b'\n'), 0.0)
    mesh_scene.on_marker(TOPIC, mesh_marker('embedded://again.stl', 2, STL), 0.0)
    assert mesh_src(app, 1) != first and mesh_src(app, 2).split('/')[2] == first.split('/')[2]
    mesh_scene.on_marker(TOPIC, mesh_marker('embedded://empty.stl', 3), 0.0)
    assert marker_key(marker_id=3) not in app.scene   # no bytes: nothing to draw
    assert texts(warnings, 'no embedded mesh data')


def test_embedded_mesh_url_keeps_the_file_name(app, mesh_scene):
    mesh_scene.on_marker(TOPIC, mesh_marker('embedded://part.stl', data=STL), 0.0)
    assert mesh_src(app).endswith('/part.stl')


def test_meshes_need_a_resolver(app, scene, warnings):
    scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/part.stl'), 0.0)
    assert marker_key() not in app.scene
    assert texts(warnings, 'not served')


def test_mesh_behind_a_symlink_loop_is_a_warning_not_a_crash(app, mesh_scene, warnings, share):
    (share / 'meshes' / 'loop_a').symlink_to(share / 'meshes' / 'loop_b')
    (share / 'meshes' / 'loop_b').symlink_to(share / 'meshes' / 'loop_a')
    mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/loop_a/part.stl'), 0.0)
    assert marker_key() not in app.scene and warnings


async def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """Send ``path`` byte for byte (no client-side normalising of '..') and read the reply."""
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(f'GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
                 .encode())
    await writer.drain()
    reply = await reader.read()
    writer.close()
    await writer.wait_closed()
    return int(reply.split(b' ', 2)[1]), reply


async def test_mesh_routes_serve_the_files_and_nothing_outside(app, mesh_scene, meshes, share):
    meshes.add_routes(app.add_route)
    await app.start_server()
    try:
        mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/part.stl'), 0.0)
        mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/my part.stl', 1), 0.0)
        mesh_scene.on_marker(TOPIC, mesh_marker('embedded://', 2, b'solid e\nendsolid e\n',
                                                'e.stl'), 0.0)
        base = f'http://127.0.0.1:{app.port}'
        async with aiohttp.ClientSession() as http:
            for marker_id, expected in ((0, STL), (1, STL.replace(b'part', b'my')),
                                        (2, b'solid e\nendsolid e\n')):
                async with http.get(base + mesh_src(app, marker_id)) as response:
                    assert response.status == 200
                    assert await response.read() == expected
        root = mesh_src(app).split('/')[2]
        attempts = [f'/resources/{root}/../secret.stl',
                    f'/resources/{root}/../../secret.stl',
                    f'/resources/{root}/meshes/../../../secret.stl',
                    f'/resources/{root}/%2e%2e/%2e%2e/secret.stl',
                    f'/resources/{root}/%2E%2E%2F%2E%2E%2Fsecret.stl',
                    f'/resources/{root}/..%2f..%2fsecret.stl',
                    f'/resources/{root}/%2F{share.parent.parent}/secret.stl',
                    f'/resources/{root}//{share.parent.parent}/secret.stl',
                    f'/resources/{root}/' + '../' * 12 + 'etc/passwd',
                    f'/resources/{root}/' + '%2e%2e/' * 12 + 'etc/passwd',
                    '/resources/000000000000/etc/passwd',
                    '/resources/embedded-0000000000000000/x.stl']
        for path in attempts:
            status, reply = await raw_get(app.port, path)
            assert status in (403, 404), path
            assert SECRET not in reply and b'root:' not in reply, path
    finally:
        await app.stop_server()


async def test_mesh_route_answers_a_nul_byte_with_a_client_error(app, mesh_scene, meshes):
    meshes.add_routes(app.add_route)
    await app.start_server()
    try:
        mesh_scene.on_marker(TOPIC, mesh_marker('package://robot/meshes/part.stl'), 0.0)
        status, _ = await raw_get(app.port, mesh_src(app) + '%00.png')
        assert status in (400, 403, 404)
    finally:
        await app.stop_server()


async def test_rejected_mesh_marker_publishes_no_folder(app, warnings, tmp_path):
    private = tmp_path / 'private'
    private.mkdir()
    (private / 'secret.txt').write_bytes(SECRET)
    meshes = MeshResources(lambda package: str(tmp_path))   # no allowed roots: any file named
    meshes.add_routes(app.add_route)
    scene = Shown(app, warnings, meshes=meshes)
    await app.start_server()
    try:
        scene.on_marker(TOPIC, mesh_marker(f'file://{private}/secret.txt'), 0.0)
        assert marker_key() not in app.scene and texts(warnings, 'cannot show mesh')
        # Root ids are the first 12 hex digits of the folder's SHA-1: anyone can work them out.
        root = hashlib.sha1(str(private.resolve()).encode()).hexdigest()[:12]
        status, reply = await raw_get(app.port, f'/resources/{root}/secret.txt')
        assert status == 404 and SECRET not in reply
    finally:
        await app.stop_server()


async def test_file_mesh_publishes_no_hidden_files_beside_it(app, warnings, tmp_path):
    (tmp_path / '.ssh').mkdir()
    (tmp_path / '.ssh' / 'id_rsa').write_bytes(SECRET)
    (tmp_path / 'part.stl').write_bytes(STL)
    meshes = MeshResources(lambda package: str(tmp_path))   # no allowed roots: any file named
    meshes.add_routes(app.add_route)
    scene = Shown(app, [], meshes=meshes)
    await app.start_server()
    try:
        scene.on_marker(TOPIC, mesh_marker(f'file://{tmp_path}/part.stl'), 0.0)
        folder = mesh_src(app).rsplit('/', 1)[0]
        assert (await raw_get(app.port, f'{folder}/part.stl'))[0] == 200
        status, reply = await raw_get(app.port, f'{folder}/.ssh/id_rsa')
        assert status in (403, 404) and SECRET not in reply
    finally:
        await app.stop_server()

# -- poses ---------------------------------------------------------------------------------


def with_covariance(position, frame_id):
    return Plain(header=header(frame_id), pose=Plain(pose=pose(position), covariance=[0.0] * 36))


def odometry(position, frame_id):
    return Plain(header=header(frame_id), child_frame_id='base_link',
                 pose=Plain(pose=pose(position), covariance=[0.0] * 36))


def pose_array(position, frame_id):
    return Plain(header=header(frame_id), poses=[pose(), pose(position)])


def path(position, frame_id):
    return Plain(header=header(frame_id), poses=[pose_stamped(frame_id=frame_id),
                                                 pose_stamped(position, frame_id=frame_id)])


POSES = {
    'pose': (lambda position, frame_id: pose_stamped(position, frame_id=frame_id),
             'geometry_msgs/msg/PoseStamped'),
    'pose_covariance': (with_covariance, 'geometry_msgs/msg/PoseWithCovarianceStamped'),
    'pose_array': (pose_array, 'geometry_msgs/msg/PoseArray'),
    'odometry': (odometry, 'nav_msgs/msg/Odometry'),
    'path': (path, 'nav_msgs/msg/Path'),
}


def pose_message(kind: str, position, frame_id: str, as_real: bool):
    build, type_name = POSES[kind]
    msg = build(position, frame_id)
    return to_real(msg, type_name) if as_real else msg


@pytest.mark.parametrize('as_real', [False, True])
@pytest.mark.parametrize('kind', sorted(set(POSES) - {'odometry'}))   # odometry keeps a trail
def test_pose_messages_hang_in_their_frame(app, kind, as_real):
    scene = Shown(app, [], pose_style='axes', pose_array_style='axes')
    connect_base_link(scene)
    scene.on_pose(kind, '/topic', pose_message(kind, (1, 0, 0), 'base_link', as_real))
    key = f'{kind}:/topic'
    assert parents(app)[key] == group_of('base_link', '/topic')
    node = app.scene.get(key)
    if kind == 'pose_array':
        assert [c['key'] for c in node['children']] == [f'{key}/0', f'{key}/1']
        assert node['children'][1]['position'] == pytest.approx([1, 0, 0])
    elif kind == 'path':
        assert node['children'][0]['points'] == [[0, 0, 0], [1, 0, 0]]
    elif kind == 'pose_covariance':   # the pose, and its covariance beside it
        axes = app.scene.get(f'{key}/axes')
        assert axes['tag'] == 'CoordsMarker'
        placed = in_fixed_frame(app, key) @ node_matrix(axes)
        np.testing.assert_allclose(placed[:3, 3], (2, 1, 0), atol=1e-12)
    else:
        assert node['tag'] == 'CoordsMarker'
        np.testing.assert_allclose(position(app, key), (2, 1, 0), atol=1e-12)
    scene.on_pose(kind, '/topic', pose_message(kind, (1, 0, 0), 'odom', as_real))
    assert parents(app)[key] == group_of('odom', '/topic')   # one element per topic, moved


@pytest.mark.parametrize('kind', sorted(POSES))
def test_nan_pose_warns_and_is_not_drawn(app, scene, warnings, kind):
    scene.on_pose(kind, '/topic', pose_message(kind, (math.nan, 0, 0), 'map', False))
    assert f'{kind}:/topic' not in app.scene
    assert [topic for topic, _ in warnings] == [f'{kind}:/topic:error']
    assert 'NaN' in warnings[0][1] and '/topic' in warnings[0][1]


def test_pose_in_an_unknown_frame_waits_for_it(app, scene, warnings):
    scene.on_pose('pose', '/goal', pose_stamped((1, 0, 0), frame_id='/base_link'))
    assert 'pose:/goal' not in app.scene
    assert texts(warnings, "'base_link'")
    connect_base_link(scene)
    assert parents(app)['pose:/goal'] == group_of('base_link', '/goal')
    np.testing.assert_allclose(position(app, 'pose:/goal'), (2, 1, 0), atol=1e-12)


def test_pose_style_arrow_is_a_group_with_an_arrow(app):
    scene = Shown(app, [], pose_style='arrow', pose_length=2.0)
    scene.on_pose('pose', '/goal', pose_stamped((1, 2, 0), YAW_90))
    node = app.scene.get('pose:/goal')
    assert node['tag'] == 'group' and node['position'] == [1, 2, 0]
    assert {c['key'] for c in node['children']} == {'pose:/goal/shaft', 'pose:/goal/head'}


def test_tf_messages_place_every_transform_they_carry(app):
    scene = Shown(app, [], frame_axes=0.1)
    message = to_real(Plain(transforms=[transform_stamped('map', 'odom', (1.0, 0.0, 0.0)),
                                        transform_stamped('odom', 'base_link', (0.0, 2.0, 0.0))]),
                      'tf2_msgs/msg/TFMessage')
    scene.on_tf_message(message)
    scene.on_tf_message(to_real(Plain(transforms=[transform_stamped('base_link', 'laser')]),
                                'tf2_msgs/msg/TFMessage'), static=True)
    np.testing.assert_allclose(position(app, 'axes:base_link'), (1, 2, 0), atol=1e-12)
    np.testing.assert_allclose(position(app, 'axes:laser'), (1, 2, 0), atol=1e-12)
    assert scene.frames.is_resolved('laser')
