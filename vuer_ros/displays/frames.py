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
The frame displays: TF (tf2_msgs/TFMessage) and TransformStamped topics, as RViz2's TF.

Both feed the scene's frame graph (see ``displays.scene``) with each transform at its
header stamp; the scene draws axes (and, if asked, names) at every frame that reaches
the fixed frame, and hides a frame not published for ``frame_timeout`` seconds of receive
time, as RViz2's TF display does, until it is published again. Static frames from the
configuration join them at start, for robots without a /tf_static publisher.
"""

import math
from typing import Any, Mapping

from vuer_ros.displays.base import Alarm, Display, DisplayContext, Param, Qos

USE_TF = Param('use_tf', True, 'Subscribe to the tf_topics (/tf and /tf_static; needs '
               'tf2_msgs).')
STATIC_FRAMES = Param('static_frames', (), 'Static frames: "parent child x y z roll pitch '
                      'yaw" each.')
FRAME_AXES = Param('frame_axes', 0.3, 'Length of the axes drawn at every frame, in metres '
                   '(0: none).', low=0.0, high=100.0)
FRAME_NAMES = Param('frame_names', False, "Show each frame's name below its axes (RViz2's "
                    'Show Names, off by default).')
FRAME_TIMEOUT = Param('frame_timeout', 15.0, 'Seconds without a transform after which a '
                      "frame's axes and name are hidden until it is published again (RViz2's "
                      'Frame Timeout: 15; 0: never; static frames never are).',
                      low=0.0, high=1e6)
FRAME_OPTIONS = (STATIC_FRAMES, FRAME_AXES, FRAME_NAMES, FRAME_TIMEOUT)

#: tf2's own listener QoS for /tf_static: latched, so late joiners get every static frame.
STATIC_QOS = Qos('latched as tf2 publishes it: a viewer started late still gets every '
                 'static frame', reliable=True, transient_local=True)


class StaticFrameError(ValueError):
    """A static_frames entry that can't be read."""


def parse_static_frame(entry: str) -> tuple[str, str, tuple[float, ...], tuple[float, ...]]:
    """Parse ``"parent child x y z roll pitch yaw"`` (metres, radians)."""
    parts = entry.split()
    if len(parts) != 8:
        raise StaticFrameError(f'static_frames entry {entry!r}: want "parent child x y z roll '
                               'pitch yaw"')
    try:
        numbers = [float(part) for part in parts[2:]]
    except ValueError:
        raise StaticFrameError(f'static_frames entry {entry!r}: x y z roll pitch yaw must be '
                               'numbers') from None
    if not all(math.isfinite(number) for number in numbers):
        raise StaticFrameError(f'static_frames entry {entry!r}: values must be finite')
    return parts[0].lstrip('/'), parts[1].lstrip('/'), tuple(numbers[:3]), tuple(numbers[3:])


class TransformDisplay(Display):
    """geometry_msgs/TransformStamped topics: each message is one TF edge."""

    kind = 'transform'
    message_type = 'geometry_msgs/msg/TransformStamped'
    options = FRAME_OPTIONS

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        # Every TF display shares one alarm for the frame timeout.
        self.alarm: Alarm = context.shared.setdefault(
            'frame timeout', Alarm(context, context.scene.hide_stale_frames))

    def on_message(self, message: Any) -> None:
        """Move (or add) the child frame."""
        self.context.scene.on_transform_msg(message)
        self.alarm.at(self.context.scene.next_stale())

    def close(self) -> None:
        """Stop the frame timeout's timer."""
        self.alarm.cancel()


class TfDisplay(TransformDisplay):
    """tf2_msgs/TFMessage on /tf and /tf_static: every transform it carries."""

    kind = 'tf'
    message_type = 'tf2_msgs/msg/TFMessage'
    default_topics = ('/tf', '/tf_static')
    options = (USE_TF, *FRAME_OPTIONS)

    @classmethod
    def enabled(cls, options: Mapping[str, Any]) -> bool:
        """TF topics are shown unless ``use_tf`` is off."""
        return bool(options[USE_TF.name])

    @classmethod
    def qos_for(cls, topic: str) -> Qos:
        """Latched for /tf_static (any namespace), RViz2's default for /tf."""
        return STATIC_QOS if topic.endswith('tf_static') else cls.qos

    def on_message(self, message: Any) -> None:
        """Take every transform of the message."""
        static = self.topic.endswith('tf_static')
        for transform in message.transforms:
            self.context.scene.on_transform_msg(transform, static)
        self.alarm.at(self.context.scene.next_stale())


DISPLAYS = (TransformDisplay, TfDisplay)
