"""Scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import check_inplace, commit_inplace, new, tensor_method, xp
from ._reduce_util import (
    accumulate,
    exp,
    fill,
    flip,
    log,
    nan_aware_equal,
    one_dim,
    put_along,
    return_type,
    rev_cumsum,
    type_name,
)

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def _scan_dtype(input: Tensor, dtype):
    if dtype is not None:
        return dt.to_dtype(dtype).np
    return np.dtype(np.int64) if input._data.dtype.kind in "biu" else input._data.dtype


class CumsumBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        return (g if self.dim is None else rev_cumsum(g, self.dim),)


@tensor_method("cumsum")
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    d = one_dim(input, dim)
    out_dtype = _scan_dtype(input, dtype)
    if d is None:
        data = input._data.astype(out_dtype)
    else:
        data = xp(input).cumsum(input._data, axis=d, dtype=out_dtype)
    result = new(data)
    if grad_needed(input) and out_dtype.kind in "fc":
        CumsumBackward0(result, input).dim = d
    return result


def _cumprod_grad(x: Tensor, out: Tensor, g: Tensor, dim: int) -> Tensor:
    """sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, exact when x has zeros."""
    mod = xp(x)
    data = x._data
    zeros = data == 0
    if not zeros.any():
        return rev_cumsum(g * out, dim) / x
    n = data.shape[dim]
    view = [1] * data.ndim
    view[dim] = n
    pos = mod.arange(n).reshape(view)
    first_zero = mod.where(zeros, pos, n).min(axis=dim, keepdims=True)
    before, at = pos < first_zero, pos == first_zero
    safe = fill(x, mod.logical_not(before), 1)
    left = fill(rev_cumsum(g * out, dim) / safe, mod.logical_not(before), 0)
    # at the first zero: the products of the elements after it, times everything before it
    without_zero = fill(x, at, 1).cumprod(dim)
    right = fill(rev_cumsum(fill(g * without_zero, before, 0), dim), mod.logical_not(at), 0)
    return left + right


class CumprodBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        x, out = self.saved_tensors
        return (g if self.dim is None else _cumprod_grad(x, out, g, self.dim),)


@tensor_method("cumprod")
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    d = one_dim(input, dim)
    out_dtype = _scan_dtype(input, dtype)
    if d is None:
        data = input._data.astype(out_dtype)
    else:
        data = xp(input).cumprod(input._data, axis=d, dtype=out_dtype)
    result = new(data)
    if grad_needed(input) and out_dtype.kind in "fc":
        node = CumprodBackward0(result, input)
        node.dim = d
        node.save_with_output(input, result)
    return result


def _inplace_scan(fn):
    def method(self, dim, *, dtype=None):
        check_inplace(self)
        return commit_inplace(self, fn(self, dim, dtype=dtype))

    return method


Tensor.cumsum_ = _inplace_scan(cumsum)
Tensor.cumprod_ = _inplace_scan(cumprod)


# -------------------------------------------------------------------------------------- cummax/cummin ---
class _CumExtremumBackward(Node):
    __slots__ = ("idx", "dim", "in_shape")

    def backward(self, g):
        if self.dim is None:
            return (g,)
        return (put_along(g, self.idx, self.dim, self.in_shape),)


class CummaxBackward0(_CumExtremumBackward):
    __slots__ = ()


class CumminBackward0(_CumExtremumBackward):
    __slots__ = ()


def _cum_extremum(name: str, input: Tensor, dim: int, largest: bool):
    mod = xp(input)
    d = one_dim(input, dim)
    data = input._data
    if d is None or data.size == 0:
        values, idx = data.copy(), mod.zeros(data.shape, dtype=np.int64)
    else:
        values = accumulate(mod, "maximum" if largest else "minimum", data, d)
        view = [1] * data.ndim
        view[d] = data.shape[d]
        pos = mod.arange(data.shape[d], dtype=np.int64).reshape(view)
        # the latest position (ties included) where the running extremum was attained
        idx = accumulate(mod, "maximum", mod.where(nan_aware_equal(mod, data, values), pos, -1), d)
    result = new(values)
    if grad_needed(input):
        node = (CummaxBackward0 if largest else CumminBackward0)(result, input)
        node.idx, node.dim, node.in_shape = idx, d, data.shape
    return return_type(name)(result, new(idx))


@tensor_method("cummax")
def cummax(input: Tensor, dim: int):
    return _cum_extremum("cummax", input, dim, True)


@tensor_method("cummin")
def cummin(input: Tensor, dim: int):
    return _cum_extremum("cummin", input, dim, False)


# ------------------------------------------------------------------------------------- logcumsumexp -----
def _rev_logcumsumexp(t: Tensor, dim: int) -> Tensor:
    return flip(logcumsumexp(flip(t, dim), dim), dim)


class LogcumsumexpBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        if self.dim is None:
            return (g,)
        x, out = self.saved_tensors
        # grad_k = sum_{j>=k} g_j exp(x_k - out_j), summed in log space for the positive and negative parts
        total = None
        for sign in (1, -1):
            part = g if sign == 1 else -g
            skip = part._data <= 0
            if skip.all():
                continue
            log_part = fill(log(fill(part, skip, 1)), skip, -np.inf)
            with np.errstate(invalid="ignore"):  # -inf - -inf: NaN like torch for an all -inf prefix
                term = exp(x + _rev_logcumsumexp(log_part - out, self.dim))
            term = term if sign == 1 else -term
            total = term if total is None else total + term
        return (total if total is not None else g * 0,)


@tensor_method("logcumsumexp")
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{type_name(input)}\'')
    d = one_dim(input, dim)
    mod = xp(input)
    if d is None or input._data.size == 0:
        data = input._data.copy()
    else:
        data = accumulate(mod, "logaddexp", input._data, d)
    result = new(data)
    if grad_needed(input):
        node = LogcumsumexpBackward0(result, input)
        node.dim = d
        node.save_with_output(input, result)
    return result
