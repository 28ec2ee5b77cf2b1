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

"""Install vuer_ros as an ament_python package, or with pip on a machine without ROS."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'vuer_ros'

# On a ROS install rclpy and the messages come from the distribution; these extras are
# only for machines without ROS, from the PyPI wheels.
ROS_KILTED = [
    'ros-rclpy', 'ros-rmw-fastrtps-cpp', 'ros-ament-index-python', 'ros-std-msgs',
    'ros-geometry-msgs', 'ros-nav-msgs', 'ros-visualization-msgs', 'ros-sensor-msgs',
]
ROS_JAZZY = [
    'ros-jazzy-rclpy', 'ros-jazzy-rmw-fastrtps-cpp', 'ros-jazzy-ament-index-python',
    'ros-jazzy-geometry-msgs', 'ros-jazzy-nav-msgs', 'ros-jazzy-visualization-msgs',
    'ros-jazzy-sensor-msgs',
]
# Only the browser client files of this pinned release are used (vuer/client_build).
CLIENT = ['vuer==0.1.6']
TEST = [
    # launch_testing of Jazzy and Kilted does not load under pytest 9 (ros2/launch#979)
    'pytest>=8,<9', 'pytest-asyncio>=0.23', 'pytest-timeout', 'playwright',
    'ros-ament-flake8', 'ros-ament-pep257', 'flake8',
    'flake8-quotes', 'flake8-import-order', 'flake8-docstrings', 'flake8-builtins',
    'flake8-comprehensions', 'pydocstyle', 'hypothesis', *CLIENT,
]

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*', 'bench', 'bench.*']),
    package_data={PACKAGE: ['static/fonts/*']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (f'share/{PACKAGE}', ['package.xml']),
        (f'share/{PACKAGE}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE}/config', glob('config/*.yaml') + glob('config/*.xml')),
    ],
    python_requires='>=3.10',
    # pillow: JPEG for raw camera images (1 ms for 640x480 where PNG takes 20-50 ms);
    # python3-pil on a ROS install, and already a dependency of the vuer client package.
    install_requires=['setuptools', 'aiohttp>=3.9', 'msgpack>=1.0', 'numpy', 'transforms3d',
                      'pillow'],
    extras_require={
        'ros': ROS_KILTED,
        'ros-jazzy': ROS_JAZZY,
        'client': CLIENT,
        'test': TEST,
    },
    zip_safe=True,
    maintainer='vuer_ros developers',
    maintainer_email='dev@vuer-ros.local',
    description='Live robot state in the Vuer 3D viewer (browser or VR headset).',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'vuer_bridge = vuer_ros.ros.bridge_node:main',
            'vuer_demo_publisher = vuer_ros.ros.demo:main',
            'vuer_ros_demo = vuer_ros.ros.bridge_node:demo_main',
            'vuer_ros_cert = vuer_ros.tls:main',
        ],
    },
)
