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
The CameraInfo display: sensor_msgs/CameraInfo as RViz2's camera frustum.

RViz2 has a CameraInfo display since Iron (rviz_default_plugins/displays/camera_info, in
Jazzy and Kilted): grey 0.01 m edges from the optical centre to the image corners at the
far clip distance, half transparent, side faces off. Its options and defaults are
RViz2's; like RViz2 it redraws only when the calibration changes, since a camera
publishes the same CameraInfo with every image.
"""

from typing import Any, Optional

from vuer_ros.convert.camera_info import camera_info_to_element, FrustumStyle
from vuer_ros.displays.base import DisplayContext, Param
from vuer_ros.displays.shapes import alpha_param, color_param, option_color, ShapeDisplay
from vuer_ros.schemas import Element

FAR_CLIP = Param('camera_info_far_clip', 1.0, "Distance of the CameraInfo frustum's far "
                 "plane from the optical centre, in metres (RViz2's Far clip).", low=0.001,
                 high=1000.0)
EDGES = Param('camera_info_edges', True, 'Draw the edges of the CameraInfo frustum.')
SIDE_POLYGONS = Param('camera_info_side_polygons', False, 'Fill the four sides of the '
                      'CameraInfo frustum (RViz2: Show polygons with Not show side polygons '
                      'off).')
COLOR = color_param('camera_info_color', '85; 255; 255', 'CameraInfo frustum sides')
EDGE_COLOR = color_param('camera_info_edge_color', '125; 125; 125', 'CameraInfo frustum edges')
ALPHA = alpha_param('camera_info_alpha', 0.5, 'CameraInfo frustum edges and sides')


def _calibration(message: Any) -> tuple:
    """Return what the drawing depends on (RViz2's isSameCameraInfo: the same but binning)."""
    roi = message.roi
    return (message.header.frame_id, message.width, message.height, message.binning_x,
            message.binning_y, roi.x_offset, roi.y_offset, roi.width, roi.height,
            tuple(message.p))


class CameraInfoDisplay(ShapeDisplay):
    """sensor_msgs/CameraInfo: the frustum of the newest calibration."""

    kind = 'camera_info'
    message_type = 'sensor_msgs/msg/CameraInfo'
    options = (FAR_CLIP, EDGES, SIDE_POLYGONS, COLOR, EDGE_COLOR, ALPHA)
    color, alpha = COLOR, ALPHA
    # RViz2 clears its shapes before it checks P (createCameraInfoShapes).
    clear_on_error = True
    # Drawn again only when the calibration changes: it follows its frame meanwhile.
    at_stamp = False

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        options = context.options
        self.style = FrustumStyle(
            far_clip=options[FAR_CLIP.name], edges=options[EDGES.name],
            side_polygons=options[SIDE_POLYGONS.name], color=self.rgba[:3],
            edge_color=option_color(context, EDGE_COLOR), alpha=self.rgba[3])
        self._shown: Optional[tuple] = None

    def element(self, message: Any, key: str) -> Element:
        """Draw the frustum."""
        return camera_info_to_element(message, key, self.style)

    def on_message(self, message: Any) -> None:
        """Draw the frustum when the calibration differs from the one shown."""
        calibration = _calibration(message)
        if calibration != self._shown:
            self._shown = calibration if self.show(message) else None


DISPLAYS = (CameraInfoDisplay,)
