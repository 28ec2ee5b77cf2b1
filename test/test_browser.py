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
The real Vuer browser client against the real server: what an operator sees.

Each test runs what a user runs (the seed example, the demo, an app in this process),
opens the client that the ``vuer`` wheel ships in headless Chromium, offline, and checks
the client's own scene store and the pixels it draws. Screenshots for humans go to
``test-artifacts/`` (git-ignored).

Tests point the camera themselves (``look_at``) before reading pixels. three.js is Y-up:
ROS (x, y, z) appears at three (x, z, -y).
"""

import asyncio
import logging
import math
import os
from pathlib import Path
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Iterator, Optional, Sequence

from browser import Blob, BrowserClient, open_client, require_browser
from conftest import require_ros
import pytest

from vuer_ros.client_assets import default_font_url
from vuer_ros.schemas import Box, Group
from vuer_ros.testing import free_port

require_browser()

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / 'test-artifacts'
#: The README's picture of the demo, remade by every run of the demo test.
DEMO_PICTURE = REPO / 'docs' / 'demo.png'

#: Loads the page makes at every start whatever the server does; offline they are refused
#: (and left out of ``console_errors()`` by the harness): the UI's Google fonts and the
#: MuJoCo plug-in script of the client's built-in ContribLoader.
KNOWN_OFFLINE_LOADS = ('https://fonts.googleapis.com/',
                       'https://cdn.jsdelivr.net/npm/@vuer-ai/mujoco-ts@')

#: #ff0000 after the client's ACES tone mapping, and shaded faces of a lit red box
#: (measured: the lit top face of #e51a1a is (199, 0, 20), its front face (99, 0, 3)).
RED = (250, 16, 20)
LIT_RED = (150, 0, 10)
BLUE = (0, 0, 228)
#: The demo's TEXT marker colour (0.1, 0.1, 0.3) as drawn (glyph cores measured (4, 9, 63)).
TEXT_BLUE = (15, 15, 70)

DEMO_MARKERS = [*(('row', i) for i in range(13)), *(('robot', i) for i in (13, 14, 15)),
                ('pulse', 16)]
DEMO_KEYS = {f'marker:/visualization_marker:{ns}:{i}' for ns, i in DEMO_MARKERS} | {
    'axes:base_link', '/visualization_marker', '/demo/odom', 'path:/demo/path',
    'pose:/demo/goal'}


#: Arrows of the demo's odometry trail (not their parts).
TRAIL = re.compile(r'^odometry:/demo/odom/\d+$', re.MULTILINE)


def settled(keys: set) -> set:
    """Return the keys of a demo scene but the odometry trail's, which keeps rolling."""
    return {key for key in keys if not key.startswith('odometry:/demo/odom/')}


