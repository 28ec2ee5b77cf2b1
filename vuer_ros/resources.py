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
it, and served as ``/resources/<root id>/<path>``, so a Collada file's textures and an
OBJ's MTL (named relative to it) resolve too: a ``package://`` root is the package's share
folder (found through the ament index), and a ``file://`` root is the mesh's folder,
widened to take in the textures, MTL files and glTF buffers the mesh names relative to
itself (``../textures/a.png``, at most MAX_CLIMB folders up); a ``.gltf`` is served with
those files inlined, since the client parses it without a base URL. Only mesh and texture
files inside a root a marker or robot made known are served, never hidden files: no
request can climb out of a root or fetch a key or a configuration file that happens to
sit beside a mesh.
"""

import base64
from collections import OrderedDict
import hashlib
import json
import mimetypes
import os
from pathlib import Path, PurePosixPath
import re
from typing import Callable, Optional, Sequence
from urllib.parse import quote, unquote, urlparse

from aiohttp import web

ROUTE_PREFIX = '/resources'
#: What a mesh and its materials are made of; nothing else is ever served.
ASSET_EXTENSIONS = frozenset({
    '.stl', '.dae', '.glb', '.gltf', '.obj', '.ply', '.mtl', '.bin',
    '.png', '.jpg', '.jpeg', '.tga', '.bmp', '.gif', '.webp', '.ktx2', '.dds', '.tif', '.tiff',
})


#: Folders above a file:// mesh its textures may sit in (meshes/visual/x.dae naming
#: ../../materials/textures/x.png is the deepest layout exporters write).
MAX_CLIMB = 2
#: Bytes of a mesh read to find the files it names (texture names come early in a DAE).
_SCAN_BYTES = 4 * 1024 * 1024
_DAE_FILE = re.compile(r'<init_from>\s*([^<]+?)\s*</init_from>')
#: An MTL texture statement; its file is the last word (options such as ``-s 1 1 1`` first).
_MTL_MAP = re.compile(r'^\s*(?:map_\w+|bump|disp|decal|norm)\s.*?(\S+)\s*$', re.MULTILINE)
_OBJ_MTL = re.compile(r'^\s*mtllib\s+(\S.*?)\s*$', re.MULTILINE)


def referenced_files(path: Path) -> list[Path]:
    """
    List the files a mesh names relative to itself, that exist and may be served.

    A DAE's images, an OBJ's MTL and that MTL's textures, a glTF's buffers and images.
    """
    suffix = path.suffix.lower()
    try:
        with open(path, 'rb') as handle:
            text = handle.read(_SCAN_BYTES).decode('utf-8', 'replace')
    except OSError:
        return []
    if suffix == '.dae':
        names = _DAE_FILE.findall(text)
    elif suffix == '.obj':
        names = _OBJ_MTL.findall(text)
    elif suffix == '.mtl':
        names = _MTL_MAP.findall(text)
    elif suffix == '.gltf':
        try:
            document = json.loads(text)
        except ValueError:
            return []
        names = [item.get('uri', '') for kind in ('buffers', 'images')
                 for item in document.get(kind, []) if isinstance(item, dict)]
    else:
        return []
    found = []
    for name in names:
        name = unquote(name.removeprefix('file://'))
        if not name or ':' in name.split('/', 1)[0] or os.path.isabs(name):
            continue   # data: URIs, other schemes and absolute paths are not ours to widen
        target = path.parent / name
        if target.suffix.lower() in ASSET_EXTENSIONS and target.is_file():
            found.append(target)
            if target.suffix.lower() == '.mtl':
                found.extend(referenced_files(target))
    return found


def inlined_gltf(path: Path, root: Path) -> dict:
    """
    Return a .gltf document with the buffers and images it names inlined as data: URIs.

    The client parses a glTF with no base URL, so relative files it names would not load;
    inlined, the document stands alone. Only servable files inside ``root`` are inlined.
    """
    document = json.loads(path.read_text(encoding='utf-8'))
    for kind, mime in (('buffers', 'application/octet-stream'), ('images', None)):
        for item in document.get(kind, []):
            uri = item.get('uri', '') if isinstance(item, dict) else ''
            if not uri or uri.startswith('data:'):
                continue
            target = _resolved(path.parent / unquote(uri))
            if (target.is_relative_to(root) and target.is_file()
                    and servable(PurePosixPath(target.relative_to(root).as_posix()))):
                kind_of = mime or mimetypes.guess_type(target.name)[0] or 'image/png'
                item['uri'] = (f'data:{kind_of};base64,'
                               + base64.b64encode(target.read_bytes()).decode())
    return document


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
            root = self._file_root(path)
        return self._url_in_root(root, path)

    @staticmethod
    def _file_root(path: Path) -> Path:
        """Return the mesh's folder, widened to the files it names (MAX_CLIMB up at most)."""
        root = path.parent
        for target in referenced_files(path):
            target = _resolved(target)
            if not target.is_relative_to(root):
                common = Path(os.path.commonpath([root, target]))
                if len(root.relative_to(common).parts) <= MAX_CLIMB:
                    root = common
        return root

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
        if path.suffix.lower() == '.gltf':
            try:
                return web.json_response(inlined_gltf(path, root))
            except (ValueError, OSError):
                pass   # not a readable glTF document: served as it is
        return web.FileResponse(path)
