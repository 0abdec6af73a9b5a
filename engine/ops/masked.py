"""Masks and flat indices: masked_fill/select/scatter, take/put, take_along_dim, nonzero, repeat_interleave,
searchsorted/bucketize."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..backend import array_module
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, check_inplace, commit_inplace, new, tensor_method, wrap_dim, xp
from .scatter import _inplace_of

__all__ = ["masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim", "put", "nonzero",
           "nonzero_static", "argwhere", "repeat_interleave", "searchsorted", "bucketize"]


def _mod(arr):
    return np if arr.__class__ is np.ndarray else array_module(arr)


def _dtype_word(np_dtype) -> str:
    """torch's lowercase C type name used in masked_fill's message ('float', 'unsigned char', ...)."""
    names = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
             "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}
    return names.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """np.broadcast_shapes with torch's message (tensor a is the first shape)."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
        for d in range(n - 1, -1, -1):
            if pa[d] != pb[d] and pa[d] != 1 and pb[d] != 1:
                raise RuntimeError(f"The size of tensor a ({pa[d]}) must match the size of tensor "
                                   f"b ({pb[d]}) at non-singleton dimension {d}") from None
        raise


def _mask_data(mask: Tensor, like: Tensor):
    data = mask._data
    if data.__class__ is not like._data.__class__:
        data = _mod(like._data).asarray(data) if like._data.__class__ is not np.ndarray else data.get()
    return data


# -------------------------------------------------------------------------------------- masked_fill --
class MaskedFillBackward0(Node):
    __slots__ = ("mask",)

    def backward(self, g):
        return (masked_fill(g, new(self.mask), 0),)


class MaskedFillBackward1(Node):
    __slots__ = ("mask",)

    def backward(self, g):
        gs = masked_fill(g, new(self.mask), 0) if self.needs(0) else None
        gv = masked_fill(g, new(~self.mask), 0).sum() if self.needs(1) else None
        return gs, gv


@tensor_method("masked_fill")
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dtype_word(mask._data.dtype)}")
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        vt, value = value, value._data
    data = input._data
    m = _mask_data(mask, input)
    mod = _mod(data)
    fill = mod.asarray(value).astype(data.dtype if data.dtype.kind != "b" else bool)
    _broadcast_shape(m.shape, data.shape)
    result = new(mod.where(m, fill, data))
    if vt is not None and grad_needed(input, vt):
        MaskedFillBackward1(result, input, vt).mask = m
    elif grad_needed(input):
        MaskedFillBackward0(result, input).mask = m
    return result


@tensor_method("masked_fill_")
def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    check_inplace(self)
    needs = grad_needed(self) or (isinstance(value, Tensor) and grad_needed(value))
    if not needs and mask._data.dtype == np.bool_ and not (isinstance(value, Tensor) and value._data.ndim):
        m = _mask_data(mask, self)
        shape = _broadcast_shape(m.shape, self._data.shape)
        if shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                               f"shape {list(shape)}")
        v = value._data if isinstance(value, Tensor) else value
        _mod(self._data).copyto(self._data, v, casting="unsafe", where=m)
        self._version[0] += 1
        return self
    return commit_inplace(self, masked_fill(self, mask, value))


# ------------------------------------------------------------------------------------ masked_select --
class MaskedSelectBackward0(Node):
    __slots__ = ("mask", "shape")

    def backward(self, g):
        zeros = new(xp(g).zeros(self.shape, dtype=g._data.dtype))
        return (_masked_scatter(zeros, self.mask, g),)


@tensor_method("masked_select")
def masked_select(input: Tensor, mask: Tensor, *, out=None) -> Tensor:
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    data, m = input._data, _mask_data(mask, input)
    mod = _mod(data)
    shape = _broadcast_shape(m.shape, data.shape)
    m = mod.broadcast_to(m, shape)
    result = new(mod.broadcast_to(data, shape)[m])
    if grad_needed(input):
        node = MaskedSelectBackward0(result, input)
        node.mask, node.shape = m, shape
    if out is not None:
        from .arith import _maybe_out

        return _maybe_out(result, out)
    return result


class MaskedScatterBackward0(Node):
    __slots__ = ("mask", "src_shape")

    def backward(self, g):
        from .getitem import Key, scatter_key

        gs = masked_fill(g, new(self.mask), 0) if self.needs(0) else None
        gsrc = None
        if self.needs(1):
            picked = masked_select(g, new(self.mask))
            numel = int(np.prod(self.src_shape, dtype=np.int64))
            key = Key((slice(0, picked._data.size),), None, "SliceBackward0", False)
            gsrc = scatter_key(picked, (numel,), key).reshape(self.src_shape)
        return gs, gsrc


