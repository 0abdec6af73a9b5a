"""Graph endpoints (Input, Target, Output) and the basic layers (Linear, Flatten, ReLU, Identity).

The pattern every family follows: a LayerSpec with params, ports, and infer/cost/build/code functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import (
    ROLE_INPUT,
    ROLE_OUTPUT,
    ROLE_TARGET,
    Cost,
    LayerSpec,
    ParamSpec,
    PortSpec,
    call_code,
    register,
)
from ..shapes import BATCH, came_from, numel


def _input_infer(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict:
    return {"out": (BATCH, *params["shape"])}


register(LayerSpec(
    type="Input", category="Data", doc="A batch of samples from the dataset (shape per sample).",
    params=(ParamSpec("shape", "shape", (1, 28, 28), minimum=1, doc="shape of one sample"),
            ParamSpec("dtype", "choice", "float32", choices=("float32", "int64"))),
    inputs=(), infer=_input_infer, role=ROLE_INPUT,
))

register(LayerSpec(
    type="Target", category="Data", doc="The labels or targets of the batch, fed to the loss.",
    params=(ParamSpec("shape", "shape", (), minimum=1, doc="shape of one target; () for class indices"),
            ParamSpec("dtype", "choice", "int64", choices=("int64", "float32"))),
    inputs=(), infer=_input_infer, role=ROLE_TARGET,
))

register(LayerSpec(
    type="Output", category="Data", doc="The model's output (what predict() returns).",
    outputs=(), infer=lambda params, inputs: {}, role=ROLE_OUTPUT,
))


def _linear_infer(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict:
    x = inputs["in"]
    if len(x) < 2:
        raise ShapeError(f"Linear needs at least a batch and a feature dimension, got {len(x)} dims")
    if x[-1] != params["in_features"]:
        raise ShapeError(f"Linear expects {params['in_features']} input features but receives "
                         f"{x[-1]}{came_from(x)}")
    return {"out": (*x[:-1], params["out_features"])}


def _linear_cost(params: Mapping[str, Any], inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Cost:
    fin, fout, bias = params["in_features"], params["out_features"], params["bias"]
    rows = numel(outputs["out"][1:-1])  # extra leading dims beyond the batch
    return Cost(params=fin * fout + (fout if bias else 0), flops=2 * fin * fout * rows,
                activations=numel(outputs["out"][1:]))


def _linear_build(params: Mapping[str, Any], inputs: Mapping[str, Any]):
    from engine import nn

    return nn.Linear(params["in_features"], params["out_features"], bias=params["bias"])


register(LayerSpec(
    type="Linear", category="Linear", doc="Fully connected layer: y = x Wᵀ + b over the last dimension.",
    params=(ParamSpec("in_features", "int", 784, minimum=1), ParamSpec("out_features", "int", 10, minimum=1),
            ParamSpec("bias", "bool", True)),
    infer=_linear_infer, cost=_linear_cost, build=_linear_build, weighted=True,
    code=lambda p, i: call_code("nn.Linear", p["in_features"], p["out_features"], bias=p["bias"],
                                defaults={"bias": True}),
))


def _flatten_infer(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict:
    x = inputs["in"]
    ndim = len(x)
    start, end = params["start_dim"] % max(ndim, 1), params["end_dim"] % max(ndim, 1)
    if start > end:
        raise ShapeError(f"Flatten start_dim {params['start_dim']} comes after end_dim {params['end_dim']} "
                         f"for a {ndim}-D input")
    middle = x[start:end + 1]
    merged = BATCH if any(isinstance(d, str) for d in middle) else numel(middle)
    return {"out": (*x[:start], merged, *x[end + 1:])}


register(LayerSpec(
    type="Flatten", category="Shape", doc="Flattens dimensions start_dim..end_dim into one.",
    params=(ParamSpec("start_dim", "int", 1), ParamSpec("end_dim", "int", -1)),
    infer=_flatten_infer,
    cost=lambda p, i, o: Cost(activations=numel(o["out"][1:])),
    build=lambda p, i: __import__("engine").nn.Flatten(p["start_dim"], p["end_dim"]),
    code=lambda p, i: call_code("nn.Flatten", start_dim=p["start_dim"], end_dim=p["end_dim"],
                                defaults={"start_dim": 1, "end_dim": -1}),
))


def same_shape(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict:
    """infer for shape-preserving layers (activations, dropout, ...)."""
    return {"out": tuple(inputs["in"])}


def elementwise_cost(flops_per_element: int = 1):
    def cost(params: Mapping[str, Any], inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Cost:
        n = numel(outputs["out"][1:])
        return Cost(flops=flops_per_element * n, activations=n)

    return cost


register(LayerSpec(
    type="ReLU", category="Activation", doc="max(0, x), elementwise.",
    params=(ParamSpec("inplace", "bool", False),),
    infer=same_shape, cost=elementwise_cost(),
    build=lambda p, i: __import__("engine").nn.ReLU(inplace=p["inplace"]),
    code=lambda p, i: call_code("nn.ReLU", inplace=p["inplace"], defaults={"inplace": False}),
))

register(LayerSpec(
    type="Identity", category="Shape", doc="Passes its input through unchanged.",
    infer=same_shape, cost=lambda p, i, o: Cost(),
    build=lambda p, i: __import__("engine").nn.Identity(),
    code=lambda p, i: "nn.Identity()",
))

_ = PortSpec
