"""Capture: what each layer outputs and how its gradients look, at a cost only when asked for."""

import numpy as np
import pytest

import engine
from studio.graph.compile import compile_graph
from studio.graph.model import Graph
from studio.graph.project import Project
from studio.training.capture import Capture, tensor_stats
from studio.training.trainer import Trainer


def hooks(model):
    return sum(len(m._forward_hooks) for m in model.modules())


def test_tensor_stats_of_a_known_tensor():
    values = np.array([[-1.0, 0.0], [0.0, 3.0]], dtype=np.float32)
    stats = tensor_stats(engine.tensor(values))
    assert stats == pytest.approx({"mean": 0.5, "std": float(values.std(ddof=1)), "min": -1.0, "max": 3.0,
                                   "zeros": 0.5})
    assert tensor_stats(engine.tensor([1, 2])) is None  # integer outputs have no stats
    assert tensor_stats(engine.ones(1))["std"] == 0.0


def test_a_capture_step_records_activations_gradients_and_feature_maps_exactly(tiny_classifier):
    model = compile_graph(tiny_classifier(), include_loss=True)
    x, y = engine.randn(32, 2), engine.randint(0, 2, (32,))
    probe = (x[:1], y[:1])
    capture = Capture(model, every_n_steps=10, nodes=["act", "fc2"], probe=probe)
    capture.arm()
    assert hooks(model) == 3  # fc1, act, fc2: the loss gets none
    model.forward_all(x, y)["ce"].backward()
    grads = capture.grad_norms()
    info = capture.collect(1, grads)
    assert hooks(model) == 0  # collect disarms

    hidden = (x @ model.fc1.weight.T + model.fc1.bias).detach().numpy()
    relu = np.maximum(hidden, 0)
    assert info.activations["act"]["zeros"] == pytest.approx(float((hidden <= 0).mean()))
    assert info.activations["act"]["min"] == 0.0
    assert info.activations["fc1"]["mean"] == pytest.approx(float(hidden.mean()), rel=1e-5)
    assert info.activations["act"]["max"] == pytest.approx(float(relu.max()))
    assert set(info.activations) == {"fc1", "act", "fc2"}
    for name, param in model.named_parameters():
        assert grads[name] == pytest.approx(float(np.linalg.norm(param.grad.numpy())), rel=1e-5)
    assert info.feature_maps["act"].shape == (8,)
    np.testing.assert_allclose(info.feature_maps["act"], relu[0], rtol=1e-5)
    assert info.feature_maps["fc2"].shape == (2,)


def test_capture_is_due_on_the_first_step_and_every_n_steps(tiny_classifier):
    capture = Capture(compile_graph(tiny_classifier(), include_loss=True), every_n_steps=4)
    assert [s for s in range(1, 13) if capture.due(s)] == [1, 4, 8, 12]


def test_an_unknown_feature_map_node_is_refused_up_front(tiny_classifier):
    with pytest.raises(Exception, match="cannot capture 'nope'"):
        Capture(compile_graph(tiny_classifier(), include_loss=True), nodes=["nope"])


class Watch:
    def __init__(self, trainer=None):
        self.trainer, self.captures, self.hooks_between = trainer, [], []

    def on_batch(self, info):
        self.hooks_between.append(hooks(self.trainer.model))

    def on_capture(self, info):
        self.captures.append(info)


@pytest.fixture
def watched_trainer(tiny_classifier, moons):
    """watched_trainer(capture settings) -> (a Trainer of 2 epochs of 10 steps, its Watch)."""

    def make(capture):
        settings = {"epochs": 2, "batch_size": 8, "capture": capture}
        project = Project(graph=tiny_classifier(), settings=settings)
        watch = Watch()
        trainer = Trainer(project, callbacks=watch, data=moons())
        watch.trainer = trainer
        return trainer, watch

    return make


def test_capture_off_installs_no_hooks_and_reports_nothing(watched_trainer):
    trainer, watch = watched_trainer({"enabled": False})
    assert trainer.run().status == "finished"
    assert watch.captures == [] and set(watch.hooks_between) == {0}


def test_capture_on_reports_every_n_steps_and_unhooks_between_steps(watched_trainer):
    trainer, watch = watched_trainer({"enabled": True, "every_n_steps": 5, "nodes": ["act"]})
    result = trainer.run()  # 80 samples / 8 = 10 steps per epoch
    assert [c.step for c in watch.captures] == [1, 5, 10, 15, 20]
    assert set(watch.hooks_between) == {0}
    last = watch.captures[-1]
    assert set(last.grad_norms) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert 0.0 <= last.activations["act"]["zeros"] <= 1.0
    assert last.feature_maps["act"].shape == (8,)
    assert result.steps_done == 20


