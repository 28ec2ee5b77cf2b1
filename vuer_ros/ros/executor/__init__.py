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
An rclpy executor and an asyncio loop side by side, with hand-overs both ways.

rclpy on Jazzy and Kilted has no asyncio executor and its futures cannot be awaited from
asyncio, so the executor spins in a thread of its own and everything that crosses goes
through a thread-safe door, one idea a module, as rclpy splits executors, tasks and futures:

* :mod:`.bridge`: the executor thread's lifecycle (:class:`ExecutorBridge`).
* :mod:`.delivery`: ROS -> asyncio, messages handed to the loop once per burst, in order,
  in bounded queues (:class:`LoopSubscription`).
* :mod:`.awaitables`: rclpy futures, topics and services as things asyncio awaits
  (:class:`MessageStream`, :func:`wait_for_service`).
* :mod:`.entry`: a process's entry, ROS initialised for asyncio and ended by a signal
  (:func:`run_with_ros`).

asyncio -> ROS needs no door of its own: ``Publisher.publish`` and ``Client.call_async`` are
thread safe in rclpy and are called straight from the loop.
"""

from vuer_ros.ros.executor.awaitables import (BridgeStoppedError, MessageStream,
                                              wait_for_service)
from vuer_ros.ros.executor.bridge import ExecutorBridge, ExecutorKind
from vuer_ros.ros.executor.delivery import LoopSubscription
from vuer_ros.ros.executor.entry import ros_initialised, run_with_ros

__all__ = [
    'BridgeStoppedError', 'ExecutorBridge', 'ExecutorKind', 'LoopSubscription',
    'MessageStream', 'ros_initialised', 'run_with_ros', 'wait_for_service',
]
