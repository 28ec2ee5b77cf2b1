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

"""The server's copy of the scene follows the client's rules (read from its bundle)."""

from vuer_ros.scene import SceneTree


def box(key: str, **props) -> dict:
    return {'tag': 'Box', 'key': key, **props}


def test_upsert_merges_props_and_keeps_attached_children():
    tree = SceneTree()
    tree.upsert({'tag': 'VuerGroup', 'key': 'frame', 'position': [0, 0, 0], 'hide': False})
    tree.upsert(box('marker'), to='frame')
    tree.upsert({'tag': 'VuerGroup', 'key': 'frame', 'position': [1, 2, 3]})
    frame = tree.snapshot()['children'][0]
    assert frame['position'] == [1, 2, 3] and frame['hide'] is False, 'props merge'
    assert [child['key'] for child in frame['children']] == ['marker']


def test_a_children_list_replaces_the_old_one():
    tree = SceneTree()
    tree.upsert({'tag': 'group', 'key': 'm', 'children': [box('m/a'), box('m/b')]})
    tree.upsert({'tag': 'group', 'key': 'm', 'children': []})
    assert 'm/a' not in tree and tree.get('m')['children'] == []


def test_missing_parent_drops_the_node_as_the_client_does():
    tree = SceneTree()
    assert tree.upsert(box('orphan'), to='nowhere') is False
    assert 'orphan' not in tree
    assert tree.upsert(box('kept'), to='nowhere', require_parent=False) is True


def test_nested_keys_are_found_merged_and_removed():
    tree = SceneTree()
    tree.upsert({'tag': 'group', 'key': 'robot', 'children': [box('arm', color='red')]})
    tree.upsert(box('tool'), to='arm')
    tree.upsert(box('arm', position=[1, 0, 0]))
    arm = tree.get('arm')
    assert arm['color'] == 'red' and arm['position'] == [1, 0, 0]
    assert [c['key'] for c in tree.snapshot()['children'][0]['children'][0]['children']] \
        == ['tool']
    tree.remove(['arm'])
    assert set(tree.keys()) == {'robot'}, 'removing a node removes what hangs below it'


def test_remove_drops_whole_subtrees():
    tree = SceneTree()
    tree.upsert(box('a'))
    tree.upsert(box('b'), to='a')
    tree.upsert(box('c'), to='b')
    tree.upsert(box('d'))
    tree.remove(['a', 'not-there'])
    assert set(tree.keys()) == {'d'}


def test_entries_list_parents_before_children():
    tree = SceneTree()
    tree.upsert(box('root'))
    tree.upsert(box('leaf'), to='mid', require_parent=False)
    tree.upsert(box('mid'), to='root')
    order = [node['key'] for node, _ in tree.entries()]
    assert order.index('root') < order.index('mid') < order.index('leaf')


def test_set_replaces_everything_and_keeps_scene_props():
    tree = SceneTree()
    tree.upsert(box('old'))
    tree.set({'tag': 'Scene', 'key': 's', 'up': [0, 0, 1], 'children': [box('new')]})
    snapshot = tree.snapshot()
    assert snapshot['up'] == [0, 0, 1]
    assert [child['key'] for child in snapshot['children']] == ['new']


def test_copy_is_independent():
    tree = SceneTree()
    tree.upsert(box('a'))
    other = tree.copy()
    other.upsert(box('b'))
    other.remove(['a'])
    assert set(tree.keys()) == {'a'} and set(other.keys()) == {'b'}


def test_changes_to_a_copy_leave_the_original_nodes_alone():
    tree = SceneTree()
    tree.upsert({'tag': 'group', 'key': 'robot', 'children': [box('arm', color='red')]})
    tree.upsert(box('base', color='grey'))
    other = tree.copy()
    other.update(box('base', color='blue'))
    other.update(box('arm', color='green'))
    other.upsert(box('arm', position=[1, 0, 0]))
    assert tree.get('base') == box('base', color='grey')
    assert tree.get('arm') == box('arm', color='red')
    assert other.get('base')['color'] == 'blue' and other.get('arm')['color'] == 'green'


def test_update_ignores_unknown_keys_and_reindexes_new_children():
    tree = SceneTree()
    tree.update(box('missing', color='red'))
    assert 'missing' not in tree
    tree.upsert({'tag': 'group', 'key': 'g', 'children': [box('old')]})
    tree.update({'key': 'g', 'children': [box('new')]})
    assert 'new' in tree and 'old' not in tree
