"""The dataset part of the training dock: which dataset, its main options and validation fraction, and a
preview (sample images or rows, class counts) computed off the event loop.

Every edit is one SetSettings of settings["dataset"] through `document.execute`; the panel shows the
project's spec again on every `document.changed` (undo included) with its editors' signals blocked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.graph.commands import SetSettings
from studio.qt.document import Document
from studio.training.datasets import DISK, list_datasets, open_dataset

from .background import BackgroundCall

PREVIEW_SAMPLES = 16
THUMBNAIL = 48  # pixels per preview image
MAX_TABLE_COLUMNS = 8
MAX_COUNTS_SHOWN = 12
DEFAULT_VAL_FRACTION = 0.2
NO_DATASET = ""
FROM_DISK = "disk"

# The main options of each built-in dataset: (key, label, type, minimum, maximum, default). The loaders'
# own defaults (studio/training/datasets/builtin.py); options left out keep the value the spec has.
OptionField = tuple[str, str, type, float, float, float]
BUILTIN_OPTIONS: dict[str, list[OptionField]] = {
    "shapes": [("count", "Samples", int, 2, 200_000, 2000), ("size", "Image size", int, 8, 256, 28),
               ("noise", "Noise", float, 0.0, 1.0, 0.1), ("rotation", "Rotation (°)", float, 0.0, 180.0, 15)],
    "digits": [],
    "spirals": [("count", "Samples", int, 2, 1_000_000, 1000), ("arms", "Arms", int, 2, 8, 2),
                ("noise", "Noise", float, 0.0, 1.0, 0.05)],
    "moons": [("count", "Samples", int, 2, 1_000_000, 1000), ("noise", "Noise", float, 0.0, 1.0, 0.1)],
    "sine": [("count", "Samples", int, 2, 1_000_000, 1000), ("noise", "Noise", float, 0.0, 10.0, 0.1)],
    "chars": [("seq_len", "Sequence length", int, 1, 4096, 32), ("stride", "Stride", int, 1, 4096, 1)],
}


def dataset_preview(spec: dict[str, Any]) -> dict[str, Any]:
    """Open the dataset and describe it (runs on a worker thread)."""
    return open_dataset(spec).preview(PREVIEW_SAMPLES)


def summary(preview: dict[str, Any]) -> str:
    """'1600 training + 400 validation samples · input 1×28×28 · 3 classes'."""
    shape = "×".join(str(d) for d in preview["input_shape"]) or "scalar"
    counts = preview["class_counts"]
    kind = f"{len(counts)} classes" if counts and preview["kind"] != "sequences" else (
        f"{len(counts)} characters" if counts else "regression target " +
        ("×".join(str(d) for d in preview["target_shape"]) or "scalar"))
    return (f"{preview['train_size']} training + {preview['val_size']} validation samples · input {shape} · "
            f"{kind}")


def counts_text(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{name if name.strip() else repr(name)}: {n}"  # a space or newline class: quoted
                      for name, n in ranked[:MAX_COUNTS_SHOWN])
    more = f" (+{len(ranked) - MAX_COUNTS_SHOWN} more)" if len(ranked) > MAX_COUNTS_SHOWN else ""
    return f"Class counts: {shown}{more}"


def to_pixmap(pixels: np.ndarray, size: int = THUMBNAIL) -> QPixmap:
    """uint8 H x W (gray) or H x W x 3 (RGB) -> a pixmap scaled to `size` (nearest: pixels stay sharp)."""
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    fmt = QImage.Format.Format_RGB888 if pixels.ndim == 3 else QImage.Format.Format_Grayscale8
    image = QImage(pixels.data, width, height, pixels.strides[0], fmt).copy()  # copy: own the bytes
    return QPixmap.fromImage(image).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


class DatasetPanel(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None, *,
                 open_wizard: Callable[[], Any] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        self.document = document
        self.option_editors: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.preview: dict[str, Any] | None = None
        self._shown_name: str | None = None  # the dataset whose option editors are built
        self._previewed: str | None = None  # json of the spec the preview shows or is being made for
        self._worker = BackgroundCall(self)
        self._worker.done.connect(self._preview_ready)
        self._worker.failed.connect(self._preview_failed)

        self.combo = QComboBox()
        self.combo.setObjectName("datasetCombo")
        self.combo.addItem("(no dataset)", NO_DATASET)
        for entry in list_datasets():
            self.combo.addItem(f"{entry['name']} ({entry['kind']})", entry["name"])
            self.combo.setItemData(self.combo.count() - 1, entry["description"], Qt.ItemDataRole.ToolTipRole)
        self.from_disk_button = QPushButton("From disk…")
        self.from_disk_button.setObjectName("fromDiskButton")
        self.from_disk_button.setToolTip("Use your own files: an image folder, a CSV table, NumPy arrays or "
                                         "IDX files")
        if open_wizard is not None:
            self.from_disk_button.clicked.connect(lambda: open_wizard())
        picker = QHBoxLayout()
        picker.addWidget(self.combo, 1)
        picker.addWidget(self.from_disk_button)
        self.description = QLabel()
        self.description.setObjectName("datasetDescription")
        self.description.setWordWrap(True)
        self.options_form = QFormLayout()
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setObjectName("valFractionSpin")
        self.val_fraction.setRange(0.01, 0.99)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setDecimals(2)
        self.val_fraction.setKeyboardTracking(False)
        self.options_form.addRow("Validation fraction", self.val_fraction)

        self.status = QLabel()
        self.status.setObjectName("previewStatus")
        self.status.setWordWrap(True)
        self.counts = QLabel()
        self.counts.setObjectName("classCounts")
        self.counts.setWordWrap(True)
        self.grid = QWidget()
        self.grid.setObjectName("previewGrid")
        self.grid_layout = QGridLayout(self.grid)
        self.grid_layout.setSpacing(2)
        self.table = QTableWidget()
        self.table.setObjectName("previewTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.views = QStackedWidget()
        self.views.addWidget(self.grid)
        self.views.addWidget(self.table)
        self.views.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(picker)
        layout.addWidget(self.description)
        layout.addLayout(self.options_form)
        layout.addWidget(self.status)
        layout.addWidget(self.views)
        layout.addWidget(self.counts)

        self.combo.currentIndexChanged.connect(self._dataset_chosen)
        self.val_fraction.valueChanged.connect(lambda value: self._edit(val_fraction=round(value, 4)))
        self.sync()

    # -------------------------------------------------------------------------------- the model ---
    def spec(self) -> dict[str, Any] | None:
        return self.document.project.settings.get("dataset")

    def _edit(self, **fields: Any) -> bool:
        """Change fields of the current spec (one undo step); False when refused or unchanged."""
        current = self.spec()
        if current is None:
            return False
        new = {**current, **fields}
        return self.set_spec(new)

    def set_spec(self, spec: dict[str, Any] | None) -> bool:
        if spec == self.spec():
            return False
        ok = self.document.execute(SetSettings({"dataset": spec}, self.document.project))
        if not ok:
            self.sync()  # show the project's value again
        return ok

    def _dataset_chosen(self) -> None:
        name = self.combo.currentData()
        if name == FROM_DISK:
            return
        if not name:
            self.set_spec(None)
            return
        current = self.spec() or {}
        self.set_spec({"name": name, "options": {}, "val_fraction": current.get("val_fraction",
                                                                                DEFAULT_VAL_FRACTION),
                       "seed": current.get("seed", 0)})

    def _option_edited(self, key: str, value: float) -> None:
        spec = self.spec()
        if spec is not None:
            self._edit(options={**spec.get("options", {}), key: value})

    # ---------------------------------------------------------------------------------- showing ---
    def sync(self) -> None:
        """Show the project's dataset spec (signals blocked: showing never edits) and refresh the preview."""
        spec = self.spec()
        name = spec["name"] if spec else NO_DATASET
        with QSignalBlocker(self.combo):
            index = self.combo.findData(FROM_DISK)
            if index >= 0:
                self.combo.removeItem(index)
            if name in DISK:
                where = _disk_location(spec or {})
                self.combo.addItem(f"From disk: {name} ({where})", FROM_DISK)
                self.combo.setCurrentIndex(self.combo.count() - 1)
            else:
                self.combo.setCurrentIndex(max(0, self.combo.findData(name)))
        if name in DISK:
            self.description.setText(DISK[name][2])
        else:
            self.description.setText(next((d["description"] for d in list_datasets() if d["name"] == name),
                                          "Choose a dataset to train on."))
        self._build_options(name)
        options = (spec or {}).get("options", {})
        for key, editor in self.option_editors.items():
            default = next(f[5] for f in BUILTIN_OPTIONS[name] if f[0] == key)
            with QSignalBlocker(editor):
                value = options.get(key, default)
                editor.setValue(value if isinstance(value, (int, float)) else default)
        with QSignalBlocker(self.val_fraction):
            self.val_fraction.setValue((spec or {}).get("val_fraction", DEFAULT_VAL_FRACTION))
        self.val_fraction.setEnabled(spec is not None)
        self.refresh_preview()

    def _build_options(self, name: str) -> None:
        if name == self._shown_name:
            return
        self._shown_name = name
        while self.options_form.rowCount() > 1:  # the last row (validation fraction) stays
            self.options_form.removeRow(0)
        self.option_editors = {}
        for row, (key, label, kind, low, high, _default) in enumerate(BUILTIN_OPTIONS.get(name, [])):
            editor: QSpinBox | QDoubleSpinBox
            if kind is int:
                editor = QSpinBox()
                editor.setRange(int(low), int(high))
                editor.setSingleStep(100 if key == "count" else 1)
            else:
                editor = QDoubleSpinBox()
                editor.setRange(low, high)
                editor.setDecimals(3)
                editor.setSingleStep(0.05 if high <= 10 else 5.0)
            editor.setObjectName(f"datasetOption_{key}")
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(lambda value, k=key: self._option_edited(k, value))
            self.option_editors[key] = editor
            self.options_form.insertRow(row, label, editor)

    def refresh_preview(self, *, force: bool = False) -> None:
        """Start a preview of the current spec when it changed (only while the panel is shown)."""
        spec = self.spec()
        key = json.dumps(spec, sort_keys=True)
        if (key == self._previewed and not force) or not self.isVisible():
            return
        self._previewed = key
        self.preview = None
        if spec is None:
            self._worker.forget()
            self._show_nothing("No dataset chosen: training needs one.")
            return
        self.status.setText(f"Loading {spec['name']}…")
        self._worker.call(dataset_preview, spec)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh_preview()

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def _show_nothing(self, text: str) -> None:
        self.status.setText(text)
        self.views.hide()
        self.counts.clear()

    def _preview_failed(self, message: str) -> None:
        self._show_nothing(f"Cannot open this dataset: {message}")

    def _preview_ready(self, preview: dict[str, Any]) -> None:
        self.preview = preview
        self.status.setText(summary(preview))
        self.counts.setText(counts_text(preview["class_counts"]))
        if preview["kind"] == "images":
            self._show_images(preview)
        else:
            self._show_table(preview)
        self.views.show()

    def _show_images(self, preview: dict[str, Any]) -> None:
        while self.grid_layout.count():
            item = self.grid_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        columns = 4
        for i, (pixels, label) in enumerate(zip(preview["samples"], preview["labels"], strict=True)):
            cell = QLabel()
            cell.setObjectName("previewImage")
            cell.setPixmap(to_pixmap(pixels))
            cell.setToolTip(str(label))
            caption = QLabel(str(label))
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid_layout.addWidget(cell, 2 * (i // columns), i % columns, Qt.AlignmentFlag.AlignCenter)
            self.grid_layout.addWidget(caption, 2 * (i // columns) + 1, i % columns)
        self.views.setCurrentWidget(self.grid)

    def _show_table(self, preview: dict[str, Any]) -> None:
        samples, labels = preview["samples"], preview["labels"]
        if preview["kind"] == "sequences":
            headers = ["input", "target"]
            rows = [[str(s), str(t)] for s, t in zip(samples, labels, strict=True)]
        else:
            width = min(max((len(s) for s in samples), default=0), MAX_TABLE_COLUMNS)
            headers = [f"x{i}" for i in range(width)] + ["target"]
            rows = [[f"{v:.4g}" for v in np.asarray(s)[:width]] + [_label_text(t)]
                    for s, t in zip(samples, labels, strict=True)]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.views.setCurrentWidget(self.table)


def _label_text(label: Any) -> str:
    if isinstance(label, list):
        return ", ".join(f"{v:.4g}" for v in label)
    return str(label)


def _disk_location(spec: dict[str, Any]) -> str:
    from pathlib import Path

    options = spec.get("options", {})
    for key in ("path", "x", "images"):
        if isinstance(options.get(key), str):
            return Path(options[key]).name
    return "no file"
