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

"""Each scene verb changes the server's tree as the frame it sends changes the client's."""

import msgpack
import pytest

from vuer_ros.edits import EditKind, SceneEdit
from vuer_ros.outbox import Outbox
from vuer_ros.scene import SceneTree


def box(key: str, **props) -> dict:
    return {'tag': 'Box', 'key': key, **props}


def sent(edit: SceneEdit) -> list[dict]:
    """Return the frames a client gets for this edit, decoded."""
    outbox = Outbox(1 << 20)
    edit.pack().queue_on(outbox)
    return [msgpack.unpackb(frame) for frame in outbox.take()]


#: (edit, keys in the tree after it, the frame's etype and data)
STEPS = [
    (SceneEdit(EditKind.UPSERT, [box('a')], 'g'), {'g', 'a'},
     'UPSERT', {'nodes': [box('a')], 'to': 'g'}),
    (SceneEdit(EditKind.ADD, [box('b')], 'g'), {'g', 'a', 'b'},
     'ADD', {'nodes': [box('b')], 'to': 'g'}),
    (SceneEdit(EditKind.UPDATE, [{'key': 'a', 'color': 'red'}]), {'g', 'a', 'b'},
     'UPDATE', {'nodes': [{'key': 'a', 'color': 'red'}]}),
    (SceneEdit(EditKind.REMOVE, ['b']), {'g', 'a'}, 'REMOVE', {'keys': ['b']}),
    (SceneEdit(EditKind.SET, [{'tag': 'Scene', 'key': 's', 'children': [box('c')]}]), {'c'},
     'SET', {'tag': 'Scene', 'key': 's', 'children': [box('c')]}),
]


def test_the_steps_cover_every_verb():
    assert {edit.kind for edit, *_ in STEPS} == set(EditKind)


def test_each_verb_changes_the_tree_and_sends_its_frame():
    tree = SceneTree()
    tree.upsert({'tag': 'group', 'key': 'g'})
    for edit, keys, etype, data in STEPS:
        assert edit.apply_to(tree) == edit, 'nothing dropped'
        assert set(tree.keys()) == keys, edit.kind
        [frame] = sent(edit)
        assert frame['etype'] == etype and frame['data'] == data
    assert tree.get('c') == box('c')


def test_nodes_under_a_missing_parent_are_dropped_unless_the_parent_lives_elsewhere():
    for kind in (EditKind.UPSERT, EditKind.ADD):
        tree = SceneTree()
        edit = SceneEdit(kind, [box('orphan')], 'nowhere')
        assert edit.apply_to(tree).payload == [] and 'orphan' not in tree
        assert edit.apply_to(tree, require_parent=False) == edit and 'orphan' in tree


@pytest.mark.parametrize('edit, keys, reshows', [
    (SceneEdit(EditKind.UPSERT, [{'tag': 'group', 'key': 'g', 'children': [box('n')]}]),
     ['g', 'n'], True),
    (SceneEdit(EditKind.ADD, [box('a')]), ['a'], True),
    (SceneEdit(EditKind.UPDATE, [box('a')]), ['a'], False),
    (SceneEdit(EditKind.REMOVE, ['a', 'b']), ['a', 'b'], False),
    (SceneEdit(EditKind.SET, [{'tag': 'Scene', 'key': 's'}]), None, False),
])
def test_packed_edits_name_the_keys_they_touch(edit, keys, reshows):
    packed = edit.pack()
    assert packed.keys == keys and packed.reshows is reshows


def test_upserts_of_one_key_coalesce_and_other_verbs_keep_order():
    outbox = Outbox(1 << 20)
    for x in range(3):
        SceneEdit(EditKind.UPSERT, [box('a', x=x)]).pack().queue_on(outbox)
    SceneEdit(EditKind.REMOVE, ['a']).pack().queue_on(outbox)
    SceneEdit(EditKind.UPSERT, [box('a', x=9)]).pack().queue_on(outbox)
    frames = [msgpack.unpackb(frame) for frame in outbox.take()]
    assert [frame['etype'] for frame in frames] == ['UPSERT', 'REMOVE', 'UPSERT']
    assert frames[0]['data']['nodes'] == [box('a', x=2)]
    assert frames[2]['data']['nodes'] == [box('a', x=9)]
