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
Where the browser client and the files it needs offline come from.

The Vuer browser client is the ``client_build`` folder of the ``vuer`` wheel. Only its files
are used: ``vuer`` is located with :func:`importlib.util.find_spec` and never imported, since
importing it pulls in its own server and dependencies. Robots are often offline, so the
client must not need the internet: ``Text`` elements fetch their font from a CDN unless given
one, so a font ships with this package under :func:`static_dir`, which the server serves at
:data:`STATIC_URL`.
"""

from functools import lru_cache
import importlib.util
import os
from pathlib import Path
import struct
from typing import FrozenSet, Optional, Union

#: Environment variable naming a client build folder to use instead of the ``vuer`` wheel's.
CLIENT_DIR_ENV = 'VUER_ROS_CLIENT_DIR'

#: URL path under which the server serves :func:`static_dir`.
STATIC_URL = '/static'

#: The font shipped for ``Text`` (DejaVu Sans, Bitstream Vera licence), relative to
#: :func:`static_dir`. troika, the client's text renderer, reads TrueType, OpenType and WOFF.
DEFAULT_FONT = 'fonts/DejaVuSans.ttf'

# Characters troika lays out as whitespace without looking for a glyph (tab to CR, space,
# NEL, NBSP and the Unicode spaces and separators).
_WHITESPACE = frozenset((
    *range(0x9, 0xE), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
    *range(0x2028, 0x2030), 0x205F, 0x3000))


def is_client_build(folder: Union[str, Path]) -> bool:
    """Whether ``folder`` looks like a built Vuer client (``index.html`` and ``assets/``)."""
    folder = Path(folder)
    return (folder / 'index.html').is_file() and (folder / 'assets').is_dir()


def find_client_build(folder: Union[str, Path, None] = None) -> Optional[Path]:
    """
    Locate the browser client build, or None when there is none.

    An explicit ``folder``, else the ``VUER_ROS_CLIENT_DIR`` environment variable, wins
    over the installed ``vuer`` wheel; an explicit choice that is not a client build gives
    None rather than silently falling back to another client.
    """
    if folder is None:
        folder = os.environ.get(CLIENT_DIR_ENV) or None
    if folder is not None:
        folder = Path(folder).expanduser()
        return folder.resolve() if is_client_build(folder) else None
    try:
        spec = importlib.util.find_spec('vuer')
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / 'client_build'
        if is_client_build(candidate):
            return candidate.resolve()
    return None


#: How to get the client files, for a pip/venv install and for a ROS (colcon) install. The
#: second installs only the vuer wheel's files for this user and touches no other package,
#: so it is safe beside ROS on Ubuntu 24.04, where a plain pip install is refused.
INSTALL_COMMANDS = (
    "pip install 'vuer_ros[client]'          (pip or venv install of vuer_ros)",
    "python3 -m pip install --user --no-deps --break-system-packages 'vuer==0.1.6'"
    '          (ROS / colcon install: only the client files)',
)


def missing_client_advice(folder: Union[str, Path, None] = None) -> str:
    """Say why no client build was found (naming the folder given) and how to get one."""
    chosen = folder or os.environ.get(CLIENT_DIR_ENV)
    if chosen:
        why = (f'{chosen} is not a Vuer client build (it needs index.html and assets/): '
               f'fix the client_dir parameter or {CLIENT_DIR_ENV}, or leave both empty to use '
               'the installed vuer package')
    else:
        why = 'the vuer package, which ships the browser client, is not installed'
    return '\n'.join((f'browser client not found: {why}. Install it with one of:',
                      *(f'    {command}' for command in INSTALL_COMMANDS)))


def static_dir() -> Path:
    """Folder of the small files this package ships for the client (fonts and licences)."""
    return Path(__file__).resolve().parent / 'static'


def default_font_url() -> str:
    """URL path of the shipped font, to pass as ``Text(font=...)`` so text renders offline."""
    return f'{STATIC_URL}/{DEFAULT_FONT}'


@lru_cache(maxsize=None)
def font_charset() -> FrozenSet[int]:
    """
    Code points a ``Text`` with the shipped font can draw without the internet.

    When a text holds a character the font lacks, troika asks a CDN for a fallback font,
    and offline the whole element never appears; so text bound for the client should be
    reduced to these characters first. Read from the font's Unicode cmap (format 12).
    """
    data = (static_dir() / DEFAULT_FONT).read_bytes()
    tables = {}
    for index in range(struct.unpack_from('>H', data, 4)[0]):
        tag, _, offset, _ = struct.unpack_from('>4sIII', data, 12 + 16 * index)
        tables[tag] = offset
    cmap = tables[b'cmap']
    for index in range(struct.unpack_from('>H', data, cmap + 2)[0]):
        platform, encoding, offset = struct.unpack_from('>HHI', data, cmap + 4 + 8 * index)
        subtable = cmap + offset
        if (platform, encoding) in ((3, 10), (0, 4)) and \
                struct.unpack_from('>H', data, subtable)[0] == 12:
            break
    else:
        raise ValueError(f'{DEFAULT_FONT} has no full-Unicode (format 12) cmap')
    points = set(_WHITESPACE)
    for group in range(struct.unpack_from('>I', data, subtable + 12)[0]):
        first, last, glyph = struct.unpack_from('>III', data, subtable + 16 + 12 * group)
        points.update(range(first + (glyph == 0), last + 1))
    return frozenset(points)
