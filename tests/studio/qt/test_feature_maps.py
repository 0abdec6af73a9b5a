"""The feature-map dock: channel grids for conv nodes, bars for vectors, computed off the event loop; live
maps from a run's captures, attention maps, the preview that follows edits and the chosen sample."""

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal

from studio.graph.commands import SetParam
from studio.graph.model import Graph
from studio.graph.project import Project
from studio.qt.docks.feature_maps import ATTENTION_PAGE, GRID_PAGE, FeatureMapsDock
from studio.qt.docks.map_images import FitImageLabel, channel_grid, colormap_lut
from studio.qt.document import Document
from studio.templates import load_template
from studio.training.callbacks import CaptureInfo
from studio.training.datasets import open_dataset


class FakeRunner(QObject):
    """What the dock uses of TrainRunner: state, its signal, the captures and the watched nodes."""

    capture = Signal(object)
    state_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.state = "idle"
        self.last_state_dict = None
        self.watched: list[list[str]] = []

    def watch_nodes(self, node_ids: list[str]) -> None:
        self.watched.append(list(node_ids))

    def set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)


def _dock(qtbot, project, runner=None):
    dock = FeatureMapsDock(Document(project), runner=runner)
    qtbot.addWidget(dock)
    dock.show()
    return dock


@pytest.fixture
def conv_dock(qtbot):
    project = load_template("lenet5")
    project.settings["dataset"] = None  # a random probe: fast, and labelled as such
    dock = _dock(qtbot, project)
    yield dock
    dock.worker.wait(10_000)


def _refresh(dock, qtbot, node_id):
    dock.document.set_selection([node_id])
    dock.worker.wait(10_000)  # a selection while shown already computes; then the button
    dock.output = None
    qtbot.mouseClick(dock.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.output is not None and dock.output_node == node_id, timeout=10_000)


def test_conv_node_shows_a_grid_of_channels(conv_dock, qtbot):
    _refresh(conv_dock, qtbot, "conv1")
    assert conv_dock.output.ndim == 3
    pixmap = conv_dock.grid_label.pixmap()
    assert not pixmap.isNull() and pixmap.width() > 0 and pixmap.height() > 0
    assert "random input" in conv_dock.status.text() and "initial weights (seed 0)" in conv_dock.status.text()
    assert conv_dock.stack.currentIndex() == GRID_PAGE
    assert not conv_dock.sample_spin.isEnabled() and conv_dock.split_combo.currentText() == "random input"


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
    assert conv_dock.stack.currentIndex() == GRID_PAGE and not conv_dock.grid_label.pixmap().isNull()


def test_the_chosen_sample_index_and_split_are_what_the_preview_shows(qtbot):
    dock = _dock(qtbot, load_template("mlp"))
    seen = []
    dock.output_ready.connect(lambda node, array: seen.append(node))
    dock.document.set_selection(["image"])  # the Input node's output is the sample itself
    qtbot.waitUntil(lambda: dock.output is not None, timeout=20_000)
    data = open_dataset(dock.document.project.settings["dataset"])
    np.testing.assert_array_equal(dock.output, data.val[0][0].numpy())
    assert "validation sample 0 of 'digits'" in dock.status.text() and seen == ["image"]
    assert dock.sample_spin.maximum() == len(data.val) - 1
    dock.sample_spin.setValue(5)
    qtbot.waitUntil(lambda: "validation sample 5" in dock.status.text(), timeout=10_000)
    np.testing.assert_array_equal(dock.output, data.val[5][0].numpy())
    dock.split_combo.setCurrentText("training")
    assert dock.sample_spin.maximum() == len(data.train) - 1
    qtbot.waitUntil(lambda: "training sample 5" in dock.status.text(), timeout=10_000)
    np.testing.assert_array_equal(dock.output, data.train[5][0].numpy())
    dock.worker.wait(10_000)


def _small_conv_project(out_channels: int = 4) -> Project:
    project = Project()
    graph = project.graph
    graph.add_node("Input", {"shape": (1, 8, 8)}, node_id="image")
    graph.add_node("Conv2d", {"in_channels": 1, "out_channels": out_channels, "kernel_size": 3},
                   node_id="conv")
    graph.add_node("Output", node_id="output")
    graph.connect("image", "out", "conv", "in")
    graph.connect("conv", "out", "output", "in")
    return project


