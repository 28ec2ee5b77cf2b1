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
PointStamped, PolygonStamped, GridCells, Range and CameraInfo, checked against RViz2.

The messages are the ones RViz2's own display tests publish (rviz_default_plugins/test/
rviz_default_plugins/publishers/*_publisher.hpp and displays/*/*_test.cpp, Jazzy), and the
expected places, sizes and colours are what RViz2's display code computes from them; each
check cites the RViz2 lines (rviz_default_plugins/src/rviz_default_plugins/displays/...,
branch jazzy; rolling only differs in licence headers). Converters get plain objects (and
real messages where it matters); displays draw on a real Vuer app through DisplayHost.
"""

import math
from typing import Sequence

from msg_factory import child, header, Plain, span, to_real, vec
import numpy as np
import pytest
from test_display_scene import in_fixed_frame, parents

from vuer_ros import Vuer
from vuer_ros.convert.camera_info import (camera_info_to_element, EDGE_WIDTH,
                                          frustum_corners, FrustumStyle, image_size)
from vuer_ros.convert.ranges import displayed_range, range_to_element
from vuer_ros.convert.shapes import (grid_cells_to_element, INVALID_FLOATS, point_to_element,
                                     polygon_to_element, ShapeError)
from vuer_ros.displays import BY_MESSAGE_TYPE
from vuer_ros.displays.camera_info import CameraInfoDisplay
from vuer_ros.displays.host import DisplayHost
from vuer_ros.displays.ranges import RangeDisplay
from vuer_ros.displays.shapes import GridCellsDisplay, PointStampedDisplay, PolygonDisplay
from vuer_ros.settings import ConfigError, settings_from_values
from vuer_ros.validation import validate_node

#: RViz2's default colours, as hex.
MAGENTA = '#cc29cc'     # point_stamped_display.cpp:78-79, QColor(204, 41, 204)
GREEN = '#19ff00'       # polygon_display.cpp:57-59, grid_cells_display.cpp:64-66 (25, 255, 0)
WHITE = '#ffffff'       # range_display.cpp:58-61, Qt::white
CYAN = '#55ffff'        # camera_info_display.cpp:79-83, QColor(85, 255, 255)
GREY = '#7d7d7d'        # camera_info_display.cpp:84-88, QColor(125, 125, 125)
#: What RViz2's test fixture's frame manager returns (display_test_fixture.cpp:80-81).
FIXTURE_POSITION = (0.0, 1.0, 0.0)
FIXTURE_ORIENTATION = (0.0, 1.0, 0.0, 0.0)   # Ogre (w, x, y, z) = (0, 0, 1, 0): ROS xyzw


# -- the messages RViz2's tests publish ---------------------------------------------------

def point_stamped(x: float = 0.0, y: float = 0.0, z: float = 0.0,
                  frame: str = 'point_frame') -> Plain:
    """geometry_msgs PointStamped (point_stamped_publisher.hpp:63-74)."""
    return Plain(header=header(frame), point=vec(x, y, z))


def polygon_stamped(points: Sequence[Sequence[float]], frame: str = 'map') -> Plain:
    """geometry_msgs PolygonStamped (RViz2 has no polygon test publisher)."""
    return Plain(header=header(frame), polygon=Plain(points=[vec(*p) for p in points]))


def grid_cells(width: float = 6.0, height: float = 5.0,
               cells: Sequence[Sequence[float]] = ((0, -1, 0), (3, 1, 0), (-3, 1, 0)),
               frame: str = 'grid_cells_frame') -> Plain:
    """nav_msgs GridCells; the defaults are grid_cells_publisher.hpp:64-70."""
    return Plain(header=header(frame), cell_width=width, cell_height=height,
                 cells=[vec(*c) for c in cells])


def range_msg(value: float = 3.0, low: float = 0.0, high: float = 6.0,
              field_of_view: float = math.pi / 2, frame: str = 'range_frame') -> Plain:
    """sensor_msgs Range, INFRARED; the defaults are range_publisher.hpp:62-69."""
    return Plain(header=header(frame), radiation_type=1, field_of_view=field_of_view,
                 min_range=low, max_range=high, range=value)


#: camera_info_publisher.hpp:67: fx 160, cx 160, fy 120, cy 120.
RVIZ_P = (160.0, 0.0, 160.0, 0.0, 0.0, 120.0, 120.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def camera_info(width: int = 320, height: int = 240, p: Sequence[float] = RVIZ_P,
                frame: str = 'camera_info_frame', binning: tuple[int, int] = (0, 0),
                roi: tuple[int, int] = (0, 0)) -> Plain:
    """sensor_msgs CameraInfo; the defaults are camera_info_publisher.hpp:62-67."""
    return Plain(header=header(frame), width=width, height=height, distortion_model='',
                 d=[], k=[0.0] * 9, r=[0.0] * 9, p=list(p), binning_x=binning[0],
                 binning_y=binning[1],
                 roi=Plain(x_offset=0, y_offset=0, width=roi[0], height=roi[1],
                           do_rectify=False))


TYPES = {
    'point': 'geometry_msgs/msg/PointStamped', 'polygon': 'geometry_msgs/msg/PolygonStamped',
    'grid_cells': 'nav_msgs/msg/GridCells', 'range': 'sensor_msgs/msg/Range',
    'camera_info': 'sensor_msgs/msg/CameraInfo',
}


def serialized(element) -> dict:
    node = element.serialize()
    validate_node(node)
    return node


def trimesh_triangles(node: dict) -> np.ndarray:
    """Decode the triangles a serialized TriMesh draws (T x 3 x 3), as the client does."""
    vertices = np.frombuffer(node['vertices'], '<f2').astype(np.float64).reshape(-1, 3)
    faces = np.frombuffer(node['faces'], '<u4').reshape(-1, 3)
    return vertices[faces] + node['position']


# -- PointStamped --------------------------------------------------------------------------

@pytest.mark.parametrize('as_real', [False, True])
@pytest.mark.parametrize('x', [0.0, 3.0, -3.0])   # point_stamped_publisher.hpp:58-60
def test_point_is_rviz_sphere_of_its_radius_and_colour(x, as_real):
    msg = point_stamped(x)
    node = serialized(point_to_element(to_real(msg, TYPES['point']) if as_real else msg,
                                       'p', 0.2, (204 / 255, 41 / 255, 204 / 255, 1.0)))
    assert node['tag'] == 'Sphere' and node['position'] == [x, 0.0, 0.0]
    # RViz2 scales its unit-diameter sphere by Radius (point_stamped_display.cpp:152-156),
    # whose default is 0.2 (:85-86): a sphere 0.2 m across.
    assert node['args'][0] == 0.5 and node['scale'] == [0.2, 0.2, 0.2]
    assert node['material']['color'] == MAGENTA and node['material']['opacity'] == 1.0
    assert node['material']['transparent'] is False


def test_point_with_nan_is_refused_with_rviz_status():
    with pytest.raises(ShapeError, match='invalid floating point values'):
        point_to_element(point_stamped(math.nan), 'p', 0.2, (1, 0, 1, 1))
    # point_stamped_display.cpp:124-128
    assert INVALID_FLOATS == 'Message contained invalid floating point values (nans or infs)'


# -- PolygonStamped ------------------------------------------------------------------------

def test_polygon_is_a_closed_one_pixel_line():
    square = [(0, 0, 0), (1, 0, 0), (1, 1, 0.5), (0, 1, 0)]
    node = serialized(polygon_to_element(polygon_stamped(square), 'poly', (25 / 255, 1, 0, 1)))
    line = child(node, 'line')
    # polygon_display.cpp:124-131: a line strip through num_points + 1 vertices, the last
    # one points[0] again; Ogre lines are one pixel wide, unlit.
    assert line['tag'] == 'Line' and line['points'] == [*map(list, square), [0, 0, 0]]
    assert line['lineWidth'] == 1.0 and line['worldUnits'] is False
    assert line['segments'] is False
    assert line['color'] == GREEN and 'opacity' not in line


def test_translucent_polygon_and_too_few_points():
    node = serialized(polygon_to_element(
        to_real(polygon_stamped([(0, 0, 0), (2, 0, 0)]), TYPES['polygon']), 'poly',
        (25 / 255, 1, 0, 0.5)))
    line = child(node, 'line')
    assert line['opacity'] == 0.5 and line['transparent'] is True
    assert line['points'] == [[0, 0, 0], [2, 0, 0], [0, 0, 0]]
    for points in ([], [(1, 2, 3)]):   # RViz2's strip of one or two equal points shows nothing
        assert serialized(polygon_to_element(polygon_stamped(points), 'poly',
                                             (0, 1, 0, 1)))['children'] == []
    with pytest.raises(ShapeError, match='invalid floating point'):  # :100-104
        polygon_to_element(polygon_stamped([(0, 0, 0), (math.inf, 0, 0)]), 'poly', (0, 1, 0, 1))


# -- GridCells -----------------------------------------------------------------------------

@pytest.mark.parametrize('as_real', [False, True])
def test_grid_cells_are_flat_tiles_of_cell_size_centred_on_each_cell(as_real):
    msg = grid_cells()
    node = serialized(grid_cells_to_element(to_real(msg, TYPES['grid_cells']) if as_real
                                            else msg, 'cells', (25 / 255, 1, 0, 1)))
    tiles = child(node, 'tiles')
    # grid_cells_display.cpp:84-91 and 179-196: tiles facing +Z (up vector +Y), of
    # cell_width x cell_height (6 x 5, grid_cells_publisher.hpp:64-65), centred on each cell
    # (billboard_tile.vert: the quad spans -0.5..0.5 of the size); unlit, RViz2's green.
    triangles = trimesh_triangles(tiles).reshape(3, 6, 3)  # 2 triangles per cell
    for corners, (x, y, z) in zip(triangles, [(0, -1, 0), (3, 1, 0), (-3, 1, 0)]):
        np.testing.assert_allclose(corners.min(axis=0), (x - 3, y - 2.5, z), atol=1e-3)
        np.testing.assert_allclose(corners.max(axis=0), (x + 3, y + 2.5, z), atol=1e-3)
        normals = np.cross(corners[1::3] - corners[0::3], corners[2::3] - corners[0::3])
        assert np.allclose(normals[:, :2], 0) and (normals[:, 2] > 0).all()
    assert tiles['materialType'] == 'basic' and tiles['color'] == GREEN
    assert tiles['opacity'] == 1.0 and 'material' not in tiles


def test_translucent_grid_cells_are_not_discarded_by_the_client():
    node = serialized(grid_cells_to_element(grid_cells(), 'cells', (1, 1, 1, 0.5)))
    tiles = child(node, 'tiles')
    assert tiles['opacity'] == 0.5
    assert tiles['material'] == {'alphaTest': 0, 'transparent': True, 'depthWrite': False}


@pytest.mark.parametrize('msg, words', [
    # grid_cells_display.cpp:155-174: RViz2's own status texts.
    (grid_cells(width=0.0, height=1.0), "One of the Cell's dimension is zero"),
    (grid_cells(cells=()), 'Message is empty: there are no cells to be shown.'),
    (grid_cells(cells=[(math.nan, 0, 0)]), 'invalid floating point values'),
    (grid_cells(width=math.inf), 'invalid floating point values'),
    (grid_cells(cells=[(0, 0, 0), (2e5, 0, 0)]), 'beyond the float16'),  # the client's
])
def test_grid_cells_refused(msg, words):
    with pytest.raises(ShapeError, match=words):
        grid_cells_to_element(msg, 'cells', (0, 1, 0, 1))


# -- Range ---------------------------------------------------------------------------------

def cone_of(node: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """Apex, base centre and base radius of a Range element's cone, in the sensor frame."""
    cone = child(node, 'cone')
    base, apex, radius_x, radius_z = span(cone)
    assert np.linalg.norm(radius_x) == pytest.approx(np.linalg.norm(radius_z))
    return apex, base, float(np.linalg.norm(radius_x))


