"""Node health from a capture: classification, parameter -> node mapping (blocks included), the block
views a canvas shows, and a real run whose feature maps follow watch_nodes mid-run."""

import math

import numpy as np
import pytest

import engine
from studio.graph.blocks import group_into_block
from studio.graph.compile import compile_graph
from studio.graph.project import Project
from studio.training import health as H
from studio.training.callbacks import CaptureInfo
from studio.training.capture import Capture
from studio.training.trainer import Trainer

HEALTHY_STATS = {"mean": 0.3, "std": 0.5, "min": 0.0, "max": 2.0, "zeros": 0.45}


def info(grads=None, activations=None, step=7) -> CaptureInfo:
    return CaptureInfo(step=step, activations=activations or {}, grad_norms=grads or {}, feature_maps={})


def kinds(h: H.NodeHealth) -> list[str]:
    return [r.kind for r in h.reasons]


def test_a_healthy_layer_is_ok_with_a_graded_colour():
    health = H.node_health(info({"fc.weight": 0.03, "fc.bias": 0.04}, {"fc": HEALTHY_STATS}))
    fc = health["fc"]
    assert fc.level == H.OK and fc.reasons == ()
    assert fc.grad_norm == pytest.approx(0.05)  # sqrt(0.03² + 0.04²): the norm over all its parameters
    assert fc.activation == HEALTHY_STATS and fc.step == 7
    assert 0.3 < fc.colour < 0.7  # healthy norms land mid-scale
    small = H.node_health(info({"a.weight": 1e-4, "b.weight": 1.0}))
    assert small["a"].colour < small["b"].colour  # graded, not just "green"
    assert "gradient norm 0.05" in fc.tooltip() and "zeros 45.0%" in fc.tooltip()


@pytest.mark.parametrize(("grad", "kind", "level"), [
    (1e-8, "vanishing_gradient", H.WARNING),
    (0.0, "vanishing_gradient", H.PROBLEM),
    (5e3, "exploding_gradient", H.PROBLEM),
    (math.inf, "non_finite_gradient", H.PROBLEM),
    (math.nan, "non_finite_gradient", H.PROBLEM),
])
def test_gradient_problems(grad, kind, level):
    h = H.node_health(info({"fc.weight": grad}, {"fc": HEALTHY_STATS}))["fc"]
    assert kinds(h) == [kind] and h.level == level
    assert h.colour == (0.0 if grad < H.VANISHING_GRAD else 1.0)


def test_thresholds_are_exclusive_at_their_edges():
    edge = H.node_health(info({"a.weight": H.VANISHING_GRAD, "b.weight": H.EXPLODING_GRAD}))
    assert edge["a"].level == edge["b"].level == H.OK


def test_a_mostly_dead_relu_warns_and_says_what_to_try():
    dead = {**HEALTHY_STATS, "zeros": 0.95, "mean": 0.01}
    h = H.node_health(info(activations={"relu": dead}))["relu"]
    assert kinds(h) == ["dead_units"] and h.level == H.WARNING
    assert h.grad_norm is None and h.colour is None  # a ReLU has no parameters of its own
    tip = h.tooltip()
    assert "Mostly dead output" in tip and "LeakyReLU" in tip and "zeros 95.0%" in tip
    assert all(len(line) <= 80 for line in tip.splitlines())  # wrapped for a tooltip
    fully = H.node_health(info(activations={"relu": {**dead, "zeros": 1.0}}))["relu"]
    assert fully.level == H.PROBLEM and "every value is zero" in fully.tooltip()
    assert H.node_health(info(activations={"relu": {**dead, "zeros": 0.9}}))["relu"].level == H.OK


def test_nan_and_huge_activations():
    nan = {**HEALTHY_STATS, "mean": math.nan, "max": math.nan}
    h = H.node_health(info(activations={"fc": nan}))["fc"]
    assert kinds(h) == ["non_finite_activation"] and h.level == H.PROBLEM
    huge = H.node_health(info(activations={"fc": {**HEALTHY_STATS, "min": -3e4}}))["fc"]
    assert kinds(huge) == ["huge_activation"] and huge.level == H.WARNING


