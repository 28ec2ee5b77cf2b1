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
Every marker type seen in the real Vuer client, at its place and in its colour.

One marker per test, drawn by the marker display on a plain Vuer app (no ROS: markers are
plain objects), around ROS (0, 0, 0.5) in map, in a colour no other type uses. Headless
Chromium shows it; the test finds that colour on screen where the place projects, and
keeps a screenshot in ``test-artifacts/``. three.js is Y-up: ROS (x, y, z) appears at
three (x, z, -y).
"""

from pathlib import Path
from typing import Any, AsyncIterator, NamedTuple, Sequence

from browser import open_client, require_browser
import numpy as np
import pytest

from vuer_ros import testing
from vuer_ros.convert import geometry
from vuer_ros.convert import markers as mk
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.markers import MarkerDisplay
from vuer_ros.resources import MeshResources
from vuer_ros.settings import settings_from_values

require_browser()

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / 'test-artifacts'
#: Where every marker is drawn, in map (ROS, Z up).
PLACE = (0.0, 0.0, 0.5)
#: Colour search: how far a channel may be from the measured colour, how many pixels of
#: it make a marker, and how far from the place (page pixels) to look.
TOLERANCE = 30
MIN_PIXELS = 200
RADIUS = 200


def three(x: float, y: float, z: float) -> list[float]:
    """Where ROS point (x, y, z) of the fixed frame is in the viewer's Y-up world."""
    return [x, z, -y]