@pytest.mark.parametrize('as_real', [False, True])
def test_range_cone_as_rviz_unit_test_expects(as_real):
    # range_display_test.cpp:55-68 (range 5, field of view 1.0471, limits 0..6) expects the
    # scale (5.77285, 5, 5.77285) (:105-107): 2 * range * tan(fov / 2) across, range long
    # (range_display.cpp:137-139).
    msg = range_msg(5.0, field_of_view=1.0471)
    node = serialized(range_to_element(to_real(msg, TYPES['range']) if as_real else msg,
                                       'r', (1, 1, 1, 0.5)))
    cone = child(node, 'cone')
    assert cone['scale'] == pytest.approx([5.77285, 5, 5.77285], rel=1e-5)
    # RViz2 puts the cone mesh (y from -0.5088 to 0.4912: rviz_cone.mesh) at x = range / 2 -
    # 0.008824 * range, turned by (0, 0, 0.707, 0.707) (range_display.cpp:159-169): apex at
    # x = 2.5 - 0.0441 - 0.4912 * 5 = 0.0000, base at 2.5 - 0.0441 + 0.5088 * 5 = 5.000.
    apex, base, radius = cone_of(node)
    np.testing.assert_allclose(apex, (0, 0, 0), atol=1e-3)
    np.testing.assert_allclose(base, (5, 0, 0), atol=1e-3)
    assert radius == pytest.approx(5.77285 / 2, rel=1e-5)
    # White, alpha 0.5, lit as rviz_rendering::Shape (range_display.cpp:58-66, 141-142).
    assert cone['material']['color'] == WHITE and cone['material']['opacity'] == 0.5
    assert cone['material']['transparent'] is True and cone['material']['depthWrite'] is False
    assert node['position'] == [0, 0, 0] and node['rotation'] == [0, 0, 0]


