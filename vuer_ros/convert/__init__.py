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
Pure ROS-message to scene-element converters (no rclpy, no message packages imported).

Messages are read by attribute, so real messages and plain objects work alike.
"""

from vuer_ros.convert.frames import (
    frame_key, FrameChanges, FrameGraph, GroupUpdate, normalize_frame, ROOT_KEY)
from vuer_ros.convert.markers import (
    duplicate_error, marker_key, marker_to_element, marker_warnings, MarkerError)
from vuer_ros.convert.poses import (
    AXES, path_to_element, pose_array_to_element, pose_element,
    pose_stamped_to_element, pose_with_covariance_to_element, PoseError, PoseStyle,
    transform_stamped_to_element)
from vuer_ros.convert.transforms import (
    compose, invert, quaternion_to_euler, rpy_to_quaternion, Transform)

__all__ = [
    'AXES', 'FrameChanges', 'FrameGraph', 'GroupUpdate', 'MarkerError', 'PoseError',
    'PoseStyle', 'ROOT_KEY', 'Transform',
    'compose', 'duplicate_error', 'frame_key', 'invert', 'marker_key', 'marker_to_element',
    'marker_warnings', 'normalize_frame', 'path_to_element', 'pose_array_to_element',
    'pose_element', 'pose_stamped_to_element', 'pose_with_covariance_to_element',
    'quaternion_to_euler', 'rpy_to_quaternion', 'transform_stamped_to_element',
]
