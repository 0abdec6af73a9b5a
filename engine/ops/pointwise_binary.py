"""Binary pointwise math: where, maximum/minimum, fmax/fmin, atan2, hypot, remainder, fmod, floor_divide,
copysign, xlogy, logaddexp(2), heaviside (forward and backward side by side)."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._errors import broadcast_error
from ._helpers import (
    _scalar_type_name,
    binary_arrays,
    check_inplace,
    commit_inplace,
    default_float_np,
    new,
    result_dtype,
    tensor_method,
    to_tensor,
    xp,
)
from .arith import _div_rounded, _maybe_out

__all__ = ["where", "maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot", "remainder", "fmod",
           "floor_divide", "copysign", "xlogy", "logaddexp", "logaddexp2", "heaviside"]


# ------------------------------------------------------------------------------------------ plumbing ---
def apply_binary(fn, xa, xb):
    """fn(xa, xb) with numpy's floating-point warnings off and torch's broadcast error message."""
    try:
        with np.errstate(all="ignore"):
            return fn(xa, xb)
    except ValueError:
        raise broadcast_error(np.shape(xa), np.shape(xb)) from None


def not_implemented_for(kernel: str, np_dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_type_name(np_dtype)}\'')


def tensor_arg_error(fn: str, name: str, value, position: int = 2) -> TypeError:
    return TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                     f"{type(value).__name__}")


def _require_tensors(fn: str, input, other) -> None:
    if not isinstance(input, Tensor):
        raise tensor_arg_error(fn, "input", input, 1)
    if not isinstance(other, Tensor):
        raise tensor_arg_error(fn, "other", other)


def float_binary_arrays(a: Tensor, b):
    """Operands promoted like a binary op, then integer/bool results moved to the default float dtype."""
    res = result_dtype(a, b)
    if res.kind not in "fc":
        res = default_float_np()
    return binary_arrays(a, b, res)


class NotImplementedBackward(Node):
    """Ops torch gives no derivative (heaviside, floor_divide, remainder(Scalar, Tensor)): backward raises."""

    __slots__ = ("op",)

    def name(self) -> str:
        return "NotImplemented"

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def _no_derivative(result: Tensor, op: str, *inputs) -> None:
    if grad_needed(*[t for t in inputs if isinstance(t, Tensor)]):
        NotImplementedBackward(result, *[t if isinstance(t, Tensor) else None for t in inputs]).op = op


# --------------------------------------------------------------------------------------------- where ---
class WhereBackward0(Node):
    __slots__ = ("cond",)

    def backward(self, g):
        cond = new(self.cond)
        gx = where(cond, g, 0.0) if self.needs(0) else None
        gy = where(cond, 0.0, g) if self.needs(1) else None
        return gx, gy


def _where_dtype(input, other) -> np.dtype:
    if isinstance(input, Tensor):
        return result_dtype(input, other)
    if isinstance(other, Tensor):
        return result_dtype(other, input)
    return dt.result_type_of((), (), (dt.scalar_dtype(input), dt.scalar_dtype(other))).np


def _operand(x, res, like):
    if isinstance(x, Tensor):
        data = x._data
        return data if data.dtype == res else data.astype(res)
    return xp(like).asarray(x, dtype=res)


@tensor_method("where")
def _where_method(self: Tensor, condition, y) -> Tensor:
    return where(condition, self, y)


def where(condition: Tensor, input=None, other=None, *, out=None):
    """where(cond, x, y): x where cond else y (x, y promoted like a binary op); where(cond): nonzero tuple."""
    if input is None and other is None:
        data = condition._data
        mod = xp(condition)
        return tuple(new(i.astype(np.int64)) for i in mod.nonzero(mod.atleast_1d(data)))
    if input is None or other is None:
        raise TypeError("where() received an invalid combination of arguments - got (Tensor, Tensor), but "
                        "expected one of:\n * (Tensor condition)\n * (Tensor condition, Tensor input, Tensor "
                        "other, *, Tensor out = None)")
    cond = condition._data
    if cond.dtype != np.bool_:
        if cond.dtype != np.uint8:
            raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{_scalar_type_name(cond.dtype)}")
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be "
                      "removed in a future version of PyTorch. Use a boolean condition instead.", UserWarning,
                      stacklevel=2)
        cond = cond.astype(np.bool_)
    res = _where_dtype(input, other)
    a = _operand(input, res, condition)
    b = _operand(other, res, condition)
    try:
        data = xp(condition).where(cond, a, b)
    except ValueError:
        shapes = [cond.shape, np.shape(a), np.shape(b)]
        try:
            np.broadcast_shapes(shapes[0], shapes[1])
        except ValueError:
            raise broadcast_error(shapes[0], shapes[1]) from None
        raise broadcast_error(np.broadcast_shapes(shapes[0], shapes[1]), shapes[2]) from None
    result = new(data)
    ti = input if isinstance(input, Tensor) else None
    to = other if isinstance(other, Tensor) else None
    if (ti is not None and grad_needed(ti)) or (to is not None and grad_needed(to)):
        WhereBackward0(result, ti, to).cond = cond
    return _maybe_out(result, out)


def masked_grad(g: Tensor, keep) -> Tensor:
    """g where the boolean array keep is set, else 0 (differentiable in g, for create_graph)."""
    return where(new(keep), g, 0.0)


# -------------------------------------------------------------------------------- maximum / minimum ---
def _compare_arrays(fn: str, input, other):
    _require_tensors(fn, input, other)
    if input._data.dtype.kind == "c" or other._data.dtype.kind == "c":
        raise RuntimeError(f"{fn} not implemented for complex tensors.")
    return binary_arrays(input, other)


class MaximumBackward0(Node):
    __slots__ = ("sign",)  # +1 for maximum, -1 for minimum

    def backward(self, g):
        x, y = self.saved_tensors
        xd, yd = x._data, y._data
        if self.sign < 0:
            xd, yd = yd, xd
        tie = xd == yd
        if tie.any():
            g = where(new(tie), g * 0.5, g)
        gx = masked_grad(g, ~(xd < yd)) if self.needs(0) else None  # NaN: both sides get the gradient
        gy = masked_grad(g, ~(xd > yd)) if self.needs(1) else None
        return gx, gy


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()


def _extremum(fn_name, ufunc, node_cls, sign, input, other, out):
    xa, xb, _ = _compare_arrays(fn_name, input, other)
    result = new(apply_binary(ufunc, xa, xb))
    if grad_needed(input, other):
        node = node_cls(result, input, other)
        node.sign = sign
        node.save(input, other)
    return _maybe_out(result, out)


@tensor_method("maximum")
def maximum(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _extremum("maximum", np.maximum, MaximumBackward0, 1, input, other, out)


@tensor_method("minimum")
def minimum(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _extremum("minimum", np.minimum, MinimumBackward0, -1, input, other, out)


class FmaxBackward0(Node):
    __slots__ = ("sign",)

    def backward(self, g):
        x, y = self.saved_tensors
        xd, yd = x._data, y._data
        keep = ((xd >= yd) if self.sign > 0 else (xd <= yd)) | (yd != yd)
        gx = masked_grad(g, keep) if self.needs(0) else None
        return gx, (masked_grad(g, ~keep) if self.needs(1) else None)


class FminBackward0(FmaxBackward0):
    __slots__ = ()


@tensor_method("fmax")
def fmax(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _extremum("fmax", np.fmax, FmaxBackward0, 1, input, other, out)


@tensor_method("fmin")
def fmin(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _extremum("fmin", np.fmin, FminBackward0, -1, input, other, out)


# ------------------------------------------------------------------------------------- atan2 / hypot ---
class Atan2Backward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, y = self.saved_tensors
        recip = (x * x + y * y).reciprocal()
        recip = masked_grad(recip, ~np.isinf(recip._data))  # 0 at the origin, like torch
        gx = g * (y * recip) if self.needs(0) else None
        gy = g * (-x * recip) if self.needs(1) else None
        return gx, gy


@tensor_method("atan2", "arctan2")
def atan2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    _require_tensors("atan2", input, other)
    xa, xb, _ = float_binary_arrays(input, other)
    result = new(apply_binary(np.arctan2, xa, xb))
    if grad_needed(input, other):
        Atan2Backward0(result, input, other).save(input, other)
    return _maybe_out(result, out)


arctan2 = atan2


class HypotBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, y, out = self.saved_tensors
        return (g * (x / out) if self.needs(0) else None), (g * (y / out) if self.needs(1) else None)


@tensor_method("hypot")
def hypot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    _require_tensors("hypot", input, other)
    xa, xb, _ = binary_arrays(input, other)
    if xa.dtype.kind not in "f":
        raise not_implemented_for("hypot_cpu", xa.dtype)
    result = new(apply_binary(np.hypot, xa, xb))
    if grad_needed(input, other):
        HypotBackward0(result, input, other).save_with_output(input, other, result)
    return _maybe_out(result, out)


# --------------------------------------------------------------------------------- remainder / fmod ---
def _check_int_divisor(xa, xb) -> None:
    if xa.dtype.kind in "iu" and not bool((xb != 0).all() if hasattr(xb, "all") else xb != 0):
        raise RuntimeError("ZeroDivisionError")


def _float_remainder(xa, xb):
    """Python-style modulo, computed as torch does: fmod, then shift by the divisor if the signs differ."""
    mod = np.fmod(xa, xb)
    fix = (mod != 0) & ((mod < 0) != (xb < 0))
    return np.where(fix, mod + xb, mod) if fix.any() else mod


class RemainderBackward0(Node):
    """remainder(Tensor, Scalar) / fmod(Tensor, Scalar): gradient passes to the input unchanged."""

    __slots__ = ()

    def backward(self, g):
        return (g,)


class FmodBackward0(RemainderBackward0):
    __slots__ = ()


class RemainderBackward1(Node):
    __slots__ = ("quotient",)  # floor (remainder) or trunc (fmod) of x / y, as an array

    def backward(self, g):
        gy = g * new(-self.quotient) if self.needs(1) else None
        return (g if self.needs(0) else None), gy


class FmodBackward1(RemainderBackward1):
    __slots__ = ()


def _mod_op(name: str, input, other, floor: bool) -> Tensor:
    xa, xb, tb = binary_arrays(input, other)
    kind = xa.dtype.kind
    if kind == "b" or kind == "c":
        raise not_implemented_for(f"{name}_cpu", xa.dtype)
    if kind in "iu":
        _check_int_divisor(xa, xb)
        data = apply_binary(np.remainder if floor else np.fmod, xa, xb)
    else:
        data = apply_binary(_float_remainder if floor else np.fmod, xa, xb)
    result = new(np.asarray(data))
    if tb is None:
        if grad_needed(input):
            (RemainderBackward0 if floor else FmodBackward0)(result, input)
    elif grad_needed(input, tb):
        node = (RemainderBackward1 if floor else FmodBackward1)(result, input, tb)
        if node.needs(1):
            with np.errstate(all="ignore"):
                q = xa / xb
                node.quotient = np.floor(q) if floor else np.trunc(q)
    return result


@tensor_method("remainder", "__mod__")
def remainder(input, other, *, out=None) -> Tensor:
    if not isinstance(input, Tensor):  # remainder(Scalar, Tensor): no derivative in torch
        result = _mod_op("remainder", to_tensor(input, other), other._alias(), True)
        _no_derivative(result, "remainder", None, other)
        return _maybe_out(result, out)
    return _maybe_out(_mod_op("remainder", input, other, True), out)


@tensor_method("__rmod__")
def _rmod(self: Tensor, other) -> Tensor:
    return remainder(other, self)


@tensor_method("fmod")
def fmod(input: Tensor, other, *, out=None) -> Tensor:
    return _maybe_out(_mod_op("fmod", input, other, False), out)


@tensor_method("floor_divide")
def floor_divide(input, other, *, out=None) -> Tensor:
    """Rounds toward -inf (torch >= 1.13). Deviation: backward gives zeros where torch raises."""
    input = input if isinstance(input, Tensor) else to_tensor(input, other)
    if result_dtype(input, other).kind == "b":
        raise not_implemented_for("div_floor_cpu", np.bool_)
    return _maybe_out(_div_rounded(input, other, "floor"), out)


# ------------------------------------------------------------------------- copysign / xlogy / logaddexp ---
def _copysign_self_grad(g: Tensor, x: Tensor, out: Tensor) -> Tensor:
    """d copysign(x, y) / dx = out / x (the sign flip), 0 where x == 0."""
    with np.errstate(all="ignore"):
        ratio = np.where(x._data == 0, 0, out._data / x._data).astype(out._data.dtype)
    return g * new(ratio)


class CopysignBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, out = self.saved_tensors
        return (_copysign_self_grad(g, x, out) if self.needs(0) else None), (g * 0 if self.needs(1) else None)


class CopysignBackward1(Node):
    __slots__ = ()

    def backward(self, g):
        x, out = self.saved_tensors
        return (_copysign_self_grad(g, x, out),)


@tensor_method("copysign")
def copysign(input: Tensor, other, *, out=None) -> Tensor:
    xa, xb, tb = float_binary_arrays(input, other)
    result = new(apply_binary(np.copysign, xa, xb))
    if tb is None:
        if grad_needed(input):
            CopysignBackward1(result, input).save_with_output(input, result)
    elif grad_needed(input, tb):
        CopysignBackward0(result, input, tb).save_with_output(input, result)
    return _maybe_out(result, out)


def _xlogy_array(xa, xb):
    with np.errstate(all="ignore"):
        prod = xa * np.log(xb)
    out = np.where(xa == 0, 0, prod)
    return np.where(np.isnan(xb), np.nan, out).astype(prod.dtype)


class XlogyBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, y = self.saved_tensors
        gx = gy = None
        if self.needs(0):
            gx = g * new(_xlogy_array((x._data != 0).astype(y._data.dtype), y._data))
        if self.needs(1):
            gy = g * x / y
        return gx, gy


class XlogyBackward1(Node):
    """xlogy(Scalar, Tensor)"""

    __slots__ = ("scalar",)

    def backward(self, g):
        (y,) = self.saved_tensors
        return (g * self.scalar / y,)


class XlogyBackward2(Node):
    """xlogy(Tensor, Scalar): torch's gradient is g * log(other) everywhere (also where x == 0)."""

    __slots__ = ("scalar",)

    def backward(self, g):
        return (g * float(np.log(self.scalar)),)


