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
Drive the real Vuer browser client in headless Chromium, for tests (not a test module).

The browser is the judge of what the server sends, so browser tests open the client that the
``vuer`` wheel ships, served by the server under test, and look at what it holds and shows::

    from browser import open_client

    async def test_red_box(server):
        async with open_client(server.port) as client:
            await client.wait_for_keys({'box'})
            blob = await client.wait_for_colour((255, 0, 0))
            assert blob.contains(await client.project((0, 0.5, 0)))

Everything runs on the test's event loop (Playwright's async API), next to an aiohttp server.
Chromium comes from the system (Debian's ``chromium``; no Playwright browser download), or
from ``VUER_ROS_CHROMIUM``; without it, or without Playwright, :func:`require_browser` skips
the test and says why, except in CI (``CI=true``), where it fails it.

Reading the client's state: the page exposes its modules as ``window.VUER``, ``window.THREE``
and ``window.FIBER``, so the scene graph comes from the client's own store
(``VUER.useSceneStore``), and the camera from the react-three-fiber root of the canvas.

Pixels are read from the WebGL canvas inside the page (the client creates it with
``preserveDrawingBuffer``) and matched there, so no PNG decoder or PIL is needed, and the
scene-tree panel and other page chrome that overlay the canvas never match a colour.
Coordinates are CSS pixels of the page, the same as a screenshot at device scale 1 and as
:meth:`BrowserClient.project`.
"""

from contextlib import asynccontextmanager
from dataclasses import dataclass
import os
from pathlib import Path
import re
import shutil
import time
from typing import (
    Any, AsyncIterator, Awaitable, Callable, Iterable, List, Optional, Sequence, Set, Tuple,
    Union)
from urllib.parse import urlsplit

import pytest

#: Chromium switches that render WebGL in software (SwiftShader) and keep the browser quiet.
CHROMIUM_FLAGS = (
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
)

#: Client query parameters: menus collapsed, no axes gizmo (its red, green and blue discs
#: would match colour searches) and no VR / AR buttons over the canvas.
CLIENT_QUERY = 'collapseMenu=true&noGizmo=true&noXR=true'

_LOCAL_HOSTS = ('127.0.0.1', 'localhost', '[::1]')
_EXECUTABLES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')

# Runs before the client's scripts: counts websocket opens and received frames, so a test
# can wait for the connection without guessing a delay.
_INIT_SCRIPT = """
(() => {
  const state = window.__vuerRos = {opened: 0, closed: 0, received: 0};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { state.opened += 1; });
      this.addEventListener('close', () => { state.closed += 1; });
      this.addEventListener('message', () => { state.received += 1; });
    }
  };
})();
"""

# The react-three-fiber root state of the client's main canvas (the largest one).
_ROOT_JS = """
const vuerRosRoot = () => {
  const canvases = [...document.querySelectorAll('canvas')]
    .filter((c) => window.FIBER && window.FIBER._roots.get(c))
    .sort((a, b) => b.width * b.height - a.width * a.height);
  if (!canvases.length) return null;
  return {canvas: canvases[0], state: window.FIBER._roots.get(canvases[0]).store.getState()};
};
"""

_READY_JS = _ROOT_JS + """
() => {
  const root = vuerRosRoot();
  return Boolean(window.__vuerRos && window.__vuerRos.opened > 0 && window.VUER && root
                 && root.state.scene.children.length > 0);
}
"""

_SCENE_KEYS_JS = """
() => {
  const keys = [];
  const walk = (nodes) => {
    for (const node of nodes || []) {
      if (node && typeof node === 'object') {
        if (node.key !== undefined) keys.push(String(node.key));
        walk(node.children);
      }
    }
  };
  const state = window.VUER.useSceneStore.getState();
  for (const list of window.VUER.ALL_SCENE_KEYS) walk(state[list]);
  return keys;
}
"""

# Each row of the scene-tree panel for a node is a context-menu trigger; its label span holds
# the key, split into several spans when the panel truncates it in the middle. Rows added
# after the page loaded start collapsed: their chevron is turned by -90 degrees.
_TREE_KEYS_JS = """
() => [...document.querySelectorAll(
  '[data-slot="context-menu-trigger"] span.select-none')].map((span) => span.textContent)
