"""Blocks: a selection of nodes saved as a reusable sub-graph with boundary ports, shown as one "Block"
node (params: `block`, the definition's name, and `repeat`, e.g. 'Encoder × 6'). Qt-free.

A definition's ports come from the links that crossed the selection: one input port per outside source
(it may feed several inner ports), one output port per inner source read from outside. Compile and
inference work on `expand_blocks(graph)`, a plain graph where every Block node became its copies.
Definitions live in `graph.blocks` (one dict shared with every inner graph, so nesting resolves by name);
project files carry the ones they use, and a BlockLibrary keeps them as `<name>.msblock` files.

Variadic inputs (Concat, Add) fed both from inside and across the boundary remember their link order in
`Block.order` ("node.port" -> sources, "@port" for a block input), so expansion keeps Concat's order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import registry
from .errors import CycleError, GraphError, ProjectFormatError
from .model import Graph, Link, Node
from .registry import LayerSpec, ParamSpec, PortSpec
from .serialize import FORMAT_VERSION, atomic_write, dumps, graph_from_dict, graph_to_dict, loads, read_text
from .serialize import field as get

BLOCK_TYPE = "Block"
BLOCK_SUFFIX = ".msblock"
_NAME = re.compile(r"\w(?:[\w .-]{0,62}\w)?")

if BLOCK_TYPE not in registry.REGISTRY:
    registry.register(LayerSpec(
        type=BLOCK_TYPE, category="Blocks",
        doc="A reusable sub-graph shown as one node; repeat chains N copies (outputs feed the next inputs).",
        params=(ParamSpec("block", "str", "", doc="name of the block definition"),
                ParamSpec("repeat", "int", 1, minimum=1, doc="copies chained one after another")),
        inputs=(), outputs=(), role=registry.ROLE_BLOCK,
    ))


@dataclass(eq=False)
class Block:
    name: str
    graph: Graph
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    input_map: dict[str, list[tuple[str, str]]]
    output_map: dict[str, tuple[str, str]]
    order: dict[str, list[str]] = field(default_factory=dict)

    @property
    def repeatable(self) -> bool:
        return len(self.inputs) == len(self.outputs)


def check_block_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise GraphError(f"{name!r} can't name a block: use letters, digits, spaces, '.', '-' or '_' "
                         "(at most 64, not starting or ending with a space)")
    return name


def block_caption(node: Node) -> str:
    """'Encoder × 6' (or 'Encoder' when repeat is 1): the text a Block node shows."""
    name, repeat = node.params.get("block", ""), node.params.get("repeat", 1)
    return f"{name} × {repeat}" if repeat > 1 else name


# ------------------------------------------------------------------------------ serialisation ---
def _endpoint(text: Any, location: str) -> tuple[str, str]:
    if not isinstance(text, str) or text.count(".") != 1:
        raise ProjectFormatError(f"expected 'node.port', not {text!r}", location=location)
    node_id, port = text.split(".")
    return node_id, port


def block_to_dict(block: Block) -> dict[str, Any]:
    data = graph_to_dict(block.graph)
    data["inputs"] = [{"name": p.name, "targets": [f"{n}.{q}" for n, q in block.input_map[p.name]]}
                      for p in block.inputs]
    data["outputs"] = [{"name": p.name, "source": "{}.{}".format(*block.output_map[p.name])}
                       for p in block.outputs]
    if block.order:
        data["order"] = {k: list(v) for k, v in block.order.items()}
    return data


def block_from_dict(name: str, data: Any, location: str, blocks: dict[str, Block]) -> Block:
    graph = graph_from_dict(data, location, blocks)
    inputs, input_map, fed = [], {}, {(l.dst, l.dst_port) for l in graph.links}
    for i, raw in enumerate(get(data, "inputs", list, location)):
        where = f"{location}.inputs[{i}]"
        port = _port_name(get(raw, "name", str, where), input_map, where)
        input_map[port] = []
        for j, text in enumerate(get(raw, "targets", list, where)):
            node_id, inner = _endpoint(text, f"{where}.targets[{j}]")
            spec = _inner_port(graph, node_id, inner, graph.input_ports, f"{where}.targets[{j}]")
            if not spec.variadic and (node_id, inner) in fed:
                raise ProjectFormatError(f"input {inner!r} of {node_id} is fed twice",
                                         location=f"{where}.targets[{j}]")
            fed.add((node_id, inner))
            input_map[port].append((node_id, inner))
        inputs.append(PortSpec(port))
    outputs, output_map = [], {}
    for i, raw in enumerate(get(data, "outputs", list, location)):
        where = f"{location}.outputs[{i}]"
        port = _port_name(get(raw, "name", str, where), output_map, where)
        node_id, inner = _endpoint(get(raw, "source", str, where), f"{where}.source")
        _inner_port(graph, node_id, inner, graph.output_ports, f"{where}.source")
        output_map[port] = (node_id, inner)
        outputs.append(PortSpec(port))
    order = get(data, "order", dict, location, {})
    for key, tokens in order.items():
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ProjectFormatError("expected a list of sources", location=f"{location}.order.{key}")
    return Block(name, graph, tuple(inputs), tuple(outputs), input_map, output_map,
                 {k: list(v) for k, v in order.items()})


def _port_name(name: str, taken: Mapping[str, Any], location: str) -> str:
    if not name.isidentifier() or name in taken:
        raise ProjectFormatError(f"{name!r} is not a valid, unique port name", location=location)
    return name


def _inner_port(graph: Graph, node_id: str, port: str, ports: Any, location: str) -> PortSpec:
    if node_id not in graph.nodes:
        raise ProjectFormatError(f"refers to node {node_id!r} which does not exist", location=location)
    spec = next((p for p in ports(graph.nodes[node_id]) if p.name == port), None)
    if spec is None:
        raise ProjectFormatError(f"{node_id} has no port {port!r}", location=location)
    return spec


def used_blocks(graph: Graph) -> list[str]:
    """Names of the definitions the graph's Block nodes use, nested ones included."""
    names: list[str] = []

    def visit(g: Graph) -> None:
        for node in g:
            if node.type != BLOCK_TYPE:
                continue
            name = node.params["block"]
            if name not in g.blocks:
                raise GraphError(f"{node.title} uses block {name!r}, which is not defined", node_id=node.id)
            if name not in names:
                names.append(name)
                visit(g.blocks[name].graph)

    visit(graph)
    return names


