"""GraphView: zoom around the cursor, pan (middle button or space+drag), rubber-band selection, the
editing actions the main window calls, palette drops, and a breadcrumb while editing inside a block."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QHBoxLayout, QLabel, QToolButton, QToolTip, QWidget

from studio.graph import registry
from studio.graph.blocks import BLOCK_TYPE
from studio.graph.commands import (
    AddNode,
    GroupIntoBlock,
    MacroCommand,
    MoveNodes,
    Paste,
    RemoveNodes,
    Ungroup,
    copy_selection,
)
from studio.graph.errors import GraphError

from .layout import layered_positions
from .node_item import HEADER, WIDTH
from .scene import GraphScene

LAYER_MIME = "application/x-model-studio-layer"
MIN_SCALE, MAX_SCALE = 0.05, 4.0
STEP = 1.25


class GraphView(QGraphicsView):
    breadcrumb_changed = Signal(list)  # ["Model", "Encoder × 1"] while inside a block; ["Model"] at top

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self._scene = scene  # GraphView(GraphScene(doc)) must not let the scene be collected
        if scene.parent() is None:
            scene.setParent(self)
        self.setObjectName("graphView")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QColor("#1e2126"))
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.last_refusal = ""
        self._pan_from: QPointF | None = None
        self._space = False
        self._crumbs = QWidget(self)
        self._crumbs.setObjectName("breadcrumbBar")
        row = QHBoxLayout(self._crumbs)
        row.setContentsMargins(6, 3, 6, 3)
        self.back_button = QToolButton(self._crumbs)
        self.back_button.setObjectName("breadcrumbBack")
        self.back_button.setText("◀ Back")
        self.back_button.setToolTip("Leave the block (Esc)")
        self.back_button.clicked.connect(self.leave_block)
        self.breadcrumb_label = QLabel(self._crumbs)
        self.breadcrumb_label.setObjectName("breadcrumb")
        row.addWidget(self.back_button)
        row.addWidget(self.breadcrumb_label)
        self._crumbs.setStyleSheet("#breadcrumbBar { background: rgba(40, 44, 52, 220); border-radius: 4px; }"
                                   "#breadcrumb { color: #e8eaed; }")
        self._crumbs.hide()
        scene.block_path_changed.connect(self._show_breadcrumb)
        scene.wire_refused.connect(self._show_refusal)

    def graph_scene(self) -> GraphScene:
        scene = self.scene()
        assert isinstance(scene, GraphScene)
        return scene

    # ---------------------------------------------------------------------------------- zooming ---
    def zoom(self, factor: float, anchor: QPoint | None = None) -> None:
        """Scale by `factor`, keeping the scene point under `anchor` (viewport pixels) where it is."""
        current = self.transform().m11()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        if abs(factor - 1.0) < 1e-9:
            return
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        self.scale(factor, factor)
        after = self.mapToScene(anchor)
        shift = (after - before) * self.transform().m11()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(shift.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(shift.y()))

    def zoom_in(self) -> None:
        self.zoom(STEP)

    def zoom_out(self) -> None:
        self.zoom(1 / STEP)

    def fit_to_view(self) -> None:
        items = list(self.graph_scene().nodes.values())
        if not items:
            self.resetTransform()
            self.centerOn(0, 0)
            return
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1.5 or scale < MIN_SCALE:
            wanted = min(1.5, max(MIN_SCALE, scale))
            self.scale(wanted / scale, wanted / scale)
            self.centerOn(rect.center())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.zoom(1.0015 ** delta, event.position().toPoint())
        event.accept()

    def center_point(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    # ------------------------------------------------------------------------------------ panning ---
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
            self.setInteractive(False)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif key == Qt.Key.Key_Escape and self.graph_scene().block_path:
            self.leave_block()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self._space:
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.setInteractive(True)
        else:
            super().keyReleaseEvent(event)

    # ------------------------------------------------------------------------------------- editing ---
    def selected_ids(self) -> list[str]:
        return self.graph_scene().selected_ids()

    def select_all(self) -> None:
        scene = self.graph_scene()
        scene.select(list(scene.graph.nodes))

    def delete_selection(self) -> bool:
        ids = self.selected_ids()
        return bool(ids) and self.graph_scene().execute(RemoveNodes(ids))

    def copy_selection(self) -> dict[str, Any]:
        """The clipboard data of the selected nodes and the links among them; {} when none is selected."""
        ids = self.selected_ids()
        return copy_selection(self.graph_scene().graph, ids) if ids else {}

    def paste(self, clipboard: dict[str, Any], at: QPointF | None = None) -> list[str]:
        """Paste with new ids (links among the pasted nodes kept); `at` puts the top-left node there."""
        nodes = clipboard.get("nodes") or []
        if not nodes:
            return []
        offset = (30.0, 30.0)
        if at is not None:
            xs = [float(n.get("position", (0, 0))[0]) for n in nodes]
            ys = [float(n.get("position", (0, 0))[1]) for n in nodes]
            offset = (at.x() - min(xs), at.y() - min(ys))
        command = Paste(clipboard, offset)
        if not self.graph_scene().execute(command):
            return []
        self.graph_scene().select(command.pasted_ids)
        return command.pasted_ids

    def group_selection(self, name: str | None = None) -> str | None:
        """Group the selected nodes into a new block; returns the Block node's id."""
        scene = self.graph_scene()
        ids = self.selected_ids()
        if not ids:
            scene.document.message.emit("Select the nodes to group into a block")
            return None
        if name is None:
            n = 1
            while f"Block{n}" in scene.graph.blocks:
                n += 1
            name = f"Block{n}"
        command = GroupIntoBlock(ids, name)
        if not scene.execute(command):
            return None
        assert command.node_id is not None
        scene.select([command.node_id])
        return command.node_id

    def ungroup_selection(self) -> list[str]:
        scene = self.graph_scene()
        blocks = [n for n in self.selected_ids() if scene.graph.nodes[n].type == BLOCK_TYPE]
        if not blocks:
            scene.document.message.emit("Select a block to ungroup")
            return []
        commands = [Ungroup(n) for n in blocks]
        command = commands[0] if len(commands) == 1 else \
            MacroCommand(f"Ungroup {len(blocks)} blocks", commands)
        if not scene.execute(command):
            return []
        ids = [n for c in commands for n in c.node_ids]
        scene.select(ids)
        return ids

    def auto_layout(self) -> bool:
        """Layered layout, left to right by depth, as one MoveNodes undo step."""
        scene = self.graph_scene()
        graph = scene.graph
        if not graph.nodes:
            return False
        try:
            origin = (min(n.position[0] for n in graph), min(n.position[1] for n in graph))

            def size(node_id: str) -> tuple[float, float]:
                rect = scene.nodes[node_id].boundingRect()
                return rect.width(), rect.height()

            positions = layered_positions(graph, size, origin=origin)
        except GraphError as error:
            scene.document.message.emit(error.message)
            return False
        moved = {n: p for n, p in positions.items() if graph.nodes[n].position != p}
        return bool(moved) and scene.execute(MoveNodes(moved))

    # -------------------------------------------------------------------------------------- blocks ---
    def enter_block(self, node_id: str) -> bool:
        return self.graph_scene().enter_block(node_id)

    def leave_block(self) -> bool:
        return self.graph_scene().leave_block()

    def breadcrumb(self) -> list[str]:
        return self.graph_scene().breadcrumb()

    def _show_breadcrumb(self, names: list[str]) -> None:
        self.breadcrumb_label.setText("  ›  ".join(names))
        self._crumbs.setVisible(len(names) > 1)
        self._crumbs.adjustSize()
        self._place_crumbs()
        self.breadcrumb_changed.emit(list(names))

    def _place_crumbs(self) -> None:
        self._crumbs.move(self.viewport().geometry().topLeft() + QPoint(8, 8))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_crumbs()

    def _show_refusal(self, reason: str) -> None:
        self.last_refusal = reason
        QToolTip.showText(QCursor.pos(), reason, self.viewport())

    # --------------------------------------------------------------------------------- palette drop ---
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if not event.mimeData().hasFormat(LAYER_MIME):
            super().dropEvent(event)
            return
        name = bytes(event.mimeData().data(LAYER_MIME).data()).decode("utf-8").strip()
        at = self.mapToScene(event.position().toPoint())
        if self.add_layer(name, at) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def add_layer(self, name: str, at: QPointF) -> str | None:
        """Add a layer type (or a palette preset) centred under `at`; returns the new node's id."""
        scene = self.graph_scene()
        params: dict[str, Any] = {}
        presets = registry.presets()
        if name in presets:
            layer_type, params = presets[name]
        else:
            layer_type = name
        command = AddNode(layer_type, params, position=(at.x() - WIDTH / 2, at.y() - HEADER / 2))
        try:
            registry.get(layer_type)
        except GraphError as error:
            scene.document.message.emit(error.message)
            return None
        if not scene.execute(command):
            return None
        scene.select([command.node_id] if command.node_id else [])
        return command.node_id
