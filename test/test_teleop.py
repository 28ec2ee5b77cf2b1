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
Teleoperation: client events over a real websocket, arriving at real rclpy subscribers.

The events are shaped as the vuer 0.1.6 client sends them.

The payload shapes come from the client bundle (``vuer/client_build/assets/chunks``: grep
CAMERA_MOVE, HAND_MOVE, getState, Gamepad, OBJECT_MOVE); ``vuer_ros.convert.teleop`` builds
them from poses (``*_payload``), the inverse of what the bridge does.
"""

import asyncio
import contextlib
import math

from conftest import require_ros
import pytest

rclpy = require_ros()

from geometry_msgs.msg import (PointStamped, PoseArray, PoseStamped,  # noqa: E402,I100
                               PoseWithCovarianceStamped)
from sensor_msgs.msg import Joy, JoyFeedback, JoyFeedbackArray  # noqa: E402
from test_bridge_node import running_bridge  # noqa: E402

from vuer_ros.convert import teleop as convert  # noqa: E402
from vuer_ros.convert.images import PNG_SIGNATURE  # noqa: E402
from vuer_ros.ros.teleop import HUD_PERIOD, STATUS_KEY  # noqa: E402

pytestmark = pytest.mark.ros

UNROTATED = (0.0, 0.0, 0.0, 1.0)


def camera_event(viewer_position, viewer_quaternion=UNROTATED) -> dict:
    """CAMERA_MOVE value of a camera at a three.js (Y-up) position and quaternion."""
    return {'camera': {'position': list(viewer_position), 'quaternion': list(viewer_quaternion),
                       'rotation': [0.0, 0.0, 0.0], 'near': 0.1, 'far': 1000, 'zoom': 1,
                       'ctype': 'perspective', 'fov': 50, 'aspect': 1.5}}


def hand_event(left=None, right=None, right_pinch=False) -> dict:
    """HAND_MOVE value: joint i of a hand i cm above its wrist at a ROS position."""
    def joints(wrist):
        return [convert.Pose((wrist[0], wrist[1], wrist[2] + i / 100), UNROTATED)
                for i in range(25)]
    value = convert.hand_payload(left=joints(left) if left else None,
                                 right=joints(right) if right else None)
    if right_pinch:
        value['rightState'].update(pinch=True, pinchValue=0.005, tap=True, tapValue=0.005)
    return value


def controller_event(left) -> dict:
    return convert.controller_payload(
        left=convert.Pose(left, UNROTATED),
        state={'trigger': True, 'aButton': True, 'touchpad': 'touched', 'triggerValue': 0.75,
               'thumbstickValue': [0.5, -1.0]})


def gamepad_event(axes, buttons) -> dict:
    return {'id': 'Xbox 360 Controller (XInput STANDARD GAMEPAD)', 'axes': axes,
            'buttons': buttons}


object_event = convert.object_payload


class Inbox:
    """Messages of one topic, received by a real subscription of the test's node."""

    def __init__(self, rig, msg_type, topic: str) -> None:
        self.messages = []
        self.topic = topic
        self._changed = asyncio.Event()
        self._subscription = rig.bridge.create_subscription(
            msg_type, topic, self._take, 100, node=rig.publisher)

    def _take(self, message) -> None:
        self.messages.append(message)
        self._changed.set()

    async def wait(self, count: int = 1, timeout: float = 5.0) -> list:
        async def enough() -> None:
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(enough(), timeout)
        return self.messages


async def matched(rig, topics, timeout: float = 5.0) -> None:
    """Wait until the bridge's publishers of ``topics`` see the test's subscribers."""
    node = rig.node
    for _ in range(int(timeout / 0.01)):
        counts = [node.count_subscribers(node.resolve_topic_name(topic)) for topic in topics]
        if all(counts):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f'no subscriber matched on {topics}')


@contextlib.asynccontextmanager
async def teleop_bridge(ros_context, **overrides):
    async with running_bridge(ros_context, **{'teleop': True, 'auto_topics': False,
                                              **overrides}) as rig:
        yield rig


