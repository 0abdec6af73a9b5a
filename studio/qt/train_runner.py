"""Run, pause and stop the Qt-free Trainer from the Run menu: it trains on a QThread and reports through
signals (progress lines for the status bar, the result at the end). The training docks (plots, run
history) arrive in a later issue and build on the same signals."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from studio.graph.errors import GraphError
from studio.graph.project import Project
from studio.training.callbacks import BatchInfo, EpochInfo, RunResult

IDLE, RUNNING, PAUSED = "idle", "running", "paused"
BATCH_MESSAGE_INTERVAL = 0.25  # seconds between progress messages
BATCH_SIGNAL_INTERVAL = 0.05  # seconds between batch signals (plots); the last batch of an epoch always goes


class _Relay(QObject):
    """Trainer callbacks (called on the training thread) turned into queued signals."""

    message = Signal(str)
    batch = Signal(object)  # BatchInfo, at most every BATCH_SIGNAL_INTERVAL (the latest one)
    epoch = Signal(object)  # EpochInfo

    def __init__(self) -> None:
        super().__init__()
        self._last = 0.0
        self._last_batch = 0.0
        self._pending: BatchInfo | None = None  # the latest batch not yet signalled

    def on_batch(self, info: BatchInfo) -> None:
        now = time.monotonic()
        last_of_epoch = info.batch == info.batches
        self._pending = info
        if now - self._last_batch >= BATCH_SIGNAL_INTERVAL or last_of_epoch:
            self._last_batch = now
            self.flush()
        if now - self._last < BATCH_MESSAGE_INTERVAL and not last_of_epoch:
            return
        self._last = now
        of = f"/{info.batches}" if info.batches else ""
        accuracy = info.metrics.get("accuracy")
        shown = f", accuracy {accuracy:.1%}" if accuracy is not None else ""
        self.message.emit(f"Training: epoch {info.epoch}, batch {info.batch}{of}, "
                          f"loss {info.loss:.4f}{shown}")

    def flush(self) -> None:
        """Signal the latest batch held back by the throttle (at an epoch's or a run's end)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self.batch.emit(pending)

    def on_epoch(self, info: EpochInfo) -> None:
        self.flush()
        self.epoch.emit(info)
        val = f", val loss {info.val_loss:.4f}" if info.val_loss is not None else ""
        accuracy = info.metrics.get("accuracy")
        shown = f", val accuracy {accuracy:.1%}" if accuracy is not None else ""
        self.message.emit(f"Epoch {info.epoch}: train loss {info.train_loss:.4f}{val}{shown}")

    def on_message(self, text: str) -> None:
        if not text.startswith("Traceback"):
            self.message.emit(text)


class _Thread(QThread):
    def __init__(self, trainer: Any, parent: QObject) -> None:
        super().__init__(parent)
        self.trainer = trainer
        self.result: RunResult | None = None

    def run(self) -> None:
        self.result = self.trainer.run()


class TrainRunner(QObject):
    """One training run at a time on a copy of the project (edits during a run do not reach it)."""

    state_changed = Signal(str)  # IDLE, RUNNING, PAUSED
    message = Signal(str)
    finished = Signal(object)  # RunResult
    batch = Signal(object)  # BatchInfo, throttled (see BATCH_SIGNAL_INTERVAL)
    epoch = Signal(object)  # EpochInfo

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = IDLE
        self.last_state_dict: dict[str, Any] | None = None  # weights of the last run that trained
        self._trainer: Any = None
        self._thread: _Thread | None = None
        self._relay = _Relay()
        self._relay.message.connect(self.message)
        self._relay.batch.connect(self.batch)
        self._relay.epoch.connect(self.epoch)

    def start(self, project: Project) -> bool:
        """Start training (or resume a paused run); False with a message when the project cannot train."""
        if self.state == PAUSED:
            self._trainer.resume()
            self._set_state(RUNNING)
            return True
        if self.state == RUNNING:
            return False
        from studio.training.trainer import Trainer

        copy = Project.from_dict(project.to_dict())
        copy.path = project.path
        try:
            self._trainer = Trainer(copy, callbacks=self._relay)
        except GraphError as exc:
            self.message.emit(f"Cannot train: {exc.message}")
            return False
        except Exception as exc:  # a setting or dataset the trainer refuses: say why, do not crash the UI
            self.message.emit(f"Cannot train: {exc}")
            return False
        self._thread = _Thread(self._trainer, self)
        self._thread.finished.connect(self._done)
        self._set_state(RUNNING)
        self.message.emit(f"Training {project.name}…")
        self._thread.start()
        return True

    def pause(self) -> None:
        if self.state == RUNNING:
            self._trainer.pause()
            self._set_state(PAUSED)
            self.message.emit("Training paused")

    def stop(self) -> None:
        if self.state in (RUNNING, PAUSED):
            self._trainer.stop()
            self.message.emit("Stopping after the current batch…")

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the run has ended (closing the window stops it first)."""
        return self._thread is None or self._thread.wait(ms)

    def _done(self) -> None:
        thread, self._thread = self._thread, None
        self._relay.flush()  # a run stopped mid-epoch: its latest batch still reaches the plots
        result = thread.result if thread is not None else None
        if result is not None and result.epochs_done + result.steps_done > 0:
            self.last_state_dict = self._trainer.model.state_dict()
        self._trainer = None
        self._set_state(IDLE)
        if result is not None:
            where = f" (run saved in {result.run_dir})" if result.run_dir is not None else ""
            self.message.emit(f"Training {result.status}: {result.message}{where}")
            self.finished.emit(result)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
