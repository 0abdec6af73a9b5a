"""Sorting and selection: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, quantile."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..backend import array_module
from ..tensor import Tensor, grad_needed
from ._helpers import new, tensor_method, xp
from ._reduce_util import (
    accumulate,
    check_nonempty_dims,
    const,
    nan_aware_equal,
    one_dim,
    return_type,
    take_along,
)
from .extrema import SelectAlongDimBackward, _even_split, values_indices

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "quantile",
           "nanquantile"]


def stable_argsort(data, axis: int, descending: bool = False):
    """Stable argsort (NaN sorts as the largest value); descending keeps ties in their original order."""
    mod = np if data.__class__ is np.ndarray else array_module(data)
    if not descending:
        return mod.argsort(data, axis=axis, kind="stable")
    n = data.shape[axis]
    rev = mod.argsort(mod.flip(data, axis=axis), axis=axis, kind="stable")
    return (n - 1) - mod.flip(rev, axis=axis)


class SortBackward0(SelectAlongDimBackward):
    __slots__ = ()


class SortBackward1(SelectAlongDimBackward):
    __slots__ = ()


class TopkBackward0(SelectAlongDimBackward):
    __slots__ = ()


class KthvalueBackward0(SelectAlongDimBackward):
    __slots__ = ()


class MedianBackward1(SelectAlongDimBackward):
    __slots__ = ()


class NanmedianBackward1(SelectAlongDimBackward):
    __slots__ = ()


class ModeBackward0(SelectAlongDimBackward):
    __slots__ = ()


def _selected(name: str, node_cls, input: Tensor, idx, dim: int | None):
    """return_types.<name>(values, indices) for full-size index arrays `idx` along dim (keepdim shape)."""
    mod = xp(input)
    if dim is None:
        values, indices = new(input._data.copy()), new(mod.zeros((), dtype=np.int64))
        idx = None
    else:
        values = new(mod.take_along_axis(input._data, idx, axis=dim))
        indices = new(idx)
    if grad_needed(input):
        node = node_cls(values, input)
        node.idx, node.dim, node.keepdim, node.in_shape = idx, dim, True, input._data.shape
    return return_type(name)(values, indices)


# ---------------------------------------------------------------------------------------- sort ---------
@tensor_method("sort")
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable=None):
    d = one_dim(input, dim)
    idx = stable_argsort(input._data, d, descending).astype(np.int64, copy=False) if d is not None else None
    return _selected("sort", SortBackward0 if stable is None else SortBackward1, input, idx, d)


@tensor_method("argsort")
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    d = one_dim(input, dim)
    if d is None:
        return new(xp(input).zeros((), dtype=np.int64))
    return new(stable_argsort(input._data, d, descending).astype(np.int64, copy=False))


@tensor_method("msort")
def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


@tensor_method("topk")
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    if input._data.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = one_dim(input, dim)
    n = input._data.shape[d] if d is not None else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if d is None:
        return _selected("topk", TopkBackward0, input, None, None)
    mod = xp(input)
    data = input._data
    if 0 < k * 4 < n and mod is np:
        # partition first, then sort only the k candidates
        part = mod.argpartition(data, n - k if largest else k - 1, axis=d)
        cand = mod.take(part, mod.arange(n - k, n) if largest else mod.arange(k), axis=d)
        order = stable_argsort(mod.take_along_axis(data, cand, axis=d), d, largest)
        idx = mod.take_along_axis(cand, order, axis=d)
    else:
        idx = mod.take(stable_argsort(data, d, largest), mod.arange(k), axis=d)
    return _selected("topk", TopkBackward0, input, idx.astype(np.int64, copy=False), d)


def _kth_indices(input: Tensor, d: int, positions):
    """Indices (keepdim shape) of the elements at sorted `positions` along d, ties in stable-sort order.

    positions: one int for every slice (an O(n) partition), or an int array of the kept shape (a full sort).
    """
    mod = xp(input)
    data = input._data
    shape = tuple(1 if i == d else s for i, s in enumerate(data.shape))
    if not isinstance(positions, int):
        order = stable_argsort(data, d)
        positions = mod.broadcast_to(mod.asarray(positions, dtype=np.int64), shape)
        return mod.take_along_axis(order, positions, axis=d).astype(np.int64, copy=False)
    value = mod.take(mod.partition(data, positions, axis=d), [positions], axis=d)
    # the wanted element is the (positions - #smaller)-th of the elements equal to value, in original order
    if data.dtype.kind == "f":
        value_nan = mod.isnan(value)
        smaller = mod.where(value_nan, (~mod.isnan(data)).sum(axis=d, keepdims=True),
                            (data < value).sum(axis=d, keepdims=True))
    else:
        smaller = (data < value).sum(axis=d, keepdims=True)
    seen = mod.cumsum(nan_aware_equal(mod, data, value), axis=d)
    return mod.argmax(seen > (positions - smaller), axis=d, keepdims=True).astype(np.int64, copy=False)


@tensor_method("kthvalue")
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    d = one_dim(input, dim)
    n = input._data.shape[d] if d is not None else 1
    if d is not None:
        check_nonempty_dims("kthvalue", input, (d,))
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d or 0}")
    if d is None:
        return values_indices("kthvalue", KthvalueBackward0, input, None, None, keepdim)
    idx = _kth_indices(input, d, k - 1)
    return values_indices("kthvalue", KthvalueBackward0, input, idx, d, keepdim)


# -------------------------------------------------------------------------------------- median ---------
class MedianBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, out = self.saved_tensors
        return (_even_split(x, out._data, g, None, False),)


class NanmedianBackward0(MedianBackward0):
    __slots__ = ()


def _median_positions(mod, data, d: int, ignore_nan: bool):
    """Sorted position of the lower median per slice (NaN slices: the first NaN for median)."""
    nans = mod.isnan(data) if data.dtype.kind == "f" else None
    n = data.shape[d]
    if nans is None or not nans.any():
        return None, (n - 1) // 2
    valid = n - nans.sum(axis=d, keepdims=True)
    if ignore_nan:
        return None, mod.maximum((valid - 1) // 2, 0)
    # a slice with a NaN has median NaN, reported at the first NaN
    return nans, mod.where(valid < n, valid, (n - 1) // 2)


def _median(name: str, input: Tensor, dim, keepdim: bool, ignore_nan: bool):
    mod = xp(input)
    if dim is None:
        flat = input._data.reshape(-1)
        if flat.dtype.kind == "f":
            nans = mod.isnan(flat)
            if ignore_nan:
                flat = flat[~nans]
            elif nans.any():
                flat = flat[nans][:1]
        if flat.size == 0:
            result = new(mod.asarray(np.nan if flat.dtype.kind in "fc" else 0, dtype=flat.dtype))
        else:
            k = (flat.size - 1) // 2
            result = new(mod.partition(flat, k)[k].copy())
        if grad_needed(input):
            cls = NanmedianBackward0 if ignore_nan else MedianBackward0
            cls(result, input).save_with_output(input, result)
        return result
    d = one_dim(input, dim)
    if d is None:
        return values_indices(name, NanmedianBackward1 if ignore_nan else MedianBackward1, input, None, None,
                              keepdim)
    check_nonempty_dims(name, input, (d,))
    _, pos = _median_positions(mod, input._data, d, ignore_nan)
    idx = _kth_indices(input, d, pos)
    return values_indices(name, NanmedianBackward1 if ignore_nan else MedianBackward1, input, idx, d, keepdim)


@tensor_method("median")
def median(input: Tensor, dim=None, keepdim: bool = False):
    return _median("median", input, dim, keepdim, False)


@tensor_method("nanmedian")
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    return _median("nanmedian", input, dim, keepdim, True)


# ---------------------------------------------------------------------------------------- mode ---------
@tensor_method("mode")
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    d = one_dim(input, dim)
    if d is None:
        return values_indices("mode", ModeBackward0, input, None, None, keepdim)
    check_nonempty_dims("mode", input, (d,))
    mod = xp(input)
    data = input._data
    n = data.shape[d]
    order = stable_argsort(data, d)
    s = mod.take_along_axis(data, order, axis=d)
    view = [1] * data.ndim
    view[d] = n
    pos = mod.arange(n).reshape(view)
    edge = mod.ones(tuple(1 if i == d else size for i, size in enumerate(s.shape)), dtype=bool)
    # NaN != NaN, so every NaN is a run of its own (as in torch)
    differs = mod.take(s, mod.arange(1, n), axis=d) != mod.take(s, mod.arange(n - 1), axis=d)
    run_start = mod.concatenate([edge, differs], axis=d)
    run_end = mod.concatenate([differs, edge], axis=d)
    start = accumulate(mod, "maximum", mod.where(run_start, pos, 0), d)
    end = mod.flip(accumulate(mod, "minimum", mod.flip(mod.where(run_end, pos, n), axis=d), d), axis=d)
    best = mod.argmax(end - start, axis=d, keepdims=True)  # first longest run = smallest most-frequent value
    last = mod.take_along_axis(end, best, axis=d)  # stable sort: the run's last entry has the largest index
    idx = mod.take_along_axis(order, last, axis=d).astype(np.int64, copy=False)
    return values_indices("mode", ModeBackward0, input, idx, d, keepdim)


# ------------------------------------------------------------------------------------ quantile ---------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name: str, input: Tensor, q, dim, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    mod = xp(input)
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qs = mod.asarray([q], dtype=input._data.dtype)
    else:
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        scalar_q = q._data.ndim == 0
        qs = q._data.reshape(-1)
        if qs.size and not bool(((qs >= 0) & (qs <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
                           f"nearest, but got {interpolation}")
    if input._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"{name}() received an invalid combination of arguments - got dim of type "
                        f"{type(dim).__name__}")
    ndim = input._data.ndim
    if dim is None:
        x, out_shape = input.reshape(-1), ((1,) * ndim if keepdim else ())
    else:
        d = one_dim(input, dim)
        if d is None:
            x, out_shape = input.reshape(1), ()
        else:
            rest = [i for i in range(ndim) if i != d]
            x = input.permute(rest + [d])
            out_shape = tuple(1 if i == d else s for i, s in enumerate(input._data.shape)) if keepdim else \
                tuple(input._data.shape[i] for i in rest)
    sorted_x = sort(x, -1).values
    n = x._data.shape[-1]
    nans = mod.isnan(x._data).sum(axis=-1, keepdims=True)
    if ignore_nan:
        rank = qs * mod.maximum(n - nans - 1, 0).astype(qs.dtype)  # (..., Q)
    else:
        rank = mod.where(nans > 0, qs.dtype.type(n - 1), qs * qs.dtype.type(n - 1))
    if interpolation == "lower":
        rank = mod.floor(rank)
    elif interpolation == "higher":
        rank = mod.ceil(rank)
    elif interpolation == "nearest":
        rank = mod.round(rank)
    lo = mod.floor(rank).astype(np.int64)
    hi = mod.ceil(rank).astype(np.int64)
    v_lo, v_hi = take_along(sorted_x, lo, -1), take_along(sorted_x, hi, -1)
    if interpolation == "midpoint":
        weight = mod.where(hi > lo, 0.5, 0.0).astype(qs.dtype)
    else:
        weight = (rank - lo).astype(qs.dtype)
    result = v_lo + (v_hi - v_lo) * const(input, weight) if bool((weight != 0).any()) else v_lo
    # (..., Q) -> (Q, *out_shape)
    nq = qs.shape[0]
    result = result.reshape(-1, nq).t().reshape((nq,) + out_shape)
    return result.reshape(out_shape) if scalar_q else result


@tensor_method("quantile")
def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@tensor_method("nanquantile")
def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)

