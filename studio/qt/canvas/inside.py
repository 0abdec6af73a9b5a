"""Editing inside a block (Qt-free): a command wrapper that runs any command on a Block's inner graph.

Document.execute always hands commands the project's top graph; `InBlock(path, command)` walks `path`
(Block node ids, outermost first) down to the inner graph and runs `command` there, so edits inside a
block are ordinary undo steps of the document.
"""

from __future__ import annotations

from studio.graph.blocks import BLOCK_TYPE
from studio.graph.commands import Command
from studio.graph.errors import GraphError
from studio.graph.model import Graph


def resolve(graph: Graph, path: list[str]) -> tuple[Graph, list]:
    """The inner graph at `path` and the Block definitions passed on the way; GraphError if gone."""
    definitions = []
    for node_id in path:
        node = graph.nodes.get(node_id)
        if node is None or node.type != BLOCK_TYPE or node.params.get("block") not in graph.blocks:
            raise GraphError(f"block {node_id!r} is no longer there", node_id=node_id)
        definition = graph.blocks[node.params["block"]]
        definitions.append(definition)
        graph = definition.graph
    return graph, definitions


def check_boundary(definition) -> None:
    """Refuse inner edits that break the block's ports (a boundary node removed, a boundary input fed)."""
    inner = definition.graph
    for port, targets in definition.input_map.items():
        for node_id, inner_port in targets:
            if node_id not in inner.nodes:
                raise GraphError(f"{node_id} receives the block input {port!r}; it can't be removed here",
                                 node_id=node_id)
            spec = next((p for p in inner.input_ports(inner.nodes[node_id]) if p.name == inner_port), None)
            if spec is not None and not spec.variadic and inner.links_into(node_id, inner_port):
                raise GraphError(f"input {inner_port!r} of {node_id} is fed by the block input {port!r}",
                                 node_id=node_id, port=inner_port)
    for port, (node_id, _) in definition.output_map.items():
        if node_id not in inner.nodes:
            raise GraphError(f"{node_id} gives the block output {port!r}; it can't be removed here",
                             node_id=node_id)


class InBlock(Command):
    """Run `command` inside the block reached by `path`; the Block nodes up top are re-inferred."""

    def __init__(self, path: list[str], command: Command) -> None:
        self.path, self.command = list(path), command
        self.text = command.text

    def do(self, graph: Graph) -> None:
        inner, definitions = resolve(graph, self.path)
        self.command.do(inner)
        try:
            for definition in definitions:
                check_boundary(definition)
        except GraphError:
            self.command.undo(inner)
            raise
        _touch_blocks(graph)

    def undo(self, graph: Graph) -> None:
        inner, _ = resolve(graph, self.path)
        self.command.undo(inner)
        _touch_blocks(graph)

    def merge_with(self, other: Command) -> bool:
        same = isinstance(other, InBlock) and other.path == self.path
        return same and self.command.merge_with(other.command)


def _touch_blocks(graph: Graph) -> None:
    # A definition changed: every Block node may show other shapes now; "params" makes inference look again.
    for node in list(graph.nodes.values()):
        if node.type == BLOCK_TYPE:
            graph.node_changed.emit(node, "params")
