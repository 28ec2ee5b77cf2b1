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
The scene verbs of the Vuer protocol, and the calls scripts make with them.

Each verb (UPSERT, ADD, UPDATE, REMOVE, SET) is one row of a table: what its payload is,
how it changes a :class:`SceneTree` the way the client changes its own scene, and the
frame it travels in. An edit is packed once and queued for every client that shows it.
"""

from collections import defaultdict
import enum
from functools import cached_property
import logging
import time
from typing import Any, Callable, Iterable, NamedTuple, Optional, Union

from vuer_ros import wire
from vuer_ros.outbox import Outbox, UpsertBatch
from vuer_ros.scene import nested_keys, SceneTree
from vuer_ros.schemas import Element, serialize_all
from vuer_ros.validation import validate_nodes

LOG = logging.getLogger(__name__)

ElementLike = Union[Element, dict]
Elements = Union[ElementLike, Iterable[ElementLike]]


class EditKind(enum.Enum):
    """The protocol's scene verbs; ``_RULES`` says what each one does."""

    UPSERT = 'UPSERT'
    ADD = 'ADD'
    UPDATE = 'UPDATE'
    REMOVE = 'REMOVE'
    SET = 'SET'


def _upsert_all(tree: SceneTree, nodes: list, to: Optional[str],
                require_parent: bool) -> list:
    return [node for node in nodes if tree.upsert(node, to, require_parent=require_parent)]


def _update_all(tree: SceneTree, patches: list, to: Optional[str],
                require_parent: bool) -> list:
    for patch in patches:
        tree.update(patch)
    return patches


def _remove_all(tree: SceneTree, keys: list, to: Optional[str], require_parent: bool) -> list:
    tree.remove(keys)
    return keys


def _set_scene(tree: SceneTree, scenes: list, to: Optional[str], require_parent: bool) -> list:
    tree.set(scenes[0])
    return scenes


def _packed(nodes: list) -> list[bytes]:
    return [wire.pack(node) for node in nodes]


def _node_keys(nodes: list) -> list[str]:
    return [key for node in nodes for key in (node['key'], *nested_keys(node))]


class _Rule(NamedTuple):
    """What one verb does."""

    #: The payload is keys (REMOVE), not nodes to validate.
    keys_only: bool
    #: The nodes are patches of nodes that exist, so required props may be absent.
    partial: bool
    #: Change a tree; return the part of the payload it took (orphans are dropped).
    apply: Callable[[SceneTree, list, Optional[str], bool], list]
    #: The frame that carries the payload; None: one upsert per node, coalesced per key.
    frame: Optional[Callable[[list, Optional[str]], bytes]]
    #: The keys the payload touches, nested ones included (None: every key).
    keys: Callable[[list], Optional[list[str]]]
    #: Shared keys it sends show again in a session that had removed them.
    reshows: bool


_RULES: dict[EditKind, _Rule] = {
    EditKind.UPSERT: _Rule(False, False, _upsert_all, None, _node_keys, True),
    EditKind.ADD: _Rule(
        False, False, _upsert_all,
        lambda nodes, to: wire.nodes_frame('ADD', _packed(nodes), to), _node_keys, True),
    # The client ignores patches of keys it does not hold, so UPDATE shows nothing again.
    EditKind.UPDATE: _Rule(
        False, True, _update_all,
        lambda nodes, to: wire.update_frame(_packed(nodes)), _node_keys, False),
    EditKind.REMOVE: _Rule(
        True, False, _remove_all, lambda keys, to: wire.remove_frame(keys), list, False),
    EditKind.SET: _Rule(
        False, False, _set_scene, lambda scenes, to: wire.set_frame(scenes[0]),
        lambda scenes: None, False),
}


class SceneEdit(NamedTuple):
    """One change: a verb, its payload (nodes in wire form, or keys) and the parent key."""

    kind: EditKind
    payload: list
    to: Optional[str] = None

    def apply_to(self, tree: SceneTree, require_parent: bool = True) -> 'SceneEdit':
        """
        Change ``tree`` as the client would; return the part of the edit it took.

        :param require_parent: False where the parent may live in another tree (a
            session's own changes attach to the app's shared scene).
        """
        kept = _RULES[self.kind].apply(tree, self.payload, self.to, require_parent)
        return self if len(kept) == len(self.payload) else self._replace(payload=kept)

    def pack(self) -> 'PackedEdit':
        """Pack the edit once, for as many clients as show it."""
        return PackedEdit(self)


