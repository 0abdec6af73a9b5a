"""The Runs dock and the overlaid curves: a project's runs trained by the Trainer list in a table, overlay in
the Training Curves dock, compare, open as unsaved copies, and a damaged run shows its reason."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.graph.commands import AddNode
from studio.graph.project import Project
from studio.qt.docks.curves import OVERLAY_Z, CurvesDock, Overlay, ema
from studio.qt.docks.runs import UNSAVED_TEXT
from studio.qt.document import Document
from studio.qt.files import Button
from studio.templates import load_template
from studio.training.runs import StepHistory, list_runs, read_steps
from studio.training.trainer import Trainer


@pytest.fixture
def trained(tmp_path):
    """A saved 'mlp' project with two 1-epoch runs: the default lr, then lr 0.01 named "fast"."""
    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=256)
    project.save(tmp_path / "model.msproj")
    assert Trainer(project).run().status == "finished"
    project.settings["optimizer_options"] = {"lr": 0.01}
    assert Trainer(project, run_name="fast").run().status == "finished"
    return Project.load(tmp_path / "model.msproj")


def open_runs(window, qtbot, rows):
    dock = window.runs_dock
    window.named_actions["actionShowRunsDock"].trigger()
    qtbot.waitUntil(lambda: dock.table.rowCount() == rows and "Loading" not in dock.notice.text())
    return dock


def cell(dock, row, column):
    labels = [dock.table.horizontalHeaderItem(c).text() for c in range(dock.table.columnCount())]
    return dock.table.item(row, labels.index(column)).text()


def legend(plot):
    return [label.text for _, label in plot.getPlotItem().legend.items]


def test_the_dock_lists_the_runs_trained_for_the_project(make_window, qtbot, trained):
    window = make_window(trained)
    dock = window.runs_dock
    assert dock.objectName() == "runsDock" and dock.isHidden()
    dock = open_runs(window, qtbot, 2)
    assert dock.isVisible()
    runs = list_runs(trained.path)
    labels = [dock.table.horizontalHeaderItem(c).text() for c in range(dock.table.columnCount())]
    assert labels == ["Run", "Status", "Started", "Epochs", "Train loss", "Val loss", "accuracy", "Optimizer",
                      "LR", "Batch size"]
    by_name = {cell(dock, r, "Run"): r for r in range(2)}
    assert set(by_name) == {run.name for run in runs}
    for run in runs:
        row = by_name[run.name]
        assert cell(dock, row, "Status") == "finished" and cell(dock, row, "Epochs") == "1"
        assert cell(dock, row, "Train loss") == f"{run.metrics['train_loss']:.4g}"
        assert cell(dock, row, "accuracy") == f"{run.metrics['accuracy']:.4g}"
        assert (cell(dock, row, "Optimizer"), cell(dock, row, "Batch size")) == ("Adam", "256")
        assert cell(dock, row, "Started") == run.started.replace("T", " ")
    fast = next(r.name for r in runs if r.name.endswith("-fast"))
    assert cell(dock, by_name[fast], "LR") == "0.01"
    assert str(trained.path.parent / "runs") in dock.notice.text()


def test_an_unsaved_project_says_to_save_then_lists_runs_as_they_finish(make_window, qtbot, answers,
                                                                         tmp_path):
    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=256)
    window = make_window(project)
    dock = window.runs_dock
    assert dock.notice.text() == UNSAVED_TEXT and dock.table.rowCount() == 0
    answers.save_paths.append(str(tmp_path / "saved.msproj"))
    assert window.files.save()
    qtbot.waitUntil(lambda: dock.notice.text().startswith("No runs yet"))
    with qtbot.waitSignal(dock.runs_loaded, timeout=60_000) as loaded:
        window.named_actions["actionTrain"].trigger()
    assert len(loaded.args[0]) == 1 and dock.table.rowCount() == 1
    assert cell(dock, 0, "Status") == "finished"


def test_overlaying_two_runs_draws_them_in_the_curves_dock(make_window, qtbot, trained):
    window = make_window(trained)
    dock = open_runs(window, qtbot, 2)
    curves = window.curves_dock
    assert curves.isHidden()
    dock.select_runs([run.name for run in dock.runs])
    with qtbot.waitSignal(dock.overlays_changed) as sent:
        dock.overlay_button.setChecked(True)
    shown = [run.name for run in dock.selected_runs()]  # in table order: newest first
    assert [o.label for o in sent.args[0]] == shown and shown[0].endswith("-fast")
    assert curves.isVisible()  # opened to show them
    assert list(curves.overlay_items) == shown
    for run in dock.runs:
        steps = read_steps(run.path)
        loss_item, lr_item, train_item, val_item, *metric_items = curves.overlay_items[run.name]
        x, y = loss_item.getData()
        assert list(x) == steps.step.tolist() and np.allclose(y, ema(steps.loss, curves.smoothing))
        assert np.allclose(lr_item.getData()[1], steps.lr)
        assert list(train_item.getData()[1]) == [run.metrics["train_loss"]]
        assert list(val_item.getData()[1]) == [run.metrics["val_loss"]]
        names = {item.name() for item in metric_items}
        assert names == {f"{run.name} accuracy", f"{run.name} train_accuracy"}
        assert loss_item.opts["pen"].style() == Qt.PenStyle.DashLine
        assert loss_item.zValue() == OVERLAY_Z < curves.smoothed_item.zValue()
        assert run.name in legend(curves.loss_plot) and f"{run.name} train" in legend(curves.epoch_loss_plot)
    colors = {curves.overlay_items[r.name][0].opts["pen"].color().name() for r in dock.runs}
    assert len(colors) == 2
    assert len(curves.metrics_plot.getPlotItem().listDataItems()) == 4

    dock.table.clearSelection()  # no selection: no overlays
    assert curves.overlay_items == {} and legend(curves.loss_plot) == ["raw", "smoothed"]
    live = [curves.train_epoch_item, curves.val_epoch_item]
    assert curves.epoch_loss_plot.getPlotItem().listDataItems() == live
    dock.select_runs([dock.runs[0].name])  # cached: shown at once
    assert list(curves.overlay_items) == [dock.runs[0].name]
    dock.overlay_button.setChecked(False)
    assert curves.overlays == []


def test_compare_shows_the_differing_settings(make_window, qtbot, trained):
    window = make_window(trained)
    dock = open_runs(window, qtbot, 2)
    dock.select_runs([dock.runs[0].name])
    assert not dock.compare_button.isEnabled() and dock.compare() is None
    dock.select_runs([run.name for run in dock.runs])
    with qtbot.waitSignal(dock.runs_loaded):
        qtbot.mouseClick(dock.refresh_button, Qt.MouseButton.LeftButton)
    assert len(dock.selected_runs()) == 2  # a reload keeps the selection
    assert dock.compare_button.isEnabled()
    dialog = dock.compare()
    table = dialog.findChild(type(dock.table), "runsCompareTable")
    labels = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert "optimizer_options.lr" in labels and "batch_size" not in labels
    lr = labels.index("optimizer_options.lr")
    assert sorted(table.item(r, lr).text() for r in range(2)) == ["0.001", "0.01"]


def test_open_graph_loads_the_snapshot_as_an_unsaved_copy(make_window, qtbot, answers, trained, tmp_path):
    window = make_window(trained)
    dock = open_runs(window, qtbot, 2)
    run = dock.runs[1]
    snapshot = (run.path / "graph.msproj").read_text()
    window.document.execute(AddNode("ReLU"))  # unsaved changes: asked first
    answers.save_changes_answers.append(Button.Cancel)
    dock.select_runs([run.name])
    assert not dock.open_graph() and window.document.project is not None
    assert window.document.path == trained.path
    answers.save_changes_answers.append(Button.Discard)
    qtbot.mouseClick(dock.open_button, Qt.MouseButton.LeftButton)
    project = window.document.project
    assert (project.path, project.name) == (None, run.name)
    assert set(project.graph.nodes) == set(Project.load(run.path / "graph.msproj").graph.nodes)
    assert project.settings["optimizer_options"] == {"lr": 0.01}
    assert window.windowTitle().startswith(run.name)
    assert dock.notice.text() == UNSAVED_TEXT  # a copy without a file has no runs
    answers.save_paths.append(str(tmp_path / "copy.msproj"))
    assert window.files.save()
    assert answers.asked[-1] == "Save Project As" and (tmp_path / "copy.msproj").is_file()
    assert (run.path / "graph.msproj").read_text() == snapshot


def test_a_damaged_run_shows_its_error_in_its_row(make_window, qtbot, answers, trained):
    broken = list_runs(trained.path)[0]
    (broken.path / "run.json").write_text("{not json")
    (broken.path / "graph.msproj").write_text("{not json")
    window = make_window(trained)
    dock = open_runs(window, qtbot, 2)
    row = next(r for r in range(2) if cell(dock, r, "Run") == broken.name)
    assert cell(dock, row, "Status").startswith("broken: run.json is damaged")
    assert cell(dock, 1 - row, "Status") == "finished"
    dock.select_runs([broken.name])
    assert not dock.open_graph()
    assert answers.errors and answers.errors[0].startswith("Cannot open the run's graph")
    assert window.document.path == trained.path


# --------------------------------------------------------------------------- curves dock, directly ---
def overlay(label, losses, epochs):
    n = len(losses)
    steps = StepHistory(np.arange(1, n + 1), np.ones(n, dtype=np.int64), np.asarray(losses, dtype=float),
                        np.full(n, 0.01))
    return Overlay(label, steps, epochs)


@pytest.fixture
def curves(qtbot):
    paths: list[str] = []
    dock = CurvesDock(Document(Project()), None, save_path=lambda *_: paths.pop(0))
    dock.paths = paths
    qtbot.addWidget(dock)
    return dock


def test_overlays_follow_the_smoothing_log_scale_and_downsampling(curves):
    losses = [2.0, 1.0, 1.5, 0.5, 0.7]
    curves.set_overlays([overlay("a", losses, [{"epoch": 1, "train_loss": 1.1, "val_loss": None}])])
    item = curves.overlay_items["a"][0]
    curves.smoothing_slider.setValue(0)
    assert np.allclose(item.getData()[1], losses)
    curves.smoothing_slider.setValue(90)
    assert np.allclose(item.getData()[1], ema(losses, 0.9))
    curves.log_scale.setChecked(True)
    assert item.opts["logMode"][1]
    assert item.opts["autoDownsample"] and item.opts["clipToView"] and item.opts["downsampleMethod"] == "peak"
    curves._state_changed("running")  # a new live run clears the live curves, not the overlays
    assert list(curves.overlay_items) == ["a"]


def test_export_csv_appends_a_section_per_overlaid_run(curves, tmp_path):
    curves.set_overlays([overlay("a", [2.0, 1.0], [{"epoch": 1, "train_loss": 1.5, "val_loss": 1.4,
                                                     "accuracy": 0.5}]),
                         overlay("b", [3.0], [])])
    target = tmp_path / "curves.csv"
    curves.paths.append(str(target))
    assert curves.export_csv() == str(target)
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[:2] == [["step", "loss"], []]  # no live run
    start = rows.index(["run", "a"])
    assert rows[start + 1:start + 4] == [["step", "loss"], ["1", "2.0"], ["2", "1.0"]]
    assert rows[start + 5:start + 7] == [["epoch", "train_loss", "val_loss", "lr", "accuracy"],
                                         ["1", "1.5", "1.4", "", "0.5"]]
    assert ["run", "b"] in rows and rows[-2:] == [[], ["epoch", "train_loss", "val_loss", "lr"]]
