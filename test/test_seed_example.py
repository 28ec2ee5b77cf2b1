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
The seed example (Vuer's async programming page) runs with only its imports changed.

It runs as a script against a real websocket peer: a red box circles while a background
task prints once a second, in one session, neither blocking the other.
"""

import asyncio
import math
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import vuer_ros
from vuer_ros.testing import free_port
from wire_client import WireClient

EXAMPLE = Path(__file__).resolve().parent.parent / 'examples' / 'async_programming.py'
SEED = Path(__file__).resolve().parent.parent.parent / 'shared' / 'seed' / \
    'async_programming.md'


def test_example_differs_from_the_seed_only_in_its_imports():
    if not SEED.exists():
        import pytest
        pytest.skip(f'the seed page is not beside this checkout ({SEED})')
    text = SEED.read_text()
    seed = text[text.index('```python') + len('```python'):].split('```')[0].strip()
    ours = EXAMPLE.read_text().strip()
    changed = [(a, b) for a, b in zip(seed.splitlines(), ours.splitlines()) if a != b]
    assert len(seed.splitlines()) == len(ours.splitlines())
    assert changed == [('from vuer import Vuer', 'from vuer_ros import Vuer'),
                       ('from vuer.schemas import Scene, Box',
                        'from vuer_ros.schemas import Scene, Box')]


def test_seed_example_circles_a_red_box_beside_its_background_task():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, 'VUER_PORT': str(port), 'VUER_HOST': '127.0.0.1',
                        'PYTHONUNBUFFERED': '1',
                        # the vuer_ros these tests import, installed or from the checkout
                        'PYTHONPATH': str(Path(vuer_ros.__file__).parent.parent)})
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if 'Vuer server on port' in line:
                break
        else:
            raise AssertionError(process.stderr.read())

        async def watch() -> list:
            client = await WireClient(f'ws://127.0.0.1:{port}/').connect()
            try:
                await client.wait_for(lambda frames: len(frames) >= 30, timeout=10)
                return [node for frame in client.frames if frame['etype'] == 'UPSERT'
                        for node in frame['data']['nodes']]
            finally:
                await client.close()

        boxes = asyncio.run(watch())
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert {box['key'] for box in boxes} == {'animated-box'}
    assert all(box['material']['color'] == 'red' for box in boxes), 'color= shows red'
    radii = [math.hypot(box['position'][0], box['position'][2]) for box in boxes]
    assert all(abs(radius - 0.5) < 1e-3 for radius in radii), 'on the 0.5 m circle'
    angles = {round(math.atan2(box['position'][2], box['position'][0]), 2) for box in boxes}
    assert len(angles) >= 20, 'the box moves around the circle'
    assert 'Background task running: 0' in stdout
    assert 'Background task running: 1' in stdout, 'the task runs beside the animation'
    assert process.returncode == 0 and 'Traceback' not in stderr, stderr
