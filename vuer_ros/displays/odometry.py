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
The Odometry display: nav_msgs/Odometry as RViz2's OdometryDisplay shows it.

RViz2 keeps a trail: a new arrow (with its covariance) is dropped whenever the pose has
moved or turned past a tolerance since the last one, each frozen in the fixed frame where
it was when it arrived, and the oldest go once more than ``odometry_keep`` are shown
(rviz_default_plugins displays/odometry/odometry_display.cpp).
"""

from collections import deque
import math
from typing import Any, Optional, Sequence

from vuer_ros.convert.poses import odometry_to_element
from vuer_ros.convert.transforms import (finite, normalize_quaternion, pose_transform,
                                         quaternion_multiply, quaternion_norm_ok)
from vuer_ros.displays.base import DisplayContext, Param
from vuer_ros.displays.poses import PoseCovarianceDisplay

KEEP = Param('odometry_keep', 100, 'Odometry arrows kept, the oldest removed first (0: all, '
             "as RViz2's Keep; they then pile up for as long as the bridge runs).",
             low=0, high=100000)
POSITION_TOLERANCE = Param('odometry_position_tolerance', 0.1, 'Distance in metres from the '
                           'last odometry arrow that drops a new one (RViz2: 0.1).',
                           low=0.0, high=1000.0)
ANGLE_TOLERANCE = Param('odometry_angle_tolerance', 0.1, 'Angle in radians from the last '
                        'odometry arrow that drops a new one (RViz2: 0.1).',
                        low=0.0, high=math.pi)


def angular_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Angle between two orientations, as RViz2's ogreQuaternionAngularDistance."""
    x, y, z, w = quaternion_multiply(a, (-b[0], -b[1], -b[2], b[3]))
    return 2.0 * math.atan2(math.sqrt(x * x + y * y + z * z), abs(w))


class OdometryDisplay(PoseCovarianceDisplay):
    """nav_msgs/Odometry: a trail of the robot's poses and their covariance."""

    kind = 'odometry'
    message_type = 'nav_msgs/msg/Odometry'
    options = (*PoseCovarianceDisplay.options, KEEP, POSITION_TOLERANCE, ANGLE_TOLERANCE)
    convert = staticmethod(odometry_to_element)

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self.kept: deque[str] = deque()
        self._dropped = 0
        self._last: Optional[tuple[tuple[float, ...], tuple[float, ...]]] = None

    def _near_last(self, position: tuple, orientation: tuple) -> bool:
        """RViz2's messageIsSimilarToPrevious: within both tolerances of the last arrow."""
        if self._last is None:
            return False
        options = self.context.options
        last_position, last_orientation = self._last
        return (math.dist(position, last_position) < options[POSITION_TOLERANCE.name]
                and angular_distance(last_orientation, orientation)
                < options[ANGLE_TOLERANCE.name])

    def on_message(self, message: Any) -> None:
        """Drop a new arrow when the pose moved or turned enough; forget the oldest."""
        pose = message.pose.pose
        p, o = pose.position, pose.orientation
        position, orientation = (p.x, p.y, p.z), (o.x, o.y, o.z, o.w)
        if finite(orientation) and not quaternion_norm_ok(orientation):
            self.context.warn(f'{self.key}:error', f'{self.topic}: unnormalized quaternion '
                              "(squares of values don't add to 1); not drawn")
            return
        if self._near_last(position, orientation):
            return
        element = self.element(message, f'{self.key}/{self._dropped}')
        if element is None:
            return
        self._dropped += 1
        self._last = (position, normalize_quaternion(orientation))
        # RViz2 places each arrow once, at the transform at its stamp.
        self.context.scene.draw(self.group, element.key, message.header.frame_id, element,
                                frame_locked=False, pose=pose_transform(pose),
                                stamp=message.header.stamp)
        self.kept.append(element.key)
        keep = self.context.options[KEEP.name]
        if keep and len(self.kept) > keep:
            self.context.scene.erase([self.kept.popleft()])


DISPLAYS = (OdometryDisplay,)
