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
viewer.launch.py under launch_testing: the node starts, serves the viewer, exits cleanly.

launch_testing and launch_ros come with a ROS 2 install (they are not on PyPI); without
them this module is skipped and says so.
"""

import os
from pathlib import Path
import sys
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


@pytest.mark.launch_test
def generate_test_description():
    """Include the installed viewer.launch.py with a free port and the demo publisher."""
    launch_file = Path(get_package_share_directory('vuer_ros')) / 'launch' / 'viewer.launch.py'
    viewer = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(launch_file)),
        launch_arguments={'port': str(PORT), 'host': '127.0.0.1', 'demo': 'true'}.items())
    return LaunchDescription([viewer, launch_testing.actions.ReadyToTest()])


class TestViewerServes(unittest.TestCase):
    """While the launch runs."""

    def test_viewer_page_is_served(self, proc_output):
        """The node prints its URL and answers HTTP on the launch argument's port."""
        proc_output.assertWaitFor(f'Vuer server on port {PORT}', timeout=30, stream='stdout')
        self.assertIn(page_status(PORT), (200, 404))


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    """After the launch is shut down."""

    def test_exit_codes(self, proc_info):
        """Every process ends cleanly on the launch's SIGINT."""
        launch_testing.asserts.assertExitCodes(proc_info)


if __name__ == '__main__':
    sys.exit(pytest.main([os.path.abspath(__file__)]))
