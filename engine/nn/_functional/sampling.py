"""nn.functional: interpolate/upsample (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area),
pixel_shuffle/pixel_unshuffle, affine_grid and grid_sample.

Interpolation is separable: along each spatial dim an output position reads a few input taps (index, weight)
computed with PyTorch's coordinate rules. One primitive applies the taps (a gather), its backward is the
adjoint (a scatter-add), and each is the other's backward, so higher-order gradients work.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor, grad_needed
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from .sampling_grid import affine_grid, grid_sample

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "affine_grid", "grid_sample"]

_CUBIC_A = -0.75


# ---------------------------------------------------------------------------------------------- taps ---
def _scale(in_size: int, out_size: int, align_corners: bool, scale_factor, dtype):
    if align_corners:
        return dtype(in_size - 1) / dtype(out_size - 1) if out_size > 1 else dtype(0)
    if scale_factor is not None and scale_factor > 0:
        return dtype(1.0) / dtype(scale_factor)
    return dtype(in_size) / dtype(out_size)


def _taps(mode: str, in_size: int, out_size: int, scale_factor, align_corners: bool, dtype):
    """(indices (out, T) int64, weights (out, T) or None) for one spatial dim, PyTorch's coordinates."""
    dst = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        scale = _scale(in_size, out_size, False, scale_factor, np.float32)
        pos = dst.astype(np.float32) + np.float32(0.5 if mode == "nearest-exact" else 0.0)
        idx = np.minimum(np.floor(pos * scale).astype(np.int64), in_size - 1)
        return idx[:, None], None
    scale = _scale(in_size, out_size, align_corners, scale_factor, dtype)
    d = dst.astype(dtype)
    if mode == "cubic":
        src = scale * d if align_corners else scale * (d + dtype(0.5)) - dtype(0.5)
        base = np.floor(src)
        t = (src - base).astype(np.float64)
        base = base.astype(np.int64)
        a = _CUBIC_A
        near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731
        far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731
        weights = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1)
        idx = np.clip(base[:, None] + np.arange(-1, 3)[None, :], 0, in_size - 1)
        return idx, weights
    src = scale * d if align_corners else np.maximum(scale * (d + dtype(0.5)) - dtype(0.5), dtype(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(dtype), 0, 1).astype(np.float64)
    i1 = i0 + (i0 < in_size - 1)
    return np.stack([i0, i1], axis=1), np.stack([1 - lam, lam], axis=1)


# ------------------------------------------------------------------------------- apply taps / adjoint ---
def _gather_dim(m, data, axis: int, idx, weights):
    if weights is None:
        return m.take(data, idx[:, 0], axis=axis)
    shape = [1] * data.ndim
    shape[axis] = -1
    out = None
    for t in range(idx.shape[1]):
        w = weights[:, t].astype(data.dtype).reshape(shape)
        part = m.take(data, idx[:, t], axis=axis) * w
        out = part if out is None else m.add(out, part, out=out)
    return out


def _scatter_dim(m, data, axis: int, idx, weights, in_size: int):
    shape = list(data.shape)
    shape[axis] = in_size
    res = m.zeros(shape, data.dtype)
    wshape = [1] * data.ndim
    wshape[axis] = -1
    for t in range(idx.shape[1]):
        vals = data if weights is None else data * weights[:, t].astype(data.dtype).reshape(wshape)
        col = idx[:, t]
        if m is np:  # indices are non-decreasing: segment sums with reduceat
            starts = np.flatnonzero(np.diff(col, prepend=-1))
            sums = np.add.reduceat(vals, starts, axis=axis)
            where = [slice(None)] * data.ndim
            where[axis] = col[starts]
            res[tuple(where)] += sums
        else:
            moved = m.moveaxis(res, axis, 0)
            m.add.at(moved, m.asarray(col), m.moveaxis(vals, axis, 0))
    return res


class UpsampleBackward(Node):
    __slots__ = ("taps", "sizes", "label")

    def name(self) -> str:
        return self.label

    def backward(self, g):
        return (_resample_adjoint(g, self.taps, self.sizes, self.label),)


class UpsampleAdjointBackward(Node):
    __slots__ = ("taps", "label")

    def name(self) -> str:
        return self.label.replace("Backward0", "BackwardBackward0")

    def backward(self, h):
        return (_resample(h, self.taps, self.label),)


def _resample(x: Tensor, taps: list, label: str) -> Tensor:
    m = xp(x)
    data = x._data
    nd = len(taps)
    sizes = tuple(data.shape[-nd:])
    for i, (idx, w) in enumerate(taps):
        data = _gather_dim(m, data, data.ndim - nd + i, idx if m is np else m.asarray(idx), w)
    result = new(m.ascontiguousarray(data))
    if grad_needed(x):
        node = UpsampleBackward(result, x)
        node.taps, node.sizes, node.label = taps, sizes, label
    return result


def _resample_adjoint(g: Tensor, taps: list, sizes: tuple, label: str) -> Tensor:
    m = xp(g)
    data = g._data
    nd = len(taps)
    for i, (idx, w) in enumerate(taps):
        data = _scatter_dim(m, data, data.ndim - nd + i, idx, w, sizes[i])
    result = new(data)
    if grad_needed(g):
        node = UpsampleAdjointBackward(result, g)
        node.taps, node.label = taps, label
    return result


# ------------------------------------------------------------------------------------------- interpolate ---
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_LABEL = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "linear": "UpsampleLinear",
          "bilinear": "UpsampleBilinear", "bicubic": "UpsampleBicubic", "trilinear": "UpsampleTrilinear"}


