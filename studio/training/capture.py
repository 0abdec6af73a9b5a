"""What the network does inside while it trains: activation statistics, gradient norms, feature maps.

On a capture step (`due(step)`: the first step and every `every_n_steps`-th) the trainer calls `arm()`
before the forward, which puts a forward hook on each compiled submodule (named after its node id) that
reduces the node's output to {"mean", "std", "min", "max", "zeros"} (zeros: the fraction of exact zeros,
the share of dead units after a ReLU); `disarm()` removes the hooks again, so the steps in between run
the plain model. After the backward, `grad_norms()` takes each parameter gradient's L2 norm, and
`feature_maps()` runs the probe sample (one fixed sample, e.g. the first validation one) through the
model in eval mode with the graph's own capture, returning the chosen nodes' outputs as numpy arrays (a
node with several outputs: its first) without the batch dimension; `collect` also reports the attention
map of each chosen attention node (MultiheadAttention, SelfAttention2d, TransformerEncoderLayer:
studio/training/attention.py) from the same forward, so a run shows them live.
With capture off the trainer creates no Capture and nothing is hooked.

`watch(node_ids)` changes the feature-map nodes while a run goes on (from any thread): the next capture
step uses them, and ids the model does not know (a node added after the run started) are left out
silently, unlike the constructor's `nodes`, which are checked up front.

The probe sample is taken along each output's own batch axis: where the graph's shape inference puts the
batch symbol N (`batch_axes(graph)`, computed once when the Capture is made from the graph the model was
compiled from). That is axis 0 for most outputs but not all: a recurrent layer's 'hidden' port is
(layers·directions)×N×H, and so is whatever is computed from it (a Linear on h_n). An output whose known
shape has no N comes whole; without a graph, or for a node the inference does not know, axis 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import engine
from studio.graph.compile import CompileError, GraphModule
from studio.graph.inference import BLOCK, OK, Inference
from studio.graph.model import Graph
from studio.graph.shapes import BATCH

from .attention import attention_hooks
from .callbacks import CaptureInfo

STAT_NAMES = ("mean", "std", "min", "max", "zeros")
# node id -> {output port: the batch axis of that output, None where its shape has no batch}
BatchAxes = dict[str, dict[str, int | None]]


def tensor_stats(value: Any) -> dict[str, float] | None:
    """mean, std, min, max and fraction of zeros of a floating tensor; None for anything else."""
    if not isinstance(value, engine.Tensor) or not value.is_floating_point() or value.numel() == 0:
        return None
    with engine.no_grad():
        flat = value.detach().reshape(-1)
        std = flat.std() if flat.numel() > 1 else engine.zeros((), dtype=flat.dtype, device=flat.device)
        row = engine.stack([flat.mean(), std, flat.amin(), flat.amax(),
                            (flat == 0).to(flat.dtype).mean()])
        return dict(zip(STAT_NAMES, (float(v) for v in row.tolist())))


class Capture:
    def __init__(self, model: GraphModule, *, every_n_steps: int = 50, nodes: Iterable[str] = (),
                 probe: tuple[Any, ...] | None = None, graph: Graph | None = None) -> None:
        """graph: the graph `model` was compiled from, which says where each output holds the batch."""
        self.model = model
        self.every = max(1, int(every_n_steps))
        self.nodes = list(nodes)
        with model.capture(self.nodes):  # an unknown node id raises CompileError now, not mid-run
            pass
        self.probe = probe  # (inputs..., targets...) each with a batch dimension of 1
        self.batch_axes: BatchAxes = batch_axes(graph) if graph is not None else {}
        self._wanted: tuple[str, ...] = tuple(self.nodes)  # replaced whole by watch(): no lock needed
        self._resolved: tuple[str, ...] = self._wanted
        self.activations: dict[str, dict[str, float]] = {}
        self._handles: list[Any] = []

    def due(self, step: int) -> bool:
        """Whether the step about to run (1-based) is a capture step."""
        return step == 1 or step % self.every == 0

    def arm(self) -> None:
        self.disarm()
        self.activations = {}
        for name, module in self.model.named_children():
            if name in self.model.loss_names:
                continue
            self._handles.append(module.register_forward_hook(self._hook(name)))

    def disarm(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, name: str) -> Any:
        def hook(module: Any, inputs: Any, output: Any) -> None:
            first = output[0] if isinstance(output, tuple) and output else output
            stats = tensor_stats(first)
            if stats is not None:
                self.activations[name] = stats

        return hook

    def grad_norms(self) -> dict[str, float]:
        named = [(n, p.grad) for n, p in self.model.named_parameters() if p.grad is not None]
        if not named:
            return {}
        with engine.no_grad():
            norms = engine.stack([g.detach().float().norm() for _, g in named]).tolist()
        return {name: float(v) for (name, _), v in zip(named, norms)}

    def watch(self, node_ids: Iterable[str]) -> None:
        """The feature-map nodes from the next capture step on; unknown ids are ignored there."""
        self._wanted = tuple(dict.fromkeys(node_ids))

    def _update_nodes(self) -> None:
        wanted = self._wanted
        if wanted == self._resolved:
            return
        nodes = list(wanted)
        while True:  # on the training thread: the model's capture set is not touched from elsewhere
            try:
                with self.model.capture(nodes):
                    break
            except CompileError as error:
                if error.node_id not in nodes:
                    nodes = []
                    break
                nodes.remove(error.node_id)
        self.nodes, self._resolved = nodes, wanted

    def feature_maps(self) -> dict[str, np.ndarray]:
        return self.probe_maps()[0]

    def probe_maps(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The chosen nodes' outputs for the probe sample, and the attention maps of those among them
        that compute attention; both without the batch dimension."""
        self._update_nodes()
        if not self.nodes or self.probe is None:
            return {}, {}
        model, was_training = self.model, self.model.training
        model.eval()
        try:
            with engine.no_grad(), attention_hooks(model, self.nodes) as attention, \
                    model.capture(self.nodes) as captured:
                model.forward_all(*self.probe)
                maps = {node: probe_slice(captured[node], self.batch_axes.get(node))
                        for node in self.nodes if node in captured}
            # attention weights are batch first whatever the layer's batch_first (as torch returns them)
            weights = {node: probe_slice(value) for node, value in attention.items()}
            return ({node: value for node, value in maps.items() if value is not None},
                    {node: value for node, value in weights.items() if value is not None})
        finally:
            model.train(was_training)

    def collect(self, step: int, grad_norms: dict[str, float]) -> CaptureInfo:
        self.disarm()
        maps, attention = self.probe_maps()
        return CaptureInfo(step=step, activations=dict(self.activations), grad_norms=grad_norms,
                           feature_maps=maps, attention=attention)


