"""The feature-map dock: the selected node's output as an image grid of channels, a heatmap of a 2-D
output or bars (or a heatmap strip) of a vector; for attention nodes also the attention map (queries ×
keys) with a toggle between "attention" and "output".

While a run is active (running or paused) the dock shows what the run captures of the selected node, as
it arrives (runner.capture, a CaptureInfo at most 10 times a second): it asks the runner to capture that
node (runner.watch_nodes), shows its output from the capture's feature maps and, for attention nodes,
the attention map from the capture's attention (the toggle works on both), and says which step they come
from; a run trains a copy of the project, so edits meanwhile do not change them. Otherwise it is a
preview: the chosen sample (an index into the validation or training split, or a random input without a
dataset) goes through the current graph with the latest weights (studio.training.probe) on a worker
thread (BackgroundCall), recomputed 300 ms after the last edit or sample change; answers to older
requests are dropped and a graph that does not compile shows its message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.qt.document import Document
from studio.training.attention import attention_axes
from studio.training.probe import ProbeResult, probe_node

from .background import BackgroundCall
from .map_images import FitImageLabel, channel_grid, colormap_lut, rgb_image, vector_strip

MAX_CHANNELS = 64
PREVIEW_DELAY_MS = 300  # an edit or a sample change recomputes after this long without another one
RANDOM_INPUT = "random input"
GRID_PAGE, BARS_PAGE, ATTENTION_PAGE = 0, 1, 2


class FeatureMapsDock(QDockWidget):
    output_ready = Signal(str, object)  # node id, its output for the probe sample (numpy)

    def __init__(self, document: Document, parent: QWidget | None = None, *, runner: Any = None) -> None:
        super().__init__("Feature Maps", parent)
        self.setObjectName("featureMapsDock")
        self.document = document
        self.runner = runner
        self.output: np.ndarray | None = None
        self.attention: np.ndarray | None = None
        self.attention_axes = ("query position", "key position")
        self.output_node: str | None = None
        self.image: QImage | None = None
        self.source = ""
        self.live_step: int | None = None  # the step of the shown capture; None for a preview
        self.last_capture: Any = None  # the latest CaptureInfo of the active run
        self.failed: str | None = None  # why the latest preview could not be computed
        self.sizes: dict[str, int] = {}  # the dataset's split sizes, from the latest preview
        self._pending = ""
        self.worker = BackgroundCall(self)
        self.worker.done.connect(self._done)
        self.worker.failed.connect(self._failed)
        self.preview_timer = QTimer(self)
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(PREVIEW_DELAY_MS)
        self.preview_timer.timeout.connect(self._preview_due)
        self._build()

        document.selection_changed.connect(self._selection_changed)
        document.changed.connect(self._edited)
        document.project_replaced.connect(self._forget)
        self.visibilityChanged.connect(self._visibility_changed)
        if runner is not None:
            runner.capture.connect(self.show_capture)
            runner.state_changed.connect(self._runner_state)
        self._update_sample_controls({})
        self._update_controls()

    def _build(self) -> None:
        body = QWidget()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("featureRefreshButton")
        self.refresh_button.clicked.connect(self.refresh)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("sampleSplitCombo")
        self.split_combo.setToolTip("The sample the preview runs through the graph")
        self.sample_spin = QSpinBox()
        self.sample_spin.setObjectName("sampleIndexSpin")
        self.sample_spin.setPrefix("sample ")
        self.split_combo.currentTextChanged.connect(self._sample_changed)
        self.sample_spin.valueChanged.connect(self._sample_changed)
        self.view_combo = QComboBox()
        self.view_combo.setObjectName("featureViewCombo")
        self.view_combo.addItems(["attention", "output"])
        self.view_combo.setToolTip("Attention nodes: the attention weights (queries × keys) or the output")
        self.view_combo.currentTextChanged.connect(self._render)
        self.first_channel = QSpinBox()
        self.first_channel.setObjectName("firstChannelSpin")
        self.first_channel.setPrefix("from ")
        self.channel_count = QSpinBox()
        self.channel_count.setObjectName("channelCountSpin")
        self.channel_count.setRange(1, MAX_CHANNELS)
        self.channel_count.setValue(16)
        self.channel_count.setPrefix("show ")
        self.colormap_combo = QComboBox()
        self.colormap_combo.setObjectName("colormapCombo")
        self.colormap_combo.addItems(["gray", "viridis"])
        self.vector_combo = QComboBox()
        self.vector_combo.setObjectName("vectorModeCombo")
        self.vector_combo.addItems(["Bars", "Heatmap"])
        for box in (self.first_channel, self.channel_count):
            box.valueChanged.connect(self._render)
        self.colormap_combo.currentTextChanged.connect(self._render)
        self.vector_combo.currentTextChanged.connect(self._render)
        sample_row, view_row = QHBoxLayout(), QHBoxLayout()
        for w in (self.refresh_button, self.split_combo, self.sample_spin, self.view_combo):
            sample_row.addWidget(w)
        for w in (self.first_channel, self.channel_count, self.colormap_combo, self.vector_combo):
            view_row.addWidget(w)
        sample_row.addStretch(1)
        view_row.addStretch(1)

        self.status = QLabel("Select a node to see its feature maps.")
        self.status.setObjectName("featureStatus")
        self.status.setWordWrap(True)
        self.grid_label = FitImageLabel()
        self.grid_label.setObjectName("featureGrid")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_label)
        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setObjectName("featureBars")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=(80, 130, 200))
        self.bar_plot.addItem(self.bars)
        self.attention_plot = pg.PlotWidget()
        self.attention_plot.setObjectName("attentionMap")
        self.attention_plot.invertY(True)
        self.attention_item = pg.ImageItem(axisOrder="row-major")
        self.attention_plot.addItem(self.attention_item)
        self.stack = QStackedWidget()
        for page in (scroll, self.bar_plot, self.attention_plot):
            self.stack.addWidget(page)

        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(sample_row)
        layout.addLayout(view_row)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.setWidget(body)

    # ------------------------------------------------------------------------------- selection ---
    def selected_node(self) -> str | None:
        """The single selected top-level node (inside a block the selection names inner nodes, whose
        outputs the compiled top-level graph does not have under those ids)."""
        ids = self.document.selection()
        return ids[0] if len(ids) == 1 and not self.document.block_path else None

    def run_active(self) -> bool:
        """Whether a training run is under way (running or paused): the maps then come from its captures."""
        return self.runner is not None and self.runner.state != "idle"

    def _watch(self) -> None:
        node_id = self.selected_node()
        if node_id is not None and self.runner is not None:
            self.runner.watch_nodes([node_id])

    def _selection_changed(self, _ids: list[str]) -> None:
        if self.isVisible() and self.selected_node() is not None:
            self._watch()
            self.refresh()

    def _visibility_changed(self, visible: bool) -> None:
        if visible and self.selected_node() is not None:
            self._watch()
            self.refresh()

    def _edited(self) -> None:
        if not self.run_active():  # a run trains a copy of the project: edits do not change its maps
            self.preview_timer.start()

    def _sample_changed(self) -> None:
        self._update_sample_controls(self.sizes)  # another split: its own index range
        self.preview_timer.start()

    def _preview_due(self) -> None:
        if self.isVisible() and self.selected_node() is not None and not self.run_active():
            self.refresh()

    def _runner_state(self, state: str) -> None:
        if state != "idle":
            self._watch()
            return
        self.last_capture = None  # the run ended: its captures are history, the preview takes over
        if self.isVisible() and self.selected_node() is not None:
            self.refresh()  # with the run's final weights

    def _forget(self) -> None:
        self.worker.forget()  # a computation for the previous project is no longer wanted
        self.output, self.attention, self.output_node, self.image = None, None, None, None
        self.last_capture = None
        self.grid_label.set_image(None)
        self.status.setText("Select a node to see its feature maps.")
        self._update_sample_controls({})
        self._update_controls()

    # ------------------------------------------------------------------------------------ live ---
    def show_capture(self, info: Any) -> None:
        """A CaptureInfo of the active run: show the selected node's map from it (a hidden dock keeps it
        for when it is shown)."""
        self.last_capture = info
        node_id = self.selected_node()
        if node_id is None or not self.isVisible():
            return
        value = info.feature_maps.get(node_id)
        if value is None:
            self.status.setText(f"Step {info.step}: {node_id} was not captured; it will be from the next "
                                "capture on.")
            return
        attention = info.attention.get(node_id)
        if attention is not None:
            node = self.document.graph.nodes.get(node_id)
            self.attention_axes = attention_axes(node.type if node is not None else "")
        self.worker.forget()  # a preview still computing is older than this
        self._show_result(node_id, np.asarray(value), None if attention is None else np.asarray(attention),
                          f"step {info.step}, live", step=info.step)

    # ------------------------------------------------------------------------------- preview ---
    def refresh(self) -> bool:
        """Show the selected node: its latest capture during a run, else start computing the preview off
        the event loop. False when no single node is selected."""
        node_id = self.selected_node()
        if node_id is None:
            self.status.setText("Select one node to see its feature maps.")
            return False
        self.preview_timer.stop()
        if self.run_active():
            self._watch()
            if self.last_capture is not None and node_id in self.last_capture.feature_maps:
                self.show_capture(self.last_capture)
            else:
                self.status.setText(f"Training: {node_id} shows at the next capture step.")
            return True
        state = self.runner.last_state_dict if self.runner is not None else None
        split = self.split_combo.currentText() if self.split_combo.isEnabled() else "validation"
        self._pending = node_id
        self.status.setText(f"Computing {node_id}…")
        self.worker.call(probe_node, self.document.project.to_dict(), node_id, dict(state) if state else None,
                         split, self.sample_spin.value())
        return True

    def _done(self, result: ProbeResult) -> None:
        self.failed = None
        self._update_sample_controls(result.sizes)
        self.attention_axes = result.attention_axes
        self._show_result(self._pending, result.output, result.attention,
                          f"{result.source}; {result.weights}", step=None)
        self.output_ready.emit(self._pending, self.output)

    def _failed(self, message: str) -> None:
        self.failed = message
        self.output, self.attention, self.image = None, None, None
        self.grid_label.set_image(None)
        self.stack.setCurrentIndex(GRID_PAGE)
        self._update_controls()
        self.status.setText(f"Cannot show this node: {message}")

    def _update_sample_controls(self, sizes: dict[str, int]) -> None:
        """The split choice and the index range for the dataset's split sizes (none: a random input)."""
        self.sizes = dict(sizes)
        current = self.split_combo.currentText()
        choices = [name for name in ("validation", "training") if sizes.get(name)] or [RANDOM_INPUT]
        self.split_combo.blockSignals(True)
        self.sample_spin.blockSignals(True)
        if [self.split_combo.itemText(i) for i in range(self.split_combo.count())] != choices:
            self.split_combo.clear()
            self.split_combo.addItems(choices)
            if current in choices:
                self.split_combo.setCurrentText(current)
        with_data = choices != [RANDOM_INPUT]
        self.split_combo.setEnabled(with_data)
        self.sample_spin.setEnabled(with_data)
        size = sizes.get(self.split_combo.currentText(), 0)
        self.sample_spin.setRange(0, max(0, size - 1) if with_data else 0)
        self.split_combo.blockSignals(False)
        self.sample_spin.blockSignals(False)

    # ------------------------------------------------------------------------------- rendering ---
    def _show_result(self, node_id: str, output: np.ndarray, attention: np.ndarray | None, source: str,
                     step: int | None) -> None:
        if node_id != self.output_node and attention is not None:
            self.view_combo.blockSignals(True)
            self.view_combo.setCurrentText("attention")  # a newly selected attention node opens on it
            self.view_combo.blockSignals(False)
        self.output, self.attention, self.output_node = output, attention, node_id
        self.source, self.live_step = source, step
        self._update_controls()
        self._render()

    def showing_attention(self) -> bool:
        return self.attention is not None and self.view_combo.currentText() == "attention"

    def _update_controls(self) -> None:
        out = None if self.showing_attention() else self.output
        channels = out.shape[0] if out is not None and out.ndim >= 3 else 0
        for w in (self.first_channel, self.channel_count):
            w.setEnabled(channels > 0)
        self.first_channel.setRange(0, max(0, channels - 1))
        self.vector_combo.setEnabled(out is not None and out.ndim <= 1)
        self.view_combo.setEnabled(self.attention is not None)

    def _render(self) -> None:
        out = self.output
        if out is None:
            return
        self._update_controls()
        lut = colormap_lut(self.colormap_combo.currentText())
        if self.showing_attention():
            self._render_attention(lut)
            return
        what = f"{self.output_node}: shape {tuple(out.shape)} — {self.source}"
        values = out.real if np.iscomplexobj(out) else out
        if values.ndim <= 1:
            vector = values.reshape(-1).astype(np.float64)
            if self.vector_combo.currentText() == "Bars":
                self.bars.setOpts(x=np.arange(vector.size), height=np.nan_to_num(vector), width=0.8)
                self.bar_plot.autoRange()
                self.stack.setCurrentIndex(BARS_PAGE)
                self.image = None
                self.status.setText(what)
                return
            self._show(vector_strip(vector, lut), what)
            return
        if values.ndim == 2:
            self._show(channel_grid(values[None], lut), f"{what} (one 2-D map)")
            return
        maps = values.reshape((-1, *values.shape[-2:])) if values.ndim > 3 else values
        first = min(self.first_channel.value(), maps.shape[0] - 1)
        chosen = maps[first:first + self.channel_count.value()]
        shown = f"channels {first}–{first + len(chosen) - 1} of {maps.shape[0]}"
        self._show(channel_grid(chosen, lut), f"{what}; {shown}")

    def _render_attention(self, lut: np.ndarray) -> None:
        weights = np.nan_to_num(np.asarray(self.attention, dtype=np.float64))
        if weights.ndim > 2:  # per-head weights: their mean, as the MultiheadAttention port gives
            weights = weights.reshape(-1, *weights.shape[-2:]).mean(axis=0)
        queries, keys = weights.shape
        self.attention_item.setLookupTable(lut)
        high = float(weights.max()) if weights.size else 1.0
        self.attention_item.setImage(weights, levels=(0.0, high if high > 0 else 1.0))
        query_axis, key_axis = self.attention_axes
        self.attention_plot.setLabel("left", f"{query_axis}, {queries} queries")
        self.attention_plot.setLabel("bottom", f"{key_axis}, {keys} keys")
        self.attention_plot.autoRange()
        self.stack.setCurrentIndex(ATTENTION_PAGE)
        self.image = None
        self.status.setText(f"{self.output_node}: attention weights {queries}×{keys} (row = query, "
                            f"column = key; rows sum to 1) — {self.source}")

    def _show(self, rgb: np.ndarray, text: str) -> None:
        self.image = rgb_image(rgb)
        self.grid_label.set_image(self.image)
        self.stack.setCurrentIndex(GRID_PAGE)
        self.status.setText(text)
