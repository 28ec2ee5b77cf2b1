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
Scene elements: wire form, binary layouts, and parity with the reference ``vuer.schemas``.

Parity tests build each element with our class and with the reference class of the
same name, pack both as the server does, and require the decoded maps to be equal once
the differences listed in ``DIFFERENCES_FROM_REFERENCE`` are applied to the reference's.
"""

import copy
import importlib
from pathlib import Path
import re

import msgpack
import numpy as np
import pytest

from vuer_ros import schemas
from vuer_ros.schemas import DIFFERENCES_FROM_REFERENCE

RNG = np.random.default_rng(7)


@pytest.fixture(scope='module')
def reference():
    """Import the reference package's schemas (vuer==0.1.6, a test-only dependency)."""
    try:
        return importlib.import_module('vuer.schemas')
    except Exception as error:  # the reference's package __init__ imports a lot
        pytest.skip(f'reference vuer.schemas (pip install vuer==0.1.6) not importable: '
                    f'{error!r}')


def wire(node: dict) -> dict:
    """Pack and unpack a node the way the server and the client do."""
    packed = msgpack.packb(node, use_bin_type=True, use_single_float=True)
    return msgpack.unpackb(packed, raw=False)


class Spec:
    """One element to build twice, with our schemas and with the reference's."""

    def __init__(self, name: str, *children, **props) -> None:
        self.name, self.children, self.props = name, children, props

    def build(self, module):
        # Fresh copies each time: the reference scales colour arrays in place.
        return getattr(module, self.name)(
            *(_built(child, module) for child in self.children),
            **{name: _built(value, module) for name, value in self.props.items()})

    def __repr__(self) -> str:
        return f'{self.name}:{self.props.get("key")}'


def _built(value, module):
    if isinstance(value, Spec):
        return value.build(module)
    if isinstance(value, list):
        return [_built(item, module) for item in value]
    return copy.deepcopy(value)


PRIMITIVES = ['Box', 'Sphere', 'Cylinder', 'Cone', 'Capsule', 'Plane', 'Circle', 'Torus']
VERTICES = RNG.uniform(-2, 2, (50, 3))
FACES = RNG.integers(0, 50, (30, 3))

