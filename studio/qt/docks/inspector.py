"""The tensor inspector: shape, dtype, device, statistics, histogram, a heatmap of a 2-D slice, a table
of values for small tensors and "Save .npy" for any numpy array; the dock adds a chooser of the selected
node's parameters, their gradients (and the node output the feature-map dock computed).

Parameters come from the node's own module, built the way compile_graph builds it (so the values are a
fresh initialisation) unless the TrainRunner holds the weights of a finished run (`last_state_dict`), whose
values are shown instead. "gradient of <param>" is d loss / d param on the first training batch
(studio.training.probe.batch_gradients: the run's weights, else the seeded initial ones), computed on a
worker thread once per edit and set of weights; not while a run is active (it changes them every step).
A hidden dock does no work: it shows the current selection when it is shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.qt.document import Document
from studio.training.probe import GradientResult, batch_gradients

from .background import BackgroundCall

HIST_BINS = 50
TABLE_LIMIT = 1000  # tensors with at most this many elements get a table of values

SavePath = Callable[[QWidget, str, str, str], str]  # (parent, caption, suggested path, filter) -> path or ""


def _ask_save_path(parent: QWidget, caption: str, suggested: str, filters: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
    return path


def array_stats(array: np.ndarray) -> dict[str, float | int]:
    """mean, std, min, max over the finite values; counts of NaN and Inf; the fraction of exact zeros."""
    values = np.asarray(array)
    if values.dtype == np.bool_:
        values = values.astype(np.uint8)
    flat = values.reshape(-1)
    stats: dict[str, float | int] = {"size": int(flat.size)}
    if np.issubdtype(flat.dtype, np.floating) or np.issubdtype(flat.dtype, np.complexfloating):
        stats["nan"] = int(np.isnan(flat).sum())
        stats["inf"] = int(np.isinf(flat).sum())
        finite = flat[np.isfinite(flat)].real.astype(np.float64)
    else:
        stats["nan"] = stats["inf"] = 0
        finite = flat.astype(np.float64)
    stats["zeros"] = float((flat == 0).mean()) if flat.size else 0.0
    if finite.size:
        stats.update(mean=float(finite.mean()), std=float(finite.std()), min=float(finite.min()),
                     max=float(finite.max()))
    else:
        stats.update(mean=float("nan"), std=float("nan"), min=float("nan"), max=float("nan"))
    return stats


def histogram(array: np.ndarray, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin edges of the finite values (no bins for an array without finite values)."""
    flat = np.asarray(array).reshape(-1)
    if np.issubdtype(flat.dtype, np.complexfloating):
        flat = flat.real
    flat = flat.astype(np.float64)
    finite = flat[np.isfinite(flat)]
    if finite.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.histogram(finite, bins=bins)


