"""The tensor inspector: statistics, histogram, slicing, table and .npy saving; the dock's parameters."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.qt.docks.inspector import HIST_BINS, InspectorDock, TensorInspector
from studio.qt.document import Document
from studio.templates import load_template


@pytest.fixture
def inspector(qtbot):
    widget = TensorInspector()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_statistics_count_nan_inf_and_zeros(inspector):
    values = np.array([0.0, 1.0, 2.0, 3.0, np.nan, np.inf, -np.inf, 0.0], dtype=np.float32)
    inspector.set_array(values, "x")
    s = inspector.stats
    assert s["nan"] == 1 and s["inf"] == 2
    assert s["zeros"] == pytest.approx(2 / 8)
    assert s["mean"] == pytest.approx(1.2)
    assert s["std"] == pytest.approx(np.std([0, 1, 2, 3, 0]))
    assert (s["min"], s["max"]) == (0.0, 3.0)
    assert "NaN 1" in inspector.stats_label.text() and "Inf 2" in inspector.stats_label.text()
    assert "(8,)" in inspector.info_label.text() and "float32" in inspector.info_label.text()


def test_histogram_has_the_bins_and_counts(inspector):
    values = np.arange(1000, dtype=np.float64)
    inspector.set_array(values)
    assert inspector.hist_counts.size == HIST_BINS
    assert inspector.hist_edges.size == HIST_BINS + 1
    assert int(inspector.hist_counts.sum()) == 1000
    x, y = inspector.hist_item.getData()
    assert len(y) == HIST_BINS


def test_slicing_a_3d_tensor_changes_the_heatmap(inspector, qtbot):
    values = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    inspector.set_array(values, "t")
    assert len(inspector.slice_boxes) == 1
    np.testing.assert_array_equal(inspector.heat_item.image, values[0])
    box = inspector.slice_boxes[0]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert box.value() == 1
    np.testing.assert_array_equal(inspector.heat_item.image, values[1])
    np.testing.assert_array_equal(inspector.slice_2d, values[1])


def test_table_only_for_small_tensors(inspector):
    inspector.set_array(np.ones((4, 5)))
    assert inspector.table.isVisible()
    assert (inspector.table.rowCount(), inspector.table.columnCount()) == (4, 5)
    inspector.set_array(np.ones((40, 40)))
    assert not inspector.table.isVisible()


def test_save_writes_npy(inspector, qtbot, tmp_path):
    target = tmp_path / "saved"
    inspector.save_path = lambda parent, caption, suggested, filters: str(target)
    values = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    inspector.set_array(values, "w")
    qtbot.mouseClick(inspector.save_button, Qt.MouseButton.LeftButton)
    loaded = np.load(str(target) + ".npy", allow_pickle=False)
    np.testing.assert_array_equal(loaded, values)


def test_dock_lists_the_selected_nodes_parameters(qtbot):
    document = Document(load_template("lenet5"))
    dock = InspectorDock(document)
    qtbot.addWidget(dock)
    document.set_selection(["conv1"])
    items = [dock.source_combo.itemText(i) for i in range(dock.source_combo.count())]
    assert any(t.startswith("conv1.weight") for t in items)
    assert dock.inspector.array is not None and dock.inspector.array.ndim == 4
    document.set_selection(["fc1"])
    items = [dock.source_combo.itemText(i) for i in range(dock.source_combo.count())]
    assert items == ["fc1.weight (initial)", "fc1.bias (initial)"]
    document.set_selection(["conv1"])
    dock.show_output("conv1", np.zeros((6, 24, 24), dtype=np.float32))
    assert dock.source_combo.itemText(0).startswith("conv1 output")
    document.set_selection(["conv1_relu"])
    assert dock.source_combo.count() == 0 and dock.inspector.array is None
