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
Start the Vuer bridge with its configuration file.

Usage: ``ros2 launch vuer_ros viewer.launch.py [config:=FILE] [demo:=false] [NAME:=VALUE
...]``, where NAME is any vuer_bridge parameter (``port``, ``fixed_frame``,
``marker_topics``...; ``ros2 launch vuer_ros viewer.launch.py --show-args`` lists them).
A parameter given here overrides the file; one not given comes from the file, so
``port`` and ``host`` in your own config are used.
"""

from pathlib import Path
from typing import List

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, Shutdown
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from vuer_ros.ros.demo import DEMO_OVERRIDES
from vuer_ros.settings import launch_arguments

#: Python type of a parameter -> the type launch_ros reads the argument's text as.
VALUE_TYPES = {list: List[str]}


def _bridge(context: LaunchContext) -> List[Node]:
    """Start vuer_bridge with the config file, then the demo's topics, then given arguments."""
    given = {name: ParameterValue(LaunchConfiguration(name),
                                  value_type=VALUE_TYPES.get(kind, kind))
             for name, kind, _ in launch_arguments()
             if LaunchConfiguration(name).perform(context)}
    demo = LaunchConfiguration('demo').perform(context).lower() in ('true', '1', 'yes')
    return [Node(
        package='vuer_ros',
        executable='vuer_bridge',
        name='vuer_bridge',
        output='screen',
        emulate_tty=True,
        parameters=[LaunchConfiguration('config'), *([DEMO_OVERRIDES] if demo else []), given],
        on_exit=Shutdown(reason='vuer_bridge exited'),  # no demo without the bridge
    )]


def generate_launch_description() -> LaunchDescription:
    """Declare the arguments (one per parameter) and the nodes."""
    default_config = Path(get_package_share_directory('vuer_ros')) / 'config' / 'viewer.yaml'
    return LaunchDescription([
        DeclareLaunchArgument('config', default_value=str(default_config),
                              description='Parameter file of the vuer_bridge node'),
        DeclareLaunchArgument('demo', default_value='false',
                              description='Also start a publisher of a small demo scene'),
        *(DeclareLaunchArgument(name, default_value='',
                                description=f'{description} (empty: from the config file)')
          for name, _, description in launch_arguments()),
        OpaqueFunction(function=_bridge),
        Node(
            package='vuer_ros',
            executable='vuer_demo_publisher',
            name='vuer_demo_publisher',
            output='screen',
            condition=IfCondition(LaunchConfiguration('demo')),
        ),
    ])
