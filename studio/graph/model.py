"""The graph model: nodes with named ports, links between them, and change signals. Qt-free.

Edits are checked here and refused with typed errors (errors.py); the canvas mirrors the model through
the signals and never changes it directly.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import registry
from .errors import (
    CycleError,
    DuplicateLinkError,
    GraphError,
    PortOccupiedError,
    UnknownNodeError,
    UnknownPortError,
)
from .events import Signal


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)
    label: str = ""

    @property
    def spec(self) -> registry.LayerSpec:
        return registry.get(self.type)

    @property
    def title(self) -> str:
        return self.label or self.id


@dataclass(frozen=True)
class Link:
    src: str
    src_port: str
    dst: str
    dst_port: str

    def __str__(self) -> str:
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"


LinkCheck = Callable[["Graph", Link], None]


class LinkList(list):
    """Graph.links: a plain list of Links that also keeps, per node, the links into and out of it.

    Appends and single removals update the index in place; any other change to the list (insert, slice
    assignment, extend, sort, ...) marks it stale and it is rebuilt on the next query. Per-node lists keep
    the list's order, so a variadic input's links come back in the order they were connected.
    """

    def __init__(self, links: Iterable[Link] = ()) -> None:
        super().__init__(links)
        self._into: dict[str, list[Link]] = {}
        self._from: dict[str, list[Link]] = {}
        self._stale = True

    def __reduce__(self) -> tuple:  # copies and pickles rebuild the index instead of doubling it
        return LinkList, (list(self),)

    def index_into(self) -> dict[str, list[Link]]:
        if self._stale:
            self._rebuild()
        return self._into

    def index_from(self) -> dict[str, list[Link]]:
        if self._stale:
            self._rebuild()
        return self._from

    def _rebuild(self) -> None:
        into: dict[str, list[Link]] = {}
        out: dict[str, list[Link]] = {}
        for link in self:
            into.setdefault(link.dst, []).append(link)
            out.setdefault(link.src, []).append(link)
        self._into, self._from, self._stale = into, out, False

    def _forget(self, link: Link) -> None:
        if self._stale:
            return
        for table, key in ((self._into, link.dst), (self._from, link.src)):
            entries = table.get(key)
            if entries is None or entries.count(link) != 1:  # a repeated link: its position is ambiguous
                self._stale = True
                return
        for table, key in ((self._into, link.dst), (self._from, link.src)):
            entries = table[key]
            entries.remove(link)
            if not entries:
                del table[key]

    def _touched(self, *_: object) -> None:
        self._stale = True

    def append(self, link: Link) -> None:
        super().append(link)
        if not self._stale:
            self._into.setdefault(link.dst, []).append(link)
            self._from.setdefault(link.src, []).append(link)

    def remove(self, link: Link) -> None:
        super().remove(link)
        self._forget(link)

    def pop(self, index: int = -1) -> Link:  # type: ignore[override]
        link = super().pop(index)
        self._forget(link)
        return link

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, slice):
            super().__delitem__(key)
            self._stale = True
            return
        link = self[key]
        super().__delitem__(key)
        self._forget(link)

    def clear(self) -> None:
        super().clear()
        self._into, self._from, self._stale = {}, {}, False

    def insert(self, index: Any, link: Link) -> None:
        super().insert(index, link)
        self._stale = True

    def extend(self, links: Iterable[Link]) -> None:
        super().extend(links)
        self._stale = True

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._stale = True

    def __iadd__(self, links: Iterable[Link]) -> LinkList:  # type: ignore[override]
        self.extend(links)
        return self

    def __imul__(self, times: Any) -> LinkList:  # type: ignore[override]
        super().__imul__(times)
        self._stale = True
        return self

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._stale = True

    def reverse(self) -> None:
        super().reverse()
        self._stale = True


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    # Block definitions used by "Block" nodes (see blocks.py): name -> object with .inputs/.outputs PortSpecs
    blocks: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "links" and not isinstance(value, LinkList):
            value = LinkList(value)  # whatever list is given, links stay indexed per node
        object.__setattr__(self, name, value)

    def __post_init__(self) -> None:
        self.node_added = Signal()  # (node)
        self.node_removed = Signal()  # (node)
        self.node_changed = Signal()  # (node, what) what in {"params", "position", "label"}
        self.link_added = Signal()  # (link)
        self.link_removed = Signal()  # (link)
        self.connect_checks: list[LinkCheck] = []  # extra refusals, e.g. shape checks from inference

    # ------------------------------------------------------------------------------------- nodes ---
    def new_id(self, layer_type: str) -> str:
        stem = re.sub(r"[^0-9a-zA-Z]+", "_", layer_type).strip("_").lower() or "node"
        if stem[0].isdigit():
            stem = "n_" + stem
        n = 1
        while f"{stem}{n}" in self.nodes:
            n += 1
        return f"{stem}{n}"

    def add_node(self, layer_type: str, params: dict[str, Any] | None = None, *,
                 position: tuple[float, float] = (0.0, 0.0), label: str = "",
                 node_id: str | None = None) -> Node:
        spec = registry.get(layer_type)
        node_id = node_id or self.new_id(layer_type)
        if node_id in self.nodes:
            raise GraphError(f"a node named {node_id!r} already exists", node_id=node_id)
        if not node_id.isidentifier():
            raise GraphError(f"{node_id!r} is not a valid node id (letters, digits and _ only)",
                             node_id=node_id)
        node = Node(node_id, layer_type, spec.validate_params(params or {}, node_id=node_id),
                    (float(position[0]), float(position[1])), label)
        self.nodes[node_id] = node
        self.node_added.emit(node)
        return node

    def insert_node(self, node: Node) -> None:
        """Put back a node object (undo of a removal) with its id."""
        if node.id in self.nodes:
            raise GraphError(f"a node named {node.id!r} already exists", node_id=node.id)
        self.nodes[node.id] = node
        self.node_added.emit(node)

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise UnknownNodeError(f"there is no node {node_id!r}", node_id=node_id) from None

    def remove_node(self, node_id: str) -> tuple[Node, list[Link]]:
        """Remove a node and every link touching it; returns both (commands keep them for undo)."""
        node = self.node(node_id)
        touching = [link for link in self.links if node_id in (link.src, link.dst)]
        for link in touching:
            self.disconnect(link)
        del self.nodes[node_id]
        self.node_removed.emit(node)
        return node, touching

    def set_param(self, node_id: str, name: str, value: Any) -> Any:
        """Validate and set one parameter; returns the previous value."""
        node = self.node(node_id)
        spec = node.spec
        new_value = spec.param(name).validate(value, node_id=node_id)
        old = node.params[name]
        if old != new_value:
            node.params[name] = new_value
            self.node_changed.emit(node, "params")
        return old

    def set_label(self, node_id: str, label: str) -> str:
        node = self.node(node_id)
        old, node.label = node.label, label
        if old != label:
            self.node_changed.emit(node, "label")
        return old

    def move_node(self, node_id: str, position: tuple[float, float]) -> tuple[float, float]:
        node = self.node(node_id)
        old, node.position = node.position, (float(position[0]), float(position[1]))
        if old != node.position:
            self.node_changed.emit(node, "position")
        return old

    # ------------------------------------------------------------------------------------- ports ---
    def input_ports(self, node: Node) -> tuple[registry.PortSpec, ...]:
        if node.type == "Block" and node.params.get("block") in self.blocks:
            return tuple(self.blocks[node.params["block"]].inputs)
        return node.spec.inputs

    def output_ports(self, node: Node) -> tuple[registry.PortSpec, ...]:
        if node.type == "Block" and node.params.get("block") in self.blocks:
            return tuple(self.blocks[node.params["block"]].outputs)
        return node.spec.outputs

    # ------------------------------------------------------------------------------------- links ---
    def check_connect(self, src: str, src_port: str, dst: str, dst_port: str) -> Link:
        """Raise the typed error that refuses this link, or return the Link it would be."""
        src_node, dst_node = self.node(src), self.node(dst)
        outputs = self.output_ports(src_node)
        if all(p.name != src_port for p in outputs):
            names = ", ".join(p.name for p in outputs) or "none"
            raise UnknownPortError(f"{src_node.title} has no output {src_port!r} (outputs: {names})",
                                   node_id=src, port=src_port)
        inputs = self.input_ports(dst_node)
        in_spec = next((p for p in inputs if p.name == dst_port), None)
        if in_spec is None:
            names = ", ".join(p.name for p in inputs) or "none"
            raise UnknownPortError(f"{dst_node.title} has no input {dst_port!r} (inputs: {names})",
                                   node_id=dst, port=dst_port)
        link = Link(src, src_port, dst, dst_port)
        into = self.links.index_into().get(dst, ())
        if link in into:
            raise DuplicateLinkError(f"{link} is already connected", node_id=dst, port=dst_port)
        if not in_spec.variadic and any(l.dst_port == dst_port for l in into):
            raise PortOccupiedError(
                f"input {dst_port!r} of {dst_node.title} is already connected; disconnect it first",
                node_id=dst, port=dst_port)
        if src == dst or self._reaches(dst, src):
            raise CycleError(f"connecting {src_node.title} to {dst_node.title} would make a cycle",
                             node_id=dst, port=dst_port)
        for check in self.connect_checks:
            check(self, link)
        return link

    def connect(self, src: str, src_port: str, dst: str, dst_port: str, *, index: int | None = None) -> Link:
        link = self.check_connect(src, src_port, dst, dst_port)
        if index is None:
            self.links.append(link)
        else:
            self.links.insert(index, link)
        self.link_added.emit(link)
        return link

    def disconnect(self, link: Link) -> int:
        """Remove a link; returns its index (so undo can put a variadic input back in order)."""
        try:
            index = self.links.index(link)
        except ValueError:
            raise GraphError(f"{link} is not connected", node_id=link.dst, port=link.dst_port) from None
        del self.links[index]
        self.link_removed.emit(link)
        return index

    def links_into(self, node_id: str, port: str | None = None) -> list[Link]:
        links = self.links.index_into().get(node_id, ())
        return list(links) if port is None else [l for l in links if l.dst_port == port]

    def links_from(self, node_id: str, port: str | None = None) -> list[Link]:
        links = self.links.index_from().get(node_id, ())
        return list(links) if port is None else [l for l in links if l.src_port == port]

    def _reaches(self, start: str, goal: str) -> bool:
        out = self.links.index_from()
        stack, seen = [start], {start}
        while stack:
            current = stack.pop()
            if current == goal:
                return True
            for link in out.get(current, ()):
                if link.dst not in seen:
                    seen.add(link.dst)
                    stack.append(link.dst)
        return False

    # -------------------------------------------------------------------------------- traversal ---
    def successors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(l.dst for l in self.links.index_from().get(node_id, ())))

    def downstream(self, node_ids: set[str]) -> set[str]:
        """The given nodes and everything reachable from them."""
        out = self.links.index_from()
        stack, seen = list(node_ids), set(node_ids)
        while stack:
            for link in out.get(stack.pop(), ()):
                if link.dst not in seen:
                    seen.add(link.dst)
                    stack.append(link.dst)
        return seen

    def topological_order(self, among: set[str] | None = None) -> list[str]:
        """Node ids, each after all its inputs; ties keep insertion order (stable, so compile is too).

        With `among` (a set closed under successors, e.g. from downstream()), only those nodes, in an
        order valid for them; links from outside the set are taken as already satisfied.
        """
        into, out = self.links.index_into(), self.links.index_from()
        if among is None:
            indegree = {n: 0 for n in self.nodes}
            for link in self.links:
                indegree[link.dst] += 1
            ready = deque(n for n in self.nodes if indegree[n] == 0)
        else:
            indegree = {n: sum(l.src in among for l in into.get(n, ())) for n in among}
            sources = {n for n, count in indegree.items() if count == 0}
            ready = deque(n for n in self.nodes if n in sources) if len(sources) > 1 else deque(sources)
        order: list[str] = []
        while ready:
            current = ready.popleft()
            order.append(current)
            for link in out.get(current, ()):
                nxt = link.dst
                if nxt in indegree:
                    indegree[nxt] -= 1
                    if indegree[nxt] == 0:
                        ready.append(nxt)
        if len(order) != len(indegree):  # only reachable through a bad file; edits refuse cycles
            if among is not None:
                return self.topological_order()  # raises, naming every node of the graph's cycles
            stuck = sorted(set(self.nodes) - set(order))
            raise CycleError(f"the graph has a cycle through {', '.join(stuck)}", node_id=stuck[0])
        return order

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)
