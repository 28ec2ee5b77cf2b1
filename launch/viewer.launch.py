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

Usage: ``ros2 launch vuer_ros viewer.launch.py [config:=FILE] [port:=8012]
[host:=0.0.0.0] [demo:=false]``.
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, Shutdown
from launch.conditions import IfCondition, UnlessCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from vuer_ros.ros.demo import DEMO_OVERRIDES


def generate_launch_description() -> LaunchDescription:
    """Declare the arguments and the vuer_bridge node (plus the demo publisher on demand)."""
    default_config = Path(get_package_share_directory('vuer_ros')) / 'config' / 'viewer.yaml'
    common = [
        LaunchConfiguration('config'),
        {
            'port': ParameterValue(LaunchConfiguration('port'), value_type=int),
            'host': LaunchConfiguration('host'),
        },
    ]
    return LaunchDescription([
        DeclareLaunchArgument('config', default_value=str(default_config),
                              description='Parameter file of the vuer_bridge node'),
        DeclareLaunchArgument('port', default_value='8012',
                              description='Port of the viewer (HTTP and websocket)'),
        DeclareLaunchArgument('host', default_value='0.0.0.0',
                              description='Interface to listen on'),
        DeclareLaunchArgument('demo', default_value='false',
                              description='Also start a publisher of a small demo scene'),
        *(Node(
            package='vuer_ros',
            executable='vuer_bridge',
            name='vuer_bridge',
            output='screen',
            emulate_tty=True,
            parameters=parameters,
            condition=condition,
            on_exit=Shutdown(reason='vuer_bridge exited'),  # no demo without the bridge
        ) for parameters, condition in (
            (common, UnlessCondition(LaunchConfiguration('demo'))),
            ([*common, DEMO_OVERRIDES], IfCondition(LaunchConfiguration('demo'))),
        )),
        Node(
            package='vuer_ros',
            executable='vuer_demo_publisher',
            name='vuer_demo_publisher',
            output='screen',
            condition=IfCondition(LaunchConfiguration('demo')),
        ),
    ])
