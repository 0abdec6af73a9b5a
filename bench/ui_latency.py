"""How responsive the window stays while a model trains (target: event-loop lateness p99 < 50 ms).

An offscreen MainWindow on the LeNet-5 template (its Shapes dataset, default training settings, so the
trainer uses all cores but one) trains for several epochs with the training curves dock open. Meanwhile
a 10 ms precise QTimer records how late each of its ticks comes (gap between ticks minus 10 ms), and
every half second one UI operation is timed, each including a synchronous repaint of what it changed:
  select - select a node on the canvas (the properties dock follows),
  dock   - hide and show the training curves dock (timed: showing it, plots included),
  pan    - a middle-button drag of 120 px across the canvas.
The operations run on the event loop too: a tick that had to wait for one is reported apart (and with
all ticks), and the verdict is on the other ticks, the lateness that training itself causes. The same
lateness is first measured for a couple of seconds without training, as the baseline of this machine.

    QT_QPA_PLATFORM=offscreen python bench/ui_latency.py [--seconds 10] [--idle-seconds 2]

Settings and recovery files go to Qt's test-mode locations, never the user's own. Exits 0 whether or
not the target is met: benches report, tests assert.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QEventLoop,
    QPointF,
    QStandardPaths,
    Qt,
    QTimer,
)
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.qt.document import Document  # noqa: E402
from studio.qt.files import Dialogs  # noqa: E402
from studio.qt.main_window import MainWindow  # noqa: E402
from studio.qt.train_runner import IDLE  # noqa: E402
from studio.templates import load_template  # noqa: E402
from studio.training.trainer import training_threads  # noqa: E402

TICK_MS = 10
TARGET_P99_MS = 50.0
OPERATION_EVERY_MS = 500


class LatencyProbe:
    """A precise timer every TICK_MS; `lateness` holds how late each tick came, in ms, and
    `after_operation` the lateness of the ticks that had to wait for a timed UI operation."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.after_operation: list[float] = []
        self.operation_ran = False  # set by an operation: the next tick waited for it
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.lateness.clear()
        self.after_operation.clear()
        self.operation_ran = False
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> tuple[list[float], list[float]]:
        """(lateness of the ticks, lateness of the ticks that came after a UI operation)."""
        self._timer.stop()
        return list(self.lateness), list(self.after_operation)

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        late = (now - self._last) / 1e6 - TICK_MS
        (self.after_operation if self.operation_ran else self.lateness).append(late)
        self.operation_ran = False
        self._last = now


