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
visualization_msgs/Marker to one scene element, drawn the way RViz2 draws it.

Each marker becomes a ``group`` placed at ``marker.pose`` (TEXT_VIEW_FACING: at its
position only) whose children carry the geometry in the marker's own ROS frame; the node
puts that group into the group of ``marker.header.frame_id``. Fields are read by attribute
only, so real messages and plain objects both work, and nothing here imports ROS.

Rejections raise MarkerError. Like RViz, NaN or infinity anywhere rejects the message and
leaves an earlier marker with the same (ns, id) as it was (``error.hide`` is False); so do
numbers beyond float32, which the Vuer wire cannot carry. Geometry derived from finite
input that leaves float32 (scale times points, points far apart) is refused too, so every
element built here is sendable as it is and the server does not check it again. The
other errors make RViz hide that marker (``error.hide`` is True). Problems RViz only warns
about (a zero scale, full transparency, an unnormalised quaternion...) do not stop the
marker: it is drawn as RViz draws it (flat, invisible, normalised) and
``marker_warnings`` gives the warning texts to log.

Checked against RViz2's source (ros2/rviz, jazzy; paths below are under
rviz_default_plugins/src/rviz_default_plugins/displays/marker/, or, marked rviz_rendering,
under rviz_rendering/src/rviz_rendering/). Matched: an alpha of 0.9998 or more
(unit_alpha_threshold) is opaque (rviz_rendering material_manager.cpp:105);
TRIANGLE_LIST blends by the per-vertex alphas when it has a colour per vertex, else by
``color.a``, and multiplies the two (markers/triangle_list_marker.cpp:210-227, 257-265).
Where this differs from RViz2, and why:

- ARROW_STRIP: RViz2's marker factory has no case for it ("Unknown marker type",
  markers/marker_factory.cpp:74-106). The message defines it, so it is drawn:
  point-to-point arrows between consecutive points, with ARROW's two-point scale rules.
- NaN or infinity in ``colors`` rejects the marker too; RViz2 checks pose, scale, color
  and points only (marker_common.cpp:195-201) and would draw undefined colours.
- POINTS: three.js points are squares, so ``scale.y``, RViz2's point height
  (markers/points_marker.cpp:108), is not used; and the client's points cannot be
  translucent (their material discards alpha below 1), so an alpha between 0 and 1 is
  drawn opaque, and 0 not at all.
- Per-point alphas of POINTS, CUBE_LIST, SPHERE_LIST and TRIANGLE_LIST
  (markers/points_marker.cpp:146-165) are averaged into one opacity: the client's meshes
  and clouds take RGB per vertex and one opacity. Lines keep an alpha per point.
- LINE_STRIP and LINE_LIST are translucent when any point is; RViz2 decides by the alpha
  of the last point added (rviz_rendering objects/billboard_line.cpp:185), an accident
  of its loop rather than a rule.
- TEXT_VIEW_FACING: ``scale.x`` sets the width of a space in RViz2
  (markers/text_view_facing_marker.cpp:87-89); the client's text has no such setting.
- MESH_RESOURCE with ``mesh_use_embedded_materials`` and a colour other than (0, 0, 0, 0):
  RViz2 keeps the mesh's materials and blends the colour over them at an alpha of at
  most 0.5 (markers/mesh_resource_marker.cpp:252-260); the client cannot add such a
  pass, so the colour replaces the materials' colours (textures stay, multiplied by it).
- TRIANGLE_LIST textures, ``texture_resource`` with ``uv_coordinates``
  (markers/triangle_list_marker.cpp:268-283), are not drawn: the triangles keep colours.
- An empty ``mesh_resource`` and an ARROW with more than two points are warned about;
  RViz2 draws nothing, and the pose arrow, silently (markers/mesh_resource_marker.cpp:
  107-108; markers/arrow_marker.cpp:108-112).
