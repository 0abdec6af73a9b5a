"""A node's port: a small circle, child of its NodeItem. Dragging from it draws a live wire (the scene
decides what the drop means); NodeItem paints the port names so each port stays a trivial item."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem, QWidget

if TYPE_CHECKING:
    from .node_item import NodeItem

RADIUS = 5.0
HIT = 9.0  # generous hit area: ports are small targets

_FILL = {False: QColor("#5b8dd9"), True: QColor("#e0a03c")}
_OUTLINE = QPen(QColor("#20242a"), 1.2)


class PortItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 2

    def __init__(self, node: NodeItem, name: str, is_output: bool) -> None:
        super().__init__(node)
        self.node, self.name, self.is_output = node, name, is_output
        self.highlight: QColor | None = None
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(1)

    def type(self) -> int:
        return self.Type

    @property
    def node_id(self) -> str:
        return self.node.node_id

    def anchor(self) -> QPointF:
        """Where wires attach, in scene coordinates."""
        return self.scenePos()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(-HIT, -HIT, 2 * HIT, 2 * HIT)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(_OUTLINE)
        painter.setBrush(QBrush(self.highlight or _FILL[self.is_output]))
        painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)

    def set_highlight(self, color: QColor | None) -> None:
        if color != self.highlight:
            self.highlight = color
            self.update()

    # The port takes the press (so neither the node moves nor a rubber band starts) and hands the gesture
    # to the scene, which owns the live wire.
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.scene() is not None:
            event.accept()
            self.scene().begin_wire(self, event.scenePos())
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.scene().move_wire(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.scene().end_wire(event.scenePos())
