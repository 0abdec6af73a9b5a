"""The feature-map dock: the selected node's output for one probe sample, as an image grid of channels,
a heatmap of a 2-D output, or bars (or a heatmap strip) of a vector.

The probe is the first validation sample of the project's dataset (the first training one when there is
no validation split), or a random tensor of the Input shape when no dataset is set; the dock says which.
The work (open the dataset, compile the graph, run the probe with the graph's capture) runs on a
QThreadPool; the result comes back through a queued signal. The weights are those of the last finished
training run when the TrainRunner holds them, else a fresh initialisation.

Refresh is on demand (the button, or selecting a node while the dock is shown). The TrainRunner does not
forward the trainer's captures (CaptureInfo), so the maps do not yet refresh live during training.
The worker never switches the engine's global grad mode (a run may be training at the same time).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap
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

from studio.graph.project import Project
from studio.qt.document import Document

MAX_CHANNELS = 64
TILE_MIN = 48  # small maps are enlarged (nearest neighbour) to at least this many pixels a side
_VIRIDIS_ANCHORS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
                            dtype=np.float64)


def colormap_lut(name: str) -> np.ndarray:
    """A 256 x 3 uint8 lookup table: "gray" or "viridis" (a viridis-like ramp through five anchors)."""
    ramp = np.linspace(0.0, 1.0, 256)
    if name == "viridis":
        stops = np.linspace(0.0, 1.0, len(_VIRIDIS_ANCHORS))
        lut = np.stack([np.interp(ramp, stops, _VIRIDIS_ANCHORS[:, c]) for c in range(3)], axis=1)
    else:
        lut = np.repeat(ramp[:, None] * 255.0, 3, axis=1)
    return np.clip(np.rint(lut), 0, 255).astype(np.uint8)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Normalise to 0..255 over the finite values (a constant map becomes mid-gray)."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if high <= low:
        return np.full(v.shape, 128, dtype=np.uint8)
    return np.clip((v - low) / (high - low) * 255.0, 0, 255).astype(np.uint8)


def channel_grid(maps: np.ndarray, lut: np.ndarray, pad: int = 2) -> np.ndarray:
    """Channels (C, H, W), each normalised on its own, tiled into one RGB image (rows, cols, 3) uint8."""
    count, height, width = maps.shape
    scale = max(1, math.ceil(TILE_MIN / max(1, min(height, width))))
    tile_h, tile_w = height * scale, width * scale
    cols = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / cols))
    grid = np.full((rows * (tile_h + pad) + pad, cols * (tile_w + pad) + pad, 3), 40, dtype=np.uint8)
    for i in range(count):
        tile = lut[to_uint8(maps[i])]
        tile = np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1)
        r, c = divmod(i, cols)
        y, x = pad + r * (tile_h + pad), pad + c * (tile_w + pad)
        grid[y:y + tile_h, x:x + tile_w] = tile
    return grid


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (H, W, 3) uint8 array."""
    data = np.ascontiguousarray(rgb)
    height, width = data.shape[:2]
    return QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def probe_output(project_data: dict[str, Any], node_id: str, state: dict[str, Any] | None,
                 probe: tuple[list[np.ndarray], str] | None) -> dict[str, Any]:
    """Worker body: the node's output (no batch dimension) for the probe sample, with how it was made."""
    import engine
    from studio.graph.compile import compile_graph

    project = Project.from_dict(project_data)
    model = compile_graph(project.graph)
    if state:
        own = model.state_dict()
        model.load_state_dict({k: v for k, v in state.items() if k in own and tuple(v.shape) ==
                               tuple(own[k].shape)}, strict=False)
    if probe is None:
        probe = _make_probe(project, model.input_names)
    arrays, source = probe
    model.eval()
    with model.capture([node_id]) as captured:
        model.forward_all(*[engine.from_numpy(a[None, ...]) for a in arrays])
        value = captured.get(node_id)
    if isinstance(value, dict):
        value = next(iter(value.values()))
    if isinstance(value, tuple):
        value = value[0]
    if value is None:
        raise ValueError("the node produced no output")
    output = np.array(value[0].detach().cpu().numpy())
    return {"output": output, "probe": probe, "source": source}


def _make_probe(project: Project, input_names: list[str]) -> tuple[list[np.ndarray], str]:
    spec = project.settings.get("dataset")
    if spec and len(input_names) == 1:
        from studio.training.datasets import open_dataset

        data = open_dataset(spec)
        split, which = (data.val, "validation") if len(data.val) else (data.train, "training")
        x = split[0][0]
        return [np.array(x.detach().cpu().numpy())], f"first {which} sample of '{spec['name']}'"
    rng = np.random.default_rng(0)
    arrays = []
    for name in input_names:
        node = project.graph.nodes[name]
        shape = tuple(int(s) for s in node.params.get("shape", ()))
        dtype = str(node.params.get("dtype", "float32"))
        if "int" in dtype:
            arrays.append(rng.integers(0, 2, size=shape).astype(np.int64))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays, "random input (no dataset set)"


class _Signals(QObject):
    done = Signal(int, object)
    failed = Signal(int, str)


class _Job(QRunnable):
    def __init__(self, token: int, signals: _Signals, args: tuple[Any, ...]) -> None:
        super().__init__()
        self.token, self.signals, self.args = token, signals, args

    def run(self) -> None:
        try:
            result = probe_output(*self.args)
        except Exception as exc:  # a graph that cannot compile or run: report, never crash the pool
            self.signals.failed.emit(self.token, getattr(exc, "message", None) or str(exc))
            return
        self.signals.done.emit(self.token, result)


