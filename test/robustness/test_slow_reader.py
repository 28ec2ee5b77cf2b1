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
A viewer that stops reading under a 1 kHz pose stream: a headset asleep, a stalled tab.

Poses go through the displays as the bridge draws them (``max_rate`` 0: every message):
a PoseStamped, whose upserts of one key coalesce, and an Odometry trail, whose new arrows
and removals of old ones cannot. One client stops reading for the whole run while another
reads on. The stalled one must cost bounded memory, must not slow the other, and must be
back in sync with the scene soon after it reads again. CI runs it for 20 s;
``scripts/robustness.sh --long`` for 10 minutes (``VUER_ROS_SLOW_READER_SECONDS`` sets it).
"""

import asyncio
import math
import os
import time
from typing import Optional

import aiohttp
from msg_factory import pose_stamped
import msgpack
import pytest
from robust_support import record, rss_bytes, scaled
from test_display_scene import odometry

from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.odometry import OdometryDisplay
from vuer_ros.displays.poses import PoseDisplay
from vuer_ros.scene import SceneTree
from vuer_ros.settings import settings_from_values
from wire_client import WireClient

pytestmark = pytest.mark.robustness

SECONDS = float(os.environ.get('VUER_ROS_SLOW_READER_SECONDS') or scaled(20, 600))
RATE = 1000.0
#: Bytes that may wait for one client before it is resynced (the bridge's default is 16 MB;
#: smaller here, so CI's short run resyncs several times once the socket buffers, about
#: 1 MB on loopback, are full).
BYTE_LIMIT = 256 * 1024
#: Growth of the process's memory allowed over the run: the stalled client's backlog is
#: bounded by BYTE_LIMIT, twice at most (the outbox and the batch its sender holds).
RSS_GROWTH = 64 * 1024 * 1024
#: Longest the reading client may go without an update.
MAX_GAP = 1.0


class ViewClient(WireClient):
    """
    A WireClient that keeps what the browser would show, not every frame it got.

    Frames are applied to a SceneTree (the server's model of a client's scene) as they
    arrive, so a client reading for ten minutes holds one scene, not a million frames.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.view = SceneTree()
        self.received = 0
        self.received_bytes = 0
        #: Longest time between two frames since :meth:`watch_gaps`.
        self.max_gap = 0.0
        self._last: Optional[float] = None

    def watch_gaps(self) -> None:
        """Start timing the gaps between frames from now."""
        self._last, self.max_gap = time.monotonic(), 0.0

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.received_bytes += len(message.data)
                self._apply(msgpack.unpackb(message.data, raw=False))
        self.close_code = self.ws.close_code
        self._changed.set()

    def _apply(self, frame: dict) -> None:
        data = frame['data']
        if frame['etype'] == 'SET':
            self.view.set(data)
        elif frame['etype'] in ('UPSERT', 'ADD'):
            for node in data['nodes']:
                self.view.upsert(node, data.get('to'))
        elif frame['etype'] == 'REMOVE':
            self.view.remove(data['keys'])
        self.received += 1
        now = time.monotonic()
        if self._last is not None:
            self.max_gap = max(self.max_gap, now - self._last)
            self._last = now
        self._changed.set()


class PoseStream:
    """Feed the displays at RATE: every message moves the robot 0.2 m along a circle."""

    def __init__(self, host: DisplayHost) -> None:
        self.pose = host.show(PoseDisplay, '/pose')
        self.odometry = host.show(OdometryDisplay, '/odom')
        self.sent = 0

    def position(self, index: int) -> tuple[float, float, float]:
        angle = index * 0.02    # 0.2 m steps on a 10 m circle: every one drops an arrow
        return (10.0 * math.cos(angle), 10.0 * math.sin(angle), index / RATE)

    def publish(self) -> None:
        """Send the next message: a pose and an odometry message, alternately."""
        position = self.position(self.sent)
        if self.sent % 2:
            self.odometry.on_message(odometry(position, 'map'))
        else:
            self.pose.on_message(pose_stamped(position))
        self.sent += 1

    def shown(self, client: ViewClient) -> int:
        """Which message the client's pose element shows (its height counts them); -1: none."""
        node = client.view.get('pose:/pose')
        return -1 if node is None else round(node['position'][2] * RATE)


