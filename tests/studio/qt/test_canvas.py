"""The canvas, driven by real mouse gestures: connecting by drag shows shapes on the wires, refused
connections say why, wires detach, and the scene mirrors the model (undo included)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from studio.graph.commands import AddNode, Connect, SetParam
from studio.qt.canvas import GraphScene, GraphView
from studio.qt.canvas.node_item import ERROR_PEN
from studio.qt.document import Document

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def canvas(qtbot):
    doc = Document()
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(1300, 500)
    view.show()
    qtbot.waitExposed(view)
    return doc, scene, view


def add_chain(doc: Document, view: GraphView, *, in_features: int = 16 * 30 * 30) -> None:
    doc.execute(AddNode("Input", {"shape": (3, 32, 32)}, position=(0, 0)))
    doc.execute(AddNode("Conv2d", {"in_channels": 3, "out_channels": 16}, position=(300, 0)))
    doc.execute(AddNode("Flatten", position=(600, 0)))
    doc.execute(AddNode("Linear", {"in_features": in_features, "out_features": 10}, position=(900, 0)))
    view.centerOn(QPointF(550, 50))


def port_point(view: GraphView, node_id: str, port: str, output: bool) -> QPoint:
    item = view.graph_scene().node_item(node_id).port(port, output)
    assert item is not None
    return view.mapFromScene(item.anchor())


def drag(qtbot, view: GraphView, start: QPoint, end: QPoint, steps: int = 4) -> None:
    viewport = view.viewport()
    qtbot.mousePress(viewport, LEFT, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, pos=start + (end - start) * (i / steps))
    qtbot.mouseRelease(viewport, LEFT, pos=end)


def connect_by_mouse(qtbot, view: GraphView, src: str, dst: str) -> None:
    drag(qtbot, view, port_point(view, src, "out", True), port_point(view, dst, "in", False))


def test_connecting_by_mouse_shows_shapes_on_the_wires(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    connect_by_mouse(qtbot, view, "input1", "conv2d1")
    connect_by_mouse(qtbot, view, "conv2d1", "flatten1")
    connect_by_mouse(qtbot, view, "flatten1", "linear1")
    links = [(l.src, l.dst) for l in doc.graph.links]
    assert links == [("input1", "conv2d1"), ("conv2d1", "flatten1"), ("flatten1", "linear1")]
    labels = [scene.link_item(l).label for l in doc.graph.links]
    assert labels == ["N×3×32×32", "N×16×30×30", "N×14400"]
    assert scene.node_item("conv2d1").shape_text == "→ N×16×30×30"
    assert scene.node_item("linear1").shape_text == "→ N×10"
    assert "in_channels=3" in scene.node_item("conv2d1").params_text
    assert doc.undo_stack.undoText() == "Connect flatten1 → linear1"
    # model -> scene: undo takes the wire away, redo brings it back
    doc.undo_stack.undo()
    assert len(scene.links) == 2
    doc.undo_stack.redo()
    assert len(scene.links) == 3
    view.viewport().grab()  # paints without errors


def test_an_invalid_connection_is_refused_with_its_reason(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view, in_features=10)
    connect_by_mouse(qtbot, view, "input1", "conv2d1")
    connect_by_mouse(qtbot, view, "conv2d1", "flatten1")
    steps = doc.undo_stack.count()
    with qtbot.waitSignal(doc.message) as said:
        connect_by_mouse(qtbot, view, "flatten1", "linear1")
    assert "expects 10 input features but receives 14400" in said.args[0]
    assert view.last_refusal == said.args[0]
    assert doc.graph.links_into("linear1") == [] and doc.undo_stack.count() == steps
    assert len(scene.links) == 2


def test_an_occupied_input_refuses_a_second_wire(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    doc.execute(AddNode("Input", {"shape": (3, 32, 32)}, position=(0, 250)))
    connect_by_mouse(qtbot, view, "input1", "conv2d1")
    with qtbot.waitSignal(doc.message) as said:
        connect_by_mouse(qtbot, view, "input2", "conv2d1")
    assert "already connected" in said.args[0]
    assert [l.src for l in doc.graph.links_into("conv2d1")] == ["input1"]


def test_dropping_a_wire_on_empty_space_creates_nothing(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    steps = doc.undo_stack.count()
    start = port_point(view, "input1", "out", True)
    drag(qtbot, view, start, start + QPoint(60, 150))
    assert doc.graph.links == [] and doc.undo_stack.count() == steps
    assert not any(type(item).__name__ == "WireItem" for item in scene.items())  # the rubber wire is gone


def test_dragging_a_wire_end_away_disconnects_as_one_step(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    connect_by_mouse(qtbot, view, "input1", "conv2d1")
    steps = doc.undo_stack.count()
    end = port_point(view, "conv2d1", "in", False)
    drag(qtbot, view, end, end + QPoint(-40, 160))
    assert doc.graph.links == [] and scene.links == {}
    assert doc.undo_stack.count() == steps + 1
    assert doc.undo_stack.undoText() == "Disconnect input1 → conv2d1"
    doc.undo_stack.undo()
    assert len(doc.graph.links) == 1 and len(scene.links) == 1


def test_dragging_a_wire_end_to_another_input_moves_it(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    doc.execute(AddNode("Conv2d", {"in_channels": 3}, position=(300, 250)))
    connect_by_mouse(qtbot, view, "input1", "conv2d1")
    drag(qtbot, view, port_point(view, "conv2d1", "in", False), port_point(view, "conv2d2", "in", False))
    assert [(l.src, l.dst) for l in doc.graph.links] == [("input1", "conv2d2")]
    doc.undo_stack.undo()
    assert [(l.src, l.dst) for l in doc.graph.links] == [("input1", "conv2d1")]


def test_a_node_with_an_error_turns_red_and_says_why_on_hover(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    for src, dst in (("input1", "conv2d1"), ("conv2d1", "flatten1"), ("flatten1", "linear1")):
        doc.execute(Connect(src, "out", dst, "in"))
    item = scene.node_item("linear1")
    assert not item.has_error
    doc.execute(SetParam("linear1", "in_features", 5))
    assert item.has_error
    assert "expects 5 input features" in item.toolTip()
    assert item.error_message in item.toolTip()
    assert ERROR_PEN.color().name() == "#ff4d4d"
    assert scene.link_item(doc.graph.links[-1]).color.name() == "#ff4d4d"
    doc.undo_stack.undo()
    assert not item.has_error


def test_selection_follows_the_document_both_ways(canvas, qtbot):
    doc, scene, view = canvas
    add_chain(doc, view)
    doc.set_selection(["conv2d1"])
    assert scene.node_item("conv2d1").isSelected()
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.mapFromScene(QPointF(960, 10)))
    assert doc.selection() == ["linear1"]
    assert not scene.node_item("conv2d1").isSelected()


def test_the_palette_drop_adds_a_node_at_the_drop_point(canvas, qtbot):
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from studio.qt.canvas.view import LAYER_MIME

    doc, scene, view = canvas
    for name, at in (("Conv2d", QPoint(300, 200)), ("SN-Conv2d", QPoint(700, 300))):
        mime = QMimeData()
        mime.setData(LAYER_MIME, name.encode("utf-8"))
        copy, none = Qt.DropAction.CopyAction, Qt.KeyboardModifier.NoModifier
        enter = QDragEnterEvent(at, copy, mime, LEFT, none)
        QApplication.sendEvent(view.viewport(), enter)
        assert enter.isAccepted()
        QApplication.sendEvent(view.viewport(), QDropEvent(QPointF(at), copy, mime, LEFT, none))
        node_id = doc.selection()[0]
        assert scene.node_item(node_id).sceneBoundingRect().contains(view.mapToScene(at))
    assert [n.type for n in doc.graph] == ["Conv2d", "Conv2d"]
    assert doc.graph.nodes["conv2d2"].params["spectral_norm"] is True
