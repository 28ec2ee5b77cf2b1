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

"""Every source file carries the Apache-2.0 header (ament_copyright is not on PyPI)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEADER = [
    '# Copyright 2026 vuer_ros developers',
    '#',
    '# Licensed under the Apache License, Version 2.0 (the "License");',
]


def source_files() -> list[Path]:
    """Python files of the package, its tests, launch files and benchmarks."""
    files = [path for folder in ('vuer_ros', 'test', 'launch', 'bench')
             for path in (ROOT / folder).rglob('*.py')]
    return sorted([ROOT / 'setup.py', *files])


@pytest.mark.linter
@pytest.mark.copyright
def test_copyright():
    missing = [str(path.relative_to(ROOT)) for path in source_files()
               if path.read_text().splitlines()[:3] != HEADER]
    assert not missing, 'files without the Apache-2.0 header:\n' + '\n'.join(missing)


@pytest.mark.linter
def test_license_file_is_shipped():
    assert 'Apache License' in (ROOT / 'LICENSE').read_text()
    assert '<license>Apache-2.0</license>' in (ROOT / 'package.xml').read_text()
    assert 'Bitstream Vera' in (ROOT / 'vuer_ros/static/fonts/LICENSE-DejaVu.txt').read_text()
