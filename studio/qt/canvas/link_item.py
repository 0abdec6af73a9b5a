"""Wires: a cubic curve from an output port to an input port, labelled with the tensor shape it carries.
`WireItem` is the bare curve (also the live rubber wire of a connection drag); `LinkItem` mirrors one
model Link."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QStaticText
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from studio.graph.model import Link

from .node_item import DETAIL_LOD
from .port_item import PortItem

WIRE = QColor("#8a96a8")
WIRE_ERROR = QColor("#ff4d4d")
WIRE_OK = QColor("#5fd38d")
LABEL_FONT = QFont()
LABEL_FONT.setPointSizeF(7.5)
LABEL_BG = QColor(30, 33, 38, 220)
LABEL_TEXT = QColor("#d6dbe3")


def wire_path(a: QPointF, b: QPointF) -> QPainterPath:
    path = QPainterPath(a)
    bend = max(40.0, abs(b.x() - a.x()) * 0.5)
    path.cubicTo(QPointF(a.x() + bend, a.y()), QPointF(b.x() - bend, b.y()), b)
    return path


class WireItem(QGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self._a, self._b = QPointF(), QPointF()
        self._path = QPainterPath()
        self.color = WIRE
        self.dashed = False
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(-1)

    def set_ends(self, a: QPointF, b: QPointF) -> None:
        if a == self._a and b == self._b and not self._path.isEmpty():
            return
        self.prepareGeometryChange()
        self._a, self._b = QPointF(a), QPointF(b)
        self._path = wire_path(self._a, self._b)

    def set_color(self, color: QColor) -> None:
        if color != self.color:
            self.color = color
            self.update()

    def ends(self) -> tuple[QPointF, QPointF]:
        return QPointF(self._a), QPointF(self._b)

    def path(self) -> QPainterPath:
        return QPainterPath(self._path)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._path.controlPointRect().adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        pen = QPen(self.color, 2.0)
        if self.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)


class LinkItem(WireItem):
    Type = QGraphicsItem.UserType + 3

    def __init__(self, link: Link, src: PortItem, dst: PortItem) -> None:
        super().__init__()
        self.link, self.src, self.dst = link, src, dst
        self.label = ""
        self._static: QStaticText | None = None
        self._label_size = QRectF()
        self.update_ends()

    def type(self) -> int:
        return self.Type

    def update_ends(self) -> None:
        self.set_ends(self.src.anchor(), self.dst.anchor())

    def set_label(self, text: str, error: bool = False) -> None:
        self.set_color(WIRE_ERROR if error else WIRE)
        if text == self.label:
            return
        self.prepareGeometryChange()
        self.label = text
        if text:
            self._static = QStaticText(text)
            self._static.setTextFormat(Qt.TextFormat.PlainText)
            self._static.prepare(font=LABEL_FONT)
            width = QFontMetricsF(LABEL_FONT).horizontalAdvance(text)
            self._label_size = QRectF(0, 0, width + 8, 14)
        else:
            self._static = None
            self._label_size = QRectF()
        self.update()

    def label_rect(self) -> QRectF:
        mid = self._path.pointAtPercent(0.5)
        size = self._label_size
        return QRectF(mid.x() - size.width() / 2, mid.y() - size.height() / 2, size.width(), size.height())

    def boundingRect(self) -> QRectF:  # noqa: N802
        return super().boundingRect().united(self.label_rect().adjusted(-1, -1, 1, 1))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        super().paint(painter, option, widget)
        if self._static is None or option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_LOD:
            return
        rect = self.label_rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(LABEL_BG))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setFont(LABEL_FONT)
        painter.setPen(LABEL_TEXT)
        painter.drawStaticText(QPointF(rect.x() + 4, rect.y() + 1), self._static)
