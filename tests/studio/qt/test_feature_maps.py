"""The feature-map dock: channel grids for conv nodes, bars for vectors, computed off the event loop."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.qt.docks.feature_maps import FeatureMapsDock, channel_grid, colormap_lut
from studio.qt.document import Document
from studio.templates import load_template


@pytest.fixture
def conv_dock(qtbot):
    project = load_template("lenet5")
    project.settings["dataset"] = None  # a random probe: fast, and labelled as such
    dock = FeatureMapsDock(Document(project))
    qtbot.addWidget(dock)
    dock.show()
    yield dock
    dock.pool.waitForDone(10_000)


def _refresh(dock, qtbot, node_id):
    dock.document.set_selection([node_id])
    dock.pool.waitForDone(10_000)  # a selection while shown already computes; then the button
    dock.output = None
    qtbot.mouseClick(dock.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.output is not None and dock.output_node == node_id, timeout=10_000)


def test_conv_node_shows_a_grid_of_channels(conv_dock, qtbot):
    _refresh(conv_dock, qtbot, "conv1")
    assert conv_dock.output.ndim == 3
    pixmap = conv_dock.grid_label.pixmap()
    assert not pixmap.isNull() and pixmap.width() > 0 and pixmap.height() > 0
    assert "random input" in conv_dock.status.text()
    assert conv_dock.stack.currentIndex() == 0


def test_channel_range_and_colormap_change_the_image(conv_dock, qtbot):
    _refresh(conv_dock, qtbot, "conv1")
    channels = conv_dock.output.shape[0]
    assert channels > 2
    before = conv_dock.image.copy()
    conv_dock.channel_count.setValue(1)
    one = conv_dock.image.copy()
    assert one.size() != before.size()
    conv_dock.first_channel.setValue(1)
    assert conv_dock.image != one
    assert "channels 1–1" in conv_dock.status.text()
    gray = conv_dock.image.copy()
    conv_dock.colormap_combo.setCurrentText("viridis")
    assert conv_dock.image.size() == gray.size() and conv_dock.image != gray
    pixel = conv_dock.image.pixelColor(10, 10)
    assert not (pixel.red() == pixel.green() == pixel.blue())  # viridis is not gray


def test_linear_node_shows_bars(conv_dock, qtbot):
    _refresh(conv_dock, qtbot, "fc1")
    assert conv_dock.output.ndim == 1
    assert conv_dock.stack.currentIndex() == 1
    heights = conv_dock.bars.opts["height"]
    assert len(heights) == conv_dock.output.size
    conv_dock.vector_combo.setCurrentText("Heatmap")
    assert conv_dock.stack.currentIndex() == 0 and not conv_dock.grid_label.pixmap().isNull()


def test_dataset_probe_is_the_first_validation_sample(qtbot):
    dock = FeatureMapsDock(Document(load_template("mlp")))
    qtbot.addWidget(dock)
    seen = []
    dock.output_ready.connect(lambda node, array: seen.append((node, array.shape)))
    dock.document.set_selection(["fc1"])
    assert dock.refresh()
    qtbot.waitUntil(lambda: dock.output is not None, timeout=20_000)
    assert "first validation sample of 'digits'" in dock.status.text()
    assert seen and seen[0][0] == "fc1"


def test_grid_helpers():
    lut = colormap_lut("gray")
    assert lut.shape == (256, 3) and lut[0].tolist() == [0, 0, 0] and lut[255].tolist() == [255, 255, 255]
    grid = channel_grid(np.random.default_rng(0).standard_normal((5, 4, 4)), lut)
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3
