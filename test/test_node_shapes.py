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
PointStamped, PolygonStamped, GridCells, Range and CameraInfo through the running node.

Real rclpy publishers send the messages RViz2's display tests publish; the node draws them
and a websocket peer receives what the browser client would.
"""

import asyncio
import math

from conftest import require_ros
import pytest

rclpy = require_ros()

from geometry_msgs.msg import PointStamped, PolygonStamped, TransformStamped  # noqa: E402,I100
from msg_factory import to_real  # noqa: E402
from nav_msgs.msg import GridCells  # noqa: E402
from sensor_msgs.msg import CameraInfo, Range  # noqa: E402
from test_bridge_node import running_bridge  # noqa: E402
from test_display_shapes import (camera_info, grid_cells, point_stamped,  # noqa: E402
                                 polygon_stamped, range_msg, TYPES)

pytestmark = pytest.mark.ros

#: Where the frames of RViz2's test publishers are put in the fixed frame 'map'.
FRAMES = {'point_frame': 1.0, 'grid_cells_frame': 2.0, 'range_frame': 3.0,
          'camera_info_frame': 4.0}
TOPICS = {'point_topics': ['/test/point'], 'polygon_topics': ['/test/polygon'],
          'grid_cells_topics': ['/test/grid_cells'], 'range_topics': ['/test/range'],
          'camera_info_topics': ['/test/camera_info']}


def frame_at(child: str, x: float) -> TransformStamped:
    transform = TransformStamped()
    transform.header.frame_id = 'map'
    transform.child_frame_id = child
    transform.transform.translation.x = x
    transform.transform.rotation.w = 1.0
    return transform


async def test_each_type_arrives_drawn_in_its_frame(ros_context):
    async with running_bridge(ros_context, **TOPICS) as rig:
        client = await rig.client()
        for child, x in FRAMES.items():
            await rig.publish(TransformStamped, '/test/transforms', frame_at(child, x))
        for x in (0.0, 3.0, -3.0):   # point_stamped_publisher.hpp:58-60
            await rig.publish(PointStamped, '/test/point',
                              to_real(point_stamped(x), TYPES['point']))
        await rig.publish(PolygonStamped, '/test/polygon', to_real(
            polygon_stamped([(0, 0, 0), (1, 0, 0), (1, 1, 0)]), TYPES['polygon']))
        await rig.publish(GridCells, '/test/grid_cells',
                          to_real(grid_cells(), TYPES['grid_cells']))
        await rig.publish(Range, '/test/range', to_real(range_msg(), TYPES['range']))
        await rig.publish(CameraInfo, '/test/camera_info',
                          to_real(camera_info(), TYPES['camera_info']))
        keys = {'polygon:/test/polygon/line', 'grid_cells:/test/grid_cells/tiles',
                'range:/test/range:0/cone', 'camera_info:/test/camera_info/line'}
        view = await client.wait_for(
            lambda frames: keys <= set(client.upserted()) and client.upserted()
            and client.upserted()['point:/test/point:0']['position'] == [-3.0, 0.0, 0.0]
            and client.upserted(), timeout=10)
        parents = client.parents()
        # Each topic is a group with a group per frame it draws in, placed by TF.
        assert parents['point:/test/point:0'] == '/test/point@point_frame'
        assert view['/test/point@point_frame']['position'] == [1.0, 0.0, 0.0]
        assert view['point:/test/point:0']['scale'] == pytest.approx([0.2, 0.2, 0.2])
        assert parents['grid_cells:/test/grid_cells'] == '/test/grid_cells@grid_cells_frame'
        assert view['grid_cells:/test/grid_cells/tiles']['color'] == '#19ff00'
        assert view['polygon:/test/polygon/line']['points'][-1] == [0.0, 0.0, 0.0]
        # The range cone is frozen in the fixed frame where the sensor was (x = 3).
        assert parents['range:/test/range:0'] == '/test/range@map'
        assert view['range:/test/range:0']['position'] == [3.0, 0.0, 0.0]
        assert view['range:/test/range:0/cone']['scale'] == pytest.approx([6, 3, 6])
        assert parents['camera_info:/test/camera_info'] == (
            '/test/camera_info@camera_info_frame')
        assert len(view['camera_info:/test/camera_info/line']['points']) == 16


async def test_auto_topics_find_the_new_types(ros_context):
    async with running_bridge(ros_context) as rig:
        client = await rig.client()
        found = {'/found/range': (Range, to_real(range_msg(frame='map'), TYPES['range'])),
                 '/found/camera_info': (CameraInfo, to_real(camera_info(frame='map'),
                                                            TYPES['camera_info'])),
                 '/found/cells': (GridCells, to_real(grid_cells(frame='map'),
                                                     TYPES['grid_cells']))}
        publishers = {topic: rig.pub(kind, topic) for topic, (kind, _) in found.items()}
        keys = {'range:/found/range:0', 'camera_info:/found/camera_info',
                'grid_cells:/found/cells'}
        for _ in range(150):   # discovery scans the graph every DISCOVERY_PERIOD
            for topic, (_, message) in found.items():
                publishers[topic].publish(message)
            if keys <= set(client.upserted()):
                break
            await asyncio.sleep(0.1)
        assert keys <= set(client.upserted())
        assert {topic: rig.node.shown_topics[topic].kind for topic in found} == {
            '/found/range': 'range', '/found/camera_info': 'camera_info',
            '/found/cells': 'grid_cells'}
        assert client.upserted()['range:/found/range:0/cone']['scale'][1] == pytest.approx(3.0)


async def test_bad_messages_warn_and_others_still_draw(ros_context, capfd):
    async with running_bridge(ros_context, **TOPICS) as rig:
        client = await rig.client()
        await rig.publish(PointStamped, '/test/point',
                          to_real(point_stamped(math.nan, frame='map'), TYPES['point']))
        await rig.publish(CameraInfo, '/test/camera_info', to_real(
            camera_info(p=[0.0] * 12, frame='map'), TYPES['camera_info']))
        await rig.publish(PointStamped, '/test/point',
                          to_real(point_stamped(2.0, frame='map'), TYPES['point']))
        view = await client.wait_for(lambda frames: 'point:/test/point:0' in client.upserted()
                                     and client.upserted())
        assert view['point:/test/point:0']['position'] == [2.0, 0.0, 0.0]
        await asyncio.sleep(0.2)
        assert 'camera_info:/test/camera_info' not in client.upserted()
        log = capfd.readouterr().err
        assert ('/test/point: Message contained invalid floating point values (nans or infs); '
                'not drawn') in log
        assert '/test/camera_info: Invalid intrinsic matrix (P[0] or P[5] is 0)' in log
