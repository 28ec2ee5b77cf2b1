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

"""Quaternion and Euler conventions: ROS (x, y, z, w) in, three.js 'XYZ' Euler out."""

import math

from msg_factory import message_class, three_euler_matrix
import numpy as np
import pytest

from vuer_ros.convert.transforms import (
    compose, finite, finite_array, IDENTITY, invert, normalize_quaternion, quaternion_from_to,
    quaternion_norm_ok, quaternion_to_euler, rotate, rpy_to_quaternion, Transform)

SQRT_HALF = math.sqrt(0.5)


def quaternion_matrix(q):
    """Rotation matrix of a unit ROS quaternion (x, y, z, w), from the textbook formula."""
    x, y, z, w = np.asarray(q, dtype=float) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def turns(q, vector):
    return three_euler_matrix(quaternion_to_euler(q)) @ np.asarray(vector, dtype=float)


@pytest.mark.parametrize('q, before, after', [
    ((0, 0, SQRT_HALF, SQRT_HALF), (1, 0, 0), (0, 1, 0)),   # yaw +90: forward -> left
    ((0, 0, SQRT_HALF, SQRT_HALF), (0, 1, 0), (-1, 0, 0)),
    ((SQRT_HALF, 0, 0, SQRT_HALF), (0, 1, 0), (0, 0, 1)),   # roll +90: left -> up
    ((0, SQRT_HALF, 0, SQRT_HALF), (0, 0, 1), (1, 0, 0)),   # pitch +90: up -> forward
    ((0, 0, 1, 0), (1, 0, 0), (-1, 0, 0)),                   # yaw 180
])
def test_quarter_turns_rotate_the_right_way(q, before, after):
    np.testing.assert_allclose(turns(q, before), after, atol=1e-12)


def test_component_order_is_x_y_z_w_not_transforms3d_w_x_y_z():
    # Read as (w, x, y, z), (0, 0, s, s) would be a turn about Y, not Z.
    euler = quaternion_to_euler((0, 0, SQRT_HALF, SQRT_HALF))
    assert euler == pytest.approx([0, 0, math.pi / 2])


def test_matches_matrix_for_random_and_gimbal_lock_quaternions():
    rng = np.random.default_rng(7)
    samples = list(rng.normal(size=(500, 4)))
    samples += [(0, SQRT_HALF, 0, SQRT_HALF), (0, -SQRT_HALF, 0, SQRT_HALF),
                (0.5, 0.5, 0.5, 0.5), (0.5, -0.5, 0.5, 0.5), (0, 0, 0, -1)]
    for q in samples:
        np.testing.assert_allclose(three_euler_matrix(quaternion_to_euler(q)),
                                   quaternion_matrix(q), atol=1e-9)


def test_agrees_with_transforms3d_rxyz():
    transforms3d = pytest.importorskip('transforms3d', reason='transforms3d is not installed')
    rng = np.random.default_rng(3)
    for x, y, z, w in rng.normal(size=(100, 4)):
        euler = quaternion_to_euler((x, y, z, w))
        expected = transforms3d.quaternions.quat2mat((w, x, y, z))  # its order: w first
        np.testing.assert_allclose(transforms3d.euler.euler2mat(*euler, axes='rxyz'),
                                   expected, atol=1e-9)


def test_non_unit_quaternions_are_normalised_and_zero_is_identity():
    assert quaternion_to_euler((0, 0, 3, 3)) == pytest.approx([0, 0, math.pi / 2])
    assert quaternion_to_euler((0, 0, 0, 0)) == [0.0, 0.0, 0.0]
    assert normalize_quaternion((0, 0, 0, 0)) == (0.0, 0.0, 0.0, 1.0)
    assert normalize_quaternion((0, 0, 0, 2)) == (0.0, 0.0, 0.0, 1.0)
    assert quaternion_norm_ok((0, 0, 0, 1)) and not quaternion_norm_ok((0, 0, 0, 2))


def test_rpy_matches_ros_fixed_axes_convention():
    roll, pitch, yaw = 0.3, -0.7, 2.1
    q = rpy_to_quaternion(roll, pitch, yaw)
    rx = three_euler_matrix((roll, 0, 0))
    ry = three_euler_matrix((0, pitch, 0))
    rz = three_euler_matrix((0, 0, yaw))
    np.testing.assert_allclose(quaternion_matrix(q), rz @ ry @ rx, atol=1e-12)
    assert rpy_to_quaternion(0, 0, math.pi / 2) == pytest.approx((0, 0, SQRT_HALF, SQRT_HALF))


def test_rotate_compose_and_invert_are_rigid_transform_maths():
    a = Transform((1.0, 2.0, 3.0), normalize_quaternion((0.1, 0.4, -0.3, 0.8)))
    b = Transform((-2.0, 0.5, 1.0), normalize_quaternion((0.7, -0.1, 0.2, 0.3)))

    def matrix(t):
        m = np.eye(4)
        m[:3, :3] = quaternion_matrix(t.rotation)
        m[:3, 3] = t.translation
        return m

    np.testing.assert_allclose(matrix(compose(a, b)), matrix(a) @ matrix(b), atol=1e-12)
    np.testing.assert_allclose(matrix(invert(a)), np.linalg.inv(matrix(a)), atol=1e-12)
    identity = compose(a, invert(a))
    assert identity.translation == pytest.approx((0, 0, 0), abs=1e-12)
    np.testing.assert_allclose(quaternion_matrix(identity.rotation), np.eye(3), atol=1e-12)
    np.testing.assert_allclose(rotate(a.rotation, (1, 0, 0)),
                               quaternion_matrix(a.rotation) @ (1, 0, 0), atol=1e-12)
    unchanged = compose(IDENTITY, a)
    assert unchanged.translation == pytest.approx(a.translation)
    assert unchanged.rotation == pytest.approx(a.rotation)


@pytest.mark.parametrize('u, v', [
    ((0, 1, 0), (1, 0, 0)), ((0, 1, 0), (0, 1, 0)), ((0, 1, 0), (0, -1, 0)),
    ((1, 0, 0), (-1, 0, 0)), ((0, 1, 0), (0.6, 0, -0.8)),
])
def test_quaternion_from_to_turns_u_onto_v(u, v):
    q = quaternion_from_to(u, v)
    np.testing.assert_allclose(rotate(q, u), v, atol=1e-12)
    assert sum(c * c for c in q) == pytest.approx(1.0)


def test_finite_helpers():
    assert finite([0.0, 1, -2.5]) and finite([])
    assert not finite([0.0, math.nan]) and not finite([math.inf])
    assert finite_array(np.zeros((0, 3))) and finite_array(np.ones((2, 3)))
    assert not finite_array(np.array([[0.0, -np.inf, 0.0]]))


def test_real_quaternion_messages_round_trip():
    quaternion = message_class('geometry_msgs/msg/Quaternion')
    assert quaternion_to_euler(_xyzw(quaternion())) == [0.0, 0.0, 0.0]  # default w=1
    msg = quaternion(**dict(zip('xyzw', rpy_to_quaternion(0.1, 0.2, 0.3))))
    np.testing.assert_allclose(three_euler_matrix(quaternion_to_euler(_xyzw(msg))),
                               quaternion_matrix(_xyzw(msg)), atol=1e-12)


def _xyzw(q):
    return (q.x, q.y, q.z, q.w)
