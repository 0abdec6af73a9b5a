"""Live inference: the shapes, costs and messages the canvas shows, kept up to date edit by edit."""

import sys
import types
from dataclasses import dataclass, field

import pytest

from studio.graph import registry
from studio.graph.errors import IncompatibleShapesError
from studio.graph.inference import ERROR, OK, UNKNOWN, Inference, Totals
from studio.graph.model import Graph, Link
from studio.graph.registry import Cost, LayerSpec, ParamSpec, PortSpec


def _chain(graph, *names, port="in"):
    for src, dst in zip(names, names[1:]):
        graph.connect(src, "out", dst, port)


@pytest.fixture
def mlp():
    """x (1×20×20) -> Flatten -> fc1 (400->32) -> act -> fc2 (32->10) -> out, with live inference."""
    g = Graph()
    inference = Inference(g)
    g.add_node("Input", {"shape": (1, 20, 20)}, node_id="x")
    g.add_node("Flatten", node_id="flat", label="Flatten")
    g.add_node("Linear", {"in_features": 400, "out_features": 32}, node_id="fc1")
    g.add_node("ReLU", node_id="act")
    g.add_node("Linear", {"in_features": 32, "out_features": 10}, node_id="fc2")
    g.add_node("Output", node_id="out")
    _chain(g, "x", "flat", "fc1", "act", "fc2", "out")
    return g, inference


def test_every_port_gets_a_symbolic_shape_and_every_node_a_cost(mlp):
    g, inference = mlp
    infos = {n: inference.info(n) for n in g.nodes}
    assert {n: i.status for n, i in infos.items()} == dict.fromkeys(g.nodes, OK)
    assert infos["x"].outputs == {"out": ("N", 1, 20, 20)}
    assert infos["flat"].outputs == {"out": ("N", 400)}
    assert infos["fc2"].outputs == {"out": ("N", 10)}
    assert infos["fc1"].cost == Cost(params=400 * 32 + 32, flops=2 * 400 * 32, activations=32)
    assert inference.totals() == Totals(params=400 * 32 + 32 + 32 * 10 + 10,
                                        flops=2 * 400 * 32 + 32 + 2 * 32 * 10, activations=400 + 32 + 32 + 10)


def test_an_error_names_the_node_the_port_and_where_the_shape_came_from(mlp):
    g, inference = mlp
    g.set_param("x", "shape", (16, 5, 5))
    g.set_param("fc1", "in_features", 784)
    info = inference.info("fc1")
    assert info.status == ERROR
    assert info.error.message == "Linear expects 784 input features but receives 400 (16×5×5 from Flatten)"
    assert (info.error.node_id, info.error.port) == ("fc1", "in")
    # downstream nodes are unknown, not errors
    assert [inference.info(n).status for n in ("act", "fc2", "out")] == [UNKNOWN] * 3
    assert inference.info("act").hint == "fc1 has an error"
    assert inference.totals().errors == 1 and inference.totals().unknown == 3


def test_unconnected_inputs_make_a_node_unknown_with_a_hint_not_an_error():
    g = Graph()
    inference = Inference(g)
    g.add_node("Linear", node_id="fc")
    g.add_node("MSE", node_id="loss")
    assert inference.info("fc").status == UNKNOWN
    assert inference.info("fc").hint == "input 'in' is not connected"
    assert inference.info("loss").hint == "inputs 'input', 'target' are not connected"
    assert inference.totals().errors == 0


def test_an_edit_reinfers_only_the_node_and_what_its_change_reaches(mlp, monkeypatch):
    g, inference = mlp
    inference.infer()
    computed = []
    original = inference._infer_node
    monkeypatch.setattr(inference, "_infer_node", lambda node, links: computed.append(node.id) or
                        original(node, links))
    g.set_param("fc1", "out_features", 16)
    assert inference.dirty == {"fc1", "act", "fc2", "out"}
    inference.infer()
    assert computed == ["fc1", "act", "fc2", "out"]
    assert inference.info("fc2").status == ERROR
    g.set_param("fc2", "in_features", 16)
    inference.infer()
    # a change that leaves the outputs alone stops at the node itself
    computed.clear()
    assert inference.infer() == set()
    g.set_param("fc1", "bias", False)
    assert inference.infer() == {"fc1"} and computed == ["fc1"]
    # moving a node or renaming it without errors around recomputes nothing
    computed.clear()
    g.move_node("fc1", (100, 40))
    g.set_label("act", "relu")
    assert inference.dirty == set()
    assert inference.infer() == set() and computed == []


