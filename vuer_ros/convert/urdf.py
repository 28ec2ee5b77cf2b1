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
URDF robot descriptions: parsing, forward kinematics and the elements of each link.

The parser follows urdfdom (``urdf_parser/src/model.cpp``, ``link.cpp``, ``joint.cpp``),
which RViz2's RobotModel and robot_state_publisher both use: one ``<robot>`` with a name,
unique link and joint names, joints naming existing parent and child links, one root link
and no link with two parents. What urdfdom rejects is rejected with the line it is on;
xacro's output is plain URDF, so nothing else is needed. Nothing here imports ROS.

Forward kinematics follows robot_state_publisher (``robot_state_publisher.cpp`` through
KDL): a joint's transform is its ``<origin>`` followed by its motion, a rotation of the
position about ``<axis>`` (revolute, continuous) or a translation along it (prismatic);
fixed joints never move. Limits are not applied, as neither RViz2 nor
robot_state_publisher applies them. A ``<mimic>`` joint takes ``multiplier * value +
offset`` of the joint it mimics. Floating and planar joints are held at their origin, as
kdl_parser turns them into fixed joints. Rotations come from transforms3d (rpy as static
x-y-z axes, axis-angle as ``axangle2quat``).

Links are drawn as RViz2's RobotLink draws them (``rviz_default_plugins/robot/
robot_link.cpp``): each visual (or collision) at its origin in the link's frame; box,
cylinder (along Z), sphere and meshes scaled by ``scale``. A visual without a material is
RViz2's default red (``RVIZ/ShadedRed``), a material by name takes the robot-level
colour; an STL mesh, which has no materials, takes the link's colour, while DAE, OBJ and
glTF meshes keep their own materials (RViz2 replaces only the blank ``BaseWhite`` ones).
"""

from dataclasses import dataclass, field
import math
import os
from typing import Callable, Iterable, Mapping, Optional
from xml.parsers import expat

import numpy as np
from transforms3d.euler import euler2quat
from transforms3d.quaternions import axangle2quat

from vuer_ros.convert import geometry
from vuer_ros.convert.markers import MESH_ELEMENTS
from vuer_ros.convert.transforms import (compose, euler_to_quaternion, IDENTITY,
                                         quaternion_multiply, quaternion_to_euler, Transform)
from vuer_ros.schemas import Box, Cylinder, Element, group, Sphere

#: Joint types urdfdom knows (``joint.cpp`` parseJoint).
JOINT_TYPES = frozenset({'revolute', 'continuous', 'prismatic', 'fixed', 'floating',
                         'planar'})
#: Joints that move with a position; the others are held at their origin.
MOVING = frozenset({'revolute', 'continuous', 'prismatic'})
#: RViz2's material for links without one (RobotLink::getMaterialForLink, RVIZ/ShadedRed).
DEFAULT_RGBA = (1.0, 0.0, 0.0, 1.0)
#: Mesh formats that carry no materials: drawn in the link's colour, as RViz2 draws them.
UNCOLOURED_MESHES = frozenset({'.stl', '.ply'})
#: three.js cylinders (and Y-up models) run along +Y; URDF cylinders along +Z.
_CYLINDER_UPRIGHT = euler_to_quaternion([math.pi / 2, 0.0, 0.0])


class UrdfError(ValueError):
    """A description urdfdom would reject; ``line`` is where (0 when not known)."""

    def __init__(self, problem: str, line: int = 0) -> None:
        super().__init__(f'line {line}: {problem}' if line else problem)
        self.line = line


@dataclass(frozen=True)
class Geometry:
    """One ``<geometry>``: ``kind`` is box, cylinder, sphere or mesh."""

    kind: str
    size: tuple[float, float, float] = (0.0, 0.0, 0.0)
    radius: float = 0.0
    length: float = 0.0
    filename: str = ''
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Shape:
    """A visual or collision: geometry at ``origin`` in its link, and its colour if any."""

    geometry: Geometry
    origin: Transform = IDENTITY
    rgba: Optional[tuple[float, float, float, float]] = None
    line: int = 0


@dataclass(frozen=True)
class Link:
    """A link: its visuals and collisions, in its own frame."""

    name: str
    visuals: tuple[Shape, ...] = ()
    collisions: tuple[Shape, ...] = ()


@dataclass(frozen=True)
class Mimic:
    """``<mimic joint= multiplier= offset=>``: value = multiplier * joint's + offset."""

    joint: str
    multiplier: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class Joint:
    """A joint: the child's pose in the parent is ``origin`` then the motion."""

    name: str
    type: str  # noqa: A003 (the URDF attribute's name)
    parent: str
    child: str
    origin: Transform = IDENTITY
    axis: tuple[float, float, float] = (1.0, 0.0, 0.0)
    mimic: Optional[Mimic] = None


