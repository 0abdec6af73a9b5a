"""Logical and bitwise ops with their operators (& | ^ ~ << >>), and closeness tests (isclose, allclose,
equal). None of these is differentiable."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._helpers import (
    _scalar_type_name,
    binary_arrays,
    check_inplace,
    commit_inplace,
    new,
    result_dtype,
    tensor_method,
    to_tensor,
    xp,
)
from .arith import _maybe_out
from .pointwise_binary import apply_binary, inplace_of, not_implemented_for, tensor_arg_error

__all__ = ["logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "isclose", "allclose",
           "equal"]


# -------------------------------------------------------------------------------------------- logical ---
def _logical(name: str, ufunc):
    def op(input: Tensor, other: Tensor, *, out=None) -> Tensor:
        if not isinstance(other, Tensor):
            raise tensor_arg_error(name, "other", other)
        a, b = input._data, other._data
        if a.__class__ is not b.__class__ and b.ndim:
            binary_arrays(input, other)  # raises the device mismatch error
        return _maybe_out(new(apply_binary(ufunc, a, b)), out)

    op.__name__ = op.__qualname__ = name
    tensor_method(name)(op)
    tensor_method(name + "_")(inplace_of(op))
    return op


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


@tensor_method("logical_not")
def logical_not(input: Tensor, *, out=None) -> Tensor:
    return _maybe_out(new(xp(input).logical_not(input._data)), out)


tensor_method("logical_not_")(inplace_of(logical_not))


# -------------------------------------------------------------------------------------------- bitwise ---
def _bitwise(name: str, kernel: str, ufunc, shift: bool = False):
    def op(input, other, *, out=None) -> Tensor:
        if not isinstance(input, Tensor):
            input = to_tensor(input, other)
        xa, xb, _ = binary_arrays(input, other)
        if xa.dtype.kind not in "iub" or (shift and xa.dtype.kind == "b"):
            raise not_implemented_for(kernel, xa.dtype)
        return _maybe_out(new(np.asarray(apply_binary(ufunc, xa, xb))), out)

    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise("bitwise_and", "bitwise_and_cpu", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", "bitwise_or_cpu", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor_cpu", np.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", "lshift_cpu", np.left_shift, True)
bitwise_right_shift = _bitwise("bitwise_right_shift", "rshift_cpu", np.right_shift, True)


@tensor_method("bitwise_not")
def bitwise_not(input: Tensor, *, out=None) -> Tensor:
    data = input._data
    if data.dtype.kind not in "iub":
        raise not_implemented_for("bitwise_not_cpu", data.dtype)
    return _maybe_out(new(xp(input).invert(data)), out)


@tensor_method("__invert__")
def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def _bitwise_inplace(op):
    def method(self: Tensor, other) -> Tensor:
        check_inplace(self)
        res, own = result_dtype(self, other), self._data.dtype
        if res != own and not np.can_cast(res, own, "same_kind"):  # torch checks this before the kernel
            raise RuntimeError(f"result type {_scalar_type_name(res)} can't be cast to the desired output "
                               f"type {_scalar_type_name(own)}")
        return commit_inplace(self, op(self, other))

    return method


def _reflected(op):
    def method(self: Tensor, other) -> Tensor:
        return op(to_tensor(other, self), self)

    return method


for _op, _names, _rname, _iname in (
    (bitwise_and, ("bitwise_and", "__and__", "__rand__"), None, ("bitwise_and_", "__iand__")),
    (bitwise_or, ("bitwise_or", "__or__", "__ror__"), None, ("bitwise_or_", "__ior__")),
    (bitwise_xor, ("bitwise_xor", "__xor__", "__rxor__"), None, ("bitwise_xor_", "__ixor__")),
    (bitwise_left_shift, ("bitwise_left_shift", "__lshift__"), "__rlshift__",
     ("bitwise_left_shift_", "__ilshift__")),
    (bitwise_right_shift, ("bitwise_right_shift", "__rshift__"), "__rrshift__",
     ("bitwise_right_shift_", "__irshift__")),
):
    tensor_method(*_names)(_op)
    if _rname is not None:
        tensor_method(_rname)(_reflected(_op))
    tensor_method(*_iname)(_bitwise_inplace(_op))
tensor_method("bitwise_not_")(inplace_of(bitwise_not))


# ----------------------------------------------------------------------------------------- closeness ---
@tensor_method("isclose")
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| (exact equality, incl. infinities, always counts)."""
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_scalar_type_name(a.dtype)} did not match {_scalar_type_name(b.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    close = apply_binary(np.equal, a, b)
    if a.dtype.kind == "b":
        return new(close)
    if a.dtype.kind in "iu":
        a, b = a.astype(np.float64), b.astype(np.float64)
    mod = xp(input)
    with np.errstate(all="ignore"):
        diff = mod.abs(a - b)
        close |= mod.isfinite(diff) & (diff <= atol + mod.abs(rtol * b))
    if equal_nan and a.dtype.kind in "fc":
        close |= mod.isnan(a) & mod.isnan(b)
    return new(close)


@tensor_method("allclose")
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@tensor_method("equal")
def equal(input: Tensor, other: Tensor) -> bool:
    """Same shape and same values (dtypes may differ)."""
    if input._data.shape != other._data.shape:
        return False
    xa, xb, _ = binary_arrays(input, other)
    return bool((xa == xb).all())


