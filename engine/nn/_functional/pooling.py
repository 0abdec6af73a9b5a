"""nn.functional: max/avg/adaptive/lp pooling and max_unpool (kernels in pool_kernels, nodes in pool_ops)."""

from __future__ import annotations

import numpy as np

from ...ops._helpers import xp
from ...tensor import Tensor
from . import pool_kernels as PK
from .pool_kernels import Window
from .pool_ops import adaptive_avg_matrix, adaptive_max_pool, avg_pool, gather_scatter, max_pool, separable

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "max_unpool1d",
           "max_unpool2d", "lp_pool1d", "lp_pool2d"]

_COUNT = {1: "one", 2: "two", 3: "three"}


def _param(value, nd: int, fn: str, what: str, omit: bool = False) -> tuple:
    if isinstance(value, int):
        return (value,) * nd
    value = tuple(value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        verb = "be either" if what == "dilation" else "either be"
        extra = "omitted, " if omit else ""
        raise RuntimeError(f"{fn}: {what} must {verb} {extra}a single int, or a tuple of {_COUNT[nd]} ints")
    return value


def _window(input: Tensor, nd: int, fn: str, kernel_size, stride, padding, dilation,
            ceil_mode: bool) -> Window:
    kernel = _param(kernel_size, nd, fn, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _param(stride, nd, fn, "stride", omit=True)
    padding = _param(padding, nd, fn, "padding")
    dilation = _param(dilation, nd, fn, "dilation")
    names = ["kT", "kH", "kW"][-nd:] if nd > 1 else ["kW"]
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        raise RuntimeError("kernel size should be greater than zero, but got "
                           + " ".join(f"{n}: {k}" for n, k in zip(names, kernel)))
    if any(d <= 0 for d in dilation):
        dn = [n.replace("k", "dilation") for n in names]
        raise RuntimeError("dilation should be greater than zero, but got "
                           + " ".join(f"{n}: {d}" for n, d in zip(dn, dilation)))
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    size = tuple(input.shape[-nd:])
    win = Window(kernel, stride, padding, dilation, size, bool(ceil_mode))
    if any(o < 1 for o in win.out):
        c = input.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c, *size)))}). Calculated output size: "
                           f"({'x'.join(map(str, (c, *win.out)))}). Output size is too small")
    return win


def _check_pool_rank(input: Tensor, nd: int, max_kind: bool) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        if max_kind:
            raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")
    if any(s == 0 for s in input.shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")


def _check_1d_rank(input: Tensor, fn: str, style: str) -> None:
    if input.ndim not in (2, 3):
        if style == "max":
            raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                               f"for input, but got:{list(input.shape)}")
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {fn})")


