"""lerp: start + weight * (end - start), with a scalar or tensor weight (forward and backward)."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._errors import broadcast_error
from ._helpers import new, tensor_method
from .arith import _maybe_out
from .blas import _CPP_NAMES
from .pointwise_binary import inplace_of, not_implemented_for, tensor_arg_error

__all__ = ["lerp"]


def _lerp_dtype_error(which: str, expected, got) -> RuntimeError:
    return RuntimeError(f"expected dtype {_CPP_NAMES[expected.name]} for `{which}` but got dtype "
                        f"{_CPP_NAMES[got.name]}")


class LerpBackward0(Node):
    __slots__ = ("weight",)

    def backward(self, g):
        w = self.weight
        return (g * (1 - w) if self.needs(0) else None), (g * w if self.needs(1) else None)


class LerpBackward1(Node):
    __slots__ = ()

    def backward(self, g):
        start, end, weight = self.saved_tensors
        gs = g * (1 - weight) if self.needs(0) else None
        ge = g * weight if self.needs(1) else None
        gw = g * (end - start) if self.needs(2) else None
        return gs, ge, gw


def _lerp_array(a, b, w):
    diff = b - a
    return np.where(w < 0.5, a + w * diff, b - diff * (1 - w)).astype(a.dtype, copy=False)


@tensor_method("lerp")
def lerp(input: Tensor, end: Tensor, weight, *, out=None) -> Tensor:
    if not isinstance(end, Tensor):
        raise tensor_arg_error("lerp", "end", end)
    a = input._data
    if end._data.dtype != a.dtype:
        raise _lerp_dtype_error("end", a.dtype, end._data.dtype)
    tensor_weight = isinstance(weight, Tensor)
    if tensor_weight and weight._data.dtype != a.dtype:
        raise _lerp_dtype_error("weight", a.dtype, weight._data.dtype)
    if a.dtype.kind not in "fc":
        raise not_implemented_for("lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar", a.dtype)
    w = weight._data if tensor_weight else weight
    try:
        np.broadcast_shapes(a.shape, end._data.shape, np.shape(w))
    except ValueError:
        raise broadcast_error(a.shape, end._data.shape if np.ndim(w) == 0 else np.shape(w)) from None
    with np.errstate(all="ignore"):
        result = new(_lerp_array(a, end._data, w))
    if tensor_weight:
        if grad_needed(input, end, weight):
            LerpBackward1(result, input, end, weight).save(input, end, weight)
    elif grad_needed(input, end):
        LerpBackward0(result, input, end).weight = weight
    return _maybe_out(result, out)


tensor_method("lerp_")(inplace_of(lerp))
