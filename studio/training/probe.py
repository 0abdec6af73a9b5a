"""Looking inside a model outside a training run: one node's output (and attention map) for one sample,
and every parameter's gradient on one training batch. The GUI runs these on worker threads.

Weights: a finished run's state dict when given (entries whose shape no longer fits the edited graph
keep their initial value), else the initialisation a training run with the project's seed starts from
(seed 0 when the project leaves the seed to chance). Initialising and the random draws of a forward
(dropout) happen inside `engine.random.fork_rng`, so the global random stream is left as it was.

Attention maps (studio/training/attention.py, shared with the training capture): a MultiheadAttention
node's 'weights' port; for SelfAttention2d the softmax of its query·key products (HW×HW, positions in
row-major h·W+w order); for TransformerEncoderLayer its self-attention asked for weights averaged over
heads. All come back without the batch dimension: the output is the sample's slice along its batch axis
(where the shape inference puts N; capture.batch_axes), the attention map the first along axis 0 (attention
weights are batch first whatever the layer's batch_first).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import engine
from studio.graph.compile import GraphModule, compile_graph
from studio.graph.model import Graph
from studio.graph.project import Project, validate_settings

from .attention import DEFAULT_AXES, attention_axes, attention_hooks
from .capture import batch_axes, probe_slice
from .losses import training_graph
from .optim_factory import SetupError

SPLITS = ("validation", "training")
_DATASETS: dict[str, Any] = {}  # spec json -> opened DataSource (the latest two)
_DATASETS_LOCK = threading.Lock()


@dataclass
class ProbeResult:
    output: np.ndarray  # the node's (first) output for the sample, without the batch dimension
    source: str  # which sample: "validation sample 3 of 'digits'" or "random input (no dataset set)"
    weights: str  # which weights: "trained weights (last run)" or "initial weights (seed 0)"
    attention: np.ndarray | None = None  # queries × keys, rows summing to 1
    attention_axes: tuple[str, str] = DEFAULT_AXES
    sizes: dict[str, int] = field(default_factory=dict)  # split name -> samples; empty without a dataset


@dataclass
class GradientResult:
    gradients: dict[str, np.ndarray]  # state-dict name ("conv1.weight") -> d loss / d parameter
    loss: float
    batch: str  # which batch: "the first 32 training samples of 'digits'"
    weights: str


def project_seed(project: Project) -> int:
    seed = project.settings.get("seed")
    return int(seed) if seed is not None else 0


def open_cached(spec: Mapping[str, Any]) -> Any:
    """open_dataset(spec), kept for the next call (changing the sample index must not reload the data)."""
    from .datasets import open_dataset

    key = json.dumps(spec, sort_keys=True)
    with _DATASETS_LOCK:
        if key in _DATASETS:
            return _DATASETS[key]
    data = open_dataset(spec)
    with _DATASETS_LOCK:
        while len(_DATASETS) >= 2:
            _DATASETS.pop(next(iter(_DATASETS)))
        _DATASETS[key] = data
    return data


def build_model(graph: Graph, seed: int, state: Mapping[str, Any] | None, *,
                include_loss: bool = False) -> tuple[GraphModule, str]:
    """The compiled graph with the weights described in the module docstring, and their description."""
    with engine.random.fork_rng():
        engine.manual_seed(seed)
        model = compile_graph(graph, include_loss=include_loss)
    own = model.state_dict()
    fitting = {k: v for k, v in (state or {}).items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
    if fitting:
        model.load_state_dict(fitting, strict=False)
    if not own:
        return model, "no weights"
    if not fitting:
        return model, f"initial weights (seed {seed})"
    if len(fitting) < len(own):
        return model, f"trained weights of the last run where they still fit ({len(fitting)} of {len(own)})"
    return model, "trained weights of the last run"


def probe_sample(project: Project, input_names: list[str], split: str = "validation",
                 index: int = 0) -> tuple[list[np.ndarray], str, dict[str, int]]:
    """The probe inputs (one array per Input, no batch dimension), what they are, and the split sizes.

    With a dataset (and one Input): sample `index` of `split` (the other split when that one is empty);
    without: a random tensor of each Input's shape (seeded, so the same every time)."""
    spec = project.settings.get("dataset")
    if spec and len(input_names) == 1:
        data = open_cached(spec)
        check_input_shape(project.graph, input_names[0], data)
        sizes = {"validation": len(data.val), "training": len(data.train)}
        if not sizes.get(split):
            split = next((s for s in SPLITS if sizes[s]), "")
        if not split:
            raise SetupError(f"the dataset '{spec['name']}' has no samples")
        chosen = data.val if split == "validation" else data.train
        if not 0 <= index < len(chosen):
            raise SetupError(f"there is no {split} sample {index}: the split has {len(chosen)} "
                             f"(0–{len(chosen) - 1})")
        x = chosen[index][0]
        return [np.array(x.detach().cpu().numpy())], f"{split} sample {index} of '{spec['name']}'", sizes
    rng = np.random.default_rng(0)
    arrays = []
    for name in input_names:
        node = project.graph.nodes[name]
        shape = tuple(int(s) for s in node.params.get("shape", ()))
        if "int" in str(node.params.get("dtype", "float32")):
            arrays.append(rng.integers(0, 2, size=shape).astype(np.int64))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    why = "no dataset set" if not spec else "the dataset feeds one Input, this graph has several"
    return arrays, f"random input ({why})", {}


