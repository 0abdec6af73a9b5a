"""A node on the canvas: title, key parameters, output shape and parameter count, ports with names.

Painted with QPainter from cached QStaticTexts (rebuilt only when what they show changes); zoomed out,
only the box is drawn. Errors turn the node red and put the message in its tooltip. During and after a
training run a round badge in the header's right corner shows the node's gradient/activation health
(studio/training/health.py): its colour the gradient norm on a log scale (cold = vanishing, green =
healthy, hot = exploding; grey for nodes without parameters), a ring and "!" for warnings and problems,
and the numbers and reasons in the tooltip. Its colours are picked when the health arrives, not in paint.

A capture arrives every few steps for every node, so `set_health` only stores the health: the item
repaints only when what the badge shows (level, colour step: see BADGE_STEPS) changes, and the tooltip
text is built when it is asked for (`toolTip()`, or `sync_tooltip()`, which the scene calls on a hover's
help event).
"""

from __future__ import annotations

import functools
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
from studio.training.health import OK, PROBLEM, NodeHealth

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

BADGE_RADIUS = 6.0
BADGE_RECT = QRectF(WIDTH - 8 - 2 * BADGE_RADIUS, HEADER / 2 - BADGE_RADIUS,
                    2 * BADGE_RADIUS, 2 * BADGE_RADIUS)
BADGE_RECT_FAR = QRectF(WIDTH - 36, 4, 32, 32)  # zoomed out (< DETAIL_LOD): still a few pixels wide
BADGE_SPACE = 2 * BADGE_RADIUS + 4  # the header's right text moves left by this when a badge is shown
# grad-norm colour scale, position 0 (VANISHING_GRAD) .. 1 (EXPLODING_GRAD) on a log scale
BADGE_STOPS = ((0.0, QColor("#7b61ff")), (0.3, QColor("#3fa7d6")), (0.55, QColor("#43b05c")),
               (0.8, QColor("#e0c341")), (1.0, QColor("#e5483b")))
# The colour moves in BADGE_STEPS steps over the scale's 9 decades (0.375 decades, x2.4, each) and a
# shown step changes only when the norm leaves it by more than BADGE_HYSTERESIS steps: the batch-to-batch
# noise of a gradient norm (often +-20 %) then repaints almost no node; the tooltip has the exact norm.
BADGE_STEPS = 24
BADGE_HYSTERESIS = 1.0
NO_GRAD_BADGE = QColor("#8a929e")  # a node without parameters: only its outputs are judged
BADGE_PENS = {OK: QPen(QColor("#15181c"), 1.0), "warning": QPen(QColor("#ffb300"), 2.0),
              PROBLEM: QPen(QColor("#ff3b30"), 2.5)}
GLYPH_COLOR = QColor("#15181c")
_GLYPH: tuple[QStaticText, QPointF] | None = None


def _metrics() -> QFontMetricsF:
    global _BODY_METRICS
    if _BODY_METRICS is None:
        _BODY_METRICS = QFontMetricsF(BODY_FONT)
    return _BODY_METRICS


def _glyph() -> tuple[QStaticText, QPointF]:
    """The badge's "!" and where it goes (centred on the badge); built once."""
    global _GLYPH
    if _GLYPH is None:
        text = _static("!", TITLE_FONT)
        size, centre = text.size(), BADGE_RECT.center()
        _GLYPH = text, QPointF(centre.x() - size.width() / 2, centre.y() - size.height() / 2)
    return _GLYPH


def badge_step(value: float, shown: int | None = None) -> int:
    """The colour step (0 .. BADGE_STEPS) for `value` (0..1). A node already showing step `shown` keeps
    it until the value is BADGE_HYSTERESIS steps away: a gradient norm that jitters around a step's edge
    from one capture to the next does not make its badge flicker (nor repaint it)."""
    exact = min(1.0, max(0.0, value)) * BADGE_STEPS
    if shown is not None and abs(exact - shown) <= BADGE_HYSTERESIS:
        return shown
    return round(exact)


def step_color(step: int) -> QColor:
    """The colour of a badge step: the scale at step / BADGE_STEPS."""
    return QColor(_step_colors()[step])


def badge_color(value: float | None) -> QColor:
    """The badge colour for `value` (0..1): its nearest step on BADGE_STOPS; grey for None."""
    return QColor(NO_GRAD_BADGE) if value is None else step_color(badge_step(value))


@functools.cache
def _step_colors() -> tuple[QColor, ...]:
    return tuple(_scale_color(step / BADGE_STEPS) for step in range(BADGE_STEPS + 1))


