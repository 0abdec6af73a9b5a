"""The generated Model class computes what compile_graph computes, with the same state_dict keys."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from studio.export import ExportError, export_script, model_code
from studio.export.script import optimizer_code, scheduler_code
from studio.graph.compile import CompileError, compile_graph
from studio.graph.model import Graph
from studio.graph.project import Project


def mlp_graph(*, with_loss=False):
    g = Graph()
    g.add_node("Input", {"shape": (1, 8, 8)}, node_id="image")
    g.add_node("Flatten", node_id="flatten")
    g.add_node("Linear", {"in_features": 64, "out_features": 16}, node_id="fc1", label="hidden layer")
    g.add_node("ReLU", node_id="act")
    g.add_node("Linear", {"in_features": 16, "out_features": 10}, node_id="fc2")
    g.add_node("Output", node_id="out")
    for a, b in [("image", "flatten"), ("flatten", "fc1"), ("fc1", "act"), ("act", "fc2"), ("fc2", "out")]:
        g.connect(a, "out", b, "in")
    if with_loss:
        g.add_node("Target", node_id="label")
        g.add_node("CrossEntropy", node_id="loss")
        g.connect("fc2", "out", "loss", "input")
        g.connect("label", "out", "loss", "target")
    return g, (1, 8, 8)


def conv_graph():
    g = Graph()
    g.add_node("Input", {"shape": (1, 8, 8)}, node_id="image")
    g.add_node("Conv2d", {"in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1},
               node_id="conv1")
    g.add_node("BatchNorm2d", {"num_features": 4}, node_id="bn1")
    g.add_node("ReLU", node_id="relu1")
    g.add_node("MaxPool2d", {"kernel_size": 2}, node_id="pool1")
    g.add_node("Flatten", node_id="flat")
    g.add_node("Linear", {"in_features": 64, "out_features": 10}, node_id="head")
    g.add_node("Output", node_id="out")
    chain = ["image", "conv1", "bn1", "relu1", "pool1", "flat", "head", "out"]
    for a, b in zip(chain, chain[1:]):
        g.connect(a, "out", b, "in")
    return g, (1, 8, 8)


def _np(tensor):
    return tensor.detach().numpy()


def _engine_model(code):
    namespace = {"torch": engine, "nn": engine.nn}
    exec(compile(code.helper_source() + "\n" + code.source, "<generated>", "exec"), namespace)
    return namespace["Model"]()


def _same_function(graph, *inputs, with_loss=False, targets=()):
    compiled = compile_graph(graph, include_loss=with_loss)
    code = model_code(graph, with_loss=with_loss)
    model = _engine_model(code)
    assert list(model.state_dict()) == list(compiled.state_dict())
    model.load_state_dict(compiled.state_dict())
    compiled.eval()
    model.eval()
    return compiled, model, code


@pytest.mark.parametrize("make", [mlp_graph, conv_graph])
def test_single_input_models_match_the_compiled_graph_exactly(make):
    graph, shape = make()
    x = engine.randn(3, *shape)
    compiled, model, _ = _same_function(graph, x)
    np.testing.assert_array_equal(_np(model(x)), _np(compiled(x)))


def test_branches_merge_in_link_order_and_outputs_come_back_as_a_tuple(two_input_branches):
    graph = two_input_branches
    a, b = engine.randn(2, 4), engine.randn(2, 6)
    compiled, model, code = _same_function(graph, a, b)
    assert code.helpers == ("Add", "Concat") and code.input_names == ["a", "b"]
    assert "def forward(self, a, b):" in code.source
    for mine, theirs in zip(model(a, b), compiled(a, b)):
        np.testing.assert_array_equal(_np(mine), _np(theirs))


def test_the_loss_runs_only_when_targets_are_given():
    graph, shape = mlp_graph(with_loss=True)
    x, y = engine.randn(4, *shape), engine.from_numpy(np.array([1, 0, 3, 9]))
    compiled, model, code = _same_function(graph, x, with_loss=True)
    assert "def forward(self, image, label=None):" in code.source
    output, loss = model(x, y)
    np.testing.assert_array_equal(_np(loss), _np(compiled(x, y)))
    np.testing.assert_array_equal(_np(model(x)), _np(output))


def test_multi_output_nodes_unpack_by_port_and_optional_ports_pass_none():
    g = Graph()
    g.add_node("Input", {"shape": (7, 6)}, node_id="seq")
    g.add_node("LSTM", {"input_size": 6, "hidden_size": 6}, node_id="lstm")
    g.add_node("MultiheadAttention", {"embed_dim": 6, "num_heads": 2}, node_id="mha")
    g.add_node("Output", node_id="out")
    g.connect("seq", "out", "lstm", "in")
    g.connect("lstm", "out", "mha", "q")
    g.connect("mha", "out", "out", "in")
    x = engine.randn(2, 7, 6)
    compiled, model, code = _same_function(g, x)
    assert "lstm_out, lstm_hidden = self.lstm(seq)" in code.source
    assert "mha_out, mha_weights = self.mha(lstm_out)" in code.source
    np.testing.assert_allclose(_np(model(x)), _np(compiled(x)), rtol=1e-6, atol=1e-7)


def test_odd_ids_and_labels_never_become_code():
    g = Graph()
    g.add_node("Input", {"shape": (4,)}, node_id="x")
    g.add_node("Linear", {"in_features": 4, "out_features": 3}, node_id="lambda",
               label="evil\nimport os; os.system('x')")
    g.add_node("ReLU", node_id="__hidden")
    g.add_node("Output", node_id="out")
    g.connect("x", "out", "lambda", "in")
    g.connect("lambda", "out", "__hidden", "in")
    g.connect("__hidden", "out", "out", "in")
    x = engine.randn(2, 4)
    compiled, model, code = _same_function(g, x)
    assert "setattr(self, 'lambda'" in code.source and "\nimport os" not in code.source
    np.testing.assert_array_equal(_np(model(x)), _np(compiled(x)))


def test_blocks_expand_like_compile():
    from studio.graph.blocks import group_into_block

    graph, shape = mlp_graph()
    group_into_block(graph, ["fc1", "act"], "hidden")
    x = engine.randn(2, *shape)
    compiled, model, code = _same_function(graph, x)
    assert "__0__fc1" in code.source
    np.testing.assert_array_equal(_np(model(x)), _np(compiled(x)))


def test_graph_problems_raise_the_compile_error():
    g = Graph()
    g.add_node("Input", {"shape": (4,)}, node_id="x")
    g.add_node("Linear", {"in_features": 5, "out_features": 3}, node_id="fc")
    g.add_node("Output", node_id="out")
    g.connect("x", "out", "fc", "in")
    g.connect("fc", "out", "out", "in")
    with pytest.raises(CompileError, match="expects 5 input features"):
        model_code(g)


def test_settings_are_checked_before_they_become_code():
    assert optimizer_code({"optimizer": "SGD", "optimizer_options": {"lr": 0.1, "momentum": 0.9}}) == \
        "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)"
    assert optimizer_code({"optimizer": "Adam", "optimizer_options": {"betas": [0.8, 0.9]}}).endswith(
        "betas=(0.8, 0.9))")
    with pytest.raises(ExportError, match="unknown optimizer"):
        optimizer_code({"optimizer": "os.system", "optimizer_options": {}})
    with pytest.raises(ExportError, match="not a valid option name"):
        optimizer_code({"optimizer": "SGD", "optimizer_options": {"lr=1); import os; (": 1}})
    code, per_batch, _ = scheduler_code({"scheduler": "OneCycleLR", "scheduler_options": {}})
    assert per_batch and "total_steps=max(1, epochs * steps_per_epoch)" in code
    assert scheduler_code({"scheduler": "ReduceLROnPlateau", "scheduler_options": {}})[2]
    graph, _ = mlp_graph(with_loss=True)
    with pytest.raises(ExportError, match="unknown export target"):
        export_script(Project(graph=graph), "tensorflow")
