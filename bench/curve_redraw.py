"""What redrawing a long training curve costs: a 100,000-point line in a PlotWidget set up like the
training curves dock (auto peak downsampling, clip to view), timed as setData plus a repaint
(widget.grab()), median over runs. Target: under 16 ms (one frame at 60 Hz).

    QT_QPA_PLATFORM=offscreen python bench/curve_redraw.py [--points 100000] [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

TARGET_MS = 16.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    plot = pg.PlotWidget(title="Training loss")
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.resize(800, 400)
    plot.show()
    item = plot.plot([], [])
    rng = np.random.default_rng(0)
    steps = np.arange(1, args.points + 1, dtype=np.float64)
    loss = 2.0 * np.exp(-steps / (args.points / 5)) + 0.1 * rng.standard_normal(args.points) ** 2

    times = []
    for run in range(args.runs + 2):  # the first two warm up (layout, fonts, caches)
        y = loss + 1e-6 * run  # new data each run, as a live curve gets
        start = time.perf_counter()
        item.setData(steps, y)
        plot.grab()
        app.processEvents()
        if run >= 2:
            times.append((time.perf_counter() - start) * 1000.0)
    median = statistics.median(times)
    print(f"{args.points:,} points, setData + repaint: median {median:.2f} ms over {args.runs} runs "
          f"(min {min(times):.2f}, max {max(times):.2f}; target < {TARGET_MS:.0f} ms: "
          f"{'ok' if median < TARGET_MS else 'MISSED'})")


if __name__ == "__main__":
    main()
