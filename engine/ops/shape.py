"""Shape primitives: views (reshape, expand, transpose, permute, squeeze, ...) and copies of layout."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import new, new_view, tensor_method, wrap_dim

__all__ = ["reshape", "transpose", "permute", "squeeze", "unsqueeze", "t", "swapaxes", "swapdims"]


def _infer_shape(shape, numel: int) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class ViewBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, g):
        return (g.reshape(self.in_shape),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


def _reshape_result(input: Tensor, data, node_cls) -> Tensor:
    shares = np.shares_memory(data, input._data) if data.size else True
    result = new_view(data, input) if shares else new(data)
    if grad_needed(input):
        node_cls(result, input).in_shape = input._data.shape
    return result


@tensor_method("view")
def view(input: Tensor, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)) and shape[0] is not None:
        return input.to(shape[0]) if not hasattr(shape[0], "np") else _view_dtype(input, shape[0])
    target = _infer_shape(shape, input._data.size)
    try:
        data = input._data.view()
        data.shape = target  # raises instead of copying when strides are incompatible
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return _reshape_result(input, data, ViewBackward0)


def _view_dtype(input: Tensor, dtype) -> Tensor:
    return new_view(input._data.view(dtype.np), input)


@tensor_method("reshape")
def reshape(input: Tensor, *shape):
    target = _infer_shape(shape, input._data.size)
    if target == input._data.shape:
        return _reshape_result(input, input._data.view(), ViewBackward0)
    data = input._data.reshape(target)
    return _reshape_result(input, data, ViewBackward0 if np.shares_memory(data, input._data) else
                           UnsafeViewBackward0)


@tensor_method("view_as")
def view_as(input: Tensor, other: Tensor):
    return view(input, other._data.shape)


@tensor_method("reshape_as")
def reshape_as(input: Tensor, other: Tensor):
    return reshape(input, other._data.shape)


class ExpandBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)  # the engine sums the broadcast dims back to the input's shape


@tensor_method("expand")
def expand(input: Tensor, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        own = shape[i - lead] if i >= lead else None
        if s == -1:
            if own is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            s = own
        elif own is not None and own != 1 and own != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({own}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        target.append(s)
    xp = np if input._data.__class__ is np.ndarray else __import__("cupy")
    data = xp.broadcast_to(input._data, tuple(target))
    result = new_view(data, input)
    if grad_needed(input):
        ExpandBackward0(result, input)
    return result


@tensor_method("expand_as")
def expand_as(input: Tensor, other: Tensor):
    return expand(input, other._data.shape)


class PermuteBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, g):
        return (g.permute(tuple(np.argsort(self.dims))),)


@tensor_method("permute")
def permute(input: Tensor, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    result = new_view(input._data.transpose(dims), input)
    if grad_needed(input):
        PermuteBackward0(result, input).dims = dims
    return result


class TransposeBackward0(Node):
    __slots__ = ("dim0", "dim1")

    def backward(self, g):
        return (g.transpose(self.dim0, self.dim1),)


@tensor_method("transpose", "swapaxes", "swapdims")
def transpose(input: Tensor, dim0: int, dim1: int):
    ndim = input._data.ndim
    d0, d1 = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    data = input._data.swapaxes(d0, d1) if ndim else input._data.view()
    result = new_view(data, input)
    if grad_needed(input):
        node = TransposeBackward0(result, input)
        node.dim0, node.dim1 = d0, d1
    return result


swapaxes = swapdims = transpose


@tensor_method("t")
def t(input: Tensor):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    if input._data.ndim < 2:
        return transpose(input, 0, 0) if input._data.ndim else view(input, ())
    return transpose(input, 0, 1)


Tensor.T = property(lambda self: permute(self, tuple(reversed(range(self._data.ndim)))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
Tensor.mH = property(lambda self: transpose(self, -2, -1).conj())
Tensor.H = property(lambda self: t(self).conj())


class SqueezeBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, g):
        return (g.reshape(self.in_shape),)


@tensor_method("squeeze")
def squeeze(input: Tensor, dim=None):
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(wrap_dim(d, len(shape)) for d in dims) if shape else ()
        dims = tuple(d for d in dims if shape[d] == 1)
    data = np.squeeze(input._data, axis=dims) if input._data.__class__ is np.ndarray else \
        input._data.squeeze(axis=dims)
    result = new_view(data, input)
    if grad_needed(input):
        SqueezeBackward0(result, input).in_shape = shape
    return result


class UnsqueezeBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        return (g.squeeze(self.dim),)


@tensor_method("unsqueeze")
def unsqueeze(input: Tensor, dim: int):
    ndim = input._data.ndim + 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    dim %= ndim
    shape = input._data.shape
    data = input._data.reshape(shape[:dim] + (1,) + shape[dim:])
    result = new_view(data, input)
    if grad_needed(input):
        UnsqueezeBackward0(result, input).dim = dim
    return result


@tensor_method("contiguous")
def contiguous(input: Tensor, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return input.clone()
