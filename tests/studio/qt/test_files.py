"""Files from the window: the prompt before losing changes, save/close/reopen, recent files, export."""

import json
import subprocess
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu, QMessageBox

from studio.graph.commands import AddNode, SetParam
from studio.graph.project import Project
from studio.templates import load_template

Button = QMessageBox.StandardButton


def test_new_with_unsaved_changes_asks_and_cancel_keeps_the_document(make_window, answers):
    window = make_window("mlp")
    window.document.execute(AddNode("ReLU"))
    nodes = set(window.document.graph.nodes)
    answers.save_changes_answers.append(Button.Cancel)
    window.named_actions["actionNew"].trigger()
    assert answers.asked == ["save changes to MLP on Digits"]
    assert set(window.document.graph.nodes) == nodes and window.document.is_modified()

    answers.save_changes_answers.append(Button.Discard)
    window.named_actions["actionNew"].trigger()
    assert len(window.document.graph) == 0 and not window.document.is_modified()
    assert window.windowTitle() == "Untitled — Model Studio"


def test_open_with_unsaved_changes_asks_before_the_file_dialog(make_window, answers, tmp_path):
    load_template("lenet5").save(tmp_path / "lenet.msproj")
    window = make_window("mlp")
    window.document.execute(AddNode("ReLU"))
    answers.save_changes_answers.append(Button.Cancel)
    window.named_actions["actionOpen"].trigger()
    assert answers.asked == ["save changes to MLP on Digits"]  # cancelled before any file dialog
    assert window.document.project.name == "MLP on Digits"

    answers.save_changes_answers.append(Button.Discard)
    answers.open_paths.append(str(tmp_path / "lenet.msproj"))
    window.named_actions["actionOpen"].trigger()
    assert window.document.path == tmp_path / "lenet.msproj"
    assert not window.document.is_modified()


def test_answering_save_at_the_prompt_saves_first(make_window, answers, tmp_path):
    window = make_window("mlp")
    window.document.execute(SetParam("fc1", "out_features", 48))
    answers.save_changes_answers.append(Button.Save)
    answers.save_paths.append(str(tmp_path / "kept.msproj"))
    window.named_actions["actionNew"].trigger()
    assert Project.load(tmp_path / "kept.msproj").graph.nodes["fc1"].params["out_features"] == 48
    assert len(window.document.graph) == 0


def test_save_close_and_reopen_gives_the_same_project(make_window, answers, qtbot, tmp_path):
    window = make_window("lenet5")
    window.document.execute(AddNode("Dropout", {"p": 0.25}, position=(40.0, 80.0)))
    window.document.execute(SetParam("conv1", "out_channels", 8))
    answers.save_paths.append(str(tmp_path / "net.msproj"))
    window.named_actions["actionSaveAs"].trigger()
    saved = json.loads((tmp_path / "net.msproj").read_text(encoding="utf-8"))
    assert saved == window.document.project.to_dict()
    assert window.close()  # saved: no question

    again = make_window()
    answers.open_paths.append(str(tmp_path / "net.msproj"))
    again.named_actions["actionOpen"].trigger()
    assert again.document.project.to_dict() == saved
    assert again.document.graph.nodes["conv1"].params["out_channels"] == 8
    assert again.windowTitle() == "net.msproj — Model Studio"
    assert answers.asked == ["Save Project As", "Open Project"]


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window_open(make_window, answers):
    window = make_window("mlp")
    window.document.execute(AddNode("ReLU"))
    answers.save_changes_answers.append(Button.Cancel)
    assert not window.close()
    assert window.isVisible()
    answers.save_changes_answers.append(Button.Discard)
    assert window.close()


def test_recent_files_are_listed_reopened_and_kept_across_windows(make_window, answers, tmp_path):
    for name in ("a", "b"):
        load_template("mlp").save(tmp_path / f"{name}.msproj")
    window = make_window()
    for name in ("a", "b"):
        answers.open_paths.append(str(tmp_path / f"{name}.msproj"))
        window.named_actions["actionOpen"].trigger()
    menu = window.findChild(QMenu, "menuOpenRecent")
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if a.objectName().startswith("actionRecent")]
    assert [a.toolTip() for a in entries] == [str(tmp_path / "b.msproj"), str(tmp_path / "a.msproj")]
    assert all(not a.shortcut().isEmpty() for a in entries)
    window.close()

    other = make_window()
    menu = other.findChild(QMenu, "menuOpenRecent")
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if a.objectName().startswith("actionRecent")]
    assert [a.toolTip() for a in entries] == [str(tmp_path / "b.msproj"), str(tmp_path / "a.msproj")]
    entries[1].trigger()
    assert other.document.path == tmp_path / "a.msproj"
    assert QSettings().value("lastProject") == str(tmp_path / "a.msproj")
    other.findChild(QMenu, "menuOpenRecent").findChild(type(entries[0]), "actionClearRecent").trigger()
    assert other.files.recent.paths() == []


def test_a_project_that_cannot_be_read_says_why_and_keeps_the_document(make_window, answers, tmp_path):
    (tmp_path / "broken.msproj").write_text("{not json", encoding="utf-8")
    window = make_window("mlp")
    answers.open_paths.append(str(tmp_path / "broken.msproj"))
    window.named_actions["actionOpen"].trigger()
    assert len(answers.errors) == 1 and "broken.msproj" in answers.errors[0]
    assert window.document.project.name == "MLP on Digits"


def test_export_engine_script_from_the_menu_runs(make_window, answers, tmp_path):
    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=256)
    window = make_window(project)
    answers.save_paths.append(str(tmp_path / "mlp_engine"))
    window.named_actions["actionExportEngine"].trigger()
    script = tmp_path / "mlp_engine.py"
    assert script.is_file() and (tmp_path / "mlp_engine_data.npz").is_file()
    assert answers.errors == []
    out = subprocess.run([sys.executable, str(script), "--epochs", "1", "--device", "cpu"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "epoch 1/1" in out.stdout
    assert (tmp_path / "mlp_engine_trained.safetensors").is_file()


def test_export_weights_needs_a_trained_model(make_window, answers):
    window = make_window("mlp")
    window.named_actions["actionExportWeights"].trigger()
    assert answers.errors and "train the model first" in answers.errors[0]