def test_parameters_map_to_their_node_including_inside_blocks(tiny_classifier):
    g = tiny_classifier()
    _, block = group_into_block(g, ["fc1", "act"], "dense")
    model = compile_graph(g, include_loss=True)
    capture = Capture(model)
    x, y = engine.randn(16, 2), engine.randint(0, 2, (16,))
    capture.arm()
    model.forward_all(x, y)["ce"].backward()
    captured = capture.collect(1, capture.grad_norms())
    health = H.node_health(captured)
    inner = f"{block.id}__0__fc1"
    assert set(health) == {inner, f"{block.id}__0__act", "fc2"}
    weight, bias = (getattr(model, inner).weight.grad.numpy(), getattr(model, inner).bias.grad.numpy())
    expected = math.sqrt(float((weight ** 2).sum() + (bias ** 2).sum()))
    assert health[inner].grad_norm == pytest.approx(expected, rel=1e-5)
    assert health[f"{block.id}__0__act"].grad_norm is None

    top = H.view_health(health, [], g.nodes)
    assert set(top) == {block.id, "fc2"}
    assert top[block.id].source in ("fc1", "act")  # the block shows the worst inside it
    inside = H.view_health(health, [block.id], ["fc1", "act"])
    assert set(inside) == {"fc1", "act"}
    assert inside["fc1"].grad_norm == pytest.approx(expected, rel=1e-5) and inside["fc1"].source == ""


def test_a_block_shows_its_worst_inner_node_and_names_the_others():
    health = H.node_health(info(
        {"blk__0__conv.weight": 0.1, "blk__1__conv.weight": 0.0, "other.weight": 0.2},
        {"blk__0__relu": {**HEALTHY_STATS, "zeros": 0.97}, "blk__1__relu": HEALTHY_STATS}))
    top = H.view_health(health, [], ["blk", "other", "x"])
    assert top["blk"].level == H.PROBLEM and top["blk"].source == "conv (copy 2)"
    assert top["blk"].others == ("relu: Mostly dead output",)
    assert "worst is conv (copy 2)" in top["blk"].tooltip() and "Also inside: relu" in top["blk"].tooltip()
    assert top["other"].level == H.OK
    inside = H.view_health(health, ["blk"], ["conv", "relu"])
    assert inside["conv"].level == H.PROBLEM and inside["conv"].source == "copy 2 of 2"
    assert inside["relu"].level == H.WARNING and inside["relu"].node_id == "relu"


def test_nested_blocks_resolve_level_by_level():
    health = H.node_health(info({"outer__0__inner__0__fc.weight": 1e-9}))
    assert H.view_health(health, [], ["outer"])["outer"].source == "inner / fc"
    assert H.view_health(health, ["outer"], ["inner"])["inner"].level == H.WARNING
    assert set(H.view_health(health, ["outer", "inner"], ["fc"])) == {"fc"}
    assert H.view_health(health, ["elsewhere"], ["fc"]) == {}


def test_feature_maps_follow_watch_nodes_mid_run(tiny_classifier, moons):
    data = moons()
    project = Project(graph=tiny_classifier(), settings={"epochs": 1, "batch_size": 8,
                                                         "capture": {"enabled": True, "every_n_steps": 2}})
    seen: list[CaptureInfo] = []

    class Watch:
        def on_capture(self, captured: CaptureInfo) -> None:
            seen.append(captured)
            if captured.step == 4:  # as a UI would, while the run goes on
                trainer.watch_nodes(["fc2", "added_after_start", "ce"])  # ce: a scalar loss

    trainer = Trainer(project, callbacks=Watch(), data=data)
    trainer.watch_nodes(["act"])
    assert trainer.run().status == "finished"
    maps = {c.step: set(c.feature_maps) for c in seen}
    assert maps[1] == maps[2] == maps[4] == {"act"}
    assert maps[6] == maps[10] == {"fc2"}  # the unknown id and the loss are left out, never an error
    assert seen[-1].feature_maps["fc2"].shape == (2,)
    health = H.node_health(seen[-1])
    assert {"fc1", "act", "fc2"} <= set(health)
    assert all(np.isfinite(health[n].grad_norm) for n in ("fc1", "fc2"))


def test_a_relu_killed_by_a_huge_negative_bias_is_reported_dead_and_the_layer_before_stops_learning(
        tiny_classifier):
    model = compile_graph(tiny_classifier(), include_loss=True)
    with engine.no_grad():
        model.fc1.bias.fill_(-1e3)
    capture = Capture(model)
    x, y = engine.randn(16, 2), engine.randint(0, 2, (16,))
    capture.arm()
    model.forward_all(x, y)["ce"].backward()
    health = H.node_health(capture.collect(1, capture.grad_norms()))
    assert kinds(health["act"]) == ["dead_units"] and health["act"].level == H.PROBLEM
    assert kinds(health["fc1"]) == ["vanishing_gradient"] and health["fc1"].grad_norm == 0.0
    assert health["fc2"].level == H.OK  # its bias still learns the class prior
