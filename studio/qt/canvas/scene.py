"""GraphScene: mirrors the document's graph (or, inside a block, that block's inner graph) as items.

The scene never changes the model directly: gestures become commands run through Document.execute,
and the items follow the model's signals (node_added -> add an item, ...). Shapes and errors come from
the document's Inference (inside a block: from the expanded graph, first copy of the block).
Training health (set_health) is kept for the whole model, keyed by compiled node ids, and shown for the
graph on screen: a Block node shows the worst inside it, inside a block each node its own. Items build
their health tooltip only when it is shown (helpEvent), not on every capture.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneHelpEvent, QGraphicsSceneMouseEvent

from studio.graph.blocks import BLOCK_TYPE
from studio.graph.commands import Command, Connect, Disconnect, MacroCommand, MoveNodes
from studio.graph.errors import GraphError
from studio.graph.inference import ERROR, Inference, NodeInfo
from studio.graph.model import Graph, Link, Node
from studio.graph.shapes import format_shape
from studio.qt.document import Document
from studio.training.health import NodeHealth, view_health

from .inside import InBlock, resolve
from .link_item import WIRE, WIRE_ERROR, WIRE_OK, LinkItem, WireItem
from .node_item import NodeItem, block_title
from .port_item import PortItem

SNAP = 10.0  # how close (scene units) a wire end must come to a port to snap onto it


class GraphScene(QGraphicsScene):
    block_path_changed = Signal(list)  # breadcrumb names: ["Model", "Encoder × 1", ...]
    wire_refused = Signal(str)  # a connection drag was refused: the model's reason

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("graphScene")
        self.setSceneRect(-100_000, -100_000, 200_000, 200_000)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.links: dict[Link, LinkItem] = {}
        self._node_links: dict[str, set[LinkItem]] = {}
        self._path: list[str] = []
        self._graph: Graph | None = None
        self._inference: Inference | None = None
        self._inner_infos: dict[str, NodeInfo] = {}
        self._pending: set[str] = set()
        self._syncing = False
        self._drag_start: dict[str, tuple[float, float]] | None = None
        self._wire: WireItem | None = None
        self._wire_from: PortItem | None = None
        self._detached: Link | None = None
        self._target: PortItem | None = None
        self.wire_reason = ""  # why the port under a dragged wire refuses it ("" when it accepts)
        self._health: dict[str, NodeHealth] = {}  # compiled node id -> health, from the last capture
        self._shown_health: dict[str, NodeHealth] = {}  # shown node id -> what its badge shows
        document.project_replaced.connect(self._on_project_replaced)
        document.changed.connect(self._on_document_changed)
        document.selection_changed.connect(self._select_from_document)
        self.selectionChanged.connect(self._selection_to_document)
        self.rebuild()

    # ---------------------------------------------------------------------------------- public ---
    @property
    def graph(self) -> Graph:
        """The graph shown: the project's, or the inner graph of the block being edited."""
        assert self._graph is not None
        return self._graph

    @property
    def block_path(self) -> list[str]:
        return list(self._path)

    def node_item(self, node_id: str) -> NodeItem:
        return self.nodes[node_id]

    def link_item(self, link: Link) -> LinkItem:
        return self.links[link]

    def selected_ids(self) -> list[str]:
        chosen = {item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)}
        return [n for n in self.graph.nodes if n in chosen]

    def select(self, node_ids: list[str]) -> None:
        wanted = set(node_ids)
        self._syncing = True
        try:
            for node_id, item in self.nodes.items():
                item.setSelected(node_id in wanted)
        finally:
            self._syncing = False
        self._selection_to_document()

    def execute(self, command: Command) -> bool:
        """Run an edit on the graph shown (wrapped for the block being edited) as one undo step."""
        return self.document.execute(InBlock(self._path, command) if self._path else command)

    def info(self, node_id: str) -> NodeInfo | None:
        if self._path:
            return self._inner_infos.get(node_id)
        return self.document.inference.infos.get(node_id)

    def breadcrumb(self) -> list[str]:
        names, graph = ["Model"], self.document.graph
        for node_id in self._path:
            node = graph.nodes[node_id]
            names.append(block_title(node))
            graph = graph.blocks[node.params["block"]].graph
        return names

    def enter_block(self, node_id: str) -> bool:
        node = self.graph.nodes.get(node_id)
        if node is None or node.type != BLOCK_TYPE:
            return False
        try:
            resolve(self.document.graph, [*self._path, node_id])
        except GraphError as error:
            self.document.message.emit(error.message)
            return False
        self._path.append(node_id)
        self.document.set_block_path(self._path)  # clears the selection: it names the inner graph's nodes
        self.rebuild()
        self.block_path_changed.emit(self.breadcrumb())
        return True

    def leave_block(self, levels: int = 1) -> bool:
        if not self._path:
            return False
        left = self._path[-1]
        del self._path[max(0, len(self._path) - levels):]
        self.document.set_block_path(self._path)
        self.rebuild()
        if left in self.nodes:
            self.select([left])
        self.block_path_changed.emit(self.breadcrumb())
        return True

    @property
    def health(self) -> dict[str, NodeHealth]:
        return dict(self._health)

    def set_health(self, health: Mapping[str, NodeHealth]) -> None:
        """Badges from a training capture (studio.training.health.node_health), kept until cleared."""
        self._health = dict(health)
        self._show_health()

    def clear_health(self) -> None:
        if self._health or self._shown_health:
            self._health = {}
            self._show_health()

    def _show_health(self) -> None:
        shown = view_health(self._health, self._path, self.nodes) if self._health else {}
        self._shown_health = shown
        for node_id, item in self.nodes.items():
            item.set_health(shown.get(node_id))

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:  # noqa: N802 - Qt's name
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                item.sync_tooltip()  # the health text is built now, for the node under the pointer
        super().helpEvent(event)

    # -------------------------------------------------------------------------- model -> scene ---
    def rebuild(self) -> None:
        self._detach()
        self._cancel_wire()
        self._syncing = True  # clearing deselects: that is no news for the document
        try:
            self.clear()
        finally:
            self._syncing = False
        self.nodes.clear()
        self._shown_health = {}
        self.links.clear()
        self._pending.clear()
        self._node_links.clear()
        try:
            graph, _ = resolve(self.document.graph, self._path)
        except GraphError:
            self._path.clear()
            graph = self.document.graph
        self.document.set_block_path(self._path)
        self._graph = graph
        self._attach()
        if self._path:
            self._compute_inner_infos()
        for node in graph:
            self._add_node(node)
        for link in graph.links:
            self._add_link(link)
        pending, self._pending = self._pending, set()
        self._refresh(pending)
        if self._health:
            self._show_health()
        self._select_from_document(self.document.selection())

    def _attach(self) -> None:
        g = self.graph
        g.node_added.connect(self._add_node)
        g.node_removed.connect(self._remove_node)
        g.node_changed.connect(self._node_changed)
        g.link_added.connect(self._add_link)
        g.link_removed.connect(self._remove_link)
        if not self._path:
            self._inference = self.document.inference
            self._inference.updated.connect(self._on_inferred)

    def _detach(self) -> None:
        g = self._graph
        if g is not None:
            for signal, slot in ((g.node_added, self._add_node), (g.node_removed, self._remove_node),
                                 (g.node_changed, self._node_changed), (g.link_added, self._add_link),
                                 (g.link_removed, self._remove_link)):
                signal.disconnect(slot)
        if self._inference is not None:
            self._inference.updated.disconnect(self._on_inferred)
            self._inference = None
        self._graph = None

    def _ports(self, node: Node) -> tuple[list[str], list[str]]:
        g = self.graph
        return [p.name for p in g.input_ports(node)], [p.name for p in g.output_ports(node)]

    def _add_node(self, node: Node) -> None:
        if node.id in self.nodes:
            self._remove_node(self.nodes[node.id].node)
        item = NodeItem(node, *self._ports(node))
        self.nodes[node.id] = item
        self.addItem(item)
        item.set_health(self._shown_health.get(node.id))  # a node back by undo keeps its last badge
        info = self.info(node.id)
        if info is None and not self._path:
            self._pending.add(node.id)  # inference reports it right after the edit: texts are built once
        else:
            item.refresh(info)

    def _remove_node(self, node: Node) -> None:
        item = self.nodes.pop(node.id, None)
        if item is None:
            return
        for link_item in list(self._node_links.pop(node.id, ())):
            self._remove_link(link_item.link)
        self.removeItem(item)

    def _node_changed(self, node: Node, what: str) -> None:
        item = self.nodes.get(node.id)
        if item is None:
            return
        item.node = node
        if what == "position":
            item.setPos(QPointF(*node.position))
            return
        inputs, outputs = self._ports(node)
        if list(item.inputs) != inputs or list(item.outputs) != outputs:
            for link_item in list(self._node_links.get(node.id, ())):
                self._remove_link(link_item.link)
            item.set_ports(inputs, outputs)
            for link in self.graph.links:
                if node.id in (link.src, link.dst):
                    self._add_link(link)
        item.refresh(self.info(node.id))

    def _add_link(self, link: Link) -> None:
        if link in self.links:
            return
        src, dst = self.nodes.get(link.src), self.nodes.get(link.dst)
        src_port = src.port(link.src_port, True) if src else None
        dst_port = dst.port(link.dst_port, False) if dst else None
        if src_port is None or dst_port is None:
            return
        item = LinkItem(link, src_port, dst_port)
        self.links[link] = item
        self._node_links.setdefault(link.src, set()).add(item)
        self._node_links.setdefault(link.dst, set()).add(item)
        self.addItem(item)
        self._label_link(item)

    def _remove_link(self, link: Link) -> None:
        item = self.links.pop(link, None)
        if item is None:
            return
        for node_id in (link.src, link.dst):
            self._node_links.get(node_id, set()).discard(item)
        self.removeItem(item)

    def _label_link(self, item: LinkItem) -> None:
        link = item.link
        src, dst = self.info(link.src), self.info(link.dst)
        shape = src.outputs.get(link.src_port) if src is not None else None
        error = dst is not None and dst.status == ERROR and dst.error is not None and \
            dst.error.port in (None, link.dst_port)
        item.set_label(format_shape(shape) if shape is not None else "?", error)

    def _refresh(self, node_ids) -> None:
        for node_id in node_ids:
            item = self.nodes.get(node_id)
            if item is None:
                continue
            item.refresh(self.info(node_id))
            for link_item in self._node_links.get(node_id, ()):
                self._label_link(link_item)

    def _on_inferred(self, node_ids: set[str]) -> None:
        self._pending.difference_update(node_ids)
        self._refresh(node_ids)

    def _on_document_changed(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, set()
            self._refresh(pending)
        if self._path:
            try:
                graph, _ = resolve(self.document.graph, self._path)
            except GraphError:
                graph = None
            if graph is not self._graph:  # the block went away (undo) or was redefined
                self._path.clear() if graph is None else None
                self.rebuild()
                self.block_path_changed.emit(self.breadcrumb())
                return
            self._compute_inner_infos()
            self._refresh(list(self.nodes))

    def _compute_inner_infos(self) -> None:
        self._inner_infos = dict(self.document.block_infos()) if self.document.block_path == self._path \
            else {}

    def _on_project_replaced(self) -> None:
        self._health = {}  # another model: the last run's health says nothing about it
        self._path.clear()
        self.rebuild()
        self.block_path_changed.emit(self.breadcrumb())

    # ---------------------------------------------------------------------------------- selection ---
    def _selection_to_document(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.document.set_selection(self.selected_ids())
        finally:
            self._syncing = False

    def _select_from_document(self, node_ids: list[str]) -> None:
        if self._syncing:
            return
        wanted = set(node_ids)
        self._syncing = True
        try:
            for node_id, item in self.nodes.items():
                item.setSelected(node_id in wanted)
        finally:
            self._syncing = False

    # -------------------------------------------------------------------------------------- moves ---
    def node_item_moved(self, item: NodeItem) -> None:
        for link_item in self._node_links.get(item.node_id, ()):
            link_item.update_ends()

    def node_double_clicked(self, item: NodeItem) -> None:
        if item.node.type == BLOCK_TYPE:
            self.enter_block(item.node_id)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt's name
        super().mousePressEvent(event)
        self._drag_start = None
        if event.button() == Qt.MouseButton.LeftButton and self._wire is None:
            self._drag_start = {item.node_id: (item.pos().x(), item.pos().y())
                                for item in self.selectedItems() if isinstance(item, NodeItem)}

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        start, self._drag_start = self._drag_start, None
        if not start or event.button() != Qt.MouseButton.LeftButton:
            return
        moved = {n: (self.nodes[n].pos().x(), self.nodes[n].pos().y()) for n in start if n in self.nodes}
        moved = {n: p for n, p in moved.items() if p != start[n]}
        if moved:
            self.execute(MoveNodes(moved, old={n: start[n] for n in moved}))

    # -------------------------------------------------------------------------------------- wires ---
    def begin_wire(self, port: PortItem, pos: QPointF) -> None:
        self._cancel_wire()
        self._detached = None
        origin = port
        if not port.is_output:
            into = self.graph.links_into(port.node_id, port.name)
            if into and into[-1] in self.links:  # pick up the wire's end: it will move or disconnect
                self._detached = into[-1]
                origin = self.links[self._detached].src
                self.links[self._detached].hide()
        self._wire_from = origin
        self._wire = WireItem()
        self._wire.dashed = True
        self.addItem(self._wire)
        self.move_wire(pos)

    def move_wire(self, pos: QPointF) -> None:
        if self._wire is None or self._wire_from is None:
            return
        target = self.port_at(pos, not self._wire_from.is_output)
        if target is not self._target:
            if self._target is not None:
                self._target.set_highlight(None)
            self._target = target
            self.wire_reason = self._refusal(target) if target is not None else ""
            if target is not None:
                target.set_highlight(QColor(WIRE_ERROR if self.wire_reason else WIRE_OK))
            self._wire.set_color(WIRE if target is None else WIRE_ERROR if self.wire_reason else WIRE_OK)
        end = target.anchor() if target is not None else pos
        a, b = self._wire_from.anchor(), end
        self._wire.set_ends(a, b) if self._wire_from.is_output else self._wire.set_ends(b, a)

    def end_wire(self, pos: QPointF) -> None:
        if self._wire is None or self._wire_from is None:
            return
        origin, detached = self._wire_from, self._detached
        self.move_wire(pos)
        target = self._target
        self._cancel_wire()
        if detached is not None:
            if target is None:
                self.execute(Disconnect(detached))
            elif (target.node_id, target.name) != (detached.dst, detached.dst_port):
                connect = Connect(detached.src, detached.src_port, target.node_id, target.name)
                self._run_connect(MacroCommand(f"Reconnect {detached.src} → {target.node_id}",
                                               [Disconnect(detached), connect]))
        elif target is not None:
            src, dst = (origin, target) if origin.is_output else (target, origin)
            self._run_connect(Connect(src.node_id, src.name, dst.node_id, dst.name))

    def _run_connect(self, command: Command) -> None:
        said: list[str] = []
        self.document.message.connect(said.append)
        try:
            done = self.execute(command)
        finally:
            self.document.message.disconnect(said.append)
        if not done and said:
            self.wire_refused.emit(said[-1])

    def _cancel_wire(self) -> None:
        if self._target is not None:
            self._target.set_highlight(None)
        if self._wire is not None:
            self.removeItem(self._wire)
        if self._detached is not None and self._detached in self.links:
            self.links[self._detached].show()
        self._wire = self._wire_from = self._target = self._detached = None
        self.wire_reason = ""

    def _refusal(self, target: PortItem) -> str:
        origin = self._wire_from
        assert origin is not None
        src, dst = (origin, target) if origin.is_output else (target, origin)
        detached = self._detached
        if detached is not None and (dst.node_id, dst.name) == (detached.dst, detached.dst_port):
            return ""
        try:
            self.graph.check_connect(src.node_id, src.name, dst.node_id, dst.name)
        except GraphError as error:
            return error.message
        return ""

    def port_at(self, pos: QPointF, output: bool) -> PortItem | None:
        """The port of the wanted direction nearest `pos` within SNAP, else a free one of the node there."""
        area = QRectF(pos.x() - SNAP, pos.y() - SNAP, 2 * SNAP, 2 * SNAP)
        best, best_d = None, SNAP * SNAP * 2
        origin = self._wire_from
        for item in self.items(area):
            if isinstance(item, PortItem) and item.is_output == output and item is not origin:
                d = QPointF(item.anchor() - pos)
                dist = d.x() * d.x() + d.y() * d.y()
                if dist <= best_d:
                    best, best_d = item, dist
        if best is not None:
            return best
        for item in self.items(pos):
            if isinstance(item, NodeItem) and (origin is None or item is not origin.node):
                ports = list((item.outputs if output else item.inputs).values())
                if not output:
                    free = [p for p in ports if not self.graph.links_into(item.node_id, p.name)]
                    ports = free or ports
                return ports[0] if ports else None
        return None