async def inboxes(rig, *specs):
    boxes = [Inbox(rig, msg_type, topic) for msg_type, topic in specs]
    await matched(rig, [topic for _, topic in specs])
    return boxes


def position(pose) -> tuple:
    return (pose.position.x, pose.position.y, pose.position.z)


def orientation(pose) -> tuple:
    q = pose.orientation
    return (q.x, q.y, q.z, q.w)


async def test_camera_at_y_up_1_2_3_arrives_at_ros_1_minus3_2(ros_context):
    async with teleop_bridge(ros_context) as rig:
        (box,) = await inboxes(rig, (PoseStamped, '/vuer_bridge/camera_pose'))
        client = await rig.client()
        await client.send('CAMERA_MOVE', camera_event((1.0, 2.0, 3.0), (0.0, 0.0, 0.0, 1.0)),
                          key='defaultCamera')
        (message,) = await box.wait()
        assert message.header.frame_id == 'map'
        assert message.header.stamp.sec > 0, 'stamped with ROS time'
        assert position(message.pose) == pytest.approx((1.0, -3.0, 2.0))
        # An unrotated three.js camera looks along -Z: ROS +y, so yaw +90 degrees.
        half = math.sqrt(0.5)
        assert orientation(message.pose) == pytest.approx((0.0, 0.0, half, half))


async def test_round_trip_ros_pose_viewer_camera_event_ros(ros_context):
    """A pose drawn in the viewer comes back from the camera at it, within float32."""
    sent = convert.Pose((1.5, -2.25, 0.75), (0.0, 0.0, math.sin(0.4), math.cos(0.4)))
    tilted = convert.Pose((0.3, 4.0, 1.2), (0.1830127, 0.1830127, 0.6830127, 0.6830127))
    async with teleop_bridge(ros_context) as rig:
        (camera, head) = await inboxes(rig, (PoseStamped, '/vuer_bridge/camera_pose'),
                                       (PoseStamped, '/vuer_bridge/head_pose'))
        client = await rig.client()
        await client.send('CAMERA_MOVE', convert.camera_payload(sent))
        await client.send('HEAD_MOVE', {'matrix': convert.viewer_matrix(tilted)})
        (got,) = await camera.wait()
        (got_head,) = await head.wait()
        assert position(got.pose) == pytest.approx(sent.position, abs=1e-6)
        assert orientation(got.pose) == pytest.approx(sent.orientation, abs=1e-6)
        assert position(got_head.pose) == pytest.approx(tilted.position, abs=1e-6)
        assert orientation(got_head.pose) == pytest.approx(tilted.orientation, abs=1e-6)


async def test_hands_arrive_as_25_joint_pose_arrays_and_gestures(ros_context):
    async with teleop_bridge(ros_context) as rig:
        boxes = await inboxes(rig, (PoseArray, '/vuer_bridge/hands/left'),
                              (PoseArray, '/vuer_bridge/hands/right'),
                              (Joy, '/vuer_bridge/hands/right/joy'))
        client = await rig.client()
        await client.send('HAND_MOVE', hand_event(left=(0.1, 0.3, 1.2), right=(0.4, 0.5, 1.0),
                                                  right_pinch=True), key='hands')
        left, right, joy = [(await box.wait())[0] for box in boxes]
        assert len(left.poses) == len(right.poses) == 25 == len(convert.HAND_JOINTS)
        assert left.header.frame_id == right.header.frame_id == 'map'
        # Joint i sits i cm above the wrist.
        assert position(left.poses[0]) == pytest.approx((0.1, 0.3, 1.2))
        assert position(right.poses[24]) == pytest.approx((0.4, 0.5, 1.24))
        assert list(joy.buttons) == [1, 0, 1]          # pinch and tap (the same distance)
        assert list(joy.axes) == pytest.approx([0.005, 0.09, 0.005])


