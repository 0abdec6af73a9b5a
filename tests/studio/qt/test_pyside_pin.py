"""Guards the PySide6 pin: 6.12.0 on Python 3.11 corrupts None's refcount on every void Qt call and
aborts after ~5,000 calls (DESIGN.md). Run the calls in a child process so an abort fails this test
instead of killing the whole test session."""

import subprocess
import sys
import textwrap

CALLS = 50_000


def test_fifty_thousand_void_qt_calls_survive():
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication, QGraphicsRectItem
        app = QApplication.instance() or QApplication([])
        item = QGraphicsRectItem(0, 0, 10, 10)
        before = sys.getrefcount(None)
        for i in range({CALLS}):
            item.setPos(i % 100, i % 7)
        after = sys.getrefcount(None)
        print(item.pos().x(), item.pos().y(), before, after)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"Qt process died (rc={proc.returncode}): {proc.stderr[-2000:]}"
    x, y, before, after = proc.stdout.split()
    assert (float(x), float(y)) == ((CALLS - 1) % 100, (CALLS - 1) % 7)
    # A leaking binding drifts None's refcount by one per call; allow small unrelated noise.
    assert abs(int(after) - int(before)) < 1000


def test_installed_pyside_respects_the_pin():
    import PySide6

    major, minor = (int(p) for p in PySide6.__version__.split(".")[:2])
    assert (6, 9) <= (major, minor) < (6, 12), PySide6.__version__
