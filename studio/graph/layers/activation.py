"""Activations beyond ReLU (core.py): LeakyReLU, PReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softmax,
LogSoftmax. All keep the shape. FLOPs per element are rough operation counts (see conv.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, LayerSpec, ParamSpec, call_code, register
from ..shapes import came_from, format_shape, numel
from .core import elementwise_cost, same_shape

P = Mapping[str, Any]


def _simple(layer: str, doc: str, flops: int, params: tuple[ParamSpec, ...] = ()) -> None:
    defaults = {p.name: p.default for p in params}

    def kwargs(values: P) -> dict[str, Any]:
        return {p.name: values[p.name] for p in params}

    register(LayerSpec(
        type=layer, category="Activation", doc=doc, params=params,
        infer=same_shape, cost=elementwise_cost(flops),
        build=lambda p, i: getattr(__import__("engine").nn, layer)(**kwargs(p)),
        code=lambda p, i: call_code(f"nn.{layer}", **kwargs(p), defaults=defaults),
    ))


_INPLACE = ParamSpec("inplace", "bool", False, doc="overwrite the input to save memory")

_simple("LeakyReLU", "Like ReLU but lets a small slope through for negative x: max(x, slope·x).", 2,
        (ParamSpec("negative_slope", "float", 0.01, minimum=0, doc="slope for x < 0"), _INPLACE))
_simple("ELU", "x for x > 0, alpha·(exp(x) − 1) below: smooth and can go negative.", 3,
        (ParamSpec("alpha", "float", 1.0, minimum=0), _INPLACE))
_simple("GELU", "x·Φ(x), a smooth ReLU used in transformers.", 8,
        (ParamSpec("approximate", "choice", "none", choices=("none", "tanh"), doc="tanh: faster formula"),))
_simple("SiLU", "x·sigmoid(x) (also called Swish).", 5, (_INPLACE,))
_simple("Sigmoid", "1 / (1 + exp(−x)): squashes to (0, 1), e.g. for a probability.", 4)
_simple("Tanh", "Squashes to (−1, 1); common at a generator's output.", 5)


# ---------------------------------------------------------------------------------- PReLU ---
def _prelu_infer(params: P, inputs: P) -> dict:
    x, n = inputs["in"], params["num_parameters"]
    if n != 1:
        if len(x) < 2:
            raise ShapeError(f"PReLU with {n} slopes needs a channel dim, but receives {format_shape(x)}")
        if x[1] != n:
            raise ShapeError(f"PReLU has {n} slopes (num_parameters) but receives {x[1]} channels"
                             f"{came_from(x)}; use 1 or the channel count")
    return same_shape(params, inputs)


def _prelu_cost(params: P, inputs: P, outputs: P) -> Cost:
    n = numel(outputs["out"][1:])
    return Cost(params=params["num_parameters"], flops=2 * n, activations=n)


register(LayerSpec(
    type="PReLU", category="Activation",
    doc="Leaky ReLU whose negative slope is learned (one, or one per channel).",
    params=(ParamSpec("num_parameters", "int", 1, minimum=1, doc="1, or one slope per channel"),
            ParamSpec("init", "float", 0.25, doc="starting slope")),
    infer=_prelu_infer, cost=_prelu_cost,
    build=lambda p, i: __import__("engine").nn.PReLU(p["num_parameters"], init=p["init"]),
    code=lambda p, i: call_code("nn.PReLU", num_parameters=p["num_parameters"], init=p["init"],
                                defaults={"num_parameters": 1, "init": 0.25}),
))


# -------------------------------------------------------------------------------- softmax ---
def _softmax_entry(layer: str, doc: str) -> None:
    def infer(params: P, inputs: P) -> dict:
        x, dim = inputs["in"], params["dim"]
        if not -len(x) <= dim < len(x):
            raise ShapeError(f"{layer} dim {dim} is out of range for the {len(x)}-D input "
                             f"{format_shape(x)}{came_from(x)}")
        if dim % len(x) == 0:
            raise ShapeError(f"{layer} over dim 0 would mix the samples of a batch; "
                             "use dim 1 (classes) or -1")
        return {"out": tuple(x)}

    register(LayerSpec(
        type=layer, category="Activation", doc=doc,
        params=(ParamSpec("dim", "int", 1, doc="the dim that sums to 1 (1: classes of N×C)"),),
        infer=infer, cost=elementwise_cost(4),
        build=lambda p, i: getattr(__import__("engine").nn, layer)(dim=p["dim"]),
        code=lambda p, i: call_code(f"nn.{layer}", dim=p["dim"]),
    ))


_softmax_entry("Softmax", "Turns scores into probabilities that sum to 1 along dim.")
_softmax_entry("LogSoftmax", "log(Softmax): log-probabilities along dim, the input NLL loss expects.")