def test_an_edit_recomputes_the_preview(qtbot):
    dock = _dock(qtbot, _small_conv_project(4))
    dock.document.set_selection(["conv"])
    qtbot.waitUntil(lambda: dock.output is not None, timeout=10_000)
    assert dock.output.shape == (4, 6, 6) and "of 4" in dock.status.text()
    dock.document.execute(SetParam("conv", "out_channels", 7))  # no Refresh: the edit alone recomputes
    qtbot.waitUntil(lambda: dock.output.shape[0] == 7, timeout=10_000)
    assert "channels 0–6 of 7" in dock.status.text()
    dock.worker.wait(10_000)


def test_a_graph_that_does_not_compile_shows_the_reason(conv_dock, qtbot):
    _refresh(conv_dock, qtbot, "conv1")
    conv_dock.document.execute(SetParam("conv1", "out_channels", 10))  # conv1_bn expects 6 channels
    qtbot.waitUntil(lambda: conv_dock.failed is not None, timeout=10_000)
    text = conv_dock.status.text()
    assert text.startswith("Cannot show this node:") and "BatchNorm2d expects 6 channels" in text
    assert conv_dock.output is None and conv_dock.grid_label.pixmap().isNull()


def test_stale_results_are_dropped(conv_dock, qtbot):
    conv_dock.document.set_selection(["conv1"])
    conv_dock.document.set_selection(["fc1"])  # asked before conv1's answer arrived
    conv_dock.worker.wait(10_000)
    qtbot.waitUntil(lambda: conv_dock.output is not None, timeout=10_000)
    qtbot.wait(50)  # both answers delivered
    assert conv_dock.output_node == "fc1" and conv_dock.output.ndim == 1


def test_attention_node_shows_a_queries_by_keys_map(qtbot):
    project = Project()
    graph = project.graph
    graph.add_node("Input", {"shape": (5, 16)}, node_id="queries")
    graph.add_node("Input", {"shape": (7, 16)}, node_id="memory")
    graph.add_node("MultiheadAttention", {"embed_dim": 16, "num_heads": 2}, node_id="attn")
    graph.add_node("Output", node_id="output")
    graph.connect("queries", "out", "attn", "q")
    graph.connect("memory", "out", "attn", "k")
    graph.connect("attn", "out", "output", "in")
    dock = _dock(qtbot, project)
    dock.document.set_selection(["attn"])
    qtbot.waitUntil(lambda: dock.output is not None, timeout=10_000)
    assert dock.view_combo.isEnabled() and dock.view_combo.currentText() == "attention"
    assert dock.stack.currentIndex() == ATTENTION_PAGE
    image = dock.attention_item.image
    assert image.shape == (5, 7)  # L queries × S keys
    np.testing.assert_allclose(image.sum(axis=1), 1.0, rtol=1e-5)  # softmax rows
    left = dock.attention_plot.getPlotItem().getAxis("left").labelText
    bottom = dock.attention_plot.getPlotItem().getAxis("bottom").labelText
    assert "query" in left and "5 queries" in left and "key" in bottom and "7 keys" in bottom
    dock.view_combo.setCurrentText("output")
    assert dock.stack.currentIndex() == GRID_PAGE and "shape (5, 16)" in dock.status.text()
    dock.worker.wait(10_000)


def _self_attention_2d_project() -> Project:
    """An 8-channel 3×4 image through SelfAttention2d: 12 positions attend to 12 positions."""
    project = Project()
    graph = project.graph
    graph.add_node("Input", {"shape": (8, 3, 4)}, node_id="image")
    graph.add_node("SelfAttention2d", {"in_dim": 8}, node_id="sa")
    graph.add_node("Output", node_id="output")
    graph.connect("image", "out", "sa", "in")
    graph.connect("sa", "out", "output", "in")
    return project


def test_self_attention_2d_shows_its_positions_map(qtbot):
    dock = _dock(qtbot, _self_attention_2d_project())
    dock.document.set_selection(["sa"])
    qtbot.waitUntil(lambda: dock.output is not None, timeout=10_000)
    assert dock.attention_item.image.shape == (12, 12)  # H·W positions attend to H·W positions
    assert "h·W+w" in dock.attention_plot.getPlotItem().getAxis("left").labelText
    dock.worker.wait(10_000)