@tensor_method("xlogy")
def xlogy(input, other, *, out=None) -> Tensor:
    if not isinstance(input, Tensor):
        yb, xs, _ = float_binary_arrays(other, input)
        result = new(apply_binary(_xlogy_array, np.asarray(xs, dtype=yb.dtype), yb))
        if grad_needed(other):
            node = XlogyBackward1(result, other)
            node.scalar = input
            node.save(other)
        return _maybe_out(result, out)
    xa, xb, tb = float_binary_arrays(input, other)
    result = new(apply_binary(_xlogy_array, xa, np.asarray(xb, dtype=xa.dtype)))
    if tb is None:
        if grad_needed(input):
            XlogyBackward2(result, input).scalar = other
    elif grad_needed(input, tb):
        XlogyBackward0(result, input, tb).save(input, tb)
    return _maybe_out(result, out)


class LogaddexpBackward0(Node):
    __slots__ = ("base2",)

    def backward(self, g):
        x, y = self.saved_tensors
        with np.errstate(all="ignore"):  # inf - inf: NaN gradient as in torch, no warning
            return self._grads(g, x, y)

    def _grads(self, g, x, y):
        if self.base2:
            gx = g / ((y - x).exp2() + 1) if self.needs(0) else None
            gy = g / ((x - y).exp2() + 1) if self.needs(1) else None
        else:
            gx = g / ((y - x).exp() + 1) if self.needs(0) else None
            gy = g / ((x - y).exp() + 1) if self.needs(1) else None
        return gx, gy


