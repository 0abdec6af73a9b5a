"""One editor widget per ParamSpec kind, for the properties form.

Every editor emits `committed(value)` once per finished edit (Enter, focus out, a click, an arrow step),
never per keystroke, and `set_value(value)` shows a value without emitting anything, so the form can
follow the model (undo, other widgets) without feedback loops. The model validates; an editor only keeps
its input well-formed and shows a refusal with `set_error`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Signal
from PySide6.QtGui import QRegularExpressionValidator, QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from studio.graph.registry import ParamSpec

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # QSpinBox holds a C int
FLOAT_LIMIT = 1e12
_ERROR_STYLE = "QAbstractSpinBox, QLineEdit, QComboBox, QCheckBox { border: 1px solid #d9534f; }"
_PARTIAL_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d*)?([eE][+-]?\d*)?$")
_SEPARATORS = re.compile(r"[,\s×x]+")


def display_name(name: str) -> str:
    """The row label of a parameter (the SpectralNorm wrapper is spelled as in torch)."""
    return "SpectralNorm" if name == "spectral_norm" else name


def parse_ints(text: str) -> tuple[int, ...]:
    """`"3, 3"`, `"(3, 3)"`, `"3x3"` or `"3 3"` -> (3, 3); an empty text is (). Raises ValueError."""
    body = text.strip().strip("()[]").strip()
    if not body:
        return ()
    return tuple(int(part) for part in _SEPARATORS.split(body) if part)


def format_ints(values: Any) -> str:
    return ", ".join(str(v) for v in values)


class _NoWheelMixin:
    """Spin boxes and combos in a scrolling form must not change when the wheel merely passes over them."""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class IntSpin(_NoWheelMixin, QSpinBox):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        low = INT_MIN if spec.minimum is None else max(INT_MIN, math.ceil(spec.minimum))
        high = INT_MAX if spec.maximum is None else min(INT_MAX, math.floor(spec.maximum))
        self.setRange(low, high)
        self.setKeyboardTracking(False)  # valueChanged on Enter / focus out / steps only


class FloatSpin(_NoWheelMixin, QDoubleSpinBox):
    """Shows floats in the shortest form (`1e-05`, `0.1`) and accepts any float syntax."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(10)
        low = -FLOAT_LIMIT if spec.minimum is None else spec.minimum
        high = FLOAT_LIMIT if spec.maximum is None else spec.maximum
        self.setRange(low, high)
        default = spec.default if isinstance(spec.default, (int, float)) else 0.0
        step = 10.0 ** math.floor(math.log10(abs(default))) if default else 0.1
        self.setSingleStep(min(step, 1.0))
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return format(value, ".8g")

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt's name
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            state = QValidator.State.Intermediate if _PARTIAL_FLOAT.match(stripped) else \
                QValidator.State.Invalid
            return state, text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos


class _Combo(_NoWheelMixin, QComboBox):
    pass


class ParamEditor(QWidget):
    """Base: a row widget for one parameter; subclasses fill `self.layout()` and implement the value."""

    committed = Signal(object)  # the value of a finished edit
    unreadable = Signal(str)  # typed text that is no value at all: the reason (the form reverts)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.error = ""
        self.setObjectName(f"param_{spec.name}")
        self.setToolTip(spec.doc)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

    def inputs(self) -> list[QWidget]:
        """The widgets a user types into or clicks."""
        raise NotImplementedError

    def value(self) -> Any:
        """The value the widgets show; ValueError when typed text cannot be read."""
        raise NotImplementedError

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        blockers = [QSignalBlocker(w) for w in self.inputs()]
        try:
            self._show(value)
        finally:
            del blockers

    def set_error(self, message: str | None) -> None:
        """Mark the editor as refused (red border, the reason as tooltip), or clear the mark."""
        self.error = message or ""
        self.setStyleSheet(_ERROR_STYLE if message else "")
        self.setToolTip(message or self.spec.doc)
        self.setProperty("invalid", bool(message))

    def _commit(self, *_: Any) -> None:
        try:
            value = self.value()
        except ValueError as error:
            self.unreadable.emit(str(error))
            return
        self.committed.emit(value)


class IntEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.spin = IntSpin(spec, self)
        self.spin.setObjectName(f"param_{spec.name}_spin")
        self.layout().addWidget(self.spin)
        self.spin.valueChanged.connect(self._commit)

    def inputs(self) -> list[QWidget]:
        return [self.spin]

    def value(self) -> int:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        self.spin.setValue(int(value))


class FloatEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.spin = FloatSpin(spec, self)
        self.spin.setObjectName(f"param_{spec.name}_spin")
        self.layout().addWidget(self.spin)
        self.spin.valueChanged.connect(self._commit)

    def inputs(self) -> list[QWidget]:
        return [self.spin]

    def value(self) -> float:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        self.spin.setValue(float(value))


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.check = QCheckBox(display_name(spec.name), self)
        self.check.setObjectName(f"param_{spec.name}_check")
        self.layout().addWidget(self.check)
        self.layout().addStretch(1)  # only the box and its text take clicks
        self.check.toggled.connect(self._commit)

    def inputs(self) -> list[QWidget]:
        return [self.check]

    def value(self) -> bool:
        return self.check.isChecked()

    def _show(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None, choices: tuple = ()) -> None:
        super().__init__(spec, parent)
        self.combo = _Combo(self)
        self.combo.setObjectName(f"param_{spec.name}_combo")
        for choice in choices or spec.choices:
            self.combo.addItem(str(choice), choice)
        self.layout().addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self._commit)

    def inputs(self) -> list[QWidget]:
        return [self.combo]

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, value: Any) -> None:
        index = self.combo.findData(value)
        if index < 0:  # a value the list does not offer (a missing block definition): show it anyway
            self.combo.addItem(str(value), value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class IntsEditor(ParamEditor):
    """A fixed-length tuple of ints (kernel_size, stride, padding): one spin box per entry."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.spins: list[IntSpin] = []
        for i in range(spec.length or 1):
            spin = IntSpin(spec, self)
            spin.setObjectName(f"param_{spec.name}_{i}")
            spin.valueChanged.connect(self._commit)
            self.layout().addWidget(spin)
            self.spins.append(spin)

    def inputs(self) -> list[QWidget]:
        return list(self.spins)

    def value(self) -> tuple[int, ...]:
        return tuple(spin.value() for spin in self.spins)

    def _show(self, value: Any) -> None:
        values = (value,) * len(self.spins) if isinstance(value, int) else tuple(value)
        for spin, v in zip(self.spins, values):
            spin.setValue(int(v))


class _TextEditor(ParamEditor):
    """A line edit committing on editingFinished, only when the text differs from what was shown."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QLineEdit(self)
        self.edit.setObjectName(f"param_{spec.name}_edit")
        self.layout().addWidget(self.edit)
        self._shown = ""
        self.edit.editingFinished.connect(self._finished)

    def inputs(self) -> list[QWidget]:
        return [self.edit]

    def _finished(self) -> None:
        if self.edit.text() != self._shown:
            self._commit()

    def _set_text(self, text: str) -> None:
        self._shown = text
        self.edit.setText(text)


class SequenceEditor(_TextEditor):
    """A tuple of any length ('shape', or 'ints' without a fixed length), typed as `3, 3`."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        pattern = QRegularExpression(r"[\s\d,+\-()\[\]x×]*")
        self.edit.setValidator(QRegularExpressionValidator(pattern, self.edit))
        self.edit.setPlaceholderText("e.g. 3, 3" if spec.kind == "ints" else "e.g. 1, 28, 28 (empty: scalar)")

    def value(self) -> tuple[int, ...]:
        try:
            return parse_ints(self.edit.text())
        except ValueError:
            raise ValueError(f"{self.spec.name}: type whole numbers separated by commas, "
                             f"not {self.edit.text()!r}") from None

    def _show(self, value: Any) -> None:
        self._set_text(format_ints((value,) if isinstance(value, int) else value))


class StrEditor(_TextEditor):
    def value(self) -> str:
        return self.edit.text()

    def _show(self, value: Any) -> None:
        self._set_text(str(value))


class OptionalEditor(ParamEditor):
    """An optional parameter: a "none" check box beside the editor of its kind."""

    def __init__(self, spec: ParamSpec, inner: ParamEditor, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.inner = inner
        inner.setParent(self)
        inner.setObjectName(f"param_{spec.name}_value")
        self.none = QCheckBox("none", self)
        self.none.setObjectName(f"param_{spec.name}_none")
        self.none.setToolTip(f"leave {spec.name} unset (None)")
        self.layout().addWidget(inner, 1)
        self.layout().addWidget(self.none)
        self.none.toggled.connect(self._none_toggled)
        inner.committed.connect(self._inner_committed)
        inner.unreadable.connect(self.unreadable)
        inner.set_value(fallback(spec))

    def inputs(self) -> list[QWidget]:
        return [self.none, *self.inner.inputs()]

    def value(self) -> Any:
        return None if self.none.isChecked() else self.inner.value()

    def _show(self, value: Any) -> None:
        self.none.setChecked(value is None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def _none_toggled(self, checked: bool) -> None:
        self.inner.setEnabled(not checked)
        self._commit()

    def _inner_committed(self, value: Any) -> None:
        if not self.none.isChecked():
            self.committed.emit(value)


def fallback(spec: ParamSpec) -> Any:
    """What an optional parameter's editor offers when it leaves None (the default being None)."""
    if spec.default is not None:
        return spec.default
    # with a minimum (sizes, strides) 1 or the minimum; without one (an index) 0
    low = 0 if spec.minimum is None else max(spec.minimum, 1)
    if spec.kind == "int":
        return int(low)
    if spec.kind == "float":
        return float(max(low, 1.0))
    if spec.kind in ("ints", "shape"):
        return (int(max(low, 1)),) * (spec.length or 1)
    if spec.kind == "bool":
        return False
    if spec.kind == "choice":
        return spec.choices[0] if spec.choices else None
    return ""


def make_editor(spec: ParamSpec, parent: QWidget | None = None, *, choices: tuple = ()) -> ParamEditor:
    """The editor for `spec`; `choices` turns a 'str' parameter into a list (e.g. a Block's definition)."""
    kind = spec.kind
    editor: ParamEditor
    if kind == "int":
        editor = IntEditor(spec)
    elif kind == "float":
        editor = FloatEditor(spec)
    elif kind == "bool":
        editor = BoolEditor(spec)
    elif kind == "choice" or (kind == "str" and choices):
        editor = ChoiceEditor(spec, choices=choices)
    elif kind == "ints" and spec.length:
        editor = IntsEditor(spec)
    elif kind in ("ints", "shape"):
        editor = SequenceEditor(spec)
    else:
        editor = StrEditor(spec)
    if spec.optional:
        return OptionalEditor(spec, editor, parent)
    editor.setParent(parent)
    return editor
