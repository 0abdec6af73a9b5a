"""Capture: what each layer outputs and how its gradients look, at a cost only when asked for."""

import numpy as np
import pytest

import engine
from studio.graph.compile import compile_graph
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