def ros_to_three(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Where ROS (x, y, z) appears in the client's Y-up world."""
    return x, z, -y


class Process:
    """A subprocess whose output lines are collected as they come, for a test to wait on."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
            env={**os.environ, 'PYTHONUNBUFFERED': '1', **env})
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.popen.stdout, self.stdout),
                                  (self.popen.stderr, self.stderr))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, lines: list[str]) -> None:
        for line in stream:
            with self._changed:
                lines.append(line.rstrip('\n'))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match:
        """Block until a stdout line matches ``pattern``; fail if the process ends first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.stdout:
                    match = re.search(pattern, line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or not self._readers[0].is_alive():
                    raise AssertionError(
                        f'no output line matching {pattern!r}; stdout:\n'
                        + '\n'.join(self.stdout[-20:]) + '\nstderr:\n'
                        + '\n'.join(self.stderr[-20:]))
                self._changed.wait(left)

    def stop(self, timeout: float = 10.0) -> int:
        """Interrupt the process as Ctrl-C does (unless it ended) and return its exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
        try:
            return self.popen.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        """Make sure the process is gone and its output read."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        for reader in self._readers:
            reader.join(5)


def assert_stopped_cleanly(process: Process) -> None:
    """Ctrl-C ends the process at once, with exit code 0 and no traceback."""
    code = process.stop()
    stderr = '\n'.join(process.stderr)
    assert code == 0, f'exit code {code}; stderr:\n{stderr}'
    assert 'Traceback' not in stderr and 'KeyboardInterrupt' not in stderr, stderr


def assert_client_healthy(client: BrowserClient) -> None:
    """
    No element's error boundary tripped, nothing logged as an error, no CDN fallback.

    The page's two known offline loads are refused and are no error of ours; any other
    request to another host (troika's font fallback on jsdelivr, for one) is.
    """
    assert client.error_boundary_resets() == 0, client.console
    assert client.console_errors() == []
    unexpected = [url for url in client.blocked if not url.startswith(KNOWN_OFFLINE_LOADS)]
    assert unexpected == [], 'the client fetched from the internet'


async def page_is_up(client: BrowserClient) -> bool:
    """Whether the page still shows the app (a crashed client empties ``#root``)."""
    return await client.evaluate(
        '() => document.querySelectorAll("canvas").length > 0 '
        '&& document.getElementById("root").childElementCount > 0')


async def region_around(client: BrowserClient, corners: Sequence[Sequence[float]],
                        grow_y: float = 0.0) -> tuple[float, float, float, float]:
    """Page rectangle holding the projections of three.js ``corners``, ``grow_y`` taller."""
    points = [await client.project(corner) for corner in corners]
    return (min(p[0] for p in points), min(p[1] for p in points) - grow_y,
            max(p[0] for p in points), max(p[1] for p in points) + grow_y)


def in_view(point: Sequence[float], width: int = 1280, height: int = 720) -> bool:
    """Whether a projected point lies on the canvas and in front of the camera."""
    return 0 <= point[0] <= width and 0 <= point[1] <= height and -1 < point[2] < 1


# -- 1. The seed example -----------------------------------------------------------------------

async def test_seed_example_animates_a_red_box_while_its_background_task_runs():
    port = free_port()
    process = Process([sys.executable, 'examples/async_programming.py'], {
        'VUER_PORT': str(port), 'VUER_HOST': '127.0.0.1',
        # The example imports vuer_ros like an installed package.
        'PYTHONPATH': os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')]))})
    try:
        await asyncio.to_thread(process.wait_for_line, rf'Vuer server on port {port}$')
        async with open_client(port) as client:
            await client.wait_for_keys({'animated-box'})
            await client.look_at((0, 1.6, 1.6), (0, 0, 0))  # the circle seen from above

            async def sighting() -> tuple[list, Blob]:
                """Return the store's box position and the red pixels drawn around then."""
                before = (await client.node('animated-box'))['position']
                blob = await client.wait_for_colour(RED, tolerance=45)
                after = (await client.node('animated-box'))['position']
                projections = [await client.project(p) for p in (before, after)]
                # The box is ~25 px wide: its centre lies within the lit faces' box.
                assert any(blob.contains(p, margin=12) for p in projections), (
                    blob, projections)
                return after, blob

            first, first_blob = await sighting()
            await asyncio.sleep(0.5)
            second, second_blob = await sighting()
            await asyncio.to_thread(process.wait_for_line, r'^Background task running: 2$',
                                    timeout=10)
            third, third_blob = await sighting()
            await client.screenshot(ARTIFACTS / 'browser-seed-example.png')
            assert_client_healthy(client)
    finally:
        process.stop()
    for x, y, z in (first, second, third):
        assert math.hypot(x, z) == pytest.approx(0.5, abs=1e-3) and y == pytest.approx(0.05)
    # It circles: the store and the pixels both moved, also while the task counted to 2.
    for (a, blob_a), (b, blob_b) in (((first, first_blob), (second, second_blob)),
                                     ((second, second_blob), (third, third_blob))):
        assert math.dist(a, b) > 0.02
        assert math.dist(blob_a.centroid, blob_b.centroid) > 5, (blob_a, blob_b)
    assert process.stdout[0] == f'Vuer server on port {port}'
    counts = [int(m.group(1)) for line in process.stdout
              if (m := re.fullmatch(r'Background task running: (\d+)', line))]
    assert counts[:3] == [0, 1, 2]
    assert counts == list(range(len(counts)))
    assert_stopped_cleanly(process)


# -- 2., 3., 6. The demo --------------------------------------------------------------------

@pytest.fixture(scope='module')
def demo() -> Iterator[int]:
    """Run the README's demo process (bridge and publisher) and yield its port."""
    require_ros()
    process = Process([
        sys.executable, '-c', 'from vuer_ros.ros.bridge_node import demo_main; demo_main()',
        '--ros-args', '-p', 'port:=0', '-p', 'host:=127.0.0.1'], {})
    try:
        port = int(process.wait_for_line(r'^Vuer server on port (\d+)$').group(1))
        yield port
    except BaseException:
        process.kill()
        raise
    assert_stopped_cleanly(process)


async def test_demo_shows_every_marker_z_up(demo):
    async with open_client(demo) as client:
        await client.wait_for_keys(DEMO_KEYS)
        # The README's picture: the whole demo beside the scene panel, once the label's
        # font has loaded, as a user sees it.
        await client.look_at((-1.8, 6, 11.5), (-1.8, 0, 1.5))
        await client.wait_for_colour(TEXT_BLUE, tolerance=30, min_count=100)
        await client.screenshot(DEMO_PICTURE)
        cube = await client.node('marker:/visualization_marker:row:1')
        assert cube['position'] == [-5, -4, 0.5]
        assert (await client.node('ros-root'))['rotation'] == pytest.approx(
            [-math.pi / 2, 0, 0])
        # The red CUBE (ns row, id 1) is at ROS (-5, -4, 0.5) in map. Look at it from the
        # front and above, so that where a wrong axis mapping would put it (ROS z down:
        # three y = -0.5; ROS y not negated: three z = -4) is in view too, below and
        # above it on the same column.
        where = ros_to_three(-5, -4, 0.5)
        assert where == (-5, 0.5, 4)
        wrong = [(-5, -0.5, 4), (-5, 0.5, -4)]
        await client.look_at((-5, 3, 8), (-5, 0.3, 0))
        # Only that column (0.8 m wide) is searched: the orange arrow marker 0.25 m to its
        # left shades to colours close to the cube's.
        column = await region_around(client, [(-5.4, 0.5, 4), (-4.6, 0.5, 4), *wrong],
                                     grow_y=40)
        await client.render()
        red = await client.wait_for_colour(LIT_RED, tolerance=60, min_count=200,
                                           region=column)
        await client.screenshot(ARTIFACTS / 'browser-demo-z-up.png')
        right = await client.project(where)
        assert red.contains(right), (red, right)
        for point in wrong:
            seen = await client.project(point)
            assert in_view(seen) and not red.contains(seen, margin=10), (point, red, seen)
        assert max(red.size) < 120, red  # one 0.5 m cube about 5 m away, not a smear
        assert_client_healthy(client)


async def test_demo_text_marker_renders_offline_with_the_served_font(demo):
    async with open_client(demo) as client:
        await client.wait_for_keys({'marker:/visualization_marker:row:9/text'})
        text = await client.node('marker:/visualization_marker:row:9/text')
        assert text['children'] == ['vuer_ros'] and text['font'] == default_font_url()
        status = await client.evaluate(
            'async (url) => (await fetch(url)).status', default_font_url())
        assert status == 200, 'the server serves the font the Text asks for'
        # The label hangs at ROS (3, -4, 0.5); look at it from the front, a little above,
        # and search only the 1.2 m x 0.6 m around it (the POINTS ring and the mesh marker
        # are the neighbours at x = 2 and x = 4).
        where = ros_to_three(3, -4, 0.5)
        await client.look_at((3, 2.5, 7.5), where)
        around = await region_around(client, [(2.4, 0.2, 4), (3.6, 0.8, 4)])
        glyphs = await client.wait_for_colour(TEXT_BLUE, tolerance=30, min_count=500,
                                              region=around)
        await client.screenshot(ARTIFACTS / 'browser-demo-text.png')
        centre = await client.project(where)
        assert glyphs.contains(centre), (glyphs, centre)
        width, height = glyphs.size
        assert width > 3 * height, f'{glyphs} is not one line of text'
        assert abs(glyphs.centroid[1] - centre[1]) < height / 2
        assert_client_healthy(client)
        assert not any('Failed to fetch' in message for _, message, _ in client.console)


async def test_a_late_tab_shows_the_same_scene_as_the_first(demo):
    async with open_client(demo) as first:
        await first.wait_for_keys(DEMO_KEYS)
        async with open_client(demo) as late:
            await late.wait_for_keys(DEMO_KEYS)

            async def same_keys() -> Optional[set]:
                # The odometry trail rolls on (a new arrow every 0.5 m, the oldest removed):
                # a headless tab on a loaded 2-core machine applies frames more slowly than
                # that, so the first tab's trail may lag; everything else must be the same,
                # and the late tab must hold a trail (DEMO_OVERRIDES' odometry_keep at most).
                keys = settled(await first.scene_keys())
                return keys if keys == settled(await late.scene_keys()) else None
            try:
                keys = await late.wait_for(same_keys, 10, 'both tabs to hold the same keys')
            except AssertionError:
                only_first = await first.scene_keys() - await late.scene_keys()
                only_late = await late.scene_keys() - await first.scene_keys()
                raise AssertionError(f'only in the first tab: {sorted(only_first)}; '
                                     f'only in the late tab: {sorted(only_late)}') from None
            assert DEMO_KEYS < keys
            from vuer_ros.ros.demo import DEMO_OVERRIDES
            trail = TRAIL.findall('\n'.join(await late.scene_keys()))
            assert 0 < len(trail) <= DEMO_OVERRIDES['odometry_keep'], trail
            # And it draws them: the red cube is where the first tab shows it.
            for tab in (first, late):
                await tab.look_at((-5, 3, 8), (-5, 0.3, 0))
            column = await region_around(late, [(-5.4, 0.5, 4), (-4.6, 0.5, 4)], grow_y=80)
            seen = [await tab.wait_for_colour(LIT_RED, tolerance=60, min_count=200,
                                              region=column) for tab in (first, late)]
            assert math.dist(seen[0].centroid, seen[1].centroid) < 5, seen
            await late.screenshot(ARTIFACTS / 'browser-late-tab.png')
            assert_client_healthy(late)


# -- 4., 5. An app in this process ------------------------------------------------------------

def box(key: str, colour: str, x: float) -> Box:
    """Make an unlit 0.5 m box standing on the floor at three (x, 0.25, 0)."""
    return Box(key=key, args=[0.5, 0.5, 0.5], position=[x, 0.25, 0], materialType='basic',
               material={'color': colour})


async def test_a_frame_group_that_becomes_empty_keeps_taking_children(served_app):
    app = served_app
    # The client prunes childless nodes tagged 'group' after every REMOVE; frame groups
    # are VuerGroups so a frame whose last marker went away still exists for the next one.
    app.upsert @ Group(key='frame:a', position=[0.5, 0, 0])
    app.upsert(box('b', '#0000ff', -1.0), to='frame:a')
    async with open_client(app.port) as client:
        await client.wait_for_keys({'frame:a', 'b'})
        await client.wait_for_colour(BLUE)
        app.remove @ 'b'
        keys = await client.wait_for_no_keys({'b'})
        assert 'frame:a' in keys, 'the emptied frame group was pruned by the client'
        app.upsert(box('c', '#0000ff', 1.0), to='frame:a')
        await client.wait_for_keys({'c'})
        blue = await client.wait_for_colour(BLUE)
        await client.screenshot(ARTIFACTS / 'browser-frame-group.png')
        # c sits at x = 1 inside the frame at x = 0.5.
        assert blue.contains(await client.project((1.5, 0.25, 0)))
        assert not blue.contains(await client.project((-0.5, 0.25, 0)), margin=10)
        assert not [text for _, text, _ in client.console if 'not found' in text]
        assert_client_healthy(client)


async def test_malformed_elements_never_reach_the_client(served_app, caplog):
    app = served_app
    caplog.set_level(logging.ERROR, logger='vuer_ros.server')
    async with open_client(app.port) as client:
        app.upsert @ box('good-1', '#ff0000', -1.0)
        await client.wait_for_keys({'good-1'})
        # Each of these blanks the whole page when the client gets it.
        app.upsert @ {'tag': 'Text', 'key': 't', 'children': 'HELLO'}
        app.upsert @ {'tag': 'Box', 'key': 'x', 'position': 'abc'}
        app.upsert @ box('good-2', '#0000ff', 1.0)
        keys = await client.wait_for_keys({'good-2'})  # sent after the bad ones
        assert not {'t', 'x'} & keys, 'a malformed element reached the client'
        await client.render()  # two frames drawn since: a crash empties the page in one
        assert await page_is_up(client), 'the page went blank'
        red = await client.wait_for_colour(RED)
        blue = await client.wait_for_colour(BLUE)
        assert red.contains(await client.project((-1, 0.25, 0)))
        assert blue.contains(await client.project((1, 0.25, 0)))
        await client.screenshot(ARTIFACTS / 'browser-malformed.png')
        assert_client_healthy(client)
    rejected = ' '.join(record.getMessage() for record in caplog.records)
    assert "'t' not sent" in rejected and "'x' not sent" in rejected, rejected