"""

_TREE_EXPAND_JS = """
() => {
  const collapsed = [...document.querySelectorAll(
    '[data-slot="context-menu-trigger"] button > svg.lucide-chevron-down')]
    .filter((svg) => svg.classList.contains('-rotate-90'));
  collapsed.forEach((svg) => svg.parentElement.click());
  if (collapsed.length) window.VUER.useEditorStore.getState().ops.clearSelection();
  return collapsed.length;
}
"""

_NODE_JS = """
(key) => {
  const node = window.VUER.useSceneStore.getState().ops.getNode(key);
  if (!node) return null;
  return JSON.parse(JSON.stringify(node, (name, value) => (
    ArrayBuffer.isView(value) ? {bytes: value.byteLength} : value)));
}
"""

_RENDER_JS = _ROOT_JS + """
() => new Promise((resolve) => {
  const root = vuerRosRoot();
  if (root) root.state.invalidate();
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
})
"""

_CAMERA_JS = _ROOT_JS + """
() => {
  const {state} = vuerRosRoot();
  const camera = state.camera;
  const controls = state.controls;
  const target = controls && controls.target ? controls.target.toArray() : null;
  return {type: camera.type, position: camera.position.toArray(),
          quaternion: camera.quaternion.toArray(), fov: camera.fov, target: target};
}
"""

_SET_CAMERA_JS = _ROOT_JS + """
([position, target]) => {
  const {state} = vuerRosRoot();
  const camera = state.camera;
  const controls = state.controls;
  if (controls && typeof controls.setLookAt === 'function') {
    controls.setLookAt(...position, ...target, false);
    controls.update(0);
  } else {
    camera.position.set(...position);
    camera.lookAt(...target);
    if (controls && controls.target) {
      controls.target.set(...target);
      controls.update();
    }
  }
  camera.updateMatrixWorld();
  state.invalidate();
  return true;
}
"""

_PROJECT_JS = _ROOT_JS + """
(point) => {
  const {canvas, state} = vuerRosRoot();
  const rect = canvas.getBoundingClientRect();
  state.camera.updateMatrixWorld();
  const ndc = new window.THREE.Vector3(...point).project(state.camera);
  return [rect.left + (ndc.x + 1) / 2 * rect.width,
          rect.top + (1 - ndc.y) / 2 * rect.height, ndc.z];
}
"""

# Copies the WebGL canvas into a 2D canvas and scans it in the page, where a full-HD frame
# takes milliseconds. The canvas is transparent where nothing is drawn (the page behind it
# shows the background), so transparent pixels never match. Returns the matching pixels'
# count, bounding box and centroid in CSS pixels of the page.
_FIND_COLOUR_JS = _ROOT_JS + """
([rgb, tolerance, region]) => {
  const {canvas} = vuerRosRoot();
  const rect = canvas.getBoundingClientRect();
  const sx = canvas.width / rect.width;
  const sy = canvas.height / rect.height;
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext('2d', {willReadFrequently: true});
  context.drawImage(canvas, 0, 0);
  const data = context.getImageData(0, 0, copy.width, copy.height).data;
  let [x0, y0, x1, y1] = [0, 0, copy.width, copy.height];
  if (region) {
    x0 = Math.max(0, Math.floor((region[0] - rect.left) * sx));
    y0 = Math.max(0, Math.floor((region[1] - rect.top) * sy));
    x1 = Math.min(copy.width, Math.ceil((region[2] - rect.left) * sx));
    y1 = Math.min(copy.height, Math.ceil((region[3] - rect.top) * sy));
  }
  let count = 0, sumX = 0, sumY = 0;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * copy.width + x) * 4;
      if (data[i + 3] && Math.abs(data[i] - rgb[0]) <= tolerance
          && Math.abs(data[i + 1] - rgb[1]) <= tolerance
          && Math.abs(data[i + 2] - rgb[2]) <= tolerance) {
        count++; sumX += x; sumY += y;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  if (!count) return null;
  const px = (x) => rect.left + (x + 0.5) / sx;
  const py = (y) => rect.top + (y + 0.5) / sy;
  return {count: count, bbox: [px(minX), py(minY), px(maxX), py(maxY)],
          centroid: [px(sumX / count), py(sumY / count)]};
}
"""

_PIXEL_JS = _ROOT_JS + """
([x, y]) => {
  const {canvas} = vuerRosRoot();
  const rect = canvas.getBoundingClientRect();
  const copy = document.createElement('canvas');
  copy.width = 1;
  copy.height = 1;
  const context = copy.getContext('2d');
  const cx = Math.floor((x - rect.left) * canvas.width / rect.width);
  const cy = Math.floor((y - rect.top) * canvas.height / rect.height);
  context.drawImage(canvas, cx, cy, 1, 1, 0, 0, 1, 1);
  return [...context.getImageData(0, 0, 1, 1).data];
}
"""

Point = Tuple[float, float]
Rgb = Sequence[int]


@dataclass(frozen=True)
class Blob:
    """Pixels of one colour on the canvas, in CSS pixels of the page."""

    count: int
    bbox: Tuple[float, float, float, float]
    centroid: Point

    def contains(self, point: Sequence[float], margin: float = 0.0) -> bool:
        """Whether ``point`` (x, y, ...) lies in the bounding box grown by ``margin``."""
        x0, y0, x1, y1 = self.bbox
        return x0 - margin <= point[0] <= x1 + margin and y0 - margin <= point[1] <= y1 + margin

    @property
    def size(self) -> Point:
        """Width and height of the bounding box."""
        return self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1]


def find_chromium() -> Optional[str]:
    """Path of a system Chromium: ``VUER_ROS_CHROMIUM``, else the first on ``PATH``."""
    explicit = os.environ.get('VUER_ROS_CHROMIUM')
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in _EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_unavailable() -> Optional[str]:
    """Why browser tests cannot run here, or None when they can."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return 'Playwright for Python is not installed (pip install playwright)'
    if find_chromium() is None:
        return ('no Chromium found (apt-get install chromium, or set VUER_ROS_CHROMIUM to '
                'a Chromium executable)')
    try:
        from vuer_ros.client_assets import find_client_build
    except ImportError as exc:
        return f'vuer_ros.client_assets cannot be imported: {exc}'
    if find_client_build() is None:
        return ('the Vuer browser client is not installed (pip install vuer==0.1.6, or set '
                'VUER_ROS_CLIENT_DIR to a client_build folder)')
    return None