def test_renaming_a_producer_refreshes_the_messages_that_name_it(mlp):
    g, inference = mlp
    g.set_param("fc1", "in_features", 100)
    assert inference.info("fc1").error.message.endswith("(1×20×20 from Flatten)")
    g.set_label("flat", "to vector")
    assert inference.info("fc1").error.message.endswith("(1×20×20 from to vector)")


def test_link_and_node_removal_update_downstream(mlp):
    g, inference = mlp
    inference.infer()
    g.disconnect(Link("fc1", "out", "act", "in"))
    assert inference.info("act").hint == "input 'in' is not connected"
    assert inference.info("out").status == UNKNOWN
    g.connect("fc1", "out", "act", "in")
    assert inference.info("out").status == OK
    g.remove_node("flat")
    assert "flat" not in inference.infos
    assert inference.info("fc1").status == UNKNOWN


def test_updated_signal_reports_changed_nodes(mlp):
    g, inference = mlp
    inference.infer()
    seen = []
    inference.updated.connect(seen.append)
    g.set_param("fc2", "out_features", 3)
    inference.infer()
    assert seen == [{"fc2", "out"}]  # the Output's input shape changed too


def test_connect_refuses_a_link_whose_shape_the_destination_cannot_take(mlp):
    g, inference = mlp
    g.add_node("Linear", {"in_features": 784, "out_features": 10}, node_id="head")
    with pytest.raises(IncompatibleShapesError) as info:
        g.connect("flat", "out", "head", "in")
    assert info.value.message == "Linear expects 784 input features but receives 400 (1×20×20 from Flatten)"
    assert (info.value.node_id, info.value.port) == ("head", "in")
    assert not g.links_into("head")


def test_connect_allows_links_that_cannot_be_judged_yet():
    g = Graph()
    Inference(g)
    g.add_node("Flatten", node_id="flat")  # its input is unconnected: shape unknown
    g.add_node("Linear", {"in_features": 784}, node_id="fc")
    g.connect("flat", "out", "fc", "in")
    g.add_node("Input", {"shape": (10,)}, node_id="x")
    g.add_node("CrossEntropy", node_id="ce")
    g.connect("x", "out", "ce", "input")  # the target is still missing: nothing to judge
    assert len(g.links) == 2


def test_variadic_ports_judge_the_new_link_against_the_earlier_ones():
    g = Graph()
    inference = Inference(g)
    g.add_node("Input", {"shape": (10,)}, node_id="a")
    g.add_node("Input", {"shape": (10,)}, node_id="b")
    g.add_node("Input", {"shape": (12,)}, node_id="c")
    g.add_node("Add", node_id="add")
    g.connect("a", "out", "add", "in")  # one input: Add cannot work yet, but this link is not to blame
    assert inference.info("add").status == ERROR
    g.connect("b", "out", "add", "in")
    assert inference.info("add").status == OK
    with pytest.raises(IncompatibleShapesError) as info:
        g.connect("c", "out", "add", "in")
    assert "12" in info.value.message and info.value.port == "in"


def test_an_existing_problem_is_not_blamed_on_a_new_link():
    g = Graph()
    inference = Inference(g)
    g.add_node("Input", {"shape": (4, 16)}, node_id="q")
    g.add_node("Input", {"shape": (6, 16)}, node_id="k")
    g.add_node("MultiheadAttention", {"embed_dim": 16, "num_heads": 2}, node_id="mha")
    g.connect("q", "out", "mha", "q")
    g.set_param("mha", "num_heads", 3)  # the node fails whatever k is
    g.connect("k", "out", "mha", "k")
    message = "MultiheadAttention embed_dim 16 is not divisible by num_heads 3"
    assert inference.info("mha").error.message == message


def test_an_optional_input_is_judged_against_the_node_without_it():
    g = Graph()
    Inference(g)
    g.add_node("Input", {"shape": (4, 16)}, node_id="q")
    g.add_node("Input", {"shape": (6, 12)}, node_id="k")
    g.add_node("MultiheadAttention", {"embed_dim": 16, "num_heads": 2}, node_id="mha")
    g.connect("q", "out", "mha", "q")
    with pytest.raises(IncompatibleShapesError, match="expects 16 features \\(kdim\\) on 'k'"):
        g.connect("k", "out", "mha", "k")


def test_detach_stops_listening_and_checking(mlp):
    g, inference = mlp
    inference.infer()
    inference.detach()
    assert g.connect_checks == []
    g.set_param("fc2", "out_features", 3)
    assert inference.dirty == set()
    g.add_node("Linear", {"in_features": 784}, node_id="head")
    g.connect("flat", "out", "head", "in")  # no shape check any more


