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
Hostile clients: fuzzed frames against the decoder, the server and every event handler.

A viewer's port is open to a whole lab network. Whatever a client sends, the server must
stay up for the others, refuse what it cannot read with one log line (a client sending
garbage 60 times a second must not flood the log), and hand well-formed events of any
shape to the handlers without a crash: its own (INIT, ``till``, RPC replies) and the
app's.
"""

import asyncio
from collections import Counter
import logging
import math
import struct

from hypothesis import given, strategies as st
import msgpack
import pytest
from robust_support import (client_frame, fuzz_settings, OP_BINARY, OP_TEXT,
                            RawPeer, record, run_examples, scaled)

from vuer_ros import Vuer, wire
from vuer_ros.schemas import Box
from wire_client import WireClient

pytestmark = pytest.mark.robustness

#: New sessions that each get one fuzzed INIT.
INIT_SESSIONS = scaled(60, 2000)

#: What the vuer 0.1.6 client sends (vuer-client-events.md), and RPC replies.
CLIENT_ETYPES = ('INIT', 'CAMERA_MOVE', 'HEAD_MOVE', 'HAND_MOVE', 'CONTROLLER_MOVE',
                 'BODY_MOVE', 'OBJECT_MOVE', 'OBJECT_MOVE_END', 'ON_CLICK', 'CLICK',
                 'ADD_MARKER', 'MOUSE_CLICK', 'KeyDown', 'KeyUp', 'KeyPress', 'GAMEPAD',
                 'GRAB_RENDER_RESPONSE@0000')
#: Loggers whose errors mean a crash inside the server, not a refused client.
CRASH_LOGGERS = ('aiohttp', 'asyncio')

_SCALARS = (st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 64 - 1)
            | st.floats(width=64) | st.text(max_size=20) | st.binary(max_size=20))
#: Any msgpack value: what a frame may hold, maps with non-string keys included.
VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=6) | st.dictionaries(
    st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 63) | st.text(max_size=10),
    inner, max_size=6), max_leaves=12)
#: Events the decoder accepts, shaped like the client's, with values of any shape.
EVENTS = st.fixed_dictionaries(
    {'etype': st.sampled_from(CLIENT_ETYPES) | st.text(min_size=1, max_size=30),
     'ts': st.floats(allow_nan=False, allow_infinity=False) | st.integers(-2 ** 63, 2 ** 63),
     'value': VALUES, 'key': st.none() | st.text(max_size=30)},
    optional={'extra': VALUES})
#: Event maps with any field of the wrong type, missing or not finite.
BAD_EVENTS = st.fixed_dictionaries({}, optional={
    'etype': VALUES, 'ts': VALUES, 'value': VALUES, 'key': VALUES})


def pack(value: object) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def mutated(frame: bytes, data: st.DataObject) -> bytes:
    """Cut a valid frame short, or overwrite some of its bytes."""
    if data.draw(st.booleans()):
        return frame[:data.draw(st.integers(0, max(len(frame) - 1, 0)))]
    frame = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        frame[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    return bytes(frame)


#: Payloads of client frames: anything at all, down to valid events.
PAYLOADS = st.one_of(
    st.binary(max_size=300), VALUES.map(pack), BAD_EVENTS.map(pack), EVENTS.map(pack),
    st.builds(mutated, EVENTS.map(pack), st.data()))
#: Payloads that are hostile by construction, beyond what random bytes reach.
NASTY_PAYLOADS = (
    b'\x91' * 100_000 + b'\xc0',                     # arrays nested 100,000 deep
    b'\xdd\xff\xff\xff\xff',                         # an array claiming 4 billion items
    b'\xdf\xff\xff\xff\xff',                         # a map claiming 4 billion entries
    b'\xdb\xff\xff\xff\xff' + b'x' * 10,             # a string claiming 4 GB
    b'\xc7\x01\xff\x00',                             # a timestamp extension of bad size
    pack({'etype': 'INIT', 'ts': 1.0}) + b'\x00',    # a valid event with trailing bytes
    pack({(1, 2): 'unhashable key', 'etype': 'X'}),  # an array as a map key
    pack({'etype': 'X', 'ts': float('nan')}),
    pack({'etype': 'X', 'ts': True}),
    pack({'etype': '', 'ts': 1}),
    pack({'etype': 'X', 'ts': 1, 'key': b'bytes'}),
    b'x' * (wire.DEFAULT_MAX_CLIENT_FRAME + 1),      # larger than the limit
)


def test_the_decoder_accepts_or_refuses_every_frame_and_nothing_else():
    tally = Counter()

    def decode(payload: bytes) -> None:
        try:
            event = wire.decode_client_frame(payload)
        except wire.ProtocolError as refused:
            assert str(refused), 'a refusal must say why'
            tally['refused'] += 1
            return
        assert isinstance(event.etype, str) and event.etype
        assert isinstance(event.ts, float) and math.isfinite(event.ts)
        assert event.key is None or isinstance(event.key, str)
        tally['accepted'] += 1

    @fuzz_settings(1000, 50_000)
    @given(PAYLOADS)
    def each(payload: bytes) -> None:
        decode(payload)

    each()
    for payload in NASTY_PAYLOADS:
        decode(payload)
    record('decoder_fuzz', frames=sum(tally.values()), **tally, exceptions_escaped=0)
    assert tally['refused'] and tally['accepted']


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every warning and error of the process, the server's and aiohttp's."""
    caplog.set_level(logging.WARNING)
    return caplog