SPECS = [
    Spec('group', Spec('Box', key='in-group'), key='g', position=[1, 2, 3]),
    Spec('Group', Spec('Sphere', key='in-Group'), key='G', rotation=(0.1, 0.2, 0.3)),
    Spec('mesh', key='m', position=np.array([0.5, 0.25, 0.0])),
    Spec('Pivot', Spec('Box', key='door'), key='pivot', position=[-2, 0, 0]),
    Spec('Movable', Spec('Box', key='grab-me'), key='movable'),
    Spec('Billboard', Spec('Text', 'label', key='label'), key='billboard'),
    Spec('Billboard', key='billboard-y', lockY=True, follow=False),
    *(Spec(name, key=name.lower(), args=[0.5, 1.0, 16], position=[1.0, np.float64(2.5), 3],
           rotation=np.array([0.0, 0.5, 1.0]), color='red', opacity=0.5)
      for name in PRIMITIVES),
    *(Spec(name, key=f'{name.lower()}-material', args=[1, 2, 3],
           material={'color': 'green', 'roughness': 0.25})
      for name in PRIMITIVES),
    Spec('Box', key='both', color='red', material={'color': 'blue', 'metalness': 0.5}),
    Spec('Arrow', key='arrow', position=[0, 0, 0], color='orange', scale=0.3),
    Spec('CoordsMarker', key='frame', position=[1, 1, 0], scale=0.2, lineWidth=2),
    Spec('Line', key='line', points=[[0, 0, 0], [1, 0, 0], [1, 1, 0.5]], color='cyan',
         lineWidth=3),
    Spec('PointCloud', key='cloud', vertices=VERTICES, colors=RNG.random((50, 3)), size=0.02),
    Spec('PointCloud', key='cloud-f32-rgba', vertices=VERTICES.astype(np.float32),
         colors=RNG.random((50, 4)).astype(np.float32)),
    Spec('PointCloud', key='cloud-u8', vertices=VERTICES,
         colors=RNG.integers(0, 256, (50, 3)).astype(np.uint8), color='white'),
    Spec('TriMesh', key='trimesh', vertices=VERTICES, faces=FACES,
         colors=RNG.random((50, 4)), uv=RNG.random((50, 2)), materialType='basic'),
    Spec('TriMesh', key='trimesh-plain', vertices=VERTICES.astype(np.float16),
         faces=FACES.astype(np.uint32), color='#808080', wireframe=True),
    Spec('Text', 'HELLO', key='text', fontSize=0.3, color='black', anchorX='center'),
    Spec('Glb', key='glb', src='http://localhost/a.glb', position=[0, 0, 1]),
    Spec('Obj', key='obj', src='a.obj', mtl='a.mtl'),
    Spec('Stl', key='stl', src='a.stl', color='#cccccc'),
    Spec('Dae', key='dae', text='<COLLADA/>'),
    Spec('Ply', key='ply', buff=b'ply\nformat binary_little_endian 1.0\n'),
    Spec('Urdf', key='urdf', src='robot.urdf', jointValues={'j1': 0.5, 'j2': -1}),
    Spec('Image', key='image', src=b'\x89PNG\r\n\x1a\n', height=0.5, aspect=4 / 3,
         position=[0, 0, 1], rotation=[3.14, 0, 0], opacity=0.7, interpolate=False),
    Spec('ImageBackground', key='background', src=b'\xff\xd8\xff', distanceToCamera=50.0,
         material={'depthWrite': False}),
    Spec('AmbientLight', key='ambient', intensity=0.4),
    Spec('DirectionalLight', key='sun', position=[5, 5, 5], intensity=1, castShadow=True),
    Spec('PointLight', key='bulb', position=[0, 2, 0], color='#ff0000', intensity=30),
    Spec('HemisphereLight', key='hemi', skyColor='#87CEEB', groundColor='#8B4513'),
    Spec('HemisphereLightStage', key='light-stage'),
    Spec('Grid', key='grid'),
    Spec('SceneCamera', key='cam', position=[0, 5, 10], fov=50),
    Spec('SceneCameraControl', key='ctrl', makeDefault=True),
    Spec('Gamepad', key='pad', index=1),
    Spec('Hands', key='hands', fps=30, stream=True),
    Spec('MotionControllers'),
    Spec('MotionControllers', key='mc', fps=30, stream=False),
    Spec('Head'),
    Spec('Head', key='h', fps=60, stream=False),
    Spec('CameraPreviewThumbs', key='thumbs'),
    Spec('CameraPreviewOverlay', key='overlay'),
    Spec('Scene', Spec('Box', key='b', color='red'), key='scene', up=[0, 0, 1],
         bgChildren=[Spec('Grid', key='grid'), Spec('AmbientLight', key='amb')],
         rawChildren=Spec('mesh', key='raw'), htmlChildren=[Spec('Text', 'hi', key='html')],
         background='#ffffff', toneMappingExposure=0.8, frameloop=None),
    Spec('Scene', key='empty-scene'),
    Spec('DefaultScene', Spec('Cylinder', key='c', color='blue'), key='scene'),
    Spec('DefaultScene', key='no-grid', grid=False, bgChildren=[Spec('AmbientLight', key='a')]),
]

#: Listed differences that show on the wire for valid input, each applied below. The other
#: listed entries change what input is accepted; each has a test of its own further down.
WIRE_DIFFERENCES = {'*.children', *(f'{name}.color' for name in PRIMITIVES)}
INPUT_DIFFERENCES = {
    '*.key', 'TriMesh.colors', 'PointCloud.colors', 'TriMesh.vertices', 'TriMesh.faces',
    'PointCloud.vertices',
}

#: Client tag -> our class name, to look a nested node's differences up.
CLASS_OF_TAG = {
    cls.tag: name for name, cls in vars(schemas).items()
    if isinstance(cls, type) and issubclass(cls, schemas.Element)
    and not name.startswith('_') and name not in ('Element', 'DefaultScene')}


def with_listed_differences(node: dict) -> dict:
    """Return the reference's node as we should send it: listed wire differences applied."""
    node = dict(node)
    if '*.children' in DIFFERENCES_FROM_REFERENCE and not node.get('children'):
        node.pop('children', None)
    if f'{CLASS_OF_TAG[node["tag"]]}.color' in DIFFERENCES_FROM_REFERENCE and 'color' in node:
        node['material'] = {'color': node.pop('color'), **node.get('material', {})}
    for name in ('children', *schemas.SCENE_CHILD_LISTS):
        if name in node:
            node[name] = [with_listed_differences(child) if isinstance(child, dict) else child
                          for child in node[name]]
    return node


def test_every_listed_difference_is_tested():
    assert set(DIFFERENCES_FROM_REFERENCE) == WIRE_DIFFERENCES | INPUT_DIFFERENCES
    assert all(reason.strip() for reason in DIFFERENCES_FROM_REFERENCE.values())


def test_every_element_class_has_a_parity_case():
    classes = {name for name, cls in vars(schemas).items()
               if isinstance(cls, type) and issubclass(cls, schemas.Element)
               and not name.startswith('_') and cls is not schemas.Element}
    assert classes == {spec.name for spec in SPECS}


