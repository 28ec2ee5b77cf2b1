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
Run a program's main coroutine until Ctrl-C or SIGTERM, and end it without a traceback.

Written once for the Vuer server (``app.run()``) and the ROS node (``run_with_ros``): a
signal cancels the main task, so its ``async with`` and ``finally`` blocks unwind in
order, and the process exits cleanly. Nothing here imports ROS.
"""

import asyncio
import signal
from typing import Awaitable, Callable

#: The signals that end a program politely: Ctrl-C and what ``ros2 launch`` / systemd send.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def run_until_signal(main: Callable[[], Awaitable[object]]) -> bool:
    """
    Await ``main()`` in the current task; SIGINT or SIGTERM cancel it.

    :returns: True when a signal ended it, False when ``main()`` returned by itself.
    :raises asyncio.CancelledError: when something other than a signal cancelled it.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None, 'run_until_signal must run inside a task'
    signalled = False

    def on_signal() -> None:
        nonlocal signalled
        signalled = True
        task.cancel()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal)
    try:
        await main()
    except asyncio.CancelledError:
        if not signalled:
            raise
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    return signalled


def run(main: Callable[[], Awaitable[object]]) -> bool:
    """Run ``main()`` in a new event loop until it returns or a stop signal arrives."""
    return asyncio.run(run_until_signal(main))