def crashes(records: list[logging.LogRecord]) -> list[str]:
    """Return the messages that mean the server itself failed, not that it refused a client."""
    return [record.getMessage() for record in records
            if record.name.startswith(CRASH_LOGGERS) or record.exc_info
            or 'Traceback' in record.getMessage()]


async def test_events_of_any_shape_reach_every_handler_without_a_crash(
        loopback_app: Vuer, server_log: pytest.LogCaptureFixture) -> None:
    """The app's handlers, ``till`` and RPC waiters get fuzzed events on open sessions."""
    app = loopback_app
    handled = Counter()
    processed = asyncio.Event()
    for etype in CLIENT_ETYPES:
        app.add_handler(etype, lambda event, session: handled.update([event.etype]))

    async def async_handler(event: wire.ClientEvent, session: object) -> None:
        handled['async ON_CLICK'] += 1

    app.add_handler('ON_CLICK', async_handler)
    app.add_handler('PROCESSED', lambda event, session: processed.set())

    @app.spawn(client='browser*', pkg='@vuer-ai/*')
    async def browser(session) -> None:
        await session.forever()

    @app.spawn
    async def main(session) -> None:
        """Wait on events and RPC replies, as scripts do, while the fuzzer sends."""
        while True:
            for etype in ('ON_CLICK', 'CAMERA_MOVE'):
                try:
                    await session.till(etype, timeout=0.05)
                except asyncio.TimeoutError:
                    continue
                handled['till'] += 1
            try:
                await session.rpc('GRAB_RENDER', {}, timeout=0.05)
            except asyncio.TimeoutError:
                handled['rpc timed out'] += 1

    await app.start_server()
    url = f'ws://127.0.0.1:{app.port}/'
    clients = [await WireClient(url).connect(init=False) for _ in range(3)]
    sent = Counter()
    try:
        await fuzz_sessions(url, clients, processed, sent)
        app.upsert @ Box(key='still-serving')
        for client in clients:
            await client.wait_for(lambda frames, c=client: 'still-serving' in c.upserted())
    finally:
        for client in clients:
            await client.close()
    warnings = [r.getMessage() for r in server_log.records]
    non_map_inits = sum('INIT value is a' in message for message in warnings)
    record('handler_fuzz', events_sent=sent['events'], handled=dict(handled),
           sessions=len(clients) + sent['sessions'], warnings=len(warnings),
           warnings_for_non_map_init=non_map_inits,
           server_crashes=len(crashes(server_log.records)))
    assert crashes(server_log.records) == []
    assert len(warnings) == non_map_inits <= len(clients) + sent['sessions'], \
        'one warning per session at most'
    assert handled['till'] and handled['async ON_CLICK'] and handled['INIT']


