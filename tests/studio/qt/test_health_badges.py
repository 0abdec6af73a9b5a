"""Gradient/activation health badges on the canvas: fed crafted captures, inside and outside blocks, and
end to end from a real training run started in the window; the runner's capture signal and watch_nodes."""

from __future__ import annotations

import math
import threading

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPainter, QTransform
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem, QToolTip

from studio.qt.canvas import node_item
from studio.qt.train_runner import CAPTURE_SIGNAL_INTERVAL, LIVE_CAPTURE_EVERY, _Relay, live_capture_settings
from studio.templates import load_template
from studio.training.callbacks import BatchInfo, CaptureInfo
from studio.training.health import node_health

HEALTHY = {"mean": 0.2, "std": 0.4, "min": 0.0, "max": 1.5, "zeros": 0.5}


def capture(step=3, grads=None, activations=None) -> CaptureInfo:
    return CaptureInfo(step=step, activations=activations or {}, grad_norms=grads or {}, feature_maps={})


def render(item, scale: float = 1.0) -> QImage:
    image = QImage(int((node_item.WIDTH + 8) * scale), 60, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setTransform(QTransform.fromScale(scale, scale))
    item.paint(painter, QStyleOptionGraphicsItem(), None)
    painter.end()
    return image


def badge_pixel(item, scale: float = 1.0) -> QColor:
    far = scale < node_item.DETAIL_LOD
    centre = (node_item.BADGE_RECT_FAR if far else node_item.BADGE_RECT).center()
    x = centre.x() if far else centre.x() - 3  # left of the middle: the fill, not the "!" glyph
    return render(item, scale).pixelColor(int(x * scale), int(centre.y() * scale))


def close(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= 8


def test_a_dead_relu_gets_a_warning_badge_and_a_tooltip_that_explains(make_window):
    window = make_window("mlp")
    scene = window.scene
    relu, fc1 = scene.node_item("relu1"), scene.node_item("fc1")
    plain_tip = relu.toolTip()
    assert relu.health is None
    dead = {**HEALTHY, "zeros": 0.96, "mean": 0.003}
    scene.set_health(node_health(capture(grads={"fc1.weight": 0.02, "fc1.bias": 0.01},
                                         activations={"relu1": dead, "fc1": HEALTHY})))
    assert relu.health.level == "warning" and relu.health.reasons[0].kind == "dead_units"
    tip = relu.toolTip()
    assert tip.startswith(plain_tip)  # the node's own description stays first
    assert "Mostly dead output" in tip and "zeros 96.0%" in tip and "LeakyReLU" in tip
    assert "step 3" in tip
    assert fc1.health.level == "ok" and "gradient norm 0.0224" in fc1.toolTip()
    assert scene.node_item("fc3").health is None  # not in this capture: no badge
    # the badge is painted in the header's corner, in the colour of its gradient norm
    assert close(badge_pixel(fc1), node_item.badge_color(fc1.health.colour))
    assert close(badge_pixel(relu), node_item.NO_GRAD_BADGE)  # no parameters: grey, judged by its output
    zoomed_out = node_item.DETAIL_LOD / 2
    assert close(badge_pixel(fc1, zoomed_out), node_item.badge_color(fc1.health.colour))
    assert close(badge_pixel(relu, zoomed_out), node_item.BADGE_PENS["warning"].color())  # seen from afar
    scene.clear_health()
    assert relu.health is None and relu.toolTip() == plain_tip
    assert not close(badge_pixel(fc1), node_item.badge_color(0.5))


def test_a_capture_that_changes_no_badge_repaints_no_node_and_the_tooltip_still_follows(make_window,
                                                                                      monkeypatch):
    window = make_window("mlp")
    scene = window.scene
    repainted: list[str] = []
    update = node_item.NodeItem.update
    monkeypatch.setattr(node_item.NodeItem, "update",
                        lambda item, *args: (repainted.append(item.node_id), update(item, *args)))
    grads = {"fc1.weight": 0.02, "fc2.weight": 0.5, "fc3.weight": 3.0}
    scene.set_health(node_health(capture(step=20, grads=grads, activations={"relu1": HEALTHY})))
    assert sorted(repainted) == ["fc1", "fc2", "fc3", "relu1"]
    first_colour = badge_pixel(scene.node_item("fc1"))
    repainted.clear()
    # the next capture: new step, every norm 15 % off (batch noise): same badges, nothing repainted
    noisy = {name: norm * 1.15 for name, norm in grads.items()}
    scene.set_health(node_health(capture(step=40, grads=noisy, activations={"relu1": HEALTHY})))
    assert repainted == []
    fc1 = scene.node_item("fc1")
    assert fc1.health.step == 40 and close(badge_pixel(fc1), first_colour)
    tip = fc1.toolTip()  # built now, from the latest capture
    assert "training step 40" in tip and "gradient norm 0.023" in tip and "step 20" not in tip
    scene.set_health(node_health(capture(step=40, grads=noisy, activations={"relu1": HEALTHY})))
    assert repainted == []  # the very same capture again
    # a dead ReLU and a gradient that fell by 5 decades: exactly those two badges change
    dead = {**HEALTHY, "zeros": 0.97}
    scene.set_health(node_health(capture(step=60, grads={**noisy, "fc1.weight": 2e-7},
                                         activations={"relu1": dead})))
    assert sorted(repainted) == ["fc1", "relu1"]
    assert fc1.health.level == "warning" and not close(badge_pixel(fc1), first_colour)
    assert "Vanishing gradient" in fc1.toolTip()


def test_badge_colours_keep_still_while_a_norm_jitters_and_follow_a_real_change():
    shown = node_item.badge_step(0.5)
    assert node_item.badge_color(0.5) == node_item.step_color(shown)
    edge = (shown + 0.5) / node_item.BADGE_STEPS  # where plain rounding would flip to the next step
    assert all(node_item.badge_step(edge + d, shown) == shown for d in (-0.01, 0.0, 0.01))
    assert node_item.badge_step(0.6, shown) > shown and node_item.badge_step(0.4, shown) < shown


def test_hovering_a_node_shows_the_health_of_the_latest_capture(make_window):
    window = make_window("mlp")
    scene, view = window.scene, window.view
    scene.set_health(node_health(capture(step=3, grads={"fc1.weight": 0.02})))
    scene.set_health(node_health(capture(step=23, grads={"fc1.weight": 0.03})))
    item = scene.node_item("fc1")
    view.centerOn(item)
    at = view.mapFromScene(item.mapToScene(item.boundingRect().center()))
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, at,
                                                       view.viewport().mapToGlobal(at)))
    shown = QToolTip.text()
    assert shown.startswith("Linear") and "training step 23" in shown and "gradient norm 0.03" in shown
    QToolTip.hideText()