def batch_axes(graph: Graph) -> BatchAxes:
    """Per node and output port, the axis of the batch symbol in the inferred shape (None: a known shape
    without one); nodes the inference cannot evaluate are left out. Inner nodes of blocks are included
    under their expanded ids (`block__0__inner`)."""
    inference = Inference(graph, attach=False)
    inference.infer()
    infos = dict(inference.infos)
    if any(node.type == BLOCK for node in graph):
        from studio.graph.blocks import expand_blocks
        from studio.graph.errors import GraphError

        try:
            inner = Inference(expand_blocks(graph), attach=False)
        except GraphError:  # the outer inference reports it on the block; its outputs are still known
            pass
        else:
            inner.infer()
            infos = {**inner.infos, **infos}
    return {node_id: {port: _batch_axis(shape) for port, shape in info.outputs.items() if shape is not None}
            for node_id, info in infos.items() if info.status == OK}


def _batch_axis(shape: tuple) -> int | None:
    return shape.index(BATCH) if BATCH in shape else None


def probe_slice(value: Any, axes: dict[str, int | None] | None = None, port: str | None = None) -> \
        np.ndarray | None:
    """The probe's own slice of a node's output (`port` of a node with several, default its first) along
    that output's batch axis in `axes` (port -> axis, see batch_axes; axis 0 when not known); None for
    what is no tensor or a scalar (a loss)."""
    if isinstance(value, dict):
        if port not in value:
            port = next(iter(value), None)
        value = value.get(port)
    elif axes:
        port = next(iter(axes))  # a node with one output (or a block's only one)
    if isinstance(value, tuple):
        value = value[0]
    if not isinstance(value, engine.Tensor) or value.dim() == 0:
        return None
    axis = (axes or {}).get(port, 0) if port is not None else 0
    array = value.detach().cpu().numpy()
    if axis is None:
        return np.array(array)
    if axis >= array.ndim:  # the inferred shape does not match what ran: the usual layout
        axis = 0
    return np.take(array, 0, axis=axis)