def _training_lenet(qtbot):
    """A shown dock on lenet5 (random probe input) during a (fake) run, conv1 selected: (dock, runner)."""
    runner = FakeRunner()
    project = load_template("lenet5")
    project.settings["dataset"] = None
    dock = _dock(qtbot, project, runner)
    runner.set_state("running")
    dock.document.set_selection(["conv1"])
    return dock, runner


def test_live_maps_follow_the_runs_captures(qtbot):
    dock, runner = _training_lenet(qtbot)
    assert runner.watched[-1] == ["conv1"]
    assert "next capture" in dock.status.text()
    maps = np.random.default_rng(1).standard_normal((6, 28, 28)).astype(np.float32)
    runner.capture.emit(CaptureInfo(step=340, activations={}, grad_norms={}, feature_maps={"conv1": maps}))
    np.testing.assert_array_equal(dock.output, maps)
    assert "step 340, live" in dock.status.text() and dock.live_step == 340
    runner.capture.emit(CaptureInfo(360, {}, {}, {"conv1": maps[:3] * 2}))
    assert dock.output.shape[0] == 3 and "step 360, live" in dock.status.text()
    dock.document.set_selection(["fc1"])  # not captured yet: asked for, and said so
    assert runner.watched[-1] == ["fc1"] and "next capture" in dock.status.text()
    runner.set_state("idle")  # the run ended: back to the preview with the run's weights
    qtbot.waitUntil(lambda: dock.live_step is None and dock.output_node == "fc1", timeout=10_000)
    assert "random input" in dock.status.text()
    dock.worker.wait(10_000)


def test_a_hidden_dock_draws_no_capture_and_shows_the_latest_when_shown(qtbot):
    dock, runner = _training_lenet(qtbot)
    dock.hide()
    maps = np.random.default_rng(3).standard_normal((6, 28, 28)).astype(np.float32)
    for step in (20, 40):
        runner.capture.emit(CaptureInfo(step, {}, {}, {"conv1": maps * step}))
    assert dock.output is None and dock.image is None  # nothing rendered while hidden
    dock.show()
    np.testing.assert_array_equal(dock.output, maps * 40)
    assert dock.live_step == 40 and "step 40, live" in dock.status.text() and dock.image is not None


def test_grid_helpers():
    lut = colormap_lut("gray")
    assert lut.shape == (256, 3) and lut[0].tolist() == [0, 0, 0] and lut[255].tolist() == [255, 255, 255]
    grid = channel_grid(np.random.default_rng(0).standard_normal((5, 4, 4)), lut)
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3


def test_a_real_run_shows_live_maps_then_the_preview_with_its_weights(qtbot):
    from studio.qt.train_runner import TrainRunner

    project = load_template("mlp")
    project.settings["epochs"] = 1
    runner = TrainRunner()
    dock = _dock(qtbot, project, runner)
    dock.document.set_selection(["fc1"])
    qtbot.waitUntil(lambda: dock.output is not None, timeout=10_000)
    assert "initial weights" in dock.status.text()
    assert runner.start(dock.document.project)
    qtbot.waitUntil(lambda: dock.live_step is not None, timeout=20_000)
    assert dock.output.shape == (128,) and f"step {dock.live_step}, live" in dock.status.text()
    qtbot.waitUntil(lambda: runner.state == "idle", timeout=30_000)
    qtbot.waitUntil(lambda: dock.live_step is None and "trained weights" in dock.status.text(),
                    timeout=10_000)
    dock.worker.wait(10_000)


