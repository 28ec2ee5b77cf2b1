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
sensor_msgs/Image and CompressedImage to picture bytes the browser decodes itself.

A CompressedImage's JPEG or PNG is passed on as it is: only its magic bytes and its
header are read, to refuse what the browser could not decode (a truncated or corrupt
file, compressedDepth's private header, a zero or absurd size). A raw Image is read with
numpy straight from its bytes (``step`` and ``is_bigendian`` honoured), shrunk by an
integer stride beyond the size limit, turned into 8-bit RGB or grey as RViz2's Image
display shows it, and compressed: JPEG through Pillow (measured 1 ms and 59 KiB for a
640 x 480 rgb8 frame, against 23-56 ms and 530-840 KiB for PNG from Pillow or from
numpy and zlib), PNG from numpy and zlib where Pillow is missing. Depth images
(16UC1 in millimetres, 32FC1 in metres) are coloured by RViz2's rainbow, with pixels
that hold no depth (0, NaN, inf) black. No rclpy import: messages are read by attribute.
"""

from dataclasses import dataclass
import functools
import io
import struct
from typing import Any, Optional
import zlib

import numpy as np

from vuer_ros.convert.colormaps import intensity_rainbow

try:
    from PIL import Image as PilImage
except ImportError:  # pragma: no cover - Pillow is python3-pil on every ROS install
    PilImage = None

#: Longest side accepted at all, in pixels: larger headers are corrupt or absurd.
MAX_SIDE = 16384
#: Most pixels accepted in one image (a 8K x 8K frame).
MAX_PIXELS = 8192 * 8192

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'
JPEG_START = b'\xff\xd8\xff'
_JPEG_END = b'\xff\xd9'
#: JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they hold
#: the picture's size.
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB,
                          0xCD, 0xCE, 0xCF})

#: encoding -> (numpy type, channels), as sensor_msgs/image_encodings.hpp names them.
ENCODINGS: dict[str, tuple[str, int]] = {
    'rgb8': ('u1', 3), 'bgr8': ('u1', 3), 'rgba8': ('u1', 4), 'bgra8': ('u1', 4),
    'mono8': ('u1', 1), '8UC1': ('u1', 1), '8UC3': ('u1', 3),
    'mono16': ('u2', 1), '16UC1': ('u2', 1), '32FC1': ('f4', 1),
}
#: Encodings whose values are distances (16UC1 millimetres, 32FC1 metres): coloured.
DEPTH_SCALE = {'16UC1': 0.001, '32FC1': 1.0}
#: RGB order of each colour encoding's channels (cv_bridge reads 8UC3 as bgr8).
_CHANNEL_ORDER = {'rgb8': [0, 1, 2], 'rgba8': [0, 1, 2], 'bgr8': [2, 1, 0],
                  'bgra8': [2, 1, 0], '8UC3': [2, 1, 0]}
#: RViz2's rainbow sampled once: near (low) red through to far (high) magenta.
_DEPTH_LUT = np.round(intensity_rainbow(np.linspace(0.0, 1.0, 256), 0.0, 1.0) * 255
                      ).astype(np.uint8)


class ImageError(ValueError):
    """An image that can't be shown; the message says why."""


@dataclass(frozen=True)
class Picture:
    """Encoded picture bytes the browser decodes, and their size in pixels."""

    data: bytes
    codec: str             # 'jpeg' or 'png'
    width: int
    height: int

    @property
    def aspect(self) -> float:
        """Width over height."""
        return self.width / self.height


@dataclass(frozen=True)
class ImageStyle:
    """How raw images are turned into pictures."""

    max_size: int = 1024            # longest side sent, in pixels (larger: shrunk)
    encoder: str = 'jpeg'           # 'jpeg' (Pillow) or 'png'
    jpeg_quality: int = 90
    depth_min: float = 0.0          # metres drawn red; min == max: each image's range
    depth_max: float = 0.0          # metres drawn magenta


def _check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f'zero-size image ({width} x {height})')
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageError(f'absurd image size {width} x {height} (at most {MAX_SIDE} a side '
                         f'and {MAX_PIXELS} pixels)')


