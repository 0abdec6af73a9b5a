"""Editing inside a block from the properties dock: the selection names the inner nodes, each edit is one
document undo step (InBlock), and shapes at the top level follow."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from studio.graph.commands import AddNode, Connect
from studio.graph.inference import ERROR, OK
from studio.qt.canvas import GraphScene, GraphView
from studio.qt.docks.properties import PLACEHOLDER_NONE, PropertiesDock
from studio.qt.document import Document

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def studio(qtbot):
    doc = Document()
    scene = GraphScene(doc)
    view = GraphView(scene)
    dock = PropertiesDock(doc)
    for widget in (view, dock):
        qtbot.addWidget(widget)
    view.resize(1300, 500)
    dock.resize(350, 600)
    view.show()
    dock.show()
    qtbot.waitExposed(view)
    doc.execute(AddNode("Input", {"shape": (3, 32, 32)}, position=(0, 0)))
    doc.execute(AddNode("Conv2d", {"in_channels": 3, "out_channels": 16}, position=(300, 0)))
    doc.execute(AddNode("Flatten", position=(600, 0)))
    doc.execute(AddNode("Linear", {"in_features": 14400, "out_features": 10}, position=(900, 0)))
    for src, dst in (("input1", "conv2d1"), ("conv2d1", "flatten1"), ("flatten1", "linear1")):
        doc.execute(Connect(src, "out", dst, "in"))
    doc.set_selection(["conv2d1", "flatten1"])
    block_id = view.group_selection("Encoder")
    view.centerOn(QPointF(550, 50))
    return doc, scene, view, dock, block_id


def title_point(view: GraphView, node_id: str) -> QPoint:
    return view.mapFromScene(view.graph_scene().node_item(node_id).pos() + QPointF(60, 10))


def _type_into(qtbot, widget, text: str) -> None:
    """Replace the text of a spin box or line edit by typing, then press Enter."""
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_edit_an_inner_node_from_the_properties_dock(studio, qtbot):
    doc, scene, view, dock, block_id = studio
    with qtbot.waitSignal(doc.block_path_changed) as entered:
        qtbot.mouseDClick(view.viewport(), LEFT, pos=title_point(view, block_id))
    assert entered.args[0] == [block_id] and doc.block_path == [block_id]
    assert doc.current_graph() is scene.graph and sorted(scene.nodes) == ["conv2d1", "flatten1"]
    assert doc.selection() == [] and dock.placeholder.text() == PLACEHOLDER_NONE

    view.centerOn(scene.node_item("conv2d1").pos())
    qtbot.mouseClick(view.viewport(), LEFT, pos=title_point(view, "conv2d1"))
    assert doc.selection() == ["conv2d1"]
    assert dock.stack.currentIndex() == 1 and "conv2d1" in dock.type_label.text()
    assert "N×16×30×30" in dock.shape_label.text()

    steps = doc.undo_stack.count()
    _type_into(qtbot, dock.editors["out_channels"].spin, "8")
    inner = doc.current_graph()
    assert inner.nodes["conv2d1"].params["out_channels"] == 8
    assert doc.undo_stack.count() == steps + 1 and doc.undo_stack.undoText() == "Set out_channels of conv2d1"
    assert "N×8×30×30" in dock.shape_label.text()
    assert scene.node_item("conv2d1").node.params["out_channels"] == 8
    assert doc.inference.infos["linear1"].status == ERROR  # the top level re-inferred: 7200 ≠ 14400

    doc.undo_stack.undo()
    assert inner.nodes["conv2d1"].params["out_channels"] == 16
    assert dock.editors["out_channels"].spin.value() == 16 and "N×16×30×30" in dock.shape_label.text()
    assert doc.inference.infos["linear1"].status == OK

    _type_into(qtbot, dock.label_edit, "stem")  # a label inside is one step too
    assert inner.nodes["conv2d1"].label == "stem" and doc.undo_stack.undoText().startswith("Rename")
    doc.undo_stack.undo()
    assert inner.nodes["conv2d1"].label == ""

    with qtbot.waitSignal(doc.block_path_changed) as left:
        qtbot.mouseClick(view.back_button, LEFT)
    assert left.args[0] == [] and doc.current_graph() is doc.graph
    assert doc.selection() == [block_id] and "Block" in dock.type_label.text()
    qtbot.mouseClick(view.viewport(), LEFT, pos=title_point(view, "linear1"))
    assert doc.selection() == ["linear1"] and "linear1" in dock.type_label.text()
    _type_into(qtbot, dock.editors["out_features"].spin, "5")
    assert doc.graph.nodes["linear1"].params["out_features"] == 5


def test_selection_names_nodes_of_the_current_graph(studio):
    doc, scene, view, dock, block_id = studio
    assert view.enter_block(block_id)
    doc.set_selection(["linear1", "flatten1"])  # linear1 is not in this graph
    assert doc.selection() == ["flatten1"] and scene.selected_ids() == ["flatten1"]
    assert "flatten1" in dock.type_label.text()
    doc.undo_stack.undo()  # undo the grouping: the block goes away, back to the top level
    assert doc.block_path == [] and view.breadcrumb() == ["Model"]
    assert doc.current_graph() is doc.graph and "flatten1" in scene.nodes


def test_replacing_the_project_leaves_the_block(studio):
    doc, scene, view, dock, block_id = studio
    assert view.enter_block(block_id)
    from studio.graph.project import Project

    doc.replace_project(Project())
    assert doc.block_path == [] and view.breadcrumb() == ["Model"] and doc.selection() == []
