"""Canvas editing by gesture: rubber-band select, move (one undo step), delete, copy/paste, blocks with a
breadcrumb, zoom around the cursor, pan, fit to view and the layered auto-layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from studio.graph.commands import AddNode, Connect, MoveNodes
from studio.qt.canvas import GraphScene, GraphView
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
    doc.execute(AddNode("Input", {"shape": (3, 32, 32)}, position=(0, 0)))
    doc.execute(AddNode("Conv2d", {"in_channels": 3, "out_channels": 16}, position=(300, 0)))
    doc.execute(AddNode("Flatten", position=(600, 0)))
    doc.execute(AddNode("Linear", {"in_features": 14400, "out_features": 10}, position=(900, 0)))
    for src, dst in (("input1", "conv2d1"), ("conv2d1", "flatten1"), ("flatten1", "linear1")):
        doc.execute(Connect(src, "out", dst, "in"))
    view.centerOn(QPointF(550, 50))
    return doc, scene, view


def drag(qtbot, view: GraphView, start: QPoint, end: QPoint, steps: int = 4,
         button: Qt.MouseButton = LEFT) -> None:
    viewport = view.viewport()
    qtbot.mousePress(viewport, button, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, pos=start + (end - start) * (i / steps))
    qtbot.mouseRelease(viewport, button, pos=end)


def title_point(view: GraphView, node_id: str) -> QPoint:
    item = view.graph_scene().node_item(node_id)
    return view.mapFromScene(item.pos() + QPointF(60, 10))


def test_rubber_band_selects_the_nodes_it_covers(canvas, qtbot):
    doc, scene, view = canvas
    drag(qtbot, view, view.mapFromScene(QPointF(-20, -40)), view.mapFromScene(QPointF(520, 200)))
    assert doc.selection() == ["input1", "conv2d1"]
    assert sorted(scene.selected_ids()) == ["conv2d1", "input1"]


def test_moving_nodes_by_drag_is_one_undo_step(canvas, qtbot):
    doc, scene, view = canvas
    steps = doc.undo_stack.count()
    start = title_point(view, "conv2d1")
    drag(qtbot, view, start, start + QPoint(50, 30), steps=6)
    assert doc.graph.nodes["conv2d1"].position == (350.0, 30.0)
    assert doc.undo_stack.count() == steps + 1 and doc.undo_stack.undoText() == "Move conv2d1"
    link = scene.link_item(doc.graph.links[0])
    assert link.ends()[1] == scene.node_item("conv2d1").port("in", False).anchor()  # the wire followed
    doc.undo_stack.undo()
    assert doc.graph.nodes["conv2d1"].position == (300.0, 0.0)
    assert scene.node_item("conv2d1").pos() == QPointF(300, 0)


def test_moving_a_selection_moves_all_of_it_in_one_step(canvas, qtbot):
    doc, scene, view = canvas
    doc.set_selection(["input1", "conv2d1"])
    steps = doc.undo_stack.count()
    start = title_point(view, "input1")
    drag(qtbot, view, start, start + QPoint(0, 80))
    assert doc.graph.nodes["input1"].position == (0.0, 80.0)
    assert doc.graph.nodes["conv2d1"].position == (300.0, 80.0)
    assert doc.undo_stack.count() == steps + 1 and doc.undo_stack.undoText() == "Move 2 nodes"


def test_delete_removes_the_selection_with_its_wires(canvas, qtbot):
    doc, scene, view = canvas
    qtbot.mouseClick(view.viewport(), LEFT, pos=title_point(view, "conv2d1"))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "conv2d1" not in doc.graph.nodes and "conv2d1" not in scene.nodes
    assert len(scene.links) == 1 and doc.undo_stack.undoText() == "Remove conv2d1"
    doc.undo_stack.undo()
    assert "conv2d1" in scene.nodes and len(scene.links) == 3


def test_copy_paste_gives_new_ids_and_keeps_internal_links(canvas, qtbot):
    doc, scene, view = canvas
    assert view.copy_selection() == {}
    doc.set_selection(["input1", "conv2d1"])
    clip = view.copy_selection()
    new_ids = view.paste(clip, at=QPointF(0, 300))
    assert len(new_ids) == 2 and not set(new_ids) & {"input1", "conv2d1"}
    assert doc.graph.nodes[new_ids[0]].position == (0.0, 300.0)
    inner = [l for l in doc.graph.links if l.src in new_ids and l.dst in new_ids]
    assert len(inner) == 1 and scene.link_item(inner[0]).label == "N×3×32×32"
    assert sorted(doc.selection()) == sorted(new_ids)
    assert doc.undo_stack.undoText() == "Paste 2 nodes"


def test_group_into_a_block_then_edit_inside_with_a_breadcrumb(canvas, qtbot):
    doc, scene, view = canvas
    doc.set_selection(["conv2d1", "flatten1"])
    block_id = view.group_selection("Encoder")
    item = scene.node_item(block_id)
    assert item.caption == "Encoder × 1"
    assert scene.node_item("linear1").shape_text == "→ N×10"
    assert [scene.link_item(l).label for l in doc.graph.links] == ["N×3×32×32", "N×14400"]
    with qtbot.waitSignal(view.breadcrumb_changed) as crumbs:
        qtbot.mouseDClick(view.viewport(), LEFT, pos=view.mapFromScene(item.pos() + QPointF(60, 10)))
    assert crumbs.args[0] == ["Model", "Encoder × 1"]
    assert view.breadcrumb_label.text() == "Model  ›  Encoder × 1" and view.back_button.isVisible()
    assert sorted(scene.nodes) == ["conv2d1", "flatten1"]
    assert [scene.link_item(l).label for l in scene.graph.links] == ["N×16×30×30"]
    # an edit inside is an ordinary undo step of the document
    start = view.mapFromScene(scene.node_item("flatten1").pos() + QPointF(60, 10))
    drag(qtbot, view, start, start + QPoint(0, 40))
    assert doc.undo_stack.undoText() == "Move flatten1"
    assert scene.graph.nodes["flatten1"].position == (600.0, 40.0)
    doc.undo_stack.undo()
    assert scene.graph.nodes["flatten1"].position == (600.0, 0.0)
    qtbot.mouseClick(view.back_button, LEFT)
    assert view.breadcrumb() == ["Model"] and not view.back_button.isVisible()
    assert block_id in scene.nodes and doc.selection() == [block_id]
    # leaving the group again restores the nodes
    assert sorted(view.ungroup_selection()) == ["conv2d1", "flatten1"]
    assert len(scene.links) == 3


def test_undoing_the_group_while_inside_returns_to_the_model(canvas, qtbot):
    doc, scene, view = canvas
    doc.set_selection(["conv2d1"])
    block_id = view.group_selection()
    assert view.enter_block(block_id)
    doc.undo_stack.undo()
    assert view.breadcrumb() == ["Model"] and "conv2d1" in scene.nodes and len(scene.links) == 3


def test_wheel_zoom_keeps_the_point_under_the_cursor(canvas, qtbot):
    doc, scene, view = canvas
    at = QPoint(400, 150)
    before = view.mapToScene(at)
    for delta in (120, 120, -240, -120):
        event = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(), QPoint(0, delta),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view.viewport(), event)
        after = view.mapToScene(at)
        scale = view.transform().m11()
        assert abs(after.x() - before.x()) <= 1.5 / scale and abs(after.y() - before.y()) <= 1.5 / scale
    assert view.transform().m11() < 1.0
    view.zoom_in()
    assert view.transform().m11() == pytest.approx(1.0015 ** -120 * 1.25)


def test_middle_button_pans(canvas, qtbot):
    doc, scene, view = canvas
    before = view.center_point()
    drag(qtbot, view, QPoint(600, 250), QPoint(500, 200), button=Qt.MouseButton.MiddleButton)
    moved = view.center_point() - before
    assert abs(moved.x() - 100) <= 1 and abs(moved.y() - 50) <= 1
    assert doc.selection() == []


def test_space_drag_pans_without_selecting(canvas, qtbot):
    doc, scene, view = canvas
    view.setFocus()
    before = view.center_point()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view, title_point(view, "conv2d1"), title_point(view, "conv2d1") + QPoint(-80, 0))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert abs((view.center_point() - before).x() - 80) <= 1
    assert doc.graph.nodes["conv2d1"].position == (300.0, 0.0) and doc.selection() == []
    assert view.dragMode() == view.DragMode.RubberBandDrag


def test_the_view_keeps_its_scene_alive(qtbot):
    import gc

    doc = Document()
    view = GraphView(GraphScene(doc))
    qtbot.addWidget(view)
    gc.collect()
    doc.execute(AddNode("ReLU"))
    assert list(view.graph_scene().nodes) == ["relu1"]
    assert view.graph_scene().objectName() == "graphScene"


def test_fit_to_view_shows_every_node(canvas, qtbot):
    doc, scene, view = canvas
    doc.execute(AddNode("ReLU", position=(3000, 2000)))
    view.fit_to_view()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in scene.nodes.values():
        assert visible.contains(item.sceneBoundingRect())
    view.grab()  # zoomed out: the level-of-detail path paints


def test_auto_layout_places_nodes_left_to_right_by_depth_in_one_step(canvas, qtbot):
    doc, scene, view = canvas
    for node_id, pos in (("input1", (500, 400)), ("conv2d1", (0, 0)), ("flatten1", (900, -300))):
        scene.execute(MoveNodes({node_id: pos}))
    steps = doc.undo_stack.count()
    assert view.auto_layout()
    assert doc.undo_stack.count() == steps + 1
    xs = [doc.graph.nodes[n].position[0] for n in ("input1", "conv2d1", "flatten1", "linear1")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    ys = {doc.graph.nodes[n].position[1] for n in doc.graph.nodes}
    assert len(ys) == 1  # a chain lines up
    assert scene.node_item("linear1").pos().x() == xs[-1]
