"""Complex basics: conj, .real and .imag (views of the parts, with their gradients)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import new, tensor_method

__all__ = ["conj", "conj_physical", "real", "imag"]


class ConjBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.conj(),)


@tensor_method("conj", "conj_physical")
def conj(input: Tensor) -> Tensor:
    if input._data.dtype.kind != "c":
        return input
    result = new(input._data.conj())
    if grad_needed(input):
        ConjBackward0(result, input)
    return result


class RealBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.to(dt.complex128 if self._dtypes[0] == np.float64 else dt.complex64),)


class ImagBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.to(dt.complex128 if self._dtypes[0] == np.float64 else dt.complex64) * 1j,)


def _real(input: Tensor) -> Tensor:
    if input._data.dtype.kind != "c":
        return input
    result = new(input._data.real)
    if grad_needed(input):
        RealBackward0(result, input)
    return result


def _imag(input: Tensor) -> Tensor:
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    result = new(input._data.imag)
    if grad_needed(input):
        ImagBackward0(result, input)
    return result


Tensor.real = property(_real)
Tensor.imag = property(_imag)
real, imag = _real, _imag
conj_physical = conj
