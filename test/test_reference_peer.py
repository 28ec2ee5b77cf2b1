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
Event-level parity with the reference ``vuer`` 0.1.6, and each side as the other's peer.

The reference package (a test-only dependency) is used three ways: its event classes and
send path give the frames our ``wire`` must match; its Python client ``VuerClient`` talks
to our server; and its server, in a subprocess, talks to our test peer ``WireClient``. A
decoded frame must equal the reference's but for ``ts`` (both integer milliseconds of now)
and the differences listed in ``DIFFERENCES_FROM_REFERENCE``, applied by the same helper
as the element-level parity tests.
"""

import asyncio
import json
import subprocess
import sys
import time
from typing import Any, NamedTuple, Optional, Union

import msgpack
import numpy as np
import pytest

from test_schemas import Spec, wire as through_msgpack, with_listed_differences
from vuer_ros import schemas, Vuer, VuerSession, wire
from vuer_ros.testing import free_port
from wire_client import WireClient

_NOT_INSTALLED = 'the reference vuer==0.1.6 is not installed (pip install vuer==0.1.6)'
# The package's __init__ imports its server and client whichever submodule is asked for.
reference_client = pytest.importorskip('vuer.client', reason=_NOT_INSTALLED)
reference_events = pytest.importorskip('vuer.events', reason=_NOT_INSTALLED)
reference_schemas = pytest.importorskip('vuer.schemas', reason=_NOT_INSTALLED)
reference_server = pytest.importorskip('vuer.server', reason=_NOT_INSTALLED)

#: Bound on every wait for a peer.
TIMEOUT = 5.0

RNG = np.random.default_rng(3)
VERTICES = RNG.uniform(-1, 1, (40, 3))

BOX = Spec('Box', key='box', args=[0.2, 0.3, 0.4], position=[0, 0.5, 0], color='red')
MESH = Spec('TriMesh', key='mesh', vertices=VERTICES, faces=RNG.integers(0, 40, (20, 3)),
            colors=RNG.random((40, 3)), materialType='basic')
CLOUD = Spec('PointCloud', key='cloud', vertices=VERTICES, colors=RNG.random((40, 3)),
             size=0.02)
NESTED = Spec(
    'group',
    Spec('Box', key='in-group', args=[1, 1, 1], color='blue'),
    Spec('group', Spec('PointCloud', key='inner-cloud', vertices=VERTICES[:10]),
         key='inner', rotation=[0, 0.5, 0]),
    key='outer', position=[1, 2, 3])
SCENE = Spec('Scene', NESTED, MESH, key='scene', up=[0, 0, 1],
             bgChildren=[Spec('AmbientLight', key='light', intensity=0.5)])


class Case(NamedTuple):
    """One server event: specs of its nodes (REMOVE: keys; SET: the scene) and parent."""

    etype: str
    payload: Union[list, Spec]
    to: Optional[str] = None


CASES = [
    Case('UPSERT', [BOX, MESH, CLOUD, NESTED]),
    Case('UPSERT', [BOX], to='outer'),
    Case('ADD', [NESTED, MESH]),
    Case('ADD', [CLOUD], to='inner'),
    Case('UPDATE', [Spec('Box', key='box', position=[1, 0, 0]), CLOUD]),
    Case('REMOVE', ['box', 'mesh']),
    Case('SET', SCENE),
]


def case_id(case: Case) -> str:
    return f'{case.etype}-to-{case.to}' if case.etype in ('UPSERT', 'ADD') else case.etype


class Frames(NamedTuple):
    """Our decoded frame, the reference's, and the clock (ms) around their making."""

    ours: dict
    theirs: dict
    before_ms: int
    after_ms: int


def reference_frame(event: Any) -> bytes:
    """Pack ``event`` through the reference server's own send path (``VuerSession.send``)."""
    session = reference_server.VuerSession(None, 'parity')
    session.send(event)
    return session.uplink_queue.popleft()


def reference_event(case: Case) -> Any:
    if case.etype == 'REMOVE':
        return reference_events.Remove(*case.payload)
    if case.etype == 'SET':
        return reference_events.Set(case.payload.build(reference_schemas))
    nodes = [spec.build(reference_schemas) for spec in case.payload]
    if case.etype == 'UPDATE':
        return reference_events.Update(*nodes)
    return {'UPSERT': reference_events.Upsert, 'ADD': reference_events.Add}[case.etype](
        *nodes, to=case.to)