def check_input_shape(graph: Graph, input_id: str, data: Any) -> None:
    """A dataset whose samples do not fit the Input node is named as such (not as a failing layer)."""
    node = graph.nodes[input_id]
    given, expected = getattr(data, "input_shape", None), tuple(node.params.get("shape", ()))
    if given is not None and tuple(given) != expected:
        raise SetupError(f"the Input node '{node.title}' takes samples of shape {expected} but the dataset "
                         f"gives {tuple(given)}; set its shape to {tuple(given)}")


def probe_node(project_data: dict[str, Any], node_id: str, state: Mapping[str, Any] | None = None,
               split: str = "validation", index: int = 0) -> ProbeResult:
    """The node's output (and attention map, for attention nodes) for one sample, in eval mode."""
    project = Project.from_dict(project_data)
    if node_id not in project.graph.nodes:
        raise SetupError(f"there is no node {node_id!r} in the graph")
    model, weights = build_model(project.graph, project_seed(project), state)
    arrays, source, sizes = probe_sample(project, model.input_names, split, index)
    model.eval()
    node_type = project.graph.nodes[node_id].type
    with engine.random.fork_rng(), attention_hooks(model, [node_id]) as found, \
            model.capture([node_id]) as captured:
        model.forward_all(*[engine.from_numpy(a[None, ...]) for a in arrays])
        value = captured.get(node_id)
    attention = found.get(node_id)
    # several output ports: 'out' (a MultiheadAttention's weights came from its hook)
    output = probe_slice(value, batch_axes(project.graph).get(node_id), port="out")
    if output is None:
        raise SetupError("the node produced no output" if value is None else
                         "the node's output has no batch dimension to take the sample from")
    result = ProbeResult(output, source, weights, sizes=sizes)
    if attention is not None:
        result.attention = probe_slice(attention)
        result.attention_axes = attention_axes(node_type)
    return result


def batch_gradients(project_data: dict[str, Any], state: Mapping[str, Any] | None = None) -> GradientResult:
    """Forward, loss and backward on the first `batch_size` training samples, in training mode (dropout
    draws seeded by the project seed, so the result is the same every time)."""
    project = Project.from_dict(project_data)
    settings = validate_settings(project.settings)
    spec = settings["dataset"]
    if not spec:
        raise SetupError("gradients need a batch of data: choose a dataset in the training settings")
    graph = training_graph(project.graph, settings["loss"])
    seed = project_seed(project)
    model, weights = build_model(graph, seed, state, include_loss=True)
    if len(model.input_names) != 1 or len(model.target_names) != 1:
        raise SetupError(f"gradients need exactly one Input and one Target node, this graph has "
                         f"{len(model.input_names)} and {len(model.target_names)}")
    data = open_cached(spec)
    check_input_shape(graph, model.input_names[0], data)
    count = min(int(settings["batch_size"]), len(data.train))
    if count == 0:
        raise SetupError("the training set is empty")
    samples = [data.train[i] for i in range(count)]
    x = engine.stack([s[0] for s in samples])
    y = engine.stack([s[1] for s in samples])
    model.train()
    with engine.random.fork_rng(), engine.enable_grad():
        engine.manual_seed(seed)
        values = model.forward_all(x, y)
        loss = values[model.loss_names[0]]
        for name in model.loss_names[1:]:
            loss = loss + values[name]
        loss.backward()
    gradients = {name: _numpy(p.grad) for name, p in model.named_parameters() if p.grad is not None}
    return GradientResult(gradients, float(loss.item()),
                          f"the first {count} training samples of '{spec['name']}'", weights)


def _numpy(value: Any) -> np.ndarray:
    return np.array(value.detach().cpu().numpy())
