"""Live shape and cost inference: what the canvas shows on every wire and node.

`Inference(graph)` subscribes to the graph's signals and keeps one NodeInfo per node: the symbolic shape of
every output port (batch symbol N), a status ("ok", "error" at the offending node/port with a message a
user understands, or "unknown" for nodes that cannot be evaluated yet: unconnected inputs or an upstream
problem, which are not errors), and the node's Cost. Edits only mark nodes; `infer()` recomputes the
marked nodes and whatever their changes reach, in topological order, and stops propagating where a
node's outputs come out unchanged. It also registers a connect check refusing links whose shape the
destination cannot take (IncompatibleShapesError).

Blocks: a graph with "Block" nodes is evaluated through `blocks.expand_blocks(graph) -> Graph`, an
equivalent graph without Block nodes, under this interface:
  - nodes outside blocks keep their ids; copy i (0-based, of B.params["repeat"]) of block node B holds
    inner node X as `f"{B}__{i}__{X}"` (nested blocks nest the prefixes);
  - `graph.blocks[B.params["block"]]` is the Block definition, with `.inputs`/`.outputs` (PortSpecs),
    `.input_map: dict[port, list[(inner_node_id, inner_port)]]` (where copy 0 receives each boundary
    input), `.output_map: dict[port, (inner_node_id, inner_port)]` (what the last copy returns) and
    `.graph`, the inner graph (its Block nodes are resolved the same way).
A Block node's outputs are read from the last copy, its cost is the sum over all its inner nodes, and
the first inner error (in topological order) becomes the block's error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError, IncompatibleShapesError, ShapeError
from .events import Signal
from .model import Graph, Link, Node
from .registry import Cost
from .shapes import Incoming, Shape, format_shape

OK, ERROR, UNKNOWN = "ok", "error", "unknown"
# Producers whose consumers should hear what they reshaped ("16×5×5 from Flatten"), not just their name.
RESHAPING_TYPES = frozenset({"Flatten", "Unflatten", "Reshape", "View", "Permute"})
BLOCK = "Block"


@dataclass
class NodeInfo:
    status: str = UNKNOWN
    outputs: dict[str, Shape | None] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # port -> Incoming, or a list for variadic ports
    error: GraphError | None = None
    hint: str = ""  # why an "unknown" node cannot be evaluated
    cost: Cost | None = None
    origin: str = ""  # how this node's outputs are described in a consumer's messages

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else self.hint

    def same_for_consumers(self, other: NodeInfo) -> bool:
        return self.status == other.status and self.outputs == other.outputs and self.origin == other.origin

    def _key(self) -> tuple:
        error = (type(self.error), self.error.message, self.error.port) if self.error is not None else None
        return self.status, self.outputs, self.inputs, error, self.hint, self.cost, self.origin

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeInfo) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Totals:
    """Sums over the nodes inferred ok; activations are elements per sample."""

    params: int = 0
    flops: int = 0
    activations: int = 0
    errors: int = 0
    unknown: int = 0


class Inference:
    """Shapes, statuses and costs of a graph's nodes, kept up to date incrementally."""

    def __init__(self, graph: Graph, *, attach: bool = True, _depth: int = 0) -> None:
        self.graph = graph
        self.infos: dict[str, NodeInfo] = {}
        self.updated = Signal()  # (set of node ids whose NodeInfo changed), after each infer()
        self._seeds: set[str] = set(graph.nodes)
        self._attached = False
        self._depth = _depth
        self._expansion: tuple[Graph, Inference] | GraphError | None = None
        if attach:
            self.attach()

    # ------------------------------------------------------------------------------ subscriptions ---
    def attach(self) -> None:
        if self._attached:
            return
        g = self.graph
        g.node_added.connect(self._on_node_added)
        g.node_removed.connect(self._on_node_removed)
        g.node_changed.connect(self._on_node_changed)
        g.link_added.connect(self._on_link)
        g.link_removed.connect(self._on_link)
        g.connect_checks.append(self.check_link)
        self._attached = True
        self.invalidate()

    def detach(self) -> None:
        if not self._attached:
            return
        g = self.graph
        g.node_added.disconnect(self._on_node_added)
        g.node_removed.disconnect(self._on_node_removed)
        g.node_changed.disconnect(self._on_node_changed)
        g.link_added.disconnect(self._on_link)
        g.link_removed.disconnect(self._on_link)
        g.connect_checks.remove(self.check_link)
        self._attached = False

    def invalidate(self, node_ids: Iterable[str] | None = None) -> None:
        """Mark nodes (default: all) for re-inference, e.g. after a bulk load with signals blocked or an
        edit to a Block definition."""
        self._seeds.update(self.graph.nodes if node_ids is None else node_ids)

    @property
    def dirty(self) -> set[str]:
        """The nodes the next infer() may recompute: the edited nodes and their downstream."""
        return self.graph.downstream({n for n in self._seeds if n in self.graph.nodes})

    def _on_node_added(self, node: Node) -> None:
        self._seeds.add(node.id)

    def _on_node_removed(self, node: Node) -> None:
        self.infos.pop(node.id, None)
        self._seeds.discard(node.id)

    def _on_node_changed(self, node: Node, what: str) -> None:
        if what == "position":
            return
        if what == "label":  # only messages naming this node change: refresh those, re-infer nothing else
            info = self.infos.get(node.id)
            if info is not None:
                info.origin = self._origin(node, info.inputs)
            self._seeds.update(l.dst for l in self.graph.links_from(node.id)
                               if self.infos.get(l.dst, NodeInfo()).status == ERROR)
            return
        self._seeds.add(node.id)

    def _on_link(self, link: Link) -> None:
        if link.dst in self.graph.nodes:
            self._seeds.add(link.dst)

    # ---------------------------------------------------------------------------------- inference ---
    def infer(self) -> set[str]:
        """Recompute what the edits since the last call affect; returns the ids whose info changed."""
        if not self._seeds:
            return set()
        graph = self.graph
        seeds, self._seeds = self._seeds, set()
        # Only the edited nodes (and any never inferred) and what they reach can change: order just those.
        start = {n for n in seeds if n in graph.nodes} | (graph.nodes.keys() - self.infos.keys())
        dirty = graph.downstream(start)
        if 2 * len(dirty) >= len(graph.nodes):
            order = graph.topological_order()
        else:
            order = graph.topological_order(among=dirty)
        incoming = graph.links.index_into()
        self._expansion = None
        propagate: set[str] = set()
        updated: set[str] = set()
        for node_id in order:
            links = incoming.get(node_id, ())
            if node_id not in seeds and node_id in self.infos and not any(l.src in propagate for l in links):
                continue
            node = graph.nodes[node_id]
            try:
                info = self._infer_node(node, links)
            except GraphError as exc:  # e.g. a layer type this version does not know (from a newer file)
                info = self._fail(NodeInfo(), node, exc, {})
            old = self.infos.get(node_id)
            self.infos[node_id] = info
            if old is None or not old.same_for_consumers(info):
                propagate.add(node_id)
            if old != info:
                updated.add(node_id)
        self._expansion = None
        if updated:
            self.updated.emit(updated)
        return updated

    def info(self, node_id: str) -> NodeInfo:
        self.infer()
        return self.infos[node_id]

    def totals(self) -> Totals:
        self.infer()
        params = flops = activations = errors = unknown = 0
        for info in self.infos.values():
            if info.status == OK and info.cost is not None:
                params += info.cost.params
                flops += info.cost.flops
                activations += info.cost.activations
            errors += info.status == ERROR
            unknown += info.status == UNKNOWN
        return Totals(params, flops, activations, errors, unknown)

    def errors(self) -> list[GraphError]:
        self.infer()
        return [info.error for info in self.infos.values() if info.error is not None]

    def _gather(self, node: Node, links: Sequence[Link]) -> tuple[dict[str, Any], list[str], list[str]]:
        """(inputs for the layer's infer, unconnected required ports, producers without a shape)."""
        inputs: dict[str, Any] = {}
        missing: list[str] = []
        waiting: list[str] = []
        for port in self.graph.input_ports(node):
            port_links = [l for l in links if l.dst_port == port.name]
            if not port_links:
                if not port.optional:
                    missing.append(port.name)
                continue
            values = []
            for link in port_links:
                src = self.infos.get(link.src)
                shape = src.outputs.get(link.src_port) if src is not None and src.status == OK else None
                if shape is None:
                    waiting.append(link.src)
                else:
                    values.append(Incoming(shape, src.origin))  # type: ignore[union-attr]
            if len(values) == len(port_links):
                inputs[port.name] = values if port.variadic else values[0]
        return inputs, missing, waiting

    def _infer_node(self, node: Node, links: Sequence[Link]) -> NodeInfo:
        inputs, missing, waiting = self._gather(node, links)
        info = NodeInfo(inputs=inputs, origin=self._origin(node, inputs))
        out_ports = self.graph.output_ports(node)
        info.outputs = {p.name: None for p in out_ports}
        if missing:
            names = ", ".join(repr(m) for m in missing)
            info.hint = f"input {names} is not connected" if len(missing) == 1 else \
                f"inputs {names} are not connected"
            return info
        if waiting:
            src = self.graph.nodes[waiting[0]]
            bad = self.infos.get(src.id)
            info.hint = f"{_title(src)} has an error" if bad is not None and bad.status == ERROR else \
                f"the shape from {_title(src)} is not known yet"
            return info
        if node.type == BLOCK:
            return self._infer_block(node, info)
        spec = node.spec
        if spec.infer is None:
            info.hint = f"{spec.type} has no shape rule"
            return info
        try:
            result = spec.infer(node.params, inputs)
        except GraphError as exc:
            return self._fail(info, node, exc, inputs)
        except Exception as exc:  # a bug in a shape rule must not take the canvas down
            return self._fail(info, node, ShapeError(f"{spec.type} cannot work out its output shape ({exc})"),
                              inputs)
        info.status = OK
        info.outputs = {p.name: _plain(result.get(p.name)) for p in out_ports}
        if spec.cost is not None:
            try:
                info.cost = spec.cost(node.params, inputs, result)
            except Exception:
                info.cost = None
        else:
            info.cost = Cost()
        return info

    @staticmethod
    def _fail(info: NodeInfo, node: Node, exc: GraphError, inputs: dict[str, Any]) -> NodeInfo:
        exc.node_id = node.id
        if exc.port is None and len(inputs) == 1:
            exc.port = next(iter(inputs))
        info.status, info.error = ERROR, exc
        return info

    def _origin(self, node: Node, inputs: dict[str, Any]) -> str:
        if node.type in RESHAPING_TYPES and inputs:
            shape = next(iter(inputs.values()))
            if isinstance(shape, tuple):
                sample = shape[1:] if shape and isinstance(shape[0], str) else shape
                return f"{format_shape(tuple(sample))} from {_title(node)}"
        return f"from {_title(node)}"

    # ------------------------------------------------------------------------------------- blocks ---
    def _expanded(self) -> tuple[Graph, Inference] | GraphError:
        if self._expansion is None:
            try:
                if self._depth > 8:
                    raise GraphError("blocks are nested too deeply (or do not expand)")
                from .blocks import expand_blocks

                expanded = expand_blocks(self.graph)
                inner = Inference(expanded, attach=False, _depth=self._depth + 1)
                inner.infer()
                self._expansion = (expanded, inner)
            except GraphError as exc:
                self._expansion = exc
        return self._expansion

    def _infer_block(self, node: Node, info: NodeInfo) -> NodeInfo:
        expansion = self._expanded()
        if isinstance(expansion, GraphError):
            return self._fail(info, node, GraphError(expansion.message), {})
        expanded, inner = expansion
        try:
            mapping = block_outputs(self.graph, node.id)
        except GraphError as exc:
            return self._fail(info, node, exc, {})
        prefix = f"{node.id}__"
        members = [n for n in expanded.topological_order() if n.startswith(prefix)]
        for member in members:
            sub = inner.infos[member]
            if sub.status == ERROR:
                title = _title(expanded.nodes[member])
                return self._fail(info, node, type(sub.error)(f"{title}: {sub.message}"), {})  # type: ignore[misc]
        for member in members:
            if inner.infos[member].status == UNKNOWN:
                info.hint = inner.infos[member].hint
                return info
        info.status = OK
        info.outputs = {port: inner.infos[eid].outputs.get(eport) for port, (eid, eport) in mapping.items()}
        costs = [inner.infos[m].cost or Cost() for m in members]
        info.cost = Cost(sum(c.params for c in costs), sum(c.flops for c in costs),
                         sum(c.activations for c in costs))
        return info

    # ------------------------------------------------------------------------------ connect check ---
    def check_link(self, graph: Graph, link: Link) -> None:
        """Refuse a link whose source shape is known and that the destination's shape rule rejects.

        Only the new link is blamed: the destination is evaluated with it and again with a stand-in (an
        earlier link's shape on a variadic port, no link on an optional one); when the stand-in fails
        too, or the destination cannot be evaluated yet (other inputs unconnected or unknown), or the
        variadic port has nothing to compare against, the link is allowed.
        """
        if graph is not self.graph:
            return
        dst = graph.nodes[link.dst]
        if dst.type == BLOCK:
            return
        self.infer()
        src = self.infos.get(link.src)
        if src is None or src.status != OK or src.outputs.get(link.src_port) is None:
            return
        spec = dst.spec
        port = next((p for p in graph.input_ports(dst) if p.name == link.dst_port), None)
        if spec.infer is None or port is None:
            return
        existing = graph.links_into(dst.id)
        inputs, missing, waiting = self._gather(dst, [*existing, link])
        if missing or waiting:
            return
        try:
            spec.infer(dst.params, inputs)
            return
        except ShapeError as exc:
            problem = exc
        except Exception:
            return
        if port.variadic:
            earlier = inputs[port.name][:-1]
            if not earlier:
                return
            stand_in: dict[str, Any] | None = {**inputs, port.name: [*earlier, earlier[0]]}
        else:
            stand_in, missing, waiting = self._gather(dst, existing)
            if missing or waiting:
                stand_in = None
        if stand_in is not None:
            try:
                spec.infer(dst.params, stand_in)
            except Exception:
                return
        raise IncompatibleShapesError(problem.message, node_id=dst.id, port=link.dst_port)


