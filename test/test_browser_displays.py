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
The displays in the real Vuer client: one group per topic, hidden by its eye icon.

The displays draw on a plain Vuer app (no ROS needed: markers are read by attribute), and
headless Chromium shows what an operator would see. Skips with its reason when Chromium
or Playwright is missing (CI installs both).
"""

from pathlib import Path

from browser import open_client
from msg_factory import marker
import pytest

from vuer_ros.convert import markers as mk
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.markers import MarkerDisplay
from vuer_ros.settings import settings_from_values

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'
#: Lit marker cubes as the client draws them from the default camera (measured).
RED = (117, 0, 1)
BLUE = (0, 0, 122)

#: Click the eye button in the scene-tree row that shows ``key``.
_CLICK_EYE_JS = """
(key) => {
  const rows = [...document.querySelectorAll('[data-slot="context-menu-trigger"]')];
  const row = rows.find((r) => r.querySelector('span.select-none')?.textContent === key);
  const eye = row && row.querySelector('svg.lucide-eye');
  if (!eye) return false;
  eye.closest('button, [role="button"]')?.click() ?? eye.parentElement.click();
  return true;
}
"""


async def test_each_topic_is_a_group_its_eye_icon_hides(served_app):
    app = served_app
    host = DisplayHost(app, settings_from_values({'frame_axes': 0.0}))
    host.start()
    for topic, x, colour in (('/red_markers', -1.0, (1, 0, 0, 1)),
                             ('/blue_markers', 1.0, (0, 0, 1, 1))):
        host.show(MarkerDisplay, topic).on_message(marker(
            mk.CUBE, position=(x, 0, 0.25), scale=(0.5, 0.5, 0.5), color=colour))
    async with open_client(app.port) as client:
        tree = await client.tree_keys()
        assert {'/red_markers', '/blue_markers', '/red_markers@map'} <= tree
        await client.wait_for_colour(RED)
        await client.wait_for_colour(BLUE)
        assert await client.page.evaluate(_CLICK_EYE_JS, '/red_markers')
        await client.render()
        await client.wait_for(
            lambda: _absent(client, RED), what='the red topic to be hidden by its eye icon')
        await client.screenshot(ARTIFACTS / 'browser-eye-icon.png')
        assert await client.find_colour(BLUE) is not None, 'the other topic stays visible'


async def _absent(client, rgb) -> bool:
    await client.render()
    return await client.find_colour(rgb) is None
