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
The displays of one viewer, built from the settings: shared by the node and the benchmark.

The host owns the scene and the per-topic displays; whoever feeds it messages (the ROS
node, or the benchmark replaying messages without transport) gets the same drawing.
"""

import asyncio
from typing import Optional

from vuer_ros import client_assets
from vuer_ros.displays.base import Display, DisplayContext, MeshUrls, Warn
from vuer_ros.displays.frames import FRAME_AXES, FRAME_NAMES, FRAME_TIMEOUT
from vuer_ros.displays.scene import FrameStyle, RosScene, SceneTarget
from vuer_ros.settings import Settings


class DisplayHost:
    """
    The scene and one display per shown topic.

    :param target: the Vuer app (or session) to draw on.
    :param settings: the validated parameters.
    :param loop: the loop displays run on (timers); None before one runs.
    :param meshes: resolves mesh URIs for markers (None: meshes are not drawn).
    :param warn: throttled warnings.
    """

    def __init__(self, target: SceneTarget, settings: Settings, *,
                 loop: Optional[asyncio.AbstractEventLoop] = None,
                 meshes: Optional[MeshUrls] = None,
                 warn: Warn = lambda key, text: None) -> None:
        self.settings = settings
        style = FrameStyle(axes=settings[FRAME_AXES.name], names=settings[FRAME_NAMES.name],
                           timeout=settings[FRAME_TIMEOUT.name],
                           font_url=client_assets.default_font_url())
        self.scene = RosScene(target, settings.fixed_frame, style=style, warn=warn,
                              clock=lambda: self.context.now())
        self.context = DisplayContext(
            scene=self.scene, options=settings.options, loop=loop, warn=warn, meshes=meshes,
            font_url=client_assets.default_font_url(), charset=client_assets.font_charset())
        self.displays: dict[str, Display] = {}

    def start(self) -> None:
        """Put the root, the fixed frame and the configured static frames in the scene."""
        self.scene.start()
        for frame in self.settings.static_frames:
            self.scene.add_static_frame(frame.parent, frame.child, frame.xyz, frame.rpy)

    def show(self, kind: type[Display], topic: str) -> Display:
        """Return the display of ``topic``, creating it on first use."""
        display = self.displays.get(topic)
        if display is None:
            display = self.displays[topic] = kind(topic, self.context)
        return display

    def close(self) -> None:
        """Stop every display's timers."""
        for display in self.displays.values():
            display.close()