def cube_stl() -> bytes:
    """Binary STL of a 1 m cube centred at its origin."""
    vertices, faces = geometry.CUBE_VERTICES, geometry.CUBE_FACES
    record = np.dtype([('normal', '<f4', 3), ('corners', '<f4', (3, 3)), ('spare', '<u2')])
    triangles = np.zeros(len(faces), record)
    corners = vertices[faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    triangles['normal'] = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    triangles['corners'] = corners
    return bytes(80) + np.uint32(len(faces)).tobytes() + triangles.tobytes()


class Case(NamedTuple):
    """One marker type: its marker, and the colour it is seen in where it covers PLACE."""

    marker: Any
    #: Colour on screen (tone-mapped, and shaded where lit), measured once in this client.
    seen: Sequence[int]
    #: Whether PLACE is inside solid colour; glyphs leave gaps, so for text it is only
    #: inside the bounding box of the coloured pixels.
    solid: bool = True


def case(kind: int, color: Sequence[float], seen: Sequence[int], *, solid: bool = True,
         **fields: Any) -> Case:
    """Make the Case of one ``kind`` of marker at PLACE (fields as testing.marker takes)."""
    fields.setdefault('position', PLACE)
    marker = testing.marker(kind, color=(*color, 1.0), plain=True, **fields)
    if kind == mk.MESH_RESOURCE:
        marker.mesh_file.data = list(cube_stl())
    return Case(marker, seen, solid)


#: Points across and through the place, in the marker's own frame.
CROSS = [(-0.5, 0.0, 0.0), (0.5, 0.0, 0.0), (0.0, 0.0, -0.3), (0.0, 0.0, 0.3)]
ROW = [(-0.4, 0.0, 0.0), (0.0, 0.0, 0.0), (0.4, 0.0, 0.0)]
GRID = [(x, 0.0, z) for x in (-0.2, 0.0, 0.2) for z in (-0.2, 0.0, 0.2)]
SQUARE = [(-0.3, 0.0, -0.3), (0.3, 0.0, -0.3), (0.3, 0.0, 0.3),
          (-0.3, 0.0, -0.3), (0.3, 0.0, 0.3), (-0.3, 0.0, 0.3)]

CASES = {
    # Pose arrow along +x from 0.5 m left of the place: its shaft crosses the place.
    'ARROW': case(mk.ARROW, (1.0, 0.5, 0.0), (181, 80, 6), position=(-0.5, 0.0, 0.5),
                  scale=(1.0, 0.2, 0.2)),
    'CUBE': case(mk.CUBE, (1.0, 0.0, 0.0), (117, 0, 1), scale=(0.5, 0.5, 0.5)),
    'SPHERE': case(mk.SPHERE, (0.0, 1.0, 0.0), (27, 181, 19), scale=(0.5, 0.5, 0.5)),
    'CYLINDER': case(mk.CYLINDER, (0.0, 0.0, 1.0), (0, 0, 123), scale=(0.4, 0.4, 0.6)),
    'LINE_STRIP': case(mk.LINE_STRIP, (1.0, 0.0, 1.0), (247, 40, 228), scale=(0.08, 0.0, 0.0),
                       points=[(-0.5, 0.0, 0.0), (0.5, 0.0, 0.0), (0.5, 0.0, 0.3)]),
    'LINE_LIST': case(mk.LINE_LIST, (0.0, 1.0, 1.0), (153, 227, 226), scale=(0.08, 0.0, 0.0),
                      points=CROSS),
    'CUBE_LIST': case(mk.CUBE_LIST, (1.0, 1.0, 0.0), (130, 130, 0), scale=(0.25, 0.25, 0.25),
                      points=ROW),
    'SPHERE_LIST': case(mk.SPHERE_LIST, (0.5, 0.0, 1.0), (66, 0, 176),
                        scale=(0.25, 0.25, 0.25), points=ROW),
    'POINTS': case(mk.POINTS, (0.0, 0.5, 0.0), (0, 138, 0), scale=(0.12, 0.12, 0.0),
                   points=GRID),
    'TEXT_VIEW_FACING': case(mk.TEXT_VIEW_FACING, (0.3, 0.0, 0.3), (59, 0, 64),
                             scale=(0.0, 0.0, 0.4), text='VUER', solid=False),
    'MESH_RESOURCE': case(mk.MESH_RESOURCE, (1.0, 0.5, 0.5), (123, 42, 45),
                          scale=(0.5, 0.5, 0.5), mesh_resource='embedded://cube.stl',
                          mesh_filename='cube.stl'),
    'TRIANGLE_LIST': case(mk.TRIANGLE_LIST, (0.0, 0.5, 0.5), (0, 41, 41), points=SQUARE),
    # Two arrows, the first one's shaft across the place.
    'ARROW_STRIP': case(mk.ARROW_STRIP, (0.5, 0.5, 0.0), (73, 74, 0),
                        scale=(0.1, 0.2, 0.15),
                        points=[(-0.6, 0.0, 0.0), (0.3, 0.0, 0.0), (0.6, 0.0, 0.3)]),
}


def test_every_type_has_a_case_in_a_colour_of_its_own():
    assert set(CASES) == set(mk.TYPE_NAMES.values())
    colours = [tuple(vars(each.marker.color).values()) for each in CASES.values()]
    assert len(set(colours)) == len(colours)


class Viewer(NamedTuple):
    """A served Vuer app and the displays drawing on it."""

    app: Any
    host: DisplayHost


@pytest.fixture
async def viewer(loopback_app) -> AsyncIterator[Viewer]:
    """Serve a Vuer app with embedded meshes, and a DisplayHost drawing on it."""
    meshes = MeshResources(lambda package: '')
    meshes.add_routes(loopback_app.add_route)
    await loopback_app.start_server()
    host = DisplayHost(loopback_app, settings_from_values({'frame_axes': 0.0}),
                       meshes=meshes)
    host.start()
    yield Viewer(loopback_app, host)
    host.close()


@pytest.mark.parametrize('name', sorted(CASES))
async def test_marker_is_seen_at_its_place_in_its_colour(viewer, name):
    marker, colour, solid = CASES[name]
    viewer.host.show(MarkerDisplay, '/markers').on_message(marker)
    async with open_client(viewer.app.port) as client:
        await client.wait_for_keys({mk.marker_key('/markers', marker.ns, marker.id)})
        # From 2.2 m in front (ROS -y) and 1.1 m above the place, looking at it.
        await client.look_at(three(0.0, -2.2, 1.6), three(*PLACE))
        where = await client.project(three(*PLACE))
        around = (where[0] - RADIUS, where[1] - RADIUS, where[0] + RADIUS, where[1] + RADIUS)
        # Text appears once its font has loaded: wait for the colour, not for a time.
        blob = await client.wait_for_colour(colour, TOLERANCE, MIN_PIXELS, region=around)
        await client.screenshot(ARTIFACTS / f'browser-marker-{name.lower()}.png')
        assert blob.contains(where), (blob, where)
        if solid:
            pixel = await client.pixel(where[0], where[1])
            assert all(abs(a - b) <= TOLERANCE for a, b in zip(pixel, colour)), pixel
        assert client.console_errors() == []