def test_range_of_the_rviz_publisher_is_a_right_angle_cone():
    apex, base, radius = cone_of(serialized(range_to_element(range_msg(), 'r', (1, 1, 1, 1))))
    # range_publisher.hpp:66-69: 3 m at a field of view of 90 degrees: 3 m radius.
    np.testing.assert_allclose(base - apex, (3, 0, 0), atol=1e-9)
    assert radius == pytest.approx(3.0)


@pytest.mark.parametrize('value, low, high, shown', [
    # range_display.cpp:145-157 (getDisplayedRange), REP 117's special values included.
    (3.0, 0.0, 6.0, 3.0),
    (6.0, 0.0, 6.0, 6.0),            # the limits count
    (0.2, 0.3, 6.0, 0.0),            # below min_range
    (7.0, 0.0, 6.0, 0.0),            # beyond max_range
    (math.inf, 0.0, 6.0, 0.0),       # +Inf: nothing detected
    (math.nan, 0.0, 6.0, 0.0),       # NaN: an invalid reading
    (-math.inf, 0.0, 6.0, 0.0),      # -Inf of a ranger with a span of ranges
    (-math.inf, 2.0, 2.0, 2.0),      # fixed-distance ranger: something within 2 m
    (math.inf, 2.0, 2.0, 0.0),
])
def test_displayed_range_follows_rviz(value, low, high, shown):
    msg = range_msg(value, low, high)
    assert displayed_range(msg) == shown
    node = serialized(range_to_element(msg, 'r', (1, 1, 1, 0.5)))
    if shown:
        assert child(node, 'cone')['scale'][1] == shown
    else:   # RViz2 scales the cone to 0: nothing shows (range_display.cpp:137-139)
        assert node['children'] == []


