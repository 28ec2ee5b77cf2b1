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
Scene elements of the Vuer browser client, built in Python and sent as msgpack maps.

Constructors follow the reference ``vuer.schemas`` style, so code written for Vuer keeps
working: ``Box(key='box', args=[1, 1, 1], position=[0, 0, 0], material={'color': 'red'})``.
Tags, default props and binary layouts match ``vuer`` 0.1.6; the deliberate differences
are listed in ``DIFFERENCES_FROM_REFERENCE``. Nothing here imports ROS.

Props are turned into wire form (plain lists and numbers, packed ``bytes``) once, in the
constructor, because ``serialize()`` runs for every element on every send.
"""

from itertools import count
import os
from typing import Any, Callable, ClassVar, Iterable, Optional

import numpy as np

_auto_keys = count()

#: Types msgpack packs as they are.
_PLAIN_TYPES = frozenset({str, bytes, bool, int, float, type(None)})


def _to_wire(value: Any) -> Any:
    """Turn numpy values, tuples, paths and elements into what msgpack packs natively."""
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, (list, tuple)):
        # Lists of plain numbers, the usual case, are copied without a call per item.
        copied = list(value)
        for item in copied:
            if type(item) not in _PLAIN_TYPES:
                return [_to_wire(item) for item in copied]
        return copied
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, dict):
        return {name: _to_wire(item) for name, item in value.items()}
    if isinstance(value, Element):
        return value.serialize()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


class Element:
    """One node of the scene graph: a tag, a unique key, props and children."""

    tag: ClassVar[str] = 'group'
    #: Props every instance starts with (the reference package's constructor defaults).
    defaults: ClassVar[dict[str, Any]] = {}
    #: Key used when none is given; None: a fresh ``<tag>-<n>`` key per instance.
    default_key: ClassVar[Optional[str]] = None
    #: Mesh primitives need ``material={'color': ...}`` to show a colour in the client;
    #: for those, a top-level ``color=`` is moved into the material.
    color_in_material: ClassVar[bool] = False

    def __init__(self, *children: Any, key: Optional[str] = None, **props: Any) -> None:
        if key is None:
            key = self.default_key or f'{self.tag}-{next(_auto_keys)}'
        self.key = str(key)
        self.children: list = list(children)
        #: ``children=`` given: these are all the children, so even [] is sent and clears
        #: what the client has (a marker whose geometry became empty).
        self.replaces_children = 'children' in props
        if self.replaces_children:
            self.children.extend(_as_list(props.pop('children')))
        props = {**self.defaults, **props}
        if self.color_in_material and 'color' in props:
            material = dict(props.get('material') or {})
            material.setdefault('color', props.pop('color'))
            props['material'] = material
        #: Props in wire form; values set here later must be wire form too (plain values).
        self.props: dict[str, Any] = {name: _to_wire(value) for name, value in props.items()}

    def serialize(self) -> dict:
        """
        Return the wire form: a map of plain values, binary layouts as ``bytes``.

        ``children`` is left out when there are none, as the reference does, unless they
        were given as ``children=``: the client merges an upsert into the node it has,
        and an empty list would wipe the nodes attached to it since (``to=key``).
        """
        node = {'tag': self.tag, 'key': self.key, **self.props}
        if self.children or self.replaces_children:
            node['children'] = [
                child.serialize() if isinstance(child, Element) else child
                for child in self.children]
        return node

    def __repr__(self) -> str:
        return f'{type(self).__name__}(key={self.key!r})'


def _as_list(children: Any) -> list:
    """Children must travel as a list: the client crashes on a bare string."""
    if children is None:
        return []
    if isinstance(children, (str, bytes, dict, Element)):
        return [children]
    return list(children)


def serialize(element: 'Element | dict') -> dict:
    """Wire form of an element, or of a map already in wire form."""
    return element.serialize() if isinstance(element, Element) else element


def serialize_all(elements: 'Element | dict | Iterable') -> list[dict]:
    """Wire form of one element or of several."""
    if isinstance(elements, (Element, dict)):
        return [serialize(elements)]
    return [serialize(element) for element in elements]


# -- binary layouts ---------------------------------------------------------------------

def _packed(values: Any, dtype: str) -> bytes:
    """Flattened little-endian bytes, read by the client as a typed array of ``dtype``."""
    if isinstance(values, (bytes, bytearray, memoryview)):
        return bytes(values)
    return np.asarray(values).astype(dtype, copy=False).tobytes()


def _rgb_bytes(colors: Any) -> bytes:
    """Per-vertex colours as uint8 RGB bytes; floats are 0..1, RGBA loses its alpha."""
    if isinstance(colors, (bytes, bytearray, memoryview)):
        return bytes(colors)
    rgb = np.asarray(colors)
    if rgb.ndim >= 2 and rgb.shape[-1] == 4:
        rgb = rgb[..., :3]
    if rgb.dtype != np.uint8:
        # Scaling in the array's own float type and truncating gives the reference's bytes.
        rgb = np.clip(rgb, 0, 1) * 255 if rgb.dtype.kind == 'f' else np.clip(rgb, 0, 255)
    return rgb.astype(np.uint8).tobytes()


def _f16(values: Any) -> bytes:
    return _packed(values, '<f2')


def _u32(values: Any) -> bytes:
    return _packed(values, '<u4')


# -- containers -------------------------------------------------------------------------

class group(Element):  # noqa: N801 (the client's lower-case three.js tag)
    """A plain three.js group: moves, rotates and scales its children together."""

    tag = 'group'


class Group(Element):
    """The client's VuerGroup: a group that also shows in the scene-tree panel."""

    tag = 'VuerGroup'