class Logaddexp2Backward0(LogaddexpBackward0):
    __slots__ = ()


def _logaddexp(name, ufunc, node_cls, input, other, out):
    _require_tensors(name, input, other)
    xa, xb, _ = binary_arrays(input, other)
    if xa.dtype.kind not in "fc":
        raise not_implemented_for(f"{name}_cpu", xa.dtype)
    result = new(apply_binary(ufunc, xa, xb))
    if grad_needed(input, other):
        node = node_cls(result, input, other)
        node.base2 = node_cls is Logaddexp2Backward0
        node.save(input, other)
    return _maybe_out(result, out)


@tensor_method("logaddexp")
def logaddexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _logaddexp("logaddexp", np.logaddexp, LogaddexpBackward0, input, other, out)


@tensor_method("logaddexp2")
def logaddexp2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    return _logaddexp("logaddexp2", np.logaddexp2, Logaddexp2Backward0, input, other, out)


@tensor_method("heaviside")
def heaviside(input: Tensor, values: Tensor, *, out=None) -> Tensor:
    if not isinstance(values, Tensor):
        raise tensor_arg_error("heaviside", "values", values)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    xa = input._data
    data = apply_binary(lambda a, v: np.where(a == 0, v, a > 0).astype(a.dtype), xa, values._data)
    result = new(data)
    _no_derivative(result, "heaviside", input, values)
    return _maybe_out(result, out)


# ----------------------------------------------------------------------------------- in-place forms ---
def inplace_of(fn):
    """x.fn_(...): the out-of-place result written back into x (which takes over its autograd history).

    When a gradient is recorded, fn runs on a clone of x: its backward may need x's value before the write.
    """

    def method(self, *args, **kwargs):
        check_inplace(self)
        src = self
        if grad_needed(self, *[a for a in args if isinstance(a, Tensor)]):
            src = self.clone()
        return commit_inplace(self, fn(src, *args, **kwargs))

    method.__name__ = fn.__name__ + "_"
    return method


for _names, _fn in ((("atan2_", "arctan2_"), atan2), (("hypot_",), hypot),
                    (("remainder_", "__imod__"), remainder), (("fmod_",), fmod), (("copysign_",), copysign),
                    (("xlogy_",), xlogy),
                    (("heaviside_",), heaviside)):
    tensor_method(*_names)(inplace_of(_fn))
