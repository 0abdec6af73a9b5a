"""Attention maps of attention nodes, for the probe (studio/training/probe.py) and the training capture
(studio/training/capture.py); Qt-free, and on the thread that runs the forward.

`attention_hooks(model, node_ids)` puts hooks on the compiled modules of those nodes that compute
attention and yields a dict that the next forward fills with {node id: attention weights (batch first)}:
- MultiheadAttention: the weights it returns next to its output (its 'weights' port, averaged over heads);
- SelfAttention2d: the softmax of its query·key products, HW×HW (positions in row-major h·W+w order);
- TransformerEncoderLayer: its self-attention, asked for the weights averaged over heads (the layer itself
  asks for none; the output stays the same).
Other nodes get no hook. The hooks are removed when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import engine
from studio.graph import modules as helpers
from studio.graph.compile import GraphModule

DEFAULT_AXES = ("query position", "key position")
POSITION_AXES = ("query position (h·W+w)", "key position (h·W+w)")


def attention_axes(node_type: str) -> tuple[str, str]:
    """The names of an attention map's rows and columns for a node of this type."""
    return POSITION_AXES if node_type == "SelfAttention2d" else DEFAULT_AXES


@contextmanager
def attention_hooks(model: GraphModule, node_ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Hooks storing each attention node's weights (a detached tensor) in the yielded dict by node id."""
    found: dict[str, Any] = {}
    handles = []

    def keep(node_id: str) -> Any:
        def hook(_module: Any, _args: Any, output: Any) -> None:
            weights = output[1] if isinstance(output, tuple) else output
            if weights is not None:
                found[node_id] = weights.detach()

        return hook

    def want_weights(_module: Any, args: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return args, {**kwargs, "need_weights": True, "average_attn_weights": True}

    for node_id in node_ids:
        module = model._modules.get(node_id)
        if isinstance(module, engine.nn.MultiheadAttention):
            handles.append(module.register_forward_hook(keep(node_id)))
        elif isinstance(module, helpers.SelfAttention2d):
            handles.append(module.softmax.register_forward_hook(keep(node_id)))
        elif isinstance(module, engine.nn.TransformerEncoderLayer):
            handles.append(module.self_attn.register_forward_pre_hook(want_weights, with_kwargs=True))
            handles.append(module.self_attn.register_forward_hook(keep(node_id)))
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()
