"""The training curves dock: fed BatchInfo/EpochInfo directly, its smoothing, log scale and exports; and
end to end, a real training run from the window's Train action."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal

from studio.graph.project import Project
from studio.qt.docks.curves import CurvesDock, ema
from studio.qt.document import Document
from studio.qt.train_runner import _Relay
from studio.training.callbacks import BatchInfo, EpochInfo


class FakeRunner(QObject):
    """The three TrainRunner signals the dock listens to."""

    batch = Signal(object)
    epoch = Signal(object)
    state_changed = Signal(str)


@pytest.fixture
def dock(qtbot, tmp_path):
    paths: list[str] = []
    made = CurvesDock(Document(Project()), None, FakeRunner(), save_path=lambda *_: paths.pop(0))
    made.paths = paths
    qtbot.addWidget(made)
    made.show()  # a hidden dock does not redraw
    return made


LOSSES = [2.0, 1.5, 1.4, 0.9, 1.1, 0.7, 0.6, 0.65]


def _feed(dock: CurvesDock) -> None:
    for i, loss in enumerate(LOSSES, start=1):
        dock.add_batch(BatchInfo(epoch=1 + (i > 4), step=i, loss=loss, lr=0.01 / i, samples_per_s=100.0,
                                 batch=(i - 1) % 4 + 1, batches=4))
    dock.add_epoch(EpochInfo(1, train_loss=1.45, val_loss=1.2, metrics={"accuracy": 0.5,
                                                                        "train_accuracy": 0.4}, lr=0.01))
    dock.add_epoch(EpochInfo(2, train_loss=0.76, val_loss=None, metrics={"accuracy": 0.75, "f1": 0.7},
                             lr=0.005))


def test_the_slots_keep_the_step_losses_and_the_epoch_values(dock):
    _feed(dock)
    assert dock.step_losses() == LOSSES
    assert dock.epoch_values("train_loss") == [1.45, 0.76]
    assert dock.epoch_values("accuracy") == [0.5, 0.75]
    assert dock.epoch_values("lr") == [0.01, 0.005]
    val = dock.epoch_values("val_loss")
    assert val[0] == 1.2 and math.isnan(val[1])  # no validation in epoch 2
    f1 = dock.epoch_values("f1")
    assert math.isnan(f1[0]) and f1[1] == 0.7  # a metric first reported in epoch 2
    assert dock.epoch_values("nothing") == []
    x, y = dock.raw_item.getData()
    assert list(y) == LOSSES and list(x) == list(range(1, 9))
    assert set(dock._metric_items) == {"accuracy", "train_accuracy", "f1"}


def test_a_hidden_dock_keeps_the_values_and_draws_them_when_shown(dock):
    dock.hide()
    _feed(dock)
    assert dock.step_losses() == LOSSES
    assert len(dock.raw_item.getData()[1] or []) == 0 and not dock._metric_items  # nothing drawn yet
    dock.show()
    x, y = dock.raw_item.getData()
    assert list(y) == LOSSES and list(x) == list(range(1, 9))
    assert list(dock.train_epoch_item.getData()[1]) == [1.45, 0.76]
    assert set(dock._metric_items) == {"accuracy", "train_accuracy", "f1"}


def test_every_plot_downsamples_and_clips_to_view(dock):
    for plot in dock.plots:
        item = plot.getPlotItem()
        assert item.ctrl.downsampleCheck.isChecked() and item.ctrl.autoDownsampleCheck.isChecked()
        assert item.ctrl.peakRadio.isChecked()
        assert item.ctrl.clipToViewCheck.isChecked()


def test_the_smoothing_slider_changes_the_smoothed_curve(dock):
    _feed(dock)
    dock.smoothing_slider.setValue(0)
    _, unsmoothed = dock.smoothed_item.getData()
    assert np.allclose(unsmoothed, LOSSES)
    dock.smoothing_slider.setValue(90)
    _, smoothed = dock.smoothed_item.getData()
    assert np.allclose(smoothed, ema(LOSSES, 0.9))
    assert not np.allclose(smoothed, LOSSES)
    assert np.std(np.diff(smoothed)) < np.std(np.diff(LOSSES))
    # batches added after a change continue the same EMA as recomputing it from scratch
    dock.add_batch(BatchInfo(epoch=3, step=9, loss=0.3, lr=0.001, samples_per_s=1.0))
    _, more = dock.smoothed_item.getData()
    assert np.allclose(more, ema([*LOSSES, 0.3], 0.9))


def test_ema_is_bias_corrected():
    assert np.allclose(ema([3.0, 3.0, 3.0], 0.9), [3.0, 3.0, 3.0])
    assert list(ema([], 0.5)) == []


def test_the_log_scale_checkbox_sets_log_mode_on_the_loss_plots(dock):
    _feed(dock)
    dock.log_scale.setChecked(True)
    for plot in (dock.loss_plot, dock.epoch_loss_plot):
        assert plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert dock.raw_item.opts["logMode"][1]
    assert not dock.lr_plot.getPlotItem().ctrl.logYCheck.isChecked()
    dock.log_scale.setChecked(False)
    assert not dock.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_export_csv_writes_the_step_and_epoch_rows(dock, tmp_path):
    _feed(dock)
    target = tmp_path / "curves.csv"
    dock.paths.append(str(target))
    assert dock.export_csv() == str(target)
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["step", "loss"]
    assert [(int(s), float(v)) for s, v in rows[1:9]] == list(enumerate(LOSSES, start=1))
    assert rows[9] == []
    assert rows[10] == ["epoch", "train_loss", "val_loss", "lr", "accuracy", "f1", "train_accuracy"]
    assert rows[11] == ["1", "1.45", "1.2", "0.01", "0.5", "", "0.4"]
    assert rows[12] == ["2", "0.76", "", "0.005", "0.75", "0.7", ""]
    dock.paths.append("")  # cancelled
    assert dock.export_csv() == ""


def test_export_png_saves_an_image(dock, tmp_path):
    from PySide6.QtGui import QImage

    _feed(dock)
    target = tmp_path / "curves.png"
    dock.paths.append(str(target))
    assert dock.export_png() == str(target)
    assert not QImage(str(target)).isNull()


def test_a_new_run_clears_the_curves_but_resuming_does_not(dock):
    _feed(dock)
    runner = dock.runner
    runner.state_changed.emit("running")
    assert dock.step_losses() == [] and dock.epoch_values("accuracy") == []
    assert not dock._metric_items and len(dock.raw_item.getData()[1] or []) == 0
    dock.add_batch(BatchInfo(epoch=1, step=1, loss=1.0, lr=0.1, samples_per_s=1.0))
    runner.state_changed.emit("paused")
    runner.state_changed.emit("running")  # resumed: the same run
    assert dock.step_losses() == [1.0]
    runner.state_changed.emit("idle")
    runner.state_changed.emit("running")
    assert dock.step_losses() == []


def test_the_relay_throttles_batches_but_always_sends_an_epochs_last(qtbot, monkeypatch):
    from studio.qt import train_runner

    clock = [100.0]
    monkeypatch.setattr(train_runner.time, "monotonic", lambda: clock[0])
    relay = _Relay()
    sent: list[BatchInfo] = []
    epochs: list[EpochInfo] = []
    relay.batch.connect(sent.append)
    relay.epoch.connect(epochs.append)

    def batch(i: int, of: int = 10) -> BatchInfo:
        return BatchInfo(epoch=1, step=i, loss=1.0 / i, lr=0.1, samples_per_s=1.0, batch=i, batches=of)

    relay.on_batch(batch(1))
    clock[0] += 0.01
    relay.on_batch(batch(2))  # within 50 ms: held back
    clock[0] += 0.01
    relay.on_batch(batch(3))
    assert [b.step for b in sent] == [1]
    clock[0] += 0.05
    relay.on_batch(batch(4))  # 70 ms after the last one sent: the latest goes
    assert [b.step for b in sent] == [1, 4]
    clock[0] += 0.001
    relay.on_batch(batch(10))  # the last batch of the epoch always goes
    assert [b.step for b in sent] == [1, 4, 10]
    clock[0] += 0.001
    relay.on_batch(batch(11, of=0))  # held back, then sent before the epoch's end
    relay.on_epoch(EpochInfo(1, train_loss=0.5, val_loss=None))
    assert [b.step for b in sent] == [1, 4, 10, 11] and len(epochs) == 1
    relay.flush()
    assert len(sent) == 4


def test_training_from_the_window_fills_the_curves(make_window, qtbot):
    from studio.templates import load_template

    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=256)
    window = make_window(project)
    curves = window.curves_dock
    assert curves.objectName() == "curvesDock" and curves.isHidden()
    toggle = window.named_actions["actionShowCurvesDock"]
    toggle.trigger()
    assert curves.isVisible()
    with qtbot.waitSignal(window.runner.finished, timeout=120_000) as done:
        window.named_actions["actionTrain"].trigger()
    assert done.args[0].status == "finished"
    assert curves.step_losses() and all(math.isfinite(v) for v in curves.step_losses())
    assert len(curves.epoch_values("train_loss")) == 1
    assert curves._steps[-1] == done.args[0].steps_done  # the epoch's last batch always arrives
    accuracy = curves.epoch_values("accuracy")
    assert len(accuracy) == 1 and 0.0 <= accuracy[0] <= 1.0
    assert curves.raw_item.getData()[1] is not None