async def test_a_client_that_stops_reading_costs_bounded_memory(loopback_app):
    app = loopback_app
    app.client_byte_limit = BYTE_LIMIT
    host = DisplayHost(app, settings_from_values({'fixed_frame': 'map', 'frame_axes': 0.0,
                                                  'pose_style': 'axes', 'max_rate': 0.0}))
    host.start()
    stream = PoseStream(host)
    await app.start_server()
    url = f'ws://127.0.0.1:{app.port}/'
    stalled, reading = ViewClient(url), ViewClient(url)
    try:
        await stalled.connect(read=False)
        await asyncio.sleep(0.3)
        stalled_session = next(iter(app.sessions))
        await reading.connect()
        await asyncio.sleep(0.3)
        reading_session = next(s for s in app.sessions if s is not stalled_session)
        figures = await stream_while_stalled(app, stream, reading)
        # The stream stops and the stalled client reads again: it must catch up.
        resumed = time.monotonic()
        stalled.start_reading()
        newest = stream.sent - 1 - (stream.sent - 1) % 2     # the last PoseStamped

        def in_sync(client: ViewClient) -> bool:
            return stream.shown(client) == newest and set(client.view.keys()) == set(
                app.scene.keys())

        await stalled.wait_for(lambda frames: in_sync(stalled), timeout=30)
        figures['stalled_client_back_in_sync_s'] = round(time.monotonic() - resumed, 3)
        await reading.wait_for(lambda frames: in_sync(reading), timeout=10)
    finally:
        await stalled.close()
        await reading.close()
    figures.update(stalled_client_resyncs=stalled_session.outbox.resyncs,
                   reading_client_resyncs=reading_session.outbox.resyncs,
                   reading_client_coalesced=reading_session.outbox.coalesced,
                   scene_keys=len(app.scene))
    record('slow_reader', seconds=SECONDS, rate_hz=RATE, byte_limit=BYTE_LIMIT, **figures)
    assert figures['messages'] >= 0.8 * RATE * SECONDS, figures
    assert figures['max_pending_bytes'] <= BYTE_LIMIT, figures
    assert figures['rss_growth_bytes'] <= RSS_GROWTH, figures
    assert figures['reading_client_resyncs'] == 0, figures
    assert figures['reading_client_max_gap_s'] <= MAX_GAP, figures
    assert figures['stalled_client_resyncs'] >= 1, figures


async def stream_while_stalled(app, stream: PoseStream, reading: ViewClient) -> dict:
    """Stream for SECONDS, sampling memory, backlogs and the reading client's lag."""
    loop = asyncio.get_running_loop()
    rss_start = max_rss = rss_bytes()
    max_pending = max_lag = 0
    reading.watch_gaps()
    started = loop.time()
    while (now := loop.time()) - started < SECONDS:
        for _ in range(int((now - started) * RATE) - stream.sent):
            stream.publish()
        await asyncio.sleep(0.001)
        max_pending = max(max_pending, *(s.outbox.pending_bytes for s in app.sessions))
        max_lag = max(max_lag, stream.sent - stream.shown(reading))
        if stream.sent % 1000 < 2:
            max_rss = max(max_rss, rss_bytes())
    return {'messages': stream.sent, 'achieved_rate_hz': round(stream.sent / SECONDS),
            'max_pending_bytes': max_pending, 'rss_start_bytes': rss_start,
            'rss_growth_bytes': max(max_rss, rss_bytes()) - rss_start,
            'reading_client_frames': reading.received,
            'reading_client_bytes_per_s': round(reading.received_bytes / SECONDS),
            'reading_client_max_gap_s': round(reading.max_gap, 3),
            'reading_client_max_lag_messages': max_lag}
