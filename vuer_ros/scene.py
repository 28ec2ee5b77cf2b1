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
The scene a client should be showing, kept on the server.

Late joiners and clients brought back in sync after falling behind are sent this scene
whole, so it follows the client's own rules (read from its bundle, vuer 0.1.6): an upsert
merges into the node with that key (or inserts it under ``to``, dropping it when that
parent is missing), a remove drops the node with its subtree, a set replaces everything.
"""

from typing import Iterable, Iterator, Optional


class SceneTree:
    """
    Nodes in wire form, keyed by element key, with their parent links.

    Nodes given with nested ``children`` keep them; keys nested that way are indexed too,
    so a later upsert or remove of such a key finds it, as the client would.
    """

    def __init__(self) -> None:
        self.scene_props: dict = {}
        #: key -> node as last given (its own nested children included)
        self._nodes: dict[str, dict] = {}
        #: key -> parent key of nodes inserted with ``to`` (None: the scene root)
        self._parent: dict[str, Optional[str]] = {}
        #: parent key -> ordered keys attached to it with ``to``
        self._attached: dict[Optional[str], dict[str, None]] = {None: {}}
        #: nested key -> key of the top-level node that carries it
        self._carrier: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._nodes) + len(self._carrier)

    def __contains__(self, key: str) -> bool:
        return key in self._nodes or key in self._carrier

    def keys(self) -> Iterator[str]:
        """Every key the client holds, nested ones included."""
        yield from self._nodes
        yield from self._carrier

    def get(self, key: str) -> Optional[dict]:
        """Return the node with this key, wherever it is."""
        if key in self._nodes:
            return self._nodes[key]
        carrier = self._carrier.get(key)
        return None if carrier is None else _find_nested(self._nodes[carrier], key)

    def upsert(self, node: dict, to: Optional[str] = None, *,
               require_parent: bool = True) -> bool:
        """
        Merge ``node`` into the node with its key, or insert it under ``to``.

        As the client does: props of an existing node are merged (a ``children`` list
        replaces the old one), and a node whose parent ``to`` is missing is dropped.
        Return False when it was dropped.

        :param require_parent: False where the parent may live in another tree (a
            session's own changes attach to the app's shared scene).
        """
        key = node['key']
        if key in self._nodes:
            old = self._nodes[key]
            self._unindex_nested(old)
            merged = {**old, **node}
            self._nodes[key] = merged
            self._index_nested(merged, key)
            return True
        carrier = self._carrier.get(key)
        if carrier is not None:
            self._replace_nested(carrier, key, {**self.get(key), **node})
            return True
        if require_parent and to is not None and to not in self:
            return False
        self._nodes[key] = node
        self._parent[key] = to
        self._attached.setdefault(to, {})[key] = None
        self._index_nested(node, key)
        return True

    def update(self, patch: dict) -> None:
        """Merge props into an existing node; unknown keys are ignored, as in the client."""
        if patch['key'] in self:
            self.upsert(patch)

    def remove(self, keys: Iterable[str]) -> None:
        """Remove nodes and everything under them."""
        for key in keys:
            if key in self._nodes:
                self._remove_top(key)
            elif key in self._carrier:
                self._drop_attached(self.get(key))
                self._replace_nested(self._carrier[key], key, None)

    def set(self, scene: dict) -> None:  # noqa: A003 (the client's own verb)
        """Replace the whole scene with a Scene node."""
        self.clear()
        self.scene_props = {name: value for name, value in scene.items() if name != 'children'}
        for child in scene.get('children') or []:
            if isinstance(child, dict) and 'key' in child:
                self.upsert(child)

    def clear(self) -> None:
        """Forget every node and the scene props."""
        self.__init__()

    def copy(self) -> 'SceneTree':
        """
        Return an independent tree with the same nodes.

        The node maps are shared, which is safe because no change edits a node in place:
        a merge or a removal inside a node stores a new map.
        """
        other = SceneTree()
        other.scene_props = dict(self.scene_props)
        other._nodes = dict(self._nodes)
        other._parent = dict(self._parent)
        other._attached = {parent: dict(keys) for parent, keys in self._attached.items()}
        other._carrier = dict(self._carrier)
        return other

    def entries(self) -> Iterator[tuple[dict, Optional[str]]]:
        """Top-level nodes with their parent keys, parents before children."""
        pending: list[Optional[str]] = [None]
        while pending:
            parent = pending.pop(0)
            for key in self._attached.get(parent, ()):
                node = self._nodes[key]
                yield node, parent
                pending.append(key)
                pending.extend(nested_keys(node))

    def snapshot(self, default_scene: Optional[dict] = None) -> dict:
        """Return a Scene node holding the whole tree: what a SET must carry."""
        scene = dict(default_scene or {'tag': 'Scene', 'key': 'scene'})
        scene.update(self.scene_props)
        scene['children'] = [self._assemble(self._nodes[key]) for key in self._attached[None]]
        return scene

    def _assemble(self, node: dict) -> dict:
        """Return the node with the nodes attached to it (or its nested children) folded in."""
        children = [
            self._assemble(child) if isinstance(child, dict) and 'key' in child else child
            for child in _children(node)]
        children.extend(self._assemble(self._nodes[key])
                        for key in self._attached.get(node['key'], ()))
        return {**node, 'children': children}

    def _remove_top(self, key: str) -> None:
        node = self._nodes.pop(key)
        self._drop_attached(node)
        self._unindex_nested(node)
        self._attached.get(self._parent.pop(key), {}).pop(key, None)

    def _drop_attached(self, node: dict) -> None:
        """Remove the nodes attached to ``node`` or to any key nested in it."""
        for key in (node['key'], *nested_keys(node)):
            for child in list(self._attached.pop(key, ())):
                self._remove_top(child)

    def _index_nested(self, node: dict, carrier: str) -> None:
        for nested in nested_keys(node):
            self._carrier[nested] = carrier

    def _unindex_nested(self, node: dict) -> None:
        for nested in nested_keys(node):
            self._carrier.pop(nested, None)

    def _replace_nested(self, carrier: str, key: str, new: Optional[dict]) -> None:
        """Copy the carrier with the nested node replaced (or dropped, when new is None)."""
        old_carrier = self._nodes[carrier]
        self._unindex_nested(old_carrier)
        self._nodes[carrier] = _replaced(old_carrier, key, new)
        self._index_nested(self._nodes[carrier], carrier)


def _children(node: dict) -> list:
    children = node.get('children')
    return children if isinstance(children, list) else []


def nested_keys(node: dict) -> Iterator[str]:
    for child in _children(node):
        if isinstance(child, dict) and isinstance(child.get('key'), str):
            yield child['key']
            yield from nested_keys(child)


def _find_nested(node: dict, key: str) -> Optional[dict]:
    for child in _children(node):
        if isinstance(child, dict):
            if child.get('key') == key:
                return child
            found = _find_nested(child, key)
            if found is not None:
                return found
    return None


def _replaced(node: dict, key: str, new: Optional[dict]) -> dict:
    children = []
    for child in _children(node):
        if isinstance(child, dict) and child.get('key') == key:
            if new is not None:
                children.append(new)
        elif isinstance(child, dict):
            children.append(_replaced(child, key, new))
        else:
            children.append(child)
    return {**node, 'children': children}
