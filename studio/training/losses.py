"""The graph the trainer compiles: the project's graph, plus a loss when the graph has none.

settings["loss"] (None: the graph must have its own loss node) names a loss layer ("CrossEntropy",
"MSE", ... or torch's "CrossEntropyLoss", "MSELoss"). When the graph has no loss node the trainer works on
a copy with a Target node and that loss node added after the (single) Output node's source; the target's
per-sample shape comes from shape inference: class indices for CrossEntropy/NLL, the output's shape for
the others. The project's own graph is never changed.
"""

from __future__ import annotations

from studio.graph import registry
from studio.graph.inference import Inference
from studio.graph.model import Graph
from studio.graph.registry import ROLE_LOSS, ROLE_OUTPUT
from studio.graph.serialize import graph_from_dict, graph_to_dict

from .optim_factory import SetupError

CLASS_INDEX_LOSSES = frozenset({"CrossEntropy", "NLL"})


def loss_names() -> list[str]:
    return [spec.type for spec in registry.all_specs() if spec.role == ROLE_LOSS]


def _loss_type(name: str) -> str:
    known = loss_names()
    for candidate in (name, name.removesuffix("Loss")):
        for known_name in known:
            if candidate.lower() == known_name.lower():
                return known_name
    raise SetupError(f"unknown loss {name!r} (known: {', '.join(known)})")


def training_graph(graph: Graph, loss: str | None) -> Graph:
    if any(node.spec.role == ROLE_LOSS for node in graph):
        return graph
    if loss is None:
        raise SetupError("the graph has no loss node: add one (e.g. CrossEntropy) or choose a loss in the "
                         "training settings")
    layer = _loss_type(loss)
    outputs = [node for node in graph if node.spec.role == ROLE_OUTPUT]
    if len(outputs) != 1:
        raise SetupError(f"adding the {layer} loss needs exactly one Output node, the graph has "
                         f"{len(outputs)}")
    links = graph.links_into(outputs[0].id)
    if not links:
        raise SetupError(f"the Output node '{outputs[0].title}' is not connected")
    source = links[0]
    copy = graph_from_dict(graph_to_dict(graph), "graph", graph.blocks)
    inference = Inference(copy, attach=False)
    inference.infer()
    shape = inference.info(source.src).outputs.get(source.src_port)
    if shape is None or any(not isinstance(d, int) for d in shape[1:]):
        raise SetupError(f"cannot add the {layer} loss: the output shape is unknown ({shape})")
    if layer in CLASS_INDEX_LOSSES:
        target = {"shape": tuple(shape[2:]), "dtype": "int64"}
    else:
        target = {"shape": tuple(shape[1:]), "dtype": "float32"}
    target_id = copy.add_node("Target", target).id
    loss_id = copy.add_node(layer).id
    copy.connect(source.src, source.src_port, loss_id, "input")
    copy.connect(target_id, "out", loss_id, "target")
    return copy
