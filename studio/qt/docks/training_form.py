"""The hyper-parameter form of the training dock: optimizer and its main options, learning-rate scheduler
and its main options, batch size, epochs, loss, metrics and seed.

Every finished edit is one SetSettings through `document.execute` (one undo step, the project marked
modified); a value the project's checks refuse goes out as the document's message and the editor shows the
project's value again. `sync()` shows the project's settings with every editor's signals blocked, so
following an undo never edits anything.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from engine import optim
from engine.optim import lr_scheduler
from studio.graph.commands import SetSettings
from studio.qt.document import Document
from studio.training.losses import loss_names
from studio.training.metrics import KNOWN as METRICS
from studio.training.optim_factory import OPTIMIZERS, SCHEDULERS

GRAPH_LOSS = "(the graph's loss node)"
NO_SCHEDULER = "(constant learning rate)"
# The options the form edits per optimizer; any other option in the settings is kept as it is.
OPTIMIZER_OPTIONS = {"SGD": ("momentum", "weight_decay"), "RMSprop": ("momentum", "weight_decay")}
DEFAULT_OPTIMIZER_OPTIONS = ("weight_decay",)
SCHEDULER_OPTIONS: dict[str, tuple[str, ...]] = {
    "StepLR": ("step_size", "gamma"), "MultiStepLR": ("milestones", "gamma"), "ExponentialLR": ("gamma",),
    "CosineAnnealingLR": ("T_max", "eta_min"), "CosineAnnealingWarmRestarts": ("T_0", "T_mult", "eta_min"),
    "OneCycleLR": ("max_lr", "pct_start"), "ReduceLROnPlateau": ("factor", "patience"),
    "LinearLR": ("start_factor", "end_factor", "total_iters"), "ConstantLR": ("factor", "total_iters"),
    "PolynomialLR": ("total_iters", "power"),
}
# Values for the options a scheduler cannot run without (no default in its signature).
REQUIRED_DEFAULTS: dict[str, Any] = {"step_size": 10, "milestones": [30, 60], "gamma": 0.95, "T_0": 10}
# Filled in from the run's length when left out (studio.training.optim_factory): shown as "auto".
AUTO_OPTIONS = {("CosineAnnealingLR", "T_max"), ("OneCycleLR", "max_lr")}


def _parameters(cls: Any) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(cls).parameters)


def _typed_default(parameter: inspect.Parameter) -> Any:
    """The parameter's default, a float when it is annotated float (SGD's momentum defaults to int 0)."""
    default = parameter.default
    if default is inspect.Parameter.empty:
        return REQUIRED_DEFAULTS.get(parameter.name)
    annotation = str(parameter.annotation)
    if isinstance(default, int) and not isinstance(default, bool) and annotation.startswith("float"):
        return float(default)
    return default


def scheduler_default(name: str, option: str) -> Any:
    return _typed_default(_parameters(getattr(lr_scheduler, name))[option])


class SciSpin(QDoubleSpinBox):
    """A float spin box that shows 0.001 and 3e-05 as written (not 0.001000)."""

    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(10)
        self.setRange(low, high)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return f"{value:.6g}"

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt's name
        """Arrows move by a tenth of the value's order of magnitude (0.001 -> 0.0011 or 0.0009)."""
        value = self.value()
        step = 10.0 ** (math.floor(math.log10(abs(value))) - 1) if value else 1e-4
        self.setValue(value + steps * step)