def test_badge_colours_are_graded_from_cold_to_hot():
    cold, mid, hot = (node_item.badge_color(v) for v in (0.0, 0.55, 1.0))
    assert cold.blue() > cold.red() and mid.green() > max(mid.red(), mid.blue()) and hot.red() > hot.blue()
    assert node_item.badge_color(0.5) != node_item.badge_color(0.6)  # graded between the stops
    assert node_item.badge_color(None) == node_item.NO_GRAD_BADGE


def test_a_block_shows_the_worst_inside_and_its_nodes_their_own(make_window):
    window = make_window("mlp")
    scene, view = window.scene, window.view
    scene.select(["fc2", "relu2"])
    block_id = view.group_selection("Dense")
    assert block_id
    health = node_health(capture(
        grads={f"{block_id}__0__fc2.weight": 0.0, "fc1.weight": 0.05},
        activations={f"{block_id}__0__relu2": HEALTHY, "relu1": HEALTHY}))
    scene.set_health(health)
    block = scene.node_item(block_id)
    assert block.health.level == "problem" and "worst is fc2" in block.toolTip()
    assert "No gradient" in block.toolTip()
    assert view.enter_block(block_id)
    assert scene.node_item("fc2").health.level == "problem"
    assert scene.node_item("relu2").health.level == "ok"
    assert "worst is" not in scene.node_item("fc2").toolTip()
    view.leave_block()
    assert scene.node_item(block_id).health.level == "problem"  # kept while moving between levels


def test_replacing_the_project_clears_the_badges(make_window):
    window = make_window("mlp")
    window.scene.set_health(node_health(capture(grads={"fc1.weight": 1.0})))
    assert window.scene.node_item("fc1").health is not None
    window.document.replace_project(load_template("mlp"))
    assert window.scene.health == {} and window.scene.node_item("fc1").health is None


