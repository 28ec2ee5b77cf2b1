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
The test arm in the real Vuer client: every mesh format loads, and the arm moves.

The arm's package is installed in an ament prefix made by the test; the client fetches
its meshes from the resource server (binary and ASCII STL, a COLLADA file whose PNG
texture sits in a sibling folder, an OBJ with its MTL) and draws each link where forward
kinematics puts it. Screenshots go to test-artifacts/. Skips with its reason when Chromium
or Playwright is missing.
"""

import math
from pathlib import Path
import shutil
from types import SimpleNamespace as Plain

from browser import open_client
import pytest
from test_display_robot_model import (ament_prefix, ARM, joint_state,  # noqa: F401
                                      package_share)

from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.robot_model import JointStateDisplay, RobotDescriptionDisplay
from vuer_ros.resources import MeshResources
from vuer_ros.settings import settings_from_values

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'
#: How the client shows each link seen from -Y (measured: lit, tone-mapped), and a point of
#: it in base_link at zero joint positions.
LINKS = {
    'base (binary STL, URDF blue)': ((0, 0, 122), (0, 0, 0.1)),
    'upper arm (ASCII STL, URDF yellow)': ((130, 130, 0), (0, 0, 0.5)),
    'forearm (DAE, its green PNG texture)': ((0, 102, 0), (0, 0, 1.05)),
    'hand (OBJ, its MTL magenta)': ((119, 0, 124), (0, 0, 1.35)),
    'tool (sphere, URDF cyan)': ((0, 98, 98), (0, 0, 1.55)),
    'camera (GLB, its orange material)': ((127, 84, 0), (0.4, 0, 0.1)),
}
FOREARM_GREEN = LINKS['forearm (DAE, its green PNG texture)'][0]
LIDAR_PURPLE = (72, 0, 123)
ROBOT = Path(__file__).resolve().parent / 'robot'


def three(point) -> list:
    """Where the viewer shows ROS point (x, y, z) of the fixed frame: (x, z, -y)."""
    x, y, z = point
    return [x, z, -y]


async def colour_at(client, rgb, point, tolerance: int = 25) -> bool:
    """Whether colour ``rgb`` is drawn around the projection of ROS ``point``."""
    x, y, _ = await client.project(three(point))
    await client.render()
    blob = await client.find_colour(rgb, tolerance, (x - 3, y - 3, x + 3, y + 3))
    return blob is not None and blob.count >= 9


async def serve_robots(app, **values) -> DisplayHost:
    """Serve ``app`` with the mesh resources and return displays drawing on it."""
    meshes = MeshResources(package_share)
    meshes.add_routes(app.add_route)
    await app.start_server()
    host = DisplayHost(app, settings_from_values({'frame_axes': 0.0, **values}),
                       meshes=meshes)
    host.start()
    return host


@pytest.mark.usefixtures('ament_prefix')
async def test_the_arm_shows_every_mesh_format_and_moves_with_its_joints(loopback_app):
    app = loopback_app
    host = await serve_robots(app, fixed_frame='base_link')
    host.show(RobotDescriptionDisplay, '/robot_description').on_message(Plain(data=ARM))
    joints = host.show(JointStateDisplay, '/joint_states')
    async with open_client(app.port) as client:
        await client.wait_for_keys({f'/robot_description:{link}/visual:0' for link in (
            'base_link', 'upper_arm', 'hand', 'tool')} | {
            '/robot_description:forearm/visual:0/model'})
        await client.look_at(three((0, -3, 0.9)), three((0, 0, 0.9)))
        for name, (rgb, point) in LINKS.items():
            async def shown(rgb=rgb, point=point):
                return await colour_at(client, rgb, point)
            await client.wait_for(shown, what=f'{name}: colour {rgb} at {point}')
        before = await client.screenshot(ARTIFACTS / 'browser-robot-model.png')
        # Each link is a group named after it in the scene tree.
        assert {f'/robot_description@{link}' for link in ('forearm', 'camera')} <= \
            await client.tree_keys()
        # The elbow turns 90 degrees about y: the forearm lies along +x at 0.8 m.
        joints.on_message(joint_state(['elbow'], [math.pi / 2]))

        async def bent():
            return (await colour_at(client, FOREARM_GREEN, (0.25, 0, 0.8))
                    and not await colour_at(client, FOREARM_GREEN, (0, 0, 1.05)))
        await client.wait_for(bent, what='the forearm along +x after the elbow turned')
        after = await client.screenshot(ARTIFACTS / 'browser-robot-model-elbow.png')
        assert before != after
        assert await colour_at(client, *LINKS['upper arm (ASCII STL, URDF yellow)'])
        assert client.console_errors() == []


async def test_a_urdf_file_with_a_gltf_beside_it_shows_in_the_gltfs_colour(loopback_app,
                                                                           tmp_path):
    shutil.copytree(ROBOT / 'meshes', tmp_path / 'meshes')
    path = tmp_path / 'lidar.urdf'
    path.write_text('<robot name="lidar"><link name="base_link"><visual><geometry><mesh '
                    'filename="meshes/lidar.gltf" scale="0.5 0.5 0.5"/></geometry></visual>'
                    '</link></robot>')
    app = loopback_app
    host = await serve_robots(app, fixed_frame='base_link', urdf_file=str(path))
    host.show(JointStateDisplay, '/joint_states')   # the robot registry loads the file
    async with open_client(app.port) as client:
        await client.wait_for_keys({'urdf:lidar.urdf:base_link/visual:0'})
        await client.look_at(three((0, -3, 0.5)), three((0, 0, 0)))

        async def purple():   # the glTF's (0.5, 0, 1) material, lit (measured)
            return await colour_at(client, LIDAR_PURPLE, (0, 0, 0))
        await client.wait_for(purple, what='the glTF cube in its own colour')
        await client.screenshot(ARTIFACTS / 'browser-robot-model-gltf.png')
        assert client.console_errors() == []


@pytest.mark.usefixtures('ament_prefix')
async def test_a_ghost_robot_beside_the_real_one_is_translucent_in_its_colour(loopback_app):
    app = loopback_app
    ghost = '/ghost/robot_description'
    host = await serve_robots(app, fixed_frame='world',
                              robot_description_topics=['/robot_description', ghost],
                              robot_tf_prefixes=[f'{ghost}=ghost'],
                              robot_colors=[f'{ghost}=0 255 0 0.5'])
    host.scene.add_static_frame('world', 'base_link', (0, 0, 0), (0, 0, 0))
    host.scene.add_static_frame('world', 'ghost/base_link', (1.2, 0, 0), (0, 0, 0))
    for topic in ('/robot_description', ghost):
        host.show(RobotDescriptionDisplay, topic).on_message(Plain(data=ARM))
    async with open_client(app.port) as client:
        await client.wait_for_keys({f'{ghost}:forearm/visual:0/model',
                                    f'{ghost}:upper_arm/visual:0'})
        await client.look_at(three((0.6, -3.5, 0.9)), three((0.6, 0, 0.9)))
        # Every link of the ghost in its green, meshes with their own materials too, at
        # half opacity (measured: the canvas keeps the alpha); the real arm is unchanged.
        for what, point in (('STL', (1.2, 0, 0.5)), ('DAE', (1.2, 0, 1.05))):
            async def green(point=point):
                await client.render()
                x, y, _ = await client.project(three(point))
                r, g, b, a = await client.pixel(x, y)
                return r < 30 and b < 30 and g > 90 and 100 < a < 160
            await client.wait_for(green, what=f'the ghost {what} link, translucent green')
        assert await colour_at(client, *LINKS['upper arm (ASCII STL, URDF yellow)'])
        await client.screenshot(ARTIFACTS / 'browser-robot-model-ghost.png')