def our_frame(case: Case) -> bytes:
    if case.etype == 'REMOVE':
        return wire.remove_frame(case.payload)
    if case.etype == 'SET':
        return wire.set_frame(case.payload.build(schemas).serialize())
    packed = [wire.pack(spec.build(schemas).serialize()) for spec in case.payload]
    if case.etype == 'UPDATE':
        return wire.update_frame(packed)
    return wire.nodes_frame(case.etype, packed, case.to)


def encoded(case: Case) -> Frames:
    before = wire.now_ms()
    theirs = reference_frame(reference_event(case))
    ours = our_frame(case)
    return Frames(msgpack.unpackb(ours, raw=False), msgpack.unpackb(theirs, raw=False),
                  before, wire.now_ms())


def as_we_send(etype: str, data: Any) -> Any:
    """Return the reference's event data with the listed differences applied to its nodes."""
    if etype == 'SET':
        return with_listed_differences(data)
    if isinstance(data, dict) and 'nodes' in data:
        return {**data, 'nodes': [with_listed_differences(node) for node in data['nodes']]}
    return data


def assert_same_event_data(frames: Frames) -> None:
    """Check etype, data and timestamps: everything of a frame the client reads."""
    for frame in (frames.ours, frames.theirs):
        assert type(frame['ts']) is int, f'ts must be integer ms: {frame["ts"]!r}'
        assert frames.before_ms - 1 <= frame['ts'] <= frames.after_ms + 1, 'ts is not now'
    assert frames.ours['etype'] == frames.theirs['etype']
    assert frames.ours['data'] == as_we_send(frames.theirs['etype'], frames.theirs['data'])


def top_level_fields(frame: dict) -> dict:
    return {name: value for name, value in frame.items() if name not in ('ts', 'data')}


def expected_nodes(*specs: Spec) -> dict[str, dict]:
    """Return the nodes by key, as the reference packs them, listed differences applied."""
    return {spec.props['key']: with_listed_differences(
        through_msgpack(spec.build(reference_schemas)._serialize())) for spec in specs}


# -- 1. event encoding -------------------------------------------------------------------

@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_event_data_matches_reference(case):
    assert_same_event_data(encoded(case))


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_event_top_level_fields_match_reference(case):
    frames = encoded(case)
    assert top_level_fields(frames.ours) == top_level_fields(frames.theirs)


def test_binary_payloads_travel_as_bin_in_both():
    frames = encoded(Case('UPSERT', [MESH]))
    for frame in (frames.ours, frames.theirs):
        mesh = next(node for node in frame['data']['nodes'] if node['key'] == 'mesh')
        assert all(type(mesh[name]) is bytes for name in ('vertices', 'faces', 'colors'))
        np.testing.assert_allclose(
            np.frombuffer(mesh['vertices'], '<f2').reshape(-1, 3), VERTICES, atol=2e-3)


# -- 2. the reference's Python client against our server ---------------------------------

@pytest.fixture
async def reference_peer():
    """Connect the reference's ``VuerClient`` (it sends INIT) to a server; close after."""
    connected = []

    async def connect(app: Vuer) -> Any:
        client = reference_client.VuerClient(uri=f'ws://127.0.0.1:{app.port}')
        connected.append(client)
        return await client.connect()

    yield connect
    for client in connected:
        await client.close()


async def upserted_by(client: Any, keys: set[str]) -> dict[str, dict]:
    """Read events until UPSERTs at the scene root brought every key; return the nodes."""
    nodes: dict[str, dict] = {}
    deadline = time.monotonic() + TIMEOUT
    while not keys <= nodes.keys():
        remaining = deadline - time.monotonic()
        event = await client.recv(timeout=remaining) if remaining > 0 else None
        assert event is not None, f'no UPSERT of {keys - nodes.keys()} within {TIMEOUT} s'
        if event.etype == 'UPSERT' and event.data['to'] is None:
            nodes.update((node['key'], node) for node in event.data['nodes'])
    return nodes


