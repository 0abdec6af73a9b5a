"""Normalization (BatchNorm1d/2d, InstanceNorm2d, LayerNorm, GroupNorm) and regularization (Dropout,
Dropout2d). Cost convention: see conv.py; normalising an element counts 4 FLOPs (subtract the mean,
divide by the deviation, scale, shift), statistics are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, CostFn, InferFn, LayerSpec, ParamSpec, call_code, register
from ..shapes import came_from, format_shape, numel
from .conv import expect_channels, expect_dims, known
from .core import elementwise_cost, same_shape

P = Mapping[str, Any]
NORM_FLOPS = 4


def _norm_cost(affine_params: Callable[[P], int]) -> CostFn:
    def cost(params: P, inputs: P, outputs: P) -> Cost:
        n = numel(outputs["out"][1:])
        return Cost(params=affine_params(params), flops=NORM_FLOPS * n, activations=n)

    return cost


def _eps_momentum() -> tuple[ParamSpec, ...]:
    return (ParamSpec("eps", "float", 1e-5, minimum=0, doc="added to the variance for stability"),
            ParamSpec("momentum", "float", 0.1, minimum=0, maximum=1, optional=True,
                      doc="running statistics update rate (empty: cumulative average)"))


def _batch_norm_entry(layer: str, ndims: tuple[int, ...], layout: str, doc: str) -> None:
    def infer(params: P, inputs: P) -> dict:
        x = inputs["in"]
        expect_dims(layer, x, ndims, layout)
        expect_channels(layer, x, params["num_features"], "channels (num_features)")
        return {"out": tuple(x)}

    def kwargs(params: P) -> dict[str, Any]:
        return {k: params[k] for k in ("eps", "momentum", "affine", "track_running_stats")}

    register(LayerSpec(
        type=layer, category="Normalization", doc=doc,
        params=(ParamSpec("num_features", "int", 16, minimum=1, doc="channels of the input"),
                *_eps_momentum(),
                ParamSpec("affine", "bool", True, doc="learn a scale and shift per channel"),
                ParamSpec("track_running_stats", "bool", True, doc="keep statistics for evaluation")),
        infer=infer, cost=_norm_cost(lambda p: 2 * p["num_features"] if p["affine"] else 0),
        build=lambda p, i: getattr(__import__("engine").nn, layer)(p["num_features"], **kwargs(p)),
        code=lambda p, i: call_code(f"nn.{layer}", p["num_features"], **kwargs(p), defaults={
            "eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}),
    ))


_batch_norm_entry("BatchNorm1d", (2, 3), "N×C or N×C×L",
                  "Normalises each feature over the batch, then scales and shifts it (N×C or N×C×L).")
_batch_norm_entry("BatchNorm2d", (4,), "N×C×H×W",
                  "Normalises each channel over the batch and all pixels, then scales and shifts it.")


def _instance_infer(params: P, inputs: P) -> dict:
    x = inputs["in"]
    expect_dims("InstanceNorm2d", x, 4, "N×C×H×W")
    expect_channels("InstanceNorm2d", x, params["num_features"], "channels (num_features)")
    if numel(known("InstanceNorm2d", x, (2, 3), "spatial size")) < 2:
        raise ShapeError(f"InstanceNorm2d needs more than one pixel per channel, but receives "
                         f"{format_shape(x)}{came_from(x)}")
    return {"out": tuple(x)}


def _instance_kwargs(params: P) -> dict[str, Any]:
    return {k: params[k] for k in ("eps", "momentum", "affine", "track_running_stats")}


register(LayerSpec(
    type="InstanceNorm2d", category="Normalization",
    doc="Normalises each channel of each image on its own (common in style transfer and GANs).",
    params=(ParamSpec("num_features", "int", 16, minimum=1, doc="channels of the input"),
            ParamSpec("eps", "float", 1e-5, minimum=0),
            ParamSpec("momentum", "float", 0.1, minimum=0, maximum=1),
            ParamSpec("affine", "bool", False, doc="learn a scale and shift per channel"),
            ParamSpec("track_running_stats", "bool", False, doc="keep statistics for evaluation")),
    infer=_instance_infer, cost=_norm_cost(lambda p: 2 * p["num_features"] if p["affine"] else 0),
    build=lambda p, i: __import__("engine").nn.InstanceNorm2d(p["num_features"], **_instance_kwargs(p)),
    code=lambda p, i: call_code("nn.InstanceNorm2d", p["num_features"], **_instance_kwargs(p), defaults={
        "eps": 1e-5, "momentum": 0.1, "affine": False, "track_running_stats": False}),
))


def _layer_norm_infer(params: P, inputs: P) -> dict:
    x, shape = inputs["in"], tuple(params["normalized_shape"])
    if len(shape) >= len(x) or tuple(x[len(x) - len(shape):]) != shape:
        raise ShapeError(f"LayerNorm normalizes the last dims {format_shape(shape)} but receives "
                         f"{format_shape(x)}{came_from(x)}")
    return {"out": tuple(x)}


def _layer_norm_params(params: P) -> int:
    if not params["elementwise_affine"]:
        return 0
    return numel(params["normalized_shape"]) * (2 if params["bias"] else 1)


def _shape_literal(shape: tuple[int, ...]) -> int | list[int]:
    """16 or [4, 4]: a list, since call_code would write the tuple (4, 4) as the single number 4."""
    return shape[0] if len(shape) == 1 else list(shape)


def _layer_norm_kwargs(params: P) -> dict[str, Any]:
    return {k: params[k] for k in ("eps", "elementwise_affine", "bias")}


register(LayerSpec(
    type="LayerNorm", category="Normalization",
    doc="Normalises the last dims of each sample on its own (the norm of transformers).",
    params=(ParamSpec("normalized_shape", "shape", (16,), minimum=1, doc="the trailing dims to normalise"),
            ParamSpec("eps", "float", 1e-5, minimum=0),
            ParamSpec("elementwise_affine", "bool", True, doc="learn a scale (and shift) per element"),
            ParamSpec("bias", "bool", True, doc="learn the shift too")),
    infer=_layer_norm_infer, cost=_norm_cost(_layer_norm_params),
    build=lambda p, i: __import__("engine").nn.LayerNorm(p["normalized_shape"], **_layer_norm_kwargs(p)),
    code=lambda p, i: call_code("nn.LayerNorm", _shape_literal(p["normalized_shape"]),
                                **_layer_norm_kwargs(p),
                                defaults={"eps": 1e-5, "elementwise_affine": True, "bias": True}),
))


def _group_norm_infer(params: P, inputs: P) -> dict:
    x = inputs["in"]
    groups, channels = params["num_groups"], params["num_channels"]
    if channels % groups:
        raise ShapeError(f"GroupNorm num_channels ({channels}) must be divisible by num_groups ({groups})")
    if len(x) < 2:
        raise ShapeError(f"GroupNorm expects at least N×C but receives {format_shape(x)}{came_from(x)}")
    expect_channels("GroupNorm", x, channels, "channels (num_channels)")
    return {"out": tuple(x)}


def _group_norm_kwargs(params: P) -> dict[str, Any]:
    return {k: params[k] for k in ("eps", "affine")}


register(LayerSpec(
    type="GroupNorm", category="Normalization",
    doc="Normalises groups of channels within each sample (works with small batches).",
    params=(ParamSpec("num_groups", "int", 4, minimum=1, doc="how many groups the channels form"),
            ParamSpec("num_channels", "int", 16, minimum=1, doc="channels of the input"),
            ParamSpec("eps", "float", 1e-5, minimum=0),
            ParamSpec("affine", "bool", True, doc="learn a scale and shift per channel")),
    infer=_group_norm_infer, cost=_norm_cost(lambda p: 2 * p["num_channels"] if p["affine"] else 0),
    build=lambda p, i: __import__("engine").nn.GroupNorm(p["num_groups"], p["num_channels"],
                                                         **_group_norm_kwargs(p)),
    code=lambda p, i: call_code("nn.GroupNorm", p["num_groups"], p["num_channels"], **_group_norm_kwargs(p),
                                defaults={"eps": 1e-5, "affine": True}),
))


# ------------------------------------------------------------------------------- dropout ---
def _dropout_entry(layer: str, doc: str, infer: InferFn) -> None:
    def kwargs(params: P) -> dict[str, Any]:
        return {"p": params["p"], "inplace": params["inplace"]}

    register(LayerSpec(
        type=layer, category="Regularization", doc=doc,
        params=(ParamSpec("p", "float", 0.5, minimum=0, maximum=1, doc="probability of zeroing"),
                ParamSpec("inplace", "bool", False)),
        infer=infer, cost=elementwise_cost(),
        build=lambda p, i: getattr(__import__("engine").nn, layer)(**kwargs(p)),
        code=lambda p, i: call_code(f"nn.{layer}", **kwargs(p), defaults={"p": 0.5, "inplace": False}),
    ))


def _dropout2d_infer(params: P, inputs: P) -> dict:
    expect_dims("Dropout2d", inputs["in"], 4, "N×C×H×W")
    return same_shape(params, inputs)


_dropout_entry("Dropout", "While training, zeroes each element with probability p (and scales the rest).",
               same_shape)
_dropout_entry("Dropout2d", "While training, zeroes whole channels with probability p.", _dropout2d_infer)
