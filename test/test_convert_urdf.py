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
URDF parsing, forward kinematics and link elements, with the test arm (test/robot/).

Expected transforms are written out by hand from the URDF (origin, then the joint's motion
about or along its axis), not computed the way the code computes them.
"""

import math
from pathlib import Path

import pytest

from vuer_ros.convert.transforms import quaternion_to_euler
from vuer_ros.convert.urdf import (chain_description, DEFAULT_RGBA, Kinematics, link_elements,
                                   Look, parse_urdf, UrdfError)

ROBOT = Path(__file__).resolve().parent / 'robot'
ARM = (ROBOT / 'arm.urdf').read_text()
S = math.sqrt(0.5)


def arm():
    return parse_urdf(ARM)


def test_the_arm_parses_with_every_joint_type_and_material():
    robot = arm()
    assert robot.name == 'vuer_test_arm' and robot.root == 'base_link'
    assert list(robot.links) == ['base_link', 'camera', 'upper_arm', 'forearm', 'hand',
                                 'finger_left', 'finger_right', 'tool']
    types = {name: joint.type for name, joint in robot.joints.items()}
    assert types == {'camera_joint': 'fixed', 'shoulder': 'revolute', 'elbow': 'revolute',
                     'wrist': 'continuous', 'finger_left_joint': 'prismatic',
                     'finger_right_joint': 'prismatic', 'tool_joint': 'fixed'}
    links = robot.links
    assert links['base_link'].visuals[0].rgba == (0, 0, 1, 1)       # robot-level "blue"
    assert links['upper_arm'].visuals[0].rgba == (1, 1, 0, 1)       # inline colour
    assert links['finger_left'].visuals[0].rgba == (1, 1, 1, 1)     # robot-level "white"
    assert links['forearm'].visuals[0].rgba is None                 # the DAE's own material
    mesh = links['upper_arm'].visuals[0].geometry
    assert (mesh.kind, mesh.scale) == ('mesh', (0.15, 0.15, 0.6))
    assert mesh.filename == 'package://vuer_test_arm/meshes/upper_arm.stl'
    assert links['upper_arm'].collisions[0].geometry.kind == 'cylinder'
    assert robot.joints['finger_right_joint'].mimic.multiplier == -1.0
    assert robot.warnings == ()


BAD = {
    'not XML': ('<robot name="a">\n<link name="a">\n</robot>', 3, 'mismatched tag'),
    'missing child': ('<robot name="a">\n<link name="a"/>\n<joint name="j" type="fixed">\n'
                      '<parent link="a"/>\n<child link="b"/></joint></robot>', 5,
                      "child link 'b' is not defined"),
    'two roots': ('<robot name="a">\n<link name="a"/>\n<link name="b"/>\n</robot>', 1,
                  'two root links found: a, b'),
    'duplicate link': ('<robot name="a">\n<link name="a"/>\n<link name="a"/></robot>', 3,
                       "link 'a' is not unique"),
    'bad numbers': ('<robot name="a">\n<link name="a"><visual>\n<origin xyz="1 x 2"/>'
                    '<geometry><box size="1 1 1"/></geometry></visual></link></robot>', 3,
                    'not numbers'),
    'unknown joint type': ('<robot name="a"><link name="a"/><link name="b"/>\n<joint name="j"'
                           ' type="hinge"><parent link="a"/><child link="b"/></joint>'
                           '</robot>', 2, "unknown type 'hinge'"),
    'two parents': ('<robot name="r"><link name="a"/><link name="b"/><link name="c"/>\n'
                    '<joint name="j1" type="fixed"><parent link="a"/><child link="c"/></joint>'
                    '\n<joint name="j2" type="fixed"><parent link="b"/><child link="c"/>'
                    '</joint></robot>', 3, "link 'c' has two parent joints"),
    'not a robot': ('<?xml version="1.0"?>\n<sdf version="1.6"/>', 2, 'not <robot>'),
    'no geometry': ('<robot name="a"><link name="a">\n<visual/></link></robot>', 2,
                    'has no geometry'),
}


@pytest.mark.parametrize('case', sorted(BAD))
def test_what_urdfdom_rejects_is_an_error_naming_its_line(case):
    text, line, words = BAD[case]
    with pytest.raises(UrdfError) as caught:
        parse_urdf(text)
    assert caught.value.line == line
    assert str(caught.value).startswith(f'line {line}: ') and words in str(caught.value)


def test_an_empty_description_is_an_error():
    with pytest.raises(UrdfError, match='empty'):
        parse_urdf('  \n')


def test_an_undefined_material_name_is_drawn_red_with_a_warning():
    robot = parse_urdf('<robot name="r"><link name="a"><visual><geometry><sphere radius="1"/>'
                       '</geometry>\n<material name="nope"/></visual></link></robot>')
    assert robot.links['a'].visuals[0].rgba is None
    assert robot.warnings == ("line 2: material 'nope' is not defined; drawn in the default red",)


def transform_of(kinematics: Kinematics, joint: str):
    return {j.name: t for j, t in kinematics.edges()}[joint]


def test_revolute_joints_turn_about_their_axis_after_their_origin():
    kinematics = Kinematics(arm())
    assert kinematics.update(['shoulder', 'elbow'], [math.pi / 2, math.pi / 2]) == {
        'shoulder', 'elbow'}
    shoulder = transform_of(kinematics, 'shoulder')   # origin z 0.2, axis z
    assert shoulder.translation == pytest.approx((0, 0, 0.2))
    assert shoulder.rotation == pytest.approx((0, 0, S, S))
    elbow = transform_of(kinematics, 'elbow')         # origin z 0.6, axis y
    assert elbow.translation == pytest.approx((0, 0, 0.6))
    assert elbow.rotation == pytest.approx((0, S, 0, S))


def test_limits_are_ignored_as_rviz2_and_robot_state_publisher_ignore_them():
    kinematics = Kinematics(arm())
    kinematics.update(['elbow'], [2.0])    # the limit is 0.5
    angle = 2 * math.acos(transform_of(kinematics, 'elbow').rotation[3])
    assert angle == pytest.approx(2.0)


def test_prismatic_joints_slide_and_mimic_joints_follow():
    kinematics = Kinematics(arm())
    moved = kinematics.update(['finger_left_joint'], [0.04])
    assert moved == {'finger_left_joint', 'finger_right_joint'}
    assert transform_of(kinematics, 'finger_left_joint').translation == pytest.approx(
        (0, 0.03 + 0.04, 0.15))
    assert transform_of(kinematics, 'finger_right_joint').translation == pytest.approx(
        (0, -0.03 - 0.04, 0.15))   # multiplier -1


def test_fixed_joints_keep_their_origin_rpy():
    tool = transform_of(Kinematics(arm()), 'tool_joint')   # rpy 0 pi/2 0
    assert tool.translation == pytest.approx((0, 0, 0.25))
    assert tool.rotation == pytest.approx((0, S, 0, S), abs=1e-7)


def test_unknown_names_nan_and_unchanged_positions_move_nothing():
    kinematics = Kinematics(arm())
    assert kinematics.update(['nope', 'elbow', 'tool_joint'], [1.0, math.nan, 1.0]) == set()
    kinematics.update(['wrist'], [1.0])
    assert kinematics.update(['wrist'], [1.0]) == set()


def test_the_benchmark_chain_has_its_joints():
    robot = parse_urdf(chain_description(30))
    assert len(Kinematics(robot).moving()) == 30 and len(robot.links) == 31


def urls(filename: str) -> str:
    if 'missing' in filename:
        raise ValueError('mesh file /x/missing.stl does not exist')
    return '/resources/root/' + filename.rpartition('/')[2]


def test_primitives_take_their_origin_size_and_colour():
    robot = arm()
    (sphere, cylinder), problems = link_elements(robot.links['tool'], 'r:tool', Look(), urls)
    assert problems == []
    assert sphere.tag == 'Sphere' and sphere.props['args'][0] == 0.05
    assert sphere.props['material']['color'] == '#00ffff'
    # The cylinder has no material: RViz2's default red. URDF cylinders run along Z.
    assert cylinder.props['material']['color'] == '#ff0000' and DEFAULT_RGBA[0] == 1.0
    assert cylinder.props['args'][:3] == [0.01, 0.01, 0.2]
    assert cylinder.props['position'] == [0.1, 0.0, 0.0]
    assert cylinder.props['rotation'] == pytest.approx([math.pi / 2, 0, 0])
    (box,), _ = link_elements(robot.links['finger_left'], 'r:finger', Look(), urls)
    assert box.tag == 'Box' and box.props['args'] == [0.03, 0.03, 0.1]


def test_meshes_keep_their_own_materials_except_stl_which_takes_the_link_colour():
    robot = arm()
    (stl,), _ = link_elements(robot.links['upper_arm'], 'k', Look(), urls)
    assert stl.tag == 'Stl' and stl.props['color'] == '#ffff00'
    assert stl.props['src'] == '/resources/root/upper_arm.stl'
    assert stl.props['scale'] == [0.15, 0.15, 0.6] and stl.props['position'] == [0, 0, 0.3]
    (obj,), _ = link_elements(robot.links['hand'], 'k', Look(), urls)
    assert obj.tag == 'Obj' and 'color' not in obj.props
    (glb,), _ = link_elements(robot.links['camera'], 'k', Look(), urls)
    assert glb.tag == 'Glb' and 'color' not in glb.props and glb.props['scale'] == [0.15] * 3
    (dae,), _ = link_elements(robot.links['forearm'], 'k', Look(), urls)
    # The DAE hangs turned up in a group placed at the origin: ColladaLoader's own Z_UP
    # turn and unit scale stay on the model.
    assert dae.tag == 'group' and dae.props['scale'] == [0.12, 0.12, 0.5]
    upright = dae.children[0]
    assert upright.props['rotation'] == pytest.approx([math.pi / 2, 0, 0])
    model = upright.children[0]
    assert model.tag == 'Dae' and model.props == {'src': '/resources/root/forearm.dae'}


def test_a_look_overrides_every_colour_and_alpha_makes_it_translucent():
    robot = arm()
    ghost = Look(alpha=0.5, rgba=(0.0, 1.0, 0.0, 0.6))
    (stl,), _ = link_elements(robot.links['upper_arm'], 'k', ghost, urls)
    assert stl.props['color'] == '#00ff00' and stl.props['opacity'] == pytest.approx(0.3)
    (dae,), _ = link_elements(robot.links['forearm'], 'k', ghost, urls)
    model = dae.children[0].children[0]
    assert model.props['color'] == '#00ff00' and model.props['opacity'] == pytest.approx(0.3)
    (sphere, _), _ = link_elements(robot.links['tool'], 'k', ghost, urls)
    assert sphere.props['material']['transparent'] is True


def test_collision_geometry_is_drawn_instead_when_asked():
    (cylinder,), _ = link_elements(arm().links['upper_arm'], 'k', Look(), urls, collision=True)
    assert cylinder.tag == 'Cylinder' and cylinder.key == 'k/collision:0'
    assert quaternion_to_euler((0, 0, 0, 1)) == [0, 0, 0]


def test_a_missing_mesh_is_a_problem_naming_link_and_file_and_the_rest_is_drawn():
    robot = parse_urdf(
        '<robot name="r"><link name="gripper"><visual><geometry><mesh filename='
        '"package://p/missing.stl"/></geometry></visual><visual><geometry><box size="1 1 1"/>'
        '</geometry></visual><visual><geometry><mesh filename="package://p/a.3ds"/>'
        '</geometry></visual></link></robot>')
    elements, problems = link_elements(robot.links['gripper'], 'k', Look(), urls)
    assert [element.tag for element in elements] == ['Box']
    assert problems[0] == ("link 'gripper': mesh package://p/missing.stl: mesh file "
                           '/x/missing.stl does not exist')
    assert problems[1].startswith("link 'gripper': mesh package://p/a.3ds: unsupported")
