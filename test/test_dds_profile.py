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
config/fastdds_large_messages.xml: Fast DDS loads it, and large messages still flow.

The profile is read when a process creates its DDS participant, so publisher and
subscriber are processes of their own, started with FASTRTPS_DEFAULT_PROFILES_FILE (the
variable both Jazzy's and Kilted's Fast DDS read). How much faster it is, is measured by
the benchmark (point_cloud, points), not here.
"""

import os
from pathlib import Path
import subprocess
import sys
import time

from conftest import require_ros
import pytest

require_ros()

PROFILE = Path(__file__).resolve().parent.parent / 'config' / 'fastdds_large_messages.xml'
SEGMENT_BYTES = 32 * 1024 * 1024
CLOUD_BYTES = 4_800_000   # a 300,000-point xyzrgb cloud: beyond the default 512 KB segment
SHM = Path('/dev/shm')

PUBLISHER = f"""
import time
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import PointCloud2
rclpy.init()
node = rclpy.create_node('large_publisher')
publisher = node.create_publisher(
    PointCloud2, '/large_cloud', QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE))
cloud = PointCloud2(height=1, width={CLOUD_BYTES // 16}, point_step=16,
                    row_step={CLOUD_BYTES}, data=bytes({CLOUD_BYTES}))
print('publishing', flush=True)
end = time.monotonic() + 60
while time.monotonic() < end:
    publisher.publish(cloud)
    rclpy.spin_once(node, timeout_sec=0.1)
"""

SUBSCRIBER = """
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import PointCloud2
rclpy.init()
node = rclpy.create_node('large_subscriber')
sizes = []
node.create_subscription(
    PointCloud2, '/large_cloud', lambda cloud: sizes.append(len(cloud.data)),
    QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE))
while not sizes:
    rclpy.spin_once(node, timeout_sec=0.1)
print('received', sizes[0], flush=True)
"""


def fast_dds_unavailable() -> str:
    """Say why the profile does not apply here, or return ''."""
    rmw = os.environ.get('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')
    if not rmw.startswith('rmw_fastrtps'):
        return f'RMW_IMPLEMENTATION is {rmw}: the Fast DDS profile does not apply'
    if not SHM.is_dir():
        return '/dev/shm is absent: no shared-memory transport here'
    return ''


def start(script: str, with_profile: bool) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop('FASTDDS_DEFAULT_PROFILES_FILE', None)
    env.pop('FASTRTPS_DEFAULT_PROFILES_FILE', None)
    if with_profile:
        env['FASTRTPS_DEFAULT_PROFILES_FILE'] = str(PROFILE)
    return subprocess.Popen([sys.executable, '-c', script], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def large_segments() -> set[str]:
    """Shared-memory segments at least as big as the profile's (Fast DDS names vary)."""
    found = set()
    for path in SHM.iterdir():
        try:
            if path.stat().st_size >= SEGMENT_BYTES:
                found.add(path.name)
        except OSError:   # removed as we looked
            continue
    return found


@pytest.mark.skipif(bool(fast_dds_unavailable()), reason=fast_dds_unavailable())
@pytest.mark.parametrize('publisher_profile, subscriber_profile',
                         [(True, True), (True, False), (False, True)],
                         ids=['both', 'publisher_only', 'subscriber_only'])
def test_large_clouds_flow_through_the_profiles_shared_memory(publisher_profile,
                                                              subscriber_profile):
    """A driver given the profile still reaches a node without it, and the other way."""
    before = large_segments()
    subscriber = start(SUBSCRIBER, subscriber_profile)
    publisher = start(PUBLISHER, publisher_profile)
    segments = set()
    try:
        deadline = time.monotonic() + 60
        while subscriber.poll() is None and time.monotonic() < deadline:
            segments |= large_segments() - before   # each process removes its own on exit
            time.sleep(0.05)
        received, sub_errors = subscriber.communicate(timeout=10)
    finally:
        publisher.kill()
        _, pub_errors = publisher.communicate(timeout=30)
    assert subscriber.returncode == 0, sub_errors
    assert received.split() == ['received', str(CLOUD_BYTES)]
    for errors in (pub_errors, sub_errors):
        assert 'Error' not in errors, errors   # Fast DDS logs '[XMLPARSER Error] ...'
    assert segments, (f'no shared-memory segment of {SEGMENT_BYTES} bytes or more appeared: '
                      'Fast DDS did not load the profile')
