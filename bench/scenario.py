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
What a scenario is, the registry the runner reads, and the side-by-side repeat loop.

A scenario is an async function ``run(ctx) -> Result`` registered with :func:`scenario`.
Adding one is writing that function in a module imported by ``run.py``; the runner does
the selection, the ``not yet available`` notices, the table, the JSON and the plot.
"""

from dataclasses import asdict, dataclass, field
import operator
from pathlib import Path
import re
from typing import Any, Awaitable, Callable, Optional

import harness

#: name -> Scenario, filled by the @scenario decorator
SCENARIOS: dict[str, 'Scenario'] = {}

#: An absolute target, written into a metric's name: "latency p50 (target < 30)".
_GOAL = re.compile(r'\(target (<=|>=|<|>) ?([0-9][0-9,.]*)\)')
_COMPARE = {'<': operator.lt, '<=': operator.le, '>': operator.gt, '>=': operator.ge}


def goal_met(metric: str, value: Any) -> Optional[bool]:
    """
    Tell whether ``value`` meets the target its metric's name states; None: no target.

    Targets live in the metric names, where a reader of the table sees them; this reads
    them back, so every scenario's table marks each one met or missed the same way.
    """
    found = _GOAL.search(metric)
    if found is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _COMPARE[found.group(1)](value, float(found.group(2).replace(',', '')))


@dataclass
class Context:
    """Run options every scenario reads."""

    quick: bool
    #: every measurement window is multiplied by this (smoke tests use a small one)
    scale: float
    #: repeats given on the command line (None: each scenario's default)
    repeats: Optional[int]
    impls: tuple[str, ...]
    #: where servers write their logs and state (a temporary folder)
    work_dir: Path

    def seconds(self, full: float, quick: float) -> float:
        """Return a window length for this run mode."""
        return (quick if self.quick else full) * self.scale

    def repeat_count(self, full: int, quick: int = 1) -> int:
        """How many times each case is measured (medians are reported)."""
        if self.repeats is not None:
            return self.repeats
        return quick if self.quick else full


@dataclass
class Row:
    """One line of the table: a metric of one case, per implementation."""

    case: str
    metric: str
    unit: str
    #: impl -> number (a yes/no for flags; None when not measured)
    values: dict[str, Any]
    #: 'lower' or 'higher' is better; None: no ratio (e.g. a count)
    better: Optional[str] = None
    #: the smallest non-zero value the measurement can show (a ratio against a 0 uses it)
    resolution: float = 0.0
    #: the ratio the issue asks for, shown beside the measured one
    target: Optional[float] = None
    ratio: Optional[float] = field(init=False, default=None)
    ratio_is_lower_bound: bool = field(init=False, default=False)
    #: whether vuer_ros meets the absolute target in the metric's name (None: none)
    met: Optional[bool] = field(init=False, default=None)

    def __post_init__(self) -> None:
        """Ratio = how many times better vuer_ros is than vuer, measured in the same run."""
        ours, ref = self.values.get(harness.OURS), self.values.get(harness.REFERENCE)
        self.met = goal_met(self.metric, ours)
        if self.better is None or not all(isinstance(value, (int, float))
                                          for value in (ours, ref)):
            return
        if self.better == 'lower':
            good, bad = ours, ref
        else:
            good, bad = ref, ours
        if good <= 0 and self.resolution > 0:
            good, self.ratio_is_lower_bound = self.resolution, True
        if good > 0:
            self.ratio = bad / good

    def as_json(self) -> dict:
        """Return the row as stored in the results file."""
        return asdict(self)


@dataclass
class Result:
    """What a scenario hands back: table rows, raw runs and optional plot series."""

    params: dict
    rows: list[Row]
    #: case -> impl -> list of per-repeat measurements
    runs: dict[str, dict[str, list[dict]]]
    #: plot panel ('latency', 'rss') -> label -> points
    series: dict[str, dict[str, list]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    """A registered benchmark."""

    name: str
    number: int
    title: str
    run: Callable[[Context], Awaitable[Result]]
    #: returns why the scenario cannot run here, or None
    unavailable: Callable[[], Optional[str]]


def scenario(name: str, number: int, title: str,
             unavailable: Callable[[], Optional[str]] = lambda: None) -> Callable:
    """Register ``async def run(ctx) -> Result`` as scenario ``name`` (issue number ``number``)."""
    def register(run: Callable[[Context], Awaitable[Result]]) -> Callable:
        SCENARIOS[name] = Scenario(name, number, title, run, unavailable)
        return run
    return register


async def side_by_side(ctx: Context, cases: dict[str, dict], repeats: int,
                       measure: Callable[..., Awaitable[dict]]) -> dict[str, dict[str, list]]:
    """
    Measure every case on every implementation, ``repeats`` times, interleaved.

    Each repeat runs each case on both servers back to back, so slow drifts of a noisy
    machine (other jobs, thermal) fall on both alike. ``measure(impl, **params)``
    returns one measurement (a flat dict).
    """
    runs: dict[str, dict[str, list]] = {case: {impl: [] for impl in ctx.impls}
                                        for case in cases}
    for _ in range(repeats):
        for case, params in cases.items():
            for impl in ctx.impls:
                runs[case][impl].append(await measure(impl, **params))
    return runs


def medians(runs: dict[str, dict[str, list]]) -> dict[str, dict[str, dict]]:
    """Reduce runs to case -> impl -> per-metric medians over the repeats."""
    return {case: {impl: harness.median_of(measured) for impl, measured in by_impl.items()}
            for case, by_impl in runs.items()}


def row(case: str, metric: str, unit: str, by_impl: dict[str, dict], name: str,
        **options: Any) -> Row:
    """Make a table row of metric ``name`` from each implementation's medians."""
    return Row(case, metric, unit, {impl: values.get(name) for impl, values in by_impl.items()},
               **options)
