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

"""ament_pep257 over the package, as a ROS package's test suite runs it."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = [str(ROOT / name) for name in ('vuer_ros', 'test', 'launch', 'bench', 'setup.py')]


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    main = pytest.importorskip(
        'ament_pep257.main', reason='ament_pep257 is not installed (pip install ros-ament-pep257)')
    assert main.main(argv=CHECKED) == 0, 'Found code style errors / warnings (see above)'
