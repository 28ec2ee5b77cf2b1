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
sensor_msgs PointCloud2 and LaserScan to one PointCloud element, as RViz2 colours them.

Decoding is numpy on the raw bytes: the message's ``data`` is viewed as a structured array
whose fields are the PointFields (any offsets, ``point_step``, byte order), one row per
``row_step`` when rows are padded; no Python runs per point. As point_cloud2_display.cpp:
a cloud needs x, y and z fields, and points whose x, y or z is not finite are skipped
(``filterOutInvalidPoints``). RViz2 requires ``data`` to be exactly width x height x
point_step bytes; padded rows (``row_step`` x height bytes) are read here as well.

Colours follow RViz2's colour transformers (rviz_default_plugins/displays/pointcloud/
transformers): RGB8 (an ``rgb`` or ``rgba`` field, packed in 32 bits), Intensity (any
field through the rainbow or between a min and a max colour, bounds computed per message),
AxisColor (the rainbow along X, Y or Z, in the fixed frame by default) and FlatColor. With
``auto`` the choice is RViz2's: RGB8 when the cloud has rgb/rgba, else the best-scored
transformer, Intensity (point_cloud_common.cpp ``updateTransformers``). A transformer
without its field leaves the points white, as RViz2's default point colour
(``transformCloud``): so does a LaserScan without intensities, since laser_geometry then
adds no intensity channel.