"""

import math
import os
from typing import AbstractSet, Callable, Iterable, NamedTuple, Optional

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.transforms import quaternion_norm_ok, quaternion_to_euler
from vuer_ros.schemas import (
    Billboard, Box, Cylinder, Dae, Element, Glb, group, Obj, Ply, PointCloud, Sphere, Stl,
    Text, TriMesh)
from vuer_ros.validation import FLOAT32_MAX

# visualization_msgs/Marker type and action values, kept here only.
ARROW = 0
CUBE = 1
SPHERE = 2
CYLINDER = 3
LINE_STRIP = 4
LINE_LIST = 5
CUBE_LIST = 6
SPHERE_LIST = 7
POINTS = 8
TEXT_VIEW_FACING = 9
MESH_RESOURCE = 10
TRIANGLE_LIST = 11
ARROW_STRIP = 12

ADD = 0
MODIFY = 0
DELETE = 2
DELETEALL = 3

TYPE_NAMES = {
    ARROW: 'ARROW', CUBE: 'CUBE', SPHERE: 'SPHERE', CYLINDER: 'CYLINDER',
    LINE_STRIP: 'LINE_STRIP', LINE_LIST: 'LINE_LIST', CUBE_LIST: 'CUBE_LIST',
    SPHERE_LIST: 'SPHERE_LIST', POINTS: 'POINTS', TEXT_VIEW_FACING: 'TEXT_VIEW_FACING',
    MESH_RESOURCE: 'MESH_RESOURCE', TRIANGLE_LIST: 'TRIANGLE_LIST', ARROW_STRIP: 'ARROW_STRIP',
}
#: Types that colour each point with ``colors[i]`` when there is one colour per point.
_POINT_COLOR_TYPES = frozenset({LINE_STRIP, LINE_LIST, CUBE_LIST, SPHERE_LIST, POINTS,
                               TRIANGLE_LIST})

#: Model element by file extension of ``mesh_resource``.
MESH_ELEMENTS = {'.stl': Stl, '.dae': Dae, '.glb': Glb, '.gltf': Glb, '.obj': Obj, '.ply': Ply}
#: RViz keeps markers whose lifetime is at most this long (ns) forever.
MIN_LIFETIME_NS = 100_000
#: RViz draws an alpha at least this high as opaque (rviz_rendering unit_alpha_threshold).
OPAQUE_ALPHA = 0.9998

#: The client's point size is not in metres: a point ``size`` wide covers size *
#: tan(fov / 2) metres (three.js size attenuation). This makes POINTS ``scale.x`` metres
#: wide for the 60 degree vertical field of view of the camera the bridge's scene sets.
CAMERA_FOV_DEGREES = 60.0
POINT_SIZE_PER_METRE = 1.0 / math.tan(math.radians(CAMERA_FOV_DEGREES) / 2)

_NO_POINTS = np.zeros((0, 3))
_CYLINDER_UPRIGHT = [math.pi / 2, 0.0, 0.0]  # three's +Y axis onto the marker's +Z


class MarkerError(ValueError):
    """
    A marker RViz would not draw; the message names it and says what is wrong.

    ``hide`` tells the node what RViz does to an earlier marker with the same (ns, id):
    True, hide it (remove its element); False, keep it (the whole message was ignored).
    """

    def __init__(self, marker: object, problem: str, *, hide: bool = True) -> None:
        self.ns = getattr(marker, 'ns', '')
        self.id = getattr(marker, 'id', 0)
        self.hide = hide
        kind = TYPE_NAMES.get(getattr(marker, 'type', None), 'marker')
        super().__init__(f'{kind} marker (ns {self.ns!r}, id {self.id}): {problem}')


class _Input(NamedTuple):
    """A marker's fields read once and checked, handed to the per-type builders."""

    marker: object
    key: str
    scale: tuple[float, float, float]
    rgba: tuple[float, float, float, float]
    points: np.ndarray          # N x 3 float64, marker-local
    colors: Optional[np.ndarray]  # M x 4 float64 or None when empty
    mesh_url: Callable[[str], Optional[str]]
    font_url: Optional[str]
    charset: Optional[AbstractSet[int]]

    def point_colors(self) -> Optional[np.ndarray]:
        """Per-point colours, only when there is exactly one per point (RViz's rule)."""
        if self.colors is not None and len(self.colors) == len(self.points):
            return self.colors
        return None

    def fail(self, problem: str) -> MarkerError:
        return MarkerError(self.marker, problem)


