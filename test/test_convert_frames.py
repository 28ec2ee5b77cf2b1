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

"""TF bookkeeping: frame groups re-rooted at the fixed frame, and what each update changes."""

import math

from msg_factory import node_matrix, to_real, transform_stamped
import numpy as np
import pytest

from vuer_ros.convert.frames import (
    frame_key, FrameGraph, GroupUpdate, normalize_frame, ROOT_KEY)
from vuer_ros.convert.transforms import normalize_quaternion

S = math.sqrt(0.5)
YAW_90 = (0, 0, S, S)
NO_TURN = (0, 0, 0, 1)


def world(graph, frame):
    """Pose matrix of a frame's group in the root group, composed from the graph's groups."""
    groups = {g.key: g for g in graph.groups()}
    result = np.eye(4)
    key = frame_key(frame)
    while key != ROOT_KEY:
        group = groups[key]
        result = node_matrix({'position': group.position, 'rotation': group.rotation}) @ result
        key = group.parent_key
    return result


def test_normalisation_and_keys():
    assert normalize_frame('/base_link') == 'base_link'
    assert normalize_frame('base_link') == 'base_link'
    assert frame_key('/odom') == 'frame:odom'


def test_fixed_frame_is_resolved_and_sits_in_the_root_group():
    graph = FrameGraph('/map')
    assert graph.fixed_frame == 'map' and graph.is_resolved('map') and graph.is_resolved('/map')
    assert graph.groups() == [GroupUpdate('frame:map', ROOT_KEY, [0.0, 0.0, 0.0], [0, 0, 0])]
    assert not graph.is_resolved('base_link')


def test_chain_from_the_fixed_frame_nests_groups():
    graph = FrameGraph('map')
    changes = graph.set_transform('map', 'odom', (1, 0, 0), YAW_90)
    assert changes.groups == [GroupUpdate('frame:odom', 'frame:map', [1.0, 0.0, 0.0],
                                          pytest.approx([0, 0, math.pi / 2]))]
    assert changes.resolved == ['odom'] and changes.unresolved == [] and not changes.warnings
    changes = graph.set_transform('/odom', '/base_link', (2, 0, 0), NO_TURN)
    assert [g.key for g in changes.groups] == ['frame:base_link']
    assert changes.groups[0].parent_key == 'frame:odom'
    # base_link is 2 m ahead of odom, which is turned 90 degrees: at map (1, 2, 0)
    np.testing.assert_allclose(world(graph, 'base_link')[:3, 3], (1, 2, 0), atol=1e-12)
    t = graph.transform_to_fixed('base_link')
    np.testing.assert_allclose(t.translation, (1, 2, 0), atol=1e-12)
    assert graph.transform_to_fixed('nowhere') is None


def test_a_changed_transform_updates_exactly_one_group():
    graph = FrameGraph('map')
    graph.set_transform('map', 'odom', (0, 0, 0), NO_TURN)
    graph.set_transform('odom', 'base_link', (0, 0, 0), NO_TURN)
    graph.set_transform('base_link', 'laser', (0.2, 0, 0.1), NO_TURN)
    changes = graph.set_transform('odom', 'base_link', (5, 0, 0), YAW_90)
    assert changes.groups == [GroupUpdate('frame:base_link', 'frame:odom', [5.0, 0.0, 0.0],
                                          pytest.approx([0, 0, math.pi / 2]))]
    assert not (changes.resolved or changes.unresolved or changes.warnings)
    assert graph.set_transform('odom', 'base_link', (5, 0, 0), YAW_90).groups == []


def test_fixed_frame_below_the_root_inverts_edges_towards_it():
    graph = FrameGraph('odom')
    graph.set_transform('odom', 'base_link', (1, 0, 0), NO_TURN)
    changes = graph.set_transform('map', 'odom', (10, 0, 0), YAW_90)
    assert changes.resolved == ['map']
    (update,) = changes.groups
    assert update.key == 'frame:map' and update.parent_key == 'frame:odom'
    # map seen from odom: odom is at map (10, 0) turned 90 deg, so map's origin is at
    # odom (0, 10) and map is turned -90 deg.
    np.testing.assert_allclose(update.position, (0, 10, 0), atol=1e-12)
    assert update.rotation == pytest.approx([0, 0, -math.pi / 2])
    # a change of that edge moves the map group, the one below it in the scene
    changes = graph.set_transform('map', 'odom', (10, 0, 0), NO_TURN)
    assert [g.key for g in changes.groups] == ['frame:map']
    np.testing.assert_allclose(changes.groups[0].position, (-10, 0, 0), atol=1e-12)
    # a sibling of odom under map is reached through map
    graph.set_transform('map', 'dock', (0, 3, 0), NO_TURN)
    np.testing.assert_allclose(world(graph, 'dock')[:3, 3], (-10, 3, 0), atol=1e-12)


def test_connecting_a_subtree_sends_it_all_parents_first():
    graph = FrameGraph('map')
    assert graph.set_transform('base_link', 'arm', (0, 0, 1), NO_TURN).groups == []
    assert graph.set_transform('arm', 'hand', (0, 0, 0.5), NO_TURN).resolved == []
    graph.set_transform('base_link', 'laser', (0.1, 0, 0), NO_TURN)
    assert not graph.is_resolved('hand')
    changes = graph.set_transform('map', 'base_link', (1, 1, 0), NO_TURN)
    keys = [g.key for g in changes.groups]
    assert sorted(keys) == ['frame:arm', 'frame:base_link', 'frame:hand', 'frame:laser']
    assert keys.index('frame:base_link') < keys.index('frame:arm') < keys.index('frame:hand')
    assert sorted(changes.resolved) == ['arm', 'base_link', 'hand', 'laser']
    np.testing.assert_allclose(world(graph, 'hand')[:3, 3], (1, 1, 1.5), atol=1e-12)
    assert graph.resolved_frames()[0] == 'map'