On the wire a point is 9 bytes: float16 x, y, z and uint8 r, g, b, what the client's
PointCloud reads (one flat ``color`` when all points share it). Vertices stay in the
message's frame, shifted to their bounding-box centre (the element's ``position``, float32
on the wire like every number: within 0.5 mm up to 8 km), so float16's relative precision
(11 bits) applies to the distance from that centre: an error of at most 4 mm within 16 m,
8 mm within 32 m, 1.6 cm within 64 m. Beyond the point budget the cloud is thinned (every
k-th point, or one point per voxel first) before colouring, so autocomputed bounds are
those of the points drawn. The client's points are opaque squares facing the camera,
``size`` metres wide (RViz2's Flat Squares and Squares look alike from the front); an
alpha of 0 draws nothing, any other is opaque.
"""

from dataclasses import dataclass
import math
from typing import Any, Callable, Optional

import numpy as np

from vuer_ros.convert import geometry
from vuer_ros.convert.colormaps import rainbow
from vuer_ros.convert.markers import POINT_SIZE_PER_METRE
from vuer_ros.convert.transforms import rotate, Transform
from vuer_ros.schemas import PointCloud

#: sensor_msgs/PointField datatype -> numpy type code (byte order added per message).
DATATYPES = {1: 'i1', 2: 'u1', 3: 'i2', 4: 'u2', 5: 'i4', 6: 'u4', 7: 'f4', 8: 'f8'}
#: RViz2's colour transformers, and ``auto``: choose as RViz2 does from the fields.
COLOR_TRANSFORMERS = ('auto', 'RGB8', 'Intensity', 'AxisColor', 'FlatColor')
#: RViz2's point styles the client can draw: camera-facing squares ``size`` metres wide.
STYLES = ('Flat Squares', 'Squares')
#: How a cloud over its point budget is thinned.
DECIMATIONS = ('uniform', 'voxel')
#: More points than this in one message is refused outright (2^28: 4 GiB at 16 bytes each).
MAX_POINTS = 1 << 28
#: The colour of points a transformer cannot colour (point_cloud_common.cpp).
WHITE = (1.0, 1.0, 1.0)
#: AxisColor's range when all points share one value (axis_color_pc_transformer.cpp).
_AXIS_MIN_RANGE = 0.001


class CloudError(ValueError):
    """A message that cannot be drawn; the text says what is wrong with it."""


@dataclass(frozen=True)
class CloudStyle:
    """
    How a cloud is drawn and coloured: RViz2's PointCloud2 display properties.

    Colours are RGB in 0..1. ``axis_to_fixed`` is the transform taking the message's frame
    to the fixed frame, for AxisColor's "Use Fixed Frame"
    (None: colour along the message frame's axis).
    """

    color_transformer: str = 'auto'
    channel_name: str = 'intensity'
    use_rainbow: bool = True
    invert_rainbow: bool = False
    min_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    max_color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    autocompute_intensity_bounds: bool = True
    min_intensity: float = 0.0
    max_intensity: float = 4096.0
    axis: str = 'Z'
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    style: str = 'Flat Squares'
    size: float = 0.01
    alpha: float = 1.0
    max_points: int = 500_000
    decimation: str = 'uniform'
    voxel_size: float = 0.05
    axis_to_fixed: Optional[Transform] = None

    def __post_init__(self) -> None:
        for value, allowed in ((self.color_transformer, COLOR_TRANSFORMERS),
                               (self.style, STYLES), (self.decimation, DECIMATIONS),
                               (self.axis, ('X', 'Y', 'Z'))):
            if value not in allowed:
                raise ValueError(f'{value!r} is not one of {allowed}')


@dataclass
class Points:
    """
    Points to draw, in the message's frame: positions, and how to read their channels.

    ``channel(name)`` returns that field's values for these points as float64 (None when
    the message has no such field); ``rgb`` reads the packed rgb/rgba field (None: none).
    """

    xyz: np.ndarray
    channel: Callable[[str], Optional[np.ndarray]]
    rgb: Callable[[], Optional[np.ndarray]] = lambda: None


@dataclass
class Drawn:
    """The element of one message and what was done to the points on the way."""

    element: Optional[PointCloud]     # None: nothing to draw (no points, or alpha 0)
    received: int                     # points in the message
    valid: int                        # ... with finite x, y, z (and in range, for scans)
    sent: int                         # ... drawn after thinning
    transformer: str                  # the colour transformer used
    note: str = ''                    # a problem with colouring, drawn anyway


# -- PointCloud2 ------------------------------------------------------------------------

def _field_type(field: Any, byte_order: str) -> np.dtype:
    code = DATATYPES.get(int(field.datatype))
    if code is None:
        raise CloudError(f'field {field.name!r} has unknown datatype {field.datatype}')
    return np.dtype(byte_order + code)


def cloud_records(message: Any) -> np.ndarray:
    """
    View a PointCloud2's ``data`` as one structured record per point (no copy if unpadded).

    Every named field with a known datatype becomes a record field (the first element
    when ``count`` > 1). Raises CloudError when the sizes do not add up.
    """
    width, height, step = int(message.width), int(message.height), int(message.point_step)
    row_step = int(message.row_step)
    count = width * height
    data = message.data
    size = len(data)
    if count > MAX_POINTS:
        raise CloudError(f'{width} x {height} points is beyond the {MAX_POINTS} drawn')
    if count and step <= 0:
        raise CloudError(f'point_step is {step} for {count} points')
    packed = size == count * step
    padded = height > 0 and row_step > width * step and size == row_step * height
    if not (packed or padded):
        raise CloudError(
            f'data is {size} bytes; width ({width}) x height ({height}) x point_step '
            f'({step}) is {count * step} and row_step ({row_step}) x height is '
            f'{row_step * height}')
    order = '>' if message.is_bigendian else '<'
    names, formats, offsets = [], [], []
    for field in message.fields:
        name = str(field.name)
        if not name or name in names:
            continue
        kind = _field_type(field, order)
        if int(field.offset) + kind.itemsize > step:
            raise CloudError(f'field {name!r} (offset {field.offset}, {kind.itemsize} bytes) '
                             f'runs past point_step {step}')
        names.append(name)
        formats.append(kind)
        offsets.append(int(field.offset))
    missing = [axis for axis in 'xyz' if axis not in names]
    if missing:
        raise CloudError(f'no {", ".join(missing)} field; fields are {names}')
    try:
        record = np.dtype({'names': names, 'formats': formats, 'offsets': offsets,
                           'itemsize': step})
    except ValueError as error:
        raise CloudError(f'fields do not fit a point: {error}') from None
    raw = np.frombuffer(data, dtype=np.uint8) if size else np.zeros(0, np.uint8)
    if packed or height == 1:
        return np.ndarray((count,), record, raw, 0, (step,))
    rows = np.ndarray((height, width), record, raw, 0, (row_step, step))
    return rows.reshape(-1)   # a copy without the padding


def cloud_points(message: Any) -> tuple[int, Points]:
    """
    Return the number of points of a PointCloud2 and its points with finite x, y, z.

    Raises CloudError for a message RViz2 would not draw (see ``cloud_records``).
    """
    records = cloud_records(message)
    # float64 only for float64 fields: it keeps their precision until the centre is taken.
    wide = any(records.dtype.fields[axis][0].itemsize > 4 for axis in 'xyz')
    # One contiguous row per axis (xyz is its N x 3 view): numpy reduces such rows many
    # times faster than the short rows of an N x 3 array.
    columns = np.empty((3, len(records)), dtype=np.float64 if wide else np.float32)
    for row, axis in enumerate('xyz'):
        columns[row] = records[axis]
    finite = np.isfinite(columns).all(axis=0)
    keep = None if finite.all() else np.flatnonzero(finite)
    xyz = columns.T
    kept = records if keep is None else records[keep]

    def channel(name: str) -> Optional[np.ndarray]:
        if name not in kept.dtype.names:
            return None
        return kept[name].astype(np.float64)

    def rgb() -> Optional[np.ndarray]:
        # RGB8 reads the 32 bits of rgb (or rgba) whatever the field's type says
        # (rgb8_pc_transformer.cpp: INT32, UINT32 or FLOAT32, packed 0x00RRGGBB).
        for name in ('rgb', 'rgba'):
            field = next((f for f in message.fields if f.name == name), None)
            if field is not None and int(field.datatype) in (5, 6, 7):
                order = kept.dtype.fields[name][0].byteorder
                return np.ascontiguousarray(kept[name]).view(
                    np.dtype(('>' if order == '>' else '<') + 'u4'))
        return None

    return len(records), Points(xyz if keep is None else columns[:, keep].T, channel, rgb)


# -- LaserScan ---------------------------------------------------------------------------

def scan_points(message: Any) -> tuple[int, Points]:
    """
    Return the number of ranges of a LaserScan and its points in the scan's plane.

    As laser_geometry's projection RViz2 uses (laser_scan_display.cpp): reading i is at
    angle_min + i x angle_increment, and kept when range_min <= range < range_max (NaN
    and infinities fail that test); ``intensity`` is the matching intensities entry when
    there is one per range (laser_geometry adds the channel only with intensities).
    """
    ranges = np.asarray(message.ranges, dtype=np.float64)
    count = len(ranges)
    if count > MAX_POINTS:
        raise CloudError(f'{count} ranges is beyond the {MAX_POINTS} drawn')
    if not (math.isfinite(message.angle_min) and math.isfinite(message.angle_increment)):
        raise CloudError('angle_min or angle_increment is not finite')
    intensities = np.asarray(message.intensities, dtype=np.float64)
    channel = 'intensity' if len(intensities) == count else None
    with np.errstate(invalid='ignore'):
        keep = np.flatnonzero((ranges >= message.range_min) & (ranges < message.range_max))
    angles = message.angle_min + keep * float(message.angle_increment)
    kept = ranges[keep]
    xyz = np.stack([kept * np.cos(angles), kept * np.sin(angles), np.zeros(len(keep))],
                   axis=-1)
    values = intensities[keep] if channel else None
    return count, Points(xyz, lambda name: values if name == channel else None)


# -- thinning and colour -----------------------------------------------------------------

def thin(xyz: np.ndarray, style: CloudStyle) -> Optional[np.ndarray]:
    """
    Return the indices of the points kept within ``style.max_points`` (None: all of them).

    ``voxel`` keeps the first point of each ``voxel_size`` cube, then every k-th point if
    that is still too many; ``uniform`` keeps every k-th point.
    """
    count, budget = len(xyz), max(1, int(style.max_points))
    if count <= budget:
        return None
    index = np.arange(count)
    if style.decimation == 'voxel' and style.voxel_size > 0:
        # Cubes on the frame's grid, as PCL's VoxelGrid: cell = floor(p / size).
        cells = np.floor(xyz / style.voxel_size).astype(np.int64)
        cells -= cells.min(axis=0)
        span = [int(cells[:, axis].max()) + 1 for axis in range(3)]
        if span[0] * span[1] * span[2] < 1 << 62:   # one int64 key per cell
            flat = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
            first = np.unique(flat, return_index=True)[1]
        else:   # too many cells for one key: compare the rows (slower)
            first = np.unique(cells, axis=0, return_index=True)[1]
        index = np.sort(first)
    if len(index) > budget:
        index = index[::math.ceil(len(index) / budget)]
    return index


#: Steps of the rainbow lookup table: 4096 keeps every colour within one unit of 255.
_RAINBOW_STEPS = 4096
_RAINBOW_BYTES = geometry.rgb_bytes(rainbow(np.linspace(0.0, 1.0, _RAINBOW_STEPS + 1)))


def _rainbow_bytes(values: np.ndarray) -> np.ndarray:
    """RViz2's rainbow of ``values`` in 0..1 (clamped) as uint8 RGB, through a table."""
    steps = np.asarray(values, dtype=np.float32) * _RAINBOW_STEPS
    steps += 0.5   # rounds as the cast truncates; 'clip' clamps (NaN casts to the minimum)
    with np.errstate(invalid='ignore'):
        return _RAINBOW_BYTES.take(steps.astype(np.intp), axis=0, mode='clip')


def _axis_values(xyz: np.ndarray, style: CloudStyle) -> np.ndarray:
    column = 'XYZ'.index(style.axis)
    if style.axis_to_fixed is None:
        return xyz[:, column]
    # Row ``column`` of the rotation matrix is the fixed axis seen in the message frame.
    translation, (x, y, z, w) = style.axis_to_fixed
    row = rotate((-x, -y, -z, w), tuple(float(i == column) for i in range(3)))
    return xyz @ np.asarray(row) + float(translation[column])


def _bounds(finite: np.ndarray, style: CloudStyle) -> tuple[float, float]:
    """Return the intensity bounds: the options', or those of the ``finite`` values."""
    if not style.autocompute_intensity_bounds:
        return style.min_intensity, style.max_intensity
    if not len(finite):
        return 0.0, 0.0
    # intensity_pc_transformer.cpp clamps the computed bounds to +-999999.
    return max(-999999.0, float(finite.min())), min(999999.0, float(finite.max()))


def _intensity_colors(values: np.ndarray, style: CloudStyle) -> np.ndarray:
    """Colour as the Intensity transformer: the rainbow, or min colour to max colour."""
    finite = np.isfinite(values)
    whole = bool(finite.all())
    low, high = _bounds(values if whole else values[finite], style)
    if not whole:
        values = np.where(finite, values, low)   # drawn as the lowest intensity
    # A zero span colours every point alike (intensity_pc_transformer.cpp).
    fraction = (values - low) / ((high - low) or 1e20)
    if style.use_rainbow:
        return _rainbow_bytes(fraction if style.invert_rainbow else 1.0 - fraction)
    t = np.clip(fraction, 0.0, 1.0)[:, None]
    return geometry.rgb_bytes(np.asarray(style.max_color) * t
                              + np.asarray(style.min_color) * (1.0 - t))


def _axis_colors(xyz: np.ndarray, style: CloudStyle) -> np.ndarray:
    """AxisColor: the rainbow from red at the lowest value to magenta at the highest."""
    values = _axis_values(xyz, style)
    low, high = float(values.min()), float(values.max())
    span = (high - low) or _AXIS_MIN_RANGE
    return _rainbow_bytes(1.0 - (values - low) / span)


def _rgb8_colors(packed: np.ndarray) -> np.ndarray:
    """RGB8: bytes 2, 1, 0 of each packed 32-bit value are red, green, blue."""
    out = np.empty((len(packed), 3), dtype=np.uint8)
    out[:, 0] = (packed >> 16) & 0xff
    out[:, 1] = (packed >> 8) & 0xff
    out[:, 2] = packed & 0xff
    return out


def colorize(points: Points, style: CloudStyle) -> tuple[str, Any, str]:
    """
    Colour ``points`` as RViz2's transformer would: (transformer, colours, note).

    Colours are N x 3 uint8, or one RGB tuple in 0..1 for all points. Without the field
    the transformer reads, the points are white as in RViz2; the note says so when the
    transformer was chosen explicitly (``auto`` is as silent as RViz2).
    """
    chosen = style.color_transformer
    packed = points.rgb() if chosen in ('auto', 'RGB8') else None
    silent = chosen == 'auto'
    if silent:
        chosen = 'RGB8' if packed is not None else 'Intensity'
    if chosen == 'RGB8' and packed is not None:
        return chosen, _rgb8_colors(packed), ''
    if chosen == 'Intensity':
        channel = points.channel(style.channel_name)
        if channel is None and style.channel_name == 'intensity':
            channel = points.channel('intensities')   # the second name RViz2 tries
        if channel is not None:
            return chosen, _intensity_colors(channel, style), ''
    if chosen == 'AxisColor':
        return chosen, _axis_colors(points.xyz, style), ''
    if chosen == 'FlatColor':
        return chosen, style.color, ''
    note = '' if silent else (
        f'no {"rgb/rgba" if chosen == "RGB8" else repr(style.channel_name)} field to colour '
        f'by ({chosen}); drawn white, as RViz2 does')
    return chosen, WHITE, note


def points_to_element(count: int, points: Points, key: str, style: CloudStyle) -> Drawn:
    """Thin, colour and pack ``points`` into one PointCloud element named ``key``."""
    valid = len(points.xyz)
    index = thin(points.xyz, style)
    if index is not None:
        whole = points
        points = Points(whole.xyz[index], lambda name: _pick(whole.channel(name), index),
                        lambda: _pick(whole.rgb(), index))
    transformer, colors, note = colorize(points, style) if len(points.xyz) else ('', None, '')
    sent = len(points.xyz)
    if not sent or style.alpha <= 0.0:
        return Drawn(None, count, valid, sent, transformer, note)
    local, center = _centered(points.xyz)
    color_props: dict[str, Any] = ({'colors': colors} if isinstance(colors, np.ndarray)
                                   else {'color': geometry.hex_color(colors)})
    element = PointCloud(key=key, vertices=local, position=center,
                         size=float(style.size) * POINT_SIZE_PER_METRE, **color_props)
    return Drawn(element, count, valid, sent, transformer, note)


def _centered(xyz: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """float16 vertices around the bounding-box centre, and the centre (geometry.centered)."""
    try:
        return geometry.centered(xyz)
    except ValueError as error:
        raise CloudError(str(error)) from None


def _pick(values: Optional[np.ndarray], index: np.ndarray) -> Optional[np.ndarray]:
    return None if values is None else values[index]


def cloud_to_element(message: Any, key: str, style: CloudStyle) -> Drawn:
    """Draw a sensor_msgs/PointCloud2; raises CloudError for one that cannot be drawn."""
    count, points = cloud_points(message)
    return points_to_element(count, points, key, style)


def scan_to_element(message: Any, key: str, style: CloudStyle) -> Drawn:
    """Draw a sensor_msgs/LaserScan; raises CloudError for one that cannot be drawn."""
    count, points = scan_points(message)
    return points_to_element(count, points, key, style)