def test_capture_does_not_change_training(watched_trainer):
    off, _ = watched_trainer({"enabled": False})
    on, _ = watched_trainer({"enabled": True, "every_n_steps": 3, "nodes": ["act"]})
    a, b = off.run(), on.run()
    assert [h.train_loss for h in a.history] == [h.train_loss for h in b.history]


def _recurrent_graph(kind, batch_first, reshape=None):
    """x (5 steps × 3 features, or moons' 2 features reshaped to 2×1) -> rnn (2 layers, hidden 4) whose
    'out' feeds fc and whose 'hidden' (h_n: 2×N×4) feeds fch; both end in Outputs, and with moons the
    flattened 'out' also feeds a classifier trained with CrossEntropy."""
    g = Graph()
    g.add_node("Input", {"shape": (2,) if reshape else (5, 3)}, node_id="x")
    source = "x"
    if reshape:
        g.add_node("Reshape", {"shape": (2, 1)}, node_id="seq")
        g.connect("x", "out", "seq", "in")
        source = "seq"
    features = 1 if reshape else 3
    g.add_node(kind, {"input_size": features, "hidden_size": 4, "num_layers": 2, "batch_first": batch_first},
               node_id="rnn")
    g.connect(source, "out", "rnn", "in")
    for node_id, port in (("fc", "out"), ("fch", "hidden")):
        g.add_node("Linear", {"in_features": 4, "out_features": 3}, node_id=node_id)
        g.add_node("Output", node_id=f"{node_id}_out")
        g.connect("rnn", port, node_id, "in")
        g.connect(node_id, "out", f"{node_id}_out", "in")
    if reshape:
        g.add_node("Flatten", node_id="flat")
        g.add_node("Linear", {"in_features": 8, "out_features": 2}, node_id="cls")
        g.add_node("Target", {"shape": ()}, node_id="y")
        g.add_node("CrossEntropy", node_id="ce")
        g.connect("rnn", "out", "flat", "in")
        g.connect("flat", "out", "cls", "in")
        g.connect("cls", "out", "ce", "input")
        g.connect("y", "out", "ce", "target")
    return g


def direct_forward(model, x):
    """What each node of _recurrent_graph outputs for x, calling the modules by hand (no capture)."""
    seq = model.seq(x) if "seq" in model._modules else x
    out, hidden = model.rnn(seq)
    return {"rnn": out, "fc": model.fc(out), "fch": model.fch(hidden)}


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_feature_maps_take_the_probe_sample_along_each_outputs_batch_axis(kind):
    graph = _recurrent_graph(kind, True)
    model = compile_graph(graph)
    x = engine.randn(1, 5, 3)
    capture = Capture(model, nodes=["rnn", "fc", "fch"], probe=(x,), graph=graph)
    maps = capture.feature_maps()
    model.eval()
    with engine.no_grad():
        direct = {name: value.numpy() for name, value in direct_forward(model, x).items()}
    np.testing.assert_allclose(maps["rnn"], direct["rnn"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(maps["fc"], direct["fc"][0], rtol=1e-5, atol=1e-6)
    # h_n is layers×N×hidden: the sample is along axis 1
    expected_hidden = direct["fch"][:, 0]
    assert maps["fch"].shape == expected_hidden.shape
    np.testing.assert_allclose(maps["fch"], expected_hidden, rtol=1e-5, atol=1e-6)


def test_a_training_run_captures_the_sample_of_a_linear_on_the_recurrent_hidden_state(moons):
    graph = _recurrent_graph("LSTM", True, reshape=True)
    project = Project(graph=graph, settings={"epochs": 1, "batch_size": 16,
                                             "capture": {"enabled": True, "every_n_steps": 2,
                                                         "nodes": ["rnn", "fch"]}})
    checked = []

    class Compare:
        def on_capture(self, info):  # on the training thread, right after the capture's probe forward
            model = trainer.model
            model.eval()
            with engine.no_grad():
                direct = direct_forward(model, trainer.capture.probe[0])
            model.train()
            np.testing.assert_allclose(info.feature_maps["fch"], direct["fch"][:, 0].numpy(), rtol=1e-5,
                                       atol=1e-6)
            np.testing.assert_allclose(info.feature_maps["rnn"], direct["rnn"][0].numpy(), rtol=1e-5,
                                       atol=1e-6)
            checked.append(info.step)

    trainer = Trainer(project, callbacks=Compare(), data=moons())
    result = trainer.run()
    assert result.status == "finished", result.message
    assert checked == [1, 2, 4]  # 80 samples / 16 = 5 steps
