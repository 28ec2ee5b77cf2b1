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
Rigid-transform maths shared by the converters: ROS quaternions to three.js Euler angles.

ROS quaternions are ``(x, y, z, w)``; transforms3d's are ``(w, x, y, z)``: nothing here uses
transforms3d, so every quaternion in this package is ``(x, y, z, w)``. three.js ``rotation``
props are Euler angles ``[a, b, c]`` of order 'XYZ': ``R = Rx(a) @ Ry(b) @ Rz(c)`` (the
'rxyz' axes of transforms3d). Scalar maths uses ``math``, not numpy: one quaternion at a
time is several times faster that way, and markers arrive by the thousand.
"""

import math
from typing import Iterable, NamedTuple, Sequence

import numpy as np

Vector3 = tuple[float, float, float]
Quaternion = tuple[float, float, float, float]

IDENTITY_QUATERNION: Quaternion = (0.0, 0.0, 0.0, 1.0)
#: Squared norms this far from 1 count as unnormalised (RViz's tolerance).
NORM_TOLERANCE = 1e-2


class Transform(NamedTuple):
    """A rigid transform: rotate by ``rotation`` (unit x, y, z, w), then translate."""

    translation: Vector3 = (0.0, 0.0, 0.0)
    rotation: Quaternion = IDENTITY_QUATERNION


IDENTITY = Transform()


def finite(values: Iterable[float]) -> bool:
    """Tell whether all the numbers are finite: no NaN, no infinity."""
    return all(map(math.isfinite, values))


def finite_array(values: np.ndarray) -> bool:
    """Whether every element of an array is finite; an empty array is."""
    return bool(np.isfinite(values).all())


def quaternion_norm_ok(q: Sequence[float]) -> bool:
    """Whether a quaternion is unit length within RViz's tolerance."""
    return abs(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3] - 1.0) < NORM_TOLERANCE


def normalize_quaternion(q: Sequence[float]) -> Quaternion:
    """Scale a quaternion to unit length; all zeros means identity, as RViz assumes."""
    x, y, z, w = q
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if norm < 1e-12:
        return IDENTITY_QUATERNION
    return (x / norm, y / norm, z / norm, w / norm)


def quaternion_to_euler(q: Sequence[float]) -> list[float]:
    """
    three.js ``rotation`` [a, b, c] (order 'XYZ') of a ROS quaternion (x, y, z, w).

    The quaternion is normalised first. Follows three.js ``Euler.setFromRotationMatrix``,
    gimbal-lock branch included, so the browser rebuilds the same matrix.
    """
    x, y, z, w = normalize_quaternion(q)
    m11 = 1.0 - 2.0 * (y * y + z * z)
    m12 = 2.0 * (x * y - z * w)
    m13 = 2.0 * (x * z + y * w)
    m22 = 1.0 - 2.0 * (x * x + z * z)
    m23 = 2.0 * (y * z - x * w)
    m32 = 2.0 * (y * z + x * w)
    m33 = 1.0 - 2.0 * (x * x + y * y)
    b = math.asin(max(-1.0, min(1.0, m13)))
    if abs(m13) < 0.9999999:
        return [math.atan2(-m23, m33), b, math.atan2(-m12, m11)]
    return [math.atan2(m32, m22), b, 0.0]


def euler_to_quaternion(euler: Sequence[float]) -> Quaternion:
    """ROS quaternion of a three.js ``rotation`` [a, b, c] (order 'XYZ': Rx(a) Ry(b) Rz(c))."""
    a, b, c = euler
    half = [(math.sin(angle / 2), math.cos(angle / 2)) for angle in (a, b, c)]
    (sa, ca), (sb, cb), (sc, cc) = half
    return quaternion_multiply(quaternion_multiply((sa, 0.0, 0.0, ca), (0.0, sb, 0.0, cb)),
                               (0.0, 0.0, sc, cc))


