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
Mesh file serving against a hostile network: only mesh files inside their roots leave.

The viewer's port serves the folders that markers' meshes come from. Requests are sent
byte for byte (an HTTP client library would tidy the paths up first): ``..`` plain,
percent-encoded once and twice, backslashes, absolute paths, NUL bytes, hidden files,
symlinks that lead out of a root and files that are not meshes. Every one must be
refused, and the marker side (mesh URIs resolved to URLs) must refuse the same escapes.
"""

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from robust_support import record

from vuer_ros.resources import MeshResources, ResourceError

pytestmark = pytest.mark.robustness

SECRET = b'the robot password'
MESH = b'solid part\nendsolid part\n'


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """
    Give a package share and a mesh root with meshes, and secrets beside and outside them.

    Symlinks inside the roots lead to a secret outside them, as a file and as a folder.
    """
    outside = tmp_path / 'outside'
    share = tmp_path / 'share' / 'robot_description'
    root = tmp_path / 'meshes'
    for folder in (outside, share / 'meshes', root / 'sub', root / '.git'):
        folder.mkdir(parents=True)
    for path in (outside / 'secret.stl', outside / 'secret.txt', root / 'notes.txt',
                 root / '.hidden.stl', root / '.git' / 'config.stl', share / 'package.xml'):
        path.write_bytes(SECRET)
    for path in (share / 'meshes' / 'base.stl', root / 'part.stl', root / 'sub' / 'tex.png'):
        path.write_bytes(MESH)
    (root / 'link.stl').symlink_to(outside / 'secret.stl')
    (root / 'linked').symlink_to(outside)
    (share / 'meshes' / 'escape.stl').symlink_to(outside / 'secret.stl')
    return {'outside': outside, 'share': share, 'root': root}


async def http_get(port: int, target: bytes) -> tuple[int, bytes]:
    """Send a GET for ``target`` exactly as given; return the status and the body."""
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    try:
        writer.write(b'GET ' + target + b' HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     b'Connection: close\r\n\r\n')
        reply = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = reply.partition(b'\r\n\r\n')
    return int(head.split(b' ', 2)[1]), body


def attacks(file_base: str, package_base: str, outside: Path) -> list[str]:
    """Request paths that try to leave a root or fetch what is not a mesh."""
    escapes = []
    for base in (file_base, package_base):
        escapes += [f'{base}/../outside/secret.stl', f'{base}/../../outside/secret.stl',
                    f'{base}/sub/../../outside/secret.stl']
        for dots in ('%2e%2e', '%2E%2E', '.%2e', '%252e%252e', '..%2f..', '..%252f..',
                     '..%5c..', '..\\..', '%c0%ae%c0%ae'):
            escapes += [f'{base}/{dots}/outside/secret.stl',
                        f'{base}/{dots}%2foutside%2fsecret.stl',
                        f'{base}/{dots}/{dots}/{dots}/{outside}/secret.stl']
        escapes += [f'{base}/{outside}/secret.stl', f'{base}//{outside}/secret.stl',
                    f'{base}/%2f{str(outside)[1:]}/secret.stl', f'{base}/%2fetc%2fpasswd',
                    f'{base}/part.stl%00.png', f'{base}/part.stl%00', f'{base}/%00',
                    f'{base}/.hidden.stl', f'{base}/%2ehidden.stl', f'{base}/.git/config.stl',
                    f'{base}/sub/../.hidden.stl', f'{base}/notes.txt', f'{base}/package.xml',
                    f'{base}/link.stl', f'{base}/linked/secret.stl', f'{base}/linked/secret.txt',
                    f'{base}/escape.stl', f'{base}/meshes/escape.stl',
                    f'{base}/meshes/../package.xml', f'{base}/']
    return escapes + ['/resources/../../outside/secret.stl', '/resources/unknown/part.stl',
                      '/resources/embedded-0000/part.stl', '/resources/%2e%2e/secret.stl',
                      f'/resources/{outside}/secret.stl', '/static/../../outside/secret.stl',
                      '/static/%2e%2e/%2e%2e/outside/secret.stl', '/assets/../../../etc/passwd']


async def test_requests_outside_the_roots_are_all_refused(loopback_app, tree):
    app = loopback_app
    resources = MeshResources(lambda name: str(tree['share']), [str(tree['root'])])
    resources.add_routes(app.add_route)
    await app.start_server()
    # The marker side registers the roots, as drawing mesh markers does.
    part = resources.url_for(f'file://{tree["root"]}/part.stl')
    base_mesh = resources.url_for('package://robot_description/meshes/base.stl')
    file_base = part.rsplit('/', 1)[0]
    package_base = base_mesh.rsplit('/', 2)[0]
    statuses = Counter()
    leaked = []
    for target in attacks(file_base, package_base, tree['outside']):
        status, body = await http_get(app.port, target.encode())
        statuses[status] += 1
        if status == 200 or SECRET in body:
            leaked.append((target, status))
    served = [await http_get(app.port, url.encode())
              for url in (part, base_mesh, f'{file_base}/sub/tex.png')]
    record('file_serving_requests', attacks=sum(statuses.values()), refused=sum(
        count for status, count in statuses.items() if status != 200) - len(leaked),
        leaked=len(leaked), statuses={str(code): n for code, n in sorted(statuses.items())},
        meshes_served=sum(status == 200 and body == MESH for status, body in served))
    assert leaked == []
    assert served == [(200, MESH)] * 3, 'the meshes themselves are still served'


def test_mesh_uris_that_leave_their_roots_are_refused(tree):
    """What a marker names is checked before any URL exists for it."""
    resources = MeshResources(lambda name: str(tree['share']), [str(tree['root'])])
    root, outside = tree['root'], tree['outside']
    refused = {}
    uris = [f'file://{outside}/secret.stl', f'file://{root}/../outside/secret.stl',
            f'file://{root}/%2e%2e/outside/secret.stl', f'file://{root}/link.stl',
            f'file://{root}/linked/secret.stl', f'file://{root}/.hidden.stl',
            f'file://{root}/.git/config.stl', f'file://{root}/notes.txt',
            f'file://{root}/part.stl%00.png', f'file://{root}/missing.stl',
            'file:///etc/passwd', 'file://etc/passwd', 'file:relative.stl',
            'package://robot_description/../../outside/secret.stl',
            'package://robot_description/%2e%2e/%2e%2e/outside/secret.stl',
            'package://robot_description/meshes/escape.stl',
            'package://robot_description/package.xml', 'package://../outside/secret.stl',
            'ftp://example.com/part.stl', 'javascript:alert(1)', 'part.stl', '']
    for uri in uris:
        try:
            url = resources.url_for(uri)
        except ResourceError as error:
            refused[uri] = str(error)
        else:
            pytest.fail(f'{uri!r} was given a URL: {url}')
    record('file_serving_uris', uris=len(uris), refused=len(refused))
    assert resources.url_for(f'file://{root}/sub/tex.png').endswith('/sub/tex.png')
