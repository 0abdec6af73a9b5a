"""The training dock: the dataset (picker, options, preview, "From disk…"), the hyper-parameters, the
Train / Pause / Resume / Stop buttons driving the TrainRunner, and a progress bar over the whole run.

Edits go through `document.execute(SetSettings(...))` (one undo step each) and the dock follows the
project on `document.changed` / `project_replaced`. While a run is active the settings are read-only
here (the run trains on a copy made at its start anyway). The progress bar counts batches over all
epochs and shows the epoch, the throughput and the remaining time, estimated from the time spent
training so far (pauses left out).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import (
    QDockWidget,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.qt.document import Document
from studio.qt.train_runner import IDLE, PAUSED, RUNNING
from studio.training.callbacks import BatchInfo, EpochInfo, RunResult
from studio.training.datasets import DISK

from .dataset_panel import DatasetPanel
from .dataset_wizard import ChoosePath, DiskDatasetDialog
from .training_form import TrainingForm

RESULT_WORDS = {"finished": "Finished", "stopped": "Stopped", "diverged": "Diverged", "failed": "Failed"}


def format_duration(seconds: float) -> str:
    """75 -> '1:15', 3725 -> '1:02:05'."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingDock(QDockWidget):
    def __init__(self, document: Document, parent: QWidget | None = None, runner: Any = None, *,
                 choose_path: ChoosePath | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("trainingDock")
        self.document = document
        self.runner = runner
        self.choose_path = choose_path
        self.wizard: DiskDatasetDialog | None = None
        self.state = IDLE
        self._epochs = 1  # of the run under way (its settings were copied at its start)
        self._batches = 0  # per epoch, known from the first batch
        self._started = 0.0
        self._paused_at: float | None = None
        self._paused_for = 0.0

        self.dataset_panel = DatasetPanel(document, open_wizard=self.open_disk_wizard)
        self.form = TrainingForm(document)
        dataset_box = QGroupBox("Dataset")
        QVBoxLayout(dataset_box).addWidget(self.dataset_panel)
        form_box = QGroupBox("Hyper-parameters")
        QVBoxLayout(form_box).addWidget(self.form)

        self.train_button = self._button("Train", "trainButton", "Start training on a copy of the project")
        self.pause_button = self._button("Pause", "pauseButton", "Pause after the current batch")
        self.resume_button = self._button("Resume", "resumeButton", "Go on with the paused run")
        self.stop_button = self._button("Stop", "stopButton", "End the run after the current batch")
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(button)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setTextVisible(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Not started")
        self.run_message = QLabel()
        self.run_message.setObjectName("trainingMessage")
        self.run_message.setWordWrap(True)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(dataset_box)
        layout.addWidget(form_box)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.run_message)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)

        self.train_button.clicked.connect(self.train)
        self.pause_button.clicked.connect(lambda: self.runner.pause())
        self.resume_button.clicked.connect(self.train)  # start() resumes a paused run
        self.stop_button.clicked.connect(lambda: self.runner.stop())
        document.changed.connect(self.sync)
        document.project_replaced.connect(self.sync)
        if runner is not None:
            runner.state_changed.connect(self._state_changed)
            runner.batch.connect(self.add_batch)
            runner.epoch.connect(self.add_epoch)
            runner.finished.connect(self.run_finished)
            runner.message.connect(self._runner_message)
        self._update_buttons()

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        return button

    # ---------------------------------------------------------------------------------- project ---
    def sync(self) -> None:
        self.dataset_panel.sync()
        self.form.sync()

    def open_disk_wizard(self) -> DiskDatasetDialog:
        """Open the "From disk…" dialog (non-blocking); its Finish sets the project's dataset."""
        if self.wizard is not None:
            self.wizard.deleteLater()
        current = self.document.project.settings.get("dataset")
        dialog = DiskDatasetDialog(self, spec=current if current and current["name"] in DISK else None,
                                   choose_path=self.choose_path)
        dialog.accepted.connect(lambda: self._use_disk_dataset(dialog))
        self.wizard = dialog
        dialog.open()
        return dialog

    def _use_disk_dataset(self, dialog: DiskDatasetDialog) -> None:
        spec = dialog.spec()
        current = self.document.project.settings.get("dataset") or {}
        spec["seed"] = current.get("seed", 0)
        self.dataset_panel.set_spec(spec)

    # -------------------------------------------------------------------------------------- run ---
    def train(self) -> bool:
        """Train (or resume the paused run); False when there is no runner or it refused to start."""
        if self.runner is None:
            return False
        return bool(self.runner.start(self.document.project))

    def _state_changed(self, state: str) -> None:
        now = time.monotonic()
        if state == RUNNING and self.state == IDLE:
            self._new_run(now)
        elif state == PAUSED:
            self._paused_at = now
            self.progress.setFormat("Paused · " + self.progress.format())
        elif state == RUNNING and self._paused_at is not None:
            self._paused_for += now - self._paused_at
            self._paused_at = None
            self.progress.setFormat(self.progress.format().removeprefix("Paused · "))
        self.state = state
        self._update_buttons()

    def _update_buttons(self) -> None:
        state = self.state if self.runner is not None else None
        self.train_button.setEnabled(state == IDLE)
        self.pause_button.setEnabled(state == RUNNING)
        self.resume_button.setEnabled(state == PAUSED)
        self.stop_button.setEnabled(state in (RUNNING, PAUSED))
        editable = state in (IDLE, None)
        self.dataset_panel.setEnabled(editable)
        self.form.setEnabled(editable)

    def _new_run(self, now: float) -> None:
        self._epochs = int(self.document.project.settings.get("epochs") or 1)
        self._batches = 0
        self._started = now
        self._paused_at = None
        self._paused_for = 0.0
        self.run_message.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(f"Epoch 1/{self._epochs} · starting…")

    def _training_seconds(self) -> float:
        paused = self._paused_for + (time.monotonic() - self._paused_at if self._paused_at is not None else 0)
        return max(0.0, time.monotonic() - self._started - paused)

    def add_batch(self, info: BatchInfo) -> None:
        if info.batches <= 0:
            self.progress.setFormat(f"Epoch {info.epoch}/{self._epochs} · {info.samples_per_s:.0f} samples/s")
            return
        self._batches = info.batches
        total = self._epochs * info.batches
        done = min(total, (info.epoch - 1) * info.batches + info.batch)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        elapsed = self._training_seconds()
        eta = elapsed / done * (total - done) if done else 0.0
        paused = "Paused · " if self._paused_at is not None else ""
        self.progress.setFormat(f"{paused}Epoch {info.epoch}/{self._epochs} · {info.samples_per_s:.0f} "
                                f"samples/s · ETA {format_duration(eta)} · %p%")

    def add_epoch(self, info: EpochInfo) -> None:
        if self._batches:
            self.progress.setValue(min(self.progress.maximum(), info.epoch * self._batches))

    def run_finished(self, result: RunResult) -> None:
        word = RESULT_WORDS.get(result.status, result.status.capitalize())
        if result.status == "finished":
            self.progress.setRange(0, max(1, self.progress.maximum()))
            self.progress.setValue(self.progress.maximum())
        took = format_duration(self._training_seconds())
        self.progress.setFormat(f"{word}: {result.epochs_done}/{self._epochs} epochs in {took}")
        self.run_message.setText(result.message)

    def _runner_message(self, text: str) -> None:
        if text.startswith("Cannot train"):  # a run that did not start: nothing else tells the dock
            self.run_message.setText(text)