# -- compressed images: checked, never decoded ----------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 33 or data[12:16] != b'IHDR':
        raise ImageError('corrupt PNG: no IHDR header')
    if not data.rstrip(b'\x00').endswith(_PNG_END):
        raise ImageError('truncated PNG: no IEND chunk at its end')
    return struct.unpack('>II', data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG's segments to its start-of-frame, which holds the size."""
    if _JPEG_END not in data[-64:]:
        raise ImageError('truncated JPEG: no end-of-image marker')
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise ImageError(f'corrupt JPEG: no segment marker at byte {at}')
        marker = data[at + 1]
        if marker == 0xFF:          # fill byte
            at += 1
            continue
        length = struct.unpack('>H', data[at + 2:at + 4])[0]
        if marker in _SOF_MARKERS:
            if at + 9 > len(data):
                break
            height, width = struct.unpack('>HH', data[at + 5:at + 9])
            return width, height
        if marker == 0xDA or length < 2:   # image data before any frame header
            break
        at += 2 + length
    raise ImageError('corrupt JPEG: no frame header before the image data')


def compressed_to_picture(msg: object) -> Picture:
    """
    Check a sensor_msgs/CompressedImage and return it as it is, for the browser to decode.

    The magic bytes decide (``format`` may say "rgb8; jpeg compressed bgr8"); a
    ``compressedDepth`` PNG starts with a private 12-byte header, so it is refused.
    """
    data = bytes(msg.data)
    if data.startswith(JPEG_START):
        kind, (width, height) = 'jpeg', _jpeg_size(data)
    elif data.startswith(PNG_SIGNATURE):
        kind, (width, height) = 'png', _png_size(data)
    else:
        depth = ' (compressedDepth is not supported)' if 'compressedDepth' in msg.format else ''
        raise ImageError(f'format {msg.format!r}: data is neither JPEG nor PNG '
                         f'(starts {data[:4].hex() or "empty"}){depth}')
    _check_size(width, height)
    return Picture(data, kind, width, height)


# -- raw images: numpy, then JPEG or PNG ------------------------------------------------

def image_pixels(msg: object, max_size: int = 0) -> np.ndarray:
    """
    Return a sensor_msgs/Image's pixels (height x width x channels), shrunk past ``max_size``.

    Read in place from ``data``: rows ``step`` bytes apart, multi-byte values in the
    message's byte order. The shrink takes every n-th pixel (n the smallest integer that
    brings the longest side within ``max_size``; 0: no limit) before any conversion.
    """
    encoding = msg.encoding
    if encoding not in ENCODINGS:
        raise ImageError(f'unsupported encoding {encoding!r} (shown: '
                         f'{", ".join(ENCODINGS)})')
    width, height, step = msg.width, msg.height, msg.step
    _check_size(width, height)
    code, channels = ENCODINGS[encoding]
    dtype = np.dtype(('>' if msg.is_bigendian else '<') + code)
    row = width * channels * dtype.itemsize
    if step < row:
        raise ImageError(f'step {step} is shorter than a row of {width} {encoding} pixels '
                         f'({row} bytes)')
    if len(msg.data) != step * height:
        raise ImageError(f'data holds {len(msg.data)} bytes, height x step is '
                         f'{height} x {step} = {height * step}')
    rows = np.frombuffer(msg.data, np.uint8).reshape(height, step)[:, :row]
    stride = -(-max(width, height) // max_size) if max_size else 1
    if stride > 1:
        rows = rows[::stride].reshape(-1, width, channels * dtype.itemsize)[:, ::stride]
    return np.ascontiguousarray(rows).view(dtype).reshape(rows.shape[0], -1, channels)


def _depth_colours(depth: np.ndarray, style: ImageStyle) -> np.ndarray:
    """Colour distances by RViz2's rainbow (near red); no depth (0, NaN, inf) is black."""
    valid = np.isfinite(depth) & (depth > 0)
    low, high = style.depth_min, style.depth_max
    if low == high:
        if not valid.any():
            return np.zeros(depth.shape + (3,), np.uint8)
        low, high = float(depth[valid].min()), float(depth[valid].max())
    span = (high - low) or 1.0
    scaled = np.clip((np.where(valid, depth, low) - low) * (255.0 / span), 0, 255)
    rgb = _DEPTH_LUT[scaled.astype(np.uint8)]
    rgb[~valid] = 0
    return rgb


def _normalized_grey(values: np.ndarray) -> np.ndarray:
    """Stretch 16-bit grey to 8 bits between its min and max (RViz2's Normalize Range)."""
    low, high = int(values.min()), int(values.max())
    span = (high - low) or 1
    return ((values.astype(np.float32) - low) * (255.0 / span)).astype(np.uint8)


def image_to_rgb(msg: object, style: ImageStyle = ImageStyle()) -> np.ndarray:
    """Return a raw Image as 8-bit RGB (h x w x 3) or grey (h x w), as it is shown."""
    pixels = image_pixels(msg, style.max_size)
    encoding = msg.encoding
    if encoding in DEPTH_SCALE:
        return _depth_colours(pixels[..., 0].astype(np.float32) * DEPTH_SCALE[encoding], style)
    if encoding == 'mono16':
        return _normalized_grey(pixels[..., 0])
    if pixels.shape[2] == 1:
        return pixels[..., 0]
    return pixels[..., _CHANNEL_ORDER[encoding]]


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack('>I', len(body)) + tag + body + struct.pack('>I', zlib.crc32(tag + body))


def png_bytes(pixels: np.ndarray, palette: Optional[np.ndarray] = None, level: int = 1) -> bytes:
    """
    Encode 8-bit pixels as PNG with numpy and zlib alone (no filter, zlib ``level``).

    ``pixels`` is h x w (grey, or palette indices when ``palette`` (256 x 4 RGBA) is
    given) or h x w x 3 / 4 (RGB / RGBA). Level 1 measured fastest for the same size.
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    colour_type = 3 if palette is not None else {1: 0, 3: 2, 4: 6}[channels]
    scanlines = np.zeros((height, width * channels + 1), np.uint8)   # filter byte 0: none
    scanlines[:, 1:] = pixels.reshape(height, -1)
    chunks = [_png_chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, colour_type,
                                              0, 0, 0))]
    if palette is not None:
        chunks.append(_png_chunk(b'PLTE', np.ascontiguousarray(palette[:, :3]).tobytes()))
        chunks.append(_png_chunk(b'tRNS', np.ascontiguousarray(palette[:, 3]).tobytes()))
    chunks.append(_png_chunk(b'IDAT', zlib.compress(scanlines.tobytes(), level)))
    chunks.append(_png_chunk(b'IEND', b''))
    return PNG_SIGNATURE + b''.join(chunks)


def encode(pixels: np.ndarray, style: ImageStyle = ImageStyle()) -> Picture:
    """Compress RGB or grey pixels: JPEG through Pillow when chosen and installed, else PNG."""
    height, width = pixels.shape[:2]
    if style.encoder == 'jpeg' and PilImage is not None:
        out = io.BytesIO()
        PilImage.fromarray(np.ascontiguousarray(pixels)).save(
            out, 'JPEG', quality=style.jpeg_quality)
        return Picture(out.getvalue(), 'jpeg', width, height)
    return Picture(png_bytes(pixels), 'png', width, height)


@functools.lru_cache(maxsize=4)
def _font(path: str, pixels: int) -> Any:
    """Load a TrueType font once: it takes 100 ms, drawing with it a few."""
    from PIL import ImageFont

    return ImageFont.truetype(path, pixels)


def text_picture(text: str, font_path: str, line_pixels: int = 28) -> Picture:
    """
    Draw lines of text as a PNG: white letters outlined in black on a translucent panel.

    For head-up panels: the client can keep a picture in front of the camera or headset,
    but not a text element, and the outline keeps it readable on any background.
    """
    from PIL import ImageDraw

    font = _font(font_path, line_pixels)
    stroke, pad = max(1, line_pixels // 12), line_pixels // 2
    measure = ImageDraw.Draw(PilImage.new('L', (1, 1)))
    left, top, right, bottom = measure.multiline_textbbox((0, 0), text, font=font,
                                                          stroke_width=stroke)
    size = (right - left + 2 * pad, bottom - top + 2 * pad)
    panel = PilImage.new('RGBA', size, (0, 0, 0, 110))
    ImageDraw.Draw(panel).multiline_text((pad - left, pad - top), text, font=font,
                                         fill=(255, 255, 255, 255), stroke_width=stroke,
                                         stroke_fill=(0, 0, 0, 255))
    out = io.BytesIO()
    panel.save(out, 'PNG', compress_level=1)
    return Picture(out.getvalue(), 'png', size[0], size[1])


def image_to_picture(msg: object, style: ImageStyle = ImageStyle()) -> Picture:
    """Convert and compress one sensor_msgs/Image (numpy, then JPEG or PNG)."""
    return encode(image_to_rgb(msg, style), style)
