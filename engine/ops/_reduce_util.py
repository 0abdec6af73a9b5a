"""Shared plumbing of the reduction/sorting modules.

Dim parsing, the `torch.return_types` result tuples, and a handful of small differentiable primitives
(take/put along a dim, masked fill, exp, log, flip, reverse cumsum) that the backward formulas are written
with, so `create_graph=True` works through every reduction.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.graph import Node
from ..backend import array_module
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, new, wrap_dim, xp

# ----------------------------------------------------------------------------------------- dims ------


def reduce_dims(input: Tensor, dim) -> tuple | None:
    """Wrapped, sorted reduction dims; None means every dim. Duplicates raise like torch."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        ndim = input._data.ndim
        wrapped = [wrap_dim(d, ndim) for d in dim]
        seen = set()
        for d in wrapped:
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
        return tuple(sorted(wrapped)) if ndim else ()
    d = wrap_dim(dim, input._data.ndim)
    return (d,) if input._data.ndim else ()


def one_dim(input: Tensor, dim) -> int | None:
    """A single wrapped dim, or None for a 0-d input (where dim 0 / -1 are accepted)."""
    d = wrap_dim(dim, input._data.ndim)
    return d if input._data.ndim else None


def type_name(t: Tensor) -> str:
    return _scalar_type_name(t._data.dtype)


def kept_shape(shape: tuple, dims: tuple | None) -> tuple:
    """The shape of a keepdim=True reduction of `shape` over dims."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def expand_back(g: Tensor, in_shape: tuple, dims: tuple | None, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim:
        g = g.reshape(kept_shape(in_shape, dims))
    return g.expand(in_shape) if in_shape else g.reshape(())


def count_of(shape: tuple, dims: tuple | None) -> int:
    n = 1
    for d in range(len(shape)) if dims is None else dims:
        n *= shape[d]
    return n


def check_nonempty_dims(name: str, input: Tensor, dims: tuple | None, sep: str = "()") -> None:
    shape = input._data.shape
    if dims is None:
        if input._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{name}{sep}: Expected reduction dim {d} to have non-zero size.")


# ---------------------------------------------------------------------------------- return types ------
_RETURN_TYPES: dict = {}


def _return_type_repr(self) -> str:
    body = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
    return f"torch.return_types.{type(self).__name__}(\n{body})"


def return_type(name: str, fields: tuple = ("values", "indices")):
    """A namedtuple class printing like torch's structseq (`torch.return_types.max(values=..., ...)`)."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        cls = namedtuple(name, fields)
        cls.__repr__ = _return_type_repr
        cls.__str__ = _return_type_repr
        cls.__module__ = "torch.return_types"
        _RETURN_TYPES[name] = cls
    return cls


# ------------------------------------------------------------------- differentiable private helpers ----
def _linear_index(idx, dim: int, shape: tuple):
    """Flat positions in an array of `shape` for indices `idx` taken along `dim` (other axes by position)."""
    dim %= len(shape)
    mod = np if idx.__class__ is np.ndarray else array_module(idx)
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    lin = idx.astype(np.int64) * strides[dim]
    for ax, n in enumerate(idx.shape):
        if ax != dim and n > 1:
            view = [1] * idx.ndim
            view[ax] = n
            lin = lin + mod.arange(n, dtype=np.int64).reshape(view) * strides[ax]
    return mod.broadcast_to(lin, idx.shape)


class TakeAlongBackward(Node):
    __slots__ = ("idx", "dim", "in_shape")

    def backward(self, g):
        return (put_along(g, self.idx, self.dim, self.in_shape),)


def take_along(x: Tensor, idx, dim: int) -> Tensor:
    """x's values at positions idx along dim (idx: raw int array with x's ndim)."""
    result = new(xp(x).take_along_axis(x._data, idx, axis=dim))
    if grad_needed(x):
        node = TakeAlongBackward(result, x)
        node.idx, node.dim, node.in_shape = idx, dim, x._data.shape
    return result


class PutAlongBackward(Node):
    __slots__ = ("idx", "dim")

    def backward(self, g):
        return (take_along(g, self.idx, self.dim),)


