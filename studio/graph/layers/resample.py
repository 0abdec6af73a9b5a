"""Resampling: Upsample, PixelShuffle, ReflectionPad2d, ZeroPad2d (cost convention: see conv.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, InferFn, LayerSpec, ParamSpec, call_code, register
from ..shapes import came_from, format_shape, numel
from .conv import compact, dims_text, expect_dims, known, pad_text

P = Mapping[str, Any]

# mode -> (input dims it needs, FLOPs per output element: a weighted sum of 2, 4, 16 or 8 neighbours)
_MODES = {"nearest": ((3, 4, 5), 0), "linear": ((3,), 3), "bilinear": ((4,), 7), "bicubic": ((4,), 31),
          "trilinear": ((5,), 15)}
_LAYOUTS = {3: "N×C×L", 4: "N×C×H×W", 5: "N×C×D×H×W"}


def _upsample_infer(params: P, inputs: P) -> dict:
    x, mode = inputs["in"], params["mode"]
    ndims = _MODES[mode][0]
    if len(x) not in ndims:
        layout = " or ".join(_LAYOUTS[n] for n in ndims)
        raise ShapeError(f"Upsample mode {mode!r} works on {layout} inputs but receives "
                         f"{format_shape(x)}{came_from(x)}")
    size, scale = params["size"], params["scale_factor"]
    if (size is None) == (scale is None):
        raise ShapeError("Upsample needs exactly one of size or scale_factor")
    if params["align_corners"] is not None and mode == "nearest":
        raise ShapeError("Upsample align_corners only applies to the linear modes, not 'nearest'")
    spatial = len(x) - 2
    if size is not None:
        if len(size) not in (1, spatial):
            raise ShapeError(f"Upsample size {dims_text(size)} needs 1 or {spatial} values for a "
                             f"{len(x)}-D input")
        out = size * spatial if len(size) == 1 else size
    else:
        out = tuple(math.floor(s * scale) for s in known("Upsample", x, range(2, len(x)), "spatial size"))
        if any(o < 1 for o in out):
            raise ShapeError(f"Upsample scale_factor {scale:g} makes the output empty ({dims_text(out)})")
    return {"out": (*x[:2], *out)}


def _upsample_kwargs(params: P) -> dict[str, Any]:
    size = params["size"]
    return {"size": None if size is None else compact(size), "scale_factor": params["scale_factor"],
            "mode": params["mode"], "align_corners": params["align_corners"]}


def _upsample_cost(params: P, inputs: P, outputs: P) -> Cost:
    n = numel(outputs["out"][1:])
    return Cost(flops=_MODES[params["mode"]][1] * n, activations=n)


register(LayerSpec(
    type="Upsample", category="Resampling",
    doc="Enlarges the spatial dims by scale_factor (or to size) by copying or interpolating pixels.",
    params=(ParamSpec("scale_factor", "float", 2.0, minimum=0, optional=True, doc="e.g. 2 doubles H and W"),
            ParamSpec("size", "ints", None, minimum=1, optional=True, doc="output spatial size instead"),
            ParamSpec("mode", "choice", "nearest", choices=tuple(_MODES)),
            ParamSpec("align_corners", "bool", None, optional=True, doc="linear modes only")),
    infer=_upsample_infer, cost=_upsample_cost,
    build=lambda p, i: __import__("engine").nn.Upsample(**_upsample_kwargs(p)),
    code=lambda p, i: call_code("nn.Upsample", **_upsample_kwargs(p), defaults={
        "size": None, "scale_factor": None, "mode": "nearest", "align_corners": None}),
))


def _pixel_shuffle_infer(params: P, inputs: P) -> dict:
    x, r = inputs["in"], params["upscale_factor"]
    expect_dims("PixelShuffle", x, 4, "N×C×H×W")
    c, h, w = known("PixelShuffle", x, (1, 2, 3), "size")
    if c % (r * r):
        raise ShapeError(f"PixelShuffle with upscale_factor {r} needs channels divisible by {r * r}, but "
                         f"receives {c}{came_from(x)}")
    return {"out": (x[0], c // (r * r), h * r, w * r)}


register(LayerSpec(
    type="PixelShuffle", category="Resampling",
    doc="Rearranges channels into space: N×C·r²×H×W becomes N×C×H·r×W·r (sub-pixel upsampling).",
    params=(ParamSpec("upscale_factor", "int", 2, minimum=1, doc="r"),),
    infer=_pixel_shuffle_infer,
    cost=lambda p, i, o: Cost(activations=numel(o["out"][1:])),
    build=lambda p, i: __import__("engine").nn.PixelShuffle(p["upscale_factor"]),
    code=lambda p, i: call_code("nn.PixelShuffle", p["upscale_factor"]),
))


# --------------------------------------------------------------------------------- padding ---
def _pad_infer(layer: str) -> InferFn:
    def infer(params: P, inputs: P) -> dict:
        x = inputs["in"]
        expect_dims(layer, x, 4, "N×C×H×W")
        h, w = known(layer, x, (2, 3), "spatial size")
        left, right, top, bottom = params["padding"]
        if layer == "ReflectionPad2d" and (max(left, right) >= w or max(top, bottom) >= h):
            raise ShapeError(f"ReflectionPad2d padding {pad_text(params['padding'])} must be smaller than "
                             f"the input {h}×{w}{came_from(x)}")
        out = (h + top + bottom, w + left + right)
        if min(out) < 1:
            raise ShapeError(f"{layer} padding {pad_text(params['padding'])} crops the input {h}×{w} to "
                             f"nothing{came_from(x)}")
        return {"out": (*x[:2], *out)}

    return infer


def _pad_entry(layer: str, doc: str, minimum: int | None) -> None:
    def pad(params: P) -> int | tuple[int, ...]:
        values = params["padding"]
        return values[0] if len(set(values)) == 1 else values

    register(LayerSpec(
        type=layer, category="Resampling", doc=doc,
        params=(ParamSpec("padding", "ints", 1, minimum=minimum, length=4,
                          doc="left, right, top, bottom (one number: all four)"),),
        infer=_pad_infer(layer),
        cost=lambda p, i, o: Cost(activations=numel(o["out"][1:])),
        build=lambda p, i: getattr(__import__("engine").nn, layer)(pad(p)),
        code=lambda p, i: call_code(f"nn.{layer}", pad(p)),
    ))


_pad_entry("ReflectionPad2d", "Pads the borders with a mirror image of the input (fewer edge artifacts).", 0)
_pad_entry("ZeroPad2d", "Pads the borders with zeros (negative values crop).", None)
