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
Write the test robot's meshes: real files in every format a URDF names, each a tiny cube.

``python make_meshes.py`` rewrites ``meshes/`` next to it: a binary STL, an ASCII STL, a
COLLADA file with a PNG texture in a sibling folder, an OBJ with its MTL, a GLB, and a
glTF with its buffer beside it. Every mesh
is a unit cube centred on its origin (scaled in the URDF), so a test knows where each
link's pixels are.
"""

import json
from pathlib import Path
import struct
import zlib

HERE = Path(__file__).resolve().parent
#: The cube's corners and its triangles (counter-clockwise seen from outside).
CORNERS = [(x, y, z) for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
FACES = [(0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5), (0, 4, 5), (0, 5, 1),
         (2, 3, 7), (2, 7, 6), (0, 2, 6), (0, 6, 4), (1, 5, 7), (1, 7, 3)]


def _normal(face: tuple) -> tuple:
    a, b, c = (CORNERS[i] for i in face)
    u = [b[i] - a[i] for i in range(3)]
    v = [c[i] - a[i] for i in range(3)]
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _unit(vector: tuple) -> tuple:
    length = sum(c * c for c in vector) ** 0.5
    return tuple(c / length for c in vector)


def binary_stl() -> bytes:
    """Return a binary STL of the cube."""
    body = b''.join(struct.pack('<12fH', *_normal(f), *(c for i in f for c in CORNERS[i]), 0)
                    for f in FACES)
    return b'vuer_ros test cube'.ljust(80, b' ') + struct.pack('<I', len(FACES)) + body


def ascii_stl() -> str:
    """Return an ASCII STL of the cube."""
    lines = ['solid cube']
    for face in FACES:
        lines += ['facet normal %g %g %g' % _normal(face), 'outer loop']
        lines += ['vertex %g %g %g' % CORNERS[i] for i in face]
        lines += ['endloop', 'endfacet']
    return '\n'.join(lines + ['endsolid cube', ''])


def png(width: int, height: int, pixel) -> bytes:
    """Return a truecolour PNG whose pixel (x, y) is ``pixel(x, y)`` (r, g, b)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    rows = b''.join(b'\0' + bytes(c for x in range(width) for c in pixel(x, y))
                    for y in range(height))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))


def collada(texture: str) -> str:
    """Return a Z_UP COLLADA cube whose every face shows ``texture`` whole."""
    positions = ' '.join('%g %g %g' % corner for corner in CORNERS)
    uvs = '0 0 1 0 1 1 0 1'
    # Each triangle: (vertex, uv) pairs; the two triangles of a face cover the square.
    corners_uv = ((0, 1, 2), (0, 2, 3))
    indices = ' '.join(f'{v} {n} {uv}' for n, face in enumerate(FACES)
                       for v, uv in zip(face, corners_uv[n % 2]))
    normals = ' '.join('%g %g %g' % _unit(_normal(face)) for face in FACES)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1">
  <asset><unit name="meter" meter="1"/><up_axis>Z_UP</up_axis></asset>
  <library_images><image id="tex"><init_from>{texture}</init_from></image></library_images>
  <library_effects><effect id="fx"><profile_COMMON>
    <newparam sid="surf"><surface type="2D"><init_from>tex</init_from></surface></newparam>
    <newparam sid="samp"><sampler2D><source>surf</source></sampler2D></newparam>
    <technique sid="common"><lambert><diffuse><texture texture="samp" texcoord="UV"/>
    </diffuse></lambert></technique>
  </profile_COMMON></effect></library_effects>
  <library_materials><material id="mat"><instance_effect url="#fx"/></material>
  </library_materials>
  <library_geometries><geometry id="cube"><mesh>
    <source id="pos"><float_array id="pos-a" count="24">{positions}</float_array>
      <technique_common><accessor source="#pos-a" count="8" stride="3">
        <param name="X" type="float"/><param name="Y" type="float"/>
        <param name="Z" type="float"/></accessor></technique_common></source>
    <source id="nrm"><float_array id="nrm-a" count="{3 * len(FACES)}">{normals}</float_array>
      <technique_common><accessor source="#nrm-a" count="{len(FACES)}" stride="3">
        <param name="X" type="float"/><param name="Y" type="float"/>
        <param name="Z" type="float"/></accessor></technique_common></source>
    <source id="uv"><float_array id="uv-a" count="8">{uvs}</float_array>
      <technique_common><accessor source="#uv-a" count="4" stride="2">
        <param name="S" type="float"/><param name="T" type="float"/></accessor>
      </technique_common></source>
    <vertices id="verts"><input semantic="POSITION" source="#pos"/></vertices>
    <triangles material="m" count="{len(FACES)}">
      <input semantic="VERTEX" source="#verts" offset="0"/>
      <input semantic="NORMAL" source="#nrm" offset="1"/>
      <input semantic="TEXCOORD" source="#uv" offset="2" set="0"/>
      <p>{indices}</p></triangles>
  </mesh></geometry></library_geometries>
  <library_visual_scenes><visual_scene id="scene"><node id="n">
    <instance_geometry url="#cube"><bind_material><technique_common>
      <instance_material symbol="m" target="#mat">
        <bind_vertex_input semantic="UV" input_semantic="TEXCOORD" input_set="0"/>
      </instance_material></technique_common></bind_material></instance_geometry>
  </node></visual_scene></library_visual_scenes>
  <scene><instance_visual_scene url="#scene"/></scene>