@pytest.mark.parametrize('fov, low, high', [
    (math.nan, 0.0, 6.0), (math.inf, 0.0, 6.0), (1.0, math.nan, 6.0), (1.0, 0.0, math.nan)])
def test_range_with_unusable_limits_is_refused(fov, low, high):
    with pytest.raises(ShapeError, match='NaN'):
        range_to_element(range_msg(3.0, low, high, fov), 'r', (1, 1, 1, 1))


# -- CameraInfo ----------------------------------------------------------------------------

#: The far corners of the RViz2 test camera at the default far clip 1: A, B, C, D are the
#: pixels (0, 0), (320, 0), (320, 240), (0, 240) (camera_info_display.cpp:295-314).
RVIZ_CORNERS = [(-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1)]


@pytest.mark.parametrize('as_real', [False, True])
def test_camera_info_frustum_edges_as_rviz_draws_them(as_real):
    msg = camera_info()
    node = serialized(camera_info_to_element(to_real(msg, TYPES['camera_info']) if as_real
                                             else msg, 'cam'))
    [line] = node['children']   # sides are off by default (:73-77, 319-323)
    assert line['key'] == 'cam/line' and line['segments'] is True
    # camera_info_display.cpp:341-358: eight edges, O to A, B, C, D and around A-B-C-D, in
    # the optical frame (z forward, x right, y down: pixel (0, 0) is up and to the left).
    o, (a, b, c, d) = (0, 0, 0), RVIZ_CORNERS
    assert line['points'] == [list(p) for p in (o, a, o, b, o, c, o, d, a, b, b, c, c, d, d, a)]
    # Edges: a 0.01 m billboard line (:283), edge colour (125, 125, 125), alpha 0.5 (:89-93).
    assert line['lineWidth'] == EDGE_WIDTH == 0.01 and line['worldUnits'] is True
    assert line['color'] == GREY and line['opacity'] == 0.5 and line['transparent'] is True


