"""Autosave: a modified document is written to a recovery file on the timer; after a crash the next
window offers it back; clean saves and closes leave nothing to recover."""

import os

from studio.graph.commands import AddNode, SetParam
from studio.graph.project import Project
from studio.qt.autosave import INTERVAL_MS, recovery_file
from studio.templates import load_template


def test_the_timer_writes_the_modified_document_to_a_recovery_file(make_window):
    window = make_window("mlp")
    timer = window.autosave.timer
    assert timer.isActive() and timer.interval() == INTERVAL_MS == 60_000
    timer.timeout.emit()
    assert not recovery_file(None).exists()  # nothing unsaved yet
    window.document.execute(AddNode("Dropout"))
    timer.timeout.emit()
    saved = recovery_file(None)
    assert saved.is_file()
    assert Project.from_json(saved.read_text(encoding="utf-8")).to_dict()["graph"] == \
        window.document.project.to_dict()["graph"]
    assert not list(saved.parent.glob("*.tmp"))  # written atomically


def test_after_a_crash_a_new_window_offers_recovery_and_restores_the_graph(make_window, answers, qtbot,
                                                                           tmp_path):
    path = tmp_path / "net.msproj"
    load_template("mlp").save(path)
    crashed = make_window(Project.load(path))
    crashed.document.execute(SetParam("fc1", "out_features", 77))
    crashed.document.execute(AddNode("Dropout"))
    crashed.autosave.timer.timeout.emit()
    recovery = recovery_file(path)
    assert recovery.is_file()
    crashed.autosave.timer.stop()
    crashed.hide()  # a crash: no close, the recovery file stays

    answers.recover_answers.append(True)
    window = make_window(Project.load(path))  # showing it asks
    qtbot.waitUntil(lambda: answers.asked == ["recover"])
    graph = window.document.graph
    assert graph.nodes["fc1"].params["out_features"] == 77 and "dropout1" in graph.nodes
    assert window.document.path == path
    assert window.document.is_modified() and window.windowTitle() == "net.msproj* — Model Studio"
    assert recovery.is_file()  # still recoverable until saved

    window.named_actions["actionSave"].trigger()  # a clean save deletes the recovery file
    assert not recovery.exists()
    assert Project.load(path).graph.nodes["fc1"].params["out_features"] == 77


def test_declining_recovery_deletes_the_file_and_keeps_the_saved_project(make_window, answers, qtbot,
                                                                          tmp_path):
    path = tmp_path / "net.msproj"
    load_template("mlp").save(path)
    crashed = make_window(Project.load(path))
    crashed.document.execute(AddNode("Dropout"))
    crashed.autosave.write_now()
    crashed.autosave.timer.stop()
    crashed.hide()

    answers.recover_answers.append(False)
    window = make_window(Project.load(path))
    qtbot.waitUntil(lambda: answers.asked == ["recover"])
    assert "dropout1" not in window.document.graph.nodes and not window.document.is_modified()
    assert not recovery_file(path).exists()


def test_a_recovery_file_older_than_the_project_is_not_offered(make_window, answers, qtbot, tmp_path):
    path = tmp_path / "net.msproj"
    load_template("mlp").save(path)
    crashed = make_window(Project.load(path))
    crashed.document.execute(AddNode("Dropout"))
    crashed.autosave.write_now()
    crashed.autosave.timer.stop()
    crashed.hide()
    old = path.stat().st_mtime - 100
    os.utime(recovery_file(path), (old, old))

    window = make_window(Project.load(path))
    qtbot.wait(50)
    assert answers.asked == [] and "dropout1" not in window.document.graph.nodes


def test_closing_cleanly_leaves_no_recovery_file(make_window, answers):
    from PySide6.QtWidgets import QMessageBox

    window = make_window("mlp")
    window.document.execute(AddNode("Dropout"))
    assert window.autosave.write_now() == recovery_file(None)
    answers.save_changes_answers.append(QMessageBox.StandardButton.Discard)
    assert window.close()
    assert not recovery_file(None).exists()


def test_undoing_back_to_the_saved_state_deletes_the_recovery_file(make_window):
    window = make_window("mlp")
    window.document.execute(AddNode("Dropout"))
    window.autosave.write_now()
    assert recovery_file(None).is_file()
    window.named_actions["actionUndo"].trigger()
    assert not recovery_file(None).exists()


def test_an_unsaved_project_lost_in_a_crash_is_offered_over_the_last_project(make_window, answers, qtbot,
                                                                             tmp_path):
    crashed = make_window("resnet_small")  # a template: no file yet
    crashed.document.execute(AddNode("Dropout"))
    crashed.autosave.write_now()
    crashed.autosave.timer.stop()
    crashed.hide()

    path = tmp_path / "other.msproj"
    load_template("mlp").save(path)
    answers.recover_answers.append(True)
    window = make_window(Project.load(path))  # the next start opens the last saved project
    qtbot.waitUntil(lambda: answers.asked == ["recover"])
    assert window.document.path is None and window.document.project.name == crashed.document.project.name
    assert set(window.document.graph.nodes) == set(crashed.document.graph.nodes)
    assert window.document.is_modified()
