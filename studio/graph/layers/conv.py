"""Convolutions (Conv1d, Conv2d, ConvTranspose2d), their SpectralNorm presets, and the spatial helpers
the other image-shaped families share.

Cost convention for every family: a multiply-add counts as 2 FLOPs (bias adds are not counted, as for
Linear); other elementwise arithmetic counts 1 per operation, and exp/log/tanh/erf count 1 each.
FLOPs and activations are per sample (batch dim excluded); parameters are the trainable ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, CostFn, InferFn, LayerSpec, ParamSpec, call_code, register, register_preset
from ..shapes import Shape, came_from, format_shape, numel

P = Mapping[str, Any]


# ----------------------------------------------------------------------------- shared helpers ---
def expect_dims(layer: str, x: Shape, ndims: int | Sequence[int], layout: str) -> None:
    """Refuse an input with the wrong number of dims, naming the layout the layer wants."""
    allowed = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if len(x) not in allowed:
        words = " or ".join(f"{n}-D" for n in allowed)
        raise ShapeError(f"{layer} expects a {words} input {layout} but receives "
                         f"{format_shape(x)}{came_from(x)}")


def known(layer: str, x: Shape, dims: Sequence[int], what: str) -> tuple[int, ...]:
    """The sizes of `dims` of x, refusing symbolic ones (they cannot be checked or computed with)."""
    sizes = tuple(x[d] for d in dims)
    if any(isinstance(s, str) for s in sizes):
        raise ShapeError(f"{layer} needs a known {what}, but receives {format_shape(x)}{came_from(x)}")
    return tuple(int(s) for s in sizes)


def expect_channels(layer: str, x: Shape, expected: int, what: str = "input channels") -> None:
    got = x[1]
    if got != expected:
        raise ShapeError(f"{layer} expects {expected} {what} but receives {got}{came_from(x)}")


def dims_text(values: Sequence[int]) -> str:
    """`5×5` for (5, 5), `3` for (3,)."""
    return "×".join(str(v) for v in values)


def pad_text(values: Sequence[int]) -> str:
    """`2` when every side gets the same padding, else `(1, 1, 2, 2)`."""
    return str(values[0]) if len(set(values)) == 1 else f"({', '.join(str(v) for v in values)})"


def compact(values: tuple[int, ...]) -> int | tuple[int, ...]:
    """(2, 2) -> 2, as call_code writes it, so built modules print like the exported code's."""
    return values[0] if len(set(values)) == 1 and len(values) in (1, 2, 3) else values


def tup(value: Any, n: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def sliding_out(layer: str, x: Shape, size: tuple[int, ...], kernel: tuple[int, ...],
                stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...],
                ceil_mode: bool = False) -> tuple[int, ...]:
    """Output spatial size of a sliding window (conv, pool); refuses a window larger than the input."""
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    if any(e > q for e, q in zip(effective, padded)):
        dilated = " (dilated)" if any(d > 1 for d in dilation) else ""
        raise ShapeError(f"{layer} kernel {dims_text(effective)}{dilated} is larger than the padded input "
                         f"{dims_text(padded)}{came_from(x)}")
    out = []
    for q, e, s, p, n in zip(padded, effective, stride, padding, size):
        span = q - e
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside the input or left pad
            o -= 1
        out.append(o)
    return tuple(out)


# ------------------------------------------------------------------------------------ convs ---
def _check_groups(layer: str, params: P) -> None:
    groups = params["groups"]
    for key in ("in_channels", "out_channels"):
        if params[key] % groups:
            raise ShapeError(f"{layer} {key} ({params[key]}) must be divisible by groups ({groups})")


def _conv_infer(layer: str, n: int) -> InferFn:
    layout = "N×C×L" if n == 1 else "N×C×H×W"

    def infer(params: P, inputs: P) -> dict:
        x = inputs["in"]
        expect_dims(layer, x, n + 2, layout)
        _check_groups(layer, params)
        expect_channels(layer, x, params["in_channels"])
        size = known(layer, x, range(2, n + 2), "spatial size")
        padding = tup(params["padding"], n)
        mode = params.get("padding_mode", "zeros")
        if mode == "reflect" and any(p >= s for p, s in zip(padding, size)):
            raise ShapeError(f"{layer} reflect padding {pad_text(padding)} must be smaller than the input "
                             f"{dims_text(size)}{came_from(x)}")
        if mode == "circular" and any(p > s for p, s in zip(padding, size)):
            raise ShapeError(f"{layer} circular padding {pad_text(padding)} must not exceed the input "
                             f"{dims_text(size)}{came_from(x)}")
        out = sliding_out(layer, x, size, tup(params["kernel_size"], n), tup(params["stride"], n), padding,
                          tup(params["dilation"], n))
        return {"out": (x[0], params["out_channels"], *out)}

    return infer


def _conv_cost(n: int) -> CostFn:
    def cost(params: P, inputs: P, outputs: P) -> Cost:
        cin, cout, groups = params["in_channels"], params["out_channels"], params["groups"]
        per_output = cin // groups * numel(tup(params["kernel_size"], n))
        weights = cout * per_output + (cout if params["bias"] else 0)
        out = outputs["out"]
        return Cost(params=weights, flops=2 * per_output * numel(out[1:]), activations=numel(out[1:]))

    return cost


def _conv_kwargs(params: P, n: int) -> dict[str, Any]:
    keys = ("kernel_size", "stride", "padding", "dilation")
    values: dict[str, Any] = {k: compact(tup(params[k], n)) for k in keys}
    values.update(groups=params["groups"], bias=params["bias"], padding_mode=params["padding_mode"])
    return values


_CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True,
                  "padding_mode": "zeros"}
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _conv_entry(layer: str, n: int, doc: str) -> None:
    kind, length = ("int", None) if n == 1 else ("ints", 2)

    def build(params: P, inputs: P) -> Any:
        from engine import nn

        return getattr(nn, layer)(params["in_channels"], params["out_channels"], **_conv_kwargs(params, n))

    def code(params: P, inputs: P) -> str:
        return call_code(f"nn.{layer}", params["in_channels"], params["out_channels"],
                         **_conv_kwargs(params, n), defaults=_CONV_DEFAULTS)

    register(LayerSpec(
        type=layer, category="Convolution", doc=doc,
        params=(
            ParamSpec("in_channels", "int", 1, minimum=1, doc="channels of the input"),
            ParamSpec("out_channels", "int", 16, minimum=1, doc="number of filters"),
            ParamSpec("kernel_size", kind, 3, minimum=1, length=length, doc="size of each filter"),
            ParamSpec("stride", kind, 1, minimum=1, length=length, doc="step between filter positions"),
            ParamSpec("padding", kind, 0, minimum=0, length=length, doc="added to each side of the input"),
            ParamSpec("dilation", kind, 1, minimum=1, length=length, doc="spacing between filter taps"),
            ParamSpec("groups", "int", 1, minimum=1, doc="split channels into independent groups"),
            ParamSpec("bias", "bool", True),
            ParamSpec("padding_mode", "choice", "zeros", choices=_PADDING_MODES),
        ),
        infer=_conv_infer(layer, n), cost=_conv_cost(n), build=build, code=code, weighted=True,
    ))


_conv_entry("Conv1d", 1, "Slides learned filters along a sequence: N×C×L in, N×out_channels×L' out.")
_conv_entry("Conv2d", 2, "Slides learned filters over an image: N×C×H×W in, N×out_channels×H'×W' out.")


# ------------------------------------------------------------------------------- transposed ---
def _convt_infer(params: P, inputs: P) -> dict:
    layer = "ConvTranspose2d"
    x = inputs["in"]
    expect_dims(layer, x, 4, "N×C×H×W")
    _check_groups(layer, params)
    expect_channels(layer, x, params["in_channels"])
    size = known(layer, x, (2, 3), "spatial size")
    keys = ("kernel_size", "stride", "padding", "output_padding", "dilation")
    k, s, p, op, d = (params[key] for key in keys)
    for i in range(2):
        if op[i] >= max(s[i], d[i]):
            raise ShapeError(f"{layer} output_padding {op[i]} must be smaller than stride ({s[i]}) "
                             f"or dilation ({d[i]})")
    out = tuple((size[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(2))
    if any(o < 1 for o in out):
        raise ShapeError(f"{layer} padding {pad_text(p)} is too large: the output would be "
                         f"{dims_text(out)} for the input {dims_text(size)}{came_from(x)}")
    return {"out": (x[0], params["out_channels"], *out)}


def _convt_cost(params: P, inputs: P, outputs: P) -> Cost:
    cin, cout, groups = params["in_channels"], params["out_channels"], params["groups"]
    per_input = cout // groups * numel(params["kernel_size"])  # each input pixel scatters into the output
    x = inputs["in"]
    return Cost(params=cin * per_input + (cout if params["bias"] else 0),
                flops=2 * per_input * numel(x[1:]), activations=numel(outputs["out"][1:]))


def _convt_kwargs(params: P) -> dict[str, Any]:
    keys = ("kernel_size", "stride", "padding", "output_padding")
    values: dict[str, Any] = {k: compact(params[k]) for k in keys}
    values.update(groups=params["groups"], bias=params["bias"], dilation=compact(params["dilation"]))
    return values


def _convt_build(params: P, inputs: P) -> Any:
    from engine import nn

    return nn.ConvTranspose2d(params["in_channels"], params["out_channels"], **_convt_kwargs(params))


register(LayerSpec(
    type="ConvTranspose2d", category="Convolution",
    doc="Learned upsampling (the reverse of Conv2d's shape change), e.g. stride 2 doubles H and W.",
    params=(
        ParamSpec("in_channels", "int", 16, minimum=1, doc="channels of the input"),
        ParamSpec("out_channels", "int", 8, minimum=1, doc="channels of the output"),
        ParamSpec("kernel_size", "ints", 3, minimum=1, length=2),
        ParamSpec("stride", "ints", 1, minimum=1, length=2),
        ParamSpec("padding", "ints", 0, minimum=0, length=2, doc="removed from each side of the output"),
        ParamSpec("output_padding", "ints", 0, minimum=0, length=2, doc="extra rows/columns on one side"),
        ParamSpec("dilation", "ints", 1, minimum=1, length=2),
        ParamSpec("groups", "int", 1, minimum=1),
        ParamSpec("bias", "bool", True),
    ),
    infer=_convt_infer, cost=_convt_cost, build=_convt_build, weighted=True,
    code=lambda p, i: call_code("nn.ConvTranspose2d", p["in_channels"], p["out_channels"], **_convt_kwargs(p),
                                defaults={"stride": 1, "padding": 0, "output_padding": 0, "groups": 1,
                                          "bias": True, "dilation": 1}),
))

# SN-Linear is registered here too: presets for every weighted layer live in one place.
register_preset("SN-Conv2d", "Conv2d", {"spectral_norm": True})
register_preset("SN-ConvTranspose2d", "ConvTranspose2d", {"spectral_norm": True})
register_preset("SN-Linear", "Linear", {"spectral_norm": True})