def block_outputs(graph: Graph, block_id: str) -> dict[str, tuple[str, str]]:
    """Where block node `block_id`'s output ports live in the expanded graph: port -> (node id, port)."""
    node = graph.node(block_id)
    return {port: _expanded_source(graph, block_id, port) for port in _definition(graph, node).output_map}


def _definition(graph: Graph, node: Node) -> Any:
    definition = graph.blocks.get(node.params.get("block"))
    if definition is None:
        raise GraphError(f"{node.title} uses an unknown block {node.params.get('block')!r}", node_id=node.id)
    return definition


def _expanded_source(graph: Graph, node_id: str, port: str) -> tuple[str, str]:
    node = graph.nodes[node_id]
    if node.type != BLOCK:
        return node_id, port
    definition = _definition(graph, node)
    inner_id, inner_port = definition.output_map[port]
    inner_graph = getattr(definition, "graph", None)
    if inner_graph is not None and inner_id in inner_graph.nodes:  # the inner node may be a block too
        inner_id, inner_port = _expanded_source(inner_graph, inner_id, inner_port)
    return f"{node_id}__{node.params.get('repeat', 1) - 1}__{inner_id}", inner_port


def _title(node: Node) -> str:
    """A node's title, without the block copy prefixes expansion adds to ids ("enc__0__fc1" -> "fc1")."""
    if node.label:
        return node.label
    match = _EXPANDED_ID.fullmatch(node.id)
    return match.group(1) if match else node.id


_EXPANDED_ID = re.compile(r"(?:\w+?__\d+__)+(\w+?)")


def _plain(shape: Any) -> Shape | None:
    return None if shape is None else tuple(shape)