def _masked_scatter(input: Tensor, m, source: Tensor) -> Tensor:
    """input (broadcast with mask m) with the masked positions filled from source's leading elements."""
    data = input._data
    mod = _mod(data)
    shape = _broadcast_shape(m.shape, data.shape)
    m = mod.broadcast_to(m, shape)
    count = int(m.sum())
    if source._data.size < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = mod.broadcast_to(data, shape).copy()
    out[m] = source._data.reshape(-1)[:count]
    result = new(out)
    if grad_needed(input, source):
        node = MaskedScatterBackward0(result, input, source)
        node.mask, node.src_shape = m, source._data.shape
    return result


@tensor_method("masked_scatter")
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_scalar_type_name(mask._data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_scalar_type_name(input._data.dtype)} and "
                           f"{_scalar_type_name(source._data.dtype)}")
    return _masked_scatter(input, _mask_data(mask, input), source)


@tensor_method("masked_scatter_")
def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    check_inplace(self)
    m = mask._data
    if m.ndim > self._data.ndim:
        raise RuntimeError(f"expand(CPUBoolType{{{list(m.shape)}}}, size={list(self._data.shape)}): the "
                           f"number of sizes provided ({self._data.ndim}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({m.ndim})")
    return commit_inplace(self, masked_scatter(self, mask, source))


# ----------------------------------------------------------------------------------------- take / put --
def _flat_index(op: str, input: Tensor, index: Tensor):
    data = index._data
    if data.dtype != np.int64:
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                           f"{_scalar_type_name(data.dtype)}")
    n = input._data.size
    if data.size:
        lo, hi = int(data.min()), int(data.max())
        bad = lo if lo < -n else (hi if hi >= n else None)
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return _mask_data(index, input)


class TakeBackward0(Node):
    __slots__ = ("index", "in_shape")

    def backward(self, g):
        zeros = new(xp(g).zeros(self.in_shape, dtype=g._data.dtype))
        return (_put(zeros, self.index, g, True),)


@tensor_method("take")
def take(input: Tensor, index: Tensor) -> Tensor:
    idx = _flat_index("take", input, index)
    result = new(input._data.reshape(-1)[idx])
    if grad_needed(input):
        node = TakeBackward0(result, input)
        node.index, node.in_shape = idx, input._data.shape
    return result


class PutBackward0(Node):
    __slots__ = ("index", "accumulate", "src_shape")

    def backward(self, g):
        gs = gsrc = None
        if self.needs(0):
            gs = g if self.accumulate else _put(g, self.index, None, False)
        if self.needs(1):
            gsrc = take(g, new(self.index)).reshape(self.src_shape)
        return gs, gsrc


def _put(input: Tensor, idx, source: Tensor | None, accumulate: bool, into=None) -> Tensor:
    """input with flat positions idx set to (or, accumulating, increased by) source; None writes zeros."""
    data = input._data
    mod = _mod(data)
    out = into if into is not None else mod.array(data, copy=True, order="C")
    flat = out.reshape(-1)
    pos = idx.reshape(-1)
    vals = source._data.reshape(-1) if source is not None else 0
    if accumulate:
        pos = mod.where(pos < 0, pos + flat.size, pos) if pos.size and int(pos.min()) < 0 else pos
        mod.add.at(flat, pos, vals)
    else:
        flat[pos] = vals
    result = new(out)
    if grad_needed(input) or (source is not None and grad_needed(source)):
        node = PutBackward0(result, input, source)
        node.index, node.accumulate = idx, accumulate
        node.src_shape = source._data.shape if source is not None else ()
    return result


@tensor_method("put")
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False, *, _into=None) -> Tensor:
    idx = _flat_index("put_", input, index)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_scalar_type_name(input._data.dtype)} and source.dtype = "
                           f"{_scalar_type_name(source._data.dtype)}")
    if source._data.size != idx.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {idx.size}")
    return _put(input, idx, source, accumulate, _into)


put_ = tensor_method("put_")(_inplace_of(put))


@tensor_method("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *, out=None) -> Tensor:
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_scalar_type_name(indices._data.dtype)}")
    if dim is None:
        result = input.reshape(-1).gather(0, indices.reshape(-1))
    else:
        ndim = input._data.ndim
        if indices._data.ndim != ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                               f"dimensions, but got {ndim} dimensions for input, and {indices._data.ndim} "
                               f"dimensions for indices")
        dim = wrap_dim(dim, ndim)
        ishape, xshape = list(indices._data.shape), list(input._data.shape)
        ishape[dim] = xshape[dim] = 1
        common = list(_broadcast_shape(tuple(xshape), tuple(ishape)))
        in_target = tuple(input._data.shape[d] if d == dim else common[d] for d in range(ndim))
        idx_target = tuple(indices._data.shape[d] if d == dim else common[d] for d in range(ndim))
        src = input if in_target == input._data.shape else input.expand(in_target)
        idx = indices if idx_target == indices._data.shape else indices.expand(idx_target)
        result = src.gather(dim, idx)
    if out is not None:
        from .arith import _maybe_out

        return _maybe_out(result, out)
    return result


