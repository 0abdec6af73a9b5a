"""The palette: every layer by category, search, tooltips, drag (mime data) and double-click to add."""

import pytest
from PySide6.QtCore import QPoint, Qt

from studio.graph import registry
from studio.qt.docks import palette as palette_module
from studio.qt.docks.palette import MIME_TYPE, PaletteDock, layer_mime_data
from studio.qt.document import Document


@pytest.fixture
def dock(qtbot):
    document = Document()
    dock = PaletteDock(document)
    qtbot.addWidget(dock)
    dock.resize(320, 900)
    dock.show()
    qtbot.waitExposed(dock)
    return dock


def _click_point(dock, key):
    item = dock.item(key)
    dock.tree.scrollToItem(item)
    return dock.tree.visualItemRect(item).center()


def test_lists_every_category_and_layer_with_the_data_endpoints_first(dock):
    assert dock.findChild(type(dock.tree), "paletteTree") is dock.tree
    assert dock.categories()[0] == "Data"
    shown = {spec.category for spec in registry.all_specs() if spec.role != registry.ROLE_BLOCK}
    assert shown <= set(dock.categories())
    for spec in registry.all_specs():
        if spec.role == registry.ROLE_BLOCK:
            assert dock.item(spec.type) is None  # needs a block definition: made by grouping nodes
        else:
            assert dock.item(spec.type) is not None, spec.type
    data = dock.tree.topLevelItem(0)
    assert [data.child(i).text(0) for i in range(data.childCount())] == ["Input", "Target", "Output"]
    for label in registry.presets():
        assert dock.item(label) is not None


def test_tooltips_are_the_layers_doc_line(dock):
    conv = registry.get("Conv2d")
    assert dock.item("Conv2d").toolTip(0) == conv.doc.splitlines()[0]
    assert "spectral_norm=True" in dock.item("SN-Conv2d").toolTip(0)


def test_search_filters_by_name_and_category(dock, qtbot):
    qtbot.keyClicks(dock.search, "conv")
    visible = dock.visible_keys()
    assert {"Conv1d", "Conv2d", "ConvTranspose2d", "SN-Conv2d", "SN-ConvTranspose2d"} <= set(visible)
    assert "Linear" not in visible and "ReLU" not in visible
    assert dock.tree.topLevelItem(0).isHidden()  # Data has no match
    dock.search.clear()
    assert len(dock.visible_keys()) == sum(len(e) for e in palette_module.palette_entries().values())
    qtbot.keyClicks(dock.search, "pooling")  # a category name shows the whole category
    assert {"MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"} == set(dock.visible_keys())


def test_drag_carries_the_layer_type_as_mime_data(dock):
    data = layer_mime_data("SN-Conv2d")
    assert data.formats() == [MIME_TYPE]
    assert bytes(data.data(MIME_TYPE)).decode("utf-8") == "SN-Conv2d"
    assert dock.tree.mimeTypes() == [MIME_TYPE]
    from_view = dock.tree.mimeData([dock.item("Linear")])
    assert bytes(from_view.data(MIME_TYPE)) == b"Linear"


def test_a_mouse_drag_starts_a_qdrag_with_the_entry(dock, qtbot, monkeypatch):
    started = []

    class RecordingDrag(palette_module.QDrag):
        def exec(self, *actions):
            started.append((bytes(self.mimeData().data(MIME_TYPE)), actions))
            return Qt.DropAction.IgnoreAction

    monkeypatch.setattr(palette_module, "QDrag", RecordingDrag)
    viewport = dock.tree.viewport()
    start = _click_point(dock, "ReLU")
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, start + QPoint(step * 10, step * 10))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 50))
    assert started and started[0][0] == b"ReLU"
    assert started[0][1][0] == Qt.DropAction.CopyAction  # a move would remove the palette entry
    assert dock.item("ReLU") is not None


def _double_click(qtbot, widget, pos):
    # A real double-click is press, release, double-click, release; QTest's mouseDClick sends only the
    # double-click event, and item views ignore one that no press on the same item preceded.
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def test_double_click_asks_to_add_the_entry(dock, qtbot):
    with qtbot.waitSignal(dock.add_requested) as blocker:
        _double_click(qtbot, dock.tree.viewport(), _click_point(dock, "SN-Linear"))
    assert blocker.args == ["SN-Linear"]
    assert dock.document.undo_stack.count() == 0  # the window decides where it goes
    with qtbot.assertNotEmitted(dock.add_requested):
        category = dock.tree.visualItemRect(dock.tree.topLevelItem(0)).center()
        _double_click(qtbot, dock.tree.viewport(), category)


def test_enter_in_the_search_box_asks_for_the_first_match(dock, qtbot):
    qtbot.keyClicks(dock.search, "leaky")
    with qtbot.waitSignal(dock.add_requested) as blocker:
        qtbot.keyClick(dock.search, Qt.Key.Key_Return)
    assert blocker.args == ["LeakyReLU"]


def test_add_layer_adds_presets_with_their_parameters_as_one_undo_step(dock):
    document = dock.document
    node_id = dock.add_layer("SN-Linear", (40.0, 60.0))
    node = document.graph.nodes[node_id]
    assert node.type == "Linear" and node.params["spectral_norm"] is True
    assert node.position == (40.0, 60.0)
    assert document.selection() == [node_id]
    assert document.undo_stack.count() == 1 and document.undo_stack.undoText() == "Add Linear"
    document.undo_stack.undo()
    assert node_id not in document.graph.nodes
    assert dock.add_layer("NoSuchLayer") is None
    assert document.undo_stack.count() == 1