async def test_controllers_pose_and_joy(ros_context):
    async with teleop_bridge(ros_context) as rig:
        pose_box, joy_box = await inboxes(rig, (PoseStamped, '/vuer_bridge/controllers/left/pose'),
                                          (Joy, '/vuer_bridge/controllers/left/joy'))
        client = await rig.client()
        await client.send('CONTROLLER_MOVE', controller_event((0.2, 0.4, 1.1)),
                          key='motion-controllers')
        (pose,) = await pose_box.wait()
        (joy,) = await joy_box.wait()
        assert position(pose.pose) == pytest.approx((0.2, 0.4, 1.1))
        assert list(joy.buttons) == [1, 0, 0, 0, 1, 0]      # trigger, aButton
        # Thumbstick pushed right and up (browser +x, -y) -> joy_node's -x, +y.
        assert list(joy.axes) == pytest.approx([-0.5, 1.0, 0.0, 0.0, 0.75, 0.0])


async def test_gamepad_to_joy_and_the_deadman(ros_context):
    async with teleop_bridge(ros_context, teleop_timeout=0.3) as rig:
        (box,) = await inboxes(rig, (Joy, '/joy'))
        client = await rig.client()
        await client.send('GAMEPAD', gamepad_event(axes=[0.0, -1.0, 0.25, 0.0],
                                                   buttons=[1.0, 0.0, 0.2, 0.9]),
                          key='gamepad-0')
        first, neutral = await box.wait(2)
        assert list(first.axes) == pytest.approx([0.0, 1.0, -0.25, 0.0])
        assert list(first.buttons) == [1, 0, 0, 1]
        # Nothing more from the tab: one neutral Joy, same layout, nothing pushed.
        assert list(neutral.axes) == [0.0] * 4 and list(neutral.buttons) == [0] * 4
        await asyncio.sleep(0.5)
        assert len(box.messages) == 2, 'the deadman sends one neutral message'
        # A tab that closes mid-push: the neutral message comes at once.
        await client.send('GAMEPAD', gamepad_event(axes=[0.0, -1.0], buttons=[1.0]))
        await box.wait(3)
        await client.close()
        await box.wait(4, timeout=0.25)
        assert list(box.messages[3].buttons) == [0]


async def test_teleop_off_publishes_nothing(ros_context):
    async with teleop_bridge(ros_context, teleop=False, teleop_timeout=0.1) as rig:
        boxes = [Inbox(rig, msg_type, topic) for msg_type, topic in (
            (PoseStamped, '/vuer_bridge/camera_pose'), (Joy, '/joy'),
            (PoseArray, '/vuer_bridge/hands/left'), (PoseStamped, '/goal_pose'))]
        client = await rig.client()
        for _ in range(5):
            await client.send('CAMERA_MOVE', camera_event((1.0, 2.0, 3.0), (0, 0, 0, 1)))
            await client.send('GAMEPAD', gamepad_event(axes=[0.5], buttons=[1.0]))
            await client.send('HAND_MOVE', hand_event(left=(0.0, 1.0, 0.0)))
        await asyncio.sleep(1.0)
        assert all(not box.messages for box in boxes)
        assert not rig.node.teleop.own_topics(), 'not even a publisher'
        assert 'teleop OFF' in rig.node.teleop.status(client_session(rig), 1.0)
        assert 'tool:goal_pose' not in client.upserted(), 'no tool handles'


async def test_with_teleop_off_only_a_headset_is_shown_the_status(ros_context):
    """A desktop viewer with teleop off sees the scene alone; a headset learns why."""
    async with teleop_bridge(ros_context, teleop=False) as rig:
        desktop, headset = await rig.client(), await rig.client()
        await desktop.send('CAMERA_MOVE', camera_event((1.0, 2.0, 3.0), (0, 0, 0, 1)))
        await headset.send('HEAD_MOVE', {'matrix': [1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 1.0,
                                                    0, 0, 1.6, 0, 1.0]})
        panel = await headset.wait_for(lambda _: headset.upserted().get(STATUS_KEY),
                                       timeout=5.0)
        assert panel['tag'] == 'ImageBackground' and panel['src'][:8] == PNG_SIGNATURE
        await asyncio.sleep(2 * HUD_PERIOD)   # two more rounds of status updates
        assert STATUS_KEY not in desktop.upserted()