@pytest.mark.parametrize('spec', SPECS, ids=repr)
def test_wire_form_matches_reference(reference, spec):
    ours = wire(spec.build(schemas).serialize())
    theirs = wire(spec.build(reference)._serialize())
    assert ours == with_listed_differences(theirs)


@pytest.mark.parametrize('spec', [spec for spec in SPECS if spec.name in PRIMITIVES],
                         ids=repr)
def test_primitive_colour_is_the_only_prop_moved(reference, spec):
    ours = wire(spec.build(schemas).serialize())
    theirs = wire(spec.build(reference)._serialize())
    changed = {name for name in ours.keys() | theirs.keys()
               if ours.get(name) != theirs.get(name)}
    if 'color' in theirs:
        assert changed <= {'children', 'color', 'material'} and 'color' not in ours
        assert ours['material'] == {'color': theirs['color'], **theirs.get('material', {})}
    else:
        assert changed <= {'children'}


@pytest.mark.parametrize('name', ['Line', 'PointCloud', 'TriMesh', 'Arrow', 'Text',
                                  'CoordsMarker', 'Stl', 'PointLight'])
def test_colour_stays_top_level_where_the_client_reads_it(name):
    extra = {'vertices': VERTICES} if name in ('PointCloud', 'TriMesh') else {}
    extra.update({'faces': FACES} if name == 'TriMesh' else {})
    node = getattr(schemas, name)(key='k', color='red', **extra).serialize()
    assert node['color'] == 'red'
    assert 'material' not in node


def test_colour_already_in_material_wins():
    node = schemas.Box(key='b', color='red', material={'color': 'blue', 'opacity': 0.5})
    assert node.serialize()['material'] == {'color': 'blue', 'opacity': 0.5}
    assert 'color' not in node.serialize()


# -- binary layouts ---------------------------------------------------------------------

def test_trimesh_layouts_decode_to_the_input():
    colors = RNG.random((50, 4))
    uv = RNG.random((50, 2))
    node = wire(schemas.TriMesh(key='t', vertices=VERTICES, faces=FACES, colors=colors,
                                uv=uv).serialize())
    np.testing.assert_allclose(
        np.frombuffer(node['vertices'], '<f2').reshape(-1, 3), VERTICES, atol=2e-3)
    np.testing.assert_array_equal(np.frombuffer(node['faces'], '<u4').reshape(-1, 3), FACES)
    np.testing.assert_array_equal(np.frombuffer(node['colors'], np.uint8).reshape(-1, 3),
                                  (colors[:, :3] * 255).astype(np.uint8))
    np.testing.assert_allclose(np.frombuffer(node['uv'], '<f2').reshape(-1, 2), uv, atol=1e-3)


def test_point_cloud_layouts_decode_to_the_input():
    colors = RNG.integers(0, 256, (50, 3), dtype=np.uint8)
    node = wire(schemas.PointCloud(key='p', vertices=VERTICES, colors=colors).serialize())
    assert len(node['vertices']) == 50 * 3 * 2
    np.testing.assert_allclose(
        np.frombuffer(node['vertices'], '<f2').reshape(-1, 3), VERTICES, atol=2e-3)
    assert node['colors'] == colors.tobytes()


def test_binary_props_are_packed_once_in_the_constructor():
    cloud = schemas.PointCloud(key='p', vertices=VERTICES)
    assert isinstance(cloud.props['vertices'], bytes)
    assert cloud.serialize()['vertices'] is cloud.props['vertices']


def test_packed_bytes_and_lists_are_accepted(reference):
    # TriMesh.vertices / TriMesh.faces / PointCloud.vertices: any array-like or bytes.
    vertices = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    from_lists = schemas.TriMesh(key='t', vertices=vertices, faces=[[0, 1, 2]]).serialize()
    from_bytes = schemas.TriMesh(key='t', vertices=from_lists['vertices'],
                                 faces=bytearray(from_lists['faces'])).serialize()
    arrays = {'vertices': np.array(vertices), 'faces': np.array([[0, 1, 2]])}
    expected = reference.TriMesh(key='t', **arrays)._serialize()
    for node in (from_lists, from_bytes):
        assert (node['vertices'], node['faces']) == (expected['vertices'], expected['faces'])
    with pytest.raises(AttributeError):  # the reference needs numpy arrays
        reference.TriMesh(key='t', vertices=vertices, faces=[[0, 1, 2]])


def test_missing_arrays_stay_missing(reference):
    # A patch for UPDATE may leave the arrays out; the reference cannot build one.
    assert 'vertices' not in schemas.PointCloud(key='p', size=0.1).serialize()
    assert 'faces' not in schemas.TriMesh(key='t', color='red').serialize()
    with pytest.raises(AttributeError):
        reference.PointCloud(key='p', size=0.1)


