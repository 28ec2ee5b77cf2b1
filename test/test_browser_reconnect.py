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
A tab that outlives the server: the page we serve reconnects by itself after a restart.

The vuer 0.1.6 client never reconnects; the served page reloads itself once the server
answers again, so an operator's open tab (or a headset's) comes back without a hand.
"""

import asyncio

from browser import open_client
import pytest

from vuer_ros import Vuer
from vuer_ros.schemas import Box
from vuer_ros.testing import free_port

pytestmark = pytest.mark.browser


async def keys_or_nothing(client) -> set:
    """Return the client's keys; nothing while the page is reloading."""
    try:
        return await client.scene_keys()
    except Exception:   # noqa: B902 (the page navigates away under the evaluation)
        return set()


async def test_an_open_tab_comes_back_after_the_server_restarts():
    port = free_port()
    first = Vuer(host='127.0.0.1', port=port)
    first.upsert @ Box(key='before-restart', args=[0.5, 0.5, 0.5])
    await first.start_server()
    try:
        async with open_client(port) as client:
            await client.wait_for_keys({'before-restart'})
            await first.stop_server()
            await asyncio.sleep(1.0)   # the tab sees the server gone
            second = Vuer(host='127.0.0.1', port=port)
            second.upsert @ Box(key='after-restart', args=[0.5, 0.5, 0.5])
            await second.start_server()
            try:
                await client.wait_for(
                    lambda: _has(client, 'after-restart'), timeout=30,
                    what='the tab to reload and show the restarted server')
            finally:
                await second.stop_server()
    finally:
        await first.stop_server()


async def _has(client, key: str) -> bool:
    return key in await keys_or_nothing(client)
