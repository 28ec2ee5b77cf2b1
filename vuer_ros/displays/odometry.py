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

"""The Odometry display: nav_msgs/Odometry drawn as its pose, in the pose display's style."""

from vuer_ros.convert.poses import odometry_to_element
from vuer_ros.displays.poses import PoseDisplay


class OdometryDisplay(PoseDisplay):
    """nav_msgs/Odometry: the newest pose of the robot (covariance not drawn yet)."""

    kind = 'odometry'
    message_type = 'nav_msgs/msg/Odometry'
    convert = staticmethod(odometry_to_element)


DISPLAYS = (OdometryDisplay,)
