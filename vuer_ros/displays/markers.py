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
The Marker and MarkerArray displays: RViz2's marker rules, lifetimes and deletions.

As RViz2's MarkerDisplay on topic T also listens to T_array, a Marker topic and its
``_array`` sibling share one (ns, id) space and one group in the scene. Markers are
drawn by the pure converter (``convert.markers``); this module keeps which markers a
topic shows and when their lifetimes end, and wakes up exactly then (no polling).
"""

from typing import Any, Callable, NamedTuple, Optional

from vuer_ros.convert import markers as mk
from vuer_ros.convert.frames import normalize_frame
from vuer_ros.convert.transforms import pose_transform
from vuer_ros.displays.base import Alarm, Display, DisplayContext, Param, Qos


class MarkerSlot(NamedTuple):
    """Where a marker added to a MarkerStore is drawn, and until when."""

    key: str
    frame_id: str
    #: when its lifetime ends (None: never)
    expires: Optional[float] = None


class _Entry(NamedTuple):
    key: str
    expires: Optional[float]  # seconds on the loop's clock; None = never


class MarkerStore:
    """
    The markers shown for one topic: (ns, id) to key, frame and expiry time.

    Pure bookkeeping with time passed in (seconds, e.g. the loop's receive time).
    """

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._entries: dict[tuple[str, int], _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, ident: tuple[str, int]) -> bool:
        return ident in self._entries

    def key(self, ns: str, marker_id: int) -> str:
        """Return the scene key of marker (ns, id) on this topic."""
        return mk.marker_key(self.topic, ns, marker_id)

    def add(self, marker: object, now: float) -> MarkerSlot:
        """Record an ADD/MODIFY received at ``now``; a re-add restarts its lifetime."""
        lifetime = marker.lifetime
        lifetime_ns = lifetime.sec * 1_000_000_000 + lifetime.nanosec
        expires = now + lifetime_ns * 1e-9 if lifetime_ns > mk.MIN_LIFETIME_NS else None
        ident = (marker.ns, marker.id)
        entry = _Entry(self.key(*ident), expires)
        self._entries[ident] = entry
        return MarkerSlot(entry.key, normalize_frame(marker.header.frame_id), expires)

    def delete(self, ns: str, marker_id: int) -> list[str]:
        """Keys to remove for DELETE of (ns, id): one, or none if it is not shown."""
        entry = self._entries.pop((ns, marker_id), None)
        return [entry.key] if entry else []

    def delete_all(self, ns: str = '') -> list[str]:
        """Keys to remove for DELETEALL: every marker, or only namespace ``ns``'s."""
        if not ns:
            keys = [entry.key for entry in self._entries.values()]
            self._entries.clear()
            return keys
        doomed = [ident for ident in self._entries if ident[0] == ns]
        return [self._entries.pop(ident).key for ident in doomed]

    def expired(self, now: float) -> list[str]:
        """Keys of markers whose lifetime is over at ``now``; they are forgotten."""
        doomed = [ident for ident, entry in self._entries.items()
                  if entry.expires is not None and now >= entry.expires]
        return [self._entries.pop(ident).key for ident in doomed]

    def next_expiry(self) -> Optional[float]:
        """When the next marker's lifetime ends (None: no marker has a lifetime)."""
        return min((entry.expires for entry in self._entries.values()
                    if entry.expires is not None), default=None)


class _MarkerTopic:
    """What a Marker topic and its _array sibling share: the store and the expiry timer."""

    def __init__(self, topic: str, context: DisplayContext) -> None:
        self.store = MarkerStore(topic)
        self.context = context
        self._alarm = Alarm(context, self.expire)
        # Earliest lifetime end seen since the last expiry: never later than the truth, so
        # a timer set from it fires in time (early at worst), and reading it is O(1).
        self._earliest: Optional[float] = None

    def now(self) -> float:
        return self.context.now()

    def on_marker(self, marker: Any, now: float) -> None:
        store, scene, warn = self.store, self.context.scene, self.context.warn
        action = marker.action
        if action == mk.ADD:
            self._add(marker, now)
        elif action == mk.DELETE:
            scene.erase(store.delete(marker.ns, marker.id))
        elif action == mk.DELETEALL:
            scene.erase(store.delete_all(marker.ns))
        else:
            warn(f'action:{store.topic}', f'{store.topic}: marker (ns {marker.ns!r}, id '
                                          f'{marker.id}) has unknown action {action}; ignored')

    def _add(self, marker: Any, now: float) -> None:
        store, context = self.store, self.context
        key = store.key(marker.ns, marker.id)
        try:
            element = mk.marker_to_element(marker, key, mesh_url=self._mesh_url(marker),
                                           font_url=context.font_url, charset=context.charset)
        except mk.MarkerError as error:
            context.warn(f'{key}:error', f'{store.topic}: {error}')
            if error.hide:
                context.scene.erase(store.delete(marker.ns, marker.id))
            return
        for text in mk.marker_warnings(marker):
            context.warn(f'{key}:warning', f'{store.topic}: marker (ns {marker.ns!r}, id '
                                           f'{marker.id}): {text}')
        slot = store.add(marker, now)
        if slot.expires is not None and (self._earliest is None or slot.expires < self._earliest):
            self._earliest = slot.expires
        frame_locked = bool(marker.frame_locked)
        # A frame-locked marker follows the latest transform; the others are placed at
        # their stamp, as RViz2's MarkerDisplay places them through its MessageFilter.
        context.scene.draw(store.topic, slot.key, slot.frame_id, element,
                           frame_locked=frame_locked, pose=pose_transform(marker.pose),
                           stamp=None if frame_locked else marker.header.stamp)

    def _mesh_url(self, marker: Any) -> Callable[[str], Optional[str]]:
        """
        Return a resolver the converter calls only once the marker passed its checks.

        Resolving publishes the mesh's folder over HTTP, so a rejected marker must never
        get that far.
        """
        def resolve(uri: str) -> Optional[str]:
            meshes, warn = self.context.meshes, self.context.warn
            if meshes is None:
                warn('meshes', 'mesh markers are not served by this scene')
                return None
            embedded = bytes(marker.mesh_file.data) if uri.startswith('embedded://') else None
            try:
                return meshes.url_for(uri, embedded)
            except ValueError as error:
                warn(f'mesh:{uri}', f'mesh {uri!r} of marker (ns {marker.ns!r}, id '
                                    f'{marker.id}): {error}')
                return None
        return resolve

    # -- lifetimes ------------------------------------------------------------------------

    def expire(self, now: float) -> Optional[float]:
        """Remove markers whose lifetime is over; return when the next one ends."""
        self.context.scene.erase(self.store.expired(now))
        self._earliest = self.store.next_expiry()
        return self._earliest

    def schedule_expiry(self) -> None:
        """Wake up exactly when the next marker lifetime ends (no polling timer)."""
        self._alarm.at(self._earliest)

    def close(self) -> None:
        self._alarm.cancel()


class MarkerDisplay(Display):
    """visualization_msgs/Marker: one marker per message, kept by (ns, id)."""

    kind = 'marker'
    message_type = 'visualization_msgs/msg/Marker'
    default_topics = ('/visualization_marker',)

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        # A Marker display on T also listens to T_array: both share one (ns, id) space.
        shared_topic = topic.removesuffix('_array')
        self.markers: _MarkerTopic = context.shared.setdefault(
            ('markers', shared_topic), _MarkerTopic(shared_topic, context))

    @property
    def group(self) -> str:
        """Marker topic T and T_array are one display in RViz2: one group here too."""
        return self.markers.store.topic

    def on_message(self, message: Any) -> None:
        """Add, modify or delete one marker."""
        self.markers.on_marker(message, self.markers.now())
        self.markers.schedule_expiry()

    def close(self) -> None:
        """Stop the expiry timer."""
        self.markers.close()


BACKLOG = Param('marker_array_backlog', 3,
                'MarkerArray messages that may wait to be drawn (and the history depth of '
                'their subscriptions); when drawing falls behind, older ones are dropped so '
                'the view stays live instead of lagging more and more.', low=1, high=10000)


class MarkerArrayDisplay(MarkerDisplay):
    """visualization_msgs/MarkerArray: every marker of the array, in order."""

    kind = 'marker_array'
    message_type = 'visualization_msgs/msg/MarkerArray'
    default_topics = ('/visualization_marker_array',)
    options = (BACKLOG,)
    # Every array queued in DDS costs a deserialization first: keep only a few.
    qos = Qos('reliable as RViz2, but a history of marker_array_backlog arrays: each '
              'waiting array costs a whole deserialization, so a backlog only adds lag',
              depth=BACKLOG.name)

    def on_message(self, message: Any) -> None:
        """Apply every marker of the array, warning once about duplicate (ns, id)s."""
        duplicate = mk.duplicate_error(message.markers)
        if duplicate:
            self.context.warn(f'duplicate:{self.topic}', f'{self.topic}: {duplicate}')
        now = self.markers.now()
        for marker in message.markers:
            self.markers.on_marker(marker, now)
        self.markers.schedule_expiry()


DISPLAYS = (MarkerDisplay, MarkerArrayDisplay)