class PackedEdit:
    """An edit in wire form, ready to queue on any number of outboxes."""

    def __init__(self, edit: SceneEdit) -> None:
        self._edit = edit
        self._rule = _RULES[edit.kind]
        self._frame: Optional[bytes] = None
        self._upserts: Optional[UpsertBatch] = None
        if self._rule.frame is None:
            self._upserts = UpsertBatch(edit.to, [
                (node['key'], wire.pack(node), tuple(nested_keys(node)))
                for node in edit.payload])
        else:
            self._frame = self._rule.frame(edit.payload, edit.to)

    @property
    def reshows(self) -> bool:
        """Tell whether a shared key this edit sends shows again where it was removed."""
        return self._rule.reshows

    @cached_property
    def keys(self) -> Optional[list[str]]:
        """Return the keys the edit touches, nested ones included (None: every key)."""
        return self._rule.keys(self._edit.payload)

    def queue_on(self, outbox: Outbox) -> None:
        """Queue the edit: upserts wait coalescable per key, other frames in order."""
        if self._frame is not None:
            outbox.frame(self._frame, self.keys)
        else:
            outbox.batch(self._upserts)


class Throttle:
    """Let one log line per topic through per period, counting what it held back."""

    def __init__(self, period: float = 2.0) -> None:
        self.period = period
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = defaultdict(int)

    def __call__(self, topic: str, level: int, message: str,
                 exc_info: Optional[BaseException] = None) -> None:
        now = time.monotonic()
        if now - self._last.get(topic, -1e9) < self.period:
            self._held[topic] += 1
            return
        self._last[topic] = now
        held = self._held.pop(topic, 0)
        LOG.log(level, message + (f' ({held} more like it held back)' if held else ''),
                exc_info=exc_info)


class SceneCall:
    """``target.upsert @ element`` and ``target.upsert(element, to='parent')`` alike."""

    def __init__(self, publish: Callable[[EditKind, Any, Optional[str]], None],
                 kind: EditKind) -> None:
        self._publish = publish
        self._kind = kind

    def __matmul__(self, elements: Any) -> None:
        self._publish(self._kind, elements, None)

    def __call__(self, elements: Any, to: Optional[str] = None, strict: bool = False) -> None:
        """
        Apply the verb under parent ``to``.

        :param strict: accepted as ``vuer`` does; the client's own rules apply either way.
        """
        self._publish(self._kind, elements, to)


def _verb(kind: EditKind, doc: str) -> property:
    """Return the property behind ``target.<verb> @ elements``."""
    return property(lambda target: SceneCall(target.publish, kind), doc=doc)


class ScenePublisher:
    """Scene calls shared by sessions and the app: validate, then deliver one edit."""

    upsert = _verb(EditKind.UPSERT,
                   'Update nodes by key, inserting the ones that are missing (``to``: parent).')
    add = _verb(EditKind.ADD, 'Insert nodes under ``to`` (the scene root by default).')
    update = _verb(EditKind.UPDATE, 'Patch props of nodes that exist, by key.')
    remove = _verb(EditKind.REMOVE,
                   "Remove nodes (with their subtrees) by key: ``remove @ 'key'`` or a list.")
    set = _verb(EditKind.SET,  # noqa: A003 (Vuer's API: session.set @ Scene(...))
                'Replace the whole scene with a ``Scene`` element.')

    def __init__(self) -> None:
        self._throttle = Throttle()

    def publish(self, kind: EditKind, elements: Any, to: Optional[str] = None) -> None:
        """Validate ``elements`` (nodes, or keys for REMOVE) and deliver them as one edit."""
        rule = _RULES[kind]
        if rule.keys_only:
            payload = [elements] if isinstance(elements, str) else [str(key) for key in elements]
        else:
            payload = self._checked(elements, rule.partial)
        if payload:
            self._deliver(SceneEdit(kind, payload, to))

    def publish_built(self, kind: EditKind, elements: Any, to: Optional[str] = None) -> None:
        """
        Deliver elements vuer_ros's own converters built, without validating them again.

        Validation guards the API, where scripts build elements; converters build only
        sendable ones (finite numbers within float32, lists of children, packed arrays of
        matching sizes: their tests check it), and checking them again cost more than
        building them. Should one still not pack, nothing is kept or sent and the reason
        is logged, as for a rejected element.
        """
        payload = serialize_all(elements)
        try:
            self._deliver(SceneEdit(kind, payload, to))
        except (ValueError, TypeError, OverflowError) as error:
            rejected = validate_nodes(payload)[1]
            key = rejected[0].key if rejected else payload[0].get('key')
            reason = rejected[0].reason if rejected else f'cannot be packed: {error}'
            self._throttle(f'reject:{key}', logging.ERROR, f'element {key!r} not sent: {reason}')

    def _checked(self, elements: Elements, partial: bool) -> list[dict]:
        """Nodes that are safe to send; the others are logged with their key and why."""
        nodes, rejected = validate_nodes(serialize_all(elements), partial=partial)
        for error in rejected:
            self._throttle(f'reject:{error.key}', logging.ERROR,
                           f'element {error.key!r} not sent: {error.reason}')
        return nodes

    def _deliver(self, edit: SceneEdit) -> None:
        """
        Apply an edit to the scene this object keeps, and send it.

        It packs the edit before it changes the scene, so an edit that cannot be packed
        leaves everything as it was.
        """
        raise NotImplementedError