def in_ci() -> bool:
    """Whether this runs in CI: the runners set ``CI=true`` (``false`` or ``0``: not CI)."""
    return os.environ.get('CI', '').strip().lower() not in ('', '0', 'false', 'no')


def require_browser() -> Optional[str]:
    """
    Return the Chromium executable, or skip the calling test saying why there is none.

    Also callable at the top of a test module, to skip the whole module. In CI a missing
    browser is a failure, not a skip: a test fails naming the reason. At the top of a
    module (while pytest collects, before ``PYTEST_CURRENT_TEST`` is set) it then returns
    None and lets collection go on, so each browser test fails by itself and
    ``-m 'not browser'`` still leaves them out.
    """
    reason = browser_unavailable()
    if reason and in_ci():
        if os.environ.get('PYTEST_CURRENT_TEST'):
            pytest.fail(f'browser tests must run in CI, but: {reason}', pytrace=False)
        return None
    if reason:
        print(f'browser test skipped: {reason}')
        pytest.skip(reason, allow_module_level=True)
    return find_chromium()


def client_url(port: int, host: str = '127.0.0.1', query: str = CLIENT_QUERY) -> str:
    """Address of the client page served by a server on ``port``, talking back to it."""
    url = f'http://{host}:{port}/?ws=ws://{host}:{port}'
    return f'{url}&{query}' if query else url


