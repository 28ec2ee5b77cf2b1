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
vuer_ros: live ROS 2 state in the Vuer 3D viewer.

The Vuer side (``Vuer``, ``VuerSession``, ``vuer_ros.schemas``) imports nothing from ROS
and runs the same scripts as the ``vuer`` package; the ROS node lives in ``vuer_ros.ros``.
"""

from vuer_ros.server import Vuer, VuerSession
from vuer_ros.wire import ClientEvent

__all__ = ['ClientEvent', 'Vuer', 'VuerSession']