def test_a_bug_in_a_shape_rule_becomes_an_error_at_the_node(monkeypatch):
    spec = LayerSpec(type="TestBrokenRule", category="Test", doc="",
                     infer=lambda p, i: {"out": (1 / 0,)})
    monkeypatch.setitem(registry.REGISTRY, spec.type, spec)
    g = Graph()
    inference = Inference(g)
    g.add_node("Input", {"shape": (3,)}, node_id="x")
    g.add_node("TestBrokenRule", node_id="broken")
    g.connect("x", "out", "broken", "in")
    assert inference.info("broken").status == ERROR
    assert "TestBrokenRule cannot work out its output shape" in inference.info("broken").error.message


# ---------------------------------------------------------------------------------------------- blocks ---
@dataclass
class FakeBlock:
    """The Block-definition interface inference relies on (see inference's module docstring)."""

    inputs: tuple = (PortSpec("x"),)
    outputs: tuple = (PortSpec("y"),)
    input_map: dict = field(default_factory=lambda: {"x": [("fc", "in")]})
    output_map: dict = field(default_factory=lambda: {"y": ("act", "out")})


def fake_expand(graph: Graph) -> Graph:
    """Expands Block nodes of FakeBlock (fc: Linear width->width, act: ReLU) repeated `repeat` times."""
    out = Graph()
    for node in graph:
        if node.type != "Block":
            out.add_node(node.type, dict(node.params), node_id=node.id, label=node.label)
            continue
        for i in range(node.params["repeat"]):
            width = node.params["width"]
            out.add_node("Linear", {"in_features": width, "out_features": width},
                         node_id=f"{node.id}__{i}__fc")
            out.add_node("ReLU", node_id=f"{node.id}__{i}__act")
            out.connect(f"{node.id}__{i}__fc", "out", f"{node.id}__{i}__act", "in")
            if i:
                out.connect(f"{node.id}__{i - 1}__act", "out", f"{node.id}__{i}__fc", "in")
    for link in graph.links:
        src, src_port, dst, dst_port = link.src, link.src_port, link.dst, link.dst_port
        if graph.nodes[src].type == "Block":
            last = graph.nodes[src].params["repeat"] - 1
            src, src_port = f"{src}__{last}__act", "out"
        if graph.nodes[dst].type == "Block":
            dst, dst_port = f"{dst}__0__fc", "in"
        out.connect(src, src_port, dst, dst_port)
    return out


@pytest.fixture
def fake_blocks(monkeypatch):
    spec = LayerSpec(type="Block", category="Blocks", doc="",
                     params=(ParamSpec("block", "str", "dense"), ParamSpec("repeat", "int", 1),
                             ParamSpec("width", "int", 8)), inputs=(), outputs=())
    monkeypatch.setitem(registry.REGISTRY, "Block", spec)
    monkeypatch.setitem(sys.modules, "studio.graph.blocks", types.SimpleNamespace(expand_blocks=fake_expand))
    g = Graph(blocks={"dense": FakeBlock()})
    g.add_node("Input", {"shape": (8,)}, node_id="x")
    g.add_node("Block", {"block": "dense", "repeat": 3}, node_id="blk")
    g.add_node("Linear", {"in_features": 8, "out_features": 2}, node_id="head")
    g.add_node("Output", node_id="out")
    g.connect("x", "out", "blk", "x")
    g.connect("blk", "y", "head", "in")
    g.connect("head", "out", "out", "in")
    return g


def test_block_nodes_show_the_expanded_shapes_costs_and_errors(fake_blocks):
    g = fake_blocks
    inference = Inference(g)
    info = inference.info("blk")
    assert info.status == OK and info.outputs == {"y": ("N", 8)}
    assert info.cost.params == 3 * (8 * 8 + 8)
    assert inference.info("head").outputs == {"out": ("N", 2)}
    g.set_param("x", "shape", (6,))
    info = inference.info("blk")
    assert info.status == ERROR and info.error.node_id == "blk"
    assert info.error.message == "fc: Linear expects 8 input features but receives 6 (from x)"
    assert inference.info("head").status == UNKNOWN



def test_real_blocks_infer_through_their_expansion(mlp):
    blocks = pytest.importorskip("studio.graph.blocks")
    g, inference = mlp
    _, node = blocks.group_into_block(g, ["fc1", "act"], "dense")
    info = inference.info(node.id)
    assert info.status == OK and info.outputs == {"out": ("N", 32)}
    assert info.cost.params == 400 * 32 + 32
    assert inference.info("fc2").status == OK
    g.set_param(node.id, "repeat", 2)  # the second copy receives 32 features, not 400
    info = inference.info(node.id)
    assert info.status == ERROR and info.error.node_id == node.id
    assert info.error.message == "fc1: Linear expects 400 input features but receives 32 (from act)"
    assert inference.info("fc2").status == UNKNOWN
