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
Shared test setup: ROS isolation, a ROS context, and a Vuer app on a free loopback port.

ROS reads ``ROS_DOMAIN_ID`` and ``ROS_AUTOMATIC_DISCOVERY_RANGE`` when it initialises, so
they are set here, when pytest imports this file, before any test module imports rclpy.
Each session gets a random domain and discovery stays on this machine, so test runs in
parallel, or next to a live robot, do not see each other. Set ``VUER_ROS_TEST_DOMAIN_ID``
to choose the domain instead (for instance to watch a test with ``ros2 topic echo``).
Subprocesses started by tests inherit both variables.

The property tests (hypothesis) draw the same examples on every run, so a pass or a
failure repeats; ``--hypothesis-profile=explore`` draws new ones each run, to look for
inputs the fixed draw misses.
"""

import os
import random
from types import ModuleType
from typing import AsyncIterator, Iterator, List

from hypothesis import settings
import pytest

settings.register_profile('repeatable', derandomize=True)
settings.register_profile('explore', derandomize=False)
settings.load_profile('repeatable')

_domain_id = int(os.environ.get('VUER_ROS_TEST_DOMAIN_ID') or random.randint(1, 101))
if not 0 <= _domain_id <= 232:
    raise ValueError(f'VUER_ROS_TEST_DOMAIN_ID={_domain_id} is not a usable ROS domain id')
os.environ['ROS_DOMAIN_ID'] = str(_domain_id)
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'

_ROS_UNAVAILABLE = (
    'ROS 2 is not available: rclpy cannot be imported (source a ROS 2 install, or '
    "pip install '.[ros]' for the PyPI wheels)")


def require_ros() -> ModuleType:
    """
    Return rclpy, or skip the calling test module saying why ROS is unavailable.

    Call it at the top of a test module, before importing anything that imports rclpy.
    """
    return pytest.importorskip('rclpy', reason=_ROS_UNAVAILABLE)


def pytest_report_header() -> List[str]:
    """Print where the ROS tests talk, or why they will be skipped."""
    try:
        import rclpy  # noqa: F401
    except ImportError as exc:
        return [f'ROS: unavailable ({exc}); tests that need rclpy are skipped']
    return [f'ROS: ROS_DOMAIN_ID={_domain_id}, ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST, '
            f"RMW {os.environ.get('RMW_IMPLEMENTATION', 'default')}"]


@pytest.fixture(scope='session')
def ros_context() -> Iterator[object]:
    """
    Initialise ROS in a context of the test session's own, and shut it down after.

    rclpy installs no signal handlers for a context that is not the default one, so
    Ctrl-C still interrupts pytest as usual.
    """
    rclpy = require_ros()
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)


@pytest.fixture
async def loopback_app() -> AsyncIterator[object]:
    """
    Give a Vuer app on a free port of 127.0.0.1, not started yet; stopped after the test.

    Tests register handlers, routes or lifespans first, then ``await app.start_server()``.
    """
    from vuer_ros import Vuer

    app = Vuer(host='127.0.0.1', port=0)
    yield app
    await app.stop_server()


@pytest.fixture
async def served_app(loopback_app: object) -> object:
    """Give :func:`loopback_app` already serving."""
    await loopback_app.start_server()
    return loopback_app
