"""Run, pause and stop the Qt-free Trainer from the Run menu: it trains on a QThread and reports through
signals (progress lines for the status bar, batches and epochs for the plots, the result at the end).

Every run captures what happens inside the network (studio/training/capture.py) on the copy it trains:
activation stats and gradient norms every `every_n_steps` steps (the user's setting when they set one,
else LIVE_CAPTURE_EVERY) and the feature maps of the nodes named by `watch_nodes`; `capture` delivers
them to the UI at most every CAPTURE_SIGNAL_INTERVAL (the latest wins)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from studio.graph.errors import GraphError
from studio.graph.project import DEFAULT_SETTINGS, Project
from studio.training.callbacks import BatchInfo, CaptureInfo, EpochInfo, RunResult

IDLE, RUNNING, PAUSED = "idle", "running", "paused"
BATCH_MESSAGE_INTERVAL = 0.25  # seconds between progress messages
BATCH_SIGNAL_INTERVAL = 0.05  # seconds between batch signals (plots); the last batch of an epoch always goes
CAPTURE_SIGNAL_INTERVAL = 0.1  # seconds between capture signals: badges and maps need no more than 10/s
LIVE_CAPTURE_EVERY = 20  # steps between captures when the user chose no interval: ~1% of a step's cost


def live_capture_settings(settings: dict[str, Any], nodes: list[str] | None = None) -> dict[str, Any]:
    """settings["capture"] for the trained copy: on, at the user's interval if they set one."""
    user = settings.get("capture") or {}
    default = DEFAULT_SETTINGS["capture"]["every_n_steps"]
    every = user.get("every_n_steps", default)
    chosen = user.get("enabled", False) or every != default  # a template's stored default is no choice
    return {"enabled": True, "every_n_steps": every if chosen else LIVE_CAPTURE_EVERY,
            "nodes": list(nodes or [])}


class _Relay(QObject):
    """Trainer callbacks (called on the training thread) turned into queued signals."""

    message = Signal(str)
    batch = Signal(object)  # BatchInfo, at most every BATCH_SIGNAL_INTERVAL (the latest one)
    epoch = Signal(object)  # EpochInfo
    capture = Signal(object)  # CaptureInfo, at most every CAPTURE_SIGNAL_INTERVAL (the latest one)

    def __init__(self) -> None:
        super().__init__()
        self._last = 0.0
        self._last_batch = 0.0
        self._last_capture = -CAPTURE_SIGNAL_INTERVAL
        self._pending: BatchInfo | None = None  # the latest batch not yet signalled
        self._pending_capture: CaptureInfo | None = None

    def on_capture(self, info: CaptureInfo) -> None:
        self._pending_capture = info
        self._send_capture()

    def _send_capture(self, force: bool = False) -> None:
        """The held-back capture goes when the interval has passed (checked again at every batch)."""
        pending = self._pending_capture
        if pending is None:
            return
        now = time.monotonic()
        if force or now - self._last_capture >= CAPTURE_SIGNAL_INTERVAL:
            self._pending_capture = None
            self._last_capture = now
            self.capture.emit(pending)

    def on_batch(self, info: BatchInfo) -> None:
        self._send_capture()
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
        """Signal the latest batch and capture held back by the throttles (at an epoch's or a run's end)."""
        self._send_capture(force=True)
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
    capture = Signal(object)  # CaptureInfo, throttled (see CAPTURE_SIGNAL_INTERVAL)
    run_started = Signal()  # a new run began (not a resume): what showed the last run is stale now

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
        self._relay.capture.connect(self.capture)
        self._watched: list[str] = []

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
        copy.settings["capture"] = live_capture_settings(copy.settings)
        try:
            self._trainer = Trainer(copy, callbacks=self._relay)
            self._trainer.watch_nodes(self._watched)
        except GraphError as exc:
            self.message.emit(f"Cannot train: {exc.message}")
            return False
        except Exception as exc:  # a setting or dataset the trainer refuses: say why, do not crash the UI
            self.message.emit(f"Cannot train: {exc}")
            return False
        self._thread = _Thread(self._trainer, self)
        self._thread.finished.connect(self._done)
        self._set_state(RUNNING)
        self.run_started.emit()
        self.message.emit(f"Training {project.name}…")
        self._thread.start()
        return True

    def watch_nodes(self, node_ids: list[str]) -> None:
        """The nodes whose feature maps this run (from its next capture step) and later runs capture;
        ids the trained model does not know are ignored."""
        self._watched = list(node_ids)
        if self._trainer is not None:
            self._trainer.watch_nodes(self._watched)

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
