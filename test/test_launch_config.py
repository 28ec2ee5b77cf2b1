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
viewer.launch.py with config:=FILE: the file's port and host are the ones used.

The launch file once passed its own port and host after the user's file, so a config
file's port was ignored. Needs launch_testing (a ROS 2 install); without it this module
is skipped and says so.
"""

import os
from pathlib import Path
import sys
import tempfile
import unittest

import pytest

launch_testing = pytest.importorskip(
    'launch_testing', reason='launch_testing is not installed (it comes with a ROS 2 '
    'install, not from PyPI); the launch file test needs it')
pytest.importorskip('launch_ros', reason='launch_ros is not installed (ROS 2 install only)')

from ament_index_python.packages import get_package_share_directory  # noqa: E402,I100
from launch import LaunchDescription  # noqa: E402
from launch.actions import IncludeLaunchDescription  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
import launch_testing.actions  # noqa: E402
import launch_testing.asserts  # noqa: E402

from vuer_ros.testing import free_port, page_status  # noqa: E402

PORT = free_port()
CONFIG = Path(tempfile.mkdtemp()) / 'my_viewer.yaml'


@pytest.mark.launch_test
def generate_test_description():
    """Include the installed viewer.launch.py with only config:= a file naming the port."""
    CONFIG.write_text('vuer_bridge:\n  ros__parameters:\n'
                      f'    port: {PORT}\n    host: 127.0.0.1\n    fixed_frame: odom\n')
    launch_file = Path(get_package_share_directory('vuer_ros')) / 'launch' / 'viewer.launch.py'
    viewer = IncludeLaunchDescription(PythonLaunchDescriptionSource(str(launch_file)),
                                      launch_arguments={'config': str(CONFIG)}.items())
    return LaunchDescription([viewer, launch_testing.actions.ReadyToTest()])


class TestConfigFileCounts(unittest.TestCase):
    """While the launch runs."""

    def test_the_files_port_and_fixed_frame_are_used(self, proc_output):
        """The node serves on the file's port and places things in the file's fixed frame."""
        proc_output.assertWaitFor(f'Vuer server on port {PORT}', timeout=30, stream='stdout')
        proc_output.assertWaitFor("fixed frame 'odom'", timeout=10)
        self.assertIn(page_status(PORT), (200, 404))


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    """After the launch is shut down."""

    def test_exit_codes(self, proc_info):
        """Every process ends cleanly on the launch's SIGINT."""
        launch_testing.asserts.assertExitCodes(proc_info)


if __name__ == '__main__':
    sys.exit(pytest.main([os.path.abspath(__file__)]))