# ---------------------------------------------------------------------------- nonzero, argwhere --------
@tensor_method("nonzero")
def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    data = input._data
    mod = _mod(data)
    if as_tuple:
        if data.ndim == 0:
            return (new(mod.zeros((1 if bool(data) else 0,), np.int64)),)
        return tuple(new(i.astype(np.int64, copy=False)) for i in mod.nonzero(data))
    result = new(mod.argwhere(data).astype(np.int64, copy=False))
    if out is not None:
        from .arith import _maybe_out

        return _maybe_out(result, out)
    return result


@tensor_method("nonzero_static")
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero with exactly `size` rows: truncated, or padded with fill_value."""
    found = nonzero(input)._data
    n = found.shape[0]
    if n >= size:
        return new(found[:size].copy())
    pad = _mod(found).full((size - n, found.shape[1]), fill_value, dtype=np.int64)
    return new(_mod(found).concatenate([found, pad]))


@tensor_method("argwhere")
def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ------------------------------------------------------------------------------------ repeat_interleave --
@tensor_method("repeat_interleave")
def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None):
    if repeats is None:  # torch.repeat_interleave(repeats): repeat each index i repeats[i] times
        reps = _repeat_counts(input, None)
        mod = _mod(reps)
        return new(mod.repeat(mod.arange(reps.size, dtype=np.int64), reps))
    if dim is None:
        input = input.reshape(-1)
        dim = 0
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    size = input._data.shape[dim] if ndim else 1
    if isinstance(repeats, Tensor) and repeats._data.size == 1 and repeats._data.ndim <= 1 and size != 1:
        repeats = int(repeats._data.reshape(()))
    if not isinstance(repeats, Tensor):
        repeats = int(repeats)
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        if output_size is not None and output_size != size * repeats:
            raise RuntimeError("allocated size does not match required size")
        if ndim == 0:
            input, ndim = input.reshape(1), 1
        shape = input._data.shape
        expanded = input.unsqueeze(dim + 1).expand(shape[:dim + 1] + (repeats,) + shape[dim + 1:])
        return expanded.reshape(shape[:dim] + (shape[dim] * repeats,) + shape[dim + 1:])
    reps = _repeat_counts(repeats, size, dim)
    if reps.size != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{reps.size} and input.size({dim}) = {size}")
    mod = _mod(input._data)
    idx = mod.repeat(mod.arange(size, dtype=np.int64), mod.asarray(reps))
    if output_size is not None and output_size != idx.size:
        raise RuntimeError("allocated size does not match required size")
    from .index_dim import index_select

    return index_select(input, dim, new(idx))


def _repeat_counts(repeats: Tensor, size, dim: int = 0):
    data = repeats._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{_scalar_type_name(data.dtype)}'")
    if data.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    data = data.reshape(-1)
    if data.size and int(data.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    return data


# ------------------------------------------------------------------------------ searchsorted, bucketize --
def _search_values(values, like: Tensor):
    if isinstance(values, Tensor):
        return values._data, False
    return _mod(like._data).asarray(values), True


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None, out=None) -> Tensor:
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               "left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got "
                           "0 dimension")
    values, scalar = _search_values(input, sorted_sequence)
    mod = _mod(seq)
    if sorter is not None:
        seq = mod.take_along_axis(seq, sorter._data, axis=-1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        found = mod.searchsorted(seq, values, side=how)
    else:
        if scalar or values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                               f"N-1 dimensions of boundaries tensor and input value tensor must match, but "
                               f"we got boundaries tensor {list(seq.shape)} and input value tensor "
                               f"{list(values.shape)}")
        found = _batched_searchsorted(mod, seq, values, right)
    result = new(mod.asarray(found).astype(np.int32 if out_int32 else np.int64))
    if out is not None:
        from .arith import _maybe_out

        return _maybe_out(result, out)
    return result


def _batched_searchsorted(mod, seq, values, right: bool):
    """Row-wise searchsorted in one sort: merge each row's boundaries and values, count boundaries before."""
    n, m = seq.shape[-1], values.shape[-1]
    rows = seq.reshape(-1, n)
    vals = values.reshape(rows.shape[0], m)
    dtype = np.result_type(rows.dtype, vals.dtype)
    merged = mod.concatenate([rows.astype(dtype), vals.astype(dtype)], axis=1)
    # ties: a value sorts before equal boundaries for side='left', after them for side='right'
    tie = mod.concatenate([mod.full(rows.shape, 0 if right else 1, np.int8),
                           mod.full(vals.shape, 1 if right else 0, np.int8)], axis=1)
    order = mod.lexsort((tie, merged), axis=-1)
    before = mod.cumsum(order < n, axis=1)
    where = mod.empty_like(order)
    mod.put_along_axis(where, order, mod.broadcast_to(mod.arange(n + m), order.shape), axis=1)
    return mod.take_along_axis(before, where[:, n:], axis=1).reshape(values.shape)


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False, out=None) -> Tensor:
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)

