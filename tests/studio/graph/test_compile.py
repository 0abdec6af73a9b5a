"""Compiling a graph gives an engine module that computes what the canvas shows."""

import sys
import types
from dataclasses import dataclass, field

import numpy as np
import pytest

import engine
from engine import nn
from engine.nn import functional as F
from studio.graph import registry
from studio.graph.compile import CompileError, GraphModule, compile_graph
from studio.graph.errors import GraphError
from studio.graph.inference import Inference
from studio.graph.model import Graph
from studio.graph.registry import LayerSpec, ParamSpec, PortSpec


def _np(tensor):
    return tensor.detach().numpy()


def _mlp(hidden=32, *, with_loss=False):
    g = Graph()
    g.add_node("Input", {"shape": (1, 8, 8)}, node_id="x")
    g.add_node("Flatten", node_id="flat")
    g.add_node("Linear", {"in_features": 64, "out_features": hidden}, node_id="fc1")
    g.add_node("ReLU", node_id="act")
    g.add_node("Linear", {"in_features": hidden, "out_features": 10}, node_id="fc2")
    g.add_node("Output", node_id="out")
    for src, dst in (("x", "flat"), ("flat", "fc1"), ("fc1", "act"), ("act", "fc2"), ("fc2", "out")):
        g.connect(src, "out", dst, "in")
    if with_loss:
        g.add_node("Target", node_id="y")
        g.add_node("CrossEntropy", node_id="ce")
        g.connect("fc2", "out", "ce", "input")
        g.connect("y", "out", "ce", "target")
    return g


def test_mlp_matches_a_hand_written_model_with_the_same_weights():
    model = compile_graph(_mlp())
    assert isinstance(model, GraphModule)
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [name for name, _ in model.named_children()] == ["flat", "fc1", "act", "fc2"]
    reference = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    renamed = {k.replace("fc1", "1").replace("fc2", "3"): v for k, v in model.state_dict().items()}
    reference.load_state_dict(renamed)
    x = engine.randn(5, 1, 8, 8)
    np.testing.assert_allclose(_np(model(x)), _np(reference(x)), rtol=1e-6)
    # inputs by node id work too
    np.testing.assert_allclose(_np(model({"x": x})), _np(model(x=x)))