def _attention_classifier() -> Project:
    """digits rows as 8 tokens of 8 features -> self-attention -> a linear classifier: trains in a second."""
    graph = Graph()
    graph.add_node("Input", {"shape": (1, 8, 8)}, node_id="image")
    graph.add_node("Reshape", {"shape": (8, 8)}, node_id="rows")
    graph.add_node("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, node_id="attn")
    graph.add_node("Flatten", node_id="flatten")
    graph.add_node("Linear", {"in_features": 64, "out_features": 10}, node_id="fc")
    graph.add_node("Output", node_id="output")
    graph.add_node("Target", {"shape": (), "dtype": "int64"}, node_id="target")
    graph.add_node("CrossEntropy", node_id="loss")
    for src, dst, port in (("image", "rows", "in"), ("rows", "attn", "q"), ("attn", "flatten", "in"),
                           ("flatten", "fc", "in"), ("fc", "output", "in"), ("fc", "loss", "input"),
                           ("target", "loss", "target")):
        graph.connect(src, "out", dst, port)
    settings = {**load_template("mlp").settings, "epochs": 1, "batch_size": 64}  # digits
    return Project(graph=graph, settings=settings)


def test_a_real_run_shows_the_attention_map_live(qtbot):
    from studio.qt.train_runner import TrainRunner

    runner = TrainRunner()
    dock = _dock(qtbot, _attention_classifier(), runner)
    dock.document.set_selection(["attn"])
    qtbot.waitUntil(lambda: dock.attention is not None, timeout=10_000)
    seen: list[tuple] = []  # what the dock showed right after each capture (the run ends within a second)
    runner.capture.connect(lambda info: seen.append((info, dock.live_step, dock.stack.currentIndex(),
                                                     dock.attention_item.image.copy(), dock.status.text())))
    with qtbot.waitSignal(runner.finished, timeout=30_000) as done:
        assert runner.start(dock.document.project)
    assert done.args[0].status == "finished"
    live = [s for s in seen if "attn" in s[0].feature_maps]
    assert live, "the watched attention node was never captured"
    info, step, page, image, text = live[-1]
    weights = info.attention["attn"]
    assert weights.shape == (8, 8)  # 8 query rows × 8 key rows of the digit
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    assert info.feature_maps["attn"].shape == (8, 8)  # the output port, as before
    assert step == info.step and page == ATTENTION_PAGE and "live" in text and "attention weights 8×8" in text
    np.testing.assert_allclose(image, weights, rtol=1e-6)
    dock.worker.wait(10_000)


def test_live_attention_keeps_the_toggle_and_names_the_positions(qtbot):
    runner = FakeRunner()
    dock = _dock(qtbot, _self_attention_2d_project(), runner)
    runner.set_state("running")
    dock.document.set_selection(["sa"])
    rng = np.random.default_rng(2)
    weights = rng.random((12, 12))
    weights /= weights.sum(axis=1, keepdims=True)
    maps = rng.standard_normal((8, 3, 4)).astype(np.float32)
    runner.capture.emit(CaptureInfo(20, {}, {}, {"sa": maps}, attention={"sa": weights}))
    assert dock.stack.currentIndex() == ATTENTION_PAGE and dock.view_combo.isEnabled()
    np.testing.assert_allclose(dock.attention_item.image, weights)
    assert "h·W+w" in dock.attention_plot.getPlotItem().getAxis("left").labelText
    assert "step 20, live" in dock.status.text()
    dock.view_combo.setCurrentText("output")
    assert dock.stack.currentIndex() == GRID_PAGE and "shape (8, 3, 4)" in dock.status.text()
    runner.capture.emit(CaptureInfo(40, {}, {}, {"sa": maps * 2}, attention={"sa": weights}))
    assert dock.stack.currentIndex() == GRID_PAGE and "step 40, live" in dock.status.text()  # stays on output
    dock.view_combo.setCurrentText("attention")
    assert dock.stack.currentIndex() == ATTENTION_PAGE
    runner.capture.emit(CaptureInfo(60, {}, {}, {"sa": maps}))  # a capture without the map: output only
    assert not dock.view_combo.isEnabled() and dock.stack.currentIndex() == GRID_PAGE


def test_the_grid_is_enlarged_to_fill_the_dock_by_whole_factors(conv_dock, qtbot):
    _refresh(conv_dock, qtbot, "conv1")
    image = conv_dock.image
    conv_dock.resize(image.width() * 4 + 200, image.height() * 4 + 300)
    conv_dock.show()
    qtbot.waitUntil(lambda: conv_dock.grid_label.zoom() >= 2)
    assert conv_dock.grid_label.pixmap().size() == image.size() * conv_dock.grid_label.zoom()

    label = FitImageLabel()
    qtbot.addWidget(label)
    label.show()
    qtbot.waitExposed(label)
    label.set_image(image)
    label.resize(image.width() * 3 + 5, image.height() * 4)
    assert label.zoom() == 3 and label.pixmap().size() == image.size() * 3
    assert label.pixmap().toImage().pixelColor(7, 7) == image.pixelColor(2, 2)  # nearest neighbour
    label.resize(image.width() // 2, image.height() // 2)
    assert label.zoom() == 1 and label.pixmap().size() == image.size()  # never shrunk below its size
    label.set_image(None)
    assert label.pixmap().isNull()
