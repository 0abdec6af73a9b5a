"""Pooling: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (cost convention: see conv.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, InferFn, LayerSpec, ParamSpec, call_code, register
from ..shapes import came_from, numel
from .conv import compact, dims_text, expect_dims, known, pad_text, sliding_out

P = Mapping[str, Any]


def _pool_infer(layer: str) -> InferFn:
    def infer(params: P, inputs: P) -> dict:
        x = inputs["in"]
        expect_dims(layer, x, 4, "N×C×H×W")
        kernel = params["kernel_size"]
        stride = params["stride"] or kernel
        padding = params["padding"]
        dilation = params.get("dilation", (1, 1))
        effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        if any(2 * p > e for p, e in zip(padding, effective)):
            raise ShapeError(f"{layer} padding {pad_text(padding)} must be at most half the kernel "
                             f"{dims_text(effective)}")
        size = known(layer, x, (2, 3), "spatial size")
        out = sliding_out(layer, x, size, kernel, stride, padding, dilation, params["ceil_mode"])
        return {"out": (*x[:2], *out)}

    return infer


def _pool_cost(params: P, inputs: P, outputs: P) -> Cost:
    n = numel(outputs["out"][1:])
    return Cost(flops=n * numel(params["kernel_size"]), activations=n)  # one compare/add per window tap


def _pool_kwargs(params: P, keys: tuple[str, ...]) -> dict[str, Any]:
    values = {k: params[k] for k in keys}
    for k in ("kernel_size", "stride", "padding", "dilation"):
        if k in values and values[k] is not None:
            values[k] = compact(values[k])
    return values


_MAX_KEYS = ("stride", "padding", "dilation", "ceil_mode")
_AVG_KEYS = ("stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
_POOL_DEFAULTS = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "count_include_pad": True,
                  "divisor_override": None}


def _pool_params(*extra: ParamSpec) -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("kernel_size", "ints", 2, minimum=1, length=2, doc="window size"),
        ParamSpec("stride", "ints", None, minimum=1, length=2, optional=True,
                  doc="step between windows (empty: the kernel size)"),
        ParamSpec("padding", "ints", 0, minimum=0, length=2, doc="added to each side"),
        *extra,
        ParamSpec("ceil_mode", "bool", False, doc="round the output size up instead of down"),
    )


def _pool_entry(layer: str, doc: str, keys: tuple[str, ...], extra: tuple[ParamSpec, ...],
                trailing: tuple[ParamSpec, ...] = ()) -> None:
    def build(params: P, inputs: P) -> Any:
        from engine import nn

        return getattr(nn, layer)(compact(params["kernel_size"]), **_pool_kwargs(params, keys))

    register(LayerSpec(
        type=layer, category="Pooling", doc=doc, params=(*_pool_params(*extra), *trailing),
        infer=_pool_infer(layer), cost=_pool_cost, build=build,
        code=lambda p, i: call_code(f"nn.{layer}", compact(p["kernel_size"]), **_pool_kwargs(p, keys),
                                    defaults=_POOL_DEFAULTS),
    ))


_pool_entry("MaxPool2d", "Keeps the largest value in each window (kernel 2 halves H and W).", _MAX_KEYS,
            (ParamSpec("dilation", "ints", 1, minimum=1, length=2, doc="spacing between window taps"),))
_pool_entry("AvgPool2d", "Averages each window (kernel 2 halves H and W).", _AVG_KEYS, (), (
    ParamSpec("count_include_pad", "bool", True, doc="count padded zeros in the average"),
    ParamSpec("divisor_override", "int", None, minimum=1, optional=True, doc="divide by this instead"),
))


def _adaptive_infer(params: P, inputs: P) -> dict:
    x = inputs["in"]
    expect_dims("AdaptiveAvgPool2d", x, 4, "N×C×H×W")
    size = known("AdaptiveAvgPool2d", x, (2, 3), "spatial size")
    if any(s < 1 for s in size):
        raise ShapeError(f"AdaptiveAvgPool2d receives an empty input {dims_text(size)}{came_from(x)}")
    return {"out": (*x[:2], *params["output_size"])}


def _adaptive_cost(params: P, inputs: P, outputs: P) -> Cost:
    n = numel(outputs["out"][1:])
    return Cost(flops=numel(inputs["in"][1:]) + n, activations=n)  # every input summed once, one divide each


register(LayerSpec(
    type="AdaptiveAvgPool2d", category="Pooling",
    doc="Averages into a fixed output size whatever the input size (1 = global average pooling).",
    params=(ParamSpec("output_size", "ints", 1, minimum=1, length=2, doc="H×W of the output"),),
    infer=_adaptive_infer, cost=_adaptive_cost,
    build=lambda p, i: __import__("engine").nn.AdaptiveAvgPool2d(compact(p["output_size"])),
    code=lambda p, i: call_code("nn.AdaptiveAvgPool2d", compact(p["output_size"])),
))
