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

"""The per-client outbox: newest state per key, structure never lost, bounded bytes."""

import msgpack

from vuer_ros import wire
from vuer_ros.outbox import Outbox, UpsertBatch


def decoded(outbox: Outbox) -> list[dict]:
    return [msgpack.unpackb(frame) for frame in outbox.take()]


def node(key: str, **props) -> bytes:
    return wire.pack({'tag': 'Box', 'key': key, **props})


def test_waiting_upserts_of_a_key_are_replaced_in_place():
    outbox = Outbox(1 << 20)
    outbox.upsert('frame', None, node('frame', x=0))
    outbox.upsert('marker', 'frame', node('marker'))
    outbox.upsert('frame', None, node('frame', x=9))
    frames = decoded(outbox)
    assert [f['data']['nodes'][0]['key'] for f in frames] == ['frame', 'marker']
    assert frames[0]['data']['nodes'][0]['x'] == 9, 'newest wins, at the first position'
    assert outbox.coalesced == 1 and outbox.pending_bytes == 0


def test_runs_under_one_parent_share_a_frame():
    outbox = Outbox(1 << 20)
    for key in 'abc':
        outbox.upsert(key, 'g', node(key))
    outbox.upsert('d', None, node('d'))
    frames = decoded(outbox)
    runs = [(f['data']['to'], len(f['data']['nodes'])) for f in frames]
    assert runs == [('g', 3), (None, 1)]


def test_structural_frames_stop_coalescing_for_their_keys():
    outbox = Outbox(1 << 20)
    outbox.upsert('a', None, node('a', v=1))
    outbox.frame(wire.remove_frame(['a']), ['a'])
    outbox.upsert('a', None, node('a', v=2))
    frames = decoded(outbox)
    assert [f['etype'] for f in frames] == ['UPSERT', 'REMOVE', 'UPSERT']
    assert frames[2]['data']['nodes'][0]['v'] == 2


def test_a_direct_upsert_of_a_nested_key_ends_coalescing_of_its_carrier():
    outbox = Outbox(1 << 20)
    outbox.upsert('robot', None, node('robot', v=1), nested=('arm',))
    outbox.upsert('arm', None, node('arm', v=5))
    outbox.upsert('robot', None, node('robot', v=2), nested=('arm',))
    frames = decoded(outbox)
    keys = [n['key'] for f in frames for n in f['data']['nodes']]
    assert keys == ['robot', 'arm', 'robot'], 'the newer robot must come after the arm'


def test_past_the_byte_limit_everything_is_dropped_for_a_resync():
    outbox = Outbox(1000)
    for i in range(20):
        outbox.upsert(f'k{i}', None, node(f'k{i}', pad='x' * 100))
    assert outbox.needs_resync and outbox.resyncs == 1
    assert len(outbox) == 0 and outbox.pending_bytes == 0
    outbox.upsert('later', None, node('later'))
    assert len(outbox) == 0, 'the resync snapshot will carry it'


def batch_of(*keys: str, to: str = 'g', **props) -> UpsertBatch:
    return UpsertBatch(to, [(key, node(key, **props), ()) for key in keys])


def test_a_batch_on_idle_outboxes_is_one_frame_built_once_for_all():
    shared = batch_of('a', 'b', 'c', v=1)
    first, second = Outbox(1 << 20), Outbox(1 << 20)
    first.batch(shared)
    second.batch(shared)
    assert first.pending_bytes == shared.size
    sent = [first.take(), second.take()]
    assert sent[0][0] is sent[1][0], 'the frame is built once, not once per client'
    frame = msgpack.unpackb(sent[0][0])
    assert frame['data']['to'] == 'g'
    assert [n['key'] for n in frame['data']['nodes']] == ['a', 'b', 'c']


def test_a_waiting_batch_is_opened_so_newer_upserts_replace_its_keys():
    outbox = Outbox(1 << 20)
    outbox.batch(batch_of('a', 'b', v=1))
    outbox.batch(batch_of('b', 'c', v=2))
    frames = decoded(outbox)
    nodes = [(n['key'], n['v']) for f in frames for n in f['data']['nodes']]
    assert nodes == [('a', 1), ('b', 2), ('c', 2)], 'newest wins, at the first position'
    assert outbox.coalesced == 1 and outbox.pending_bytes == 0


def test_a_frame_after_a_waiting_batch_keeps_the_order_and_ends_coalescing():
    outbox = Outbox(1 << 20)
    outbox.batch(batch_of('a', v=1))
    outbox.frame(wire.remove_frame(['a']), ['a'])
    outbox.batch(batch_of('a', v=2))
    frames = decoded(outbox)
    assert [f['etype'] for f in frames] == ['UPSERT', 'REMOVE', 'UPSERT']
    assert [f['data']['nodes'][0]['v'] for f in (frames[0], frames[2])] == [1, 2]


def test_a_batch_past_the_byte_limit_asks_for_a_resync():
    shared = batch_of('a', 'b', payload=b'x' * 600)
    outbox = Outbox(1000)
    outbox.batch(shared)
    assert outbox.needs_resync and outbox.pending_bytes == 0 and not outbox.take()
