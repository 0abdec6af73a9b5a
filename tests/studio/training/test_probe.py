"""Qt-free probes: a node's output and attention map for one sample, gradients on the first batch, the
seeded initial weights, and the clear messages for what cannot be probed."""

import numpy as np
import pytest

import engine
from studio.graph.project import Project
from studio.templates import load_template
from studio.training.capture import Capture
from studio.training.losses import training_graph
from studio.training.optim_factory import SetupError
from studio.training.probe import batch_gradients, build_model, probe_node, probe_sample
from studio.training.trainer import Trainer


def test_initial_weights_are_the_ones_a_seeded_run_starts_from_and_the_global_stream_is_untouched():
    project = load_template("lenet5")
    engine.manual_seed(123)
    before = engine.rand(3).numpy()
    engine.manual_seed(123)
    model, weights = build_model(training_graph(project.graph, None), 0, None, include_loss=True)
    np.testing.assert_array_equal(engine.rand(3).numpy(), before)  # fork_rng: the caller's stream goes on
    trainer = Trainer(Project.from_dict(project.to_dict()))
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name].numpy(), value.numpy(), err_msg=name)
    assert weights == "initial weights (seed 0)"


def test_trained_weights_that_no_longer_fit_keep_their_initial_value():
    project = load_template("mlp")
    state = Trainer(Project.from_dict(project.to_dict())).model.state_dict()
    state = {k: v * 2 for k, v in state.items()}
    state["fc1.weight"] = engine.zeros(3, 3)  # the graph was edited since the run
    model, weights = build_model(project.graph, 0, state)
    assert "where they still fit (5 of 6)" in weights
    np.testing.assert_array_equal(model.fc2.weight.detach().numpy(), state["fc2.weight"].numpy())


def test_transformer_layer_attention_is_a_softmax_over_the_tokens_and_leaves_the_output_as_it_was():
    project = load_template("transformer_classifier")
    project.settings["dataset"] = None
    result = probe_node(project.to_dict(), "encoder1")
    assert result.attention.shape == (8, 8)
    np.testing.assert_allclose(result.attention.sum(axis=1), 1.0, rtol=1e-5)
    assert (result.attention >= 0).all()
    plain = probe_node(project.to_dict(), "to_tokens")  # the layer's input, without any hook
    model, _ = build_model(project.graph, 0, None)
    model.eval()
    with engine.no_grad():
        expected = model.encoder1(engine.from_numpy(plain.output[None]))
    np.testing.assert_allclose(result.output, expected[0].numpy(), rtol=1e-5, atol=1e-6)


def test_what_cannot_be_probed_is_named():
    project = load_template("mlp")
    with pytest.raises(SetupError, match="no validation sample 5000"):
        probe_node(project.to_dict(), "fc1", None, "validation", 5000)
    other = Project()
    other.settings["dataset"] = {"name": "digits"}
    other.graph.add_node("Input", {"shape": (1, 9, 9)}, node_id="image")
    other.graph.add_node("Output", node_id="output")
    other.graph.connect("image", "out", "output", "in")
    shapes = r"takes samples of shape \(1, 9, 9\) but the dataset gives \(1, 8, 8\)"
    with pytest.raises(SetupError, match=shapes):
        probe_node(other.to_dict(), "image")
    empty = Project()
    empty.settings["dataset"] = {"name": "digits"}
    with pytest.raises(Exception, match="no loss node"):
        batch_gradients(empty.to_dict())


def _attention_graph(kind: str) -> Project:
    project = Project()
    graph = project.graph
    if kind == "TransformerEncoderLayer":
        project = load_template("transformer_classifier")
    elif kind == "MultiheadAttention":
        graph.add_node("Input", {"shape": (5, 16)}, node_id="x")
        graph.add_node("Input", {"shape": (7, 16)}, node_id="memory")
        graph.add_node("MultiheadAttention", {"embed_dim": 16, "num_heads": 4}, node_id="attn")
        graph.connect("x", "out", "attn", "q")
        graph.connect("memory", "out", "attn", "k")
    else:
        graph.add_node("Input", {"shape": (8, 3, 4)}, node_id="x")
        graph.add_node("SelfAttention2d", {"in_dim": 8}, node_id="attn")
        graph.connect("x", "out", "attn", "in")
    if kind != "TransformerEncoderLayer":
        graph.add_node("Output", node_id="output")
        graph.connect("attn", "out", "output", "in")
    project.settings["dataset"] = None
    return project


@pytest.mark.parametrize("kind, node_id, shape", [("MultiheadAttention", "attn", (5, 7)),
                                                   ("SelfAttention2d", "attn", (12, 12)),
                                                   ("TransformerEncoderLayer", "encoder1", (8, 8))])
def test_the_training_capture_reports_the_attention_map_the_probe_shows(kind, node_id, shape):
    project = _attention_graph(kind)
    probed = probe_node(project.to_dict(), node_id)
    model, _ = build_model(project.graph, 0, None)
    arrays, _, _ = probe_sample(project, model.input_names)
    model.train()  # as in a run: the capture's probe forward switches to eval and back
    capture = Capture(model, nodes=[node_id, model.input_names[0]],
                      probe=tuple(engine.from_numpy(a[None]) for a in arrays))
    info = capture.collect(1, {})
    assert set(info.attention) == {node_id}  # the Input has no attention map
    assert info.attention[node_id].shape == shape
    np.testing.assert_allclose(info.attention[node_id].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(info.attention[node_id], probed.attention, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(info.feature_maps[node_id], probed.output, rtol=1e-5, atol=1e-6)
    assert model.training


def test_the_probe_takes_the_sample_along_the_batch_axis_the_inference_gives():
    project = Project()
    graph = project.graph
    graph.add_node("Input", {"shape": (5, 3)}, node_id="x")
    graph.add_node("GRU", {"input_size": 3, "hidden_size": 4, "num_layers": 2},
                   node_id="rnn")
    graph.connect("x", "out", "rnn", "in")
    for node_id, port in (("fc", "out"), ("fch", "hidden")):
        graph.add_node("Linear", {"in_features": 4, "out_features": 3}, node_id=node_id)
        graph.add_node("Output", node_id=f"{node_id}_out")
        graph.connect("rnn", port, node_id, "in")
        graph.connect(node_id, "out", f"{node_id}_out", "in")
    project.settings["dataset"] = None
    probed = {node: probe_node(project.to_dict(), node).output for node in ("rnn", "fc", "fch")}
    model, _ = build_model(project.graph, 0, None)
    arrays, _, _ = probe_sample(project, model.input_names)
    model.eval()
    with engine.no_grad():
        out, hidden = model.rnn(engine.from_numpy(arrays[0][None]))
        fc, fch = model.fc(out).numpy(), model.fch(hidden).numpy()
    np.testing.assert_allclose(probed["rnn"], out[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probed["fc"], fc[0], rtol=1e-5, atol=1e-6)
    expected = fch[:, 0]  # h_n is layers×N×hidden: the sample is along axis 1
    assert probed["fch"].shape == expected.shape
    np.testing.assert_allclose(probed["fch"], expected, rtol=1e-5, atol=1e-6)
