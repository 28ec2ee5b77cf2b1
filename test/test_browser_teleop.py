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
Teleoperation from the real client in headless Chromium to real ROS subscribers.

Playwright cannot attach a gamepad, so an init script stands in for
``navigator.getGamepads``. Without the bridge's page fix (``GAMEPAD_POLL_SCRIPT``) the
client's Gamepad element sends nothing in Chromium; with it, the pad reaches ``/joy``.
"""

import asyncio
import math
from pathlib import Path

from browser import client_url, open_client
from conftest import require_ros
import pytest

rclpy = require_ros()

from geometry_msgs.msg import PoseStamped  # noqa: E402,I100
from sensor_msgs.msg import Joy  # noqa: E402
from test_teleop import inboxes, orientation, position, teleop_bridge  # noqa: E402

from vuer_ros import Vuer  # noqa: E402
from vuer_ros.convert.transforms import rpy_to_quaternion  # noqa: E402
from vuer_ros.schemas import Scene, SceneCamera, SceneCameraControl  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.ros]

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'

#: A standard-mapping pad: left stick pushed right a quarter and fully up, A held.
STAND_IN_PAD = """
(() => {
  const pad = {id: 'Stand-in pad (STANDARD GAMEPAD)', index: 0, connected: true,
               mapping: 'standard', axes: [0.25, -1, 0, 0], timestamp: 1,
               buttons: [{pressed: true, touched: true, value: 1},
                         {pressed: false, touched: false, value: 0}]};
  navigator.getGamepads = () => [pad, null, null, null];
})();
"""


async def test_gamepad_and_camera_reach_ros_from_chromium(ros_context):
    async with teleop_bridge(ros_context, teleop_timeout=0.3) as rig:
        joy, camera = await inboxes(rig, (Joy, '/joy'),
                                    (PoseStamped, '/vuer_bridge/camera_pose'))
        async with open_client(rig.app.port) as client:
            # The client streams its camera on change: its first pose, at Y-up (0, 6, 10).
            (first, *_) = await camera.wait()
            assert position(first.pose) == pytest.approx((0.0, -10.0, 6.0), abs=1e-6)
            await client.page.add_init_script(STAND_IN_PAD)
            await client.page.reload()
            messages = await joy.wait(3, timeout=20.0)
            pushed = [m for m in messages if any(m.buttons)]
            assert pushed, 'the Gamepad element sends with the bridge page fix'
            assert list(pushed[0].axes) == pytest.approx([-0.25, 1.0, 0.0, 0.0])
            assert list(pushed[0].buttons) == [1, 0]
            # The tab goes away: one neutral Joy, then nothing.
            await client.page.goto('about:blank')
            await asyncio.sleep(0.6)
            assert not any(messages[-1].buttons) and not any(messages[-1].axes)


async def test_round_trip_ros_pose_viewer_camera_ros(ros_context):
    """
    A camera pose from ROS, put in the real viewer, comes back from its controls.

    The controls turn the camera to their target (the origin), so the ROS pose is one that
    looks at the origin with no roll: at (3, -4, 2), yawed and pitched down towards it.
    """
    x, y, z = 3.0, -4.0, 2.0
    yaw, pitch = math.atan2(-y, -x), math.atan2(z, math.hypot(x, y))
    app = Vuer(host='127.0.0.1', port=0, initial_scene=Scene(key='scene', bgChildren=[
        SceneCamera(key='SceneCamera', position=[x, z, -y]),      # ROS -> three.js
        SceneCameraControl(key='SceneCameraControl', makeDefault=True, stream=True)]))
    async with teleop_bridge(ros_context, node_options={'app': app}) as rig:
        (camera,) = await inboxes(rig, (PoseStamped, '/vuer_bridge/camera_pose'))
        async with open_client(rig.app.port):
            (back, *_) = await camera.wait()
    assert position(back.pose) == pytest.approx((x, y, z), abs=1e-9)
    assert orientation(back.pose) == pytest.approx(rpy_to_quaternion(0.0, pitch, yaw),
                                                   abs=1e-9)


async def drag(client, start, end, steps: int = 10) -> None:
    """Drag with the mouse from one three.js world point to another."""
    x, y, _ = await client.project(start)
    to_x, to_y, _ = await client.project(end)
    await client.page.mouse.move(x, y)
    await client.page.mouse.down()
    for step in range(1, steps + 1):
        await client.page.mouse.move(x + (to_x - x) * step / steps,
                                     y + (to_y - y) * step / steps)
        await asyncio.sleep(0.03)
    await client.page.mouse.up()


async def test_dragging_the_goal_handle_publishes_one_goal(ros_context):
    """The Movable's local matrix is the fixed frame's pose: the handle sits in ros-root."""
    async with teleop_bridge(ros_context) as rig:
        (goal,) = await inboxes(rig, (PoseStamped, '/goal_pose'))
        async with open_client(rig.app.port) as client:
            await client.wait_for_keys({'tool:goal_pose', 'teleop-status'})
            await client.look_at([1, 4, 3], [1, 0, 0])
            # The goal handle rests at ROS (1, 0, 0), three.js (1, 0, 0); grab its gizmo's
            # x arrow and pull it 0.8 m along x.
            await drag(client, [1.35, 0, 0], [2.15, 0, 0])
            (message,) = await goal.wait(timeout=10)
            await asyncio.sleep(0.5)
            await client.screenshot(ARTIFACTS / 'teleop_goal_drag.png')
        assert len(goal.messages) == 1, 'one goal per drag, at its end'
        assert message.header.frame_id == 'map'
        assert message.pose.position.x == pytest.approx(1.8, abs=0.15)
        assert message.pose.position.y == pytest.approx(0.0, abs=1e-6)
        assert message.pose.position.z == 0.0
        assert message.pose.orientation.w == pytest.approx(1.0)


async def test_head_up_status_shows_at_the_top_of_the_view_wherever_it_looks(ros_context):
    async with teleop_bridge(ros_context) as rig:
        async with open_client(rig.app.port) as client:
            await client.wait_for_keys({'teleop-status'}, timeout=10)
            panel = await client.node('teleop-status')
            assert panel['tag'] == 'ImageBackground' and panel['src']['bytes'] > 1000
            # White letters outlined in black, at the top centre of the 1280 x 720 view,
            # and still there once the view turns the other way: it follows the camera.
            top = (240, 0, 1040, 140)
            seen = []
            for eye, target in (([0, 1.6, 0.3], [0, 1.6, -1.2]), ([2, 3, -4], [0, 0, 5])):
                await client.look_at(eye, target)
                white = await client.wait_for_colour((255, 255, 255), tolerance=50,
                                                     min_count=300, region=top)
                black = await client.wait_for_colour((0, 0, 0), tolerance=30,
                                                     min_count=500, region=top)
                assert black.bbox[2] - black.bbox[0] > 200, 'three lines of text, not a dot'
                assert black.contains(white.centroid, margin=5)
                seen.append(white.bbox)
            # The rates line may change between the two looks: compare where it starts.
            assert seen[1][1] == pytest.approx(seen[0][1], abs=3)
            await client.screenshot(ARTIFACTS / 'teleop_status.png')


async def test_token_page_and_socket_in_chromium(ros_context):
    async with teleop_bridge(ros_context, token='s3cret') as rig:
        url = rig.app.client_url('127.0.0.1')
        assert 'token=s3cret' in url
        async with open_client(url) as client:   # assets and socket pass with the cookie
            assert await client.frames_received() > 0
            refused = await client.page.goto(client_url(rig.app.port).replace(
                'collapseMenu', 'token=wrong&collapseMenu'))
            assert refused.status == 403
