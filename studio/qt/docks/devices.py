"""The devices dock: the CPU (cores, compute threads), each CUDA device cupy sees (name, memory used and
total, compute capability) or why there is none and what CPU fallback means, and the project's training
device ("auto", "cpu" or "cuda:N"; only devices that exist can be chosen).

Memory use refreshes on a timer while the dock is shown (cheap: a cupy query per device). While a run
trains (runner.state_changed) and the dock is shown, a line under the table gives the run's live memory
use once a second (studio.training.memory: the process's resident memory; on CUDA also the engine's
cupy pool, used and held, and the device's memory).

The device setting is written to project.settings["device"] directly: it is a training setting, not a
graph edit, so it is not an undo step.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import engine
from engine import backend
from studio.qt.document import Document
from studio.training.memory import memory_use
from studio.training.trainer import resolve_device

MEMORY_REFRESH_MS = 2000
LIVE_MEMORY_MS = 1000  # the live readout while a run trains
IDLE_MEMORY_TEXT = "Live memory use shows here while a run trains."
CPU_FALLBACK = ("CPU fallback: with device \"auto\" training runs on the GPU when one is available and on "
                "the CPU otherwise; on the CPU the same model trains with numpy, only slower.")


def _gib(n: int) -> str:
    return f"{n / 1024 ** 3:.2f} GiB"


def cuda_devices() -> list[dict[str, Any]]:
    """name, total and used memory (bytes) and compute capability of each CUDA device; [] without one."""
    if not engine.cuda.is_available():
        return []
    found = []
    for index in range(engine.cuda.device_count()):
        props = engine.cuda.get_device_properties(index)
        free, total = engine.cuda.mem_get_info(index)
        found.append({"index": index, "name": props.name, "total": int(total), "used": int(total - free),
                      "capability": f"{props.major}.{props.minor}"})
    return found


class DevicesDock(QDockWidget):
    def __init__(self, document: Document, parent: QWidget | None = None, *, runner: Any = None) -> None:
        super().__init__("Devices", parent)
        self.setObjectName("devicesDock")
        self.document = document
        self.runner = runner
        self.run_device: str | None = None  # where the active run trains; None between runs

        body = QWidget()
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("devicesTable")
        self.table.setHorizontalHeaderLabels(["Device", "Name", "Memory / threads", "Capability"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.explanation = QLabel("")
        self.explanation.setObjectName("cudaExplanation")
        self.explanation.setWordWrap(True)
        self.device_combo = QComboBox()
        self.device_combo.setObjectName("deviceCombo")
        self.device_combo.activated.connect(self._chosen)
        form = QFormLayout()
        form.addRow("Train on:", self.device_combo)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        self.live_memory = QLabel(IDLE_MEMORY_TEXT)
        self.live_memory.setObjectName("liveMemory")
        self.live_memory.setWordWrap(True)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.live_memory)
        layout.addWidget(self.explanation)
        self.setWidget(body)

        self.timer = QTimer(self)
        self.timer.setObjectName("devicesTimer")
        self.timer.setInterval(MEMORY_REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.live_timer = QTimer(self)
        self.live_timer.setObjectName("liveMemoryTimer")
        self.live_timer.setInterval(LIVE_MEMORY_MS)
        self.live_timer.timeout.connect(self.update_live_memory)
        document.project_replaced.connect(self.refresh)
        if runner is not None:
            runner.state_changed.connect(self._runner_state)
        self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.devices:
            self.timer.start()
        self._update_live_timer()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        self.live_timer.stop()
        super().hideEvent(event)

    # --------------------------------------------------------------------------------- live memory ---
    def _runner_state(self, state: str) -> None:
        if state == "idle":
            self.run_device = None
        elif self.run_device is None:  # the run copied the project's settings as it started
            try:
                self.run_device = resolve_device(str(self.document.project.settings.get("device", "auto")))
            except ValueError:  # the run itself refused the device; the readout shows the process only
                self.run_device = "cpu"
        self._update_live_timer()

    def _update_live_timer(self) -> None:
        if self.run_device is not None and self.isVisible():
            self.update_live_memory()
            self.live_timer.start()
        else:
            self.live_timer.stop()
            if self.run_device is None:
                self.live_memory.setText(IDLE_MEMORY_TEXT)

    def update_live_memory(self) -> None:
        """Read the active run's memory use now and show it."""
        if self.run_device is None:
            return
        use = memory_use(self.run_device)
        self.live_memory.setText(f"Training on {use.device}: {use.describe()}")

    def refresh(self) -> None:
        self.devices = cuda_devices()
        rows = [("cpu", f"{os.cpu_count() or 1} cores", f"{engine.get_num_threads()} compute threads", "")]
        rows += [(f"cuda:{d['index']}", d["name"], f"{_gib(d['used'])} used of {_gib(d['total'])}",
                  d["capability"]) for d in self.devices]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        help_text = backend.cuda_help()
        self.explanation.setText(f"{help_text}\n\n{CPU_FALLBACK}" if help_text else CPU_FALLBACK)

        choices = ["auto", "cpu", *(f"cuda:{d['index']}" for d in self.devices)]
        current = str(self.document.project.settings.get("device", "auto"))
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        self.device_combo.addItems(choices)
        if current not in choices:  # e.g. "cuda:0" saved on a machine with a GPU: shown, not choosable
            self.device_combo.addItem(f"{current} (not available)")
            model = self.device_combo.model()
            model.item(self.device_combo.count() - 1).setEnabled(False)
            self.device_combo.setCurrentIndex(self.device_combo.count() - 1)
        else:
            self.device_combo.setCurrentText(current)
        self.device_combo.blockSignals(False)

    def choose(self, device: str) -> bool:
        """Make `device` the training device; False when it is not one of the choices here."""
        index = self.device_combo.findText(device)
        if index < 0 or not self.device_combo.model().item(index).isEnabled():
            return False
        self.device_combo.setCurrentIndex(index)
        self._chosen(index)
        return True

    def _chosen(self, index: int) -> None:
        device = self.device_combo.itemText(index)
        if device.endswith("(not available)"):
            return
        settings = self.document.project.settings
        if settings.get("device") != device:
            settings["device"] = device
            self.document.message.emit(f"Training device: {device}")
