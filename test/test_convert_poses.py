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

"""Pose-like messages become axes, arrows, groups of them, or a path line."""

import math

from msg_factory import child, header, Plain, pose, pose_stamped, span, to_real
from msg_factory import transform_stamped, vec
import numpy as np
import pytest

from vuer_ros.convert.poses import (
    AXES, odometry_to_element, path_to_element, pose_array_to_element,
    pose_stamped_to_element, pose_with_covariance_to_element, PoseError, PoseStyle,
    transform_stamped_to_element)
from vuer_ros.validation import validate_node

S = math.sqrt(0.5)
YAW_90 = (0, 0, S, S)


def serialized(element):
    node = element.serialize()
    validate_node(node)
    return node


def with_covariance(position, orientation):
    return Plain(header=header('odom'),
                 pose=Plain(pose=pose(position, orientation), covariance=[0.0] * 36))


def odometry(position, orientation):
    return Plain(header=header('odom'), child_frame_id='base_link',
                 pose=Plain(pose=pose(position, orientation), covariance=[0.0] * 36),
                 twist=Plain(twist=Plain(linear=vec(), angular=vec()),
                             covariance=[0.0] * 36))


def pose_array(*poses):
    return Plain(header=header('map'), poses=[pose(*p) for p in poses])


def path(*positions):
    return Plain(header=header('map'), poses=[pose_stamped(p) for p in positions])


def test_style_defaults_and_validation():
    style = PoseStyle()
    assert (style.kind, style.length, style.line_width) == ('arrow', 1.0, 0.2)
    assert AXES.kind == 'axes'
    for bad in ({'kind': 'cube'}, {'length': -1}, {'radius': math.nan},
                {'color': (1, 1, 1)}, {'line_width': math.inf}):
        with pytest.raises(ValueError):
            PoseStyle(**bad)


@pytest.mark.parametrize('as_real', [False, True])
def test_pose_stamped_as_axes(as_real):
    msg = pose_stamped((1, 2, 3), YAW_90)
    if as_real:
        msg = to_real(msg, 'geometry_msgs/msg/PoseStamped')
    node = serialized(pose_stamped_to_element(msg, 'p', PoseStyle(kind='axes', length=0.5)))
    assert node['tag'] == 'CoordsMarker' and node['key'] == 'p'
    assert node['position'] == [1, 2, 3] and node['scale'] == 0.5
    assert node['rotation'] == pytest.approx([0, 0, math.pi / 2])


def test_pose_as_arrow_points_along_its_x_axis():
    style = PoseStyle(kind='arrow', length=2.0, radius=0.1, color=(0, 1, 0, 1))
    node = serialized(pose_stamped_to_element(pose_stamped((1, 0, 0), YAW_90), 'p', style))
    assert node['tag'] == 'group' and node['position'] == [1, 0, 0]
    shaft, head = child(node, 'shaft'), child(node, 'head')
    base, top, width, _ = span(shaft)
    np.testing.assert_allclose([base, top], [(0, 0, 0), (1.54, 0, 0)], atol=1e-12)
    assert np.linalg.norm(width) == pytest.approx(0.1)  # radius
    _, tip, head_width, _ = span(head)
    np.testing.assert_allclose(tip, (2, 0, 0), atol=1e-12)
    assert np.linalg.norm(head_width) == pytest.approx(0.2)
    assert shaft['material']['color'] == '#00ff00'


@pytest.mark.parametrize('as_real', [False, True])
def test_covariance_pose_and_odometry_use_pose_pose(as_real):
    cases = [(with_covariance((1, 2, 0), YAW_90), 'geometry_msgs/msg/PoseWithCovarianceStamped',
              pose_with_covariance_to_element),
             (odometry((1, 2, 0), YAW_90), 'nav_msgs/msg/Odometry', odometry_to_element)]
    for msg, type_name, convert in cases:
        if as_real:
            msg = to_real(msg, type_name)
        node = serialized(convert(msg, 'o', AXES))
        assert node['position'] == [1, 2, 0]
        assert node['rotation'] == pytest.approx([0, 0, math.pi / 2])


@pytest.mark.parametrize('as_real', [False, True])
def test_transform_stamped_defaults_to_axes(as_real):
    msg = transform_stamped('map', 'base', (3, 0, 1), YAW_90)
    if as_real:
        msg = to_real(msg, 'geometry_msgs/msg/TransformStamped')
    node = serialized(transform_stamped_to_element(msg, 't'))
    assert node['tag'] == 'CoordsMarker' and node['position'] == [3, 0, 1]


@pytest.mark.parametrize('as_real', [False, True])
def test_pose_array_is_one_group_with_a_child_per_pose(as_real):
    msg = pose_array(((0, 0, 0), (0, 0, 0, 1)), ((1, 0, 0), YAW_90), ((2, 0, 0), (0, 0, 0, 0)))
    if as_real:
        msg = to_real(msg, 'geometry_msgs/msg/PoseArray')
    node = serialized(pose_array_to_element(msg, 'a', AXES))
    assert node['tag'] == 'group' and 'position' not in node
    assert [c['key'] for c in node['children']] == ['a/0', 'a/1', 'a/2']
    assert node['children'][1]['position'] == [1, 0, 0]
    assert node['children'][2]['rotation'] == [0, 0, 0]  # zero quaternion: identity
    assert serialized(pose_array_to_element(pose_array(), 'a'))['children'] == []


@pytest.mark.parametrize('as_real', [False, True])
def test_path_is_a_line_through_the_positions(as_real):
    msg = path((0, 0, 0), (1, 0, 0), (1, 1, 0.5))
    if as_real:
        msg = to_real(msg, 'nav_msgs/msg/Path')
    node = serialized(path_to_element(msg, 'path'))
    line = child(node, 'line')
    assert line['points'] == [[0, 0, 0], [1, 0, 0], [1, 1, 0.5]]
    assert line['lineWidth'] == 0.2 and line['worldUnits'] is True
    assert line['color'] == '#7c6bff'
    assert serialized(path_to_element(path((1, 1, 1)), 'path'))['children'] == []
    wide = serialized(path_to_element(msg, 'path', PoseStyle(line_width=0.05)))
    assert child(wide, 'line')['lineWidth'] == 0.05


def test_nan_is_rejected_with_the_offending_pose_named():
    with pytest.raises(PoseError, match='pose contains NaN'):
        pose_stamped_to_element(pose_stamped((math.nan, 0, 0)), 'p')
    with pytest.raises(PoseError, match='transform contains NaN'):
        transform_stamped_to_element(transform_stamped('a', 'b', (0, 0, 0), (0, 0, math.inf, 1)),
                                     't')
    with pytest.raises(PoseError, match='pose 1 contains NaN'):
        pose_array_to_element(pose_array(((0, 0, 0), (0, 0, 0, 1)),
                                         ((0, 0, 0), (math.nan, 0, 0, 1))), 'a')
    with pytest.raises(PoseError, match='path contains NaN'):
        path_to_element(path((0, 0, 0), (0, math.inf, 0)), 'p')
    assert issubclass(PoseError, ValueError)
