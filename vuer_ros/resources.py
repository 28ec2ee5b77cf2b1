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
Mesh files named by markers, served to the browser over HTTP from confined roots.

RViz2 loads ``package://``, ``file://`` and ``embedded://`` meshes from disk; a browser can
only fetch URLs. Each resource URI is resolved once to a root directory and a path in
it, and served as ``/resources/<root id>/<path>``, so a Collada file's textures (named
relative to it) resolve too. Only mesh and texture files inside a root a marker made
known are served, never hidden files: no request can climb out of a root or fetch a key
or a configuration file that happens to sit beside a mesh.
"""

from collections import OrderedDict
import hashlib
import mimetypes
from pathlib import Path, PurePosixPath
from typing import Callable, Optional, Sequence
from urllib.parse import quote, unquote, urlparse

from aiohttp import web

ROUTE_PREFIX = '/resources'
#: What a mesh and its materials are made of; nothing else is ever served.
ASSET_EXTENSIONS = frozenset({
    '.stl', '.dae', '.glb', '.gltf', '.obj', '.ply', '.mtl', '.bin',
    '.png', '.jpg', '.jpeg', '.tga', '.bmp', '.gif', '.webp', '.ktx2', '.dds', '.tif', '.tiff',
})


def servable(relative: PurePosixPath) -> bool:
    """Tell whether a path inside a root may be served: an asset file, nothing hidden."""
    return (relative.suffix.lower() in ASSET_EXTENSIONS
            and not any(part.startswith('.') for part in relative.parts))


def _resolved(path: Path) -> Path:
    """Resolve a path; a symlink loop or a NUL byte becomes a ResourceError."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as error:
        raise ResourceError(f'{path} cannot be resolved: {error}') from None


class ResourceError(ValueError):
    """A resource URI that can't be served: unknown scheme, missing file, outside roots."""


class MeshResources:
    """
    Resolve mesh URIs to URLs on this server, and serve the files behind them.

    :param package_share: finds a package's share folder (``ament_index_python``'s
        ``get_package_share_directory`` on a ROS machine).
    :param allowed_file_roots: folders ``file://`` meshes may come from; empty allows any
        file a marker names (as RViz2 does), and then the mesh and texture files in that
        file's folder and below it are served (a mesh's textures often sit in a subfolder).
    :param embedded_limit: bytes of ``embedded://`` meshes kept, oldest dropped first.
    """

    def __init__(self, package_share: Callable[[str], str],
                 allowed_file_roots: Sequence[str] = (),
                 embedded_limit: int = 256 * 1024 * 1024) -> None:
        self._package_share = package_share
        self._allowed = [Path(root).resolve() for root in allowed_file_roots]
        self._roots: dict[str, Path] = {}
        self._embedded: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._embedded_bytes = 0
        self._embedded_limit = embedded_limit
        self._urls: dict[str, str] = {}

    def url_for(self, uri: str, embedded: Optional[bytes] = None) -> str:
        """Return the URL that serves ``uri``; raise :class:`ResourceError` saying why not."""
        cached = self._urls.get(uri)
        if cached is not None and not embedded:
            return cached
        parsed = urlparse(uri)
        if parsed.scheme in ('http', 'https'):
            return uri  # the browser fetches it itself
        if parsed.scheme == 'package':
            url = self._package_url(parsed.netloc, unquote(parsed.path))
        elif parsed.scheme == 'file':
            url = self._file_url(Path(unquote(parsed.netloc + parsed.path)))
        elif parsed.scheme == 'embedded':
            url = self._embedded_url(uri, embedded)
        else:
            raise ResourceError(f'unsupported mesh URI scheme in {uri!r} (package://, '
                                'file://, embedded:// and http(s):// are)')
        self._urls[uri] = url
        return url

    def add_routes(self, add_route: Callable[[str, str, Callable], None]) -> None:
        """Register the HTTP route (``add_route(method, path, handler)``, as on Vuer)."""
        add_route('GET', ROUTE_PREFIX + '/{root}/{path:.+}', self._serve)

    def _package_url(self, package: str, path: str) -> str:
        try:
            share = _resolved(Path(self._package_share(package)))
        except (LookupError, ValueError, OSError) as error:
            raise ResourceError(f'package {package!r} not found: {error}') from None
        return self._url_in_root(share, share / path.lstrip('/'))

    def _file_url(self, path: Path) -> str:
        path = _resolved(path)
        if self._allowed:
            root = next((r for r in self._allowed if path.is_relative_to(r)), None)
            if root is None:
                raise ResourceError(f'{path} is outside the allowed mesh folders')
        else:
            root = path.parent
        return self._url_in_root(root, path)

    def _url_in_root(self, root: Path, path: Path) -> str:
        path = _resolved(path)
        if not path.is_relative_to(root):
            raise ResourceError(f'{path} escapes its root {root}')
        if not path.is_file():
            raise ResourceError(f'mesh file {path} does not exist')
        if not servable(PurePosixPath(path.relative_to(root).as_posix())):
            raise ResourceError(f'{path} is not a mesh or texture file '
                                f'({", ".join(sorted(ASSET_EXTENSIONS))})')
        root_id = hashlib.sha1(str(root).encode()).hexdigest()[:12]
        self._roots[root_id] = root
        return f'{ROUTE_PREFIX}/{root_id}/{quote(path.relative_to(root).as_posix())}'

    def _embedded_url(self, uri: str, data: Optional[bytes]) -> str:
        if not data:
            raise ResourceError(f'{uri} has no embedded mesh data (mesh_file is empty)')
        digest = hashlib.sha1(bytes(data)).hexdigest()[:16]
        parsed = urlparse(uri)
        name = PurePosixPath(unquote(parsed.netloc + parsed.path)).name or 'mesh'
        if digest not in self._embedded:
            self._embedded[digest] = (name, bytes(data))
            self._embedded_bytes += len(data)
            while self._embedded_bytes > self._embedded_limit and len(self._embedded) > 1:
                _, (_, dropped) = self._embedded.popitem(last=False)
                self._embedded_bytes -= len(dropped)
        self._embedded.move_to_end(digest)
        return f'{ROUTE_PREFIX}/embedded-{digest}/{quote(name)}'

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        root_id = request.match_info['root']
        relative = request.match_info['path']
        if root_id.startswith('embedded-'):
            entry = self._embedded.get(root_id[len('embedded-'):])
            if entry is None:
                raise web.HTTPNotFound(text='embedded mesh no longer held')
            content_type = mimetypes.guess_type(entry[0])[0] or 'application/octet-stream'
            return web.Response(body=entry[1], content_type=content_type)
        root = self._roots.get(root_id)
        if root is None:
            raise web.HTTPNotFound(text='unknown resource root')
        try:
            path = _resolved(root / relative)
        except ResourceError:
            raise web.HTTPNotFound(text='no such file') from None
        if not path.is_relative_to(root):
            raise web.HTTPForbidden(text='outside the resource root')
        if not servable(PurePosixPath(path.relative_to(root).as_posix())):
            raise web.HTTPForbidden(text='only mesh and texture files are served')
        if not path.is_file():
            raise web.HTTPNotFound(text=f'no file {relative}')
        return web.FileResponse(path)
