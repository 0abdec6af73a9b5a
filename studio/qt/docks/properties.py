"""The properties dock: a form for the selected node, generated from its registry schema.

Each finished edit is one SetParam (or SetLabel) through `document.execute` (wrapped in InBlock while
the canvas edits inside a block: the selection then names the block's inner nodes), so it is one undo step; a
value the model refuses is marked on its editor with the reason, and the editor shows the model's value
again. The form follows the model on every `document.changed` (undo, redo, the canvas) with its editors'
signals blocked, so showing a value never edits it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.graph.blocks import BLOCK_TYPE
from studio.graph.commands import SetLabel, SetParam
from studio.graph.inference import ERROR, OK, NodeInfo
from studio.graph.model import Node
from studio.graph.shapes import format_shape
from studio.qt.document import Document

from .param_widgets import ParamEditor, display_name, make_editor

PLACEHOLDER_NONE = "Select a node to edit its properties."
PLACEHOLDER_MANY = "{count} nodes selected: select one to edit its properties."


def si(value: float) -> str:
    """1234567 -> '1.23 M'."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {suffix}"
    return f"{value:g}"


def _shapes(ports: dict[str, Any]) -> str:
    """`N×16×26×26` for one port, `out: N×L×128, hidden: 1×N×128` for several."""
    if len(ports) == 1:
        return format_shape(next(iter(ports.values())))
    return ", ".join(f"{port}: {format_shape(shape)}" for port, shape in ports.items())