def marker_key(topic: str, ns: str, marker_id: int) -> str:
    """
    Scene key of marker (ns, id) received on ``topic``.

    ROS topic names contain no ':' and the id is an integer, so the key is unambiguous
    whatever the namespace holds.
    """
    return f'marker:{topic}:{ns}:{marker_id}'


def duplicate_error(markers: Iterable[object]) -> Optional[str]:
    """
    Return RViz's error text when a MarkerArray holds one (ns, id) twice, else None.

    RViz still shows every marker of such an array (later ones replace earlier ones).
    """
    seen = set()
    for marker in markers:
        ident = (marker.ns, marker.id)
        if ident in seen:
            return ('Multiple Markers in the same MarkerArray message had the same ns and id: '
                    f'({marker.ns}, {marker.id})')
        seen.add(ident)
    return None


def _read_points(marker: object) -> np.ndarray:
    """Points as an N x 3 array: taken as they are when decoded from CDR as one."""
    points = marker.points
    if isinstance(points, np.ndarray):
        return points if len(points) else _NO_POINTS
    if not len(points):
        return _NO_POINTS
    return np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64)


def _opaque(alpha: float) -> float:
    """Alpha as RViz renders it: opaque from OPAQUE_ALPHA up."""
    return 1.0 if alpha >= OPAQUE_ALPHA else alpha


def _read_colors(marker: object) -> Optional[np.ndarray]:
    colors = marker.colors
    if not len(colors):
        return None
    if isinstance(colors, np.ndarray):   # decoded from CDR: a view on the message, copied
        array = colors.astype(np.float64)
    else:
        array = np.array([(c.r, c.g, c.b, c.a) for c in colors], dtype=np.float64)
    array[array[:, 3] >= OPAQUE_ALPHA, 3] = 1.0
    return array


def _sendable(values: Iterable[float]) -> bool:
    """Tell whether every number is finite and within float32 (NaN compares false)."""
    return all(-FLOAT32_MAX <= value <= FLOAT32_MAX for value in values)


def _sendable_array(values: np.ndarray) -> bool:
    return not values.size or bool(np.abs(values).max() <= FLOAT32_MAX)


def marker_to_element(marker: object, key: str, *,
                      mesh_url: Callable[[str], Optional[str]],
                      font_url: Optional[str] = None,
                      charset: Optional[AbstractSet[int]] = None) -> Element:
    """
    Build the scene element of an ADD/MODIFY marker, keyed ``key`` (children ``key/...``).

    ``mesh_url`` maps a MESH_RESOURCE ``mesh_resource`` (package://, file://, http(s)://,
    embedded://) to a URL the browser can load, or None when it cannot be served.
    ``font_url`` is the font TEXT_VIEW_FACING uses (None: the client's default), and
    ``charset`` the code points it can draw: others become '?', since one character the
    font lacks makes the client fetch a fallback font, and offline the text vanishes.
    Raises MarkerError for a marker RViz would not draw.
    """
    pose, s, c = marker.pose, marker.scale, marker.color
    p, o = pose.position, pose.orientation
    position = [p.x, p.y, p.z]
    quaternion = (o.x, o.y, o.z, o.w)
    scale = (s.x, s.y, s.z)
    rgba = (c.r, c.g, c.b, c.a)
    points = _read_points(marker)
    colors = _read_colors(marker)
    if not (_sendable((*position, *quaternion, *scale, *rgba)) and _sendable_array(points)
            and (colors is None or _sendable_array(colors))):
        raise MarkerError(marker, 'contains NaN or infinite values, or values beyond float32 '
                                  '(pose, scale, color, points or colors)', hide=False)
    build = _BUILDERS.get(marker.type)
    if build is None:
        raise MarkerError(marker, f'unknown marker type {marker.type}')
    rgba = (*rgba[:3], _opaque(rgba[3]))
    item = _Input(marker, key, scale, rgba, points, colors, mesh_url, font_url, charset)
    if marker.type == TEXT_VIEW_FACING:  # RViz uses only the position of its pose
        return group(children=build(item), key=key, position=position)
    # children= (not positional): a re-sent marker replaces its old geometry, even with none.
    return group(children=build(item), key=key, position=position,
                 rotation=quaternion_to_euler(quaternion))