class mesh(Element):  # noqa: N801 (the client's lower-case three.js tag)
    """A raw three.js mesh; its children give the geometry and material."""

    tag = 'mesh'


class Pivot(Element):
    """A group the client lets the user rotate about its origin."""

    tag = 'Pivot'


class Movable(Element):
    """Children the user can grab and drag (mouse, hands or controllers)."""

    tag = 'Movable'


class Billboard(Element):
    """Children that the client keeps turned towards the camera."""

    tag = 'Billboard'
    defaults = {'follow': True, 'lockX': False, 'lockY': False, 'lockZ': False}


# -- mesh primitives (three.js geometries; ``args`` are the geometry's parameters) -------

class _Primitive(Element):
    """A three.js geometry drawn with a material; colour goes through ``material``."""

    color_in_material = True


class Box(_Primitive):
    """A box; ``args=[width, height, depth]`` along x, y, z."""

    tag = 'Box'


class Sphere(_Primitive):
    """A sphere; ``args=[radius, widthSegments, heightSegments]``."""

    tag = 'Sphere'


class Cylinder(_Primitive):
    """A cylinder along local +Y; ``args=[radiusTop, radiusBottom, height, segments]``."""

    tag = 'Cylinder'


class Cone(_Primitive):
    """A cone along local +Y; ``args=[radius, height, radialSegments]``."""

    tag = 'Cone'


class Capsule(_Primitive):
    """A capsule along local +Y; ``args=[radius, length, capSegments, radialSegments]``."""

    tag = 'Capsule'


class Plane(_Primitive):
    """A flat rectangle in the local XY plane; ``args=[width, height]``."""

    tag = 'Plane'


class Circle(_Primitive):
    """A flat disc in the local XY plane; ``args=[radius, segments]``."""

    tag = 'Circle'


class Torus(_Primitive):
    """A torus; ``args=[radius, tube, radialSegments, tubularSegments]``."""

    tag = 'Torus'


# -- lines, points and meshes given by data --------------------------------------------

class Line(Element):
    """A polyline through ``points`` ([[x, y, z], ...]), ``color`` and ``lineWidth`` in px."""

    tag = 'Line'


class Arrow(Element):
    """One arrow along a direction, with its own ``color``."""

    tag = 'Arrow'


class CoordsMarker(Element):
    """Red, green and blue axes showing a frame's position and orientation."""

    tag = 'CoordsMarker'


class _Packed(Element):
    """An element whose array props travel as packed bytes, converted once, here."""

    #: prop name -> function giving its bytes
    layouts: ClassVar[dict[str, Callable[[Any], bytes]]] = {}

    def __init__(self, *children: Any, key: Optional[str] = None, **props: Any) -> None:
        for name, pack in self.layouts.items():
            if props.get(name) is not None:
                props[name] = pack(props[name])
        super().__init__(*children, key=key, **props)


class TriMesh(_Packed):
    """
    A triangle mesh sent as binary arrays.

    ``vertices`` (N x 3) travel as float16, ``faces`` (M x 3 vertex indices) as uint32,
    optional per-vertex ``colors`` as uint8 RGB (floats in 0..1 are scaled by 255) and
    ``uv`` (N x 2) as float16: the layouts the client decodes. Packed ``bytes`` are
    taken as they are.
    """

    tag = 'TriMesh'
    layouts = {'vertices': _f16, 'faces': _u32, 'colors': _rgb_bytes, 'uv': _f16}


