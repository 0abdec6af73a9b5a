"""Grab the main window, open on the LeNet-5 template, into docs/screenshot.png (used by the README).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot.py [--out PATH] [--theme light|dark]
    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot.py --training [--epoch N] [--out PATH]

--training grabs a run in progress instead (docs/training.png): it trains the template for real, with the
Training, Training Curves and Feature Maps docks open and a convolution selected, and grabs half-way
through epoch N (default 3), once the health badges are on the nodes (about 15 s on 2 cores).

Runs offscreen by default, with throwaway settings (Qt's test-mode paths), so the user's own window
layout, recent files and recovery files are neither used nor touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, QSize, QStandardPaths, Qt  # noqa: E402
from PySide6.QtGui import QFont  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SIZE = QSize(1600, 900)
TRAINING_SIZE = QSize(1600, 1000)
TRAINING_DOCK_WIDTH = 450
SCALE = 0.85  # the canvas zoom: node text still readable, most of LeNet-5 in view
TRAINING_TIMEOUT_S = 900


def _settle(app: QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        help="default: docs/screenshot.png, or docs/training.png with --training")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--template", default="lenet5")
    parser.add_argument("--training", action="store_true", help="grab a training run in progress")
    parser.add_argument("--epoch", type=int, default=3,
                        help="with --training: grab half-way through this epoch")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = ROOT / "docs" / ("training.png" if args.training else "screenshot.png")

    # the offscreen platform's virtual screen is 800 x 600 unless told otherwise
    os.environ.setdefault("QT_QPA_OFFSCREEN_SCREEN_SIZE", f"{SIZE.width() + 200}x{SIZE.height() + 200}")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    QStandardPaths.setTestModeEnabled(True)
    QCoreApplication.setOrganizationName("Model Studio Screenshot")
    QCoreApplication.setApplicationName("Model Studio Screenshot")
    QSettings().clear()
    app.setFont(QFont("DejaVu Sans", 9))

    from studio.qt.document import Document
    from studio.qt.main_window import MainWindow
    from studio.templates import load_template

    project = load_template(args.template)
    if args.training:
        project.settings["epochs"] = max(int(project.settings.get("epochs") or 1), args.epoch + 1)
        if not project.settings.get("scheduler"):  # a learning-rate curve with a shape
            project.settings["scheduler"], project.settings["scheduler_options"] = "OneCycleLR", {}
    window = MainWindow(Document(project))
    window.set_theme(args.theme)
    window.resize(TRAINING_SIZE if args.training else SIZE)
    window.show()
    _settle(app)
    if args.training:
        _training_layout(window)
    else:
        window.resizeDocks([window.palette_dock, window.properties_dock], [200, 360],
                           Qt.Orientation.Horizontal)
    _settle(app)
    window.view.fit_to_view()
    nodes = list(window.document.graph.nodes)
    pick = "conv1" if "conv1" in nodes else nodes[len(nodes) // 2]
    window.document.set_selection([pick])
    _settle(app, 20)
    _frame_the_start(window.view)
    _settle(app)
    try:
        if args.training and not _train_until(app, window, args.epoch):
            return 1
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(args.out)):
            print(f"cannot write {args.out}", file=sys.stderr)
            return 1
    finally:
        window.runner.stop()
        window.runner.wait()
        window.document.undo_stack.setClean()
        window.close()
    QSettings().clear()
    print(args.out)
    return 0


def _training_layout(window) -> None:
    """The Training dock in front on the right; the curves and the feature maps side by side below the
    canvas; the palette and the code view out of the way."""
    window.palette_dock.hide()
    window.code_dock.hide()
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)  # full height
    window.training_dock.show()
    window.training_dock.raise_()
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    window.addDockWidget(bottom, window.curves_dock)
    window.addDockWidget(bottom, window.feature_maps_dock)
    window.splitDockWidget(window.curves_dock, window.feature_maps_dock, Qt.Orientation.Horizontal)
    window.curves_dock.show()
    window.feature_maps_dock.show()
    window.curves_dock.log_scale.setChecked(True)
    window.feature_maps_dock.colormap_combo.setCurrentText("viridis")
    window.resizeDocks([window.training_dock], [TRAINING_DOCK_WIDTH], Qt.Orientation.Horizontal)
    window.resizeDocks([window.curves_dock], [640], Qt.Orientation.Vertical)
    window.resizeDocks([window.curves_dock, window.feature_maps_dock], [760, 370], Qt.Orientation.Horizontal)


def _train_until(app: QApplication, window, epoch: int) -> bool:
    """Train and return once half of `epoch` is done and health badges have arrived (False on a run that
    ended early or a timeout, with the reason on stderr)."""
    seen: dict[str, object] = {}
    window.runner.batch.connect(lambda info: seen.__setitem__("batch", info))
    window.runner.capture.connect(lambda info: seen.__setitem__("capture", info))
    window.runner.finished.connect(lambda result: seen.__setitem__("result", result))
    if not window.train():
        print("the run did not start", file=sys.stderr)
        return False
    deadline = time.monotonic() + TRAINING_TIMEOUT_S
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
        if "result" in seen:
            print(f"the run ended early: {seen['result'].message}", file=sys.stderr)
            return False
        batch = seen.get("batch")
        if (batch is not None and "capture" in seen and batch.epoch >= epoch
                and batch.batch >= batch.batches // 2):
            _settle(app, 20)
            scroll = window.training_dock.widget().verticalScrollBar()
            scroll.setValue(scroll.maximum())  # the run's buttons and progress bar, below the dataset
            _settle(app)
            return True
    print(f"no epoch {epoch} after {TRAINING_TIMEOUT_S} s", file=sys.stderr)
    return False


def _frame_the_start(view) -> None:
    """Readable nodes over a whole graph: at SCALE show as much of the graph as fits, from its inputs on
    (a chain like LeNet-5 fitted whole would be a row of unreadable boxes)."""
    from PySide6.QtCore import QRectF

    items = sorted(view.graph_scene().nodes.values(), key=lambda item: item.sceneBoundingRect().left())
    view.resetTransform()
    view.scale(SCALE, SCALE)
    width = (view.viewport().width() - 60) / SCALE
    rect = QRectF()
    for item in items:
        candidate = rect.united(item.sceneBoundingRect())
        if not rect.isNull() and candidate.width() > width:
            break
        rect = candidate
    view.centerOn(rect.center())


if __name__ == "__main__":
    raise SystemExit(main())
