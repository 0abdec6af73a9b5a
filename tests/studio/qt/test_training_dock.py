"""The training dock: the hyper-parameter form edits the project through undoable SetSettings and follows
undo; the dataset preview is computed off the event loop; the "From disk…" dialog checks and sets CSV and
NumPy datasets and names what is wrong with a bad file; and Train / Pause / Resume drive a real run whose
progress bar ends at 100%."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.graph.project import Project
from studio.qt.docks.dataset_wizard import LAST_COLUMN, DiskDatasetDialog
from studio.qt.docks.training import TrainingDock, format_duration
from studio.qt.document import Document
from studio.qt.train_runner import TrainRunner

WAIT = 20_000


@pytest.fixture
def make_dock(qtbot):
    def make(project: Project | None = None, *, runner=None, paths: list[str] | None = None,
             show: bool = True) -> TrainingDock:
        chosen = paths if paths is not None else []
        dock = TrainingDock(Document(project or Project()), None, runner,
                            choose_path=lambda *_: chosen.pop(0))
        qtbot.addWidget(dock)
        if show:
            dock.show()
            qtbot.waitExposed(dock)
        return dock

    return make


def _type(qtbot, spin, text: str) -> None:
    """Type a value into a spin box and press Enter, as a user does."""
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


# ------------------------------------------------------------------------------------- the form ---
def test_the_form_shows_the_project_and_an_edit_is_one_undo_step(make_dock, qtbot):
    project = Project()
    project.settings.update(epochs=7, batch_size=16, optimizer="SGD", seed=None,
                            metrics=["accuracy", "top10"], optimizer_options={"lr": 0.05, "momentum": 0.9})
    dock = make_dock(project, show=False)
    form, document = dock.form, dock.document
    assert form.epochs.value() == 7 and form.batch_size.value() == 16
    assert form.optimizer.currentText() == "SGD" and form.lr.value() == pytest.approx(0.05)
    assert form.seed.text() == "random"
    assert form.metric_boxes["accuracy"].isChecked() and not form.metric_boxes["mae"].isChecked()
    momentum = form.optimizer_options.findChild(type(form.lr), "option_momentum")
    assert momentum.value() == pytest.approx(0.9)

    _type(qtbot, form.epochs, "3")
    assert project.settings["epochs"] == 3
    assert document.is_modified() and document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Set epochs"
    document.undo_stack.undo()
    assert project.settings["epochs"] == 7 and form.epochs.value() == 7  # the form follows the undo
    assert document.undo_stack.count() == 1 and not document.is_modified()  # showing it edited nothing

    form.optimizer.setCurrentText("Adam")  # Adam takes no momentum: it is dropped, lr kept
    assert project.settings["optimizer"] == "Adam"
    assert project.settings["optimizer_options"] == {"lr": 0.05}
    form.metric_boxes["top3"].setChecked(True)
    assert project.settings["metrics"] == ["accuracy", "top3", "top10"]  # an unlisted metric is kept
    form.loss.setCurrentIndex(form.loss.findData("CrossEntropy"))
    assert project.settings["loss"] == "CrossEntropy"
    form.seed.setValue(5)
    assert project.settings["seed"] == 5
    assert document.undo_stack.count() == 4  # the undone epochs edit was replaced by these four
    for _ in range(4):
        document.undo_stack.undo()
    assert project.settings["optimizer"] == "SGD" and project.settings["loss"] is None
    assert form.optimizer.currentText() == "SGD" and form.loss.currentData() is None


def test_choosing_a_scheduler_fills_its_required_options_and_its_editors_edit_them(make_dock):
    project = Project()
    dock = make_dock(project, show=False)
    form = dock.form
    form.scheduler.setCurrentIndex(form.scheduler.findData("StepLR"))
    assert project.settings["scheduler"] == "StepLR"
    assert project.settings["scheduler_options"] == {"step_size": 10}  # StepLR cannot run without it
    gamma = form.scheduler_options.findChild(type(form.lr), "option_gamma")
    assert gamma.value() == pytest.approx(0.1)  # the scheduler's own default
    gamma.setValue(0.5)
    assert project.settings["scheduler_options"] == {"step_size": 10, "gamma": 0.5}
    dock.document.undo_stack.undo()
    assert gamma.value() == pytest.approx(0.1)
    form.scheduler.setCurrentIndex(form.scheduler.findData("CosineAnnealingLR"))
    t_max = form.scheduler_options.findChild(type(form.lr), "option_T_max")
    assert t_max.text() == "auto" and project.settings["scheduler_options"] == {}


# ---------------------------------------------------------------------------------- the dataset ---
def test_the_shapes_preview_arrives_from_a_worker_and_follows_the_options(make_dock, qtbot):
    project = Project()
    project.settings["dataset"] = {"name": "shapes", "options": {"count": 60, "size": 16}}
    dock = make_dock(project)
    panel = dock.dataset_panel
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=WAIT)
    images = panel.grid.findChildren(type(panel.status), "previewImage")
    assert len(images) == 16 and all(not label.pixmap().isNull() for label in images)
    assert panel.views.currentWidget() is panel.grid
    assert "48 training + 12 validation samples" in panel.status.text()
    assert all(name in panel.counts.text() for name in ("circle", "square", "triangle"))
    assert panel.option_editors["count"].value() == 60

    _type(qtbot, panel.option_editors["count"], "90")
    assert project.settings["dataset"]["options"] == {"count": 90, "size": 16}
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview["train_size"] == 72, timeout=WAIT)
    assert sum(panel.preview["class_counts"].values()) == 90

    panel.combo.setCurrentIndex(panel.combo.findData("moons"))
    assert project.settings["dataset"]["name"] == "moons"
    qtbot.waitUntil(lambda: panel.preview is not None and panel.preview["kind"] == "rows", timeout=WAIT)
    assert panel.views.currentWidget() is panel.table
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert headers == ["x0", "x1", "target"] and panel.table.rowCount() == 16
    assert panel.table.item(0, 2).text() in ("upper", "lower")
    dock.document.undo_stack.undo()
    assert panel.combo.currentData() == "shapes"


def test_a_dataset_that_cannot_open_says_why(make_dock, qtbot):
    project = Project()
    project.settings["dataset"] = {"name": "shapes", "options": {"count": 10, "classes": ["circle"]}}
    dock = make_dock(project)
    panel = dock.dataset_panel
    qtbot.waitUntil(lambda: "Cannot open" in panel.status.text(), timeout=WAIT)
    assert "option 'classes' of dataset 'shapes'" in panel.status.text()
    assert panel.views.isHidden()


# ----------------------------------------------------------------------------------- from disk ---
def _write_csv(path, rows: list[str]) -> str:
    path.write_text("\n".join(["f1,f2,label,f3", *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_the_wizard_checks_a_csv_and_its_finish_sets_the_dataset(make_dock, qtbot, tmp_path):
    csv_path = _write_csv(tmp_path / "table.csv",
                          [f"{i},{i * 2},{'ab'[i % 2]},{-i}" for i in range(10)])
    dock = make_dock(paths=[csv_path], show=False)
    wizard = dock.open_disk_wizard()
    wizard.format.setCurrentIndex(wizard.format.findData("csv"))
    qtbot.mouseClick(wizard.findChild(type(wizard.check_button), "wizardBrowse_csv_path"),
                     Qt.MouseButton.LeftButton)
    assert wizard.path_edits["csv"]["path"].text() == csv_path
    columns = [wizard.label_column.itemText(i) for i in range(wizard.label_column.count())]
    assert columns == [LAST_COLUMN, "f1", "f2", "label", "f3"]  # read from the header
    wizard.label_column.setCurrentText("label")
    qtbot.mouseClick(wizard.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=WAIT)
    assert "8 training + 2 validation samples" in wizard.result.text()
    assert "a: 5" in wizard.result.text() and "b: 5" in wizard.result.text()
    assert wizard.checked["input_shape"] == (3,)  # f1, f2, f3

    qtbot.mouseClick(wizard.findChild(type(wizard.check_button), "wizardFinish"), Qt.MouseButton.LeftButton)
    spec = dock.document.project.settings["dataset"]
    assert spec == {"name": "csv", "options": {"path": csv_path, "label_column": "label", "task": None},
                    "val_fraction": 0.2, "seed": 0}
    assert dock.dataset_panel.combo.currentText().startswith("From disk: csv (table.csv)")
    dock.document.undo_stack.undo()
    assert dock.document.project.settings["dataset"] is None


def test_the_wizard_reads_numpy_arrays(qtbot, tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    y = np.arange(20) % 3
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    paths = [str(tmp_path / "x.npy"), str(tmp_path / "y.npy")]
    wizard = DiskDatasetDialog(choose_path=lambda *_: paths.pop(0))
    qtbot.addWidget(wizard)
    wizard.format.setCurrentIndex(wizard.format.findData("npy"))
    for option in ("x", "y"):
        wizard.findChild(type(wizard.check_button), f"wizardBrowse_npy_{option}").click()
    assert wizard.spec()["options"] == {"x": str(tmp_path / "x.npy"), "y": str(tmp_path / "y.npy")}
    assert wizard.check()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=WAIT)
    assert wizard.checked["class_counts"] == {"0": 7, "1": 7, "2": 6}

    wizard.format.setCurrentIndex(wizard.format.findData("npz"))
    assert not wizard.check()  # no file chosen yet for this format: said, not loaded
    assert "Choose .npz file first" in wizard.result.text()
    wizard.path_edits["npz"]["path"].setText(str(tmp_path / "data.npz"))
    assert wizard.check()
    qtbot.waitUntil(lambda: wizard.checked is not None, timeout=WAIT)
    assert wizard.spec() == {"name": "npy", "options": {"path": str(tmp_path / "data.npz")},
                             "val_fraction": 0.2, "seed": 0}


def test_the_wizard_names_what_is_wrong_with_a_bad_file(qtbot, tmp_path):
    bad = _write_csv(tmp_path / "bad.csv", ["1,2,a,3", "4,abc,b,6", "7,8,a,9"])
    wizard = DiskDatasetDialog()
    qtbot.addWidget(wizard)
    wizard.format.setCurrentIndex(wizard.format.findData("csv"))
    wizard.path_edits["csv"]["path"].setText(bad)
    wizard.label_column.setCurrentText("label")
    wizard.check()
    qtbot.waitUntil(lambda: wizard.result.property("ok") is False, timeout=WAIT)
    assert "row 3, column 'f2': 'abc' is not a number" in wizard.result.text()
    assert wizard.checked is None
    wizard.path_edits["csv"]["path"].setText(str(tmp_path / "missing.csv"))
    wizard.check()
    qtbot.waitUntil(lambda: "does not exist" in wizard.result.text(), timeout=WAIT)


# ------------------------------------------------------------------------------------- training ---
def test_format_duration():
    assert [format_duration(s) for s in (0, 75.4, 3725)] == ["0:00", "1:15", "1:02:05"]


def test_train_pause_resume_from_the_dock_fills_the_progress_bar(make_window, qtbot):
    window = make_window("mlp")
    dock = window.training_dock
    assert dock.objectName() == "trainingDock" and not dock.isHidden()
    assert window.named_actions["actionShowTrainingDock"].isChecked()
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    dock.raise_()
    window.document.project.settings.update(epochs=1, batch_size=360)  # digits: 1437 train samples, 4 batches
    dock.sync()
    assert dock.train_button.isEnabled() and not dock.pause_button.isEnabled()
    texts: list[str] = []
    window.runner.batch.connect(lambda _info: texts.append(dock.progress.text()))

    qtbot.mouseClick(dock.train_button, Qt.MouseButton.LeftButton)
    assert window.runner.state == "running"
    assert not dock.train_button.isEnabled() and not dock.resume_button.isEnabled()
    assert dock.pause_button.isEnabled() and dock.stop_button.isEnabled()
    assert not dock.form.isEnabled() and not dock.dataset_panel.isEnabled()  # read-only during a run
    qtbot.mouseClick(dock.pause_button, Qt.MouseButton.LeftButton)
    assert window.runner.state == "paused"
    assert dock.resume_button.isEnabled() and dock.stop_button.isEnabled()
    assert not dock.pause_button.isEnabled() and not dock.train_button.isEnabled()
    with qtbot.waitSignal(window.runner.finished, timeout=60_000) as done:
        qtbot.mouseClick(dock.resume_button, Qt.MouseButton.LeftButton)
    assert done.args[0].status == "finished"
    assert dock.progress.maximum() == 4 and dock.progress.value() == 4
    assert dock.progress.text().startswith("Finished: 1/1 epochs")
    assert texts and all("Epoch 1/1" in t and "samples/s" in t and "ETA" in t for t in texts)
    assert dock.train_button.isEnabled() and not dock.stop_button.isEnabled() and dock.form.isEnabled()


def test_a_project_that_cannot_train_says_why_in_the_dock(make_dock, qtbot):
    runner = TrainRunner()
    dock = make_dock(Project(), runner=runner, show=False)
    assert not dock.train()
    assert dock.run_message.text().startswith("Cannot train")
    assert dock.train_button.isEnabled() and runner.state == "idle"
