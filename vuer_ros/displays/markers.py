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

Both kinds read the serialized message (``raw``) where its layout is the one
``convert.cdr`` decodes: points and colours come as arrays, never as one Python object
per point, and each marker brings its bytes, stamp aside. Publishers re-send big arrays
mostly unchanged (planning scenes, costmap debug markers), so a marker whose bytes are
those it was last drawn from costs a comparison: it is not converted or sent again, only
its lifetime restarts, as RViz2's re-add restarts it.
"""

from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from vuer_ros.convert import cdr, markers as mk
from vuer_ros.convert.frames import normalize_frame
from vuer_ros.convert.transforms import pose_transform
from vuer_ros.displays.base import Alarm, Display, DisplayContext, Param, Qos
from vuer_ros.schemas import Element


class MarkerSlot(NamedTuple):
    """Where a marker added to a MarkerStore is drawn, and until when."""

    key: str
    frame_id: str
    #: when its lifetime ends (None: never)
    expires: Optional[float] = None


class _Entry(NamedTuple):
    key: str
    expires: Optional[float]  # seconds on the loop's clock; None = never
    #: what it was drawn from: the marker's bytes stamp aside (None: unknown), its
    #: stamp, and the element, so an unchanged re-send is neither converted nor sent
    content: Optional[bytes] = None
    stamp: Any = None
    element: Optional[Element] = None


class MarkerStore:
    """
    The markers shown for one topic: (ns, id) to key, frame and expiry time.

    Pure bookkeeping with time passed in (seconds, e.g. the loop's receive time).
    """

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._entries: dict[tuple[str, int], _Entry] = {}
        #: Moves on every change of what is shown, so a reader can tell nothing changed.
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, ident: tuple[str, int]) -> bool:
        return ident in self._entries

    def key(self, ns: str, marker_id: int) -> str:
        """Return the scene key of marker (ns, id) on this topic."""
        return mk.marker_key(self.topic, ns, marker_id)

    def add(self, marker: object, now: float,
            element: Optional[Element] = None) -> MarkerSlot:
        """
        Record an ADD/MODIFY received at ``now``; a re-add restarts its lifetime.

        ``element`` is what the marker was drawn as, kept with the marker's bytes (when it
        came serialized) for :meth:`drawn_as`.
        """
        lifetime = marker.lifetime
        lifetime_ns = lifetime.sec * 1_000_000_000 + lifetime.nanosec
        expires = now + lifetime_ns * 1e-9 if lifetime_ns > mk.MIN_LIFETIME_NS else None
        ident = (marker.ns, marker.id)
        entry = _Entry(self.key(*ident), expires, getattr(marker, 'content', None),
                       marker.header.stamp, element)
        self._entries[ident] = entry
        self.generation += 1
        return MarkerSlot(entry.key, normalize_frame(marker.header.frame_id), expires)

    def drawn_as(self, marker: object) -> Optional[_Entry]:
        """Return the entry of a marker shown from these bytes, stamp aside (None: changed)."""
        content = getattr(marker, 'content', None)
        entry = self._entries.get((marker.ns, marker.id))
        if content is None or entry is None or entry.content != content:
            return None
        return entry

    def delete(self, ns: str, marker_id: int) -> list[str]:
        """Keys to remove for DELETE of (ns, id): one, or none if it is not shown."""
        entry = self._entries.pop((ns, marker_id), None)
        self.generation += 1
        return [entry.key] if entry else []

    def delete_all(self, ns: str = '') -> list[str]:
        """Keys to remove for DELETEALL: every marker, or only namespace ``ns``'s."""
        self.generation += 1
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
        self.generation += bool(doomed)
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

    @property
    def has_lifetimes(self) -> bool:
        """Tell whether a shown marker may have a lifetime to restart (O(1))."""
        return self._earliest is not None

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
        frame_locked = bool(marker.frame_locked)
        shown = store.drawn_as(marker)
        if shown is not None:
            element = shown.element
            # Its placement is the same too, unless it is placed by a stamp that moved.
            unmoved = frame_locked or marker.header.stamp == shown.stamp or (
                normalize_frame(marker.header.frame_id) == context.scene.frames.fixed_frame)
        else:
            element, unmoved = self._convert(marker), False
            if element is None:
                return
        slot = store.add(marker, now, element)
        if slot.expires is not None and (self._earliest is None or slot.expires < self._earliest):
            self._earliest = slot.expires
        if unmoved:
            return
        # A frame-locked marker follows the latest transform; the others are placed at
        # their stamp, as RViz2's MarkerDisplay places them through its MessageFilter.
        context.scene.draw(store.topic, slot.key, slot.frame_id, element,
                           frame_locked=frame_locked, pose=pose_transform(marker.pose),
                           stamp=None if frame_locked else marker.header.stamp, built=True)

    def _convert(self, marker: Any) -> Optional[Element]:
        """Return the marker's element, or None (warned) when RViz2 would not draw it."""
        store, context = self.store, self.context
        key = store.key(marker.ns, marker.id)
        try:
            element = mk.marker_to_element(marker, key, mesh_url=self._mesh_url(marker),
                                           font_url=context.font_url, charset=context.charset)
        except mk.MarkerError as error:
            context.warn(f'{key}:error', f'{store.topic}: {error}')
            if error.hide:
                context.scene.erase(store.delete(marker.ns, marker.id))
            return None
        for text in mk.marker_warnings(marker):
            context.warn(f'{key}:warning', f'{store.topic}: marker (ns {marker.ns!r}, id '
                                           f'{marker.id}): {text}')
        return element

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

    @classmethod
    def reads_raw(cls, message_class: type) -> bool:
        """Read serialized messages when ``convert.cdr`` knows this installed layout."""
        return cdr.layout_supported(message_class)

    def on_raw(self, data: bytes) -> None:
        """
        Decode a serialized message and show it as :meth:`on_message` would.

        Raises ``cdr.CdrError``, having drawn nothing, for bytes the decoder refuses (it
        is stricter than rclpy, which reads invalid UTF-8, for one): the node then
        deserializes them with rclpy and calls :meth:`on_message`.
        """
        self.on_message(cdr.decode_marker(data))

    def on_message(self, message: Any) -> None:
        """Add, modify or delete one marker."""
        self.markers.on_marker(message, self.markers.now())
        self.markers.schedule_expiry()

    def close(self) -> None:
        """Stop the expiry timer."""
        self.markers.close()


