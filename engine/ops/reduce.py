"""Reductions: sum, mean, ... (forward and backward side by side)."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import default_float_np, new, tensor_method, wrap_dims

__all__ = ["sum", "mean"]


def _reduce_dims(input: Tensor, dim) -> tuple | None:
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return wrap_dims(dim, input._data.ndim) if input._data.ndim else ()


def _expand_back(g: Tensor, in_shape: tuple, dims: tuple | None, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims."""
    if dims is None:
        return g.reshape((1,) * len(in_shape)).expand(in_shape) if in_shape else g.reshape(())
    if not keepdim:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)


class SumBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, g):
        return (_expand_back(g, self.in_shape, None, False),)


class SumBackward1(Node):
    __slots__ = ("in_shape", "dims", "keepdim")

    def backward(self, g):
        return (_expand_back(g, self.in_shape, self.dims, self.keepdim),)


def _sum_dtype(input: Tensor, dtype):
    if dtype is not None:
        from .._dtype import to_dtype

        return to_dtype(dtype).np
    kind = input._data.dtype.kind
    return np.dtype(np.int64) if kind in "biu" else None


@tensor_method("sum")
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A001
    dims = _reduce_dims(input, dim)
    out_dtype = _sum_dtype(input, dtype)
    data = input._data.sum(axis=dims, keepdims=keepdim, dtype=out_dtype)
    result = new(data)
    if grad_needed(input):
        if dims is None:
            SumBackward0(result, input).in_shape = input._data.shape
        else:
            node = SumBackward1(result, input)
            node.in_shape, node.dims, node.keepdim = input._data.shape, dims, keepdim
    return result


class MeanBackward0(Node):
    __slots__ = ("in_shape", "count")

    def backward(self, g):
        return (_expand_back(g / self.count, self.in_shape, None, False),)


class MeanBackward1(Node):
    __slots__ = ("in_shape", "dims", "keepdim", "count")

    def backward(self, g):
        return (_expand_back(g / self.count, self.in_shape, self.dims, self.keepdim),)


@tensor_method("mean")
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None):
    if dtype is None and input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {input.dtype.name.capitalize() if input.dtype.name != 'int64' else 'Long'}"
        )
    dims = _reduce_dims(input, dim)
    out_dtype = _sum_dtype(input, dtype) if dtype is not None else None
    with np.errstate(invalid="ignore", divide="ignore"):
        data = input._data.mean(axis=dims, keepdims=keepdim, dtype=out_dtype)
    result = new(data)
    if grad_needed(input):
        shape = input._data.shape
        count = int(np.prod([shape[d] for d in dims])) if dims is not None else input._data.size
        if dims is None:
            node = MeanBackward0(result, input)
        else:
            node = MeanBackward1(result, input)
            node.dims, node.keepdim = dims, keepdim
        node.in_shape, node.count = shape, count
    return result


_ = default_float_np