class TensorInspector(QWidget):
    """Everything about one numpy array; `set_array(array, name)` shows another."""

    def __init__(self, parent: QWidget | None = None, *, save_path: SavePath | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tensorInspector")
        self.save_path = save_path or _ask_save_path
        self.array: np.ndarray | None = None
        self.name = ""
        self.stats: dict[str, float | int] = {}
        self.hist_counts = np.zeros(0, dtype=np.int64)
        self.hist_edges = np.zeros(0)
        self.slice_2d: np.ndarray | None = None
        self.last_saved: str | None = None

        self.info_label = QLabel("No tensor")
        self.info_label.setObjectName("tensorInfo")
        self.info_label.setWordWrap(True)
        self.stats_label = QLabel("")
        self.stats_label.setObjectName("tensorStats")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stats_label.setWordWrap(True)

        self.hist_plot = pg.PlotWidget()
        self.hist_plot.setObjectName("tensorHistogram")
        self.hist_plot.setMinimumHeight(120)
        self.hist_item = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(80, 130, 200, 160))
        self.hist_plot.addItem(self.hist_item)

        self.slice_row = QHBoxLayout()
        self.slice_boxes: list[QSpinBox] = []
        self.heat_plot = pg.PlotWidget()
        self.heat_plot.setObjectName("tensorHeatmap")
        self.heat_plot.setMinimumHeight(140)
        self.heat_plot.invertY(True)
        self.heat_plot.setAspectLocked(True)
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item.setColorMap(pg.colormap.get("viridis"))
        self.heat_plot.addItem(self.heat_item)

        self.table = QTableWidget()
        self.table.setObjectName("tensorTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.hide()

        self.save_button = QPushButton("Save .npy…")
        self.save_button.setObjectName("saveNpyButton")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.info_label)
        layout.addWidget(self.stats_label)
        layout.addWidget(self.hist_plot, 1)
        layout.addLayout(self.slice_row)
        layout.addWidget(self.heat_plot, 1)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.save_button)

    # ------------------------------------------------------------------------------------ showing ---
    def set_array(self, array: Any, name: str = "tensor", device: str = "cpu") -> None:
        self.array = np.asarray(array)
        self.name = name
        a = self.array
        self.info_label.setText(f"<b>{name}</b> — shape {tuple(a.shape)}, dtype {a.dtype}, device {device}")
        self.stats = array_stats(a)
        s = self.stats
        self.stats_label.setText(
            f"mean {s['mean']:.6g}   std {s['std']:.6g}   min {s['min']:.6g}   max {s['max']:.6g}\n"
            f"NaN {s['nan']}   Inf {s['inf']}   zeros {s['zeros']:.2%}   elements {s['size']}")
        self.hist_counts, self.hist_edges = histogram(a)
        if self.hist_counts.size:
            self.hist_item.setData(self.hist_edges, self.hist_counts)
        else:
            self.hist_item.setData([], [])
        self._build_slice_boxes()
        self._update_slice()
        self.save_button.setEnabled(True)

    def clear(self, text: str = "No tensor") -> None:
        self.array, self.slice_2d, self.stats = None, None, {}
        self.info_label.setText(text)
        self.stats_label.setText("")
        self.hist_counts, self.hist_edges = np.zeros(0, dtype=np.int64), np.zeros(0)
        self.hist_item.setData([], [])
        self.heat_item.clear()
        self._build_slice_boxes()
        self.table.hide()
        self.save_button.setEnabled(False)

    def _build_slice_boxes(self) -> None:
        for box in self.slice_boxes:
            self.slice_row.removeWidget(box)
            box.deleteLater()
        self.slice_boxes = []
        while self.slice_row.count():
            item = self.slice_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if self.array is None or self.array.ndim <= 2:
            return
        label = QLabel("Slice:")
        self.slice_row.addWidget(label)
        for axis in range(self.array.ndim - 2):
            box = QSpinBox()
            box.setObjectName(f"sliceIndex{axis}")
            box.setRange(0, max(0, self.array.shape[axis] - 1))
            box.setPrefix(f"[{axis}] ")
            box.valueChanged.connect(self._update_slice)
            self.slice_row.addWidget(box)
            self.slice_boxes.append(box)
        self.slice_row.addStretch(1)

    def slice_index(self) -> tuple[int, ...]:
        return tuple(box.value() for box in self.slice_boxes)

    def _update_slice(self) -> None:
        a = self.array
        if a is None:
            return
        if a.ndim == 0:
            part = a.reshape(1, 1)
        elif a.ndim == 1:
            part = a.reshape(1, -1)
        else:
            part = a[self.slice_index()] if a.ndim > 2 else a
        self.slice_2d = np.asarray(part)
        shown = self.slice_2d
        if np.issubdtype(shown.dtype, np.complexfloating):
            shown = np.abs(shown)
        shown = np.nan_to_num(shown.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if shown.size:
            low, high = float(shown.min()), float(shown.max())
            self.heat_item.setImage(shown, levels=(low, high if high > low else low + 1.0))
        else:
            self.heat_item.clear()
        self._fill_table()

    def _fill_table(self) -> None:
        a = self.array
        if a is None or a.size > TABLE_LIMIT or self.slice_2d is None:
            self.table.hide()
            return
        part = self.slice_2d.reshape(1, -1) if a.ndim <= 1 else self.slice_2d
        if a.ndim <= 1:
            part = part.reshape(-1, 1)  # one value per row reads better than a very wide row
        rows, cols = part.shape
        self.table.clear()
        self.table.setRowCount(rows)
        self.table.setColumnCount(cols)
        for r in range(rows):
            for c in range(cols):
                value = part[r, c]
                text = f"{value:.6g}" if np.issubdtype(part.dtype, np.floating) else str(value)
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.show()

    # ------------------------------------------------------------------------------------- saving ---
    def save(self) -> str | None:
        """Ask where, then np.save (no pickles); the path written, or None when cancelled."""
        if self.array is None:
            return None
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in self.name) or "tensor"
        path = self.save_path(self, "Save tensor as .npy", f"{safe}.npy", "NumPy arrays (*.npy)")
        if not path:
            return None
        if not path.endswith(".npy"):
            path += ".npy"
        np.save(path, np.ascontiguousarray(self.array), allow_pickle=False)
        self.last_saved = path
        return path