class PropertiesDock(QDockWidget):
    """Label, type, parameters and inferred shapes/costs of the one selected node."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__("Properties", parent)
        self.setObjectName("propertiesDock")
        self.document = document
        self.editors: dict[str, ParamEditor] = {}
        self._node_id: str | None = None
        self._built: tuple | None = None  # what the form was built for; a different key rebuilds it
        self._last_message = ""
        self._built_now = False

        self.stack = QStackedWidget(self)
        self.placeholder = QLabel(PLACEHOLDER_NONE, self.stack)
        self.placeholder.setObjectName("propertiesPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self._make_page())
        self.setWidget(self.stack)

        document.selection_changed.connect(self._sync)
        document.changed.connect(self._sync)
        document.project_replaced.connect(self._sync)
        document.block_path_changed.connect(self._sync)
        document.message.connect(self._remember)
        self._sync()

    def _make_page(self) -> QScrollArea:
        scroll = QScrollArea(self.stack)
        scroll.setObjectName("propertiesScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget(scroll)
        self._page_layout = layout = QVBoxLayout(page)
        self.type_label = QLabel(page)
        self.type_label.setObjectName("propertiesType")
        self.type_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.type_label.font()
        font.setBold(True)
        self.type_label.setFont(font)
        self.doc_label = self._wrapping_label(page, "propertiesDoc")
        self.label_edit = QLineEdit(page)
        self.label_edit.setObjectName("propertiesLabel")
        self.label_edit.setToolTip("A name shown on the canvas; the node id stays the same")
        self.label_edit.editingFinished.connect(self._label_finished)
        general = QFormLayout()
        general.addRow("Label", self.label_edit)
        self.params_box = QWidget(page)
        self.params_box.setObjectName("propertiesParams")
        self.shape_label = self._wrapping_label(page, "propertiesShape")
        self.cost_label = self._wrapping_label(page, "propertiesCost")
        self.error_label = self._wrapping_label(page, "propertiesError")
        self.error_label.setStyleSheet("color: #d9534f;")
        for widget in (self.type_label, self.doc_label):
            layout.addWidget(widget)
        layout.addLayout(general)
        layout.addWidget(self.params_box)
        for widget in (self.shape_label, self.cost_label, self.error_label):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll.setWidget(page)
        return scroll

    @staticmethod
    def _wrapping_label(parent: QWidget, name: str) -> QLabel:
        label = QLabel(parent)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # -------------------------------------------------------------------------------- following ---
    def node(self) -> Node | None:
        """The node the form shows, if any."""
        return self.document.current_graph().nodes.get(self._node_id) if self._node_id else None

    def _sync(self, *_: Any) -> None:
        """Show the single selected node (rebuilding the form only when it is another node)."""
        graph = self.document.current_graph()
        selection = [n for n in self.document.selection() if n in graph.nodes]
        if len(selection) != 1:
            self._node_id, self._built = None, None
            self.placeholder.setText(PLACEHOLDER_MANY.format(count=len(selection)) if selection
                                     else PLACEHOLDER_NONE)
            self.stack.setCurrentIndex(0)
            return
        node = graph.nodes[selection[0]]
        self._node_id = node.id
        blocks = tuple(sorted(graph.blocks)) if node.type == BLOCK_TYPE else ()
        key = (node.id, node.type, id(node), id(graph), blocks)
        if key != self._built:
            self._build(node)
            self._built = key
            self._built_now = True
        self._show(node)
        self.stack.setCurrentIndex(1)

    def _build(self, node: Node) -> None:
        spec = node.spec
        self.type_label.setText(f"{spec.type}  ({node.id})")
        self.doc_label.setText(spec.doc)
        self.label_edit.setPlaceholderText(node.id)
        old = self.params_box
        self.params_box = QWidget(old.parentWidget())
        self.params_box.setObjectName("propertiesParams")
        self._page_layout.replaceWidget(old, self.params_box)
        for editor in self.editors.values():  # their pending signals must not reach the new node
            editor.committed.disconnect()
            editor.unreadable.disconnect()
        old.deleteLater()
        self.editors = {}
        form = QFormLayout(self.params_box)
        form.setContentsMargins(0, 0, 0, 0)
        if not spec.params:
            form.addRow(QLabel("No parameters.", self.params_box))
        for param in spec.params:
            choices = tuple(sorted(self.document.current_graph().blocks)) \
                if node.type == BLOCK_TYPE and param.name == "block" else ()
            editor = make_editor(param, self.params_box, choices=choices)
            editor.committed.connect(partial(self._commit, param.name))
            editor.unreadable.connect(partial(self._unreadable, param.name))
            self.editors[param.name] = editor
            if param.kind == "bool" and not param.optional:
                form.addRow(editor)  # the check box carries the name
            else:
                label = QLabel(display_name(param.name), self.params_box)
                label.setToolTip(param.doc)
                form.addRow(label, editor)

    def _show(self, node: Node) -> None:
        typing = self.label_edit.hasFocus() and self.label_edit.isModified()
        if not typing or self._built_now:
            with QSignalBlocker(self.label_edit):
                self.label_edit.setText(node.label)
        self._built_now = False
        for name, editor in self.editors.items():
            editor.set_value(node.params.get(name))
            editor.set_error(None)
        self._show_info(node)

    def _show_info(self, node: Node) -> None:
        info = self.document.node_info(node.id) or NodeInfo()
        if info.outputs:
            self.shape_label.setText(f"Output: {_shapes(info.outputs)}")
        else:  # an Output node: what it receives is what the model returns
            self.shape_label.setText(f"Input: {_shapes(info.inputs) if info.inputs else '?'}")
        cost = info.cost
        if info.status == OK and cost is not None:
            self.cost_label.setText(f"Parameters: {cost.params:,}    FLOPs: {si(cost.flops)} per sample")
        else:
            self.cost_label.setText("Parameters: ?    FLOPs: ?")
        self.error_label.setVisible(bool(info.message))
        prefix = "Error: " if info.status == ERROR else ""
        self.error_label.setStyleSheet("color: #d9534f;" if info.status == ERROR else "color: gray;")
        self.error_label.setText(prefix + info.message)

    # ------------------------------------------------------------------------------------ edits ---
    def _remember(self, message: str) -> None:
        self._last_message = message

    def _commit(self, name: str, value: Any) -> None:
        node = self.node()
        if node is None or name not in node.params:
            return
        if value == node.params[name]:
            return  # e.g. focus left an untouched field: no empty undo step
        self._last_message = ""
        if not self.document.execute(self.document.in_current_graph(SetParam(node.id, name, value))):
            self._refused(name, self._last_message or f"{name} was refused")

    def _unreadable(self, name: str, reason: str) -> None:
        self._refused(name, reason)
        self.document.message.emit(reason)

    def _refused(self, name: str, reason: str) -> None:
        node, editor = self.node(), self.editors.get(name)
        if node is None or editor is None:
            return
        editor.set_value(node.params[name])
        editor.set_error(reason)

    def _label_finished(self) -> None:
        node = self.node()
        self.label_edit.setModified(False)
        if node is not None and self.label_edit.text() != node.label:
            self.document.execute(self.document.in_current_graph(SetLabel(node.id, self.label_edit.text())))