def rpy_to_quaternion(roll: float, pitch: float, yaw: float) -> Quaternion:
    """Quaternion of ROS roll/pitch/yaw (fixed axes X, Y, Z: R = Rz(yaw) Ry(pitch) Rx(roll))."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
            cr * cp * cy + sr * sp * sy)


def quaternion_multiply(a: Sequence[float], b: Sequence[float]) -> Quaternion:
    """Hamilton product ``a * b`` (apply b, then a) of (x, y, z, w) quaternions."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz)


def rotate(q: Sequence[float], v: Sequence[float]) -> Vector3:
    """Rotate vector v by the unit quaternion q."""
    qx, qy, qz, qw = q
    vx, vy, vz = v
    # t = 2 q.xyz x v;  v' = v + w t + q.xyz x t
    tx = 2.0 * (qy * vz - qz * vy)
    ty = 2.0 * (qz * vx - qx * vz)
    tz = 2.0 * (qx * vy - qy * vx)
    return (vx + qw * tx + qy * tz - qz * ty,
            vy + qw * ty + qz * tx - qx * tz,
            vz + qw * tz + qx * ty - qy * tx)


def quaternion_from_to(u: Sequence[float], v: Sequence[float]) -> Quaternion:
    """Shortest-arc rotation turning unit vector u onto unit vector v."""
    ux, uy, uz = u
    vx, vy, vz = v
    dot = ux * vx + uy * vy + uz * vz
    if dot < -0.999999:
        # Opposite vectors: half a turn about any axis perpendicular to u.
        ax, ay, az = (0.0, -uz, uy) if abs(ux) < 0.9 else (uz, 0.0, -ux)
        norm = math.sqrt(ax * ax + ay * ay + az * az)
        return (ax / norm, ay / norm, az / norm, 0.0)
    return normalize_quaternion((uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx,
                                 1.0 + dot))


def compose(a: Transform, b: Transform) -> Transform:
    """Compose ``a @ b``: b (a child pose relative to a) expressed in a's parent."""
    tx, ty, tz = rotate(a.rotation, b.translation)
    ax, ay, az = a.translation
    return Transform((ax + tx, ay + ty, az + tz),
                     normalize_quaternion(quaternion_multiply(a.rotation, b.rotation)))


def invert(a: Transform) -> Transform:
    """Invert a rigid transform (child-to-parent becomes parent-to-child)."""
    x, y, z, w = a.rotation
    conjugate = (-x, -y, -z, w)
    tx, ty, tz = rotate(conjugate, a.translation)
    return Transform((-tx, -ty, -tz), conjugate)


def interpolate(a: Transform, b: Transform, ratio: float) -> Transform:
    """
    Blend two transforms as tf2 does between two stamps: lerp, and slerp the short way.

    ``ratio`` 0 gives ``a``, 1 gives ``b`` (tf2 TimeCache::interpolate, Quaternion::slerp).
    """
    translation = tuple(u + (v - u) * ratio for u, v in zip(a.translation, b.translation))
    p, q = a.rotation, b.rotation
    dot = sum(u * v for u, v in zip(p, q))
    if dot < 0.0:   # the other sign of the same rotation: the shorter way round
        q, dot = tuple(-v for v in q), -dot
    theta = math.acos(min(1.0, dot))
    if theta < 1e-9:
        return Transform(translation, p)
    s = math.sin(theta)
    wp, wq = math.sin((1.0 - ratio) * theta) / s, math.sin(ratio * theta) / s
    return Transform(translation, normalize_quaternion(
        tuple(wp * u + wq * v for u, v in zip(p, q))))


def pose_transform(pose: object) -> Transform:
    """Return the rigid transform a geometry_msgs Pose describes (quaternion normalised)."""
    p, o = pose.position, pose.orientation
    return Transform((p.x, p.y, p.z), normalize_quaternion((o.x, o.y, o.z, o.w)))