def _scale_color(value: float) -> QColor:
    """The colour at `value` (0..1) on BADGE_STOPS, interpolated."""
    for (a, low), (b, high) in zip(BADGE_STOPS, BADGE_STOPS[1:]):
        if value <= b:
            t = (value - a) / (b - a) if b > a else 0.0
            t = min(1.0, max(0.0, t))
            return QColor.fromRgbF(low.redF() + (high.redF() - low.redF()) * t,
                                   low.greenF() + (high.greenF() - low.greenF()) * t,
                                   low.blueF() + (high.blueF() - low.blueF()) * t)
    return QColor(BADGE_STOPS[-1][1])


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
        self.health: NodeHealth | None = None
        self._badge_fill: QBrush | None = None
        self._badge_far: QBrush | None = None  # zoomed out a ring is too thin: warnings fill in their colour
        self._badge_pen = BADGE_PENS[OK]
        self._badge_key: tuple[str, int | None] | None = None  # what the badge shows: level, colour step
        self._base_tip = ""
        self._tip_stale = False  # the health changed since the tooltip text was last set
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
        self._base_tip = f"⚠ {self.error_message}" if self.has_error else tip
        self._tip_stale = True
        if self.health is None:
            self.sync_tooltip()
        self.update()

    def set_health(self, health: NodeHealth | None) -> None:
        """Show (None: remove) the badge for the node's health from the last training capture. Cheap when
        the badge looks the same as before (a new step with similar numbers): no repaint, no text built."""
        if health == self.health:
            return
        self.health = health
        self._tip_stale = True
        key = None
        if health is not None:
            shown = self._badge_key[1] if self._badge_key is not None else None
            key = (health.level, None if health.colour is None else badge_step(health.colour, shown))
        else:
            self.sync_tooltip()  # back to the plain description: no health text to build
        if key == self._badge_key:
            return
        self._badge_key = key
        fill = None if key is None else NO_GRAD_BADGE if key[1] is None else _step_colors()[key[1]]
        self._badge_fill = QBrush(fill) if fill is not None else None
        self._badge_pen = BADGE_PENS[health.level] if health is not None else BADGE_PENS[OK]
        warns = health is not None and health.level != OK
        self._badge_far = QBrush(self._badge_pen.color()) if warns else self._badge_fill
        self.update()

    def sync_tooltip(self) -> None:
        """Set the tooltip text for the current health, when it changed since the last time."""
        if not self._tip_stale:
            return
        self._tip_stale = False
        health = self.health
        self.setToolTip(self._base_tip if health is None else f"{self._base_tip}\n\n{health.tooltip()}")

    def toolTip(self) -> str:  # noqa: N802 - Qt's name
        self.sync_tooltip()
        return super().toolTip()

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
        badge = self._badge_fill
        if lod < DETAIL_LOD:
            painter.setPen(pen)
            painter.setBrush(ERROR_BODY if self.has_error else header)
            painter.drawRect(rect)
            if self._badge_far is not None:  # one ellipse: problems stay visible over a zoomed-out graph
                painter.setPen(NORMAL_PEN)
                painter.setBrush(self._badge_far)
                painter.drawEllipse(BADGE_RECT_FAR)
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
        right = WIDTH - 8 - (BADGE_SPACE if badge is not None else 0.0)
        painter.drawStaticText(QPointF(right - sub.size().width(), 5), sub)
        painter.drawStaticText(QPointF(8, HEADER + 3), texts["params"])
        painter.setPen(TEXT)
        painter.drawStaticText(QPointF(8, HEADER + 3 + LINE), texts["shape"])
        painter.setPen(DIM_TEXT)
        for name, port in self.inputs.items():
            painter.drawStaticText(QPointF(10, port.y() - 8), texts["port:" + name])
        for name, port in self.outputs.items():
            text = texts["port:" + name]
            painter.drawStaticText(QPointF(WIDTH - 10 - text.size().width(), port.y() - 8), text)
        if badge is not None:
            self._paint_badge(painter, badge)

    def _paint_badge(self, painter: QPainter, fill: QBrush) -> None:
        painter.setPen(self._badge_pen)
        painter.setBrush(fill)
        painter.drawEllipse(BADGE_RECT)
        if self.health is not None and self.health.level != OK:
            glyph, at = _glyph()
            painter.setFont(TITLE_FONT)
            painter.setPen(GLYPH_COLOR)
            painter.drawStaticText(at, glyph)

    # ------------------------------------------------------------------------------------ events ---
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.scene() is not None:
            self.scene().node_item_moved(self)
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.scene() is not None:
            self.scene().node_double_clicked(self)
        event.accept()