async def fuzz_sessions(url: str, clients: list[WireClient], processed: asyncio.Event,
                        sent: Counter) -> None:
    """Send fuzzed events on open sessions, then a fuzzed INIT to each of many new ones."""
    async def send_event(event: dict, client: WireClient) -> None:
        sent['events'] += 1
        processed.clear()
        await client.send_raw(pack(event))
        await client.send('PROCESSED')   # events are handled in order: ours came first
        await asyncio.wait_for(processed.wait(), 10)
        assert client.close_code is None, f'{event!r} closed the connection'

    async def one(example: tuple[dict, int]) -> None:
        await send_event(example[0], clients[example[1]])

    await run_examples(st.tuples(EVENTS, st.integers(0, len(clients) - 1)), one, 600, 20_000)

    # INIT values of any shape, each on a new session: spawn filters read them.
    async def first_init(value: object) -> None:
        sent['sessions'] += 1
        client = await WireClient(url).connect(init=False)
        try:
            await send_event({'etype': 'INIT', 'ts': 1, 'value': value}, client)
        finally:
            await client.close()

    inits = st.fixed_dictionaries({}, optional={'client': VALUES, 'pkg': VALUES}) | VALUES
    await run_examples(inits, first_init, INIT_SESSIONS, INIT_SESSIONS)


#: Opcodes of RFC 6455 (continuation, text, binary, close, ping, pong) and reserved ones.
OPCODES = st.integers(0, 15)
#: Whole websocket-level messages: frames with any opcode, FIN bit or mask, or raw bytes.
RAW_MESSAGES = st.one_of(
    st.builds(client_frame, PAYLOADS, st.just(OP_BINARY)),
    st.builds(client_frame, PAYLOADS | st.text().map(str.encode), st.just(OP_TEXT)),
    st.builds(client_frame, st.binary(max_size=130), OPCODES, st.booleans(),
              st.binary(min_size=4, max_size=4)),
    st.builds(lambda payload: b'\x82' + struct.pack('!B', len(payload)) + payload,
              st.binary(max_size=125)),        # unmasked: clients must mask
    st.binary(min_size=1, max_size=200),
)


async def test_malformed_frames_are_refused_once_each_and_the_server_stays_up(
        loopback_app: Vuer, server_log: pytest.LogCaptureFixture) -> None:
    app = loopback_app
    app.max_client_frame = 64 * 1024
    await app.start_server()
    bystander = await WireClient(f'ws://127.0.0.1:{app.port}/').connect()
    codes = Counter()
    most_lines = 0

    async def one(message: bytes) -> None:
        nonlocal most_lines
        before = len(server_log.records)
        peer = await RawPeer.connect(app.port)
        try:
            await peer.send(message)
            peer.writer.write_eof()    # an unfinished frame ends with the stream
            codes[await peer.close_code()] += 1
        except ConnectionResetError:   # refused before it was all sent
            codes['reset'] += 1
        finally:
            await peer.close()
        for _ in range(500):          # the server forgets the session
            if len(app.sessions) == 1:
                break
            await asyncio.sleep(0.01)
        assert len(app.sessions) == 1, 'a refused session was kept'
        lines = len(server_log.records) - before
        most_lines = max(most_lines, lines)
        assert lines <= 1, [r.getMessage() for r in server_log.records[before:]]

    try:
        await run_examples(RAW_MESSAGES, one, 300, 5000)
        for payload in NASTY_PAYLOADS:
            await one(client_frame(payload))
        app.upsert @ Box(key='still-serving')
        await bystander.wait_for(lambda frames: 'still-serving' in bystander.upserted())
    finally:
        await bystander.close()
    record('malformed_frame_fuzz', connections=sum(codes.values()),
           close_codes={str(code): count for code, count in codes.items()},
           most_log_lines_per_connection=most_lines,
           server_crashes=len(crashes(server_log.records)))
    assert crashes(server_log.records) == []
    assert codes[1003] and codes[1002], codes    # refused by the decoder, and by aiohttp


def failing_handler(event: wire.ClientEvent, session: object) -> None:
    """Read a CAMERA_MOVE the way vuer's examples do: it fails on a malformed one."""
    event.value['camera']['position'][0]


async def test_a_handler_failing_on_every_frame_is_logged_throttled(loopback_app, server_log):
    app = loopback_app
    app.add_handler('CAMERA_MOVE', failing_handler)
    await app.start_server()
    client = await WireClient(f'ws://127.0.0.1:{app.port}/').connect()
    frames = 300
    for _ in range(frames):
        await client.send('CAMERA_MOVE', {'camera': None})
    app.upsert @ Box(key='after')
    try:
        await client.wait_for(lambda frames: 'after' in client.upserted())
    finally:
        await client.close()
    failures = [r for r in server_log.records if 'CAMERA_MOVE' in r.getMessage()]
    record('failing_handler', frames=frames, log_lines=len(failures))
    assert 1 <= len(failures) <= 5, f'{len(failures)} log lines for {frames} failures'
