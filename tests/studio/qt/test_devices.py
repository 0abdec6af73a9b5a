"""The devices dock: the CPU row, the explanation without cupy/GPU, and the training device setting."""

import os

import pytest
from PySide6.QtCore import QObject, Qt, Signal

from engine import backend
from studio.graph.project import Project
from studio.qt.docks.devices import IDLE_MEMORY_TEXT, DevicesDock
from studio.qt.document import Document


@pytest.fixture
def dock(qtbot):
    widget = DevicesDock(Document(Project()))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_lists_the_cpu(dock):
    assert dock.table.item(0, 0).text() == "cpu"
    assert str(os.cpu_count()) in dock.table.item(0, 1).text()
    assert "compute threads" in dock.table.item(0, 2).text()


@pytest.mark.skipif(backend.cuda_help() is None, reason="a GPU is present")
def test_explains_the_missing_gpu(dock):
    assert dock.table.rowCount() == 1
    text = dock.explanation.text()
    assert backend.cuda_help() in text and "CPU fallback" in text
    items = [dock.device_combo.itemText(i) for i in range(dock.device_combo.count())]
    assert items == ["auto", "cpu"]
    assert not dock.choose("cuda:0")


def test_choosing_cpu_sets_the_project_device(dock, qtbot):
    assert dock.document.project.settings["device"] == "auto"
    combo = dock.device_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # auto -> cpu; keyboard changes emit activated
    assert combo.currentText() == "cpu"
    assert dock.document.project.settings["device"] == "cpu"
    assert dock.choose("auto") and dock.document.project.settings["device"] == "auto"


class FakeRunner(QObject):
    state_changed = Signal(str)

    def set_state(self, state: str) -> None:
        self.state_changed.emit(state)


def test_live_memory_use_shows_while_a_run_trains_and_the_dock_is_shown(qtbot):
    runner = FakeRunner()
    project = Project()
    project.settings["device"] = "cpu"
    dock = DevicesDock(Document(project), runner=runner)
    qtbot.addWidget(dock)
    dock.show()
    assert dock.live_memory.text() == IDLE_MEMORY_TEXT and not dock.live_timer.isActive()
    runner.set_state("running")
    assert dock.live_timer.isActive() and dock.live_timer.interval() == 1000
    assert dock.live_memory.text().startswith("Training on cpu: process ")
    assert "MiB" in dock.live_memory.text() or "GiB" in dock.live_memory.text()
    dock.live_memory.clear()
    with qtbot.waitSignal(dock.live_timer.timeout, timeout=3000):
        pass
    assert dock.live_memory.text().startswith("Training on cpu: process ")  # refreshed by the timer
    dock.hide()
    assert not dock.live_timer.isActive()  # a hidden dock reads nothing
    dock.show()
    assert dock.live_timer.isActive()
    runner.set_state("paused")  # still the same run
    assert dock.live_timer.isActive()
    runner.set_state("idle")
    assert not dock.live_timer.isActive() and dock.live_memory.text() == IDLE_MEMORY_TEXT
