"""Joining and splitting: cat, stack and their h/v/d/column forms; split, chunk, tensor_split, unbind; pad."""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, new, new_view, tensor_method, wrap_dim, xp
from .padding import pad
from .views import _slice

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack",
           "split", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "unbind", "pad"]


def _tensor_list(tensors, name: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


def _promoted(tensors) -> np.dtype:
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return first
    return dt.result_type_of([dt.from_numpy_dtype(t._data.dtype) for t in tensors], (), ()).np


def _arrays(tensors, res: np.dtype) -> list:
    out = []
    for t in tensors:
        a = t._data
        if a.__class__ is not tensors[0]._data.__class__:
            from ._helpers import check_same_device

            check_same_device(tensors[0]._data, a)
        out.append(a if a.dtype == res else a.astype(res))
    return out


def _maybe_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    from .arith import _maybe_out as write_out

    return write_out(result, out)


# ----------------------------------------------------------------------------------------------- cat ---
class CatBackward0(Node):
    __slots__ = ("dim", "spans")

    def backward(self, g):
        grads = []
        for i, span in enumerate(self.spans):
            if not self.needs(i):
                grads.append(None)
            elif span is None:  # a legacy empty 1-D input that was skipped
                grads.append(new(xp(g).zeros((0,), g._data.dtype)))
            else:
                grads.append(_slice(g, self.dim, span[0], span[1]))
        return tuple(grads)


def cat(tensors, dim: int = 0, *, axis: int | None = None, out: Tensor | None = None) -> Tensor:
    if axis is not None:
        dim = axis
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    res = _promoted(tensors)
    used = [t for t in tensors if t._data.shape != (0,)]
    if not used:
        result = new(xp(tensors[0]).zeros((0,), res))
        if grad_needed(*tensors):
            node = CatBackward0(result, *tensors)
            node.dim, node.spans = 0, [None] * len(tensors)
        return _maybe_out(result, out)
    ref = used[0]._data.shape
    for pos, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {pos}) cannot be concatenated")
    d = wrap_dim(dim, len(ref))
    spans, start = [], 0
    for pos, t in enumerate(tensors):
        shape = t._data.shape
        if shape == (0,):
            spans.append(None)
            continue
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and "
                               f"{len(shape)}")
        for i, (a, b) in enumerate(zip(ref, shape)):
            if i != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} "
                                   f"but got size {b} for tensor number {pos} in the list.")
        spans.append((start, start + shape[d]))
        start += shape[d]
    arrays = _arrays(used, res)
    result = new(xp(used[0]).concatenate(arrays, axis=d) if len(arrays) > 1 else arrays[0].copy())
    if grad_needed(*tensors):
        node = CatBackward0(result, *tensors)
        node.dim, node.spans = d, spans
    return _maybe_out(result, out)


concat = concatenate = cat


class StackBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        count = len(self.next_functions)
        return tuple(g.select(self.dim, i) if self.needs(i) else None for i in range(count))


def stack(tensors, dim: int = 0, *, axis: int | None = None, out: Tensor | None = None) -> Tensor:
    if axis is not None:
        dim = axis
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for pos, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                               f"and {list(t._data.shape)} at entry {pos}")
    d = wrap_dim(dim, len(ref) + 1)
    result = new(xp(tensors[0]).stack(_arrays(tensors, _promoted(tensors)), axis=d))
    if grad_needed(*tensors):
        StackBackward0(result, *tensors).dim = d
    return _maybe_out(result, out)


def hstack(tensors, *, out: Tensor | None = None) -> Tensor:
    from .shape import atleast_1d

    tensors = list(atleast_1d(_tensor_list(tensors, "hstack")))
    return cat(tensors, 0 if tensors and tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out: Tensor | None = None) -> Tensor:
    from .shape import atleast_2d

    return cat(list(atleast_2d(_tensor_list(tensors, "vstack"))), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out: Tensor | None = None) -> Tensor:
    from .shape import atleast_3d

    return cat(list(atleast_3d(_tensor_list(tensors, "dstack"))), 2, out=out)


