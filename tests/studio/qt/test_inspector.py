"""The tensor inspector: statistics, histogram, slicing, table and .npy saving; the dock's parameters."""

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal

import engine
from studio.graph.commands import SetParam
from studio.graph.project import Project
from studio.qt.docks.inspector import HIST_BINS, InspectorDock, TensorInspector
from studio.qt.document import Document
from studio.templates import load_template
from studio.training.datasets import open_dataset
from studio.training.trainer import Trainer


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
    dock.show()
    document.set_selection(["conv1"])
    items = [dock.source_combo.itemText(i) for i in range(dock.source_combo.count())]
    assert any(t.startswith("conv1.weight") for t in items)
    assert dock.inspector.array is not None and dock.inspector.array.ndim == 4
    document.set_selection(["fc1"])
    items = [dock.source_combo.itemText(i) for i in range(dock.source_combo.count())]
    assert items == ["fc1.weight (initial)", "fc1.bias (initial)", "gradient of fc1.weight",
                     "gradient of fc1.bias"]
    document.set_selection(["conv1"])
    dock.show_output("conv1", np.zeros((6, 24, 24), dtype=np.float32))
    assert dock.source_combo.itemText(0).startswith("conv1 output")
    document.set_selection(["conv1_relu"])
    assert dock.source_combo.count() == 0 and dock.inspector.array is None


def test_a_hidden_dock_builds_nothing_and_shows_the_current_selection_when_shown(qtbot, monkeypatch):
    from studio.graph import registry

    built = []
    real_build = registry.build_module
    monkeypatch.setattr(registry, "build_module", lambda *args: built.append(args[0]) or real_build(*args))
    document = Document(load_template("lenet5"))
    dock = InspectorDock(document)
    qtbot.addWidget(dock)
    for node_id in ("conv1", "fc1", "fc2"):
        document.set_selection([node_id])
    dock.show_output("fc2", np.zeros(10, dtype=np.float32))
    assert built == [] and dock.source_combo.count() == 0
    dock.show()
    assert len(built) == 1 and built[0].type == "Linear"  # fc2 only, once
    items = [dock.source_combo.itemText(i) for i in range(dock.source_combo.count())]
    assert items[:3] == ["fc2 output (probe sample)", "fc2.weight (initial)", "fc2.bias (initial)"]
    assert dock.inspector.array is not None and dock.inspector.array.shape == (10,)
    dock.hide()
    document.set_selection(["conv1"])
    assert len(built) == 1
    dock.show()
    assert dock.source_combo.itemText(0) == "conv1.weight (initial)" and len(built) == 2


# ------------------------------------------------------------------------------------------ gradients ---
class FakeRunner(QObject):
    state_changed = Signal(str)

    def __init__(self, state_dict=None):
        super().__init__()
        self.state = "idle"
        self.last_state_dict = state_dict


def _direct_gradient(project, name, state=None):
    """d loss / d parameter the plain way: the Trainer's seeded model, the first batch_size training
    samples, one forward and backward with engine autograd."""
    trainer = Trainer(Project.from_dict(project.to_dict()))
    model = trainer.model
    if state is not None:
        model.load_state_dict(state)
    data = open_dataset(project.settings["dataset"])
    samples = [data.train[i] for i in range(project.settings["batch_size"])]
    x = engine.stack([s[0] for s in samples])
    y = engine.stack([s[1] for s in samples])
    model.train()
    values = model.forward_all(x, y)
    values[model.loss_names[0]].backward()
    return dict(model.named_parameters())[name].grad.numpy()


def _gradient_dock(qtbot, project, runner=None):
    dock = InspectorDock(Document(project), runner=runner)
    qtbot.addWidget(dock)
    dock.show()  # gradients are computed for a shown dock only
    return dock


def _choose_gradient(dock, qtbot, node_id, name):
    dock.document.set_selection([node_id])
    dock.source_combo.setCurrentText(f"gradient of {name}")
    assert dock.source_combo.currentText() == f"gradient of {name}"
    qtbot.waitUntil(lambda: dock.gradients is not None or dock.gradient_error is not None, timeout=20_000)
    dock.worker.wait(10_000)


def test_gradient_of_a_linear_weight_equals_engine_autograd_on_the_first_batch(qtbot):
    project = load_template("mlp")
    dock = _gradient_dock(qtbot, project)
    _choose_gradient(dock, qtbot, "fc1", "fc1.weight")
    expected = _direct_gradient(project, "fc1.weight")
    np.testing.assert_allclose(dock.inspector.array, expected, rtol=1e-5, atol=1e-7)
    s = dock.inspector.stats
    assert s["mean"] == pytest.approx(float(expected.mean()), rel=1e-4, abs=1e-9)
    assert s["std"] == pytest.approx(float(expected.std()), rel=1e-4)
    assert (s["min"], s["max"]) == pytest.approx((float(expected.min()), float(expected.max())), rel=1e-4)
    assert "first 32 training samples of 'digits'" in dock.note.text()
    assert "initial weights (seed 0)" in dock.note.text()
    dock.source_combo.setCurrentText("gradient of fc1.bias")  # the same backward: no new job needed
    assert dock.inspector.array.shape == (128,)


def test_gradient_of_a_conv_weight_uses_the_last_runs_weights(qtbot):
    project = load_template("lenet5")
    initial = Trainer(Project.from_dict(project.to_dict())).model.state_dict()
    trained = {k: v * 1.5 for k, v in initial.items()}
    dock = _gradient_dock(qtbot, project, FakeRunner(trained))
    _choose_gradient(dock, qtbot, "conv1", "conv1.weight")
    expected = _direct_gradient(project, "conv1.weight", trained)
    assert dock.inspector.array.shape == (6, 1, 5, 5)
    np.testing.assert_allclose(dock.inspector.array, expected, rtol=1e-4, atol=1e-6)
    assert dock.inspector.stats["std"] == pytest.approx(float(expected.std()), rel=1e-4)
    assert "trained weights of the last run" in dock.note.text()


def test_gradient_without_a_dataset_or_a_loss_says_why(qtbot):
    project = load_template("mlp")
    project.settings["dataset"] = None
    dock = _gradient_dock(qtbot, project)
    _choose_gradient(dock, qtbot, "fc1", "fc1.weight")
    assert dock.inspector.array is None
    assert "choose a dataset" in dock.inspector.info_label.text()

    project = load_template("mlp")
    graph = project.graph
    graph.remove_node("loss")
    dock = _gradient_dock(qtbot, project)
    _choose_gradient(dock, qtbot, "fc1", "fc1.weight")
    assert dock.inspector.array is None
    assert "no loss node" in dock.inspector.info_label.text()


def test_an_edit_recomputes_the_gradient(qtbot):
    project = load_template("mlp")
    dock = _gradient_dock(qtbot, project)
    _choose_gradient(dock, qtbot, "fc2", "fc2.weight")
    before = dock.inspector.array.copy()
    dock.document.execute(SetParam("fc1", "out_features", 96))  # fc2 now takes 96 features
    dock.document.execute(SetParam("fc2", "in_features", 96))
    dock.source_combo.setCurrentText("gradient of fc2.weight")
    qtbot.waitUntil(lambda: dock.inspector.array is not None and dock.inspector.array.shape == (64, 96),
                    timeout=20_000)
    assert before.shape == (64, 128)
    dock.worker.wait(10_000)