async def test_with_teleop_on_every_session_is_shown_the_status(ros_context):
    async with teleop_bridge(ros_context) as rig:
        client = await rig.client()
        await client.wait_for(lambda _: client.upserted().get(STATUS_KEY), timeout=5.0)


def client_session(rig):
    (session,) = rig.app.sessions
    return session


@pytest.mark.parametrize('bad', [
    ('CAMERA_MOVE', {'camera': {'position': [math.nan, 0, 0], 'quaternion': [0, 0, 0, 1]}}),
    ('CAMERA_MOVE', {'camera': {'position': [0, 0], 'quaternion': [0, 0, 0, 1]}}),
    ('CAMERA_MOVE', {'camera': {'position': [0, 0, 0], 'quaternion': [0, 0, 0, 2]}}),
    ('CAMERA_MOVE', {'camera': {'position': [0, 0, 0], 'quaternion': [0, 0, 0, 1]},
                     'extra': 1}),
    ('CAMERA_MOVE', [1, 2, 3]),
    ('HEAD_MOVE', {'matrix': [1.0] * 16}),
    ('HEAD_MOVE', {'matrix': [1.0] * 15}),
    ('GAMEPAD', {'id': 'x', 'axes': [2.0], 'buttons': []}),
    ('GAMEPAD', {'id': 'x', 'axes': ['a'], 'buttons': []}),
    ('HAND_MOVE', {'left': [0.0] * 399}),
])
async def test_malformed_events_are_dropped_and_the_next_good_one_passes(ros_context, bad):
    async with teleop_bridge(ros_context) as rig:
        camera, joy, head = await inboxes(rig, (PoseStamped, '/vuer_bridge/camera_pose'),
                                          (Joy, '/joy'), (PoseStamped, '/vuer_bridge/head_pose'))
        client = await rig.client()
        await client.send(*bad)
        await asyncio.sleep(0.3)
        assert not camera.messages and not joy.messages and not head.messages
        await client.send('CAMERA_MOVE', camera_event((1.0, 2.0, 3.0), (0, 0, 0, 1)))
        await camera.wait()


async def test_rviz_tools_goal_initial_pose_and_point(ros_context):
    async with teleop_bridge(ros_context) as rig:
        goal, initial, point = await inboxes(
            rig, (PoseStamped, '/goal_pose'), (PoseWithCovarianceStamped, '/initialpose'),
            (PointStamped, '/clicked_point'))
        client = await rig.client()
        await client.wait_for(lambda f: 'tool:goal_pose' in client.upserted())
        assert client.parents()['tool:goal_pose'] == 'ros-root'
        q = (0.1, 0.2, 0.5, 0.8)
        q = tuple(c / math.sqrt(sum(c * c for c in q)) for c in q)
        tilted = convert.Pose((2.0, 1.0, 0.4), q)
        # Desktop: OBJECT_MOVE while dragging, OBJECT_MOVE_END at release.
        await client.send('OBJECT_MOVE', object_event(tilted), key='tool:goal_pose')
        await client.send('OBJECT_MOVE_END', object_event(tilted), key='tool:goal_pose')
        (message,) = await goal.wait()
        assert position(message.pose) == pytest.approx((2.0, 1.0, 0.0))
        yaw = 2 * math.atan2(message.pose.orientation.z, message.pose.orientation.w)
        assert yaw == pytest.approx(math.atan2(2 * (q[3] * q[2] + q[0] * q[1]),
                                               1 - 2 * (q[1] ** 2 + q[2] ** 2)))
        assert message.pose.orientation.x == message.pose.orientation.y == 0.0
        # XR: no end event; the pose is published once the handle rests.
        await client.send('OBJECT_MOVE', object_event(tilted, xr=True),
                          key='tool:initial_pose')
        (estimate,) = await initial.wait()
        assert position(estimate.pose.pose) == pytest.approx((2.0, 1.0, 0.0), abs=1e-6)
        assert estimate.pose.covariance[0] == estimate.pose.covariance[7] == 0.25
        assert estimate.pose.covariance[35] == pytest.approx((math.pi / 12) ** 2)
        await client.send('OBJECT_MOVE_END', object_event(tilted), key='tool:clicked_point')
        (clicked,) = await point.wait()
        assert (clicked.point.x, clicked.point.y, clicked.point.z) == pytest.approx(
            (2.0, 1.0, 0.4))
        assert len(goal.messages) == 1, 'one goal per drag'