class BrowserClient:
    """One open page of the real client; every method waits on the page, none blocks."""

    def __init__(self, page: Any):
        self.page = page
        self.console: List[Tuple[str, str, str]] = []  # (type, text, url of the source)
        self.page_errors: List[str] = []
        self.blocked: List[str] = []  # requests to other hosts, refused when offline
        page.on('console', self._on_console)
        page.on('pageerror', lambda error: self.page_errors.append(str(error)))

    async def _refuse(self, route: Any) -> None:
        self.blocked.append(route.request.url)
        await route.abort()

    def _on_console(self, message: Any) -> None:
        location = message.location or {}
        self.console.append((message.type, message.text, location.get('url', '')))

    def console_errors(self) -> List[str]:
        """
        Uncaught page errors and console errors, less the loads refused for being offline.

        Offline, the page cannot load Google fonts and a CDN script whatever the server
        does, so those failed loads are left out. What the client logs about them is kept:
        troika's 'Failed to fetch' means a ``Text`` without a usable font, which never shows.
        """
        return [*self.page_errors, *(
            text for kind, text, url in self.console
            if kind == 'error' and not (text.startswith('Failed to load resource')
                                        and url in self.blocked))]

    def error_boundary_resets(self) -> int:
        """How often an element's error boundary reset (the client logs it every 5 s)."""
        return sum(1 for _, text, _ in self.console if text == 'reset errorBoundary')

    async def evaluate(self, script: str, arg: Any = None) -> Any:
        """Run a JavaScript function in the page."""
        return await self.page.evaluate(script, arg)

    async def ready(self) -> bool:
        """Whether the websocket opened and the 3D scene exists."""
        return bool(await self.page.evaluate(_READY_JS))

    async def frames_received(self) -> int:
        """Websocket frames the page has received so far."""
        return int(await self.page.evaluate('() => window.__vuerRos.received'))

    async def scene_keys(self) -> Set[str]:
        """
        Keys of every node the client holds (scene, background, HTML and raw children).

        Read from the client's scene store, which is what it renders; the panel
        (:meth:`tree_keys`) shows the same keys as long as no subtree is collapsed.
        """
        return set(await self.page.evaluate(_SCENE_KEYS_JS))

    async def tree_keys(self, expand: bool = True) -> Set[str]:
        """
        Labels in the scene-tree panel, as an operator sees them.

        The panel lists a node by its key (a bare string child as ``Item N``). Nodes added
        after the page loaded start collapsed, hiding their descendants; ``expand`` opens
        every collapsed row first (and clears the selection that clicking makes).
        """
        for _ in range(100):
            if not expand or not await self.page.evaluate(_TREE_EXPAND_JS):
                break
            await self.render()
        return set(await self.page.evaluate(_TREE_KEYS_JS))

    async def node(self, key: str) -> Optional[dict]:
        """Return the node the client holds under ``key`` as JSON (binary props as sizes)."""
        return await self.page.evaluate(_NODE_JS, key)

    async def wait_for(self, predicate: Callable[[], Awaitable[Any]], timeout: float = 20.0,
                       what: str = '') -> Any:
        """Poll the async ``predicate`` until it returns neither None nor False, else fail."""
        deadline = time.monotonic() + timeout
        while True:
            value = await predicate()
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f'timed out after {timeout} s waiting for {what or predicate}')
            await self.page.wait_for_timeout(100)

    async def wait_for_keys(self, keys: Iterable[str], timeout: float = 20.0) -> Set[str]:
        """Wait until the client holds all ``keys``; return every key it holds."""
        wanted = set(keys)

        async def held() -> Optional[Set[str]]:
            now = await self.scene_keys()
            return now if wanted <= now else None
        return await self.wait_for(held, timeout, f'keys {sorted(wanted)}')

    async def wait_for_no_keys(self, keys: Iterable[str], timeout: float = 20.0) -> Set[str]:
        """Wait until the client holds none of ``keys``; return every key it holds."""
        unwanted = set(keys)

        async def gone() -> Optional[Set[str]]:
            now = await self.scene_keys()
            return None if unwanted & now else now
        return await self.wait_for(gone, timeout, f'keys {sorted(unwanted)} to go')

    async def render(self) -> None:
        """Ask for a frame and wait until two have been drawn (the client draws on demand)."""
        await self.page.evaluate(_RENDER_JS)

    async def camera(self) -> dict:
        """Return the camera: type, position, quaternion, fov and the controls' target."""
        return await self.page.evaluate(_CAMERA_JS)

    async def look_at(self, position: Sequence[float], target: Sequence[float]) -> None:
        """Put the camera at ``position`` looking at ``target`` (three.js world, Y up)."""
        await self.page.evaluate(_SET_CAMERA_JS, [list(position), list(target)])
        await self.render()

    async def project(self, point: Sequence[float]) -> Tuple[float, float, float]:
        """Page pixel (x, y) and depth (-1..1 in view) of a three.js world point."""
        x, y, depth = await self.page.evaluate(_PROJECT_JS, list(point))
        return x, y, depth

    async def find_colour(self, rgb: Rgb, tolerance: int = 40,
                          region: Optional[Sequence[float]] = None) -> Optional[Blob]:
        """
        Canvas pixels within ``tolerance`` of ``rgb`` in every channel, or None.

        ``region`` (x0, y0, x1, y1 in page pixels) limits the search. Lit materials shade
        their colour; unlit ones (``materialType='basic'``) keep it exactly.
        """
        found = await self.page.evaluate(
            _FIND_COLOUR_JS, [list(rgb), tolerance, list(region) if region else None])
        if not found:
            return None
        return Blob(found['count'], tuple(found['bbox']), tuple(found['centroid']))

    async def wait_for_colour(self, rgb: Rgb, tolerance: int = 40, min_count: int = 20,
                              timeout: float = 20.0,
                              region: Optional[Sequence[float]] = None) -> Blob:
        """Wait until at least ``min_count`` pixels of ``rgb`` are drawn; return them."""
        async def drawn() -> Optional[Blob]:
            await self.render()
            blob = await self.find_colour(rgb, tolerance, region)
            return blob if blob and blob.count >= min_count else None
        return await self.wait_for(drawn, timeout, f'colour {tuple(rgb)}')

    async def pixel(self, x: float, y: float) -> Tuple[int, int, int, int]:
        """Return the canvas RGBA at a page pixel; (0, 0, 0, 0) where nothing is drawn."""
        return tuple(await self.page.evaluate(_PIXEL_JS, [x, y]))

    async def screenshot(self, path: Union[str, Path, None] = None) -> bytes:
        """PNG of the page (canvas and panels); also written to ``path`` when given."""
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return await self.page.screenshot(path=None if path is None else str(path))