@dataclass(frozen=True)
class Robot:
    """A parsed description; ``warnings`` are what was accepted but not shown as written."""

    name: str
    links: Mapping[str, Link]
    joints: Mapping[str, Joint]
    root: str
    warnings: tuple[str, ...] = ()


# -- parsing -------------------------------------------------------------------------------

@dataclass
class _Node:
    """An XML element with the line it starts on (xml.etree does not keep it)."""

    tag: str
    attrib: dict
    line: int
    children: list = field(default_factory=list)

    def find(self, tag: str) -> Optional['_Node']:
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list:
        return [child for child in self.children if child.tag == tag]


def _read_xml(text: str) -> _Node:
    """Parse XML with expat, keeping each element's line; raise UrdfError with the line."""
    parser = expat.ParserCreate()
    stack: list[_Node] = []
    root: list[_Node] = []

    def start(tag: str, attrib: dict) -> None:
        node = _Node(tag, attrib, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise UrdfError(f'not well-formed XML: {expat.ErrorString(error.code)} (column '
                        f'{error.offset + 1})', error.lineno) from None
    return root[0]


def _numbers(node: _Node, name: str, count: int, default: Optional[tuple] = None) -> tuple:
    """Read attribute ``name`` as ``count`` finite numbers (urdfdom's Vector3 parsing)."""
    text = node.attrib.get(name)
    if text is None:
        if default is None:
            raise UrdfError(f'<{node.tag}> has no {name!r} attribute', node.line)
        return default
    try:
        values = tuple(float(part) for part in text.split())
    except ValueError:
        raise UrdfError(f'<{node.tag} {name}="{text}">: not numbers', node.line) from None
    if len(values) != count or not all(math.isfinite(value) for value in values):
        raise UrdfError(f'<{node.tag} {name}="{text}">: want {count} finite numbers',
                        node.line)
    return values


def _origin(parent: _Node) -> Transform:
    node = parent.find('origin')
    if node is None:
        return IDENTITY
    xyz = _numbers(node, 'xyz', 3, (0.0, 0.0, 0.0))
    roll, pitch, yaw = _numbers(node, 'rpy', 3, (0.0, 0.0, 0.0))
    w, x, y, z = euler2quat(roll, pitch, yaw, 'sxyz')   # URDF rpy: static axes x, y, z
    return Transform(xyz, (float(x), float(y), float(z), float(w)))


def _geometry(parent: _Node) -> Geometry:
    holder = parent.find('geometry')
    if holder is None or not holder.children:
        raise UrdfError(f'<{parent.tag}> has no geometry', parent.line)
    node = holder.children[0]
    if node.tag == 'box':
        return Geometry('box', size=_numbers(node, 'size', 3))
    if node.tag == 'cylinder':
        return Geometry('cylinder', radius=_numbers(node, 'radius', 1)[0],
                        length=_numbers(node, 'length', 1)[0])
    if node.tag == 'sphere':
        return Geometry('sphere', radius=_numbers(node, 'radius', 1)[0])
    if node.tag == 'mesh':
        filename = node.attrib.get('filename', '').strip()
        if not filename:
            raise UrdfError('<mesh> has no filename', node.line)
        return Geometry('mesh', filename=filename,
                        scale=_numbers(node, 'scale', 3, (1.0, 1.0, 1.0)))
    raise UrdfError(f'unknown geometry <{node.tag}> (box, cylinder, sphere, mesh)', node.line)


def _color(material: _Node) -> Optional[tuple]:
    color = material.find('color')
    return None if color is None else _numbers(color, 'rgba', 4)


def _shape(node: _Node, materials: Mapping[str, tuple], warnings: list) -> Shape:
    rgba = None
    material = node.find('material')
    if material is not None:
        rgba = _color(material)
        name = material.attrib.get('name', '')
        if rgba is None and name:
            rgba = materials.get(name)
            if rgba is None and material.find('texture') is None:
                warnings.append(f'line {material.line}: material {name!r} is not defined; '
                                'drawn in the default red')
    return Shape(_geometry(node), _origin(node), rgba, node.line)


def _joint(node: _Node, links: Mapping[str, Link]) -> Joint:
    name = node.attrib.get('name', '')
    if not name:
        raise UrdfError('<joint> has no name', node.line)
    kind = node.attrib.get('type', '')
    if kind not in JOINT_TYPES:
        raise UrdfError(f'joint {name!r} has unknown type {kind!r} '
                        f'({", ".join(sorted(JOINT_TYPES))})', node.line)
    ends = []
    for end in ('parent', 'child'):
        tag = node.find(end)
        link = tag.attrib.get('link', '') if tag is not None else ''
        if not link:
            raise UrdfError(f'joint {name!r} has no {end} link', node.line)
        if link not in links:
            raise UrdfError(f'joint {name!r}: {end} link {link!r} is not defined', tag.line)
        ends.append(link)
    axis = (1.0, 0.0, 0.0)
    axis_node = node.find('axis')
    if axis_node is not None:
        axis = _numbers(axis_node, 'xyz', 3, axis)
        norm = math.sqrt(sum(value * value for value in axis))
        if kind in MOVING and norm == 0.0:
            raise UrdfError(f'joint {name!r}: axis is zero', axis_node.line)
        axis = tuple(value / norm for value in axis) if norm else axis
    mimic = None
    mimic_node = node.find('mimic')
    if mimic_node is not None:
        mimicked = mimic_node.attrib.get('joint', '')
        if not mimicked:
            raise UrdfError(f'joint {name!r}: <mimic> names no joint', mimic_node.line)
        mimic = Mimic(mimicked, _numbers(mimic_node, 'multiplier', 1, (1.0,))[0],
                      _numbers(mimic_node, 'offset', 1, (0.0,))[0])
    return Joint(name, kind, ends[0], ends[1], _origin(node), axis, mimic)


def parse_urdf(text: str) -> Robot:
    """Parse a URDF document; raise :class:`UrdfError` naming the line of what is wrong."""
    if not text.strip():
        raise UrdfError('the description is empty')
    root = _read_xml(text)
    if root.tag != 'robot':
        raise UrdfError(f'the root element is <{root.tag}>, not <robot>', root.line)
    if not root.attrib.get('name'):
        raise UrdfError('<robot> has no name', root.line)
    warnings: list[str] = []
    materials = {}
    for material in root.findall('material'):
        rgba = _color(material)
        if material.attrib.get('name') and rgba is not None:
            materials[material.attrib['name']] = rgba
    links: dict[str, Link] = {}
    for node in root.findall('link'):
        name = node.attrib.get('name', '')
        if not name:
            raise UrdfError('<link> has no name', node.line)
        if name in links:
            raise UrdfError(f'link {name!r} is not unique', node.line)
        links[name] = Link(name,
                           tuple(_shape(v, materials, warnings) for v in node.findall('visual')),
                           tuple(_shape(c, materials, warnings)
                                 for c in node.findall('collision')))
    if not links:
        raise UrdfError('no <link> in the description', root.line)
    joints: dict[str, Joint] = {}
    parent_of: dict[str, str] = {}
    for node in root.findall('joint'):
        joint = _joint(node, links)
        if joint.name in joints:
            raise UrdfError(f'joint {joint.name!r} is not unique', node.line)
        if joint.child in parent_of:
            raise UrdfError(f'link {joint.child!r} has two parent joints '
                            f'({parent_of[joint.child]!r} and {joint.name!r})', node.line)
        if joint.type in ('floating', 'planar'):
            warnings.append(f'joint {joint.name!r} is {joint.type}: held at its origin, '
                            'as kdl_parser holds it')
        joints[joint.name] = joint
        parent_of[joint.child] = joint.name
    roots = [name for name in links if name not in parent_of]
    if len(roots) != 1:
        raise UrdfError(f'{"no root link (the joints form a loop)" if not roots else ""}'
                        f'{"two root links found: " + ", ".join(roots) if roots else ""}',
                        root.line)
    for joint in joints.values():
        if joint.mimic is not None and joint.mimic.joint not in joints:
            warnings.append(f'joint {joint.name!r} mimics unknown joint '
                            f'{joint.mimic.joint!r}: held at 0')
    return Robot(root.attrib['name'], links, joints, roots[0], tuple(warnings))


# -- forward kinematics --------------------------------------------------------------------


class Kinematics:
    """
    The transforms of a robot's joints for joint positions, as robot_state_publisher's.

    Positions are kept by joint name; ``set`` takes new ones and ``edges`` gives the
    joints they move (and the joints that mimic them).
    """

    def __init__(self, robot: Robot) -> None:
        self.robot = robot
        self.positions: dict[str, float] = {}
        self._mimics: dict[str, list[str]] = {}
        for joint in robot.joints.values():
            if joint.mimic is not None and joint.mimic.joint in robot.joints:
                self._mimics.setdefault(joint.mimic.joint, []).append(joint.name)

    def moving(self) -> list[str]:
        """Joints a JointState may set (moving, not mimics), in description order."""
        return [joint.name for joint in self.robot.joints.values()
                if joint.type in MOVING and joint.mimic is None]

    def update(self, names: Iterable[str], positions: Iterable[float]) -> set[str]:
        """Take positions by joint name; return the joints that moved (mimics included)."""
        joints = self.robot.joints
        moved: set[str] = set()
        for name, value in zip(names, positions):
            joint = joints.get(name)
            if joint is None or joint.type not in MOVING or not math.isfinite(value):
                continue
            if self.positions.get(name) != value:
                self.positions[name] = float(value)
                moved.add(name)
        return self._with_mimics(moved)

    def _with_mimics(self, names: set[str]) -> set[str]:
        pending, seen = list(names), set(names)
        while pending:
            for mimic in self._mimics.get(pending.pop(), ()):
                if mimic not in seen:
                    seen.add(mimic)
                    pending.append(mimic)
        return seen

    def value(self, joint: Joint, depth: int = 0) -> float:
        """Return a joint's position; a mimic's follows its joint (a mimic loop stops at 0)."""
        mimic = joint.mimic
        if mimic is None:
            return self.positions.get(joint.name, 0.0)
        source = self.robot.joints.get(mimic.joint)
        if source is None or depth > len(self.robot.joints):
            return 0.0
        return mimic.multiplier * self.value(source, depth + 1) + mimic.offset

    def transform(self, joint: Joint) -> Transform:
        """Return the child link's pose in its parent link: origin, then the motion."""
        if joint.type not in MOVING:
            return joint.origin
        value = self.value(joint)
        if joint.type == 'prismatic':
            motion = Transform(tuple(a * value for a in joint.axis))
        else:
            w, x, y, z = axangle2quat(joint.axis, value, is_normalized=True)
            motion = Transform(rotation=(float(x), float(y), float(z), float(w)))
        return compose(joint.origin, motion)

    def edges(self, joints: Optional[Iterable[str]] = None) -> list[tuple[Joint, Transform]]:
        """
        Each of ``joints`` (default: all) with its child link's pose in its parent link.

        In description order, as robot_state_publisher sends them.
        """
        wanted = None if joints is None else set(joints)
        return [(joint, self.transform(joint)) for joint in self.robot.joints.values()
                if wanted is None or joint.name in wanted]


# -- elements ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Look:
    """How a robot is drawn: RViz2's Alpha, and a colour that overrides the materials."""

    alpha: float = 1.0
    rgba: Optional[tuple[float, float, float, float]] = None


class MeshProblem(Exception):
    """A link's mesh that can't be shown; the message names the link and the file."""


def _rgba(shape: Shape, look: Look) -> tuple[float, float, float, float]:
    r, g, b, a = look.rgba or shape.rgba or DEFAULT_RGBA
    return (r, g, b, a * look.alpha)


def _pose_props(origin: Transform, extra: tuple = (0.0, 0.0, 0.0, 1.0)) -> dict:
    return {'position': list(origin.translation),
            'rotation': quaternion_to_euler(quaternion_multiply(origin.rotation, extra))}


def shape_element(shape: Shape, key: str, look: Look,
                  mesh_url: Callable[[str], str]) -> Element:
    """
    Return the element of one visual or collision, in its link's frame.

    ``mesh_url`` turns a mesh filename into a URL, raising ValueError saying why it can't.
    """
    geo = shape.geometry
    rgba = _rgba(shape, look)
    if geo.kind == 'box':
        return Box(key=key, args=list(geo.size), material=geometry.material(rgba),
                   **_pose_props(shape.origin))
    if geo.kind == 'sphere':
        return Sphere(key=key, args=[geo.radius, geometry.SEGMENTS, geometry.SEGMENTS // 2],
                      material=geometry.material(rgba), **_pose_props(shape.origin))
    if geo.kind == 'cylinder':
        return Cylinder(key=key, args=[geo.radius, geo.radius, geo.length, geometry.SEGMENTS],
                        material=geometry.material(rgba),
                        **_pose_props(shape.origin, _CYLINDER_UPRIGHT))
    extension = os.path.splitext(geo.filename.split('?', 1)[0])[1].lower()
    element_class = MESH_ELEMENTS.get(extension)
    if element_class is None:
        raise MeshProblem(f'{geo.filename}: unsupported mesh type (supported: '
                          f'{", ".join(sorted(MESH_ELEMENTS))})')
    try:
        url = mesh_url(geo.filename)
    except ValueError as error:
        raise MeshProblem(f'{geo.filename}: {error}') from None
    props: dict = {'src': url}
    if extension in UNCOLOURED_MESHES or look.rgba is not None:
        props['color'] = geometry.hex_color(rgba)
    if rgba[3] < 1.0:
        props['opacity'] = rgba[3]
    placement = {'scale': list(geo.scale), **_pose_props(shape.origin)}
    if extension != '.dae':
        return element_class(key=key, **props, **placement)
    # The client's ColladaLoader turns a Z_UP file to three's Y up and scales it by its
    # <unit>; turning it back up keeps both, so Z_UP files (the usual export) stand in
    # the link's frame as in RViz2, and a Y_UP file's Y runs along the link's Z.
    upright = group(element_class(key=f'{key}/model', **props), key=f'{key}/upright',
                    rotation=quaternion_to_euler(_CYLINDER_UPRIGHT))
    return group(upright, key=key, **placement)


def link_elements(link: Link, key: str, look: Look, mesh_url: Callable[[str], str],
                  collision: bool = False) -> tuple[list[Element], list[str]]:
    """
    Return the elements of a link's visuals (or collisions) and the problems met.

    A mesh that can't be shown is left out with a problem naming the link and the file;
    the link's other shapes are still drawn, as RViz2 draws the rest of the robot.
    """
    elements, problems = [], []
    kind = 'collision' if collision else 'visual'
    for index, shape in enumerate(link.collisions if collision else link.visuals):
        try:
            elements.append(shape_element(shape, f'{key}/{kind}:{index}', look, mesh_url))
        except MeshProblem as problem:
            problems.append(f'link {link.name!r}: mesh {problem}')
    return elements, problems


def chain_description(joints: int, name: str = 'chain') -> str:
    """Return a serial arm of ``joints`` revolute joints with primitive links (benchmark)."""
    axes = ('0 0 1', '0 1 0', '1 0 0')
    parts = [f'<robot name="{name}">',
             '<material name="grey"><color rgba="0.6 0.6 0.65 1"/></material>',
             '<link name="link_0"><visual><geometry><box size="0.2 0.2 0.1"/></geometry>'
             '<material name="grey"/></visual></link>']
    for index in range(1, joints + 1):
        hue = np.array((0.9, 0.5 + 0.4 * (index % 2), 0.2 + 0.6 * (index % 3) / 2))
        parts.append(
            f'<link name="link_{index}"><visual><origin xyz="0 0 0.05"/><geometry>'
            f'<cylinder radius="0.03" length="0.1"/></geometry><material name="c{index}">'
            f'<color rgba="{hue[0]:.2f} {hue[1]:.2f} {hue[2]:.2f} 1"/></material></visual>'
            '</link>'
            f'<joint name="joint_{index}" type="revolute"><parent link="link_{index - 1}"/>'
            f'<child link="link_{index}"/><origin xyz="0 0 0.1"/>'
            f'<axis xyz="{axes[index % 3]}"/><limit lower="-3" upper="3" effort="1" '
            'velocity="1"/></joint>')
    parts.append('</robot>')
    return '\n'.join(parts)
