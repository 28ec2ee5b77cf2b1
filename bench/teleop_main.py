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
The ROS side of the teleop benchmark: a subscriber of every session's hand topic.

``python bench/teleop_main.py --prefix /vuer_bridge/hands/left/session_ --out FILE``
finds the per-session topics (``teleop_sessions: each``) as they appear,
subscribes each, and notes for every PoseArray the sequence number the sender put into the
wrist's x and when it came (wall clock, the sender's clock on this machine). Prints
``ready`` once spinning; writes JSON when stopped with SIGINT.
"""

import argparse
import json
import os
import signal
import threading
import time


def listen(prefix: str, out: str) -> None:
    """Subscribe each ``prefix*`` topic as it appears; record (topic, seq, receive ns)."""
    import rclpy
    from geometry_msgs.msg import PoseArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.signals import SignalHandlerOptions

    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)   # SIGINT: write, then exit
    node = rclpy.create_node('bench_teleop_listener')
    arrivals: list[tuple[str, int, int]] = []
    subscriptions = {}

    def subscribe_new() -> None:
        for name, _types in node.get_topic_names_and_types():
            if name.startswith(prefix) and name not in subscriptions:
                subscriptions[name] = node.create_subscription(
                    PoseArray, name, lambda message, name=name: arrivals.append(
                        (name, round(message.poses[0].position.x), time.time_ns())), 1000)

    node.create_timer(0.05, subscribe_new)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    # A flag, not KeyboardInterrupt: raised inside rclpy's wait, that one can come out as
    # another exception, and the process would die without writing what it heard.
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    print('ready', flush=True)
    while not stopped.is_set():
        executor.spin_once(timeout_sec=0.05)
    with open(out + '.tmp', 'w') as file:
        json.dump({'arrivals': arrivals, 'topics': sorted(subscriptions)}, file)
    os.replace(out + '.tmp', out)
    node.destroy_node()
    rclpy.shutdown()


def main() -> None:
    """Listen until SIGINT with the prefix and output file of the command line."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--prefix', required=True, help='topics to subscribe, by prefix')
    parser.add_argument('--out', required=True, help='JSON file written at the end')
    args = parser.parse_args()
    listen(args.prefix, args.out)


if __name__ == '__main__':
    main()