def test_camera_info_far_clip_and_side_polygons():
    node = serialized(camera_info_to_element(
        camera_info(), 'cam', FrustumStyle(far_clip=2.5, side_polygons=True, edges=False)))
    [sides] = node['children']
    # camera_info_display.cpp:311-314 scale the rays by the far clip; :335-338 add the
    # triangles (O, B, A), (O, C, B), (O, D, C), (O, A, D) in Color (85, 255, 255), alpha 0.5,
    # unlit, both sides, no depth writes (:233-246).
    a, b, c, d = (2.5 * np.array(corner) for corner in RVIZ_CORNERS)
    expected = np.array([(np.zeros(3), b, a), (np.zeros(3), c, b), (np.zeros(3), d, c),
                         (np.zeros(3), a, d)])
    np.testing.assert_allclose(trimesh_triangles(sides), expected, atol=1e-2)
    assert sides['color'] == CYAN and sides['opacity'] == 0.5
    assert sides['materialType'] == 'basic' and sides['material']['depthWrite'] is False


def test_camera_info_rays_take_roi_binning_and_tx_as_rviz():
    # camera_info_display.cpp:286-293: the ROI's size when set, divided by binning
    # (integer division); :250-259 subtracts P[3] and P[7] as they are.
    assert image_size(camera_info(roi=(160, 120))) == (160, 120)
    assert image_size(camera_info(binning=(2, 3))) == (160, 80)
    assert image_size(camera_info(321, 241, binning=(2, 2))) == (160, 120)
    p = list(RVIZ_P)
    p[3], p[7] = -16.0, 12.0
    corners = frustum_corners(camera_info(p=p, binning=(2, 2)), 1.0)
    np.testing.assert_allclose(corners[1], ((0 - 160 + 16) / 160, (0 - 120 - 12) / 120, 1))
    np.testing.assert_allclose(corners[3], ((160 - 160 + 16) / 160, (120 - 120 - 12) / 120, 1))


@pytest.mark.parametrize('msg, words', [
    # camera_info_display.cpp:268-274: RViz2's own status text.
    (camera_info(p=[0.0] * 12), 'Invalid intrinsic matrix'),
    (camera_info(p=[*RVIZ_P[:5], 0.0, *RVIZ_P[6:]]), 'Invalid intrinsic matrix'),
    (camera_info(p=[math.nan, *RVIZ_P[1:]]), 'finite'),
    (camera_info(p=RVIZ_P[:9]), '12 finite numbers'),
    (camera_info(width=0), 'image size 0 x 240'),
])
def test_camera_info_refused(msg, words):
    with pytest.raises(ShapeError, match=words):
        camera_info_to_element(msg, 'cam')


# -- the displays in a scene -----------------------------------------------------------------

@pytest.fixture
def app() -> Vuer:
    """Give a Vuer app whose server is never started: its shared scene is the record."""
    return Vuer(host='127.0.0.1', port=0)


