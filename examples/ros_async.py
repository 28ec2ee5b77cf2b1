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
A Vuer script that talks ROS: a box follows a pose topic, clicks on it go out on ROS.

Run it with ROS sourced (or the PyPI ROS wheels installed), open the printed URL, then::

    ros2 topic pub /goal geometry_msgs/msg/PoseStamped "{pose: {position: {x: 1.0}}}"
    ros2 topic echo /clicked

Each viewer that connects first asks the script's own node for its parameters (a service
every node serves), then draws the box wherever the newest ``/goal`` pose puts it.
"""

from geometry_msgs.msg import PoseStamped
from rcl_interfaces.srv import ListParameters
from std_msgs.msg import String

from vuer_ros import ClientEvent, Vuer, VuerSession
from vuer_ros.ros import Ros
from vuer_ros.schemas import Box

GOAL_SIZE = [0.2, 0.2, 0.2]

app = Vuer()
ros = Ros(app, node_name='vuer_script')  # before app.spawn(start=True): that starts serving


def on_click(event: ClientEvent, session: VuerSession) -> None:
    """Publish the key of what was clicked in the viewer."""
    key = event.value.get('key') if isinstance(event.value, dict) else None
    if isinstance(key, str):
        ros.publish(String, 'clicked', String(data=key))


app.add_handler('ON_CLICK', on_click)


@app.spawn(start=True)
async def main(session: VuerSession) -> None:
    node = ros.node
    reply = await ros.call(
        ListParameters, f'{node.get_fully_qualified_name()}/list_parameters',
        ListParameters.Request(), timeout=2.0)
    print(f'parameters of {node.get_name()}: {", ".join(reply.result.names)}', flush=True)

    session.upsert @ Box(key='goal', args=GOAL_SIZE, position=[0, 0.1, 0], color='orange')
    # maxlen=1: only the newest pose matters, so a slow viewer never lags behind.
    async with ros.messages(PoseStamped, 'goal', maxlen=1) as goals:
        async for goal in goals:
            p = goal.pose.position
            # ROS is Z-up, Vuer is Y-up.
            session.upsert @ Box(key='goal', args=GOAL_SIZE, position=[p.x, p.z, -p.y],
                                 color='orange')
