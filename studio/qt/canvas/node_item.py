"""A node on the canvas: title, key parameters, output shape and parameter count, ports with names.

Painted with QPainter from cached QStaticTexts (rebuilt only when what they show changes); zoomed out,
only the box is drawn. Errors turn the node red and put the message in its tooltip.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QStaticText
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from studio.graph.blocks import BLOCK_TYPE
from studio.graph.inference import ERROR, NodeInfo
from studio.graph.model import Node
from studio.graph.shapes import format_shape

from .port_item import PortItem

WIDTH = 190.0
HEADER = 22.0
LINE = 15.0
ROW = 18.0
PAD = 6.0
DETAIL_LOD = 0.45  # below this zoom the texts are skipped

TITLE_FONT = QFont()
TITLE_FONT.setPointSizeF(9.0)
TITLE_FONT.setBold(True)
BODY_FONT = QFont()
BODY_FONT.setPointSizeF(8.0)
_BODY_METRICS: QFontMetricsF | None = None

HEADER_COLOR = {"input": QColor("#3d6b4f"), "output": QColor("#6b3d5e"), "loss": QColor("#6b5a3d"),
                "target": QColor("#3d6b4f"), "block": QColor("#4a4f8a")}
DEFAULT_HEADER = QColor("#3c5a7a")
BODY = QColor("#2b2f36")
ERROR_BODY = QColor("#5c2626")
ERROR_PEN = QPen(QColor("#ff4d4d"), 2.0)
NORMAL_PEN = QPen(QColor("#15181c"), 1.0)
SELECTED_PEN = QPen(QColor("#ffcc33"), 2.0)
TEXT = QColor("#e8eaed")
DIM_TEXT = QColor("#a9b0bb")


def _metrics() -> QFontMetricsF:
    global _BODY_METRICS
    if _BODY_METRICS is None:
        _BODY_METRICS = QFontMetricsF(BODY_FONT)
    return _BODY_METRICS


def _static(text: str, font: QFont) -> QStaticText:
    static = QStaticText(text)
    static.setTextFormat(Qt.TextFormat.PlainText)
    static.prepare(font=font)
    return static


def format_value(value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) > 1 and all(v == value[0] for v in value):
            return str(value[0])
        return "×".join(str(v) for v in value) if value else "()"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_count(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.2f}M"


def block_title(node: Node) -> str:
    """Blocks always show their repeat count: 'Encoder × 6', 'Encoder × 1'."""
    return f"{node.params.get('block', '')} × {node.params.get('repeat', 1)}"


def key_params(node: Node) -> str:
    if node.type == BLOCK_TYPE:
        return "block: double-click to open"
    parts = []
    for spec in node.spec.params:
        if spec.name == "spectral_norm" or spec.kind == "bool" and not node.params.get(spec.name):
            continue
        parts.append(f"{spec.name}={format_value(node.params.get(spec.name))}")
        if len(parts) == 3:
            break
    return ", ".join(parts)


class NodeItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 1

    def __init__(self, node: Node, inputs: list[str], outputs: list[str]) -> None:
        super().__init__()
        self.node = node
        self.node_id = node.id
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self.has_error = False
        self.error_message = ""
        self.caption = ""
        self.params_text = ""
        self.shape_text = ""
        self._key: tuple | None = None
        self._texts: dict[str, QStaticText] = {}
        self._height = HEADER
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.set_ports(inputs, outputs)
        self.setPos(QPointF(*node.position))

    def type(self) -> int:
        return self.Type

    # ------------------------------------------------------------------------------------ ports ---
    def set_ports(self, inputs: list[str], outputs: list[str]) -> None:
        if list(self.inputs) == inputs and list(self.outputs) == outputs:
            return
        for port in [*self.inputs.values(), *self.outputs.values()]:
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        self.prepareGeometryChange()
        rows = max(len(inputs), len(outputs), 1)
        top = HEADER + 2 * LINE + PAD
        self._height = top + rows * ROW + PAD / 2
        self.inputs = {name: PortItem(self, name, False) for name in inputs}
        self.outputs = {name: PortItem(self, name, True) for name in outputs}
        for i, port in enumerate(self.inputs.values()):
            port.setPos(0.0, top + (i + 0.5) * ROW)
        for i, port in enumerate(self.outputs.values()):
            port.setPos(WIDTH, top + (i + 0.5) * ROW)
        self._texts = {k: v for k, v in self._texts.items() if not k.startswith("port:")}
        for name in [*inputs, *outputs]:
            self._texts["port:" + name] = _static(name, BODY_FONT)

    def port(self, name: str, output: bool) -> PortItem | None:
        return (self.outputs if output else self.inputs).get(name)

    # ------------------------------------------------------------------------------ model -> item ---
    def refresh(self, info: NodeInfo | None) -> None:
        """Show the node's current params, label and inferred outputs; cheap when nothing changed."""
        node = self.node
        outputs = info.outputs if info is not None else {}
        status = info.status if info is not None else ""
        message = info.message if info is not None else ""
        params = info.cost.params if info is not None and info.cost is not None else None
        key = (node.title, node.type, tuple(sorted(node.params.items(), key=lambda kv: kv[0])),
               tuple(outputs.items()), status, message, params)
        if key == self._key:
            return
        self._key = key
        self.has_error = status == ERROR
        self.error_message = message if self.has_error else ""
        if node.type == BLOCK_TYPE:
            self.caption = block_title(node)
            sub = node.id
        else:
            self.caption = node.title
            sub = node.type if node.label or node.type.lower() not in node.id else ""
        self.params_text = key_params(node)
        shown = [format_shape(s) for s in outputs.values()]
        self.shape_text = "→ " + ", ".join(shown) if shown else ""
        count = f"{format_count(params)} params" if params else ""
        elide = _metrics().elidedText
        width = WIDTH - 16
        self._texts["title"] = _static(self.caption, TITLE_FONT)
        self._texts["sub"] = _static(sub, BODY_FONT)
        right = Qt.TextElideMode.ElideRight
        self._texts["params"] = _static(elide(self.params_text, right, width), BODY_FONT)
        line = "   ".join(t for t in (self.shape_text, count) if t)
        self._texts["shape"] = _static(elide(line, right, width), BODY_FONT)
        tip = f"{node.type}: {message}" if message else f"{node.type} — {node.spec.doc}"
        self.setToolTip(f"⚠ {self.error_message}" if self.has_error else tip)
        self.update()

    # ---------------------------------------------------------------------------------- painting ---
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(-2, -2, WIDTH + 4, self._height + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(0, 0, WIDTH, self._height))
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = QRectF(0, 0, WIDTH, self._height)
        pen = SELECTED_PEN if self.isSelected() else ERROR_PEN if self.has_error else NORMAL_PEN
        header = HEADER_COLOR.get(self.node.spec.role, DEFAULT_HEADER)
        if lod < DETAIL_LOD:
            painter.setPen(pen)
            painter.setBrush(ERROR_BODY if self.has_error else header)
            painter.drawRect(rect)
            return
        painter.setPen(pen)
        painter.setBrush(QBrush(ERROR_BODY if self.has_error else BODY))
        painter.drawRoundedRect(rect, 5, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(header)
        painter.drawRoundedRect(QRectF(1, 1, WIDTH - 2, HEADER - 1), 4, 4)
        texts = self._texts
        if "title" not in texts:
            return
        painter.setFont(TITLE_FONT)
        painter.setPen(TEXT)
        painter.drawStaticText(QPointF(8, 4), texts["title"])
        painter.setFont(BODY_FONT)
        painter.setPen(DIM_TEXT)
        sub = texts["sub"]
        painter.drawStaticText(QPointF(WIDTH - 8 - sub.size().width(), 5), sub)
        painter.drawStaticText(QPointF(8, HEADER + 3), texts["params"])
        painter.setPen(TEXT)
        painter.drawStaticText(QPointF(8, HEADER + 3 + LINE), texts["shape"])
        painter.setPen(DIM_TEXT)
        for name, port in self.inputs.items():
            painter.drawStaticText(QPointF(10, port.y() - 8), texts["port:" + name])
        for name, port in self.outputs.items():
            text = texts["port:" + name]
            painter.drawStaticText(QPointF(WIDTH - 10 - text.size().width(), port.y() - 8), text)

    # ------------------------------------------------------------------------------------ events ---
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.scene() is not None:
            self.scene().node_item_moved(self)
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.scene() is not None:
            self.scene().node_double_clicked(self)
        event.accept()
