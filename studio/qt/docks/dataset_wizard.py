"""The "From disk…" dialog of the training dock: pick a file format, the file(s) or folder, the format's
options, check that it loads (on a worker thread: count, shapes, classes, or the reason it cannot), and
use it as the project's dataset.

Paths are asked through an injectable `choose_path(parent, caption, mode, filters) -> path or ""` (mode
"file" or "folder"), so tests never open a native dialog.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .background import BackgroundCall
from .dataset_panel import DEFAULT_VAL_FRACTION, counts_text, dataset_preview, summary

ChoosePath = Callable[[QWidget, str, str, str], str]
LAST_COLUMN = "(last column)"
AUTO_TASK = "(from the labels)"

# format key: (dataset name, title, [(option, label, mode, filters)])
FORMATS: dict[str, tuple[str, str, list[tuple[str, str, str, str]]]] = {
    "imagefolder": ("imagefolder", "Image folder (one sub-folder per class)",
                    [("path", "Folder", "folder", "")]),
    "csv": ("csv", "CSV table",
            [("path", "CSV file", "file", "CSV files (*.csv *.tsv *.txt);;All files (*)")]),
    "npz": ("npy", "NumPy archive .npz (arrays x and y)",
            [("path", ".npz file", "file", "NumPy archives (*.npz);;All files (*)")]),
    "npy": ("npy", "Two NumPy .npy files (x and y)",
            [("x", "Inputs x", "file", "NumPy arrays (*.npy);;All files (*)"),
             ("y", "Targets y", "file", "NumPy arrays (*.npy);;All files (*)")]),
    "idx": ("idx", "IDX files (MNIST format)",
            [("images", "Images file", "file", "IDX files (*ubyte* *.idx *.gz);;All files (*)"),
             ("labels", "Labels file", "file", "IDX files (*ubyte* *.idx *.gz);;All files (*)")]),
}


def ask_path(parent: QWidget, caption: str, mode: str, filters: str) -> str:
    if mode == "folder":
        return QFileDialog.getExistingDirectory(parent, caption)
    path, _ = QFileDialog.getOpenFileName(parent, caption, "", filters)
    return path


def format_of(spec: dict[str, Any] | None) -> str:
    """The format key a disk dataset spec was made with ("npz" or "npy" for dataset "npy")."""
    if not spec:
        return "imagefolder"
    if spec["name"] == "npy":
        return "npz" if spec.get("options", {}).get("path") else "npy"
    return spec["name"] if spec["name"] in FORMATS else "imagefolder"


def csv_header(path: str) -> list[str]:
    """The first row of a CSV file ([] when it cannot be read: the check then says why)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return [cell.strip() for cell in next(csv.reader(f), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


class DiskDatasetDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, spec: dict[str, Any] | None = None,
                 choose_path: ChoosePath | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetWizard")
        self.setWindowTitle("Dataset from Disk")
        self.choose_path = choose_path or ask_path
        self.path_edits: dict[str, dict[str, QLineEdit]] = {}
        self.checked: dict[str, Any] | None = None  # the preview of the last successful check
        self._worker = BackgroundCall(self)
        self._worker.done.connect(self._check_done)
        self._worker.failed.connect(self._check_failed)

        self.format = QComboBox()
        self.format.setObjectName("wizardFormat")
        self.pages = QStackedWidget()
        for key, (_, title, fields) in FORMATS.items():
            self.format.addItem(title, key)
            self.pages.addWidget(self._page(key, fields))
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setObjectName("wizardValFraction")
        self.val_fraction.setRange(0.01, 0.99)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(DEFAULT_VAL_FRACTION)
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("wizardCheck")
        self.check_button.setToolTip("Load the data now and show what it holds")
        self.result = QLabel("Choose the files, then Check that they load.")
        self.result.setObjectName("wizardResult")
        self.result.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use Dataset")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("wizardFinish")

        common = QFormLayout()
        common.addRow("Format", self.format)
        split = QFormLayout()
        split.addRow("Validation fraction", self.val_fraction)
        check = QHBoxLayout()
        check.addWidget(self.check_button)
        check.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(common)
        layout.addWidget(self.pages)
        layout.addLayout(split)
        layout.addLayout(check)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.format.currentIndexChanged.connect(self._format_changed)
        self.check_button.clicked.connect(self.check)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if spec and spec.get("name") in {name for name, _, _ in FORMATS.values()}:
            self._load(spec)
        self._format_changed()

    # ------------------------------------------------------------------------------------ pages ---
    def _page(self, key: str, fields: list[tuple[str, str, str, str]]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.path_edits[key] = {}
        for option, label, mode, filters in fields:
            edit = QLineEdit()
            edit.setObjectName(f"wizardPath_{key}_{option}")
            edit.setPlaceholderText("a folder" if mode == "folder" else "a file")
            browse = QPushButton("Browse…")
            browse.setObjectName(f"wizardBrowse_{key}_{option}")
            browse.clicked.connect(
                lambda _=False, e=edit, c=label, m=mode, f=filters: self._browse(e, c, m, f))
            edit.textChanged.connect(self._inputs_changed)
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(browse)
            form.addRow(label, row)
            self.path_edits[key][option] = edit
        if key == "imagefolder":
            self.image_size = QSpinBox()
            self.image_size.setObjectName("wizardImageSize")
            self.image_size.setRange(1, 4096)
            self.image_size.setValue(28)
            self.grayscale = QCheckBox("Convert to grayscale")
            self.grayscale.setObjectName("wizardGrayscale")
            form.addRow("Image size", self.image_size)
            form.addRow("", self.grayscale)
        elif key == "csv":
            self.label_column = QComboBox()
            self.label_column.setObjectName("wizardLabelColumn")
            self.label_column.setEditable(True)
            self.label_column.addItem(LAST_COLUMN)
            self.task = QComboBox()
            self.task.setObjectName("wizardTask")
            self.task.addItems([AUTO_TASK, "classification", "regression"])
            form.addRow("Target column", self.label_column)
            form.addRow("Task", self.task)
            self.path_edits[key]["path"].editingFinished.connect(self._read_header)
        return page

    def _browse(self, edit: QLineEdit, caption: str, mode: str, filters: str) -> None:
        path = self.choose_path(self, f"Choose {caption.lower()}", mode, filters)
        if path:
            edit.setText(path)
            if edit is self.path_edits["csv"]["path"]:
                self._read_header()

    def _read_header(self) -> None:
        current = self.label_column.currentText()
        header = csv_header(self.path_edits["csv"]["path"].text().strip())
        self.label_column.clear()
        self.label_column.addItem(LAST_COLUMN)
        self.label_column.addItems(header)
        self.label_column.setCurrentText(current if current in header else LAST_COLUMN)

    def _format_changed(self) -> None:
        self.pages.setCurrentIndex(self.format.currentIndex())
        self._inputs_changed()

    def _inputs_changed(self) -> None:
        self.checked = None
        self._worker.forget()
        self.check_button.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not self.missing())

    def _load(self, spec: dict[str, Any]) -> None:
        key = format_of(spec)
        options = spec.get("options", {})
        self.format.setCurrentIndex(self.format.findData(key))
        for option, edit in self.path_edits[key].items():
            edit.setText(str(options.get(option) or ""))
        self.val_fraction.setValue(spec.get("val_fraction", DEFAULT_VAL_FRACTION))
        if key == "imagefolder":
            self.image_size.setValue(options.get("size", 28))
            self.grayscale.setChecked(bool(options.get("grayscale", False)))
        elif key == "csv":
            self._read_header()
            self.label_column.setCurrentText(options.get("label_column") or LAST_COLUMN)
            self.task.setCurrentText(options.get("task") or AUTO_TASK)

    # ------------------------------------------------------------------------------------- spec ---
    def format_key(self) -> str:
        return self.format.currentData()

    def missing(self) -> list[str]:
        """The labels of the path fields still empty."""
        fields = FORMATS[self.format_key()][2]
        edits = self.path_edits[self.format_key()]
        return [label for option, label, _, _ in fields if not edits[option].text().strip()]

    def spec(self) -> dict[str, Any]:
        key = self.format_key()
        options: dict[str, Any] = {option: edit.text().strip()
                                   for option, edit in self.path_edits[key].items()}
        if key == "imagefolder":
            options.update(size=self.image_size.value(), grayscale=self.grayscale.isChecked())
        elif key == "csv":
            column = self.label_column.currentText().strip()
            task = self.task.currentText()
            options.update(label_column=None if column in ("", LAST_COLUMN) else column,
                           task=None if task == AUTO_TASK else task)
        return {"name": FORMATS[key][0], "options": options,
                "val_fraction": round(self.val_fraction.value(), 4), "seed": 0}

    # ------------------------------------------------------------------------------------ check ---
    def check(self) -> bool:
        """Load the data on a worker thread; the result label tells what it holds or why it cannot."""
        missing = self.missing()
        if missing:
            self._show_result(f"Choose {', '.join(m.lower() for m in missing)} first.", ok=False)
            return False
        self.checked = None
        self.check_button.setEnabled(False)
        self._show_result("Loading…", ok=None)
        self._worker.call(dataset_preview, self.spec())
        return True

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def _check_done(self, preview: dict[str, Any]) -> None:
        self.checked = preview
        self.check_button.setEnabled(True)
        counts = counts_text(preview["class_counts"])
        self._show_result(f"OK: {summary(preview)}" + (f"\n{counts}" if counts else ""), ok=True)

    def _check_failed(self, message: str) -> None:
        self.check_button.setEnabled(True)
        self._show_result(f"Cannot load this data: {message}", ok=False)

    def _show_result(self, text: str, *, ok: bool | None) -> None:
        self.result.setText(text)
        self.result.setProperty("ok", ok)
        self.result.setStyleSheet("" if ok is None else ("color: #2a7a2a" if ok else "color: #c33"))

    def accept(self) -> None:
        if self.missing():
            self.check()  # says what is missing; the dialog stays open
            return
        self._worker.forget()
        super().accept()

