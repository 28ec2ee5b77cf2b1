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

"""Element checks: what the client cannot take is refused, every valid element passes."""

import math

import numpy as np
import pytest

from vuer_ros import schemas, wire
from vuer_ros.validation import InvalidElement, validate_node, validate_nodes

NAN, INF = float('nan'), float('inf')
TRIANGLE = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=float)


def trimesh(**props) -> dict:
    return schemas.TriMesh(key='mesh', **{'vertices': TRIANGLE, 'faces': [[0, 1, 2]],
                                          **props}).serialize()


def cloud(**props) -> dict:
    return schemas.PointCloud(key='cloud', **{'vertices': TRIANGLE, **props}).serialize()


#: (node, key named, words the reason must contain)
REJECTED = {
    'bare-string children': (
        {'tag': 'Text', 'key': 'label', 'children': 'HELLO'}, 'label',
        ['Text', 'children', 'list', 'str']),
    'number as a child': (
        {'tag': 'Text', 'key': 'label', 'children': [3]}, 'label', ['Text', 'children', '3']),
    'NaN position': (
        schemas.Box(key='box', position=[0, NAN, 0]).serialize(), 'box',
        ['Box', 'position[1]', 'nan']),
    'inf in material': (
        schemas.Sphere(key='ball', material={'color': 'red', 'opacity': INF}).serialize(),
        'ball', ['Sphere', 'material.opacity', 'inf']),
    'NaN deep in args': (
        {'tag': 'Cylinder', 'key': 'cyl', 'args': [1, [2, (3, NAN)]]}, 'cyl',
        ['Cylinder', 'args[1][1][1]', 'nan']),
    'numpy array left in a hand-made node': (
        {'tag': 'Box', 'key': 'box', 'args': np.zeros(3)}, 'box',
        ['Box', 'args', 'cannot be sent', 'ndarray']),
    'numpy array as a position': (
        {'tag': 'Box', 'key': 'box', 'position': np.zeros(3)}, 'box',
        ['Box', 'position', 'ndarray']),
    # Each of these blanked the whole page of the real client.
    'position as a string': (
        {'tag': 'Box', 'key': 'box', 'position': 'abc'}, 'box', ['position', 'list of 3']),
    'position as a map': (
        {'tag': 'Box', 'key': 'box', 'position': {'x': 1}}, 'box', ['position', 'dict']),
    'position null': (
        {'tag': 'Box', 'key': 'box', 'position': None}, 'box', ['position', 'None']),
    'rotation as a string': (
        {'tag': 'Box', 'key': 'box', 'rotation': 'x'}, 'box', ['rotation', '3 or 4']),
    'quaternion of three': (
        {'tag': 'Box', 'key': 'box', 'quaternion': [0, 0, 1]}, 'box', ['quaternion', '4']),
    'scale as a string': (
        {'tag': 'Box', 'key': 'box', 'scale': 'big'}, 'box', ['scale']),
    'position with two numbers': (
        {'tag': 'Box', 'key': 'box', 'position': [1, 2]}, 'box', ['position', 'list of 3']),
    'vertices not whole xyz triples': (
        {**trimesh(), 'vertices': b'\0' * 10}, 'mesh', ['TriMesh', 'vertices', '10 bytes']),
    'faces not whole triangles': (
        {**trimesh(), 'faces': b'\0' * 8}, 'mesh', ['TriMesh', 'faces', '8 bytes']),
    'face index out of range': (
        trimesh(faces=[[0, 1, 3]]), 'mesh', ['TriMesh', 'faces', 'index 3', '3 vertices']),
    'vertex colours for another mesh': (
        trimesh(colors=np.zeros((2, 3))), 'mesh', ['TriMesh', 'colors', '2', '3 vertices']),
    'uv for another mesh': (
        trimesh(uv=np.zeros((4, 2))), 'mesh', ['TriMesh', 'uv', '4', '3 vertices']),
    'mesh without faces': (
        {**trimesh(), 'faces': None}, 'mesh', ['TriMesh', 'faces', 'required']),
    'vertices sent as a list': (
        {**trimesh(), 'vertices': TRIANGLE.tolist()}, 'mesh',
        ['TriMesh', 'vertices', 'bytes', 'list']),
    'point colours for another cloud': (
        cloud(colors=np.zeros((4, 3))), 'cloud', ['PointCloud', 'colors', '4', '3 vertices']),
    'point colours not whole rgb': (
        {**cloud(), 'colors': b'\0' * 8}, 'cloud', ['PointCloud', 'colors', '8 bytes']),
    'cloud without vertices': (
        schemas.PointCloud(key='cloud', size=0.1).serialize(), 'cloud',
        ['PointCloud', 'vertices', 'required']),
    'line of one point': (
        schemas.Line(key='line', points=[[0, 0, 0]]).serialize(), 'line',
        ['Line', 'at least 2 points']),
    'line of 2d points': (
        schemas.Line(key='line', points=[[0, 0], [1, 1]]).serialize(), 'line',
        ['Line', 'points', '[x, y, z]', '[2]']),
    'line with a word for a point': (
        {'tag': 'Line', 'key': 'line', 'points': [[0, 0, 0], 'up!']}, 'line',
        ['Line', 'points', 'numbers']),
    'line through infinity': (
        schemas.Line(key='line', points=[[0, 0, 0], [1, INF, 0]]).serialize(), 'line',
        ['Line', 'points[1]', 'not finite']),
    'line without points': (
        {'tag': 'Line', 'key': 'line', 'children': []}, 'line', ['Line', 'points']),
    'non-dict node': ('Box', None, ['map', 'str']),
    'missing tag': ({'key': 'anonymous', 'position': [0, 0, 0]}, 'anonymous', ['tag']),
    'empty tag': ({'tag': '', 'key': 'k'}, 'k', ['tag', 'non-empty']),
    'missing key': ({'tag': 'Box'}, None, ['Box', 'key', 'string']),
    'number key': ({'tag': 'Box', 'key': 7}, None, ['Box', 'key', 'int']),
}


