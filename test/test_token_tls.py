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

"""The access token on every route and the websocket; https and wss with a made certificate."""

import logging
import shutil
import ssl
from urllib.parse import parse_qs, urlsplit

import aiohttp
import msgpack
import pytest

from vuer_ros import Vuer
from vuer_ros.tls import main as make_cert_command, make_certificate, server_context, TlsError
from vuer_ros.transport import TOKEN_COOKIE

TOKEN = 'T0ken-for-tests'


@pytest.fixture
async def token_app():
    app = Vuer(host='127.0.0.1', port=0, token=TOKEN)
    app.add_route('GET', '/extra', lambda request: aiohttp.web.Response(text='extra'))
    await app.start_server()
    yield app
    await app.stop_server()


async def test_every_route_and_the_socket_need_the_token(token_app, caplog):
    base = f'http://127.0.0.1:{token_app.port}'
    caplog.set_level(logging.WARNING, logger='vuer_ros')
    async with aiohttp.ClientSession() as http:
        for path in ('/', '/extra', '/static/missing.ttf', '/assets/index.js'):
            async with http.get(base + path) as reply:
                assert reply.status == 401, path
            async with http.get(base + path, params={'token': 'wrong'}) as reply:
                assert reply.status == 403, path
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(base.replace('http', 'ws') + '/')
        assert refused.value.status == 401
        async with http.get(base + '/extra', headers={'Authorization': f'Bearer {TOKEN}'}) \
                as reply:
            assert reply.status == 200
    refusals = [r for r in caplog.records if 'refused' in r.getMessage()]
    assert len(refusals) == 1, 'logged once per address'


async def test_the_printed_url_opens_page_then_cookie_carries_the_token(token_app):
    url = token_app.client_url('127.0.0.1')
    query = parse_qs(urlsplit(url).query)
    assert query['token'] == [TOKEN]
    assert query['ws'] == [f'ws://127.0.0.1:{token_app.port}/?token={TOKEN}']
    # unsafe: aiohttp keeps cookies of IP hosts only then (browsers always do)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url) as reply:
            assert reply.status == 200
            assert reply.cookies[TOKEN_COOKIE].value == TOKEN
            assert reply.cookies[TOKEN_COOKIE]['httponly']
        async with http.get(f'http://127.0.0.1:{token_app.port}/extra') as reply:
            assert reply.status == 200, "the cookie is enough for the page's own requests"
        ws = await http.ws_connect(query['ws'][0])
        await ws.close()


@pytest.fixture
def certificate(tmp_path):
    if shutil.which('openssl') is None:
        pytest.skip('the openssl command is missing: no certificate can be made')
    return make_certificate(tmp_path, ['robot.test', 'localhost'], ['127.0.0.1'], days=2)


async def test_https_and_wss_on_one_port_with_a_made_certificate(certificate):
    cert, key = certificate
    assert oct(key.stat().st_mode & 0o777) == '0o600'
    app = Vuer(host='127.0.0.1', port=0, ssl_context=server_context(str(cert), str(key)),
               token=TOKEN)
    got = []
    app.add_handler('HELLO', lambda event, session: got.append(event.value))
    await app.start_server()
    try:
        url = app.client_url('127.0.0.1')
        assert url.startswith(f'https://127.0.0.1:{app.port}/')
        ws_url = parse_qs(urlsplit(url).query)['ws'][0]
        assert ws_url.startswith(f'wss://127.0.0.1:{app.port}/')
        trust = ssl.create_default_context(cafile=str(cert))   # checks the IP in the SAN
        async with aiohttp.ClientSession() as http:
            async with http.get(url, ssl=trust) as reply:
                assert reply.status in (200, 404)   # 404: no client build, still over TLS
            ws = await http.ws_connect(ws_url, ssl=trust)
            await ws.send_bytes(msgpack.packb({'etype': 'HELLO', 'ts': 1.0, 'value': 7}))
            await ws.close()
            with pytest.raises(aiohttp.ClientConnectorError):   # not trusted: refused
                await http.get(url, ssl=ssl.create_default_context())
    finally:
        await app.stop_server()
    assert got == [7]


def test_certificate_names_the_robot_and_its_addresses(certificate):
    cert, _ = certificate
    info = ssl._ssl._test_decode_cert(str(cert))
    assert ('DNS', 'robot.test') in info['subjectAltName']
    assert ('IP Address', '127.0.0.1') in info['subjectAltName']


def test_cert_command_and_a_bad_file(tmp_path, capsys):
    if shutil.which('openssl') is None:
        pytest.skip('the openssl command is missing')
    assert make_cert_command(['--out', str(tmp_path), '--ip', '10.1.2.3', '--days', '1']) == 0
    assert 'certfile:=' in capsys.readouterr().out
    info = ssl._ssl._test_decode_cert(str(tmp_path / 'vuer_ros.crt'))
    assert ('IP Address', '10.1.2.3') in info['subjectAltName']
    with pytest.raises(TlsError, match='python3 -m vuer_ros.tls'):
        server_context(str(tmp_path / 'missing.crt'))