async def test_unknown_object_keys_are_dropped(ros_context):
    async with teleop_bridge(ros_context) as rig:
        client = await rig.client()
        await client.send('OBJECT_MOVE_END', object_event(convert.Pose((1, 0, 0), (0, 0, 0, 1))),
                          key='no-such-element')
        await asyncio.sleep(0.3)
        assert not any('moved' in topic for topic in rig.node.teleop.own_topics())


async def test_haptics_pulse_the_operators_controllers(ros_context):
    async with teleop_bridge(ros_context) as rig:
        client = await rig.client()
        await client.send('CONTROLLER_MOVE', controller_event((0.0, 1.0, 0.0)))
        await asyncio.sleep(0.2)
        feedback = JoyFeedbackArray(array=[
            JoyFeedback(type=JoyFeedback.TYPE_RUMBLE, id=1, intensity=0.6)])
        await rig.publish(JoyFeedbackArray, '/vuer_bridge/haptics', feedback)
        frames = await client.wait_for(lambda frames: [
            f for f in frames if f.get('etype') == 'HAPTIC_ACTUATOR_PULSE'])
        assert frames[0]['data'] == {'right': {'strength': pytest.approx(0.6),
                                               'duration': 100.0}}


async def test_one_operator_at_a_time_and_each_on_its_own_topics(ros_context):
    async with teleop_bridge(ros_context, teleop_timeout=0.3) as rig:
        (box,) = await inboxes(rig, (Joy, '/joy'))
        first, second = await rig.client(), await rig.client()
        await first.send('GAMEPAD', gamepad_event(axes=[0.5], buttons=[1.0]))
        await box.wait()
        await second.send('GAMEPAD', gamepad_event(axes=[-0.5], buttons=[0.0]))
        await asyncio.sleep(0.1)
        assert [list(m.axes) for m in box.messages] == [[-0.5]], 'the second only watches'
        await box.wait(2)                        # the first went quiet: its neutral Joy
        await second.send('GAMEPAD', gamepad_event(axes=[-0.5], buttons=[0.0]))
        await box.wait(3)
        assert list(box.messages[2].axes) == [0.5], 'then the second operates'
    async with teleop_bridge(ros_context, teleop_sessions='each') as rig:
        first, second = await rig.client(), await rig.client()
        for client in (first, second):
            await client.send('GAMEPAD', gamepad_event(axes=[0.5], buttons=[1.0]))
        await asyncio.sleep(0.2)
        ids = sorted(session.id for session in rig.app.sessions)
        assert {f'/joy/session_{i}' for i in ids} <= rig.node.teleop.own_topics()


async def test_rate_limit_per_topic_ends_on_the_newest(ros_context):
    async with teleop_bridge(ros_context, teleop_max_rate=5.0, teleop_timeout=2.0) as rig:
        (box,) = await inboxes(rig, (Joy, '/joy'))
        client = await rig.client()
        for i in range(30):     # a burst far above 5 a second
            await client.send('GAMEPAD', gamepad_event(axes=[i / 100], buttons=[1.0]))
        await box.wait(2)
        await asyncio.sleep(0.4)
        assert [m.axes[0] for m in box.messages] == pytest.approx([0.0, -0.29]), \
            'the first at once, then only the newest one'