class Host:
    """A started DisplayHost on ``app`` with fixed frame 'map', collecting warnings."""

    def __init__(self, app: Vuer, **values) -> None:
        self.warnings: list[tuple[str, str]] = []
        self.host = DisplayHost(app, settings_from_values({'frame_axes': 0.0, **values}),
                                warn=lambda key, text: self.warnings.append((key, text)))
        self.host.start()

    def send(self, kind, topic: str, message) -> None:
        self.host.show(kind, topic).on_message(message)

    def place(self, frame: str, translation: Sequence[float],
              rotation: Sequence[float] = (0.0, 0.0, 0.0, 1.0)) -> None:
        self.host.scene.on_transform('map', frame, translation, rotation)

    def warned(self, word: str) -> list[str]:
        return [text for _, text in self.warnings if word in text]


def test_the_five_types_are_found_by_auto_topics():
    kinds = {PointStampedDisplay, PolygonDisplay, GridCellsDisplay, RangeDisplay,
             CameraInfoDisplay}
    assert {kind.kind: kind.message_type for kind in kinds} == TYPES
    assert all(BY_MESSAGE_TYPE[kind.message_type] is kind for kind in kinds)
    # History where RViz2 keeps one: every message counts; the others draw the newest only.
    assert {kind.kind for kind in kinds if kind.newest_only} == {
        'polygon', 'grid_cells', 'camera_info'}


def test_options_default_to_rviz_properties():
    options = settings_from_values({}).options
    # point_stamped_display.cpp:78-92, polygon_display.cpp:57-62,
    # grid_cells_display.cpp:64-73, range_display.cpp:58-72, camera_info_display.cpp:58-93.
    assert {name: options[name] for name in (
        'point_color', 'point_alpha', 'point_radius', 'point_history_length',
        'polygon_color', 'polygon_alpha', 'grid_cells_color', 'grid_cells_alpha',
        'range_color', 'range_alpha', 'range_buffer_length', 'camera_info_far_clip',
        'camera_info_edges', 'camera_info_side_polygons', 'camera_info_color',
        'camera_info_edge_color', 'camera_info_alpha')} == {
        'point_color': '204; 41; 204', 'point_alpha': 1.0, 'point_radius': 0.2,
        'point_history_length': 1, 'polygon_color': '25; 255; 0', 'polygon_alpha': 1.0,
        'grid_cells_color': '25; 255; 0', 'grid_cells_alpha': 1.0,
        'range_color': '255; 255; 255', 'range_alpha': 0.5, 'range_buffer_length': 1,
        'camera_info_far_clip': 1.0, 'camera_info_edges': True,
        'camera_info_side_polygons': False, 'camera_info_color': '85; 255; 255',
        'camera_info_edge_color': '125; 125; 125', 'camera_info_alpha': 0.5}


def test_points_keep_rviz_history_in_their_frame(app):
    shown = Host(app, point_history_length=2)
    shown.place('point_frame', FIXTURE_POSITION, FIXTURE_ORIENTATION)
    # point_stamped_display_test.cpp:101-117: history 2, points at x = 0, 1, -1: the
    # spheres at (1, 0, 0) and (-1, 0, 0) stay.
    for x in (0.0, 1.0, -1.0):
        shown.send(PointStampedDisplay, '/point', point_stamped(x))
    spheres = [key for key in parents(app) if key.startswith('point:/point:')]
    assert sorted(spheres) == ['point:/point:0', 'point:/point:1']
    assert parents(app)['point:/point:0'] == '/point@point_frame'
    # The frame is at (0, 1, 0), turned 180 degrees about y: point x lands at -x.
    places = sorted(tuple(np.round(in_fixed_frame(app, key)[:3, 3], 9)) for key in spheres)
    assert places == [(-1.0, 1.0, 0.0), (1.0, 1.0, 0.0)]
    assert app.scene.get('point:/point:0')['material']['color'] == MAGENTA


def test_default_point_history_shows_the_newest_only(app):
    shown = Host(app)
    for x in (0.0, 3.0, -3.0):   # point_stamped_publisher.hpp:58-60, one timer tick
        shown.send(PointStampedDisplay, '/point', point_stamped(x, frame='map'))
    assert [k for k in parents(app) if k.startswith('point:')] == ['point:/point:0']
    assert app.scene.get('point:/point:0')['position'] == [-3.0, 0.0, 0.0]