def run_event_loop(seconds: float, until: Callable[[], bool] = lambda: False) -> None:
    """Run the Qt event loop (as the app does) for `seconds`, or until `until()` holds."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    check = QTimer()
    check.timeout.connect(lambda: loop.quit() if until() else None)
    check.start(50)
    loop.exec()
    check.stop()


def middle_drag(window: MainWindow, distance: int) -> None:
    """Pan the canvas as a user does: press the middle button, move, release."""
    viewport = window.view.viewport()
    start = QPointF(viewport.width() / 2, viewport.height() / 2)
    end = start + QPointF(distance, distance / 2)
    middle, none = Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton
    for kind, at, button, buttons in ((QEvent.Type.MouseButtonPress, start, middle, middle),
                                      (QEvent.Type.MouseMove, (start + end) / 2, none, middle),
                                      (QEvent.Type.MouseMove, end, none, middle),
                                      (QEvent.Type.MouseButtonRelease, end, middle, none)):
        event = QMouseEvent(kind, at, viewport.mapToGlobal(at), button, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
    viewport.repaint()


class Operations:
    """The UI operations timed during training, one per call to `next()`, in turn."""

    def __init__(self, window: MainWindow, probe: LatencyProbe) -> None:
        self.window = window
        self.probe = probe
        self.times: dict[str, list[float]] = {"select": [], "dock": [], "pan": []}
        self._node_ids = list(window.document.graph.nodes)
        self._turn = 0

    def next(self) -> None:
        name = list(self.times)[self._turn % len(self.times)]
        self._turn += 1
        self.probe.operation_ran = True  # also for a tick that runs inside the operation (processEvents)
        self.times[name].append(getattr(self, name)())
        self.probe.operation_ran = True

    def select(self) -> float:
        node_id = self._node_ids[self._turn % len(self._node_ids)]
        started = time.perf_counter()
        self.window.scene.select([node_id])
        self.window.view.viewport().repaint()
        self.window.properties_dock.repaint()
        return (time.perf_counter() - started) * 1000

    def dock(self) -> float:
        dock = self.window.curves_dock
        dock.hide()
        QCoreApplication.processEvents()
        started = time.perf_counter()
        self.window.named_actions["actionShowCurvesDock"].trigger()
        dock.repaint()
        return (time.perf_counter() - started) * 1000

    def pan(self) -> float:
        started = time.perf_counter()
        middle_drag(self.window, 120 if self._turn % 2 else -120)
        return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    data = np.asarray(values)
    return (f"p50 {np.percentile(data, 50):6.2f}  p99 {np.percentile(data, 99):6.2f}  "
            f"max {data.max():7.2f} ms  ({len(data)} samples)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to measure during training")
    parser.add_argument("--idle-seconds", type=float, default=2.0, help="baseline without training")
    parser.add_argument("--no-operations", dest="operations", action="store_false",
                        help="only the timer: no UI operations during training")
    parser.add_argument("--hide-curves", action="store_true", help="train with the curves dock closed")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    QStandardPaths.setTestModeEnabled(True)
    QCoreApplication.setOrganizationName("Model Studio Bench")
    QCoreApplication.setApplicationName("Model Studio Bench")
    errors: list[str] = []
    dialogs = Dialogs(error=lambda _parent, title, text: errors.append(f"{title}: {text}"),
                      recover=lambda *_: False)
    project = load_template("lenet5")
    project.settings.update(epochs=20)  # longer than the measurement: the run is stopped after it
    window = MainWindow(Document(project), dialogs=dialogs)
    window.resize(1600, 1000)
    window.show()
    if not args.hide_curves:
        window.named_actions["actionShowCurvesDock"].trigger()
    window.view.fit_to_view()
    app.processEvents()

    probe = LatencyProbe()
    probe.start()
    run_event_loop(args.idle_seconds)
    idle, _ = probe.stop()

    steps: list[int] = []
    window.runner.batch.connect(lambda info: steps.append(info.step))
    if not window.train():
        print(f"training did not start: {window.statusBar().currentMessage()}", file=sys.stderr)
        return
    run_event_loop(120.0, until=lambda: bool(steps))  # the dataset is generated first
    operations = Operations(window, probe)
    ops_timer = QTimer()
    ops_timer.setInterval(OPERATION_EVERY_MS)
    ops_timer.timeout.connect(operations.next)
    first_step, started = steps[-1] if steps else 0, time.perf_counter()
    probe.start()
    if args.operations:
        ops_timer.start()
    run_event_loop(args.seconds, until=lambda: window.runner.state == IDLE)
    ops_timer.stop()
    training, after_operations = probe.stop()
    measured = time.perf_counter() - started
    last_step = steps[-1] if steps else 0

    window.runner.stop()
    window.runner.wait()
    app.processEvents()
    window.document.undo_stack.setClean()
    window.close()

    threads = training_threads(project.settings.get("threads", 0))
    print(f"LeNet-5 on shapes, batch {project.settings['batch_size']}, {os.cpu_count()} cores, "
          f"training threads {threads} (the settings' default: all cores but one); "
          f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"training: {last_step - first_step} steps in {measured:.1f} s "
          f"({(last_step - first_step) / max(measured, 1e-9):.0f} steps/s) while measuring")
    print(f"timer lateness, idle:           {summary(idle)}")
    print(f"timer lateness, while training: {summary(training)}")
    if args.operations:
        print(f"  ticks that waited for a UI operation: {summary(after_operations)}")
        print(f"  all ticks:                            {summary(training + after_operations)}")
        print("UI operations during training (each with its repaint):")
        for name, times in operations.times.items():
            print(f"  {name:6s} {summary(times)}")
    if errors:
        print("the run reported: " + "; ".join(errors))
    p99 = float(np.percentile(training, 99)) if training else float("inf")
    verdict = "PASS" if p99 < TARGET_P99_MS else "FAIL"
    print(f"{verdict}: event-loop lateness p99 {p99:.1f} ms while training, UI operations' own ticks left "
          f"out (target < {TARGET_P99_MS:.0f} ms)")


if __name__ == "__main__":
    main()
