"""Random edit sequences through the undo stack keep the graph's invariants, and undoing everything
restores the starting JSON byte for byte (redoing everything restores the state before)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from studio.graph.blocks import BLOCK_TYPE, expand_blocks
from studio.graph.commands import (
    AddNode,
    Command,
    Connect,
    Disconnect,
    GroupIntoBlock,
    MoveNodes,
    Paste,
    RemoveNode,
    SetLabel,
    SetParam,
    UndoStack,
    Ungroup,
    copy_selection,
)
from studio.graph.errors import GraphError
from studio.graph.model import Graph
from studio.graph.project import Project

TYPES = ("Input", "Linear", "ReLU", "Identity", "Add", "Concat", "Output")
COORD = st.floats(-500, 500, allow_nan=False).map(lambda v: round(v, 1))


def text(graph: Graph) -> str:
    return Project(graph, created="t").to_json()


def start() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (8,)})
    g.add_node("Linear", {"in_features": 8, "out_features": 8}, position=(100.0, 0.0))
    g.add_node("ReLU", position=(200.0, 0.0))
    g.add_node("Add", position=(300.0, 0.0))
    g.add_node("Output", position=(400.0, 0.0))
    for src, dst in (("input1", "linear1"), ("linear1", "relu1"), ("relu1", "add1"), ("input1", "add1"),
                     ("add1", "output1")):
        g.connect(src, "out", dst, "in")
    return g


def param_value(kind: str, choices: tuple) -> st.SearchStrategy:
    return {
        "int": st.integers(-1, 6), "float": st.floats(0, 1), "bool": st.booleans(),
        "str": st.text(max_size=3), "choice": st.sampled_from(choices or (None,)),
        "ints": st.integers(1, 3), "shape": st.lists(st.integers(1, 4), min_size=1, max_size=2),
    }[kind] | st.just("oops")


class GraphEditing(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.graph = start()
        self.stack = UndoStack(self.graph)
        self.initial = text(self.graph)
        self.names = 0

    def push(self, command: Command) -> None:
        before, index, size = text(self.graph), self.stack.index, len(self.stack)
        try:
            self.stack.push(command)
        except GraphError:
            assert text(self.graph) == before
            assert (self.stack.index, len(self.stack)) == (index, size)

    def pick_nodes(self, data: st.DataObject, *, layers_only: bool = False) -> list[str]:
        ids = [n.id for n in self.graph if not layers_only or n.spec.role == "layer"]
        if not ids:
            return []
        return data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))

    @rule(layer=st.sampled_from(TYPES), x=COORD, y=COORD)
    def add(self, layer: str, x: float, y: float) -> None:
        self.push(AddNode(layer, position=(x, y)))

    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        for node_id in self.pick_nodes(data)[:1]:
            self.push(RemoveNode(node_id))

    @rule(data=st.data())
    def connect(self, data: st.DataObject) -> None:
        if not self.graph.nodes:
            return
        src = self.graph.nodes[data.draw(st.sampled_from(list(self.graph.nodes)))]
        free = [n.id for n in self.graph if any(  # an input port that can take one more link
            p.variadic or not self.graph.links_into(n.id, p.name) for p in self.graph.input_ports(n))]
        dst = self.graph.nodes[data.draw(st.sampled_from(free or list(self.graph.nodes)))]
        outs = [p.name for p in self.graph.output_ports(src)] or ["out"]
        ins = [p.name for p in self.graph.input_ports(dst)] or ["in"]
        self.push(Connect(src.id, data.draw(st.sampled_from(outs)), dst.id, data.draw(st.sampled_from(ins))))

    @rule(data=st.data())
    def disconnect(self, data: st.DataObject) -> None:
        if self.graph.links:
            self.push(Disconnect(data.draw(st.sampled_from(self.graph.links))))

    @rule(data=st.data())
    def set_param(self, data: st.DataObject) -> None:
        for node_id in self.pick_nodes(data)[:1]:
            node = self.graph.nodes[node_id]
            if not node.spec.params:
                continue
            spec = data.draw(st.sampled_from(node.spec.params))
            if node.type == BLOCK_TYPE:
                value = data.draw(st.integers(0, 3) if spec.name == "repeat" else st.sampled_from(
                    [*self.graph.blocks, "missing"]))
            else:
                value = data.draw(param_value(spec.kind, spec.choices))
            self.push(SetParam(node_id, spec.name, value))

    @rule(data=st.data(), label=st.sampled_from(["", "enc", "ü"]))
    def set_label(self, data: st.DataObject, label: str) -> None:
        for node_id in self.pick_nodes(data)[:1]:
            self.push(SetLabel(node_id, label))

    @rule(data=st.data(), dx=COORD, dy=COORD)
    def move(self, data: st.DataObject, dx: float, dy: float) -> None:
        ids = self.pick_nodes(data)
        if ids:
            positions = {n: (self.graph.nodes[n].position[0] + dx, self.graph.nodes[n].position[1] + dy)
                         for n in ids}
            self.push(MoveNodes(positions))

    @rule(data=st.data())
    def paste(self, data: st.DataObject) -> None:
        ids = self.pick_nodes(data)
        if ids:
            self.push(Paste(copy_selection(self.graph, ids)))

    @rule(data=st.data())
    def group(self, data: st.DataObject) -> None:
        ids = self.pick_nodes(data, layers_only=data.draw(st.booleans()))
        if ids:
            self.names += 1
            self.push(GroupIntoBlock(ids, f"B{self.names}"))

    @precondition(lambda self: any(n.type == BLOCK_TYPE for n in self.graph))
    @rule(data=st.data())
    def ungroup(self, data: st.DataObject) -> None:
        blocks = [n.id for n in self.graph if n.type == BLOCK_TYPE]
        if blocks:
            self.push(Ungroup(data.draw(st.sampled_from(blocks))))

    @rule()
    def undo(self) -> None:
        self.stack.undo()

    @rule()
    def redo(self) -> None:
        self.stack.redo()

    @rule()
    def undo_all_then_redo_all(self) -> None:
        while self.stack.can_redo:
            self.stack.redo()
        now = text(self.graph)
        while self.stack.can_undo:
            self.stack.undo()
        assert text(self.graph) == self.initial
        while self.stack.can_redo:
            self.stack.redo()
        assert text(self.graph) == now

    @invariant()
    def graph_is_consistent(self) -> None:
        check(self.graph)
        data = Project(self.graph, created="t").to_dict()
        assert Project.from_dict(data).to_dict() == data  # what is saved loads back the same
        check(expand_blocks(self.graph))

    @invariant()
    def clean_state_is_the_start(self) -> None:
        assert self.stack.is_clean == (self.stack.index == 0)


def check(graph: Graph) -> None:
    for link in graph.links:
        src, dst = graph.nodes[link.src], graph.nodes[link.dst]
        assert any(p.name == link.src_port for p in graph.output_ports(src))
        spec = next(p for p in graph.input_ports(dst) if p.name == link.dst_port)
        if not spec.variadic:
            assert len(graph.links_into(link.dst, link.dst_port)) == 1
    assert len(set(graph.links)) == len(graph.links)
    graph.topological_order()  # raises on a cycle
    for node in graph:
        node.spec.validate_params(node.params)


GraphEditing.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
TestGraphEditing = GraphEditing.TestCase
