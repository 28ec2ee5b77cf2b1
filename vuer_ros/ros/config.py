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
The vuer_bridge node's parameters, declared with descriptors from the display registry.

``vuer_ros.settings`` lists every parameter once; here each becomes a read-only ROS
parameter with its description and range, so ``ros2 param describe`` tells the same
story as ``config/viewer.yaml`` and the README, and a bad value stops the node at start.
"""

from typing import Any, Optional

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)
from rclpy.node import Node

from vuer_ros.displays.base import Param
from vuer_ros.settings import parameters, Settings, settings_from_values


def descriptor(param: Param) -> ParameterDescriptor:
    """Return the ROS descriptor of ``param``: description, list type, number range."""
    extras: dict[str, Any] = {}
    if isinstance(param.default, tuple):
        extras['type'] = ParameterType.PARAMETER_STRING_ARRAY
    elif param.low is not None and isinstance(param.default, float):
        extras['floating_point_range'] = [FloatingPointRange(
            from_value=float(param.low), to_value=float(param.high), step=0.0)]
    elif param.low is not None:
        extras['integer_range'] = [IntegerRange(from_value=int(param.low),
                                                to_value=int(param.high), step=1)]
    if param.choices:
        extras['additional_constraints'] = f'one of: {", ".join(param.choices)}'
    return ParameterDescriptor(description=param.description, read_only=True, **extras)


def declare_parameters(node: Node, overrides: Optional[dict[str, Any]] = None) -> Settings:
    """
    Declare every parameter on ``node`` and return the validated settings.

    :param overrides: defaults to use instead of the registry's (the demo's topics).
    :raises ConfigError: naming the bad value.
    """
    values = {}
    for param in parameters():
        default = (overrides or {}).get(param.name, param.default)
        if isinstance(param.default, tuple):
            # rclpy types a parameter by its default and takes [] for a byte array, so a
            # string list from YAML or -p would then be refused; [''] reads as empty.
            default = list(default) or ['']
        values[param.name] = node.declare_parameter(param.name, default,
                                                    descriptor(param)).value
    return settings_from_values(values)