@pytest.mark.parametrize('name', ['TriMesh', 'PointCloud'])
def test_integer_colours_are_0_to_255_and_left_unchanged(reference, name):
    colors = np.array([[255, 0, 0], [0, 128, 300]])
    before = colors.copy()
    extra = {'faces': np.array([[0, 1, 0]])} if name == 'TriMesh' else {}
    ours = getattr(schemas, name)(key='c', vertices=np.zeros((2, 3)), colors=colors, **extra)
    assert ours.serialize()['colors'] == bytes([255, 0, 0, 0, 128, 255])
    np.testing.assert_array_equal(colors, before)
    theirs = getattr(reference, name)(key='c', vertices=np.zeros((2, 3)), colors=colors,
                                      **extra)
    assert theirs._serialize()['colors'] != ours.serialize()['colors']  # wrapped
    assert not np.array_equal(colors, before)  # and scaled in place


def test_float_colours_are_clipped_and_left_unchanged():
    colors = np.array([[1.5, -0.2, 0.5]])
    node = schemas.PointCloud(key='c', vertices=np.zeros((1, 3)), colors=colors).serialize()
    assert node['colors'] == bytes([255, 0, 127])
    np.testing.assert_array_equal(colors, [[1.5, -0.2, 0.5]])


# -- the Element base -------------------------------------------------------------------

@pytest.mark.parametrize('children', ['HELLO', ['HELLO'], ('HELLO',)])
def test_children_always_travel_as_a_list(children):
    assert schemas.Text(key='t', children=children).serialize()['children'] == ['HELLO']
    assert schemas.Text('HELLO', key='t').serialize()['children'] == ['HELLO']


def test_children_are_serialized_recursively_and_dicts_kept():
    raw = {'tag': 'Sphere', 'key': 'raw', 'children': []}
    node = schemas.group(schemas.Box(key='box'), raw, key='g').serialize()
    assert node['children'] == [{'tag': 'Box', 'key': 'box'}, raw]


def test_empty_children_are_sent_only_when_given_as_the_full_list():
    assert 'children' not in schemas.group(key='frame').serialize(), \
        'an update without children must not wipe nodes attached to it'
    assert schemas.group(children=[], key='marker').serialize()['children'] == [], \
        "children= replaces the client's children, even with none"


def test_generated_keys_name_the_tag_and_are_unique(reference):
    keys = {schemas.Box().key for _ in range(100)}
    assert len(keys) == 100
    assert all(re.fullmatch(r'Box-\d+', key) for key in keys)
    assert re.fullmatch(r'\d+', reference.Box().key)  # the reference: '<n>'
    assert schemas.MotionControllers().key == 'motionControllers'


def test_numpy_values_paths_and_tuples_become_plain():
    node = schemas.Urdf(key='u', src=Path('/robots/r.urdf'), scale=np.float32(2),
                        position=(np.int64(1), 2.5, np.array(3.0)),
                        jointValues={'j': np.float64(0.5)}).serialize()
    assert node['src'] == '/robots/r.urdf'
    assert node['position'] == [1, 2.5, 3.0]
    assert [type(item) for item in node['position']] == [int, float, float]
    assert type(node['scale']) is float and type(node['jointValues']['j']) is float
    wire(node)  # msgpack takes it as it is


def test_default_props_are_not_shared_between_instances():
    first, second = schemas.MotionControllers(key='a'), schemas.MotionControllers(key='b')
    first.props['eventTypes'].append('select')
    assert second.serialize()['eventTypes'] == ['trigger', 'squeeze']
    assert schemas.Scene(key='s').serialize()['up'] == [0, 1, 0]


def test_default_scene_background():
    node = schemas.DefaultScene(key='scene', bgChildren=schemas.AmbientLight(key='extra'))
    keys = [child['key'] for child in node.serialize()['bgChildren']]
    assert keys == ['grid', 'light-stage', 'gamepad-0', 'hands', 'motion-controllers',
                    'SceneCamera', 'SceneCameraControl', 'CameraPreviewThumbs',
                    'CameraPreviewOverlay', 'extra']
    assert 'grid' not in [child['key'] for child in
                          schemas.DefaultScene(grid=False).serialize()['bgChildren']]


def test_serialize_helpers_accept_elements_and_dicts():
    raw = {'tag': 'Box', 'key': 'raw'}
    assert schemas.serialize(raw) is raw
    assert schemas.serialize_all(raw) == [raw]
    assert schemas.serialize_all(schemas.Box(key='b'))[0]['key'] == 'b'
    assert [node['key'] for node in
            schemas.serialize_all([schemas.Box(key='b'), raw])] == ['b', 'raw']