</COLLADA>
"""


def gltf(rgb: tuple, uri: str = '') -> tuple[dict, bytes]:
    """Return a glTF document of the cube in one colour (its material) and its buffer."""
    positions, normals = [], []
    for face in FACES:
        normal = _unit(_normal(face))
        for index in face:
            positions += CORNERS[index]
            normals += normal
    count = len(positions) // 3
    data = struct.pack(f'<{len(positions)}f', *positions) + struct.pack(
        f'<{len(normals)}f', *normals)
    half = len(data) // 2
    document = {
        'asset': {'version': '2.0'}, 'scene': 0, 'scenes': [{'nodes': [0]}],
        'nodes': [{'mesh': 0}],
        'meshes': [{'primitives': [{'attributes': {'POSITION': 0, 'NORMAL': 1},
                                    'material': 0}]}],
        'materials': [{'pbrMetallicRoughness': {'baseColorFactor': [*rgb, 1.0],
                                                'metallicFactor': 0.0,
                                                'roughnessFactor': 1.0}}],
        'accessors': [
            {'bufferView': 0, 'componentType': 5126, 'count': count, 'type': 'VEC3',
             'min': [-0.5, -0.5, -0.5], 'max': [0.5, 0.5, 0.5]},
            {'bufferView': 1, 'componentType': 5126, 'count': count, 'type': 'VEC3'}],
        'bufferViews': [{'buffer': 0, 'byteOffset': 0, 'byteLength': half},
                        {'buffer': 0, 'byteOffset': half, 'byteLength': half}],
        'buffers': [{'byteLength': len(data), **({'uri': uri} if uri else {})}],
    }
    return document, data


def glb(rgb: tuple) -> bytes:
    """Return a binary glTF of the cube in one colour (its own material), with normals."""
    document, data = gltf(rgb)
    text = json.dumps(document, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 4)
    data += b'\0' * (-len(data) % 4)
    chunks = (struct.pack('<I', len(text)) + b'JSON' + text
              + struct.pack('<I', len(data)) + b'BIN\0' + data)
    return b'glTF' + struct.pack('<II', 2, 12 + len(chunks)) + chunks


def wavefront() -> tuple[str, str]:
    """Return an OBJ cube and its MTL (one diffuse colour: magenta)."""
    obj = ['mtllib hand.mtl', 'o hand']
    obj += ['v %g %g %g' % corner for corner in CORNERS]
    obj += ['usemtl magenta']
    obj += ['f %d %d %d' % tuple(i + 1 for i in face) for face in FACES]
    mtl = ['newmtl magenta', 'Ka 0 0 0', 'Kd 1 0 1', 'Ks 0 0 0', 'd 1', 'illum 1']
    return '\n'.join(obj) + '\n', '\n'.join(mtl) + '\n'


def write(folder: Path = HERE / 'meshes') -> None:
    """Write every mesh into ``folder`` (and its texture beside it, in ``textures/``)."""
    (folder / 'visual').mkdir(parents=True, exist_ok=True)
    (folder / 'textures').mkdir(parents=True, exist_ok=True)
    (folder / 'base.stl').write_bytes(binary_stl())
    (folder / 'upper_arm.stl').write_text(ascii_stl())
    # The texture sits in a sibling folder, named relative to the DAE, as exporters do.
    (folder / 'visual' / 'forearm.dae').write_text(collada('../textures/green.png'))
    (folder / 'textures' / 'green.png').write_bytes(
        png(8, 8, lambda x, y: (0, 200, 0) if (x + y) % 2 else (0, 160, 0)))
    (folder / 'camera.glb').write_bytes(glb((1.0, 0.5, 0.0)))
    # A .gltf names its buffer beside it, as exporters write it.
    document, data = gltf((0.5, 0.0, 1.0), 'lidar.bin')
    (folder / 'lidar.gltf').write_text(json.dumps(document, indent=1))
    (folder / 'lidar.bin').write_bytes(data)
    obj, mtl = wavefront()
    (folder / 'hand.obj').write_text(obj)
    (folder / 'hand.mtl').write_text(mtl)


if __name__ == '__main__':
    write()