def test_gradients_flow_to_every_parameter():
    model = compile_graph(_mlp())
    model(engine.randn(3, 1, 8, 8)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_branches_merge_in_link_order_and_inputs_follow_node_order(two_input_branches):
    g = two_input_branches
    model = compile_graph(g)
    assert model.input_names == ["a", "b"] and model.output_names == ["sum_out", "cat_out"]
    a, b = engine.randn(2, 4), engine.randn(2, 6)
    summed, joined = model(a, b)
    expected = model.proj(a) + b
    np.testing.assert_allclose(_np(summed), _np(expected), rtol=1e-6)
    np.testing.assert_allclose(_np(joined), np.concatenate([_np(b), _np(expected)], axis=1), rtol=1e-6)
    assert set(model.forward_all(a, b)) == {"sum_out", "cat_out"}


def test_capture_holds_detached_outputs_only_while_asked():
    model = compile_graph(_mlp())
    x = engine.randn(2, 1, 8, 8)
    model(x)
    assert model.captured == {}
    with model.capture(["act", "x"]) as captured:
        model(x)
    assert set(captured) == {"act", "x"} and captured is model.captured
    expected = F.relu(model.fc1(x.reshape(2, 64)))
    np.testing.assert_allclose(captured["act"].numpy(), _np(expected), rtol=1e-6)
    assert not captured["act"].requires_grad
    assert model.capture_nodes == frozenset()
    with pytest.raises(CompileError, match="not part of the compiled model"):
        model.capture_nodes = {"nope"}


def test_multi_output_nodes_route_each_port_and_optional_inputs_stay_empty():
    g = Graph()
    g.add_node("Input", {"shape": (7, 6)}, node_id="seq")
    g.add_node("LSTM", {"input_size": 6, "hidden_size": 6}, node_id="lstm")
    g.add_node("MultiheadAttention", {"embed_dim": 6, "num_heads": 2}, node_id="mha")
    g.add_node("Output", node_id="out")
    g.add_node("Output", node_id="weights")
    g.connect("seq", "out", "lstm", "in")
    g.connect("lstm", "out", "mha", "q")  # k and v unconnected: self-attention
    g.connect("mha", "out", "out", "in")
    g.connect("mha", "weights", "weights", "in")
    model = compile_graph(g)
    model.eval()
    x = engine.randn(2, 7, 6)
    with model.capture(["lstm"]):
        out, weights = model(x)
    assert tuple(out.shape) == (2, 7, 6) and tuple(weights.shape) == (2, 7, 7)
    assert set(model.captured["lstm"]) == {"out", "hidden"}
    assert tuple(model.captured["lstm"]["hidden"].shape) == (1, 2, 6)
    seq_out = model.captured["lstm"]["out"]
    np.testing.assert_allclose(_np(out), _np(model.mha(seq_out)[0]), rtol=1e-5, atol=1e-6)


def test_loss_mode_returns_the_loss_of_inputs_and_targets():
    g = _mlp(with_loss=True)
    model = compile_graph(g, include_loss=True)
    assert model.input_names == ["x"] and model.target_names == ["y"]
    x, y = engine.randn(4, 1, 8, 8), engine.tensor([1, 0, 9, 3])
    loss = model(x, y)
    np.testing.assert_allclose(_np(loss), _np(F.cross_entropy(model.forward_all(x, y)["out"], y)), rtol=1e-6)
    assert set(model.forward_all(x, y)) == {"out", "ce"}
    loss.backward()
    assert model.fc1.weight.grad is not None
    # the prediction model ignores the loss branch and its target
    assert compile_graph(g).input_names == ["x"] and compile_graph(g).target_names == []


def test_spectral_norm_property_compiles_to_nn_utils_spectral_norm():
    g = _mlp()
    g.set_param("fc1", "spectral_norm", True)
    model = compile_graph(g)
    keys = set(model.state_dict())
    assert {"fc1.weight_orig", "fc1.weight_u", "fc1.weight_v"} <= keys and "fc2.weight_orig" not in keys
    assert tuple(model(engine.randn(2, 1, 8, 8)).shape) == (2, 10)


@pytest.mark.parametrize("edit, message", [
    (lambda g: g.set_param("fc1", "in_features", 784),
     "cannot compile: Linear 'fc1': Linear expects 784 input features but receives 64 (1×8×8 from flat)"),
    (lambda g: g.remove_node("x"), "cannot compile: the graph has no Input node"),
    (lambda g: g.remove_node("out"), "cannot compile: the graph has no Output node"),
    (lambda g: g.remove_node("act"), "cannot compile: Linear 'fc2': input 'in' is not connected"),
])
def test_graphs_that_cannot_compile_say_why(edit, message):
    g = _mlp()
    edit(g)
    with pytest.raises(CompileError) as info:
        compile_graph(g)
    assert info.value.message == message
    assert isinstance(info.value, GraphError)


def test_loss_mode_needs_a_loss_node_and_unused_branches_do_not_block():
    with pytest.raises(CompileError, match="no loss node"):
        compile_graph(_mlp(), include_loss=True)
    g = _mlp()
    g.add_node("Linear", {"in_features": 3}, node_id="dangling")  # unconnected and unused
    assert "dangling" not in dict(compile_graph(g).named_children())


def test_a_live_inference_can_be_reused():
    g = _mlp()
    inference = Inference(g)
    model = compile_graph(g, inference=inference)
    assert tuple(model(engine.randn(2, 1, 8, 8)).shape) == (2, 10)


@dataclass
class FakeBlock:
    """A Block definition as inference documents it: boundary ports and where they live inside."""

    inputs: tuple = (PortSpec("x"),)
    outputs: tuple = (PortSpec("y"),)
    input_map: dict = field(default_factory=lambda: {"x": [("fc", "in")]})
    output_map: dict = field(default_factory=lambda: {"y": ("act", "out")})


def _expand(graph: Graph) -> Graph:
    """Stands in for blocks.expand_blocks: each Block node is `repeat` × (fc: Linear 8->8, act: ReLU)."""
    out = Graph()
    ends = {}
    for node in graph:
        if node.type != "Block":
            out.add_node(node.type, dict(node.params), node_id=node.id)
            continue
        previous = None
        for i in range(node.params["repeat"]):
            fc, act = f"{node.id}__{i}__fc", f"{node.id}__{i}__act"
            out.add_node("Linear", {"in_features": 8, "out_features": 8}, node_id=fc)
            out.add_node("ReLU", node_id=act)
            out.connect(fc, "out", act, "in")
            if previous:
                out.connect(previous, "out", fc, "in")
            previous = act
        ends[node.id] = (f"{node.id}__0__fc", previous)
    for link in graph.links:
        src = ends[link.src][1] if link.src in ends else link.src
        dst, port = (ends[link.dst][0], "in") if link.dst in ends else (link.dst, link.dst_port)
        out.connect(src, "out", dst, port)
    return out


def test_blocks_are_expanded_and_captured_by_the_block_id(monkeypatch):
    spec = LayerSpec(type="Block", category="Blocks", doc="", inputs=(), outputs=(),
                     params=(ParamSpec("block", "str", "dense"), ParamSpec("repeat", "int", 1)))
    monkeypatch.setitem(registry.REGISTRY, "Block", spec)
    monkeypatch.setitem(sys.modules, "studio.graph.blocks", types.SimpleNamespace(expand_blocks=_expand))
    g = Graph(blocks={"dense": FakeBlock()})
    g.add_node("Input", {"shape": (8,)}, node_id="x")
    g.add_node("Block", {"block": "dense", "repeat": 2}, node_id="blk")
    g.add_node("Output", node_id="out")
    g.connect("x", "out", "blk", "x")
    g.connect("blk", "y", "out", "in")
    model = compile_graph(g)
    assert sorted(model.state_dict()) == ["blk__0__fc.bias", "blk__0__fc.weight", "blk__1__fc.bias",
                                          "blk__1__fc.weight"]
    x = engine.randn(3, 8)
    with model.capture(["blk"]):
        y = model(x)
    assert set(model.captured) == {"blk"}
    np.testing.assert_allclose(model.captured["blk"].numpy(), _np(y))
    expected = F.relu(model.blk__1__fc(F.relu(model.blk__0__fc(x))))
    np.testing.assert_allclose(_np(y), _np(expected), rtol=1e-6)


def test_a_grouped_block_computes_what_its_nodes_did():
    blocks = pytest.importorskip("studio.graph.blocks")
    g = _mlp()
    before = compile_graph(g)
    _, node = blocks.group_into_block(g, ["fc1", "act"], "dense")
    after = compile_graph(g)
    renamed = {k.replace("fc1.", f"{node.id}__0__fc1."): v for k, v in before.state_dict().items()}
    after.load_state_dict(renamed)
    x = engine.randn(2, 1, 8, 8)
    with after.capture([node.id]):
        np.testing.assert_allclose(_np(after(x)), _np(before(x)), rtol=1e-6)
    np.testing.assert_allclose(after.captured[node.id].numpy(), _np(F.relu(before.fc1(x.reshape(2, 64)))),
                               rtol=1e-6)