class PointCloud(_Packed):
    """Points sent as binary arrays: ``vertices`` float16, ``colors`` uint8 RGB, ``size``."""

    tag = 'PointCloud'
    layouts = {'vertices': _f16, 'colors': _rgb_bytes}


class Text(Element):
    """A text label: the string is its child, ``Text('hello', fontSize=0.1)``."""

    tag = 'Text'


# -- models loaded by the client (``src`` URL, or the file given inline) -----------------

class Glb(Element):
    """A glTF binary model from ``src`` (or ``buff`` bytes)."""

    tag = 'Glb'


class Obj(Element):
    """A Wavefront OBJ model from ``src`` or ``text``, with an optional ``mtl``."""

    tag = 'Obj'


class Stl(Element):
    """An STL model from ``src`` or ``buff``; takes a top-level ``color``."""

    tag = 'Stl'


class Dae(Element):
    """A COLLADA model from ``src`` or ``text``."""

    tag = 'Dae'


class Ply(Element):
    """A PLY mesh or point cloud from ``src`` or ``buff``."""

    tag = 'Ply'


class Urdf(Element):
    """A robot from a URDF ``src`` or ``text``, posed by ``jointValues`` {name: value}."""

    tag = 'Urdf'


# -- images (PNG or JPEG bytes, or a URL; the client decodes them with createImageBitmap) -

class Image(Element):
    """
    An image on a plane fixed in the scene: the local XY plane, facing +Z, top at +Y.

    The picture is ``rgb`` (the reference's ``src``, renamed as its ``__post_init__``
    does): PNG or JPEG bytes, or a URL. ``height`` in metres, ``aspect`` width / height
    (the client takes the picture's own once it is decoded), ``opacity``, ``side``
    (2: both), ``interpolate`` (False: nearest texels, as a map's cells are drawn).
    """

    tag = 'Image'

    def __init__(self, *children: Any, key: Optional[str] = None, **props: Any) -> None:
        if 'src' in props:
            props['rgb'] = props.pop('src')
        super().__init__(*children, key=key, **props)


class ImageBackground(Element):
    """
    An image on a plane that follows the viewer's camera: the background, or a head-up panel.

    ``src`` is PNG or JPEG bytes or a URL. Without ``height`` and ``aspect`` it fills the
    view at ``distanceToCamera`` (the client's default 10 m); with them it is a panel of that
    size, offset by ``position`` in the camera's frame. ``material`` props are passed to its
    three.js material (``depthTest``, ``depthWrite``). The client adds a control panel
    entry per key.
    """

    tag = 'ImageBackground'


# -- lights and helpers -----------------------------------------------------------------

class AmbientLight(Element):
    """Uniform light from every direction, without shadows."""

    tag = 'AmbientLight'


class DirectionalLight(Element):
    """Parallel light (the sun) shining from ``position`` towards the origin."""

    tag = 'DirectionalLight'


class PointLight(Element):
    """A light bulb at ``position``."""

    tag = 'PointLight'


class HemisphereLight(Element):
    """Sky light from above and ground light from below (``skyColor``, ``groundColor``)."""

    tag = 'HemisphereLight'


class HemisphereLightStage(Element):
    """The client's default lighting: a hemisphere light plus a shadow-casting sun."""

    tag = 'HemisphereLightStage'


class Grid(Element):
    """The ground grid in the three.js XZ plane."""

    tag = 'Grid'


# -- background elements (cameras and input devices) ------------------------------------

class SceneCamera(Element):
    """The client's viewing camera (``position``, ``fov``, ``near``, ``far``)."""

    tag = 'SceneCamera'


class SceneCameraControl(Element):
    """Mouse and keyboard navigation of the scene camera."""

    tag = 'SceneCameraControl'


class Gamepad(Element):
    """Streams the state of gamepad ``index`` back to the server."""

    tag = 'Gamepad'


class Hands(Element):
    """Streams WebXR hand poses back as HAND_MOVE events when ``stream`` is true."""

    tag = 'Hands'


class MotionControllers(Element):
    """Streams WebXR controller poses and buttons back as CONTROLLER_MOVE events."""

    tag = 'MotionControllers'
    default_key = 'motionControllers'
    defaults = {'eventTypes': ['trigger', 'squeeze'], 'stream': True, 'left': None,
                'right': None}


class Head(Element):
    """
    Streams the headset's pose in XR as HEAD_MOVE events (``{matrix[16]}``), ``fps`` a second.

    The client sends only in an immersive session, with ``ts`` in milliseconds; its
    defaults are ``stream=True``, ``fps=30`` (as the reference's, which sends neither).
    """

    tag = 'Head'
    default_key = 'head_tracking'


