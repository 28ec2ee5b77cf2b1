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
Run the vuer_ros benchmark suite: ``python bench/run.py [--quick] [--only a,b] [--out DIR]``.

Prints a table (vuer_ros beside the reference vuer, with the ratio measured in the same
run), writes every figure to ``<out>/bench-<time>.json`` and the latency and memory
curves to ``<out>/bench-<time>.svg``. Benchmarks report; they never fail on a figure.
"""

import argparse
import asyncio
from datetime import datetime
import importlib.metadata
import json
import os
from pathlib import Path
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any, Optional

import cloud_scenarios  # noqa: F401 (registers the point cloud scenarios)
import harness
import image_scenarios  # noqa: F401 (registers the image and map scenarios)
import plot
import robot_scenarios  # noqa: F401 (registers the robot model scenarios)
import ros_scenarios  # noqa: F401 (registers the ROS scenarios)
from scenario import Context, Row, SCENARIOS
import server_scenarios  # noqa: F401 (registers the server scenarios)
import teleop_scenarios  # noqa: F401 (registers the teleop scenario)

IMPL_LABELS = {harness.OURS: 'vuer_ros', harness.REFERENCE: 'vuer (ref)'}


def _parse(argv: Optional[list[str]]) -> argparse.Namespace:
    names = sorted(SCENARIOS, key=lambda name: SCENARIOS[name].number)
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0],
        epilog='scenarios: ' + ', '.join(
            f'{name} (#{SCENARIOS[name].number})' for name in names))
    parser.add_argument('--quick', action='store_true',
                        help='short windows and one repeat (about 2 minutes)')
    parser.add_argument('--only', default=','.join(names),
                        help='comma-separated scenario names (default: all)')
    parser.add_argument('--out', type=Path, default=harness.BENCH_DIR / 'results',
                        help='folder for the JSON and the plot (default: bench/results)')
    parser.add_argument('--repeats', type=int, default=None,
                        help='repeats per case (default: per scenario, 1 with --quick)')
    parser.add_argument('--scale', type=float, default=1.0,
                        help='multiply every measurement window (smoke tests use < 1)')
    parser.add_argument('--keep-logs', action='store_true',
                        help='keep server logs and state files (kept anyway on errors)')
    parser.add_argument('--impl', choices=('both', *harness.IMPLS), default='both',
                        help='servers to measure (ratios need both)')
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(',') if name.strip()]
    unknown = [name for name in args.only if name not in SCENARIOS]
    if unknown:
        parser.error(f'unknown scenario(s) {", ".join(unknown)}; known: {", ".join(names)}')
    args.only.sort(key=lambda name: SCENARIOS[name].number)
    return args


def _format(value: Any) -> str:
    if value is None:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, int):
        return f'{value:,}'
    if not isinstance(value, float):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        return f'{value:,.0f}'
    if magnitude >= 10:
        return f'{value:.1f}'
    if magnitude >= 0.1 or magnitude == 0:
        return f'{value:.2f}'
    return f'{value:.2g}'


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return ''
    text = f'{">" if row.ratio_is_lower_bound else ""}{row.ratio:.1f}x'
    return text + (f' (target {row.target:g}x)' if row.target else '')


def table(results: dict[str, dict], impls: tuple[str, ...]) -> str:
    """Format the results as an aligned text table."""
    header = ['scenario', 'case', 'metric', 'unit', *(IMPL_LABELS[impl] for impl in impls),
              'vuer_ros better by', 'target']
    lines = [header]
    for name, result in results.items():
        if result['status'] != 'ok':
            # the first line only: a reason may end with a process's log
            lines.append([name, f'{result["status"]}: {result["reason"].splitlines()[0]}'])
            continue
        for row in result['rows']:
            lines.append([name, row.case, row.metric, row.unit,
                          *(_format(row.values.get(impl)) for impl in impls), _ratio(row),
                          {True: 'met', False: 'MISSED', None: ''}[row.met]])
    # a one-cell note line sizes the scenario column only
    widths = [max(len(line[column]) for line in lines
                  if column < len(line) and (len(line) > 2 or column == 0))
              for column in range(len(header))]
    out = []
    for line in lines:
        if len(line) == 2:  # a scenario that did not run: one free-width line
            out.append(f'{line[0]:<{widths[0]}}  {line[1]}')
        else:
            out.append('  '.join(cell.ljust(width) if column < 4 else cell.rjust(width)
                                 for column, (cell, width) in enumerate(zip(line, widths))
                                 ).rstrip())
    out.insert(1, '-' * max(len(line) for line in out))
    return '\n'.join(out)


async def run_scenarios(args: argparse.Namespace, work_dir: Path) -> dict[str, dict]:
    """Run the selected scenarios in issue order; a failure is reported, not raised."""
    ctx = Context(quick=args.quick, scale=args.scale, repeats=args.repeats,
                  impls=args.impls, work_dir=work_dir)
    results: dict[str, dict] = {}
    for name in args.only:
        entry = SCENARIOS[name]
        record: dict[str, Any] = {'number': entry.number, 'title': entry.title}
        print(f'\n== {name} (#{entry.number}): {entry.title}', flush=True)
        started = time.monotonic()
        reason = entry.unavailable()
        try:
            if reason:
                raise harness.NotAvailable(reason)
            result = await entry.run(ctx)
        except harness.NotAvailable as error:
            record.update(status='not available', reason=str(error))
            print(f'not yet available: {error}', flush=True)
        except Exception as error:  # report it and go on with the other scenarios
            traceback.print_exc()
            record.update(status='error', reason=f'{type(error).__name__}: {error}')
        else:
            record.update(status='ok', params=result.params, rows=result.rows,
                          runs=result.runs, series=result.series, notes=result.notes)
            print(table({name: record}, args.impls), flush=True)
            for note in result.notes:
                print(f'note: {note}')
        record['elapsed_s'] = round(time.monotonic() - started, 1)
        results[name] = record
    return results


def _commit() -> Optional[str]:
    try:
        return subprocess.run(['git', '-C', str(harness.REPO), 'describe', '--always',
                               '--dirty'], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _reference_version() -> Optional[str]:
    try:
        return importlib.metadata.version('vuer')
    except importlib.metadata.PackageNotFoundError:
        return None


def _ros_setup(results: dict[str, dict]) -> Optional[dict]:
    """Return what the ROS scenarios ran on (executor, distro, RMW, Python), if any ran."""
    return next((result['params']['ros'] for result in results.values()
                 if result.get('params', {}).get('ros')), None)


def _describe(setup: dict) -> str:
    return (f'ROS {setup["distro"]}, {setup["rmw"]}, bridge executor '
            f'{setup["bridge_executor"]}, Python {setup["python"]}')


def _plot(results: dict[str, dict], path: Path) -> Optional[Path]:
    setup = _ros_setup(results)
    panels = {
        'latency': plot.Panel('Update latency (receive time - upsert time), CDF',
                              'latency (ms, log scale)', 'percentile', {}, log_x=True),
        'ros_latency': plot.Panel(
            'ROS -> websocket latency (receive - publish), CDF' + (
                f' ({setup["distro"]}, {setup["bridge_executor"]} executor, '
                f'Python {setup["python"]})' if setup else ''),
            'latency (ms, log scale)', 'percentile', {}, log_x=True),
        'rss': plot.Panel('Server RSS during the slow-client scenario', 'time (s)',
                          'RSS (MiB)', {}),
    }
    for result in results.values():
        for panel, series in result.get('series', {}).items():
            panels[panel].series.update(series)
    return path if plot.write_svg(path, list(panels.values())) else None


def main(argv: Optional[list[str]] = None) -> int:
    """Run the suite; the exit status is 0 unless the runner itself broke."""
    args = _parse(argv)
    reference = _reference_version()
    if reference is None and args.impl == 'both':
        print('the reference vuer is not installed here: measuring vuer_ros alone')
        args.impl = harness.OURS
    args.impls = harness.IMPLS if args.impl == 'both' else (args.impl,)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime('%Y%m%d-%H%M%S')
    work_dir = Path(tempfile.mkdtemp(prefix='vuer_ros-bench-'))
    began, load = time.monotonic(), os.getloadavg()
    results = asyncio.run(run_scenarios(args, work_dir))
    print('\n== summary\n' + table(results, args.impls))
    setup = _ros_setup(results)
    if setup:
        print(_describe(setup))
    plot_path = _plot(results, args.out / f'bench-{stamp}.svg')
    report = {
        'suite': 'vuer_ros bench',
        'format': 1,
        'started': stamp,
        'elapsed_s': round(time.monotonic() - began, 1),
        'command': [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])],
        'options': {'quick': args.quick, 'only': args.only, 'repeats': args.repeats,
                    'scale': args.scale, 'impls': list(args.impls)},
        'implementations': {harness.OURS: _commit(),
                            harness.REFERENCE: reference},
        'machine': {'cpus': os.cpu_count(), 'python': platform.python_version(),
                    'platform': platform.platform(), 'loadavg_at_start': load},
        'ros': setup,
        'plot': plot_path.name if plot_path else None,
        'scenarios': {name: {**record, 'rows': [row.as_json() for row in record['rows']]}
                      if 'rows' in record else record for name, record in results.items()},
    }
    json_path = args.out / f'bench-{stamp}.json'
    json_path.write_text(json.dumps(report, indent=1))
    print(f'\nresults: {json_path}' + (f'\nplot:    {plot_path}' if plot_path else ''))
    if args.keep_logs or any(record['status'] == 'error' for record in results.values()):
        print(f'server logs: {work_dir}')
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
