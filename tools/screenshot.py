"""Grab the main window, open on the LeNet-5 template, into docs/screenshot.png (used by the README).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot.py [--out PATH] [--theme light|dark]

Runs offscreen by default, with throwaway settings (Qt's test-mode paths), so the user's own window
layout, recent files and recovery files are neither used nor touched.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, QSize, QStandardPaths, Qt  # noqa: E402
from PySide6.QtGui import QFont  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SIZE = QSize(1600, 900)
SCALE = 0.85  # the canvas zoom: node text still readable, most of LeNet-5 in view


def _settle(app: QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--template", default="lenet5")
    args = parser.parse_args(argv)

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

    window = MainWindow(Document(load_template(args.template)))
    window.set_theme(args.theme)
    window.resize(SIZE)
    window.show()
    _settle(app)
    window.resizeDocks([window.palette_dock, window.properties_dock], [200, 360], Qt.Orientation.Horizontal)
    _settle(app)
    window.view.fit_to_view()
    nodes = list(window.document.graph.nodes)
    pick = "conv1" if "conv1" in nodes else nodes[len(nodes) // 2]
    window.document.set_selection([pick])
    _settle(app, 20)
    _frame_the_start(window.view)
    _settle(app)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(args.out)):
        print(f"cannot write {args.out}", file=sys.stderr)
        return 1
    window.document.undo_stack.setClean()
    window.close()
    QSettings().clear()
    print(args.out)
    return 0


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