def blocks_to_dict(graph: Graph) -> dict[str, Any]:
    return {name: block_to_dict(graph.blocks[name]) for name in used_blocks(graph)}


def blocks_from_dict(data: Any, location: str = "blocks") -> dict[str, Block]:
    """Parse definitions, each after the ones it nests (so the result is in dependency order), refusing a
    block that contains itself."""
    if not isinstance(data, dict):
        raise ProjectFormatError("blocks must be an object of name: definition", location=location)
    blocks: dict[str, Block] = {}
    visiting: list[str] = []

    def parse(name: str, where: str) -> None:
        if name in blocks:
            return
        if name in visiting:
            chain = " -> ".join([*visiting[visiting.index(name):], name])
            raise ProjectFormatError(f"block {name!r} contains itself ({chain})", location=where)
        if name not in data:
            raise ProjectFormatError(f"there is no block definition {name!r}", location=where)
        raw, here = data[name], f"{location}.{name}"
        try:
            check_block_name(name)
        except GraphError as exc:
            raise ProjectFormatError(exc.message, location=here) from None
        visiting.append(name)
        for i, nested in _nested_names(raw):
            parse(nested, f"{here}.nodes[{i}].params.block")
        visiting.pop()
        blocks[name] = block_from_dict(name, raw, here, blocks)

    for name in data:
        parse(name, f"{location}.{name}")
    return blocks


def _nested_names(raw: Any) -> list[tuple[int, str]]:
    nodes = raw.get("nodes") if isinstance(raw, dict) else None
    found = []
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        if not isinstance(node, dict) or node.get("type") != BLOCK_TYPE:
            continue
        params = node.get("params")
        if isinstance(params, dict) and isinstance(params.get("block"), str):
            found.append((i, params["block"]))
    return found


