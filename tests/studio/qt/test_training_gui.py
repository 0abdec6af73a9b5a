"""Training end to end through the window: the Run menu's actions on a real LeNet-5 run over generated
shapes, pause / resume / stop, a diverging run and a run whose worker raises, each reported to the user
and each leaving the app usable."""

from __future__ import annotations

import math
import re
import threading

import numpy as np
import pytest

from engine import nn
from studio.graph.commands import SetParam, SetSettings
from studio.graph.project import Project
from studio.qt.train_runner import IDLE, PAUSED, RUNNING
from studio.templates import load_template

RUN_TIMEOUT_MS = 60_000


def lenet5(count: int, epochs: int, **settings) -> Project:
    """The LeNet-5 template on `count` generated shapes (4 classes; 20 % of them for validation)."""
    project = load_template("lenet5")
    project.settings["dataset"]["options"]["count"] = count
    project.settings.update(epochs=epochs, **settings)
    return project


class Steps:
    """The steps of the batches the runner signals, as they arrive."""

    def __init__(self, runner) -> None:
        self.seen: list[int] = []
        runner.batch.connect(lambda info: self.seen.append(info.step))

    @property
    def last(self) -> int:
        return self.seen[-1] if self.seen else 0


def _quiet(qtbot, steps: Steps, quiet_ms: int = 300, timeout_ms: int = 10_000) -> bool:
    """Whether the steps stop arriving (none for `quiet_ms`) within `timeout_ms`."""
    for _ in range(timeout_ms // quiet_ms):
        before = steps.last
        qtbot.wait(quiet_ms)
        if steps.last == before:
            return True
    return False


def _finished_run(qtbot, window):
    """Trigger Train and wait for the run's RunResult."""
    with qtbot.waitSignal(window.runner.finished, timeout=RUN_TIMEOUT_MS) as done:
        window.named_actions["actionTrain"].trigger()
    return done.args[0]


def _assert_idle_and_usable(window) -> None:
    actions = window.named_actions
    assert window.runner.state == IDLE
    assert actions["actionTrain"].isEnabled() and actions["actionTrain"].text() == "&Train"
    assert not actions["actionPause"].isEnabled() and not actions["actionPause"].isChecked()
    assert not actions["actionStop"].isEnabled()


def _start_then_stop(qtbot, window) -> None:
    """A new run starts (its first batch reaches the curves), then stops on request."""
    window.named_actions["actionTrain"].trigger()
    assert window.runner.state == RUNNING
    qtbot.waitUntil(lambda: bool(window.curves_dock.step_losses()), timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(window.runner.finished, timeout=RUN_TIMEOUT_MS) as done:
        window.named_actions["actionStop"].trigger()
    assert done.args[0].status == "stopped"


def test_lenet5_learns_the_shapes_and_the_curves_show_it(make_window, qtbot, answers):
    window = make_window(lenet5(count=800, epochs=2))
    window.named_actions["actionShowCurvesDock"].trigger()
    curves = window.curves_dock
    result = _finished_run(qtbot, window)

    assert result.status == "finished" and result.epochs_done == 2, result.message
    losses = curves.step_losses()
    assert len(losses) >= 2 and all(math.isfinite(v) for v in losses)
    assert curves._steps[-1] == result.steps_done == 2 * math.ceil(640 / 32)
    assert curves._steps == sorted(curves._steps)
    train_loss = curves.epoch_values("train_loss")
    accuracy = curves.epoch_values("accuracy")
    assert len(train_loss) == len(accuracy) == 2
    assert train_loss[1] < train_loss[0]
    # four balanced classes: chance is 25 %; two short epochs of LeNet-5 get far above it, and the
    # validation accuracy at the end beats the running training accuracy of the first epoch
    assert accuracy[1] > 0.6
    assert accuracy[1] > curves.epoch_values("train_accuracy")[0]
    assert np.mean(losses[-3:]) < losses[0]
    assert window.statusBar().currentMessage().startswith("Training finished")
    assert answers.errors == []
    _assert_idle_and_usable(window)


def test_pause_holds_the_steps_resume_continues_and_stop_ends_the_run(make_window, qtbot, answers):
    window = make_window(lenet5(count=2000, epochs=50))  # far more than the test waits for: it stops it
    actions, runner = window.named_actions, window.runner
    steps = Steps(runner)
    actions["actionTrain"].trigger()
    qtbot.waitUntil(lambda: steps.last >= 2, timeout=RUN_TIMEOUT_MS)

    actions["actionPause"].trigger()
    assert runner.state == PAUSED and actions["actionPause"].isChecked()
    assert actions["actionTrain"].isEnabled() and actions["actionTrain"].text() == "&Resume"
    assert actions["actionStop"].isEnabled()
    assert _quiet(qtbot, steps), "steps went on while paused"  # the batch in flight still ends
    held = steps.last
    qtbot.wait(600)
    assert steps.last == held, "steps went on while paused"

    actions["actionTrain"].trigger()  # Resume
    assert runner.state == RUNNING and not actions["actionPause"].isChecked()
    qtbot.waitUntil(lambda: steps.last > held, timeout=RUN_TIMEOUT_MS)

    with qtbot.waitSignal(runner.finished, timeout=RUN_TIMEOUT_MS) as done:
        actions["actionStop"].trigger()
    result = done.args[0]
    assert result.status == "stopped" and result.steps_done >= steps.last > held
    assert result.epochs_done < 50
    assert answers.errors == []  # stopping is no error
    _assert_idle_and_usable(window)

    # a second run starts; stopping it while paused ends it too
    actions["actionTrain"].trigger()
    assert runner.state == RUNNING
    qtbot.waitUntil(lambda: bool(window.curves_dock.step_losses()), timeout=RUN_TIMEOUT_MS)
    actions["actionPause"].trigger()
    assert runner.state == PAUSED
    with qtbot.waitSignal(runner.finished, timeout=RUN_TIMEOUT_MS) as done:
        actions["actionStop"].trigger()
    assert done.args[0].status == "stopped"
    assert answers.errors == []
    _assert_idle_and_usable(window)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow warnings: the weights explode
def test_a_diverging_run_is_reported_its_weights_restored_and_the_app_goes_on(make_window, qtbot, answers):
    project = lenet5(count=600, epochs=2, optimizer="SGD", optimizer_options={"lr": 1e6})
    window = make_window(project)
    result = _finished_run(qtbot, window)

    assert result.status == "diverged", result.message
    assert re.search(r"step \d+", result.message) and "lr 1e+06" in result.message
    qtbot.waitUntil(lambda: bool(answers.errors), timeout=5_000)
    assert len(answers.errors) == 1
    error = answers.errors[0]
    assert error.startswith("Training diverged: ") and re.search(r"step \d+", error)
    assert "restored" in error
    weights = window.runner.last_state_dict
    assert weights and all(np.isfinite(np.asarray(value)).all() for value in weights.values())
    _assert_idle_and_usable(window)

    # an edit and its undo still work
    document = window.document
    before = document.graph.nodes["fc1"].params["out_features"]
    assert document.execute(SetParam("fc1", "out_features", before + 4))
    window.named_actions["actionUndo"].trigger()
    assert document.graph.nodes["fc1"].params["out_features"] == before

    # with a sane learning rate the next run trains
    assert document.execute(SetSettings({"optimizer": "Adam", "optimizer_options": {"lr": 0.002}},
                                        document.project))
    result = _finished_run(qtbot, window)
    assert result.status == "finished", result.message
    assert len(answers.errors) == 1


def test_an_exception_in_the_worker_fails_the_run_with_its_type_and_message(make_window, qtbot, answers,
                                                                             monkeypatch):
    relu_forward = nn.ReLU.forward
    worker_calls = [0]

    def failing_forward(self, x):
        if threading.current_thread() is not threading.main_thread():  # only the training thread's
            worker_calls[0] += 1
            if worker_calls[0] > 10:  # a few steps in: LeNet-5 has 4 ReLUs
                raise RuntimeError("boom")
        return relu_forward(self, x)

    monkeypatch.setattr(nn.ReLU, "forward", failing_forward)
    window = make_window(lenet5(count=600, epochs=2))
    messages: list[str] = []
    window.runner.message.connect(messages.append)
    result = _finished_run(qtbot, window)

    assert result.status == "failed"
    assert "RuntimeError: boom" in result.message and "step 2" in result.message
    qtbot.waitUntil(lambda: bool(answers.errors), timeout=5_000)
    assert len(answers.errors) == 1
    error = answers.errors[0]
    assert error.startswith("Training failed: ") and "RuntimeError" in error and "boom" in error
    assert "Traceback" not in error
    shown = [*messages, window.statusBar().currentMessage()]
    assert any("RuntimeError: boom" in m for m in shown)
    assert not any("Traceback" in m or 'File "' in m for m in shown), shown
    _assert_idle_and_usable(window)

    monkeypatch.setattr(nn.ReLU, "forward", relu_forward)
    _start_then_stop(qtbot, window)
    assert len(answers.errors) == 1