class InspectorDock(QDockWidget):
    """The inspector plus a chooser of what to inspect for the selected node: its parameters, their
    gradients (computed on demand off the event loop) and its output for the feature-map probe."""

    def __init__(self, document: Document, parent: QWidget | None = None, *, runner: Any = None,
                 save_path: SavePath | None = None) -> None:
        super().__init__("Tensor Inspector", parent)
        self.setObjectName("inspectorDock")
        self.document = document
        self.runner = runner
        self._node_id: str | None = None
        self._sources: dict[str, tuple[np.ndarray, str]] = {}  # combo text -> (array, device)
        self._gradient_of: dict[str, str] = {}  # combo text -> the parameter's state-dict name
        self._output: tuple[str, np.ndarray] | None = None  # (node id, probe output)
        self.gradients: GradientResult | None = None  # of the current graph and weights, once computed
        self.gradient_error: str | None = None
        self._gradient_key: tuple[int, int] | None = None  # (edit revision, weights) they belong to
        self._revision = 0
        self.worker = BackgroundCall(self)
        self.worker.done.connect(self._gradients_done)
        self.worker.failed.connect(self._gradients_failed)

        body = QWidget()
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("inspectorSourceCombo")
        self.source_combo.currentTextChanged.connect(self._source_chosen)
        self.note = QLabel("")
        self.note.setObjectName("inspectorNote")
        self.note.setWordWrap(True)
        self.inspector = TensorInspector(body, save_path=save_path)
        form = QFormLayout()
        form.addRow("Inspect:", self.source_combo)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.inspector, 1)
        self.setWidget(body)

        document.selection_changed.connect(self._selection_changed)
        document.changed.connect(self._edited)
        document.project_replaced.connect(self._replaced)
        if runner is not None:  # a finished run brings new weights: their gradients differ
            runner.state_changed.connect(self._runner_state)
        self.visibilityChanged.connect(lambda visible: visible and self.refresh())
        self._selection_changed(document.selection())

    def _selection_changed(self, ids: list[str]) -> None:
        top_level = not self.document.block_path  # inner ids are not modules of the compiled graph
        self._node_id = ids[0] if len(ids) == 1 and top_level else None
        self.refresh()

    def _edited(self) -> None:
        self._revision += 1
        self.refresh()

    def _runner_state(self, _state: str) -> None:
        self._revision += 1  # a run that ended may have left new weights
        self.refresh()

    def _replaced(self) -> None:
        self._revision += 1
        self._selection_changed([])

    def show_output(self, node_id: str, array: Any) -> None:
        """The selected node's output for the probe sample (from the feature-map dock)."""
        self._output = (node_id, np.asarray(array))
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the chooser for the selected node. A hidden dock skips the work (building a node's
        layer takes milliseconds per selection) and catches up when it is shown."""
        if not self.isVisible():
            return
        node_id = self._node_id
        self._sources, self._gradient_of = {}, {}
        notes = []
        if node_id is not None and node_id in self.document.graph.nodes:
            if self._output is not None and self._output[0] == node_id:
                self._sources[f"{node_id} output (probe sample)"] = (self._output[1], "cpu")
            params, note = self._parameters(node_id)
            self._sources.update(params)
            notes.append(note)
        current = self.source_combo.currentText()
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItems([*self._sources, *self._gradient_of])
        if current in self._sources or current in self._gradient_of:
            self.source_combo.setCurrentText(current)
        self.source_combo.blockSignals(False)
        self.note.setText(" ".join(n for n in notes if n) if node_id else "Select one node to inspect.")
        self._source_chosen(self.source_combo.currentText())

    def _state(self) -> dict[str, Any] | None:
        return self.runner.last_state_dict if self.runner is not None else None

    def _parameters(self, node_id: str) -> tuple[dict[str, tuple[np.ndarray, str]], str]:
        from studio.graph.registry import build_module

        node = self.document.graph.nodes[node_id]
        info = self.document.inference.infos.get(node_id)
        try:
            module = build_module(node.spec, node.params, info.inputs) if info is not None else None
        except Exception as exc:  # a node whose inputs are not inferred yet cannot build its layer
            return {}, f"No parameters: {exc}"
        if module is None:
            return {}, "This node has no parameters."
        trained = self._state() or {}
        found: dict[str, tuple[np.ndarray, str]] = {}
        used_trained = False
        for name, param in module.named_parameters():
            key = f"{node_id}.{name}"
            value = trained.get(key)
            if value is not None and tuple(value.shape) == tuple(param.shape):
                used_trained = True
                found[f"{key} (trained)"] = (_to_numpy(value), str(getattr(value, "device", "cpu")))
            else:
                found[f"{key} (initial)"] = (_to_numpy(param), str(param.device))
            self._gradient_of[f"gradient of {key}"] = key
        if not found:
            return {}, "This node has no parameters."
        where = "weights of the last training run" if used_trained else \
            "a fresh initialisation (train to see learned weights)"
        return found, f"Parameters show {where}."

    def _source_chosen(self, text: str) -> None:
        if text in self._gradient_of:
            self._show_gradient(self._gradient_of[text])
            return
        source = self._sources.get(text)
        if source is None:
            self.inspector.clear("Nothing to inspect" if self._node_id else "No node selected")
            return
        array, device = source
        self.inspector.set_array(array, text.split(" ")[0], device)

    # ------------------------------------------------------------------------------ gradients ---
    def _show_gradient(self, name: str) -> None:
        if self.runner is not None and self.runner.state != "idle":
            self.inspector.clear("Gradients are computed between runs: the running one changes the "
                                 "weights at every step. Stop it or wait for it to end.")
            return
        key = (self._revision, id(self._state()))
        if key != self._gradient_key and not self.isVisible():
            self.inspector.clear(f"The gradient of {name} is computed when this dock is shown.")
            return
        if key != self._gradient_key:
            self._gradient_key, self.gradients, self.gradient_error = key, None, None
            state = self._state()
            self.worker.call(batch_gradients, self.document.project.to_dict(), dict(state) if state else None)
        if self.gradient_error is not None:
            self.inspector.clear(f"No gradient: {self.gradient_error}")
        elif self.gradients is None:
            self.inspector.clear(f"Computing the gradient of {name} on one training batch…")
        elif name not in self.gradients.gradients:
            self.inspector.clear(f"{name} gets no gradient: it does not lead to the loss.")
        else:
            g = self.gradients
            self.inspector.set_array(g.gradients[name], f"grad_{name}")
            self.note.setText(f"d loss / d {name}: loss {g.loss:.6g} on {g.batch} (training mode), with "
                              f"{g.weights}.")

    def _gradients_done(self, result: GradientResult) -> None:
        self.gradients = result
        self._source_chosen(self.source_combo.currentText())

    def _gradients_failed(self, message: str) -> None:
        self.gradient_error = message
        self._source_chosen(self.source_combo.currentText())


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    detached = value.detach() if hasattr(value, "detach") else value
    cpu = detached.cpu() if hasattr(detached, "cpu") else detached
    return np.array(cpu.numpy() if hasattr(cpu, "numpy") else cpu)
