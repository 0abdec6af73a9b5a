"""Status bar widgets: the model's parameter count, FLOPs and errors (from live inference), and the
device training would use."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

import engine
from studio.graph.inference import Totals


def si(n: float) -> str:
    """1234567 -> '1.23 M', 870 -> '870'."""
    for factor, prefix in ((1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " K")):
        if abs(n) >= factor:
            return f"{n / factor:.3g}{prefix}"
    return f"{n:g}"


def device_text() -> str:
    try:
        if engine.cuda.is_available():
            return f"GPU: {engine.cuda.get_device_name()}"
    except Exception:  # a broken driver or cupy install: training falls back to the CPU anyway
        pass
    return "CPU"


class StatusWidgets:
    """Permanent labels on a status bar; `show_totals` refreshes them."""

    def __init__(self, bar: QStatusBar) -> None:
        self.params = self._label(bar, "paramsLabel", "Trainable parameters")
        self.flops = self._label(bar, "flopsLabel", "Floating-point operations per sample (forward)")
        self.errors = self._label(bar, "errorsLabel", "Nodes whose shapes or settings do not fit")
        self.device = self._label(bar, "deviceLabel", "Where training runs with the device set to auto")
        self.device.setText(f"Device: {device_text()}")

    @staticmethod
    def _label(bar: QStatusBar, name: str, tip: str) -> QLabel:
        label = QLabel(bar)
        label.setObjectName(name)
        label.setToolTip(tip)
        bar.addPermanentWidget(label)
        return label

    def show_totals(self, totals: Totals) -> None:
        self.params.setText(f"Params: {totals.params:,}")
        self.flops.setText(f"FLOPs: {si(totals.flops)}")
        self.flops.setToolTip(f"{totals.flops:,} floating-point operations per sample (forward)")
        errors = totals.errors
        self.errors.setText(f"{errors} error{'s' if errors != 1 else ''}")
        self.errors.setStyleSheet("color: #d9534f; font-weight: bold;" if errors else "")