def put_along(g: Tensor, idx, dim: int, shape: tuple, accumulate: bool = True) -> Tensor:
    """Zeros of `shape` with g added at positions idx along dim (repeated positions accumulate)."""
    mod = xp(g)
    data = g._data
    size = count_of(shape, None)
    lin = _linear_index(idx, dim, shape).reshape(-1)
    if accumulate and data.dtype.kind == "f":
        out = mod.bincount(lin, weights=data.reshape(-1), minlength=size).astype(data.dtype, copy=False)
    else:
        out = mod.zeros(size, dtype=data.dtype)
        if accumulate:
            mod.add.at(out, lin, data.reshape(-1))
        else:
            out[lin] = data.reshape(-1)
    result = new(out.reshape(shape))
    if grad_needed(g):
        node = PutAlongBackward(result, g)
        node.idx, node.dim = idx, dim
    return result


class FillBackward(Node):
    __slots__ = ("mask",)

    def backward(self, g):
        return (fill(g, self.mask, 0),)


def fill(x: Tensor, mask, value) -> Tensor:
    """where(mask, value, x) for a constant (raw array) mask; no gradient flows to filled positions."""
    mod = xp(x)
    data = mod.where(mask, mod.asarray(value, dtype=x._data.dtype), x._data)
    result = new(data)
    if grad_needed(x):
        FillBackward(result, x).mask = mask
    return result


def where(mask, a: Tensor, b: Tensor) -> Tensor:
    """Differentiable where(mask, a, b) for a constant mask (a filled where not mask, b where mask)."""
    mod = xp(a)
    return fill(a, mod.logical_not(mask), 0) + fill(b, mask, 0)


def const(like: Tensor, data) -> Tensor:
    """A gradient-free tensor on like's device holding data."""
    mod = xp(like)
    return new(mod.asarray(data))


class ExpBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * out,)


def exp(x: Tensor) -> Tensor:
    with np.errstate(over="ignore"):
        result = new(xp(x).exp(x._data))
    if grad_needed(x):
        ExpBackward0(result, x).save_with_output(result)
    return result


class LogBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / x,)


def log(x: Tensor) -> Tensor:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = new(xp(x).log(x._data))
    if grad_needed(x):
        LogBackward0(result, x).save(x)
    return result


class FlipBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        return (flip(g, self.dim),)


def flip(x: Tensor, dim: int) -> Tensor:
    result = new(xp(x).flip(x._data, axis=dim).copy())
    if grad_needed(x):
        FlipBackward0(result, x).dim = dim
    return result


class RevCumsumBackward(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        return (g.cumsum(self.dim),)


def rev_cumsum(x: Tensor, dim: int) -> Tensor:
    """Cumulative sum from the end of dim (the adjoint of cumsum)."""
    mod = xp(x)
    data = mod.flip(mod.cumsum(mod.flip(x._data, axis=dim), axis=dim), axis=dim)
    result = new(mod.ascontiguousarray(data))
    if grad_needed(x):
        RevCumsumBackward(result, x).dim = dim
    return result


def accumulate(mod, name: str, data, axis: int):
    """ufunc.accumulate along axis; a log-step scan where the array module lacks it (associative ufuncs)."""
    ufunc = getattr(mod, name)
    if mod is np:
        return ufunc.accumulate(data, axis=axis)
    try:
        return ufunc.accumulate(data, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):
        pass
    out = mod.moveaxis(data, axis, -1).copy()
    step, n = 1, out.shape[-1]
    while step < n:
        out[..., step:] = ufunc(out[..., step:], out[..., :-step])
        step *= 2
    return mod.ascontiguousarray(mod.moveaxis(out, -1, axis))


def unsqueeze_to(g: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    """A gradient of a reduction over one dim, with the reduced dim restored as size 1."""
    return g if keepdim or dim is None else g.unsqueeze(dim)


def nan_aware_equal(mod, a, b):
    """a == b, where NaN equals NaN."""
    eq = a == b
    if a.dtype.kind in "fc":
        eq |= mod.isnan(a) & mod.isnan(b)
    return eq
