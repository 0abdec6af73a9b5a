"""Casts, device moves, clone and copy_ (forward and backward side by side)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..backend import move_array
from ..tensor import Tensor, grad_needed
from ._helpers import check_inplace, new, tensor_method, to_tensor

__all__ = ["clone"]


class ToCopyBackward0(Node):
    __slots__ = ("src_dtype", "src_device")

    def backward(self, g):
        if g._data.dtype.kind == "c" and self.src_dtype.kind != "c":
            g = g.real
        return (g.to(dtype=dt.from_numpy_dtype(self.src_dtype), device=self.src_device),)


def _cast(self: Tensor, dtype: dt.dtype) -> Tensor:
    data = self._data
    if data.dtype.kind == "c" and dtype.np.kind != "c":
        data = data.real
    result = new(data.astype(dtype.np))
    if grad_needed(self) and dtype.np.kind in "fc":
        node = ToCopyBackward0(result, self)
        node.src_dtype, node.src_device = self._data.dtype, self.device
    return result


def _move(self: Tensor, device) -> Tensor:
    result = new(move_array(self._data, device))
    if grad_needed(self):
        node = ToCopyBackward0(result, self)
        node.src_dtype, node.src_device = self._data.dtype, self.device
    return result


Tensor._cast = _cast
Tensor._move = _move


class CloneBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


@tensor_method("clone")
def clone(input, *, memory_format=None):
    result = new(input._data.copy())
    if grad_needed(input):
        CloneBackward0(result, input)
    return result


class CopyBackwards(Node):
    __slots__ = ("src_dtype", "src_device")

    def backward(self, g):
        src_grad = None
        if self.needs(1):
            src_grad = g.to(dtype=dt.from_numpy_dtype(self.src_dtype), device=self.src_device)
        return (g * 0 if self.needs(0) else None), src_grad


@tensor_method("copy_")
def copy_(self, src, non_blocking: bool = False):
    check_inplace(self)
    if not isinstance(src, Tensor):
        src = to_tensor(src, self)
    data = move_array(src._data, self.device)
    if data.dtype.kind == "c" and self._data.dtype.kind != "c":
        data = data.real
    try:
        np.broadcast_shapes(data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match the size of "
            f"tensor b ({data.shape[-1] if data.ndim else 1}) at non-singleton dimension "
            f"{max(self._data.ndim - 1, 0)}"
        ) from None
    self._data[...] = data
    self._version[0] += 1
    if grad_needed(self, src):
        node = CopyBackwards((self,), self, src)
        node.src_dtype, node.src_device = src._data.dtype, src.device
        if self._base is not None:
            from ._view_inplace import rebase_view_history

            rebase_view_history(self)
    return self