class FeatureMapsDock(QDockWidget):
    output_ready = Signal(str, object)  # node id, its output for the probe sample (numpy)

    def __init__(self, document: Document, parent: QWidget | None = None, *, runner: Any = None) -> None:
        super().__init__("Feature Maps", parent)
        self.setObjectName("featureMapsDock")
        self.document = document
        self.runner = runner
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.output: np.ndarray | None = None
        self.output_node: str | None = None
        self.image: QImage | None = None
        self.source = ""
        self._token = 0
        self._pending: tuple[str, str] = ("", "")
        self._probes: dict[str, tuple[list[np.ndarray], str]] = {}  # dataset spec json -> probe
        self._signals = _Signals(self)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)

        body = QWidget()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("featureRefreshButton")
        self.refresh_button.clicked.connect(self.refresh)
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
        controls = QHBoxLayout()
        for w in (self.refresh_button, self.first_channel, self.channel_count, self.colormap_combo,
                  self.vector_combo):
            controls.addWidget(w)
        controls.addStretch(1)

        self.status = QLabel("Select a node and press Refresh.")
        self.status.setObjectName("featureStatus")
        self.status.setWordWrap(True)
        self.grid_label = QLabel()
        self.grid_label.setObjectName("featureGrid")
        self.grid_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_label)
        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setObjectName("featureBars")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=(80, 130, 200))
        self.bar_plot.addItem(self.bars)
        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(self.bar_plot)

        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.setWidget(body)

        document.selection_changed.connect(self._selection_changed)
        document.project_replaced.connect(self._forget)
        self._update_controls()

    # ------------------------------------------------------------------------------- computing ---
    def selected_node(self) -> str | None:
        """The single selected top-level node (inside a block the selection names inner nodes, whose
        outputs the compiled top-level graph does not have under those ids)."""
        ids = self.document.selection()
        return ids[0] if len(ids) == 1 and not self.document.block_path else None

    def _selection_changed(self, _ids: list[str]) -> None:
        if self.isVisible() and self.selected_node() is not None:
            self.refresh()

    def _forget(self) -> None:
        self._probes.clear()
        self.output, self.output_node, self.image = None, None, None
        self.grid_label.clear()
        self.status.setText("Select a node and press Refresh.")
        self._update_controls()

    def refresh(self) -> bool:
        """Start computing the selected node's output off the event loop; False when nothing is selected."""
        node_id = self.selected_node()
        if node_id is None:
            self.status.setText("Select one node to see its feature maps.")
            return False
        project = self.document.project
        spec = project.settings.get("dataset")
        key = json.dumps(spec, sort_keys=True)
        state = getattr(self.runner, "last_state_dict", None) if self.runner is not None else None
        self._token += 1
        self._pending = (node_id, key)
        self.status.setText(f"Computing {node_id}…")
        args = (project.to_dict(), node_id, dict(state) if state else None, self._probes.get(key))
        self.pool.start(_Job(self._token, self._signals, args))
        return True

    def _done(self, token: int, result: dict[str, Any]) -> None:
        if token != self._token:
            return  # a newer request is under way
        node_id, key = self._pending
        self._probes[key] = result["probe"]
        self.output, self.output_node, self.source = result["output"], node_id, result["source"]
        self._update_controls()
        self._render()
        self.output_ready.emit(node_id, self.output)

    def _failed(self, token: int, message: str) -> None:
        if token == self._token:
            self.status.setText(f"Cannot show this node: {message}")

    # ------------------------------------------------------------------------------- rendering ---
    def _update_controls(self) -> None:
        out = self.output
        channels = out.shape[0] if out is not None and out.ndim >= 3 else 0
        for w in (self.first_channel, self.channel_count):
            w.setEnabled(channels > 0)
        self.first_channel.setRange(0, max(0, channels - 1))
        self.vector_combo.setEnabled(out is not None and out.ndim <= 1)

    def _render(self) -> None:
        out = self.output
        if out is None:
            return
        lut = colormap_lut(self.colormap_combo.currentText())
        what = f"{self.output_node}: shape {tuple(out.shape)} — probe: {self.source}"
        values = out.real if np.iscomplexobj(out) else out
        if values.ndim <= 1:
            vector = values.reshape(-1).astype(np.float64)
            if self.vector_combo.currentText() == "Bars":
                self.bars.setOpts(x=np.arange(vector.size), height=np.nan_to_num(vector), width=0.8)
                self.bar_plot.autoRange()
                self.stack.setCurrentIndex(1)
                self.image = None
                self.status.setText(what)
                return
            rgb = lut[to_uint8(vector.reshape(1, -1))]
            scale = max(1, math.ceil(TILE_MIN / 2))
            self._show(np.repeat(rgb, scale, axis=0), what)
            return
        if values.ndim == 2:
            self._show(channel_grid(values[None], lut), f"{what} (one 2-D map)")
            return
        maps = values.reshape((-1, *values.shape[-2:])) if values.ndim > 3 else values
        first = min(self.first_channel.value(), maps.shape[0] - 1)
        chosen = maps[first:first + self.channel_count.value()]
        shown = f"channels {first}–{first + len(chosen) - 1} of {maps.shape[0]}"
        self._show(channel_grid(chosen, lut), f"{what}; {shown}")

    def _show(self, rgb: np.ndarray, text: str) -> None:
        self.image = rgb_image(rgb)
        self.grid_label.setPixmap(QPixmap.fromImage(self.image))
        self.stack.setCurrentIndex(0)
        self.status.setText(text)