def test_colour_options_and_a_malformed_one(app):
    shown = Host(app, point_color='#0000ff', point_alpha=0.25, range_color='30; 255; 255')
    shown.send(PointStampedDisplay, '/point', point_stamped(frame='map'))
    material = app.scene.get('point:/point:0')['material']
    assert material['color'] == '#0000ff' and material['opacity'] == 0.25
    shown.send(RangeDisplay, '/range', range_msg(frame='map'))
    assert app.scene.get('range:/range:0/cone')['material']['color'] == '#1effff'
    # A colour that does not parse stops the node at start, naming the parameter.
    with pytest.raises(ConfigError, match="camera_info_edge_color 'grey'"):
        settings_from_values({'camera_info_edge_color': 'grey'})


def test_bad_points_and_polygons_warn_and_keep_what_was_shown(app):
    shown = Host(app)
    shown.send(PointStampedDisplay, '/point', point_stamped(1.0, frame='map'))
    shown.send(PointStampedDisplay, '/point', point_stamped(math.nan, frame='map'))
    assert app.scene.get('point:/point:0')['position'] == [1.0, 0.0, 0.0]
    square = [(0, 0, 0), (1, 0, 0), (1, 1, 0)]
    shown.send(PolygonDisplay, '/polygon', polygon_stamped(square))
    shown.send(PolygonDisplay, '/polygon', polygon_stamped([(math.nan, 0, 0), (1, 0, 0)]))
    assert len(app.scene.get('polygon:/polygon/line')['points']) == 4
    assert shown.warned('/point: Message contained invalid floating point values')
    assert shown.warned('/polygon: Message contained invalid floating point values')


def test_polygon_and_grid_cells_show_the_newest_message(app):
    shown = Host(app)
    shown.place('grid_cells_frame', (0, 0, 0))
    shown.send(PolygonDisplay, '/polygon', polygon_stamped([(0, 0, 0), (1, 0, 0), (1, 1, 0)]))
    shown.send(PolygonDisplay, '/polygon', polygon_stamped([(0, 0, 0), (2, 0, 0)]))
    assert app.scene.get('polygon:/polygon/line')['points'] == [[0, 0, 0], [2, 0, 0], [0, 0, 0]]
    shown.send(GridCellsDisplay, '/cells', grid_cells())
    shown.send(GridCellsDisplay, '/cells', grid_cells(1.0, 1.0, [(1, 1, 0), (-1, -1, 0)]))
    assert len(trimesh_triangles(app.scene.get('grid_cells:/cells/tiles'))) == 4
    assert parents(app)['grid_cells:/cells'] == '/cells@grid_cells_frame'


def test_refused_grid_cells_clear_the_cells_as_rviz(app):
    shown = Host(app)
    # grid_cells_display_test.cpp:130-142: a zero-sized message after a good one leaves
    # no cells (RViz2 empties its cloud first, grid_cells_display.cpp:119-123).
    shown.send(GridCellsDisplay, '/cells', grid_cells(1.0, 1.0, [(1, 1, 0), (-1, -1, 0)],
                                                      frame='map'))
    assert 'grid_cells:/cells' in app.scene
    shown.send(GridCellsDisplay, '/cells', grid_cells(0.0, 1.0, frame='map'))
    assert 'grid_cells:/cells' not in app.scene
    assert shown.warned("/cells: One of the Cell's dimension is zero")


def test_range_cones_stay_where_the_sensor_was(app):
    shown = Host(app, range_buffer_length=3)
    shown.place('range_frame', (1, 0, 0))
    shown.send(RangeDisplay, '/range', range_msg(3.0))
    shown.place('range_frame', (0, 2, 0), (0, 0, math.sin(math.pi / 4), math.cos(math.pi / 4)))
    shown.send(RangeDisplay, '/range', range_msg(2.0))
    # RViz2 transforms each cone into the fixed frame once (range_display.cpp:126-135) and
    # keeps Buffer Length of them (:100-118): the first stays at (1, 0, 0) facing +x.
    first, second = in_fixed_frame(app, 'range:/range:0'), in_fixed_frame(app, 'range:/range:1')
    np.testing.assert_allclose(first[:3, 3], (1, 0, 0), atol=1e-12)
    np.testing.assert_allclose(first[:3, 0], (1, 0, 0), atol=1e-12)
    np.testing.assert_allclose(second[:3, 3], (0, 2, 0), atol=1e-12)
    np.testing.assert_allclose(second[:3, 0], (0, 1, 0), atol=1e-12)
    assert parents(app)['range:/range:0'] == '/range@map'
    # A reading RViz2 does not show empties its slot of the ring; the others stay.
    shown.send(RangeDisplay, '/range', range_msg(math.inf))
    assert app.scene.get('range:/range:2')['children'] == []
    assert 'range:/range:0/cone' in app.scene and 'range:/range:1/cone' in app.scene
    shown.send(RangeDisplay, '/range', range_msg(1.0))
    assert child(app.scene.get('range:/range:0'), 'cone')['scale'][1] == 1.0