def column_stack(tensors, *, out: Tensor | None = None) -> Tensor:
    tensors = _tensor_list(tensors, "column_stack")
    cols = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return hstack(cols, out=out)


# --------------------------------------------------------------------------------------------- split ---
class SplitBackward0(Node):
    """One node for all pieces: missing gradients are zeros, then the pieces are concatenated."""

    __slots__ = ("dim",)

    def apply(self, grads):
        pieces = []
        for g, shape, dtype in zip(grads, self._shapes, self._dtypes):
            pieces.append(g if g is not None else new(xp(_first(grads)).zeros(shape, dtype)))
        return (cat(pieces, self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    __slots__ = ()


class UnbindBackward0(Node):
    __slots__ = ("dim",)

    def apply(self, grads):
        pieces = []
        for g, shape, dtype in zip(grads, self._shapes, self._dtypes):
            pieces.append(g if g is not None else new(xp(_first(grads)).zeros(shape, dtype)))
        return (stack(pieces, self.dim),)


def _first(grads) -> Tensor:
    return next(g for g in grads if g is not None)


def _pieces(input: Tensor, d: int, bounds, node_cls) -> tuple:
    """Views input[..., a:b, ...] for each (a, b), sharing one multi-output backward node."""
    data = input._data
    lead = (slice(None),) * d
    outs = tuple(new_view(data[lead + (slice(a, b),)], input) for a, b in bounds)
    if grad_needed(input):
        node_cls(outs, input).dim = d
    return outs


def _bounds(sizes) -> list:
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return bounds


@tensor_method("split")
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    step = operator.index(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of "
                           f"{size}")
    count = max((size + step - 1) // step, 1) if step else 1
    sizes = [step] * (count - 1) + [size - step * (count - 1)]
    return _pieces(tensor, d, _bounds(sizes), SplitBackward0)


@tensor_method("split_with_sizes")
def split_with_sizes(tensor: Tensor, split_sizes, dim: int = 0) -> tuple:
    d = wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d] if tensor._data.ndim else 1
    sizes = [operator.index(s) for s in split_sizes]
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but "
                               f"got split_sizes={sizes}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                           f"size at dimension {d}), but got split_sizes={sizes}")
    return _pieces(tensor, d, _bounds(sizes), SplitWithSizesBackward0)


@tensor_method("chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    step = (size + chunks - 1) // chunks
    if step == 0 and size == 0:
        return _pieces(input, d, [(0, 0)] * chunks, SplitWithSizesBackward0)
    return split(input, step, d)


@tensor_method("tensor_split")
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 "
                           "dims")
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, "
                               f"but got {_scalar_type_name(spec._data.dtype)}")
        if spec._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                               f"or one-dimensional tensor, but got a tensor with {spec._data.ndim} dims")
        spec = spec.item() if spec._data.ndim == 0 else spec.tolist()
    if isinstance(spec, (list, tuple)):
        cuts = [size + i if i < 0 else i for i in (operator.index(i) for i in spec)]
        cuts = [min(max(c, 0), size) for c in cuts]
        starts = [0] + cuts
        stops = cuts + [size]
        bounds = [(a, max(a, b)) for a, b in zip(starts, stops)]
    else:
        sections = operator.index(spec)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        base, extra = divmod(size, sections)
        bounds = _bounds([base + 1] * extra + [base] * (sections - extra))
    return tuple(_slice(input, d, a, b) for a, b in bounds)


def _split_along(input: Tensor, spec, dim: int, name: str, min_dims: int) -> tuple:
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                           f"tensor with {ndim} dimensions!")
    if isinstance(spec, int):
        size = input._data.shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {spec}!")
    return tensor_split(input, spec, dim)


@tensor_method("hsplit")
def hsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


@tensor_method("vsplit")
def vsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


@tensor_method("dsplit")
def dsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


@tensor_method("unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple:
    data = input._data
    if data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, data.ndim)
    lead = (slice(None),) * d
    outs = tuple(new_view(data[lead + (i, Ellipsis)], input) for i in range(data.shape[d]))
    if grad_needed(input) and outs:
        UnbindBackward0(outs, input).dim = d
    return outs