def test_the_relay_sends_at_most_ten_captures_a_second_and_the_latest_wins(monkeypatch):
    from studio.qt import train_runner

    clock = [50.0]
    monkeypatch.setattr(train_runner.time, "monotonic", lambda: clock[0])
    relay = _Relay()
    sent: list[int] = []
    relay.capture.connect(lambda c: sent.append(c.step))
    relay.on_capture(capture(step=1))
    clock[0] += 0.01
    relay.on_capture(capture(step=2))
    clock[0] += 0.01
    relay.on_capture(capture(step=3))
    assert sent == [1]
    clock[0] += CAPTURE_SIGNAL_INTERVAL
    relay.on_batch(BatchInfo(epoch=1, step=3, loss=1.0, lr=0.1, samples_per_s=1.0, batch=3, batches=9))
    assert sent == [1, 3]  # a batch after the interval sends the held-back one: 2 was superseded
    relay.on_capture(capture(step=4))
    relay.flush()  # the run's end sends what is held back
    assert sent == [1, 3, 4]


def test_live_capture_keeps_a_users_interval_and_otherwise_uses_the_default():
    stored_default = {"capture": {"enabled": False, "every_n_steps": 50, "nodes": ["fc1"]}}
    assert live_capture_settings(stored_default) == {"enabled": True, "every_n_steps": LIVE_CAPTURE_EVERY,
                                                     "nodes": []}
    chosen = live_capture_settings({"capture": {"enabled": False, "every_n_steps": 7}})
    assert chosen["enabled"] and chosen["every_n_steps"] == 7
    assert live_capture_settings({"capture": {"enabled": True, "every_n_steps": 50}})["every_n_steps"] == 50


def test_training_from_the_window_puts_badges_on_the_nodes(make_window, qtbot):
    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=64)
    window = make_window(project)
    runner, scene = window.runner, window.scene
    runner.watch_nodes(["relu1", "not_a_node"])
    captures: list[CaptureInfo] = []
    runner.capture.connect(captures.append)
    with qtbot.waitSignal(runner.finished, timeout=60_000) as done:
        window.named_actions["actionTrain"].trigger()
    assert done.args[0].status == "finished"
    assert captures and captures[0].step == 1
    assert all(set(c.feature_maps) == {"relu1"} for c in captures)  # the unknown id is ignored
    assert [c.step for c in captures][-1] == LIVE_CAPTURE_EVERY * (done.args[0].steps_done // 20)
    assert window.document.project.settings["capture"]["enabled"] is False  # the user's project untouched
    for node_id in ("fc1", "fc2", "fc3"):
        item = scene.node_item(node_id)
        assert item.health is not None and item.health.grad_norm > 0 and math.isfinite(item.health.grad_norm)
        assert "gradient norm" in item.toolTip()
    assert scene.node_item("relu1").health.activation["min"] >= 0.0
    assert scene.node_item("image").health is None and scene.node_item("output").health is None
    # after the run the last health stays; a new run starts without the old badges
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        window.named_actions["actionTrain"].trigger()
        assert scene.node_item("fc1").health is None


def test_watch_nodes_reaches_a_running_trainer(make_window, qtbot, monkeypatch):
    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=128)
    project.settings["capture"] = {"enabled": True, "every_n_steps": 3}
    window = make_window(project)
    runner = window.runner
    maps: list[set[str]] = []
    watched = threading.Event()

    def seen(info: CaptureInfo) -> None:
        maps.append(set(info.feature_maps))
        if len(maps) == 1:
            runner.watch_nodes(["fc2"])
            watched.set()

    # the training thread waits after its first capture until the UI has asked for fc2: a fast run must
    # not finish all its capture steps before the UI thread gets to react
    relay_capture = runner._relay.on_capture

    def capture_then_wait(info: CaptureInfo) -> None:
        relay_capture(info)
        watched.wait(10)

    monkeypatch.setattr(runner._relay, "on_capture", capture_then_wait)
    runner.capture.connect(seen)
    with qtbot.waitSignal(runner.finished, timeout=60_000):
        window.named_actions["actionTrain"].trigger()
    assert maps[0] == set() and maps[-1] == {"fc2"}
    assert runner._watched == ["fc2"]  # later runs watch it too