# ------------------------------------------------------------------------------------------ max pool ---
def _max_poolnd(input, nd, fn, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _check_pool_rank(input, nd, True)
    win = _window(input, nd, fn, kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool(input, win, return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    return _max_poolnd(input, 2, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    return _max_poolnd(input, 3, "max_pool3d", kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _one(value, what: str, fn: str):
    if value is None or isinstance(value, int):
        return value
    value = tuple(value)
    if len(value) == 0 and what == "stride":
        return None
    if len(value) != 1:
        raise RuntimeError(f"{fn}() argument '{what}' should contain one int (got {len(value)})")
    return value[0]


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    _check_1d_rank(input, "max_pool1d", "max")
    fn = "max_pool1d"
    stride = _one(stride, "stride", fn)
    out = max_pool2d(input.unsqueeze(-2), (1, _one(kernel_size, "kernel_size", fn)),
                     None if stride is None else (1, stride), (0, _one(padding, "padding", fn)),
                     (1, _one(dilation, "dilation", fn)), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ------------------------------------------------------------------------------------------ avg pool ---
def _avg_poolnd(input, nd, fn, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    if input.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd - 1:]):
        _check_pool_rank(input, nd, False)
    win = _window(input, nd, fn, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    div = PK.avg_divisor(xp(input), win, count_include_pad, divisor_override, input._data.dtype)
    return avg_pool(input, win, div)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    _check_1d_rank(input, "avg_pool1d", "avg")
    stride = _one(stride, "stride", "avg_pool1d")
    out = avg_pool2d(input.unsqueeze(-2), (1, _one(kernel_size, "kernel_size", "avg_pool1d")),
                     None if stride is None else (1, stride), (0, _one(padding, "padding", "avg_pool1d")),
                     ceil_mode, count_include_pad)
    return out.squeeze(-2)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.ndim, 1)}, "
                         f"{max(input.ndim, 1) - 1}], but got -3)")
    return _avg_poolnd(input, 2, "avg_pool2d", kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    return _avg_poolnd(input, 3, "avg_pool3d", kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


# ------------------------------------------------------------------------------------------ adaptive ---
def _adaptive_size(input: Tensor, output_size, nd: int, fn: str) -> tuple:
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd > 1:
        output_size = output_size * nd
    if len(output_size) != nd:
        raise RuntimeError(f"{fn}: output_size must be {nd}")
    size = input.shape[-nd:]
    return tuple(s if o is None else int(o) for s, o in zip(size, output_size))


def _adaptive_avg(input: Tensor, output_size, nd: int, fn: str) -> Tensor:
    out = _adaptive_size(input, output_size, nd, fn)
    m = xp(input)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"\"{fn}\" not implemented for '{_long_name(input)}'")
    mats = [adaptive_avg_matrix(m, s, o) for s, o in zip(input.shape[-nd:], out)]
    return separable(input, mats, f"AdaptiveAvgPool{nd}DBackward0")


def _long_name(t: Tensor) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte"}.get(t._data.dtype.name, "Long")


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    _check_1d_rank(input, "adaptive_avg_pool1d", "avg")
    size = output_size if isinstance(output_size, int) else _one(output_size, "output_size",
                                                                  "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    out = _adaptive_size(input, output_size, 2, "adaptive_max_pool2d")
    return adaptive_max_pool(input, out, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    _check_1d_rank(input, "adaptive_max_pool1d", "avg")
    size = output_size if isinstance(output_size, int) else _one(output_size, "output_size",
                                                                  "adaptive_max_pool1d")
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    return adaptive_max_pool2d(input, output_size, True)


# ----------------------------------------------------------------------------------------- max unpool ---
def _unpool_size(input: Tensor, kernel, stride, padding, output_size, nd: int) -> tuple:
    default = tuple((i - 1) * s - 2 * p + k for i, k, s, p in zip(input.shape[-nd:], kernel, stride, padding))
    if output_size is None:
        return default
    output_size = tuple(output_size)
    if len(output_size) == nd + 2 or (len(output_size) == nd + 1 and input.ndim == nd + 1):
        output_size = output_size[-nd:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it "
                         f"has a length of '{len(output_size)}'")
    for d in range(nd):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return output_size


def _max_unpoolnd(input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size, nd: int):
    kernel = _param(kernel_size, nd, f"max_unpool{nd}d", "kernel_size")
    stride = kernel if stride is None else _param(stride, nd, f"max_unpool{nd}d", "stride")
    padding = _param(padding, nd, f"max_unpool{nd}d", "padding")
    if indices._data.dtype != np.int64:
        names = {"float32": "Float", "float64": "Double", "int32": "Int"}
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{names.get(indices._data.dtype.name, indices._data.dtype.name)}")
    size = _unpool_size(input, kernel, stride, padding, output_size, nd)
    shape = (*input.shape[:-nd], *size)
    idx = indices._data
    total = int(np.prod(size))
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= total):
        bad = int(idx.max()) if idx.max() >= total else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad}"
                           f" (output volumes are of size {'x'.join(map(str, size))})")
    return gather_scatter(input, idx, shape, nd, add=False)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input to max_unpooling1d should be a 2d or 3d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 2)


# -------------------------------------------------------------------------------------------- lp pool ---
def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    kh, kw = _param(kernel_size, 2, "lp_pool2d", "kernel_size")
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kh * kw).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    k = _one(kernel_size, "kernel_size", "lp_pool1d")
    out = avg_pool1d(input.pow(norm_type), k, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k).pow(1.0 / norm_type)
