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
Every displayable topic, found by itself: what to show as the ROS graph changes.

RViz2 and Foxglove make the user add each display by hand; with ``auto_topics`` the
viewer shows every topic whose type has a display, filtered by the allow and deny
lists, and finds topics again as they appear and vanish. This is the pure decision; the
node feeds it scans of the graph and applies the plan. Topics of types no display
claims are reported once each, not at every scan.
"""

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from vuer_ros.displays import BY_MESSAGE_TYPE
from vuer_ros.displays.base import Display

#: Topics every ROS graph has that no user wants listed as "not shown".
INFRASTRUCTURE = frozenset({'/rosout', '/parameter_events'})


@dataclass(frozen=True)
class GraphTopic:
    """A topic as a graph scan sees it."""

    name: str
    types: tuple[str, ...]
    publishers: int


@dataclass
class DiscoveryPlan:
    """What one scan changes: topics to show and to stop listening to, and new unknowns."""

    show: list[tuple[str, type[Display]]] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)


class TopicDiscovery:
    """
    Decides, scan by scan, which graph topics the viewer shows by itself.

    :param explicit: topics configured by parameter; they are shown whatever the graph
        says, with their configured settings, so discovery leaves them alone.
    :param allowed: tells whether the allow and deny lists let a topic be shown.
    :param options: parameter values (a kind can be switched off, e.g. ``use_tf``).
    """

    def __init__(self, explicit: Iterable[str], allowed, options: Mapping) -> None:
        self._explicit = set(explicit)
        self._allowed = allowed
        self._options = options
        self.shown: dict[str, type[Display]] = {}
        self._reported: set[tuple[str, str]] = set()

    def scan(self, topics: Iterable[GraphTopic]) -> DiscoveryPlan:
        """Compare a graph scan with what is shown; return the changes to make."""
        plan = DiscoveryPlan()
        live = set()
        for topic in topics:
            if topic.name in self._explicit or not self._allowed(topic.name):
                continue
            kind = next((BY_MESSAGE_TYPE[t] for t in topic.types if t in BY_MESSAGE_TYPE),
                        None)
            if kind is None:
                self._report(topic, plan)
                continue
            if (topic.publishers == 0 or not kind.enabled(self._options)
                    or not kind.claims(topic.name)):
                continue
            live.add(topic.name)
            if topic.name not in self.shown:
                self.shown[topic.name] = kind
                plan.show.append((topic.name, kind))
        for name in [name for name in self.shown if name not in live]:
            del self.shown[name]
            plan.drop.append(name)
        return plan

    def _report(self, topic: GraphTopic, plan: DiscoveryPlan) -> None:
        if topic.name in INFRASTRUCTURE or topic.publishers == 0:
            return
        for type_name in topic.types:
            if (topic.name, type_name) not in self._reported:
                self._reported.add((topic.name, type_name))
                plan.unknown.append((topic.name, type_name))
