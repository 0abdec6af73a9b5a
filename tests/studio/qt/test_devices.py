"""The devices dock: the CPU row, the explanation without cupy/GPU, and the training device setting."""

import os

import pytest
from PySide6.QtCore import Qt

from engine import backend
from studio.graph.project import Project
from studio.qt.docks.devices import DevicesDock
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
    assert "BLAS threads" in dock.table.item(0, 2).text()


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
