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
The Image and CompressedImage displays: a camera's picture in the scene, on a HUD, or behind.

Each topic is shown one of three ways, chosen per topic (``image_placements``, else
``image_placement``): ``frame``, a plane ``image_distance`` metres in front of the camera's
optical frame (z forward, x right, y down), placed at the image's stamp; ``hud``, a panel
at the bottom of the viewer's view that follows the camera or headset; ``background``,
the whole view behind the scene, for pass-through style teleoperation. A JPEG or PNG
CompressedImage goes to the browser as it is; a raw Image is converted with numpy and
compressed (``convert.images``) on a worker thread, one frame at a time: frames arriving
meanwhile replace each other, so a slow conversion skips frames instead of lagging.
``topic_rates`` caps each topic's rate as for every newest-only display.
"""

import math
from typing import Any, Callable, Optional

from vuer_ros.convert.images import (compressed_to_picture, image_to_picture, ImageError,
                                     ImageStyle, Picture)
from vuer_ros.convert.markers import CAMERA_FOV_DEGREES
from vuer_ros.displays.base import Display, DisplayContext, Param, Worker
from vuer_ros.schemas import Element, Image, ImageBackground

PLACEMENTS = ('frame', 'hud', 'background')
#: image_transport publishes a camera's ``T`` compressed on ``T/compressed``.
COMPRESSED_SUFFIX = '/compressed'
#: Seconds a raw topic stays quiet after its ``/compressed`` sibling showed a picture.
SIBLING_QUIET = 1.0
#: Metres from the viewer to the background picture: beyond what is usually looked at, so
#: the scene is drawn in front of it (it writes no depth, so nothing behind it is lost).
BACKGROUND_DISTANCE = 50.0
#: Metres from the viewer to the head-up panel (drawn over everything, so only its
#: angular size matters).
HUD_DISTANCE = 1.0
#: Gap between the head-up panel and the bottom of the view, as a fraction of the view.
HUD_MARGIN = 0.03
#: Turns the Image plane (facing +Z, top +Y) to face back at an optical frame's origin
#: with the picture's top towards -y (up in the optical frame).
FACING_CAMERA = [math.pi, 0.0, 0.0]

IMAGE_PLACEMENT = Param('image_placement', 'frame', 'Where images are shown: frame (a plane '
                        'in front of the camera frame), hud (a panel in front of the viewer) '
                        'or background (the whole view).', choices=PLACEMENTS)
IMAGE_PLACEMENTS = Param('image_placements', (), 'Per-topic overrides of image_placement: '
                         '"TOPIC=frame|hud|background" each.')
IMAGE_DISTANCE = Param('image_distance', 1.0, 'Metres from the optical frame to the image '
                       'plane (placement frame).', low=0.001, high=1000.0)
IMAGE_HEIGHT = Param('image_height', 0.5, 'Height of the image plane in metres (placement '
                     'frame); its width follows the picture.', low=0.001, high=1000.0)
IMAGE_HUD_SIZE = Param('image_hud_size', 0.3, 'Height of the head-up panel as a fraction of '
                       "the view's height (placement hud).", low=0.01, high=1.0)
IMAGE_MAX_SIZE = Param('image_max_size', 1024, 'Longest side, in pixels, a raw image is sent '
                       'with; larger ones are shrunk by an integer stride (0: no limit). '
                       'Compressed images are sent as they are.', low=0, high=16384)
IMAGE_MAX_SIZES = Param('image_max_sizes', (), 'Per-topic overrides of image_max_size: '
                        '"TOPIC=PIXELS" each.')
IMAGE_ENCODER = Param('image_encoder', 'jpeg', 'How raw images are compressed: jpeg (Pillow, '
                      'fast and small) or png (lossless, larger; also used without Pillow).',
                      choices=('jpeg', 'png'))
IMAGE_JPEG_QUALITY = Param('image_jpeg_quality', 90, 'JPEG quality of raw images (1-100).',
                           low=1, high=100)
IMAGE_DEPTH_MIN = Param('image_depth_min', 0.0, 'Depth (metres) drawn red in 16UC1 / 32FC1 '
                        "images; equal to image_depth_max: each image's own range.",
                        low=0.0, high=1e6)
IMAGE_DEPTH_MAX = Param('image_depth_max', 0.0, 'Depth (metres) drawn magenta in 16UC1 / '
                        '32FC1 images.', low=0.0, high=1e6)
OPTIONS = (IMAGE_PLACEMENT, IMAGE_PLACEMENTS, IMAGE_DISTANCE, IMAGE_HEIGHT, IMAGE_HUD_SIZE,
           IMAGE_MAX_SIZE, IMAGE_MAX_SIZES, IMAGE_ENCODER, IMAGE_JPEG_QUALITY, IMAGE_DEPTH_MIN,
           IMAGE_DEPTH_MAX)


def per_topic(context: DisplayContext, param: Param, topic: str,
              parse: Callable[[str], Any]) -> dict[str, Any]:
    """
    Read a ``"TOPIC=VALUE"`` list parameter (as ``topic_rates``): topic -> parsed value.

    A malformed entry is left out with a warning naming it, so one typo does not stop
    the other topics.
    """
    values = {}
    for entry in context.options[param.name]:
        name, sep, text = entry.rpartition('=')
        try:
            if not sep or not name.strip():
                raise ValueError('want "TOPIC=VALUE"')
            values[name.strip()] = parse(text.strip())
        except ValueError as error:
            context.warn(f'{param.name}:{entry}', f'{param.name} entry {entry!r} ignored: '
                                                  f'{error}')
    return values


def _placement(text: str) -> str:
    if text not in PLACEMENTS:
        raise ValueError(f'placement must be one of {", ".join(PLACEMENTS)}')
    return text


def _pixels(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 16384:
        raise ValueError('size must be 0..16384 pixels')
    return value


class ImageDisplay(Display):
    """
    sensor_msgs/Image: converted with numpy, compressed off the loop, newest frame wins.

    A camera's raw topic ``T`` and its image_transport sibling ``T/compressed`` (both found
    by auto_topics) are one picture, ``image:T``: while the compressed one delivers, the
    raw one is not converted at all (the JPEG costs the bridge nothing).
    """

    kind = 'image'
    message_type = 'sensor_msgs/msg/Image'
    options = OPTIONS
    newest_only = True

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        options = context.options
        self.camera = self.camera_topic(topic)
        self.key = f'image:{self.camera}'
        # Either name of a camera places it: its two topics draw the same picture.
        placements = per_topic(context, IMAGE_PLACEMENTS, topic, _placement)
        self.placement = next((placements[name] for name in (
            topic, self.camera, self.camera + COMPRESSED_SUFFIX) if name in placements),
            options[IMAGE_PLACEMENT.name])
        max_size = per_topic(context, IMAGE_MAX_SIZES, topic, _pixels).get(
            topic, options[IMAGE_MAX_SIZE.name])
        #: when the camera's compressed topic last showed a picture (loop seconds)
        self.shown_compressed = context.shared.setdefault(('camera', self.camera),
                                                          {'at': -math.inf})
        self.style = ImageStyle(
            max_size=max_size, encoder=options[IMAGE_ENCODER.name],
            jpeg_quality=options[IMAGE_JPEG_QUALITY.name],
            depth_min=options[IMAGE_DEPTH_MIN.name], depth_max=options[IMAGE_DEPTH_MAX.name])
        self._worker = Worker(context, self._next)
        self._waiting: Optional[Any] = None

    @staticmethod
    def camera_topic(topic: str) -> str:
        """Return the camera's raw topic: the picture both its topics show."""
        return topic

    @property
    def group(self) -> str:
        """One scene-tree entry per camera, whichever of its topics shows it."""
        return self.camera

    def convert(self, message: Any) -> Picture:
        """Turn one message into picture bytes (runs on a worker thread)."""
        return image_to_picture(message, self.style)

    def on_message(self, message: Any) -> None:
        """Convert the frame, or keep it as the next one while another converts."""
        if self.context.now() - self.shown_compressed['at'] < SIBLING_QUIET:
            return                      # the compressed sibling shows this camera
        if self._worker.busy:
            self._waiting = message     # a newer frame replaces the one waiting
            return
        self._worker.run(lambda: self.convert(message),
                         lambda picture: self.show(message, picture), self._refuse)

    def _next(self) -> None:
        message, self._waiting = self._waiting, None
        if message is not None:
            self.on_message(message)

    def _refuse(self, error: ValueError) -> None:
        self.context.warn(f'{self.key}:error', f'{self.topic}: {error}; not shown')

    def show(self, message: Any, picture: Picture) -> None:
        """Draw the picture where this topic's placement puts it."""
        if self.placement == 'frame':
            self.context.scene.draw(self.group, self.key, message.header.frame_id,
                                    self.in_frame(picture), stamp=message.header.stamp)
        else:
            self.context.scene.target.upsert(self.on_view(picture), to=None)

    def in_frame(self, picture: Picture) -> Element:
        """Return a plane facing the optical frame's origin, ``image_distance`` in front of it."""
        options = self.context.options
        return Image(key=self.key, rgb=picture.data, height=options[IMAGE_HEIGHT.name],
                     aspect=picture.aspect, position=[0.0, 0.0, options[IMAGE_DISTANCE.name]],
                     rotation=FACING_CAMERA, interpolate=True, side=2)

    def on_view(self, picture: Picture) -> Element:
        """
        Return the picture that follows the viewer's camera: background or head-up panel.

        The client keeps it in front of the camera (its ImagePlane); both write no depth,
        and the panel is drawn over everything (no depth test).
        """
        if self.placement == 'background':
            return ImageBackground(key=self.key, src=picture.data,
                                   distanceToCamera=BACKGROUND_DISTANCE, interpolate=True,
                                   material={'depthWrite': False})
        return head_up_panel(self.key, picture, self.context.options[IMAGE_HUD_SIZE.name],
                             at_top=False)

    def close(self) -> None:
        """Drop a conversion still running."""
        self._worker.close()