class CameraPreviewThumbs(Element):
    """Thumbnails of the scene's camera views, drawn over the canvas."""

    tag = 'CameraPreviewThumbs'


class CameraPreviewOverlay(Element):
    """The frame drawn over the canvas while previewing a camera view."""

    tag = 'CameraPreviewOverlay'


# -- scenes -----------------------------------------------------------------------------

#: Scene options the reference sends only when they are given.
_SCENE_OPTIONS = ('background', 'toneMapping', 'toneMappingExposure', 'frameloop',
                  'camPosition', 'camRotation')
#: Element lists of a Scene besides ``children``: background, raw three.js and HTML.
SCENE_CHILD_LISTS = ('bgChildren', 'rawChildren', 'htmlChildren')


class Scene(Element):
    """
    The whole scene, sent with SET: ``children`` plus background elements.

    ``up`` is the client's up axis (three.js Y-up by default). ``bgChildren`` hold the
    cameras, lights and input devices, ``rawChildren`` raw three.js nodes and
    ``htmlChildren`` HTML overlays; each is sent only when not empty.
    """

    tag = 'Scene'
    defaults = {'up': [0, 1, 0]}

    def __init__(self, *children: Any, key: Optional[str] = None, **props: Any) -> None:
        for name in SCENE_CHILD_LISTS:
            extra = [child for child in _as_list(props.pop(name, None)) if child is not None]
            if extra:
                props[name] = extra
        props = {name: value for name, value in props.items()
                 if value is not None or name not in _SCENE_OPTIONS}
        super().__init__(*children, key=key, **props)


class DefaultScene(Scene):
    """
    A Scene with the reference's background: grid, lights, camera, XR input, previews.

    ``bgChildren`` given here are appended to those; ``grid=False`` leaves the grid out.
    """

    def __init__(self, *children: Any, key: Optional[str] = None, bgChildren: Any = None,
                 grid: bool = True, **props: Any) -> None:
        background = [
            Grid(key='grid') if grid else None,
            HemisphereLightStage(key='light-stage'),
            Gamepad(key='gamepad-0', index=0),
            Hands(fps=30, stream=True, key='hands'),
            MotionControllers(fps=30, stream=True, key='motion-controllers'),
            SceneCamera(key='SceneCamera', position=[0, 5, 10]),
            SceneCameraControl(key='SceneCameraControl', makeDefault=True),
            CameraPreviewThumbs(key='CameraPreviewThumbs'),
            CameraPreviewOverlay(key='CameraPreviewOverlay'),
            *_as_list(bgChildren),
        ]
        super().__init__(*children, key=key, bgChildren=background, **props)


# -- differences from the reference -----------------------------------------------------

_COLOR_MOVE = ('a top-level color is moved into material.color (a color already in the '
               'material wins): the client draws this primitive grey with a top-level color '
               'but honours material.color')
_COLOR_BYTES = ('integer colours are taken as 0..255 and clipped (the reference multiplies '
                'them by 255 too, so they wrap); float colours are clipped to 0..1 before the '
                "x255; the caller's array is left unchanged (the reference scales it in place)")
_ARRAY_INPUT = ('any array-like or already packed bytes is accepted, and a missing array '
                'stays missing (the reference needs a numpy array and raises otherwise); '
                'validation rejects a full node without it')

#: Where ``vuer_ros`` deliberately differs from ``vuer.schemas`` 0.1.6, by
#: ``Class.prop`` (``*`` for every element), with the reason.
DIFFERENCES_FROM_REFERENCE: dict[str, str] = {
    '*.children': 'left out when empty unless given as children= (the reference sends [] '
                  'for some nodes, and the '
                  'client merges an upsert into its node, so [] would drop the nodes '
                  'attached to it); always a list when sent (a bare string wrapped as '
                  '[string]): the client blanks the whole view on a bare-string children '
                  'and the reference iterates a string given as children= into characters',
    '*.key': 'a generated key is "<tag>-<n>" instead of "<n>", readable in the client\'s '
             'scene-tree panel',
    **{f'{cls.__name__}.color': _COLOR_MOVE for cls in _Primitive.__subclasses__()},
    'TriMesh.colors': _COLOR_BYTES,
    'PointCloud.colors': _COLOR_BYTES,
    'TriMesh.vertices': _ARRAY_INPUT,
    'TriMesh.faces': _ARRAY_INPUT,
    'PointCloud.vertices': _ARRAY_INPUT,
}