def test_a_second_parent_wins_with_a_warning_and_strands_nothing_else():
    graph = FrameGraph('map')
    graph.set_transform('map', 'a', (1, 0, 0), NO_TURN)
    graph.set_transform('map', 'b', (2, 0, 0), NO_TURN, static=True)
    graph.set_transform('a', 'c', (0, 1, 0), NO_TURN)
    changes = graph.set_transform('b', 'c', (0, 2, 0), NO_TURN)
    assert changes.warnings == ["frame 'c' changed parent from 'a' (dynamic) to 'b': "
                                'the last transform wins, as in tf2']
    assert changes.groups == [GroupUpdate('frame:c', 'frame:b', [0.0, 2.0, 0.0], [0, 0, 0])]
    np.testing.assert_allclose(world(graph, 'c')[:3, 3], (2, 2, 0))


def test_losing_the_link_to_the_fixed_frame_unresolves_the_subtree():
    graph = FrameGraph('map')
    graph.set_transform('map', 'odom', (0, 0, 0), NO_TURN)
    graph.set_transform('odom', 'base_link', (0, 0, 0), NO_TURN)
    graph.set_transform('base_link', 'laser', (0, 0, 0), NO_TURN)
    changes = graph.set_transform('elsewhere', 'base_link', (0, 0, 0), NO_TURN)
    assert sorted(changes.unresolved) == ['base_link', 'laser'] and changes.groups == []
    assert not graph.is_resolved('laser') and graph.is_resolved('odom')


def test_a_loop_is_reported_and_its_frames_unresolved():
    graph = FrameGraph('map')
    graph.set_transform('map', 'a', (1, 0, 0), NO_TURN)
    graph.set_transform('a', 'b', (1, 0, 0), NO_TURN)
    changes = graph.set_transform('b', 'map', (1, 0, 0), NO_TURN)
    assert any('closes a loop' in w for w in changes.warnings)
    assert any('has a loop' in w for w in changes.warnings)
    assert sorted(changes.unresolved) == ['a', 'b']
    assert graph.is_resolved('map') and not graph.is_resolved('a')
    # breaking the loop brings the frames back
    changes = graph.set_transform('world', 'map', (0, 0, 0), NO_TURN)
    assert sorted(changes.resolved) == ['a', 'b', 'world']


@pytest.mark.parametrize('parent, child, translation, rotation, problem', [
    ('', 'a', (0, 0, 0), NO_TURN, 'an empty frame id'),
    ('/a', 'a', (0, 0, 0), NO_TURN, 'the same parent and child frame'),
    ('map', 'a', (math.nan, 0, 0), NO_TURN, 'NaN or infinite values'),
    ('map', 'a', (0, 0, 0), (0, 0, math.inf, 1), 'NaN or infinite values'),
])
def test_bad_transforms_are_ignored_with_a_warning(parent, child, translation, rotation,
                                                   problem):
    graph = FrameGraph('map')
    changes = graph.set_transform(parent, child, translation, rotation)
    assert changes.groups == [] and problem in changes.warnings[0]
    assert not graph.is_resolved('a')


def test_non_unit_quaternions_are_normalised():
    graph = FrameGraph('map')
    (update,) = graph.set_transform('map', 'a', (0, 0, 0), (0, 0, 3, 3)).groups
    assert update.rotation == pytest.approx([0, 0, math.pi / 2])


def test_static_frames_from_config_use_roll_pitch_yaw():
    graph = FrameGraph('base_link')
    (update,) = graph.add_static('base_link', 'camera', (0.1, 0, 0.5), (0, 0, math.pi / 2)).groups
    assert update.key == 'frame:camera' and update.position == [0.1, 0.0, 0.5]
    assert update.rotation == pytest.approx([0, 0, math.pi / 2])


def test_changing_the_fixed_frame_re_roots_every_group():
    graph = FrameGraph('map')
    graph.set_transform('map', 'odom', (1, 0, 0), NO_TURN)
    graph.set_transform('odom', 'base_link', (1, 0, 0), NO_TURN)
    changes = graph.set_fixed_frame('/base_link')
    assert graph.fixed_frame == 'base_link'
    parents = {g.key: g.parent_key for g in changes.groups}
    assert parents == {'frame:base_link': ROOT_KEY, 'frame:odom': 'frame:base_link',
                       'frame:map': 'frame:odom'}
    np.testing.assert_allclose(world(graph, 'map')[:3, 3], (-2, 0, 0), atol=1e-12)
    assert changes.resolved == [] and changes.unresolved == []


def test_real_transform_messages_feed_the_graph():
    graph = FrameGraph('map')
    for plain in (transform_stamped('map', 'odom', (1, 0, 0), YAW_90),
                  transform_stamped('/odom', 'base_link', (0, 1, 0), NO_TURN)):
        msg = to_real(plain, 'geometry_msgs/msg/TransformStamped')
        t, r = msg.transform.translation, msg.transform.rotation
        graph.set_transform(msg.header.frame_id, msg.child_frame_id, (t.x, t.y, t.z),
                            (r.x, r.y, r.z, r.w))
    np.testing.assert_allclose(world(graph, 'base_link')[:3, 3], (0, 0, 0), atol=1e-12)
    rotation = graph.transform_to_fixed('base_link').rotation
    assert rotation == pytest.approx(normalize_quaternion(YAW_90))
