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

"""The benchmark suite runs end to end and writes its results; speed is not checked."""

import importlib.util
import json
from pathlib import Path
import subprocess
import sys

import pytest

RUN = Path(__file__).resolve().parents[1] / 'bench' / 'run.py'
ROS_SCENARIOS = ['ros_latency', 'markers', 'bridge_rate', 'points', 'tf']
SCENARIOS = ['idle', 'seed', *ROS_SCENARIOS]
HAS_ROS = importlib.util.find_spec('rclpy') is not None


@pytest.fixture(scope='module')
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    """One tiny run of two server scenarios and the ROS ones: its JSON, output and folder."""
    out = tmp_path_factory.mktemp('bench')
    done = subprocess.run(
        [sys.executable, str(RUN), '--quick', '--scale', '0.2', '--only', ','.join(SCENARIOS),
         '--out', str(out)],
        capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = list(out.glob('bench-*.json'))
    assert len(results) == 1, f'expected one results file in {out}: {results}'
    return json.loads(results[0].read_text()), done.stdout, out


def test_report_header(smoke_run: tuple[dict, str, Path]) -> None:
    report, _, _ = smoke_run
    assert report['suite'] == 'vuer_ros bench'
    assert report['options']['quick'] is True
    assert report['options']['only'] == SCENARIOS
    assert set(report['options']['impls']) == {'vuer_ros', 'vuer'}
    assert {'cpus', 'python', 'platform'} <= set(report['machine'])


@pytest.mark.parametrize('name', ['idle', 'seed'])
def test_server_scenarios_measured_both_servers(smoke_run: tuple[dict, str, Path],
                                                name: str) -> None:
    report, _, _ = smoke_run
    result = report['scenarios'][name]
    assert result['status'] == 'ok', result.get('reason')
    assert result['rows'], 'no table rows'
    for row in result['rows']:
        assert {'case', 'metric', 'unit', 'values', 'better', 'ratio'} <= set(row)
        assert set(row['values']) == {'vuer_ros', 'vuer'}
    for by_impl in result['runs'].values():
        assert set(by_impl) == {'vuer_ros', 'vuer'}
        assert all(len(runs) == 1 for runs in by_impl.values())


def test_seed_reports_cpu_per_update_and_ratio(smoke_run: tuple[dict, str, Path]) -> None:
    report, _, _ = smoke_run
    rows = [row for row in report['scenarios']['seed']['rows']
            if row['metric'] == 'server CPU per delivered update']
    assert [row['case'] for row in rows] == ['1 client', '10 clients']
    for row in rows:
        # the reference busy-polls, so its figure is never zero; the ratio exists
        assert row['values']['vuer'] > 0
        assert row['values']['vuer_ros'] is not None
        assert row['ratio'] is not None
        assert row['target'] == 20.0
    updates = [row for row in report['scenarios']['seed']['rows']
               if row['metric'] == 'updates delivered']
    assert all(row['values']['vuer_ros'] > 0 and row['values']['vuer'] > 0 for row in updates)


def test_idle_reports_cpu_of_both(smoke_run: tuple[dict, str, Path]) -> None:
    report, _, _ = smoke_run
    (cpu,) = [row for row in report['scenarios']['idle']['rows']
              if row['metric'] == 'server CPU']
    assert cpu['unit'] == '% core'
    assert all(isinstance(value, float) for value in cpu['values'].values())


@pytest.mark.parametrize('name', ROS_SCENARIOS)
def test_ros_scenarios_measure_the_bridge_or_say_why(smoke_run: tuple[dict, str, Path],
                                                     name: str) -> None:
    report, output, _ = smoke_run
    result = report['scenarios'][name]
    if not HAS_ROS:
        assert result['status'] == 'not available'
        assert f'not yet available: {result["reason"]}' in output
        return
    assert result['status'] == 'ok', result.get('reason')
    setup, *rows = result['rows']
    assert setup['case'] == 'setup'
    assert setup['values']['vuer_ros'].startswith(result['params']['ros']['bridge_executor'])
    # no reference implementation of a ROS bridge: only the vuer_ros column is filled
    assert all(set(row['values']) == {'vuer_ros'} for row in rows)
    assert any(isinstance(row['values']['vuer_ros'], (int, float)) for row in rows)
    assert any('(target' in row['metric'] for row in rows), 'the issue target is shown'


@pytest.mark.skipif(not HAS_ROS, reason='rclpy is not installed in this Python')
def test_ros_latency_has_both_rates_and_a_curve(smoke_run: tuple[dict, str, Path]) -> None:
    report, _, out = smoke_run
    result = report['scenarios']['ros_latency']
    p50 = {row['case']: row['values']['vuer_ros'] for row in result['rows']
           if row['metric'].startswith('latency p50')}
    assert set(p50) == {'100 Hz', '1000 Hz'}
    assert all(value > 0 for value in p50.values())
    assert {'PoseStamped 100 Hz via bridge', 'PoseStamped 1000 Hz via bridge'} <= set(
        result['series']['ros_latency'])
    assert 'websocket latency' in (out / report['plot']).read_text()


@pytest.mark.skipif(not HAS_ROS, reason='rclpy is not installed in this Python')
def test_ros_setup_in_json_and_output(smoke_run: tuple[dict, str, Path]) -> None:
    report, output, _ = smoke_run
    assert {'python', 'distro', 'rmw', 'bridge_executor'} <= set(report['ros'])
    assert f'bridge executor {report["ros"]["bridge_executor"]}' in output


def test_table_printed(smoke_run: tuple[dict, str, Path]) -> None:
    _, output, _ = smoke_run
    assert '== summary' in output
    assert 'vuer_ros better by' in output
    assert 'server CPU per delivered update' in output
