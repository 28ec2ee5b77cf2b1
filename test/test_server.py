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

"""The Vuer server against real websocket peers: API, shared scene, send path, bad input."""

import asyncio
from contextlib import asynccontextmanager
import logging
import socket
import subprocess
import sys

import aiohttp
from aiohttp import WSCloseCode
import msgpack
import pytest

from vuer_ros import Vuer, VuerSession
from vuer_ros.schemas import Box, group, Sphere, Text
from wire_client import WireClient


@pytest.fixture
async def clients():
    """Websocket clients closed after the test."""
    made: list[WireClient] = []

    async def connect(app: Vuer, **options) -> WireClient:
        client = WireClient(f'ws://127.0.0.1:{app.port}/')
        made.append(client)
        return await client.connect(**options)

    yield connect
    for client in made:
        await client.close()


def etypes(frames: list[dict]) -> list[str]:
    return [frame['etype'] for frame in frames]


async def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll a condition on server-side state (the tests' only window into it)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError('condition not met')


async def test_spawn_runs_after_init_and_upserts_reach_client(loopback_app, clients):
    app = loopback_app
    seen: list[VuerSession] = []
    clicks: list = []

    @app.spawn
    async def main(session: VuerSession) -> None:
        seen.append(session)
        session.upsert @ Box(key='b', args=[1, 2, 3], color='red')
        await session.forever()

    app.add_handler('ON_CLICK', lambda event, session: clicks.append(event.value))
    await app.start_server()
    client = await clients(app, init=False)
    # An event handled after the connection: a handler started on connect would have
    # begun (appended) by then.
    await client.send('ON_CLICK', 'before INIT')
    await wait_until(lambda: clicks)
    assert seen == [], 'the handler must wait for INIT'
    await client.send('INIT', {'client': 'browser'})
    view = await client.wait_for(lambda frames: WireClient.upserted(client).get('b'))
    assert view['tag'] == 'Box' and view['args'] == [1, 2, 3]
    assert view['material'] == {'color': 'red'}, 'colour must reach the material'
    assert seen[0].init == {'client': 'browser'}


async def test_spawn_filters_pick_the_matching_handler(loopback_app, clients):
    app = loopback_app
    ran: list[str] = []

    @app.spawn(client='python')
    async def python_only(session):
        ran.append('python')

    @app.spawn(client='test')
    async def tests(session):
        ran.append('test')
        await session.forever()

    await app.start_server()
    await clients(app)
    # Both would start in the same turn, on INIT: once one ran, the other would have.
    await wait_until(lambda: ran)
    assert ran == ['test']


async def test_call_forms_and_parent(loopback_app, clients):
    app = loopback_app

    @app.spawn
    async def main(session):
        session.upsert(group(key='g'))
        session.upsert([Box(key='a'), Sphere(key='s')], to='g')
        session.add(Box(key='added'), to='g')
        session.update @ {'tag': 'Box', 'key': 'a', 'position': [1, 0, 0]}
        session.remove @ 's'
        session.remove(['added'])
        await session.forever()

    await app.start_server()
    client = await clients(app)
    await client.wait_for(lambda frames: etypes(frames).count('REMOVE') == 2)
    frames = client.frames
    upserts = [frame['data'] for frame in frames if frame['etype'] == 'UPSERT']
    assert upserts[0]['to'] is None and upserts[0]['nodes'][0]['key'] == 'g'
    assert upserts[1]['to'] == 'g'
    assert [node['key'] for node in upserts[1]['nodes']] == ['a', 's']
    add = next(frame for frame in frames if frame['etype'] == 'ADD')
    assert add['data']['to'] == 'g' and add['data']['nodes'][0]['key'] == 'added'
    update = next(frame for frame in frames if frame['etype'] == 'UPDATE')
    assert update['data']['nodes'][0]['position'] == [1, 0, 0]
    assert [f['data']['keys'] for f in frames if f['etype'] == 'REMOVE'] == [['s'], ['added']]
    assert all(isinstance(frame['ts'], int) for frame in frames)


async def test_handlers_till_and_decorator(loopback_app, clients):
    app = loopback_app
    clicks: list[str] = []
    got: list = []

    @app.add_handler('ON_CLICK')
    async def on_click(event, session):
        clicks.append(event.value['key'])

    remove = app.add_handler('CAMERA_MOVE', lambda event, session: clicks.append('camera'))

    @app.spawn
    async def main(session):
        got.append(await session.till('ON_CLICK', timeout=5))
        with pytest.raises(asyncio.TimeoutError):
            await session.till('NEVER', timeout=0.05)
        got.append('timed out')
        await session.forever()

    await app.start_server()
    client = await clients(app)
    await asyncio.sleep(0.1)
    await client.send('ON_CLICK', {'key': 'box'})
    await client.send('CAMERA_MOVE', {'camera': {}})
    await wait_until(lambda: len(got) == 2 and len(clicks) == 2)
    remove()
    await client.send('CAMERA_MOVE', {'camera': {}})
    await client.send('ON_CLICK', {'key': 'marker'})
    await wait_until(lambda: len(clicks) == 3)
    assert got[0].etype == 'ON_CLICK' and got[0].value == {'key': 'box'}
    assert got[1] == 'timed out'
    assert sorted(clicks) == ['box', 'camera', 'marker'], 'removed handler must not run again'


async def test_one_function_registered_twice_is_two_registrations(loopback_app, clients):
    app = loopback_app
    calls: list = []

    def on_click(event, session):
        calls.append(event.value)

    remove_first = app.add_handler('ON_CLICK', on_click)
    app.add_handler('ON_CLICK', on_click)
    await app.start_server()
    client = await clients(app)
    await client.send('ON_CLICK', 1)
    await wait_until(lambda: len(calls) == 2)
    remove_first()
    await client.send('ON_CLICK', 2)
    await client.send('ON_CLICK', 3)
    # Events of one connection are handled in order, every registration in the same turn.
    await wait_until(lambda: 3 in calls)
    assert calls == [1, 1, 2, 3], 'both ran; removing one left the other'


def recorded_lifespan(app: Vuer, name: str, log: list):
    """Return a lifespan factory that logs its enter and exit with what it saw."""
    @asynccontextmanager
    async def lifespan():
        log.append((f'enter {name}', app.transport.running))
        try:
            yield
        finally:
            log.append((f'exit {name}', len(app.sessions)))
    return lifespan


async def test_lifespans_wrap_serving_entered_in_order_exited_in_reverse(loopback_app, clients):
    app = loopback_app
    log: list = []
    app.add_lifespan(recorded_lifespan(app, 'a', log))
    second = recorded_lifespan(app, 'b', log)
    assert app.add_lifespan(second) is second, 'usable as a decorator'

    @app.spawn
    async def main(session):
        log.append(('handler started', None))
        await session.forever()
        await asyncio.sleep(0.05)  # cleanup after the client left
        log.append(('handler done', None))

    await app.start_server()
    with pytest.raises(RuntimeError):
        app.add_lifespan(recorded_lifespan(app, 'late', log))
    await clients(app)
    await wait_until(lambda: len(log) == 3)
    await app.stop_server()
    assert log == [('enter a', False), ('enter b', False), ('handler started', None),
                   ('handler done', None),
                   ('exit b', 0), ('exit a', 0)], 'entered before listening, left after'


async def test_a_lifespan_that_fails_to_enter_stops_the_start(loopback_app):
    app = loopback_app
    log: list = []

    @asynccontextmanager
    async def broken():
        raise RuntimeError('no ROS here')
        yield

    app.add_lifespan(recorded_lifespan(app, 'a', log))
    app.add_lifespan(broken)
    app.add_lifespan(recorded_lifespan(app, 'c', log))
    with pytest.raises(RuntimeError, match='no ROS here'):
        await app.start_server()
    assert log == [('enter a', False), ('exit a', 0)]
    assert not app.transport.running
    await app.stop_server()  # nothing to stop
    assert log == [('enter a', False), ('exit a', 0)]


async def test_tasks_are_cancelled_when_the_session_closes(loopback_app, clients):
    app = loopback_app
    tasks: list[asyncio.Task] = []
    forever_returned = asyncio.Event()

    @app.spawn
    async def main(session):
        tasks.append(session.spawn_task(asyncio.sleep(3600), name='background'))
        await session.forever()
        forever_returned.set()

    await app.start_server()
    client = await clients(app)
    while not tasks:
        await asyncio.sleep(0.02)
    await client.close()
    await asyncio.wait_for(forever_returned.wait(), 5)
    await asyncio.sleep(0)
    assert tasks[0].cancelled()
    assert not app.sessions


async def test_session_closes_when_handler_returns(loopback_app, clients):
    app = loopback_app

    @app.spawn
    async def main(session):
        session.upsert @ Box(key='once')

    await app.start_server()
    client = await clients(app)
    assert await client.wait_closed() == WSCloseCode.OK
    assert 'once' in client.upserted()


async def test_shared_scene_reaches_everyone_and_late_joiners(loopback_app, clients):
    app = loopback_app
    await app.start_server()
    early = await clients(app)
    app.upsert @ group(key='frame:map')
    app.upsert(Box(key='robot', position=[1, 0, 0]), to='frame:map')
    app.upsert(Box(key='gone'), to='frame:map')
    app.remove @ 'gone'
    await early.wait_for(lambda frames: 'REMOVE' in etypes(frames))
    late = await clients(app)
    view = await late.wait_for(lambda frames: late.upserted().get('robot'))
    assert view['position'] == [1, 0, 0]
    assert 'gone' not in late.upserted()
    first = late.frames[0]['data']
    assert first['to'] is None and first['nodes'][0]['key'] == 'frame:map', \
        'parents must arrive before their children'
    assert set(early.upserted()) == {'frame:map', 'robot'}


async def test_upserts_of_one_key_coalesce_but_structure_is_kept(loopback_app, clients):
    app = loopback_app
    await app.start_server()
    client = await clients(app, read=False)
    await asyncio.sleep(0.1)
    # Nothing can be sent while the loop does not run, so all of this waits together.
    app.upsert @ group(key='g')
    for i in range(100):
        app.upsert(Box(key='moving', position=[i, 0, 0]), to='g')
    app.remove @ 'moving'
    app.upsert(Box(key='moving', position=[-1, 0, 0]), to='g')
    client.start_reading()
    await client.wait_for(lambda frames: 'REMOVE' in etypes(frames)
                          and client.upserted().get('moving', {}).get('position') == [-1, 0, 0])
    positions = [node['position'] for frame in client.frames if frame['etype'] == 'UPSERT'
                 for node in frame['data']['nodes'] if node['key'] == 'moving']
    assert positions == [[99, 0, 0], [-1, 0, 0]], 'newest wins before the remove, none lost after'
    order = [(frame['etype'], frame['data'].get('keys')) for frame in client.frames]
    assert order[-2] == ('REMOVE', ['moving'])


async def test_stalled_client_is_resynced_and_others_unaffected(loopback_app, clients):
    app = loopback_app
    app.client_byte_limit = 256 * 1024
    await app.start_server()
    stalled = await clients(app, read=False)
    await asyncio.sleep(0.1)
    stalled_session = next(iter(app.sessions))
    normal = await clients(app)
    await asyncio.sleep(0.1)
    payload = 'x' * 50_000
    # ~20 MB of distinct keys: more than the kernel's socket buffers and the byte limit.
    for i in range(400):
        app.upsert @ Box(key=f'box-{i}', name=payload)
        await asyncio.sleep(0)
        for session in app.sessions:
            assert session.outbox.pending_bytes <= app.client_byte_limit
    await normal.wait_for(lambda frames: len(normal.upserted()) == 400, timeout=20)
    assert stalled_session.outbox.resyncs >= 1, 'the stalled client must be resynced'
    normal_session = next(s for s in app.sessions if s is not stalled_session)
    assert normal_session.outbox.resyncs == 0
    app.upsert @ Box(key='box-0', name='latest')
    stalled.start_reading()
    await stalled.wait_for(
        lambda frames: len(stalled.upserted()) == 400
        and stalled.upserted()['box-0'].get('name') == 'latest', timeout=30)
    assert 'SET' in etypes(stalled.frames)
    assert stalled.upserted()['box-399']['name'] == payload


async def test_bad_frames_close_only_that_connection(loopback_app, clients, caplog):
    app = loopback_app
    await app.start_server()
    good = await clients(app)
    cases = [b'\xc1\xc1 not msgpack', msgpack.packb([1, 2, 3]), msgpack.packb({'ts': 1}),
             msgpack.packb({'etype': 'X', 'ts': 'yesterday'}), 'a text frame']
    with caplog.at_level(logging.WARNING, logger='vuer_ros.server'):
        for case in cases:
            bad = await clients(app)
            await bad.send_raw(case)
            assert await bad.wait_closed() == WSCloseCode.UNSUPPORTED_DATA
    reasons = [record.getMessage() for record in caplog.records]
    assert any('not valid msgpack' in reason for reason in reasons)
    assert any('not a map' in reason for reason in reasons)
    assert any('etype' in reason for reason in reasons)
    assert any('timestamp' in reason for reason in reasons)
    assert any('text frame' in reason for reason in reasons)
    app.upsert @ Box(key='still-here')
    await good.wait_for(lambda frames: 'still-here' in good.upserted())


async def test_oversized_frame_is_refused(loopback_app, clients):
    app = loopback_app
    app.max_client_frame = 1024
    await app.start_server()
    client = await clients(app)
    await client.send('BIG', 'x' * 4096)
    assert await client.wait_closed() == WSCloseCode.MESSAGE_TOO_BIG


async def test_unknown_events_and_odd_values_are_tolerated(loopback_app, clients):
    app = loopback_app
    events = []
    app.add_handler('ON_CLICK', lambda event, session: events.append(event.value))
    await app.start_server()
    client = await clients(app, init=False)
    await client.send('INIT', 'not a map')
    await client.send('SOMETHING_NEW', {'a': 1})
    await client.send('ON_CLICK', 42)
    await wait_until(lambda: events)   # handled in order: the odd ones came first
    assert events == [42]
    session = next(iter(app.sessions))
    assert session.init == {}
    assert not session.closed


async def test_malformed_elements_are_rejected_not_sent(loopback_app, clients, caplog):
    app = loopback_app
    await app.start_server()
    client = await clients(app)
    with caplog.at_level(logging.ERROR, logger='vuer_ros.server'):
        app.upsert @ [
            Box(key='nan-box', position=[float('nan'), 0, 0]),
            {'tag': 'Text', 'key': 'bare-text', 'children': 'HELLO'},
            Text('fine', key='good-text'),
        ]
    await client.wait_for(lambda frames: 'good-text' in client.upserted())
    assert set(client.upserted()) == {'good-text'}
    messages = ' '.join(record.getMessage() for record in caplog.records)
    assert 'nan-box' in messages and 'bare-text' in messages
    assert 'nan-box' not in app.scene and 'good-text' in app.scene


async def test_client_page_and_assets_are_served(loopback_app):
    import aiohttp
    app = loopback_app
    await app.start_server()
    async with aiohttp.ClientSession() as http:
        async with http.get(f'http://127.0.0.1:{app.port}/') as response:
            text = await response.text()
            if app.client_dir is None:
                assert response.status == 404 and 'vuer.ai' in text
            else:
                assert response.status == 200 and '/assets/' in text
    assert f'ws=ws://127.0.0.1:{app.port}' in app.client_url()
    app.queries = {'reconnect': True, 'collapseMenu': True}
    assert app.client_url('10.0.0.5').endswith(
        f'/?ws=ws://10.0.0.5:{app.port}&reconnect=true&collapseMenu=true')
    assert app.client_url(base='https://vuer.ai').startswith('https://vuer.ai/?ws=ws://')


async def test_initial_scene_reaches_new_clients_in_one_set(clients):
    from vuer_ros.schemas import Grid, Scene
    app = Vuer(host='127.0.0.1', port=0,
               initial_scene=Scene(key='scene', bgChildren=[Grid(key='grid')]))
    await app.start_server()
    try:
        app.upsert @ group(key='frame:map')
        app.upsert(Box(key='robot'), to='frame:map')
        client = await clients(app)
        first = await client.wait_for(lambda frames: frames and frames[0])
        assert first['etype'] == 'SET'
        assert [node['key'] for node in first['data']['bgChildren']] == ['grid']
        frame_map = first['data']['children'][0]
        assert frame_map['key'] == 'frame:map'
        assert [node['key'] for node in frame_map['children']] == ['robot']
    finally:
        await app.stop_server()


async def test_client_sockets_get_the_small_send_buffer(loopback_app, clients):
    import socket
    app = loopback_app
    await app.start_server()
    await clients(app)
    await asyncio.sleep(0.1)
    session = next(iter(app.sessions))
    sock = session.connection.socket
    # Linux doubles the value it is given, for its own bookkeeping.
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) <= 2 * app.send_buffer