def head_up_panel(key: str, picture: Picture, size: float, at_top: bool) -> ImageBackground:
    """
    Return a picture kept in front of the camera or headset, at the top or bottom of view.

    ``size`` is its height as a fraction of the view's. It is drawn over everything (no
    depth test) and writes no depth.
    """
    view = 2.0 * HUD_DISTANCE * math.tan(math.radians(CAMERA_FOV_DEGREES) / 2.0)
    height = view * size
    edge = view / 2.0 - height / 2.0 - view * HUD_MARGIN
    return ImageBackground(key=key, src=picture.data, distanceToCamera=HUD_DISTANCE,
                           height=height, aspect=picture.aspect,
                           position=[0.0, edge if at_top else -edge, 0.0], interpolate=True,
                           material={'depthTest': False, 'depthWrite': False})


class CompressedImageDisplay(ImageDisplay):
    """sensor_msgs/CompressedImage: JPEG or PNG checked and sent as it is, never decoded."""

    kind = 'compressed_image'
    message_type = 'sensor_msgs/msg/CompressedImage'

    @staticmethod
    def camera_topic(topic: str) -> str:
        """Return ``T`` for image_transport's ``T/compressed``."""
        return topic.removesuffix(COMPRESSED_SUFFIX) or topic

    def on_message(self, message: Any) -> None:
        """Check the picture's header and show it (no conversion: on the loop)."""
        try:
            picture = compressed_to_picture(message)
        except ImageError as error:
            self._refuse(error)
            return
        self.shown_compressed['at'] = self.context.now()
        self.show(message, picture)


DISPLAYS = (ImageDisplay, CompressedImageDisplay)