class TrainingForm(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingForm")
        self.document = document
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)

        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizerCombo")
        self.optimizer.addItems(OPTIMIZERS)
        self.lr = SciSpin(1e-8, 10.0)
        self.lr.setObjectName("lrSpin")
        self.optimizer_options = self._option_row("optimizerOptions")
        self.scheduler = QComboBox()
        self.scheduler.setObjectName("schedulerCombo")
        self.scheduler.addItem(NO_SCHEDULER, None)
        for name in SCHEDULERS:
            self.scheduler.addItem(name, name)
        self.scheduler_options = self._option_row("schedulerOptions")
        self.batch_size = QSpinBox()
        self.batch_size.setObjectName("batchSizeSpin")
        self.batch_size.setRange(1, 1_000_000)
        self.epochs = QSpinBox()
        self.epochs.setObjectName("epochsSpin")
        self.epochs.setRange(1, 1_000_000)
        self.loss = QComboBox()
        self.loss.setObjectName("lossCombo")
        self.loss.addItem(GRAPH_LOSS, None)
        for name in loss_names():
            self.loss.addItem(name, name)
        self.metric_boxes: dict[str, QCheckBox] = {}
        metrics = QHBoxLayout()
        for name in METRICS:
            box = QCheckBox(name)
            box.setObjectName(f"metric_{name}")
            box.toggled.connect(self._metrics_edited)
            self.metric_boxes[name] = box
            metrics.addWidget(box)
        metrics.addStretch(1)
        self.seed = QSpinBox()
        self.seed.setObjectName("seedSpin")
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText("random")  # -1 shows as "random" and means seed null
        for spin in (self.batch_size, self.epochs, self.seed):
            spin.setKeyboardTracking(False)

        rows = (("Optimizer", self.optimizer), ("Learning rate", self.lr), ("", self.optimizer_options),
                ("Scheduler", self.scheduler), ("", self.scheduler_options), ("Batch size", self.batch_size),
                ("Epochs", self.epochs), ("Loss", self.loss), ("Metrics", metrics), ("Seed", self.seed))
        for label, widget in rows:
            self.layout_.addRow(label, widget)

        self.optimizer.currentTextChanged.connect(self._optimizer_chosen)
        self.lr.valueChanged.connect(lambda v: self._optimizer_option("lr", v))
        self.scheduler.currentIndexChanged.connect(self._scheduler_chosen)
        self.batch_size.valueChanged.connect(lambda v: self.edit({"batch_size": v}))
        self.epochs.valueChanged.connect(lambda v: self.edit({"epochs": v}))
        self.loss.currentIndexChanged.connect(lambda _i: self.edit({"loss": self.loss.currentData()}))
        self.seed.valueChanged.connect(lambda v: self.edit({"seed": None if v < 0 else v}))
        self._built: tuple[str, str | None] | None = None
        self.sync()

    def _option_row(self, name: str) -> QWidget:
        row = QWidget()
        row.setObjectName(name)
        form = QFormLayout(row)
        form.setContentsMargins(12, 0, 0, 0)
        return row

    # ---------------------------------------------------------------------------------- editing ---
    @property
    def settings(self) -> dict[str, Any]:
        return self.document.project.settings

    def edit(self, changes: dict[str, Any]) -> bool:
        """One undo step for the changed values; False when nothing changed or the project refused."""
        changes = {k: v for k, v in changes.items() if self.settings.get(k) != v}
        if not changes:
            return False
        ok = self.document.execute(SetSettings(changes, self.document.project))
        if not ok:
            self.sync()
        return ok

    def _optimizer_chosen(self, name: str) -> None:
        accepted = _parameters(getattr(optim, name))
        options = {k: v for k, v in self.settings["optimizer_options"].items() if k in accepted}
        self.edit({"optimizer": name, "optimizer_options": options})

    def _optimizer_option(self, key: str, value: Any) -> None:
        self.edit({"optimizer_options": {**self.settings["optimizer_options"], key: value}})

    def _scheduler_chosen(self) -> None:
        name = self.scheduler.currentData()
        options: dict[str, Any] = {}
        if name is not None:
            for option, parameter in _parameters(getattr(lr_scheduler, name)).items():
                if parameter.default is inspect.Parameter.empty and option in REQUIRED_DEFAULTS:
                    options[option] = REQUIRED_DEFAULTS[option]
        self.edit({"scheduler": name, "scheduler_options": options})

    def _scheduler_option(self, key: str, value: Any) -> None:
        options = dict(self.settings["scheduler_options"])
        if value is None:
            options.pop(key, None)
        else:
            options[key] = value
        self.edit({"scheduler_options": options})

    def _metrics_edited(self) -> None:
        chosen = [name for name, box in self.metric_boxes.items() if box.isChecked()]
        others = [m for m in self.settings["metrics"] if m not in self.metric_boxes]  # e.g. "top10"
        self.edit({"metrics": chosen + others})

    # ---------------------------------------------------------------------------------- showing ---
    def sync(self) -> None:
        s = self.settings
        blockers = [QSignalBlocker(w) for w in (self.optimizer, self.lr, self.scheduler, self.batch_size,
                                                 self.epochs, self.loss, self.seed,
                                                 *self.metric_boxes.values())]
        self.optimizer.setCurrentText(s["optimizer"])
        options = s["optimizer_options"]
        self.lr.setValue(float(options.get("lr", _default_option(s["optimizer"], "lr"))))
        self.scheduler.setCurrentIndex(max(0, self.scheduler.findData(s["scheduler"])))
        self.batch_size.setValue(s["batch_size"])
        self.epochs.setValue(s["epochs"])
        self.loss.setCurrentIndex(max(0, self.loss.findData(s["loss"])))
        for name, box in self.metric_boxes.items():
            box.setChecked(name in s["metrics"])
        self.seed.setValue(-1 if s["seed"] is None else s["seed"])
        del blockers
        self._sync_option_rows()

    def _sync_option_rows(self) -> None:
        s = self.settings
        built = (s["optimizer"], s["scheduler"])
        if built != self._built:
            self._built = built
            names = OPTIMIZER_OPTIONS.get(s["optimizer"], DEFAULT_OPTIMIZER_OPTIONS)
            _fill(self.optimizer_options, [(n, _default_option(s["optimizer"], n), False) for n in names],
                  self._optimizer_option)
            scheduler = s["scheduler"]
            fields = [(n, scheduler_default(scheduler, n), (scheduler, n) in AUTO_OPTIONS)
                      for n in SCHEDULER_OPTIONS.get(scheduler or "", ())]
            _fill(self.scheduler_options, fields, self._scheduler_option)
        self.scheduler_options.setVisible(s["scheduler"] is not None)
        for row, values in ((self.optimizer_options, s["optimizer_options"]),
                            (self.scheduler_options, s["scheduler_options"])):
            for editor in row.findChildren(QWidget):
                key = editor.property("option")
                if key:
                    with QSignalBlocker(editor):
                        _show(editor, values.get(key))