def test_range_with_nan_field_of_view_warns_and_keeps_the_cone(app):
    shown = Host(app)
    shown.send(RangeDisplay, '/range', range_msg(frame='map'))
    shown.send(RangeDisplay, '/range', range_msg(frame='map', field_of_view=math.nan))
    assert child(app.scene.get('range:/range:0'), 'cone')['scale'][1] == 3.0
    assert shown.warned('/range: field_of_view, min_range or max_range is NaN')


def test_camera_info_hangs_in_its_frame_and_redraws_only_when_it_changes(app):
    shown = Host(app)
    shown.place('camera_info_frame', (0, 0, 1))
    shown.send(CameraInfoDisplay, '/image/camera_info', camera_info())
    key = 'camera_info:/image/camera_info'
    assert parents(app)[key] == '/image/camera_info@camera_info_frame'
    drawn = app.scene.get(key)
    # A camera sends the same CameraInfo with each image; RViz2 rebuilds its shapes only
    # when it changes (camera_info_display.cpp:135-137, 167-193).
    shown.send(CameraInfoDisplay, '/image/camera_info', camera_info())
    assert app.scene.get(key) is drawn
    shown.send(CameraInfoDisplay, '/image/camera_info', camera_info(roi=(160, 120)))
    assert app.scene.get(key) is not drawn
    # The ROI's 160 x 120 pixels end at the principal point: C = (0, 0, 1).
    points = app.scene.get(f'{key}/line')['points']
    assert (points[1], points[3], points[5]) == ([-1, -1, 1], [0, -1, 1], [0, 0, 1])


def test_invalid_camera_info_clears_the_frustum_as_rviz(app):
    shown = Host(app, camera_info_side_polygons=True, camera_info_far_clip=2.0)
    shown.send(CameraInfoDisplay, '/cam', camera_info(frame='map'))
    assert app.scene.get('camera_info:/cam/sides')['color'] == CYAN
    assert app.scene.get('camera_info:/cam/line')['points'][1] == [-2.0, -2.0, 2.0]
    # createCameraInfoShapes clears the shapes, then refuses P (:264-274).
    shown.send(CameraInfoDisplay, '/cam', camera_info(p=[0.0] * 12, frame='map'))
    assert 'camera_info:/cam' not in app.scene
    assert shown.warned('/cam: Invalid intrinsic matrix')
    shown.send(CameraInfoDisplay, '/cam', camera_info(frame='map'))
    assert 'camera_info:/cam/line' in app.scene


@pytest.mark.parametrize('kind, message', [
    (PointStampedDisplay, point_stamped(frame='base_link')),
    (PolygonDisplay, polygon_stamped([(0, 0, 0), (1, 0, 0)], frame='base_link')),
    (GridCellsDisplay, grid_cells(frame='base_link')),
    (RangeDisplay, range_msg(frame='base_link')),
    (CameraInfoDisplay, camera_info(frame='base_link')),
])
def test_messages_in_an_unknown_frame_wait_for_it(app, kind, message):
    shown = Host(app)
    shown.send(kind, '/topic', message)
    assert not [key for key in parents(app) if key.startswith(f'{kind.kind}:')]
    assert shown.warned('base_link')
    shown.place('base_link', (5, 0, 0))
    [key] = [key for key in parents(app) if key.startswith(f'{kind.kind}:')]
    assert in_fixed_frame(app, key)[0, 3] == pytest.approx(5.0 + (
        message.point.x if kind is PointStampedDisplay else 0.0))