@pytest.mark.parametrize('node, key, words', REJECTED.values(), ids=REJECTED.keys())
def test_rejected_with_key_and_reason(node, key, words):
    with pytest.raises(InvalidElement) as caught:
        validate_node(node)
    error = caught.value
    assert error.key == key
    for word in words:
        assert word in error.reason
    assert repr(key) in str(error) and error.reason in str(error)
    assert isinstance(error, ValueError)


def test_coordinates_beyond_float16_are_refused():
    with pytest.warns(RuntimeWarning, match='overflow'):
        node = trimesh(vertices=TRIANGLE * 1e5)
    with pytest.raises(InvalidElement, match='infinite.*65504'):
        validate_node(node)


def test_nested_bad_child_names_itself_and_where_it_is():
    tree = schemas.group(
        schemas.Group(schemas.Text(key='label', children=[3.5]), key='arm'),
        key='robot').serialize()
    with pytest.raises(InvalidElement) as caught:
        validate_node(tree)
    assert caught.value.key == 'label'
    assert caught.value.path == ('robot', 'arm')
    assert "inside 'robot' > 'arm'" in caught.value.reason


def test_background_children_of_a_scene_are_checked():
    scene = schemas.DefaultScene(
        key='scene', bgChildren=[{'tag': 'Text', 'key': 'hud', 'children': 'x'}]).serialize()
    with pytest.raises(InvalidElement) as caught:
        validate_node(scene)
    assert caught.value.key == 'hud'
    assert caught.value.path == ('scene',)


#: Props without which an element type would break the client; others need none.
REQUIRED = {
    'TriMesh': {'vertices': TRIANGLE, 'faces': [[0, 1, 2]]},
    'PointCloud': {'vertices': TRIANGLE},
    'Line': {'points': [[0, 0, 0], [1, 2, 3]]},
}
ELEMENT_CLASSES = sorted(
    (cls for name, cls in vars(schemas).items()
     if isinstance(cls, type) and issubclass(cls, schemas.Element) and not name.startswith('_')),
    key=lambda cls: cls.__name__)