@asynccontextmanager
async def open_client(port_or_url: Union[int, str], *, width: int = 1280, height: int = 720,
                      offline: bool = True, color_scheme: str = 'light',
                      timeout: float = 30.0) -> AsyncIterator[BrowserClient]:
    """
    Open the client in headless Chromium and wait until it is connected and drawing.

    ``port_or_url`` is the port of a server on 127.0.0.1 serving the client, or a full page
    address. ``offline`` refuses every request to another host, as on a robot without
    internet, so a test behaves the same with or without a network. Skips the test when
    Chromium or Playwright is missing (fails it in CI).
    """
    executable = require_browser()
    from playwright.async_api import async_playwright

    url = client_url(port_or_url) if isinstance(port_or_url, int) else port_or_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_FLAGS))
        try:
            context = await browser.new_context(
                viewport={'width': width, 'height': height}, color_scheme=color_scheme)
            page = await context.new_page()
            client = BrowserClient(page)
            if offline:
                await page.route(_elsewhere(url), client._refuse)
            await page.add_init_script(_INIT_SCRIPT)
            await page.goto(url)
            await client.wait_for(client.ready, timeout, 'the client to connect and draw')
            await client.render()
            yield client
        finally:
            await browser.close()


def _elsewhere(url: str) -> re.Pattern:
    """Addresses on hosts other than loopback and the page's own (what offline refuses)."""
    host = urlsplit(url).hostname or 'localhost'
    hosts = {*_LOCAL_HOSTS, f'[{host}]' if ':' in host else host}
    allowed = '|'.join(re.escape(host) for host in sorted(hosts))
    return re.compile(rf'^https?://(?!({allowed})[:/]).*')
