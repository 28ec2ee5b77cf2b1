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

"""ament_flake8 over the package, as a ROS package's test suite runs it."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = [str(ROOT / name) for name in ('vuer_ros', 'test', 'launch', 'bench', 'setup.py')]


@pytest.mark.linter
@pytest.mark.flake8
def test_flake8():
    main = pytest.importorskip(
        'ament_flake8.main', reason='ament_flake8 is not installed (pip install ros-ament-flake8)')
    rc, errors = main.main_with_errors(argv=CHECKED)
    assert rc == 0, f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)
