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
A ROS program's entry: ROS initialised for asyncio, run until Ctrl-C or SIGTERM.

Shutdown order matters: the asyncio side first, then the executor thread, then
``rclpy.try_shutdown()``. So asyncio owns the signals (:mod:`vuer_ros.process`, as for the
Vuer server) and rclpy is initialised without handlers of its own, which would shut the
context down under the running executor instead.
"""

import argparse
from contextlib import contextmanager
from functools import partial
import gc
import os
import sys
from typing import Awaitable, Callable, Iterator, List, Optional

import rclpy
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args

from vuer_ros import process

#: Seconds a thread may hold the GIL while another waits for it (Python's default: 5 ms).
GIL_SWITCH_INTERVAL = 0.0005
#: Allocations between young collections, and collections between older ones. A viewer
#: holds its scene, tens of thousands of long-lived dicts, which CPython's defaults
#: (700, 10, 10) walk again and again: drawing a Marker took 72 us with them, 45 us with
#: these. Cycles are still collected, later.
GC_THRESHOLDS = (20_000, 50, 100)


@contextmanager
def ros_initialised(args: Optional[List[str]] = None) -> Iterator[None]:
    """
    Initialise ROS's default context for asyncio code, and shut it down on leaving.

    A context that is already initialised is left alone, on entry and on exit: whoever
    initialised it shuts it down.

    :param args: Command-line arguments for ``rclpy.init``; default: ``sys.argv``.
    """
    if rclpy.ok():
        yield
        return
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    try:
        yield
    finally:
        rclpy.try_shutdown()


def run_with_ros(
    main: Callable[[], Awaitable[object]], *, args: Optional[List[str]] = None,
    description: Optional[str] = None
) -> None:
    """
    Initialise ROS, run ``main()`` in a new event loop, end cleanly on SIGINT or SIGTERM.

    A signal cancels ``main()``, so its ``async with`` and ``finally`` blocks unwind in
    order: the asyncio side first, then (leaving ``async with ExecutorBridge(...)``) the
    executor thread; ``rclpy.try_shutdown()`` comes last, and the process exits without a
    traceback. Call it from the main thread.

    Example::

        async def serve() -> None:
            node = Node('viewer')
            try:
                async with ExecutorBridge(node) as bridge:
                    ...  # subscribe, start servers
                    await bridge.wait_stopped()
            finally:
                node.destroy_node()

        def main() -> None:
            run_with_ros(serve)

    :param main: A coroutine function that creates the nodes and runs until cancelled.
    :param args: Command-line arguments for ``rclpy.init``; default: ``sys.argv``.
    :param description: What the program does, for ``--help``; given, the arguments
        outside ``--ros-args`` are checked first: ``-h``/``--help`` prints it and exits,
        anything else unknown is refused (exit 2) instead of being ignored.
    """
    if description is not None:
        check_command_line(sys.argv if args is None else args, description)
    # The executor thread and the loop hand every message over: with Python's default
    # 5 ms switch interval the loop waits that long for the GIL whenever the executor
    # thread is busy, and a Marker flood reached half the rate it reaches with 0.5 ms.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    gc.set_threshold(*GC_THRESHOLDS)
    process.run(partial(_run_initialised, main, args))


def check_command_line(args: List[str], description: str) -> None:
    """Answer ``--help`` and refuse unknown options before anything starts."""
    parser = argparse.ArgumentParser(
        prog=os.path.basename(args[0]) if args else None, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='ROS arguments go after --ros-args, for example:\n'
               '  --ros-args -p port:=9000 -p fixed_frame:=odom --params-file my.yaml\n'
               'Every parameter is described by `ros2 param describe /vuer_bridge <name>` '
               'and in config/viewer.yaml.')
    parser.parse_args(remove_ros_args(args)[1:])


async def _run_initialised(
    main: Callable[[], Awaitable[object]], args: Optional[List[str]]
) -> None:
    with ros_initialised(args):
        await main()