def install_blocks(graph: Graph, data: Mapping[str, Any]) -> dict[str, str]:
    """Add definitions (dict form, e.g. from the clipboard or the library) to graph.blocks. A name already
    used by an identical definition is shared; by a different one, the newcomer is renamed. Returns
    old name -> name in the graph."""
    renames: dict[str, str] = {}
    for name in blocks_from_dict(dict(data)):  # validates everything first; dependency order
        block = block_from_dict(name, _rename_nested(data[name], renames), f"blocks.{name}", graph.blocks)
        existing = graph.blocks.get(name)
        if existing is not None and block_to_dict(existing) == block_to_dict(block):
            renames[name] = name
            continue
        block.name = _unique(name, graph.blocks)
        renames[name] = block.name
        graph.blocks[block.name] = block
    return renames


def _rename_nested(raw: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    nodes = []
    for node in raw["nodes"]:
        if node["type"] == BLOCK_TYPE and node["params"]["block"] in renames:
            node = {**node, "params": {**node["params"], "block": renames[node["params"]["block"]]}}
        nodes.append(node)
    return {**raw, "nodes": nodes}


# ---------------------------------------------------------------------------- group / ungroup ---
def _check_selection(graph: Graph, node_ids: Iterable[str]) -> list[str]:
    ordered = list(dict.fromkeys(node_ids))
    wanted = set(ordered)
    if not wanted:
        raise GraphError("select the nodes to group into a block first")
    for node_id in ordered:
        node = graph.node(node_id)
        if node.spec.role in (registry.ROLE_INPUT, registry.ROLE_TARGET, registry.ROLE_OUTPUT):
            raise GraphError(f"{node.title} ({node.type}) can't go inside a block: data enters and leaves "
                             "a block through its ports", node_id=node_id)
    reaches: set[str] = set(wanted)  # nodes with a path into the selection
    changed = True
    while changed:
        before = len(reaches)
        reaches |= {l.src for l in graph.links if l.dst in reaches}
        changed = len(reaches) != before
    between = (graph.downstream(wanted) & reaches) - wanted
    if between:
        names = ", ".join(n for n in graph.nodes if n in between)
        raise CycleError(f"{names} lies between selected nodes; select it too, or the block would feed "
                         "itself", node_id=next(iter(sorted(between))))
    return [n for n in graph.nodes if n in wanted]


def _unique(name: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def group_into_block(graph: Graph, node_ids: Iterable[str], name: str, *,
                     node_id: str | None = None) -> tuple[Block, Node]:
    """Replace the selected nodes by one Block node wired to the same outside nodes."""
    selected = _check_selection(graph, node_ids)
    check_block_name(name)
    if name in graph.blocks:
        raise GraphError(f"a block named {name!r} already exists")
    sel = set(selected)
    block_id = node_id or graph.new_id(name)
    if block_id in graph.nodes:
        raise GraphError(f"a node named {block_id!r} already exists", node_id=block_id)
    in_ports: dict[tuple[str, str], str] = {}
    out_ports: dict[tuple[str, str], str] = {}
    input_map: dict[str, list[tuple[str, str]]] = {}
    output_map: dict[str, tuple[str, str]] = {}
    internal: list[Link] = []
    outer: list[Link] = []
    new_links: list[Link] = []
    tokens: dict[tuple[str, str], list[str]] = {}
    for link in graph.links:
        inside_src, inside_dst = link.src in sel, link.dst in sel
        if inside_src and inside_dst:
            internal.append(link)
            tokens.setdefault((link.dst, link.dst_port), []).append(f"{link.src}.{link.src_port}")
        elif inside_dst:
            key = (link.src, link.src_port)
            if key not in in_ports:
                in_ports[key] = port = _unique(link.dst_port, input_map)
                input_map[port] = []
                outer.append(Link(link.src, link.src_port, block_id, port))
                new_links.append(outer[-1])
            input_map[in_ports[key]].append((link.dst, link.dst_port))
            tokens.setdefault((link.dst, link.dst_port), []).append("@" + in_ports[key])
        elif inside_src:
            key = (link.src, link.src_port)
            if key not in out_ports:
                out_ports[key] = port = _unique(link.src_port, output_map)
                output_map[port] = key
            outer.append(Link(block_id, out_ports[key], link.dst, link.dst_port))
            new_links.append(outer[-1])
        else:
            outer.append(link)
    order = {f"{n}.{p}": t for (n, p), t in tokens.items()
             if len(t) > 1 and any(x.startswith("@") for x in t)}
    inner = Graph(blocks=graph.blocks)
    for nid in selected:
        node = graph.nodes[nid]
        inner.nodes[nid] = Node(nid, node.type, dict(node.params), node.position, node.label)
    inner.links.extend(internal)
    block = Block(name, inner, tuple(PortSpec(p) for p in input_map), tuple(PortSpec(p) for p in output_map),
                  input_map, output_map, order)
    index = list(graph.nodes).index(selected[0])
    graph.blocks[name] = block
    for nid in selected:
        graph.remove_node(nid)
    xs, ys = zip(*(inner.nodes[n].position for n in selected))
    node = graph.add_node(BLOCK_TYPE, {"block": name, "repeat": 1}, node_id=block_id,
                          position=(sum(xs) / len(xs), sum(ys) / len(ys)))
    place_nodes(graph, [block_id], index)
    _set_links(graph, outer, new_links)
    return block, node


def ungroup(graph: Graph, block_node_id: str) -> list[str]:
    """Put a Block node's inner nodes back in its place; returns their ids (renamed where taken)."""
    node = graph.node(block_node_id)
    if node.type != BLOCK_TYPE:
        raise GraphError(f"{node.title} is not a block", node_id=block_node_id)
    name = node.params["block"]
    block = graph.blocks.get(name)
    if block is None:
        raise GraphError(f"{node.title} uses block {name!r}, which is not defined", node_id=block_node_id)
    if node.params["repeat"] != 1:
        raise GraphError(f"set repeat to 1 before ungrouping {block_caption(node)}", node_id=block_node_id)
    taken = set(graph.nodes) - {block_node_id}
    renames: dict[str, str] = {}
    for inner in block.graph:
        renames[inner.id] = new = inner.id if inner.id not in taken else _fresh_id(inner.type, taken)
        taken.add(new)
    inner_nodes = list(block.graph)
    xs, ys = zip(*(n.position for n in inner_nodes)) if inner_nodes else ((0.0,), (0.0,))
    dx, dy = node.position[0] - sum(xs) / len(xs), node.position[1] - sum(ys) / len(ys)
    # Inner links go in with the first link into the block, all sorted in dataflow order (by the inner
    # topological position of their destination): exact for links made in the order data flows.
    flow = {n: i for i, n in enumerate(block.graph.topological_order())}
    ranks: dict[Link, int | None] = {}
    internal: list[tuple[int, int, Link]] = []
    for l in block.graph.links:
        new = Link(renames[l.src], l.src_port, renames[l.dst], l.dst_port)
        ranks[new] = _rank(block, l.dst, l.dst_port, f"{l.src}.{l.src_port}")
        internal.append((flow[l.dst], ranks[new] or 0, new))
    links: list[Link] = []
    for link in graph.links:
        if link.dst == block_node_id:
            entering = []
            for n, p in block.input_map[link.dst_port]:
                new = Link(link.src, link.src_port, renames[n], p)
                ranks[new] = _rank(block, n, p, "@" + link.dst_port)
                entering.append((flow[n], ranks[new] or 0, new))
            merged, internal = entering + internal, []
            links += [new for *_, new in sorted(merged, key=lambda item: item[:2])]
        elif link.src == block_node_id:
            n, p = block.output_map[link.src_port]
            links.append(Link(renames[n], p, link.dst, link.dst_port))
        else:
            links.append(link)
    links += [new for *_, new in internal]
    links = _apply_order(links, {k: v for k, v in ranks.items() if v is not None})
    index = list(graph.nodes).index(block_node_id)
    graph.remove_node(block_node_id)
    for inner in inner_nodes:
        graph.insert_node(Node(renames[inner.id], inner.type, dict(inner.params),
                               (inner.position[0] + dx, inner.position[1] + dy), inner.label))
    place_nodes(graph, [renames[n.id] for n in inner_nodes], index)
    have = set(graph.links)
    _set_links(graph, links, [l for l in links if l not in have])
    return [renames[n.id] for n in inner_nodes]


def _fresh_id(layer_type: str, taken: set[str]) -> str:
    stem = re.sub(r"[^0-9a-zA-Z]+", "_", layer_type).strip("_").lower() or "node"
    stem = "n_" + stem if stem[0].isdigit() else stem
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def place_nodes(graph: Graph, node_ids: list[str], index: int) -> None:
    """Move nodes to position `index` of graph order (the order files list them in)."""
    moving = [graph.nodes[n] for n in node_ids]
    skip = set(node_ids)
    rest = [n for n in graph.nodes.values() if n.id not in skip]
    rest[index:index] = moving
    graph.nodes.clear()
    graph.nodes.update((n.id, n) for n in rest)


def _set_links(graph: Graph, links: list[Link], added: list[Link]) -> None:
    """Set the final link order; announce the new links (already checked: the dataflow is unchanged)."""
    graph.links[:] = links
    for link in added:
        graph.link_added.emit(link)


def _rank(block: Block | None, node_id: str, port: str, token: str) -> int | None:
    tokens = block.order.get(f"{node_id}.{port}") if block is not None else None
    return tokens.index(token) if tokens and token in tokens else None


def _apply_order(links: list[Link], ranks: Mapping[Link, int]) -> list[Link]:
    """Reorder, in the slots they occupy, the links into each port that has a recorded order."""
    links = list(links)
    for port in {(l.dst, l.dst_port) for l in ranks}:
        slots = [i for i, l in enumerate(links) if (l.dst, l.dst_port) == port]
        ordered = sorted((links[i] for i in slots), key=lambda l: ranks.get(l, len(links)))
        for i, link in zip(slots, ordered):
            links[i] = link
    return links


# --------------------------------------------------------------------------------- expansion ---
class _Level:
    """One expanded copy of a graph: where its node ports ended up in the plain graph."""

    def __init__(self, prefix: str, block: Block | None) -> None:
        self.prefix, self.block = prefix, block
        self.copies: dict[str, tuple[Block, list[_Level]]] = {}

    def source(self, node_id: str, port: str) -> tuple[str, str]:
        if node_id in self.copies:
            block, copies = self.copies[node_id]
            return copies[-1].source(*block.output_map[port])
        return self.prefix + node_id, port

    def targets(self, node_id: str, port: str, token: str) -> list[tuple[str, str, int | None]]:
        if node_id in self.copies:
            return self.copies[node_id][1][0].entry(port)
        return [(self.prefix + node_id, port, _rank(self.block, node_id, port, token))]

    def entry(self, port: str) -> list[tuple[str, str, int | None]]:
        assert self.block is not None
        return [t for n, p in self.block.input_map[port] for t in self.targets(n, p, "@" + port)]


def expand_blocks(graph: Graph) -> Graph:
    """An equivalent graph without Block nodes: a Block with repeat N becomes N chained copies of its
    inner graph, node ids f"{block_node_id}__{i}__{inner_id}" (nested blocks expand recursively)."""
    out = Graph()
    links: list[Link] = []
    ranks: dict[Link, int] = {}
    _expand(graph, _Level("", None), (), out, links, ranks)
    out.links.extend(_apply_order(links, ranks))
    return out


def _expand(graph: Graph, level: _Level, stack: tuple[str, ...], out: Graph, links: list[Link],
            ranks: dict[Link, int]) -> _Level:
    def add(src: tuple[str, str], dst: tuple[str, str, int | None]) -> None:
        link = Link(src[0], src[1], dst[0], dst[1])
        links.append(link)
        if dst[2] is not None:
            ranks[link] = dst[2]

    for node in graph:
        if node.type != BLOCK_TYPE:
            new_id = level.prefix + node.id
            out.nodes[new_id] = Node(new_id, node.type, dict(node.params), node.position, node.label)
            continue
        name, repeat = node.params["block"], node.params["repeat"]
        block = graph.blocks.get(name)
        if block is None:
            raise GraphError(f"{node.title} uses block {name!r}, which is not defined", node_id=node.id)
        if name in stack:
            raise GraphError(f"block {name!r} contains itself", node_id=node.id)
        if repeat > 1 and not block.repeatable:
            raise GraphError(f"Block {name!r} can repeat only if its outputs match its inputs "
                             f"({len(block.inputs)} inputs, {len(block.outputs)} outputs)", node_id=node.id)
        copies = [_expand(block.graph, _Level(f"{level.prefix}{node.id}__{i}__", block), (*stack, name),
                          out, links, ranks) for i in range(repeat)]
        for prev, nxt in zip(copies, copies[1:]):
            for pin, pout in zip(block.inputs, block.outputs):
                src = prev.source(*block.output_map[pout.name])
                for dst in nxt.entry(pin.name):
                    add(src, dst)
        level.copies[node.id] = (block, copies)
    for link in graph.links:
        src = level.source(link.src, link.src_port)
        for dst in level.targets(link.dst, link.dst_port, f"{link.src}.{link.src_port}"):
            add(src, dst)
    return level


def expanded_source(graph: Graph, node_id: str, port: str) -> tuple[str, str]:
    """Where output `port` of `node_id` lives in expand_blocks(graph) (inference shows block shapes)."""
    node = graph.node(node_id)
    if node.type != BLOCK_TYPE:
        return node_id, port
    block = graph.blocks[node.params["block"]]
    inner_id, inner_port = expanded_source(block.graph, *block.output_map[port])
    return f"{node_id}__{node.params['repeat'] - 1}__{inner_id}", inner_port


# ----------------------------------------------------------------------------------- library ---
def user_block_dir() -> Path:
    """$XDG_DATA_HOME/model-studio/blocks, by default ~/.local/share/model-studio/blocks."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "model-studio" / "blocks"


class BlockLibrary:
    """The user's saved blocks: one `<name>.msblock` JSON file each (with the blocks it nests)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else user_block_dir()

    def path(self, name: str) -> Path:
        return self.directory / f"{check_block_name(name)}{BLOCK_SUFFIX}"

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name[:-len(BLOCK_SUFFIX)] for p in self.directory.glob(f"*{BLOCK_SUFFIX}"))

    def save(self, block: Block) -> Path:
        holder = Graph(blocks=block.graph.blocks)
        holder.nodes["b"] = Node("b", BLOCK_TYPE, {"block": block.name, "repeat": 1})
        data = {"format_version": FORMAT_VERSION, "name": block.name, "blocks": blocks_to_dict(holder)}
        path = self.path(block.name)
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(path, dumps(data))
        return path

    def definitions(self, name: str) -> dict[str, Any]:
        """The stored definitions (dict form, for install_blocks), checked."""
        path = self.path(name)
        data = loads(read_text(path), path=str(path))
        try:
            version = data.get("format_version")
            if version != FORMAT_VERSION:
                raise ProjectFormatError(f"unsupported block format {version!r} (this version reads "
                                         f"{FORMAT_VERSION})", location="format_version")
            if data.get("name") != name:
                raise ProjectFormatError(f"the file holds block {data.get('name')!r}, not {name!r}",
                                         location="name")
            blocks_from_dict(data.get("blocks"), "blocks")
            if name not in data["blocks"]:
                raise ProjectFormatError(f"there is no block definition {name!r}", location="blocks")
        except ProjectFormatError as exc:
            exc.path = str(path)
            raise
        return data["blocks"]

    def load(self, name: str) -> Block:
        return blocks_from_dict(self.definitions(name))[name]

    def remove(self, name: str) -> None:
        self.path(name).unlink()