class _LastArray(NamedTuple):
    """The array drawn last, kept to find what the next one changes."""

    data: bytes
    starts: np.ndarray            # where each marker starts (its stamp), in ``data``
    markers: list                 # the decoded markers
    #: every action was ADD and no (ns, id) came twice: re-applying changes nothing
    plain: bool
    generation: int               # the store's generation once it was drawn


def _plain(markers: list) -> bool:
    """Tell whether every action is ADD and every (ns, id) comes once."""
    return (all(marker.action == mk.ADD for marker in markers)
            and len({(marker.ns, marker.id) for marker in markers}) == len(markers))


def changed_markers(data: bytes, last: bytes, starts: np.ndarray) -> list[int]:
    """
    Return the indices of the markers whose bytes differ between two arrays.

    ``starts`` are the offsets of the markers of ``last``, which ``data`` must equal in
    length. One vectorised comparison of the two buffers; a marker whose stamp alone
    changed counts as changed.
    """
    differ = np.flatnonzero(np.frombuffer(data, np.uint8) != np.frombuffer(last, np.uint8))
    return np.unique(np.searchsorted(starts, differ, side='right') - 1).tolist()


def _redecode(data: bytes, last: _LastArray, changed: list[int]) -> Optional[list]:
    """
    Return the markers of ``data``, only ``changed`` decoded anew; None if any moved.

    A changed marker must end where the next one started before; when one grew and
    another shrank by as much, the markers between moved, and the caller decodes all.
    """
    markers = list(last.markers)
    count, starts = len(markers), last.starts
    for index in changed:
        marker = cdr.decode_marker_at(data, int(starts[index]))
        following = int(starts[index + 1]) if index + 1 < count else len(data)
        if (marker.end + 3) & ~3 != following and marker.end != following:
            return None
        markers[index] = marker
    return markers


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

    def __init__(self, topic: str, context: DisplayContext) -> None:
        super().__init__(topic, context)
        self._last: Optional[_LastArray] = None

    def on_raw(self, data: bytes) -> None:
        """
        Draw a serialized array, decoding and applying only the markers that changed.

        An array as long as the last one, with as many markers, is compared with it byte
        for byte; only the markers whose bytes differ are decoded. When nothing else
        changed the topic since (no marker deleted, expired or set by the Marker
        sibling), the last array only added distinct markers and none has a lifetime to
        restart, the unchanged markers are left alone: re-applying them would change
        nothing. Otherwise every marker is applied in order, the unchanged ones from their
        last decoding, and the store's comparison of bytes spares their conversion.
        """
        last, store = self._last, self.markers.store
        changed, markers = None, None
        if last is not None and len(data) == len(last.data) and data[:8] == last.data[:8]:
            changed = changed_markers(data, last.data, last.starts)
            markers = _redecode(data, last, changed)
        if markers is None:
            changed, markers = None, cdr.decode_marker_array(data)
        if changed is None:
            plain, starts = _plain(markers), np.array([marker.start for marker in markers])
        else:
            starts = last.starts
            plain = last.plain and (not changed or _plain(markers))
        quiet = (changed is not None and last.plain and plain
                 and last.generation == store.generation and not self.markers.has_lifetimes)
        self._draw([markers[index] for index in changed] if quiet else markers,
                   warn_duplicates=not plain)
        self._last = _LastArray(data, starts, markers, plain, store.generation)

    def on_message(self, message: Any) -> None:
        """Apply every marker of the array, warning once about duplicate (ns, id)s."""
        self._last = None
        self._draw(message.markers, warn_duplicates=True)

    def _draw(self, markers: list, warn_duplicates: bool) -> None:
        if warn_duplicates:
            duplicate = mk.duplicate_error(markers)
            if duplicate:
                self.context.warn(f'duplicate:{self.topic}', f'{self.topic}: {duplicate}')
        now = self.markers.now()
        for marker in markers:
            self.markers.on_marker(marker, now)
        self.markers.schedule_expiry()


DISPLAYS = (MarkerDisplay, MarkerArrayDisplay)