# -- per-type builders: each returns the children of the marker's group ------------------

def _arrow(item: _Input) -> list:
    count = len(item.points)
    sx, sy, sz = item.scale
    mat = geometry.material(item.rgba)
    if count == 1:
        raise item.fail('only one point given; a point-to-point arrow needs two')
    if count == 2:
        arrow = geometry.point_arrow(item.key, item.points[0], item.points[1], sx, sy, sz, mat)
    else:
        arrow = geometry.pose_arrow(item.key, sx, sy, sz, mat)
    return _arrows_within_float32(item, arrow)


def _arrow_strip(item: _Input) -> list:
    points = item.points
    if len(points) < 2:
        raise item.fail(f'{len(points)} point(s); an arrow strip needs at least two')
    sx, sy, sz = item.scale
    mat = geometry.material(item.rgba)
    children = []
    for index in range(len(points) - 1):
        children += geometry.point_arrow(f'{item.key}/{index}', points[index],
                                         points[index + 1], sx, sy, sz, mat)
    return _arrows_within_float32(item, children)


def _arrows_within_float32(item: _Input, children: list) -> list:
    """
    Return the arrows' shafts and heads, unless their size or placement left float32.

    The head is twice the shaft's width, and points on opposite edges of float32 are
    further apart than float32 holds, so finite input can still overflow the wire.
    """
    for child in children:
        if not _sendable((*child.props['position'], *child.props['scale'])):
            raise item.fail('its arrow is longer, wider or further away than float32 holds')
    return children


def _cube(item: _Input) -> list:
    return [Box(key=f'{item.key}/box', args=list(item.scale),
                material=geometry.material(item.rgba))]