def _default_option(optimizer: str, option: str) -> Any:
    default = _typed_default(_parameters(getattr(optim, optimizer))[option])
    return 0.0 if default is None else default


def _fill(row: QWidget, fields: list[tuple[str, Any, bool]], commit: Any) -> None:
    """Rebuild an options row: one editor per (name, default, auto) field; `commit(name, value)`."""
    form = row.layout()
    assert isinstance(form, QFormLayout)
    while form.rowCount():
        form.removeRow(0)
    for name, default, auto in fields:
        editor: QWidget
        if isinstance(default, list) or name == "milestones":
            editor = QLineEdit()
            editor.setPlaceholderText("epochs, e.g. 30, 60")
            editor.editingFinished.connect(lambda e=editor, n=name: _commit_list(e, n, commit))
        elif isinstance(default, bool):
            editor = QCheckBox()
            editor.toggled.connect(lambda v, n=name: commit(n, v))
        elif isinstance(default, int) and not auto:
            editor = QSpinBox()
            editor.setRange(0, 1_000_000)
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(lambda v, n=name: commit(n, v))
        else:
            spin = SciSpin(-1.0 if auto else 0.0, 1e6)
            if auto:
                spin.setSpecialValueText("auto")  # the minimum: filled in from the run (see AUTO_OPTIONS)
            spin.valueChanged.connect(lambda v, n=name, a=auto, s=spin: commit(
                n, None if a and v == s.minimum() else (int(v) if n == "T_max" else v)))
            editor = spin
        editor.setObjectName(f"option_{name}")
        editor.setProperty("option", name)
        editor.setProperty("default", default if not auto else None)
        form.addRow(name.replace("_", " "), editor)


def _commit_list(editor: QLineEdit, name: str, commit: Any) -> None:
    try:
        values = [int(part) for part in editor.text().replace(";", ",").split(",") if part.strip()]
    except ValueError:
        editor.setStyleSheet("border: 1px solid #c33")
        editor.setToolTip(f"{name}: whole numbers separated by commas")
        return
    editor.setStyleSheet("")
    editor.setToolTip("")
    commit(name, values)


def _show(editor: QWidget, value: Any) -> None:
    default = editor.property("default")
    shown = default if value is None else value
    if isinstance(editor, QLineEdit):
        editor.setText(", ".join(str(v) for v in shown or []))
    elif isinstance(editor, QCheckBox):
        editor.setChecked(bool(shown))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(shown or 0))
    elif isinstance(editor, QDoubleSpinBox):
        editor.setValue(editor.minimum() if shown is None else float(shown))