async def test_reference_client_gets_upserts_and_its_events_reach_handlers(
        loopback_app, reference_peer):
    app = loopback_app
    sessions: list[VuerSession] = []
    received: asyncio.Queue = asyncio.Queue()

    @app.spawn
    async def main(session: VuerSession) -> None:
        sessions.append(session)
        session.upsert @ [BOX.build(schemas), MESH.build(schemas)]
        await session.forever()

    for etype in ('ON_CLICK', 'PING'):
        app.add_handler(etype, lambda event, session: received.put_nowait(event))
    await app.start_server()
    client = await reference_peer(app)

    assert await upserted_by(client, {'box', 'mesh'}) == expected_nodes(BOX, MESH)
    assert sessions[0].init['client'] == 'python'

    class Ping(reference_events.ClientEvent):
        etype = 'PING'

    await client.send(reference_events.ClientEvent(
        etype='ON_CLICK', value={'key': 'box'}, key='box'))
    client.send @ Ping(value={'n': 1})  # the reference's fire-and-forget form
    events = [await asyncio.wait_for(received.get(), TIMEOUT) for _ in range(2)]
    assert [(event.etype, event.value, event.key) for event in events] == [
        ('ON_CLICK', {'key': 'box'}, 'box'), ('PING', {'n': 1}, None)]

    shared = Spec('Sphere', key='shared', args=[0.1, 16, 16], color='green')
    app.upsert @ shared.build(schemas)
    assert (await upserted_by(client, {'shared'}))['shared'] == expected_nodes(shared)['shared']


async def test_spawn_filters_take_the_reference_wildcards(loopback_app, reference_peer):
    app = loopback_app
    ran = asyncio.get_running_loop().create_future()

    @app.spawn(client='py*')
    async def python_clients(session: VuerSession) -> None:
        ran.set_result('wildcard')

    @app.spawn
    async def everyone_else(session: VuerSession) -> None:
        ran.set_result('fallback')

    await app.start_server()
    await reference_peer(app)
    assert await asyncio.wait_for(ran, TIMEOUT) == 'wildcard'


# -- 3. our test peer against the reference server ---------------------------------------

#: The reference server, upserting one element given as argv: port, class name, props.
REFERENCE_SERVER = """
import json
import sys

from vuer import Vuer
from vuer import schemas

app = Vuer(host='127.0.0.1', port=int(sys.argv[1]))


@app.spawn
async def main(session):
    session.upsert @ getattr(schemas, sys.argv[2])(**json.loads(sys.argv[3]))
    await session.forever()

app.start()
"""


async def first_upsert(url: str) -> dict:
    """Connect our test peer (INIT, then read) and return the first UPSERT it receives."""
    client = WireClient(url)
    await client.connect()
    try:
        return await client.wait_for(lambda frames: next(
            (frame for frame in frames if frame['etype'] == 'UPSERT'), None), TIMEOUT)
    finally:
        await client.close()


async def until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 3 * TIMEOUT  # the reference imports for a second or two
    while True:
        assert process.poll() is None, f'the reference server exited ({process.returncode})'
        try:
            _, writer = await asyncio.open_connection('127.0.0.1', port)
        except OSError:
            assert time.monotonic() < deadline, 'the reference server did not start'
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def upserts_from(port: int, process: subprocess.Popen) -> Frames:
    """Run the same handler on our server, then read both servers with the same peer."""
    app = Vuer(host='127.0.0.1', port=0)

    @app.spawn
    async def main(session: VuerSession) -> None:
        session.upsert @ BOX.build(schemas)
        await session.forever()

    before = wire.now_ms()
    await app.start_server()
    try:
        ours = await first_upsert(f'ws://127.0.0.1:{app.port}/')
    finally:
        await app.stop_server()
    await until_listening(port, process)
    theirs = await first_upsert(f'ws://127.0.0.1:{port}/')
    return Frames(ours, theirs, before, wire.now_ms())


@pytest.fixture(scope='module')
def upserts_from_both_servers(tmp_path_factory) -> Frames:
    """
    Give the UPSERT each server sends our test peer for the same handler.

    Module-scoped, so the reference server process (which keeps a core busy per client)
    runs once, briefly; it runs in its own event loop, outside the tests' loops.
    """
    folder = tmp_path_factory.mktemp('reference-server')  # its workspace, served as files
    port = free_port()
    with open(folder / 'output.txt', 'wb') as output:
        process = subprocess.Popen(
            [sys.executable, '-c', REFERENCE_SERVER, str(port), BOX.name, json.dumps(BOX.props)],
            cwd=folder, stdout=output, stderr=subprocess.STDOUT)
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(upserts_from(port, process))
    except Exception:
        print((folder / 'output.txt').read_text(errors='replace'))  # shown with the error
        raise
    finally:
        loop.close()
        process.kill()
        process.wait(TIMEOUT)


def test_reference_server_sends_our_peer_the_same_upsert_data(upserts_from_both_servers):
    assert_same_event_data(upserts_from_both_servers)


def test_reference_server_sends_the_same_top_level_fields(upserts_from_both_servers):
    frames = upserts_from_both_servers
    assert top_level_fields(frames.ours) == top_level_fields(frames.theirs)