def _output_size(input: Tensor, nd: int, size, scale_factor) -> tuple:
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {spatial} and output size of {size}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            return tuple(int(s) for s in size), None
        return (int(size),) * nd, None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nd:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide "
                "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        scales = tuple(float(s) for s in scale_factor)
    else:
        scales = (float(scale_factor),) * nd
    return tuple(math.floor(s * f) for s, f in zip(spatial, scales)), scales


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of an (N, C, *spatial) tensor."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.ndim - 2
    if mode not in _MODES or nd not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
            f"(got {mode})")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != nd:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("antialias=True is not supported by this engine")
    out, scales = _output_size(input, nd, size, scale_factor)
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor:
        scales = None
    if any(o <= 0 for o in out) or any(s <= 0 for s in input.shape[2:]):
        names = ["D", "H", "W"][-nd:] if nd > 1 else ["W"]
        raise RuntimeError("Input and output sizes should be greater than 0, but got input ("
                           + ", ".join(f"{n}: {s}" for n, s in zip(names, input.shape[2:])) + ") output ("
                           + ", ".join(f"{n}: {s}" for n, s in zip(names, out)) + ")")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](input, out)
    if input._data.dtype.kind not in "fc":
        kind = "nearest" if mode.startswith("nearest") else mode.replace("bi", "bi").replace("tri", "tri")
        names = {"int64": "Long", "int32": "Int", "uint8": "Byte", "bool": "Bool"}
        raise NotImplementedError(f"\"upsample_{kind.replace('-', '_')}{nd}d_channels_last\" not implemented "
                                  f"for '{names.get(input._data.dtype.name, input._data.dtype.name)}'")
    dtype = input._data.dtype.type
    kernel = "cubic" if mode == "bicubic" else ("linear" if mode in _MODE_DIMS else mode)
    taps = [_taps(kernel, s, o, None if scales is None else scales[i], bool(align_corners), dtype)
            for i, (s, o) in enumerate(zip(input.shape[2:], out))]
    return _resample(input, taps, f"{_LABEL[mode]}{nd}DBackward0")


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None) -> Tensor:
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------------------------- pixel shuffle ---
class PixelShuffleBackward0(Node):
    __slots__ = ("factor",)

    def backward(self, g):
        return (pixel_unshuffle(g, self.factor),)


class PixelUnshuffleBackward0(Node):
    __slots__ = ("factor",)

    def backward(self, g):
        return (pixel_shuffle(g, self.factor),)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                           f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    m = xp(input)
    data = input._data.reshape(*lead, c // (r * r), r, r, h, w)
    k = len(lead)
    data = data.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2).reshape(*lead, c // (r * r), h * r, w * r)
    result = new(m.ascontiguousarray(data))
    if grad_needed(input):
        PixelShuffleBackward0(result, input).factor = r
    return result


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    m = xp(input)
    k = len(lead)
    data = input._data.reshape(*lead, c, h // r, r, w // r, r)
    data = data.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3).reshape(*lead, c * r * r, h // r, w // r)
    result = new(m.ascontiguousarray(data))
    if grad_needed(input):
        PixelUnshuffleBackward0(result, input).factor = r
    return result
