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
Image and CompressedImage: raw encodings decoded back, compressed ones checked, bad input.

Raw images are built byte by byte as sensor_msgs/Image lays them out (rows ``step``
bytes apart, either byte order), converted, compressed, and decoded back with Pillow (a
test-only use) to the pixels they hold. Compressed images must reach the client byte for
byte, and every broken one must be refused with the reason.
"""

import asyncio
import io
import math

import numpy as np
from PIL import Image as PilImage
import pytest
from test_display_scene import in_fixed_frame
from test_display_vectors import displays

from vuer_ros.convert import images
from vuer_ros.convert.colormaps import intensity_rainbow
from vuer_ros.displays import BY_MESSAGE_TYPE
from vuer_ros.displays.images import CompressedImageDisplay, ImageDisplay
from vuer_ros.testing import header, Plain
from vuer_ros.validation import validate_node

RNG = np.random.default_rng(9)
RGB = RNG.integers(0, 256, (30, 40, 3), dtype=np.uint8)
PNG_STYLE = images.ImageStyle(encoder='png')


def raw(encoding: str, pixels: np.ndarray, bigendian: bool = False, padding: int = 0,
        frame: str = 'map') -> Plain:
    """sensor_msgs/Image holding ``pixels`` (h x w [x c]) with ``padding`` bytes per row."""
    height, width = pixels.shape[:2]
    order = '>' if bigendian else '<'
    rows = pixels.astype(pixels.dtype.newbyteorder(order)).reshape(height, -1).view(np.uint8)
    step = rows.shape[1] + padding
    data = np.full((height, step), 0xAB, np.uint8)
    data[:, :rows.shape[1]] = rows
    return Plain(header=header(frame), height=height, width=width, encoding=encoding,
                 is_bigendian=int(bigendian), step=step, data=data.tobytes())


def picture_bytes(pixels: np.ndarray, fmt: str) -> bytes:
    out = io.BytesIO()
    PilImage.fromarray(pixels).save(out, fmt)
    return out.getvalue()


def compressed(data: bytes, fmt: str = 'jpeg', frame: str = 'map') -> Plain:
    """sensor_msgs/CompressedImage."""
    return Plain(header=header(frame), format=fmt, data=data)


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(PilImage.open(io.BytesIO(data)))


JPEG = picture_bytes(RGB, 'JPEG')
PNG = picture_bytes(RGB, 'PNG')


# -- raw encodings, decoded back -------------------------------------------------------

@pytest.mark.parametrize('encoding, pixels', [
    ('rgb8', RGB), ('bgr8', RGB[..., ::-1]), ('8UC3', RGB[..., ::-1]),
    ('rgba8', np.dstack([RGB, np.full(RGB.shape[:2], 7, np.uint8)])),
    ('bgra8', np.dstack([RGB[..., ::-1], np.full(RGB.shape[:2], 7, np.uint8)])),
])
@pytest.mark.parametrize('padding', [0, 5])
def test_colour_encodings_decode_back_to_rgb(encoding, pixels, padding):
    picture = images.image_to_picture(raw(encoding, np.ascontiguousarray(pixels),
                                          padding=padding), PNG_STYLE)
    assert (picture.codec, picture.width, picture.height) == ('png', 40, 30)
    np.testing.assert_array_equal(decoded(picture.data), RGB)


@pytest.mark.parametrize('encoding', ['mono8', '8UC1'])
def test_mono8_is_grey(encoding):
    grey = RGB[..., 0]
    picture = images.image_to_picture(raw(encoding, grey, padding=3), PNG_STYLE)
    np.testing.assert_array_equal(decoded(picture.data), grey)


@pytest.mark.parametrize('bigendian', [False, True])
def test_mono16_is_stretched_between_its_min_and_max_in_either_byte_order(bigendian):
    values = np.array([[1000, 2000, 3000]], np.uint16)
    grey = images.image_to_rgb(raw('mono16', values, bigendian=bigendian, padding=2))
    assert grey.tolist() == [[0, 127, 255]]


@pytest.mark.parametrize('encoding, scale', [('16UC1', 1000.0), ('32FC1', 1.0)])
@pytest.mark.parametrize('bigendian', [False, True])
def test_depth_is_coloured_by_rviz_s_rainbow_and_no_depth_is_black(encoding, scale,
                                                                   bigendian):
    metres = np.array([[1.0, 2.0, 3.0, 0.0]])
    if encoding == '32FC1':
        metres = np.array([[1.0, 2.0, 3.0, math.nan]])
    values = (metres * scale).astype('u2' if encoding == '16UC1' else 'f4')
    rgb = images.image_to_rgb(raw(encoding, values, bigendian=bigendian))
    expected = np.round(intensity_rainbow(np.array([0.0, 0.5, 1.0]), 0.0, 1.0) * 255)
    np.testing.assert_allclose(rgb[0, :3], expected, atol=3)   # 256-entry table
    assert rgb[0, 0].tolist() == [255, 0, 0] and rgb[0, 2].tolist() == [255, 0, 255]
    assert rgb[0, 3].tolist() == [0, 0, 0]


def test_depth_range_can_be_fixed():
    style = images.ImageStyle(depth_min=0.0, depth_max=10.0)
    rgb = images.image_to_rgb(raw('32FC1', np.array([[10.0, 20.0, -1.0]], np.float32)), style)
    assert rgb.tolist() == [[[255, 0, 255], [255, 0, 255], [0, 0, 0]]]


def test_large_images_are_shrunk_by_an_integer_stride():
    pixels = RNG.integers(0, 256, (300, 500, 3), dtype=np.uint8)
    style = images.ImageStyle(max_size=200, encoder='png')
    picture = images.image_to_picture(raw('bgr8', pixels, padding=4), style)
    assert (picture.width, picture.height) == (167, 100)              # every 3rd pixel
    np.testing.assert_array_equal(decoded(picture.data), pixels[::3, ::3, ::-1])


def test_jpeg_is_the_default_encoder_and_decodes_close_to_the_input():
    columns, rows = np.meshgrid(np.arange(64) * 4, np.arange(48) * 5)
    smooth = np.dstack([columns, rows, np.full((48, 64), 128)]).astype(np.uint8)
    picture = images.image_to_picture(raw('rgb8', smooth))
    assert picture.codec == 'jpeg' and picture.data.startswith(images.JPEG_START)
    assert np.abs(decoded(picture.data).astype(int) - smooth).mean() < 2


# -- compressed images: checked, never decoded -----------------------------------------

@pytest.mark.parametrize('data, fmt', [(JPEG, 'jpeg'), (PNG, 'png')])
def test_compressed_images_pass_unchanged_with_their_size(data, fmt):
    picture = images.compressed_to_picture(compressed(data, f'rgb8; {fmt} compressed bgr8'))
    assert picture == images.Picture(data, fmt, 40, 30)


def test_progressive_jpeg_size_is_read():
    out = io.BytesIO()
    PilImage.fromarray(RGB).save(out, 'JPEG', progressive=True)
    assert images.compressed_to_picture(compressed(out.getvalue())).width == 40


@pytest.mark.parametrize('data, fmt, error', [
    (b'', 'jpeg', 'neither JPEG nor PNG'),
    (b'GIF89a' + bytes(100), 'jpeg', 'neither JPEG nor PNG'),
    (b'\x00\x00\x00\x0c' + PNG, '16UC1; compressedDepth png', 'compressedDepth'),
    (JPEG[:len(JPEG) // 2], 'jpeg', 'truncated JPEG'),
    (JPEG[:3] + b'\x00' * 40 + b'\xff\xd9', 'jpeg', 'corrupt JPEG'),
    (PNG[:len(PNG) // 2], 'png', 'truncated PNG'),
    (images.PNG_SIGNATURE + bytes(40), 'png', 'corrupt PNG'),
    (picture_bytes(np.zeros((1, 1, 3), np.uint8), 'PNG').replace(
        b'\x00\x00\x00\x01\x00\x00\x00\x01', b'\x00\x00\x00\x00\x00\x00\x00\x01'), 'png',
     'zero-size'),
    (picture_bytes(np.zeros((1, 1, 3), np.uint8), 'PNG').replace(
        b'\x00\x00\x00\x01\x00\x00\x00\x01', b'\x00\x01\x00\x00\x00\x01\x00\x00'), 'png',
     'absurd'),
])
def test_broken_compressed_images_are_refused(data, fmt, error):
    with pytest.raises(images.ImageError, match=error):
        images.compressed_to_picture(compressed(data, fmt))


@pytest.mark.parametrize('change, error', [
    (lambda m: setattr(m, 'encoding', 'yuv422'), "unsupported encoding 'yuv422'"),
    (lambda m: setattr(m, 'data', m.data[:-1]), 'height x step'),
    (lambda m: setattr(m, 'step', 10), 'step 10 is shorter'),
    (lambda m: setattr(m, 'width', 0), 'zero-size'),
    (lambda m: setattr(m, 'height', 0), 'zero-size'),
    (lambda m: setattr(m, 'width', 10 ** 6), 'absurd'),
])
def test_broken_raw_images_are_refused(change, error):
    message = raw('rgb8', RGB)
    change(message)
    with pytest.raises(images.ImageError, match=error):
        images.image_to_picture(message)


# -- the displays against a real Vuer app ------------------------------------------------

def test_image_displays_are_newest_only_on_their_topics_parameters():
    assert BY_MESSAGE_TYPE['sensor_msgs/msg/Image'] is ImageDisplay
    assert BY_MESSAGE_TYPE['sensor_msgs/msg/CompressedImage'] is CompressedImageDisplay
    assert ImageDisplay.newest_only and CompressedImageDisplay.newest_only
    assert ImageDisplay.topics_param().name == 'image_topics'
    assert CompressedImageDisplay.topics_param().name == 'compressed_image_topics'


def test_frame_placement_faces_the_optical_frame_one_metre_ahead():
    app, host, warnings = displays(image_distance=1.0, image_height=0.5)
    host.scene.on_transform('map', 'camera', (0.0, 0.0, 1.0), (0, 0, 0, 1))
    host.show(CompressedImageDisplay, '/camera/compressed').on_message(
        compressed(JPEG, frame='camera'))
    key = 'image:/camera'
    node = app.scene.get(key)
    assert node['tag'] == 'Image' and node['rgb'] == JPEG and not warnings
    assert node['height'] == 0.5 and node['aspect'] == pytest.approx(40 / 30)
    matrix = in_fixed_frame(app, key)
    np.testing.assert_allclose(matrix[:3, 3], (0.0, 0.0, 2.0), atol=1e-9)   # z forward
    # The plane's normal (+Z) points back at the camera, its top (+Y) to optical -y.
    np.testing.assert_allclose(matrix[:3, 2], (0, 0, -1), atol=1e-9)
    np.testing.assert_allclose(matrix[:3, 1], (0, -1, 0), atol=1e-9)
    validate_node(node)


def test_per_topic_placements_put_hud_and_background_in_front_of_the_viewer():
    app, host, warnings = displays(image_placements=['/hud=hud', '/back=background',
                                                     '/typo=sideways', 'no-equals'])
    for topic in ('/hud', '/back', '/typo'):
        host.show(CompressedImageDisplay, topic).on_message(compressed(PNG, 'png'))
    hud = app.scene.get('image:/hud')
    back = app.scene.get('image:/back')
    assert hud['tag'] == back['tag'] == 'ImageBackground'
    assert hud['material'] == {'depthTest': False, 'depthWrite': False}
    assert hud['aspect'] == pytest.approx(40 / 30) and hud['position'][1] < 0   # at the bottom
    assert back['distanceToCamera'] == 50.0 and 'height' not in back
    assert app.scene.get('image:/typo')['tag'] == 'Image'   # the default: frame
    texts = ' '.join(text for _, text in warnings)
    assert "'/typo=sideways' ignored" in texts and "'no-equals' ignored" in texts


def test_per_topic_max_size_overrides_the_default():
    app, host, _ = displays(image_max_size=0, image_max_sizes=['/small=10'],
                            image_encoder='png')
    pixels = RNG.integers(0, 256, (40, 80, 3), dtype=np.uint8)
    for topic in ('/small', '/full'):
        host.show(ImageDisplay, topic).on_message(raw('rgb8', pixels))
    assert decoded(app.scene.get('image:/small')['rgb']).shape == (5, 10, 3)
    assert decoded(app.scene.get('image:/full')['rgb']).shape == (40, 80, 3)


@pytest.mark.parametrize('message', [
    raw('yuv422', RGB), compressed(JPEG[:100]), compressed(b'\xff\xd8\xff'), compressed(b''),
])
def test_bad_images_warn_naming_the_topic_and_send_nothing(message):
    app, host, warnings = displays()
    kind = ImageDisplay if hasattr(message, 'encoding') else CompressedImageDisplay
    host.show(kind, '/camera/bad').on_message(message)
    assert not [key for key in app.scene.keys() if key.startswith('image:')]
    assert len(warnings) == 1 and warnings[0][1].startswith('/camera/bad: ')
    assert warnings[0][1].endswith('; not shown')


async def test_a_slow_conversion_skips_to_the_newest_frame():
    app, host, _ = displays(image_encoder='png')
    host.context.loop = asyncio.get_running_loop()
    display = host.show(ImageDisplay, '/camera/raw')
    frames = [np.full((8, 8, 3), value, np.uint8) for value in (10, 20, 30, 40, 50)]
    sent = []
    display_show = display.show
    display.show = lambda message, picture: (sent.append(picture), display_show(message,
                                                                                picture))
    for pixels in frames:              # all arrive while the first one converts
        display.on_message(raw('rgb8', pixels))
    for _ in range(100):
        if len(sent) == 2 and not display._worker.busy:
            break
        await asyncio.sleep(0.01)
    assert [decoded(picture.data)[0, 0, 0] for picture in sent] == [10, 50]
    assert decoded(app.scene.get('image:/camera/raw')['rgb'])[0, 0, 0] == 50


async def test_a_camera_s_raw_and_compressed_topics_are_one_picture_the_compressed_wins():
    app, host, warnings = displays(image_encoder='png',
                                   image_placements=['/camera/image_raw/compressed=hud'])
    host.context.loop = asyncio.get_running_loop()
    raw_display = host.show(ImageDisplay, '/camera/image_raw')
    compressed_display = host.show(CompressedImageDisplay, '/camera/image_raw/compressed')
    assert raw_display.key == compressed_display.key == 'image:/camera/image_raw'
    assert raw_display.group == compressed_display.group == '/camera/image_raw'
    assert raw_display.placement == compressed_display.placement == 'hud'
    compressed_display.on_message(compressed(JPEG))
    raw_display.on_message(raw('rgb8', RGB))      # not even converted: the JPEG shows
    await asyncio.sleep(0.2)
    assert app.scene.get('image:/camera/image_raw')['src'] == JPEG and not warnings


def test_text_picture_draws_outlined_white_lines_sized_to_the_text():
    """The head-up status: one PNG whose size follows the text, readable on any background."""
    from vuer_ros import client_assets
    font = str(client_assets.static_dir() / client_assets.DEFAULT_FONT)
    short = images.text_picture('teleop OFF', font)
    long = images.text_picture('teleop OFF: inputs not published', font)
    lines = images.text_picture('teleop OFF\nno input\nhands 90/s', font)
    assert short.codec == 'png' and short.data.startswith(images.PNG_SIGNATURE)
    assert long.width > 2 * short.width and long.height == short.height
    assert lines.height - short.height >= 2 * 28, 'two more lines of 28 pixels'
    pixels = np.asarray(PilImage.open(io.BytesIO(short.data)))
    assert pixels.shape == (short.height, short.width, 4)
    white = (pixels[..., :3] == 255).all(axis=-1) & (pixels[..., 3] == 255)
    outline = (pixels[..., :3] == 0).all(axis=-1) & (pixels[..., 3] == 255)
    assert white.sum() > 100 and outline.sum() > 100, 'letters, and their black outline'
    assert 0 < pixels[0, 0, 3] < 255, 'a translucent panel around them'