def _sphere(item: _Input) -> list:
    return [Sphere(key=f'{item.key}/sphere', args=[0.5, geometry.SEGMENTS, geometry.SEGMENTS // 2],
                   scale=list(item.scale), material=geometry.material(item.rgba))]


def _cylinder(item: _Input) -> list:
    sx, sy, sz = item.scale
    # Upright three cylinder: local (x, y, z) become marker (x, z, -y) after the rotation.
    return [Cylinder(key=f'{item.key}/cylinder', args=[0.5, 0.5, 1.0, geometry.SEGMENTS],
                     rotation=_CYLINDER_UPRIGHT, scale=[sx, sz, sy],
                     material=geometry.material(item.rgba))]


def _lines(item: _Input) -> list:
    segments = item.marker.type == LINE_LIST
    count = len(item.points)
    if segments and count % 2:
        raise item.fail(f'odd number of points ({count}); a line list needs pairs')
    if count < 2:
        return []
    return [geometry.line(item.key, item.points, item.scale[0], item.rgba,
                          item.point_colors(), segments=segments)]


def _opacity_and_colors(item: _Input, colors: Optional[np.ndarray]) -> tuple[float, dict]:
    """
    Element opacity and colour props of a mesh or cloud coloured per point or uniformly.

    The client's TriMesh and PointCloud take RGB per vertex and one opacity, so per-point
    alphas are averaged (exact in the usual case of one alpha for all).
    """
    if colors is None:
        return float(item.rgba[3]), {'color': geometry.hex_color(item.rgba)}
    return float(colors[:, 3].mean()), {'colors': geometry.rgb_bytes(colors)}


def _centered(item: _Input, vertices: np.ndarray) -> tuple[np.ndarray, list[float]]:
    try:
        return geometry.centered(vertices)
    except ValueError as error:
        raise item.fail(str(error)) from None


def _tri_mesh(item: _Input, vertices: np.ndarray, faces: np.ndarray, opacity: float,
              color_props: dict, material_type: str) -> list:
    local, center = _centered(item, vertices)
    props = dict(color_props, materialType=material_type, opacity=opacity)
    if opacity < 1.0:
        # The client's TriMesh material has alphaTest 1, which discards translucent pixels.
        props['material'] = {'alphaTest': 0, 'transparent': True, 'depthWrite': False}
    return [TriMesh(key=f'{item.key}/mesh', vertices=local, faces=faces, position=center,
                    **props)]


def _shape_list(item: _Input) -> list:
    if not len(item.points):
        return []
    if item.marker.type == CUBE_LIST:
        template, template_faces = geometry.CUBE_VERTICES, geometry.CUBE_FACES
    else:
        template, template_faces = geometry.SPHERE_VERTICES, geometry.SPHERE_FACES
    vertices, faces = geometry.instances(template, template_faces, item.points, item.scale)
    colors = item.point_colors()
    if colors is not None:
        colors = np.repeat(colors, len(template), axis=0)
    opacity, color_props = _opacity_and_colors(item, colors)
    return _tri_mesh(item, vertices, faces, opacity, color_props, 'standard')


def _triangle_list(item: _Input) -> list:
    points = item.points
    count = len(points)
    if count == 0 or count % 3:
        raise item.fail(f'{count} points; a triangle list needs a positive multiple of 3')
    colors, translucent = item.colors, item.rgba[3] < 1.0
    if colors is not None and len(colors) == count:
        translucent = bool((colors[:, 3] < 1.0).any())   # per vertex: their alphas decide
    elif colors is not None and len(colors) * 3 == count:
        colors = np.repeat(colors, 3, axis=0)            # per face: color.a decides
    else:
        colors = None                                    # any other count: color for all
    opacity, color_props = _opacity_and_colors(item, colors)
    if colors is not None:
        # RViz multiplies each vertex's alpha by color.a, and blends only when translucent.
        opacity = opacity * item.rgba[3] if translucent else 1.0
    faces = np.arange(count, dtype=np.uint32).reshape(-1, 3)
    # RViz lights uniformly coloured triangles and leaves per-vertex coloured ones unlit.
    material_type = 'standard' if colors is None else 'basic'
    return _tri_mesh(item, points * np.asarray(item.scale), faces, opacity, color_props,
                     material_type)


def _points(item: _Input) -> list:
    if not len(item.points):
        return []
    opacity, color_props = _opacity_and_colors(item, item.point_colors())
    if opacity <= 0.0:
        return []  # fully transparent in RViz; the client's points cannot be translucent
    local, center = _centered(item, item.points)
    size = float(item.scale[0]) * POINT_SIZE_PER_METRE
    if not _sendable((size,)):
        raise item.fail(f'scale.x {item.scale[0]:g} makes points wider than float32 holds')
    # three.js points are squares: scale.x wide; RViz's separate height (scale.y) is lost.
    return [PointCloud(key=f'{item.key}/points', vertices=local, position=center,
                       size=size, **color_props)]


def _text(item: _Input) -> list:
    props = {'fontSize': float(item.scale[2]), 'color': geometry.hex_color(item.rgba),
             'anchorX': 'center', 'anchorY': 'middle'}
    if item.rgba[3] < 1.0:
        props['fillOpacity'] = float(item.rgba[3])
    if item.font_url:
        props['font'] = item.font_url
    text = str(item.marker.text)
    if item.charset is not None:
        text = ''.join(c if c == '\n' or ord(c) in item.charset else '?' for c in text)
    text = Text(text, key=f'{item.key}/text', **props)
    return [Billboard(text, key=f'{item.key}/billboard')]


def _mesh_extension(marker: object) -> str:
    extension = os.path.splitext(marker.mesh_resource.split('?', 1)[0])[1].lower()
    if extension or not marker.mesh_resource.startswith('embedded://'):
        return extension
    mesh_file = getattr(marker, 'mesh_file', None)
    return os.path.splitext(getattr(mesh_file, 'filename', '') or '')[1].lower()


def _mesh(item: _Input) -> list:
    marker = item.marker
    resource = marker.mesh_resource
    if not resource:
        raise item.fail('mesh_resource is empty')
    element_class = MESH_ELEMENTS.get(_mesh_extension(marker))
    if element_class is None:
        raise item.fail(f'cannot show mesh {resource!r}: supported file types are '
                        f'{", ".join(sorted(MESH_ELEMENTS))}')
    url = item.mesh_url(resource)
    if url is None:
        raise item.fail(f'could not load mesh resource {resource!r}')
    props = {'src': url, 'scale': list(item.scale)}
    if not (marker.mesh_use_embedded_materials and not any(item.rgba)):
        props.update(color=geometry.hex_color(item.rgba), opacity=float(item.rgba[3]))
    return [element_class(key=f'{item.key}/mesh', **props)]


_BUILDERS: dict[int, Callable[[_Input], list]] = {
    ARROW: _arrow, CUBE: _cube, SPHERE: _sphere, CYLINDER: _cylinder,
    LINE_STRIP: _lines, LINE_LIST: _lines, CUBE_LIST: _shape_list, SPHERE_LIST: _shape_list,
    POINTS: _points, TEXT_VIEW_FACING: _text, MESH_RESOURCE: _mesh,
    TRIANGLE_LIST: _triangle_list, ARROW_STRIP: _arrow_strip,
}


def _any_alpha(colors: object) -> bool:
    """Tell whether any colour (ColorRGBA objects, or rows of a decoded array) is visible."""
    if isinstance(colors, np.ndarray):
        return bool(colors[:, 3].any())
    return any(color.a for color in colors)


def marker_warnings(marker: object) -> list[str]:
    """
    List RViz's warnings for a marker that is still drawn (zero scale, invisible colour...).

    Call it for markers marker_to_element accepted; it reads only counts and scalars.
    """
    warnings = []
    o = marker.pose.orientation
    quaternion = (o.x, o.y, o.z, o.w)
    if not any(quaternion):
        warnings.append('uninitialized quaternion (0, 0, 0, 0), assuming identity')
    elif not quaternion_norm_ok(quaternion):
        warnings.append('unnormalized quaternion, drawn normalised')
    kind = marker.type
    sx, sy, sz = marker.scale.x, marker.scale.y, marker.scale.z
    points, colors = len(marker.points), len(marker.colors)
    if kind in (LINE_STRIP, LINE_LIST):
        zero = sx == 0.0 and 'line width (scale.x) is 0'
    elif kind == POINTS:
        zero = (sx == 0.0 or sy == 0.0) and 'point width or height (scale.x, scale.y) is 0'
    elif kind == TEXT_VIEW_FACING:
        zero = sz == 0.0 and 'text height (scale.z) is 0'
    elif (kind == ARROW and points == 2) or kind == ARROW_STRIP:
        zero = sx + sy == 0.0 and 'scale of 0 in both x and y'
    else:
        zero = 0.0 in (sx, sy, sz) and 'scale of 0 in one of x/y/z'
    if zero:
        warnings.append(zero)
    per_point = kind in _POINT_COLOR_TYPES and colors == points > 0
    if kind in _POINT_COLOR_TYPES and colors and not per_point and not (
            kind == TRIANGLE_LIST and colors * 3 == points):
        warnings.append(f'{colors} colors for {points} points: using color for all points')
    if per_point and not _any_alpha(marker.colors):
        warnings.append('all points have a zero alpha value')
    elif not per_point and marker.color.a == 0.0 and not (
            kind == MESH_RESOURCE and marker.mesh_use_embedded_materials):
        warnings.append('marker is fully transparent (color.a is 0)')
    if kind == ARROW and points > 2:
        warnings.append(f'{points} points: an arrow uses 0 or 2, drawn from its pose')
    if kind == TEXT_VIEW_FACING and not marker.text.strip():
        warnings.append('text is empty or only whitespace')
    return warnings