async def test_rpc_waits_for_the_matching_response(loopback_app, clients):
    app = loopback_app
    results = []

    @app.spawn
    async def main(session):
        results.append(await session.rpc('GRAB_RENDER', {'quality': 0.5}, timeout=5))
        with pytest.raises(asyncio.TimeoutError):
            await session.rpc('NEVER_ANSWERED', {}, timeout=0.1)
        results.append('timed out')
        await session.forever()

    await app.start_server()
    client = await clients(app)
    request = await client.wait_for(
        lambda frames: next((f for f in frames if f['etype'] == 'GRAB_RENDER'), None))
    assert request['data']['quality'] == 0.5
    await client.send(f'GRAB_RENDER_RESPONSE@{request["data"]["uuid"]}', {'frame': 'jpeg'})
    await wait_until(lambda: len(results) == 2)
    assert results[0].value == {'frame': 'jpeg'} and results[1] == 'timed out'


async def test_missing_client_says_which_folder_and_how_to_install(tmp_path, capsys):
    app = Vuer(host='127.0.0.1', port=0, client_dir=str(tmp_path))
    await app.start_server()
    try:
        printed = capsys.readouterr().out
        assert f'{tmp_path} is not a Vuer client build' in printed
        assert "pip install 'vuer_ros[client]'" in printed
        assert '--user --no-deps --break-system-packages' in printed   # Ubuntu 24.04, ROS
        # The hosted client is offered only for this machine: elsewhere it is mixed content.
        assert 'https://vuer.ai/?ws=ws://localhost:' in printed
        assert 'hosted:' not in printed
        async with aiohttp.ClientSession() as http:
            async with http.get(f'http://127.0.0.1:{app.port}/') as reply:
                page = await reply.text()
        assert reply.status == 404 and str(tmp_path) in page
    finally:
        await app.stop_server()


def test_an_example_whose_port_is_taken_says_so_without_a_traceback():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        script = ('from vuer_ros import Vuer\n'
                  f"Vuer(host='127.0.0.1', port={port}).run()\n")
        result = subprocess.run([sys.executable, '-c', script], capture_output=True,
                                text=True, timeout=30)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    assert f'cannot listen on 127.0.0.1:{port}' in result.stderr
    assert 'VUER_PORT' in result.stderr