@pytest.mark.parametrize('cls', ELEMENT_CLASSES, ids=lambda cls: cls.__name__)
def test_every_element_type_passes(cls):
    bare = cls(key='k', **REQUIRED.get(cls.__name__, {})).serialize()
    full = cls('label', schemas.Box(key='child', color='red'), key='k', position=[1, 2, 3.5],
               rotation=np.array([0.1, 0.2, 0.3]), scale=2, visible=True,
               material={'color': '#ff00ff', 'opacity': 0.5}, nothing=None,
               **REQUIRED.get(cls.__name__, {})).serialize()
    assert validate_nodes([bare, full]) == ([bare, full], [])


def test_full_meshes_clouds_and_scenes_pass():
    colors = np.random.default_rng(1).random((3, 4))
    scene = schemas.DefaultScene(
        schemas.group(
            trimesh(colors=colors, uv=np.zeros((3, 2)), materialType='basic'),
            cloud(colors=colors, size=0.01),
            schemas.Line(key='line', points=np.eye(3), color='red', lineWidth=2),
            schemas.Text('HELLO', key='text'),
            key='ros-root', rotation=[-math.pi / 2, 0, 0]),
        key='scene', up=[0, 1, 0])
    validate_node(scene.serialize())


def test_empty_mesh_and_cloud_pass():
    validate_node(schemas.TriMesh(key='m', vertices=np.zeros((0, 3)),
                                  faces=np.zeros((0, 3))).serialize())
    validate_node(schemas.PointCloud(key='p', vertices=np.zeros((0, 3))).serialize())


def test_numbers_near_the_float32_limit_pass_and_are_sent():
    node = {'tag': 'Box', 'key': 'far', 'args': [3e38, 3e38, 1], 'scale': 3e38}
    validate_node(node)
    wire.pack(node)   # the wire's float32 takes them


@pytest.mark.parametrize('props', [{'scale': 1e39}, {'args': [1e308, 1e308, 1]},
                                   {'position': [0, -1e39, 0]}])
def test_finite_numbers_beyond_float32_are_refused(props):
    """Msgpack packs floats as float32 and raises beyond it, in the middle of the send."""
    with pytest.raises(InvalidElement, match='beyond float32'):
        validate_node({'tag': 'Box', 'key': 'far', **props})


def test_partial_patches_need_not_repeat_the_arrays():
    patches = [
        schemas.TriMesh(key='mesh', color='red').serialize(),
        schemas.PointCloud(key='cloud', size=0.05).serialize(),
        {'tag': 'Line', 'key': 'line', 'color': 'blue'},
        # without vertices, face indices cannot be checked, but their layout can
        {'tag': 'TriMesh', 'key': 'mesh', 'faces': b'\0' * 12},
    ]
    for patch in patches:
        validate_node(patch, partial=True)
        with pytest.raises(InvalidElement):
            validate_node(patch)
    with pytest.raises(InvalidElement, match='faces'):
        validate_node({'tag': 'TriMesh', 'key': 'mesh', 'faces': b'\0' * 8}, partial=True)
    with pytest.raises(InvalidElement, match='nan'):
        validate_node({'tag': 'Box', 'key': 'box', 'position': [NAN, 0, 0]}, partial=True)


def test_validate_nodes_splits_good_from_rejected_in_order():
    good_a = schemas.Box(key='a').serialize()
    good_b = {'tag': 'Text', 'key': 'b', 'children': ['fine']}
    bad_c = {'tag': 'Text', 'key': 'c', 'children': 'HELLO'}
    bad_d = {'tag': 'Box', 'key': 'd', 'position': [INF, 0, 0]}
    good, rejected = validate_nodes(iter([bad_c, good_a, bad_d, good_b]))
    assert good == [good_a, good_b]
    assert [error.key for error in rejected] == ['c', 'd']
    assert all(isinstance(error, InvalidElement) for error in rejected)


def test_transform_props_in_every_form_the_client_takes_pass():
    validate_node({'tag': 'Box', 'key': 'box', 'position': [1, 2.5, 3], 'scale': 2,
                   'rotation': [0, 0.5, 1, 'XYZ'], 'quaternion': [0, 0, 0, 1]})
    validate_node({'tag': 'Box', 'key': 'box', 'scale': [1, 2, 3], 'rotation': [0, 0, 0]})
