"""index_select / index_add / index_copy / index_fill: indexing along one dimension (forward + backward)."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, new, tensor_method, wrap_dim, xp
from .scatter import _index_data, _inplace_of, _mod, fresh_copy

__all__ = ["index_select", "index_add", "index_copy", "index_fill", "index_reduce"]


def _vector_index(op: str, input: Tensor, dim: int, index: Tensor, dtypes=(np.int64, np.int32)):
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    data = index._data
    if data.ndim > 1:
        if op == "index_select":
            raise IndexError("index_select(): Index is supposed to be a vector")
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {data.ndim} with type: "
                         f"{_scalar_type_name(data.dtype)} and size: {list(data.shape)}")
    if data.dtype not in dtypes:
        if op == "index_select":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if op == "index_fill_":
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                           f"{_scalar_type_name(data.dtype)}")
    return dim, _index_data(index, input).reshape(-1)


class IndexSelectBackward0(Node):
    __slots__ = ("dim", "index", "in_shape")

    def backward(self, g):
        zeros = new(xp(g).zeros(self.in_shape, dtype=g._data.dtype))
        return (_index_add(zeros, self.dim, self.index, g, 1),)


@tensor_method("index_select")
def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    dim, idx = _vector_index("index_select", input, dim, index)
    data = input._data
    size = data.shape[dim] if data.ndim else 1
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0:
            raise IndexError("index out of range in self")
        if hi >= size:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={hi} axis_dim={size}")
    result = new(_mod(data).take(data, idx, axis=dim) if data.ndim else data.reshape(1)[idx].reshape(
        idx.shape if index._data.ndim else ()))
    if grad_needed(input):
        node = IndexSelectBackward0(result, input)
        node.dim, node.index, node.in_shape = dim, idx, data.shape
    if out is not None:
        from .arith import _maybe_out

        return _maybe_out(result, out)
    return result


def _check_source(op: str, input: Tensor, dim: int, idx, source: Tensor) -> None:
    shape, sshape = input._data.shape, source._data.shape
    if source._data.dtype != input._data.dtype:
        a, b = _scalar_type_name(input._data.dtype), _scalar_type_name(source._data.dtype)
        if op == "index_add_":
            raise RuntimeError(f"index_add_(): self ({a}) and source ({b}) must have the same scalar type")
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{a} and (source) {b}")
    n = sshape[dim] if len(sshape) > dim else 1
    if idx.size != n:
        if op == "index_add_":
            raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                               f"source.size(dim): ({n}), for dim: {dim}")
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({n})")
    if len(sshape) == len(shape) and any(s != t for d, (s, t) in enumerate(zip(shape, sshape)) if d != dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(shape)} source.shape = {list(sshape)}")


class IndexAddBackward0(Node):
    __slots__ = ("dim", "index", "alpha")

    def backward(self, g):
        gsrc = None
        if self.needs(1):
            gsrc = index_select(g, self.dim, new(self.index))
            if self.alpha != 1:
                gsrc = gsrc * self.alpha
        return g, gsrc


def _index_add(input: Tensor, dim: int, idx, source: Tensor, alpha, into=None) -> Tensor:
    from .getitem import add_at

    data = input._data
    out = fresh_copy(data, into)
    vals = source._data if alpha == 1 else source._data * alpha
    if out.ndim == 0:
        out += vals.sum(dtype=out.dtype) if vals.size else 0
    else:
        region = out.shape[:dim] + (idx.size,) + out.shape[dim + 1:]
        add_at(out, (slice(None),) * dim + (idx,), vals.reshape(region).astype(out.dtype, copy=False))
    result = new(out)
    if grad_needed(input, source):
        node = IndexAddBackward0(result, input, source)
        node.dim, node.index, node.alpha = dim, idx, alpha
    return result


@tensor_method("index_add")
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1, _into=None) -> Tensor:
    dim, idx = _vector_index("index_add_", input, dim, index)
    _check_source("index_add_", input, dim, idx, source)
    size = input._data.shape[dim] if input._data.ndim else 1
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0:
            raise RuntimeError(f"index {lo} is out of bounds for dimension {dim} with size {size}")
        if hi >= size:
            raise IndexError("index out of range in self")
    return _index_add(input, dim, idx, source, alpha, _into)


class IndexCopyBackward0(Node):
    __slots__ = ("dim", "index")

    def backward(self, g):
        gs = _index_fill_value(g, self.dim, self.index, 0) if self.needs(0) else None
        gsrc = index_select(g, self.dim, new(self.index)) if self.needs(1) else None
        return gs, gsrc


def _dim_key(dim: int, idx) -> tuple:
    return (slice(None),) * dim + (idx,)


@tensor_method("index_copy")
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor, *, _into=None) -> Tensor:
    dim, idx = _vector_index("index_copy_", input, dim, index, (np.int64,))
    _check_source("index_copy_", input, dim, idx, source)
    data = input._data
    size = data.shape[dim] if data.ndim else 1
    if idx.size:
        bad = idx[(idx < 0) | (idx >= size)]
        if bad.size:
            raise IndexError(f"index_copy_(): index {int(bad[0])} is out of bounds for dimension {dim} with "
                             f"size {size}")
    out = fresh_copy(data, _into)
    if out.ndim:
        region = out.shape[:dim] + (idx.size,) + out.shape[dim + 1:]
        out[_dim_key(dim, idx)] = source._data.reshape(region)
    elif idx.size:
        out[...] = source._data.reshape(())
    result = new(out)
    if grad_needed(input, source):
        node = IndexCopyBackward0(result, input, source)
        node.dim, node.index = dim, idx
    return result


class IndexFillBackward0(Node):
    __slots__ = ("dim", "index")

    def backward(self, g):
        return (_index_fill_value(g, self.dim, self.index, 0),)


class IndexFillBackward1(Node):
    __slots__ = ("dim", "index")

    def backward(self, g):
        gs = _index_fill_value(g, self.dim, self.index, 0) if self.needs(0) else None
        gv = None
        if self.needs(1):  # each filled position once, however often the index repeats it
            gv = index_select(g, self.dim, new(_mod(self.index).unique(self.index))).sum()
        return gs, gv


def _index_fill_value(g: Tensor, dim: int, idx, value) -> Tensor:
    out = g._data.copy()
    if out.ndim:
        out[_dim_key(dim, idx)] = value
    elif idx.size:
        out[...] = value
    result = new(out)
    if grad_needed(g):
        node = IndexFillBackward0(result, g)
        node.dim, node.index = dim, idx
    return result


@tensor_method("index_fill")
def index_fill(input: Tensor, dim: int, index: Tensor, value, *, _into=None) -> Tensor:
    dim, idx = _vector_index("index_fill_", input, dim, index, (np.int64,))
    data = input._data
    size = data.shape[dim] if data.ndim else 1
    if idx.size:
        bad = idx[(idx < -size) | (idx >= size)]
        if bad.size:
            raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {dim} with size {size}")
        idx = _mod(idx).where(idx < 0, idx + size, idx)
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        vt, value = value, value._data
    out = fresh_copy(data, _into)
    if out.ndim:
        out[_dim_key(dim, idx)] = value
    elif idx.size:
        out[...] = value
    result = new(out)
    if vt is not None and grad_needed(input, vt):
        node = IndexFillBackward1(result, input, vt)
        node.dim, node.index = dim, idx
    elif grad_needed(input):
        node = IndexFillBackward0(result, input)
        node.dim, node.index = dim, idx
    return result


index_add_ = tensor_method("index_add_")(_inplace_of(index_add))
index_copy_ = tensor_method("index_copy_")(_inplace_of(index_copy))
index_fill_ = tensor_method("index_fill_")(_inplace_of(index_fill))


def _spread_index(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str):
    """index_reduce's vector index spread over source's other dimensions (a scatter_reduce index)."""
    import warnings

    warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=3)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                           f"{reduce}.")
    dim, idx = _vector_index("index_reduce_", input, dim, index)
    _check_source("index_add_", input, dim, idx, source)
    size = input._data.shape[dim] if input._data.ndim else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        raise IndexError("index out of range in self")
    sshape = source._data.shape
    if not sshape:
        return dim, new(idx.reshape(()))
    view = [1] * len(sshape)
    view[dim] = idx.size
    return dim, new(_mod(idx).broadcast_to(idx.reshape(view), sshape))


@tensor_method("index_reduce")
def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    from .scatter import scatter_reduce

    dim, spread = _spread_index(input, dim, index, source, reduce)
    return scatter_reduce(input, dim, spread, source, reduce, include_self=include_self)


@tensor_method("index_reduce_")
def index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True) -> Tensor:
    from .scatter import scatter_reduce_

    dim, spread = _spread_index(self, dim, index, source, reduce)
    return scatter_reduce_(self, dim, spread, source, reduce, include_self=include_self)
