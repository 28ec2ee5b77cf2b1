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
The robot model displays on a Vuer app: links in their frames, moved by joint states or TF.

The test arm (test/robot/arm.urdf) is installed in an ament prefix made here, so its
``package://`` meshes resolve through ament_index_python as on a ROS install. What the
shared scene holds is what every client, late joiners included, is sent.
"""

import asyncio
import base64
from dataclasses import dataclass, field
import math
from pathlib import Path
import shutil
from types import SimpleNamespace as Plain

import pytest

from vuer_ros import Vuer
from vuer_ros.displays.discovery import GraphTopic, TopicDiscovery
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.robot_model import (JointStateDisplay, RobotDescriptionDisplay,
                                           RobotModels)
from vuer_ros.resources import MeshResources, referenced_files
from vuer_ros.settings import settings_from_values

ROBOT = Path(__file__).resolve().parent / 'robot'
ARM = (ROBOT / 'arm.urdf').read_text()
PACKAGE = 'vuer_test_arm'
LINKS = ('base_link', 'camera', 'upper_arm', 'forearm', 'hand', 'finger_left', 'finger_right',
         'tool')


def make_ament_prefix(root: Path) -> Path:
    """
    Install the test arm's package in an ament prefix at ``root``, as colcon would.

    The package's marker in the resource index and its share folder (meshes, urdf); point
    AMENT_PREFIX_PATH at ``root`` to find it (ament_index_python reads it at each call).
    """
    index = root / 'share' / 'ament_index' / 'resource_index' / 'packages'
    index.mkdir(parents=True, exist_ok=True)
    (index / PACKAGE).write_text('')
    share = root / 'share' / PACKAGE
    shutil.copytree(ROBOT / 'meshes', share / 'meshes', dirs_exist_ok=True)
    (share / 'urdf').mkdir(exist_ok=True)
    (share / 'urdf' / 'arm.urdf').write_text(ARM)
    return root


@pytest.fixture
def ament_prefix(tmp_path, monkeypatch) -> Path:
    """Install the test arm in an ament prefix, on AMENT_PREFIX_PATH for this test."""
    root = make_ament_prefix(tmp_path / 'install')
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(root))
    return root


def package_share(package: str) -> str:
    from ament_index_python.packages import get_package_share_directory
    return get_package_share_directory(package)


def joint_state(names, positions, sec: int = 1) -> Plain:
    """Return a sensor_msgs/JointState (plain) stamped ``sec``."""
    return Plain(header=Plain(stamp=Plain(sec=sec, nanosec=0), frame_id=''),
                 name=list(names), position=list(positions), velocity=[], effort=[])


@dataclass
class Shown:
    """A Vuer app (never served), the displays drawing on it and their warnings."""

    app: Vuer
    host: DisplayHost
    warnings: list = field(default_factory=list)

    def describe(self, text: str, topic: str = '/robot_description') -> None:
        self.host.show(RobotDescriptionDisplay, topic).on_message(Plain(data=text))

    def joints(self, names, positions, topic: str = '/joint_states', sec: int = 1) -> None:
        self.host.show(JointStateDisplay, topic).on_message(joint_state(names, positions, sec))

    def node(self, key: str) -> dict:
        node = self.app.scene.get(key)
        assert node is not None, f'{key} is not in the scene'
        return node

    def texts(self) -> list[str]:
        return [text for _, text in self.warnings]


def shown(loop=None, **values) -> Shown:
    app = Vuer(host='127.0.0.1', port=0)
    warnings: list = []
    settings = settings_from_values({'fixed_frame': 'base_link', 'frame_axes': 0.0, **values})
    host = DisplayHost(app, settings, loop=loop, meshes=MeshResources(package_share),
                       warn=lambda key, text: warnings.append((key, text)))
    host.start()
    return Shown(app, host, warnings)


def position(scene: Shown, link: str, topic: str = '/robot_description') -> list:
    return scene.node(f'{topic}@{link}')['position']


def test_every_link_is_a_group_named_after_it_holding_its_visuals(ament_prefix):
    scene = shown()
    scene.describe(ARM)
    assert scene.warnings == []
    for link in LINKS:
        group = scene.node(f'/robot_description@{link}')
        assert group['tag'] == 'VuerGroup'
    assert scene.node('/robot_description:base_link/visual:0')['src'].endswith('/base.stl')
    assert scene.node('/robot_description:tool/visual:1')['tag'] == 'Cylinder'
    # Zero positions until joint states come: the arm stands up.
    assert position(scene, 'forearm') == pytest.approx([0, 0, 0.8])
    assert position(scene, 'tool') == pytest.approx([0, 0, 0.8 + 0.5 + 0.25])


def test_package_meshes_are_served_from_the_packages_share_folder(ament_prefix):
    scene = shown()
    scene.describe(ARM)
    src = scene.node('/robot_description:forearm/visual:0/model')['src']
    root = src.split('/')[2]
    assert src == f'/resources/{root}/meshes/visual/forearm.dae'
    meshes = scene.host.context.meshes
    assert meshes._roots[root] == ament_prefix / 'share' / PACKAGE   # the DAE's texture too


def test_joint_states_move_the_links_by_forward_kinematics(ament_prefix):
    scene = shown()
    scene.describe(ARM)
    scene.joints(['elbow', 'finger_left_joint'], [math.pi / 2, 0.04])
    # The elbow (z 0.8, about y) lays the forearm along +x: the wrist is 0.5 m out.
    assert position(scene, 'hand') == pytest.approx([0.5, 0, 0.8])
    assert position(scene, 'finger_left') == pytest.approx([0.5 + 0.15, 0.07, 0.8])
    assert position(scene, 'finger_right') == pytest.approx([0.65, -0.07, 0.8])   # the mimic


def test_a_length_mismatch_is_ignored_with_a_warning_as_robot_state_publisher_does(
        ament_prefix):
    scene = shown()
    scene.describe(ARM)
    scene.joints(['elbow', 'wrist'], [1.0])
    assert position(scene, 'hand') == pytest.approx([0, 0, 1.3])
    assert scene.texts() == ['/joint_states: 2 joint names but 1 positions; message ignored']
    scene.joints(['elbow', 'wrist'], [math.nan, 1.0])   # the wrist moves, the elbow stays
    assert position(scene, 'hand') == pytest.approx([0, 0, 1.3])
    assert scene.texts()[1] == "/joint_states: joint 'elbow' has position nan; ignored"


def test_a_missing_mesh_is_one_warning_naming_link_and_file_and_the_rest_shows(ament_prefix):
    scene = shown()
    broken = ARM.replace('meshes/hand.obj', 'meshes/nowhere.obj')
    scene.describe(broken)
    scene.describe(broken)   # published again: the node throttles by key
    keys = {key for key, _ in scene.warnings}
    assert len(keys) == 1
    text = scene.warnings[0][1]
    assert "link 'hand'" in text and 'package://vuer_test_arm/meshes/nowhere.obj' in text
    assert '/robot_description:hand/visual:0' not in scene.app.scene
    assert '/robot_description:forearm/visual:0' in scene.app.scene


def test_a_bad_description_keeps_the_model_and_a_new_one_replaces_it(ament_prefix):
    scene = shown()
    scene.describe(ARM)
    scene.joints(['wrist'], [0.5])
    scene.describe(ARM.replace('<link name="tool">', '<link name="tool">\n<oops'))
    assert 'line' in scene.texts()[0] and 'the previous model stays' in scene.texts()[0]
    assert '/robot_description:tool/visual:0' in scene.app.scene
    # Without the tool: its elements go; the joint positions stay by name.
    start, end = ARM.index('  <joint name="tool_joint"'), ARM.index('</robot>')
    scene.describe(ARM[:start] + ARM[end:])
    assert '/robot_description:tool/visual:0' not in scene.app.scene
    assert '/robot_description:hand/visual:0' in scene.app.scene
    # Nor does an empty group stay for the dropped link in the scene tree.
    groups = {key for key in scene.app.scene.keys() if key.startswith('/robot_description@')}
    assert '/robot_description@tool' not in groups and '/robot_description@hand' in groups
    hand = scene.host.context.shared['robot models'].robots['/robot_description']
    assert hand.kinematics.positions == {'wrist': 0.5}


def test_two_robots_in_two_namespaces_with_prefixes_and_a_ghost(ament_prefix):
    scene = shown(fixed_frame='world',
                  robot_description_topics=['/a/robot_description', '/b/robot_description'],
                  robot_tf_prefixes=['/a/robot_description=a', '/b/robot_description=b/'],
                  robot_colors=['/b/robot_description=0 255 0 0.4'])
    scene.host.scene.add_static_frame('world', 'a/base_link', (0, 0, 0), (0, 0, 0))
    scene.host.scene.add_static_frame('world', 'b/base_link', (2, 0, 0), (0, 0, 0))
    scene.describe(ARM, '/a/robot_description')
    scene.describe(ARM, '/b/robot_description')
    scene.joints(['elbow'], [math.pi / 2], topic='/b/joint_states')
    assert position(scene, 'a/hand', '/a/robot_description') == pytest.approx([0, 0, 1.3])
    assert position(scene, 'b/hand', '/b/robot_description') == pytest.approx([2.5, 0, 0.8])
    ghost = scene.node('/b/robot_description:upper_arm/visual:0')
    assert ghost['color'] == '#00ff00' and ghost['opacity'] == pytest.approx(0.4)
    assert 'opacity' not in scene.node('/a/robot_description:upper_arm/visual:0')


def test_joint_states_outside_any_robots_namespace_move_every_robot_with_those_joints(
        ament_prefix):
    scene = shown()
    scene.describe(ARM)
    scene.joints(['elbow'], [math.pi / 2], topic='/arm/joint_states')
    assert position(scene, 'hand') == pytest.approx([0.5, 0, 0.8])


def test_in_auto_mode_a_link_published_on_tf_is_left_to_tf(ament_prefix):
    scene = shown()
    scene.describe(ARM)
    # A TF publisher (robot_state_publisher for the wrist, say) sends the hand frame.
    scene.host.scene.on_transform('forearm', 'hand', (0, 0, 0.7), (0, 0, 0, 1), stamp=1)
    scene.joints(['elbow', 'wrist', 'finger_left_joint'], [math.pi / 2, 1.0, 0.0], sec=2)
    assert position(scene, 'hand') == pytest.approx([0.7, 0, 0.8])   # TF's 0.7, not 0.5
    assert position(scene, 'forearm') == pytest.approx([0, 0, 0.8])   # FK: the elbow


def test_in_joint_states_mode_forward_kinematics_wins_and_in_tf_mode_only_tf_moves(
        ament_prefix):
    scene = shown(robot_joint_source='joint_states')
    scene.describe(ARM)
    scene.host.scene.on_transform('forearm', 'hand', (0, 0, 0.7), (0, 0, 0, 1), stamp=1)
    scene.joints(['wrist'], [1.0], sec=2)
    assert position(scene, 'hand') == pytest.approx([0, 0, 1.3])
    scene = shown(robot_joint_source='tf')
    scene.describe(ARM)
    assert '/robot_description@upper_arm' not in scene.app.scene   # waits for TF
    scene.host.scene.on_transform('base_link', 'upper_arm', (0, 0, 0.2), (0, 0, 0, 1))
    scene.joints(['shoulder'], [1.0])
    assert position(scene, 'upper_arm') == pytest.approx([0, 0, 0.2])


async def test_joint_updates_are_merged_newest_wins_at_the_robots_rate(ament_prefix):
    loop = asyncio.get_running_loop()
    scene = shown(loop=loop, robot_update_rate=10.0)
    scene.host.context.loop = loop
    scene.describe(ARM)
    models: RobotModels = scene.host.context.shared['robot models']
    updates = []
    feed = scene.host.scene.on_transforms
    scene.host.scene.on_transforms = lambda edges: (updates.append(list(edges)),
                                                    feed(updates[-1]))
    # The description placed the links just now: 100 states in a burst wait for the
    # end of the robot's 0.1 s period and go as one update, with the newest positions.
    for step in range(1, 101):
        scene.joints(['elbow', 'wrist'], [step / 100.0, 0.0] if step < 100 else [1.0, 2.0])
    assert updates == []
    await asyncio.sleep(0.15)
    assert len(updates) == 1
    assert {edge[1] for edge in updates[0]} == {'forearm', 'hand'}
    assert position(scene, 'hand') == pytest.approx([math.sin(1.0) * 0.5, 0,
                                                     0.8 + math.cos(1.0) * 0.5])
    await asyncio.sleep(0.12)
    scene.joints(['elbow'], [0.0])   # a period after the last update: at once
    assert len(updates) == 2
    assert models.robots['/robot_description'].kinematics.positions == {'elbow': 0.0,
                                                                        'wrist': 2.0}
    scene.host.close()


def test_urdf_file_shows_a_robot_with_meshes_relative_to_it(tmp_path):
    shutil.copytree(ROBOT / 'meshes', tmp_path / 'meshes')
    path = tmp_path / 'arm.urdf'
    path.write_text(ARM.replace('package://vuer_test_arm/', ''))
    scene = shown(urdf_file=str(path), robot_description_topics=[])
    scene.host.show(JointStateDisplay, '/joint_states')   # the registry loads the file
    assert scene.warnings == []
    src = scene.node('urdf:arm.urdf:forearm/visual:0/model')['src']
    root = src.split('/')[2]
    assert src == f'/resources/{root}/visual/forearm.dae'
    # The texture beside the DAE's folder (../textures) is inside the served root.
    assert scene.host.context.meshes._roots[root] == tmp_path / 'meshes'
    scene.joints(['elbow'], [math.pi / 2])
    assert position(scene, 'hand', 'urdf:arm.urdf') == pytest.approx([0.5, 0, 0.8])


def test_string_topics_found_on_the_graph_are_robot_descriptions_only_by_name():
    settings = settings_from_values({'robot_description_topics': ['/my_urdf']})
    discovery = TopicDiscovery(['/my_urdf'], settings.auto_shows, settings.options)
    string = ('std_msgs/msg/String',)
    plan = discovery.scan([GraphTopic(name, string, 1) for name in (
        '/my_urdf', '/r2/robot_description', '/chatter', '/vuer_bridge/clicked')])
    assert plan.show == [('/r2/robot_description', RobotDescriptionDisplay)]


async def test_a_gltf_is_served_with_its_buffer_inlined(loopback_app, tmp_path):
    import aiohttp
    shutil.copytree(ROBOT / 'meshes', tmp_path / 'meshes')
    meshes = MeshResources(package_share)
    meshes.add_routes(loopback_app.add_route)
    await loopback_app.start_server()
    url = meshes.url_for(f'file://{tmp_path}/meshes/lidar.gltf')
    async with aiohttp.ClientSession() as http:
        async with http.get(f'http://127.0.0.1:{loopback_app.port}{url}') as response:
            document = await response.json()
    buffer = document['buffers'][0]
    assert buffer['uri'].startswith('data:application/octet-stream;base64,')
    assert len(base64.b64decode(buffer['uri'].partition(',')[2])) == buffer['byteLength']


def test_joint_states_before_the_description_place_it_and_a_repeat_changes_nothing(
        ament_prefix):
    scene = shown()
    scene.joints(['elbow'], [math.pi / 2])   # the arm's states came first
    scene.describe(ARM)
    assert position(scene, 'hand') == pytest.approx([0.5, 0, 0.8])
    before = len(scene.app.scene)
    hand = scene.node('/robot_description:hand/visual:0')
    scene.describe(ARM)   # the same description again (a publisher that repeats it)
    assert len(scene.app.scene) == before
    assert scene.node('/robot_description:hand/visual:0') is hand


def test_collision_geometry_can_be_drawn_instead_of_the_visuals(ament_prefix):
    scene = shown(robot_visual=False, robot_collision=True)
    scene.describe(ARM)
    assert scene.node('/robot_description:upper_arm/collision:0')['tag'] == 'Cylinder'
    assert '/robot_description:upper_arm/visual:0' not in scene.app.scene


def test_a_file_mesh_root_takes_in_what_it_names_but_climbs_at_most_two_folders(tmp_path):
    deep = tmp_path / 'a' / 'b' / 'c' / 'meshes'
    deep.mkdir(parents=True)
    (tmp_path / 'a' / 'b' / 'tex.png').write_bytes(b'png')      # two up: taken in
    (tmp_path / 'far.png').write_bytes(b'png')                    # four up: left out
    (deep / 'near.mtl').write_text('newmtl m\nmap_Kd -s 1 1 1 ../../tex.png\n')
    (deep / 'part.obj').write_text('mtllib near.mtl\nv 0 0 0\n')
    (deep / 'far.dae').write_text('<COLLADA><init_from>../../../../far.png</init_from>'
                                  '</COLLADA>')
    assert referenced_files(deep / 'part.obj') == [deep / 'near.mtl',
                                                   deep / '../../tex.png']
    meshes = MeshResources(package_share)
    obj = meshes.url_for(f'file://{deep}/part.obj')
    assert obj.endswith('/c/meshes/part.obj')          # served from a/b, the texture's folder
    dae = meshes.url_for(f'file://{deep}/far.dae')
    assert dae.split('/', 3)[3] == 'far.dae'            # the root stays the mesh's folder


@pytest.mark.usefixtures('ament_prefix')
def test_joint_states_move_a_robot_from_urdf_file_beside_the_described_one(tmp_path):
    path = tmp_path / 'arm.urdf'
    path.write_text(ARM)
    scene = shown(fixed_frame='world', urdf_file=str(path),
                  robot_tf_prefixes=[f'urdf_file:{path}=file'])
    scene.host.scene.add_static_frame('world', 'base_link', (0, 0, 0), (0, 0, 0))
    scene.host.scene.add_static_frame('world', 'file/base_link', (2, 0, 0), (0, 0, 0))
    scene.describe(ARM)
    scene.joints(['elbow'], [math.pi / 2])   # /joint_states: the root namespace, both arms
    assert position(scene, 'hand') == pytest.approx([0.5, 0, 0.8])
    assert position(scene, 'file/hand', 'urdf:arm.urdf') == pytest.approx([2.5, 0, 0.8])
