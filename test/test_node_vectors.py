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
The wrench, twist, accel and scalar sensor displays in the node: real publishers to a peer.

Each type is published by a real rclpy publisher with the values RViz2's own visual tests
publish (rviz_default_plugins/test/rviz_default_plugins/publishers/*_publisher.hpp), goes
through the bridge node, and arrives at a websocket client as the browser would get it.
"""

import asyncio
import math

from conftest import require_ros
from msg_factory import to_real, transform_stamped
import pytest

rclpy = require_ros()

from geometry_msgs.msg import (AccelStamped, TransformStamped, TwistStamped,  # noqa: E402,I100
                               WrenchStamped)
from sensor_msgs.msg import (FluidPressure, Illuminance, RelativeHumidity,  # noqa: E402
                             Temperature)
from test_bridge_node import running_bridge  # noqa: E402

pytestmark = pytest.mark.ros


def _screw(msg_type, field: str, frame: str = 'map'):
    message = msg_type()
    message.header.frame_id = frame
    part = getattr(message, field)
    linear, angular = ('force', 'torque') if field == 'wrench' else ('linear', 'angular')
    for name, (x, y, z) in ((linear, (1.0, 3.0, 2.0)), (angular, (3.0, 2.0, 1.0))):
        vector = getattr(part, name)
        vector.x, vector.y, vector.z = x, y, z
    return message


def _scalar(msg_type, field: str, value: float, frame: str = 'map'):
    message = msg_type(variance=1.0)
    message.header.frame_id = frame
    setattr(message, field, value)
    return message


#: kind -> (message type, message, the child key checked, what it must hold)
CASES = {
    'wrench': (WrenchStamped, _screw(WrenchStamped, 'wrench'), 'force/shaft',
               {'material': {'color': '#cc3333'}}),
    'twist': (TwistStamped, _screw(TwistStamped, 'twist'), 'angular/circle/line',
              {'color': '#cccc33'}),
    'accel': (AccelStamped, _screw(AccelStamped, 'accel'), 'linear/head',
              {'material': {'color': '#cc3333'}}),
    'illuminance': (Illuminance, _scalar(Illuminance, 'illuminance', 150.0), 'billboard',
                    {}),
    'temperature': (Temperature, _scalar(Temperature, 'temperature', 15.0), 'billboard', {}),
    'relative_humidity': (RelativeHumidity,
                          _scalar(RelativeHumidity, 'relative_humidity', 0.85),
                          'billboard', {}),
    'fluid_pressure': (FluidPressure, _scalar(FluidPressure, 'fluid_pressure', 104000.0),
                       'billboard', {}),
}
#: The colours RViz2 computes for the scalar readings above (see
#: test_display_sensor_points.py): low illuminance and high humidity and pressure.
SQUARE_COLOURS = {'illuminance': '#ffbf00', 'temperature': '#4000ff',
                  'relative_humidity': '#4000ff', 'fluid_pressure': '#4900ff'}


def _holds(node: dict, expected: dict) -> bool:
    return all(_holds(node.get(name, {}), value) if isinstance(value, dict)
               else node.get(name) == value for name, value in expected.items())


async def test_every_type_on_its_configured_topic_reaches_the_client(ros_context):
    topics = {f'{kind}_topics': [f'/test/{kind}'] for kind in CASES}
    async with running_bridge(ros_context, **topics) as rig:
        client = await rig.client()
        for kind, (msg_type, message, _, _) in CASES.items():
            await rig.publish(msg_type, f'/test/{kind}', message)
        wanted = {f'{kind}:/test/{kind}/{part}' for kind, (_, _, part, _) in CASES.items()}
        view = await client.wait_for(lambda f: wanted <= set(client.upserted())
                                     and client.upserted())
        for kind, (_, _, part, expected) in CASES.items():
            key = f'{kind}:/test/{kind}'
            assert client.parents()[key] == f'/test/{kind}@map', kind
            assert client.parents()[f'/test/{kind}'] == 'ros-root', kind
            assert _holds(view[f'{key}/{part}'], expected), (kind, view[f'{key}/{part}'])
        for kind, expected in SQUARE_COLOURS.items():
            square = view[f'{kind}:/test/{kind}/square']
            assert square['material']['color'] == expected, kind
            assert square['args'] == pytest.approx([0.01, 0.01])   # RViz2's flat square
        shaft = view['wrench:/test/wrench/force/shaft']
        assert shaft['scale'][1] == pytest.approx(2.0 * math.sqrt(14.0))   # |f| x scale 2


async def test_vectors_wait_for_their_frame_and_follow_it(ros_context):
    async with running_bridge(ros_context, wrench_topics=['/test/wrench']) as rig:
        client = await rig.client()
        await rig.publish(WrenchStamped, '/test/wrench',
                          _screw(WrenchStamped, 'wrench', 'wrench_frame'))
        await asyncio.sleep(0.5)
        assert 'wrench:/test/wrench' not in client.upserted(), 'never drawn at the origin'
        transform = to_real(transform_stamped('map', 'wrench_frame', (2.0, 0.0, 0.0)),
                            'geometry_msgs/msg/TransformStamped')
        await rig.publish(TransformStamped, '/test/transforms', transform)
        await client.wait_for(lambda f: 'wrench:/test/wrench' in client.upserted())
        group = '/test/wrench@wrench_frame'
        assert client.parents()['wrench:/test/wrench'] == group
        assert client.upserted()[group]['position'] == [2.0, 0.0, 0.0]


async def test_auto_topics_find_every_new_type(ros_context):
    async with running_bridge(ros_context) as rig:
        client = await rig.client()
        publishers = {kind: rig.pub(msg_type, f'/found/{kind}')
                      for kind, (msg_type, _, _, _) in CASES.items()}
        wanted = {f'{kind}:/found/{kind}' for kind in CASES}
        for _ in range(150):   # discovery scans the graph every DISCOVERY_PERIOD
            for kind, publisher in publishers.items():
                publisher.publish(CASES[kind][1])
            if wanted <= set(client.upserted()):
                break
            await asyncio.sleep(0.1)
        assert wanted <= set(client.upserted()), wanted - set(client.upserted())
        assert {f'/found/{kind}' for kind in CASES} <= set(rig.node.shown_topics)
