"""Unary pointwise math (exp, log, trig, erf, rounding, ...) with forward and backward side by side.

Binary ops live in pointwise_binary.py, clamp/nan_to_num/predicates in pointwise_clamp.py, logical/bitwise
ops and closeness tests in pointwise_logic.py, the erf kernels in pointwise_special.py; all are re-exported
here (engine/ops/__init__.py star-imports this module only).
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..autograd.graph import Node
from ..backend import array_module
from ..tensor import Tensor, grad_needed
from ._helpers import (
    check_inplace,
    commit_inplace,
    default_float_np,
    new,
    tensor_method,
    xp,
)
from .arith import _maybe_out
from .pointwise_binary import *  # noqa: F403
from .pointwise_binary import __all__ as _binary_all
from .pointwise_binary import masked_grad, not_implemented_for, where
from .pointwise_clamp import *  # noqa: F403
from .pointwise_clamp import __all__ as _clamp_all
from .pointwise_lerp import lerp  # noqa: F401 - exported through __all__
from .pointwise_logic import *  # noqa: F403
from .pointwise_logic import __all__ as _logic_all
from .pointwise_special import erf_array, erfc_array, erfinv_array

__all__ = ["abs", "absolute", "sign", "sgn", "sqrt", "rsqrt", "exp", "exp2", "expm1", "log", "log2", "log10",
           "log1p", "sin", "cos", "tan", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "sinh",
           "cosh", "tanh", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "sigmoid", "logit",
           "erf", "erfc", "erfinv", "floor", "ceil", "round", "trunc", "fix", "frac", "reciprocal",
           "deg2rad", "rad2deg", "sinc", "positive"]
__all__ += _binary_all + _logic_all + _clamp_all + ["lerp"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


# ------------------------------------------------------------------------------------------ plumbing ---
def _float_data(input: Tensor):
    """The input array, moved to the default float dtype when it holds integers or bools (torch's rule)."""
    data = input._data
    return data if data.dtype.kind in "fc" else data.astype(default_float_np())


_NONE, _IN, _OUT, _BOTH = 0, 1, 2, 3


def _finish(input: Tensor, data, node_cls, save: int) -> Tensor:
    result = new(data)
    if grad_needed(input):
        node = node_cls(result, input)
        if save == _IN:
            node.save(input)
        elif save == _OUT:
            node.save_with_output(result)
        elif save == _BOTH:
            node.save_with_output(input, result)
    return result


def _float_unary(name: str, kernel, node_cls, save: int, aliases: tuple = ()):
    """Define torch.<name>(input, *, out=None) for a float function, its Tensor method and in-place form."""

    def op(input: Tensor, *, out=None) -> Tensor:
        with np.errstate(all="ignore"):
            data = kernel(_float_data(input))
        return _maybe_out(_finish(input, data, node_cls, save), out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: elementwise, integer inputs give the default float dtype."
    names = (name,) + aliases
    tensor_method(*names)(op)
    inplace_names = (n + "_" for n in names if not n.startswith("__"))
    tensor_method(*inplace_names)(_inplace_unary(op, kernel, save in (_IN, _BOTH)))
    return op


def _inplace_unary(op, kernel, saves_input: bool):
    def method(self: Tensor) -> Tensor:
        check_inplace(self)
        if not grad_needed(self):
            if self._data.dtype.kind in "fc":
                with np.errstate(all="ignore"):
                    self._data[...] = kernel(self._data)
                self._version[0] += 1
                return self
            return commit_inplace(self, op(self))
        # the backward may need the input's value from before the write
        return commit_inplace(self, op(self.clone() if saves_input else self))

    return method


# ------------------------------------------------------------------------------- exponentials / logs ---
class ExpBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * out.conj(),)


class Exp2Backward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * (out * _LN2),)


class Expm1Backward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * (out + 1),)


class LogBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / x.conj(),)


class Log2Backward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / (x * _LN2),)


class Log10Backward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / (x * _LN10),)


class Log1PBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / (x + 1),)


class SqrtBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g / (out.conj() * 2),)


class RsqrtBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * (out.pow(3) * -0.5),)


class ReciprocalBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * -(out * out).conj(),)


def _sigmoid_kernel(x):
    t = np.negative(x)
    np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


class SigmoidBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * (out * (1 - out)).conj(),)


exp = _float_unary("exp", np.exp, ExpBackward0, _OUT)
exp2 = _float_unary("exp2", np.exp2, Exp2Backward0, _OUT)
expm1 = _float_unary("expm1", np.expm1, Expm1Backward0, _OUT)
log = _float_unary("log", np.log, LogBackward0, _IN)
log2 = _float_unary("log2", np.log2, Log2Backward0, _IN)
log10 = _float_unary("log10", np.log10, Log10Backward0, _IN)
log1p = _float_unary("log1p", np.log1p, Log1PBackward0, _IN)
sqrt = _float_unary("sqrt", np.sqrt, SqrtBackward0, _OUT)
rsqrt = _float_unary("rsqrt", lambda x: np.reciprocal(np.sqrt(x)), RsqrtBackward0, _OUT)
reciprocal = _float_unary("reciprocal", np.reciprocal, ReciprocalBackward0, _OUT)
sigmoid = _float_unary("sigmoid", _sigmoid_kernel, SigmoidBackward0, _OUT)


# ---------------------------------------------------------------------------------------- trigonometry ---
class SinBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * x.cos().conj(),)


class CosBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * -x.sin().conj(),)


class TanBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * (out * out + 1).conj(),)


class AsinBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * (1 - x * x).rsqrt(),)


class AcosBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * -(1 - x * x).rsqrt(),)


class AtanBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / (x * x + 1),)


class SinhBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * x.cosh(),)


class CoshBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * x.sinh(),)


class TanhBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * (1 - out * out).conj(),)


class AsinhBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * (x * x + 1).rsqrt(),)


class AcoshBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * (x * x - 1).rsqrt(),)


class AtanhBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g / (1 - x * x),)


class Deg2RadBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g * (math.pi / 180.0),)


class Rad2DegBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g * (180.0 / math.pi),)


class SincBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        px = x * math.pi
        d = (px * px.cos() - px.sin()) / (px * x)
        return (masked_grad(g * d, x._data != 0),)


sin = _float_unary("sin", np.sin, SinBackward0, _IN)
cos = _float_unary("cos", np.cos, CosBackward0, _IN)
tan = _float_unary("tan", np.tan, TanBackward0, _OUT)
asin = arcsin = _float_unary("asin", np.arcsin, AsinBackward0, _IN, ("arcsin",))
acos = arccos = _float_unary("acos", np.arccos, AcosBackward0, _IN, ("arccos",))
atan = arctan = _float_unary("atan", np.arctan, AtanBackward0, _IN, ("arctan",))
sinh = _float_unary("sinh", np.sinh, SinhBackward0, _IN)
cosh = _float_unary("cosh", np.cosh, CoshBackward0, _IN)
tanh = _float_unary("tanh", np.tanh, TanhBackward0, _OUT)
asinh = arcsinh = _float_unary("asinh", np.arcsinh, AsinhBackward0, _IN, ("arcsinh",))
acosh = arccosh = _float_unary("acosh", np.arccosh, AcoshBackward0, _IN, ("arccosh",))
atanh = arctanh = _float_unary("atanh", np.arctanh, AtanhBackward0, _IN, ("arctanh",))
deg2rad = _float_unary("deg2rad", lambda x: x * x.dtype.type(math.pi / 180.0), Deg2RadBackward0, _NONE)
rad2deg = _float_unary("rad2deg", lambda x: x * x.dtype.type(180.0 / math.pi), Rad2DegBackward0, _NONE)
sinc = _float_unary("sinc", np.sinc, SincBackward0, _IN)


# ----------------------------------------------------------------------------------------- erf family ---
def _real_kernel(name: str, fn):
    def kernel(x):
        if x.dtype.kind == "c":
            raise not_implemented_for(f"{name}_cpu", x.dtype)
        return fn(x, np if x.__class__ is np.ndarray else array_module(x))

    return kernel


class ErfBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * ((-x * x).exp() * _TWO_OVER_SQRT_PI),)


class ErfcBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * ((-x * x).exp() * -_TWO_OVER_SQRT_PI),)


class ErfinvBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (out,) = self.saved_tensors
        return (g * ((out * out).exp() * _SQRT_PI_OVER_TWO),)


erf = _float_unary("erf", _real_kernel("erf", erf_array), ErfBackward0, _IN)
erfc = _float_unary("erfc", _real_kernel("erfc", erfc_array), ErfcBackward0, _IN)
erfinv = _float_unary("erfinv", _real_kernel("erfinv", erfinv_array), ErfinvBackward0, _OUT)


class LogitBackward0(Node):
    __slots__ = ("eps",)

    def backward(self, g):
        (x,) = self.saved_tensors
        grad = g / (x * (1 - x))
        xd = x._data
        if self.eps is None:
            outside = (xd < 0) | (xd > 1)
            return (where(new(outside), math.nan, grad) if outside.any() else grad,)
        return (masked_grad(grad, (xd >= self.eps) & (xd <= 1 - self.eps)),)


def _logit_kernel(x, eps):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


@tensor_method("logit")
def logit(input: Tensor, eps: float | None = None, *, out=None) -> Tensor:
    with np.errstate(all="ignore"):
        result = new(_logit_kernel(_float_data(input), eps))
    if grad_needed(input):
        node = LogitBackward0(result, input)
        node.eps = eps
        node.save(input)
    return _maybe_out(result, out)


@tensor_method("logit_")
def _logit_(self: Tensor, eps: float | None = None) -> Tensor:
    check_inplace(self)
    return commit_inplace(self, logit(self, eps))


# ------------------------------------------------------------------------------------- abs and signs ---
class AbsBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * x.sgn(),)


class _ZeroBackward(Node):
    """Piecewise-constant functions: the gradient is zero everywhere."""

    __slots__ = ()

    def backward(self, g):
        return (new(xp(g).zeros_like(g._data)),)


class SignBackward0(_ZeroBackward):
    __slots__ = ()


class SgnBackward0(_ZeroBackward):
    __slots__ = ()


class FloorBackward0(_ZeroBackward):
    __slots__ = ()


class CeilBackward0(_ZeroBackward):
    __slots__ = ()


class RoundBackward0(_ZeroBackward):
    __slots__ = ()


class RoundBackward1(_ZeroBackward):
    __slots__ = ()


class TruncBackward0(_ZeroBackward):
    __slots__ = ()


class FracBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


def _abs_kernel(x):
    if x.dtype.kind == "b":
        raise not_implemented_for("abs_cpu", x.dtype)
    return np.abs(x)


def _sign_kernel(x):
    kind = x.dtype.kind
    if kind == "c":
        raise RuntimeError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                           "torch.sgn instead.")
    if kind == "b":
        return x.copy()
    if kind == "f":  # torch: (0 < x) - (x < 0), so sign(NaN) = 0 and sign(-0.) = +0.
        return (x > 0).astype(x.dtype) - (x < 0)
    return np.sign(x)


def _sgn_kernel(x):
    if x.dtype.kind != "c":
        return _sign_kernel(x)
    mag = np.abs(x)
    return np.where(mag == 0, 0, x / np.where(mag == 0, 1, mag)).astype(x.dtype)


def _keep_dtype_unary(name: str, kernel, node_cls, save: int, aliases: tuple = ()):
    """Like _float_unary, for functions that keep integer dtypes (abs, sign, floor, ...)."""

    def op(input: Tensor, *, out=None) -> Tensor:
        with np.errstate(all="ignore"):
            data = kernel(input._data)
        return _maybe_out(_finish(input, data, node_cls, save), out)

    op.__name__ = op.__qualname__ = name
    names = (name,) + aliases
    tensor_method(*names)(op)
    inplace_names = (n + "_" for n in names if not n.startswith("__"))
    tensor_method(*inplace_names)(_inplace_unary(op, kernel, save in (_IN, _BOTH)))
    return op


abs = absolute = _keep_dtype_unary("abs", _abs_kernel, AbsBackward0, _IN,  # noqa: A001
                                   ("absolute", "__abs__"))
sign = _keep_dtype_unary("sign", _sign_kernel, SignBackward0, _NONE)
sgn = _keep_dtype_unary("sgn", _sgn_kernel, SgnBackward0, _NONE)


def _rounding_kernel(name: str, fn, kernel_name: str):
    def kernel(x):
        kind = x.dtype.kind
        if kind in "bc":
            raise not_implemented_for(kernel_name, x.dtype)
        return x.copy() if kind in "iu" else fn(x)

    return kernel


floor = _keep_dtype_unary("floor", _rounding_kernel("floor", np.floor, "floor_vml_cpu"), FloorBackward0,
                          _NONE)
ceil = _keep_dtype_unary("ceil", _rounding_kernel("ceil", np.ceil, "ceil_vml_cpu"), CeilBackward0, _NONE)
trunc = fix = _keep_dtype_unary("trunc", _rounding_kernel("trunc", np.trunc, "trunc_vml_cpu"), TruncBackward0,
                                _NONE, ("fix",))


def _frac_kernel(x):
    if x.dtype.kind not in "f":
        raise not_implemented_for("frac_cpu", x.dtype)
    return x - np.trunc(x)


frac = _keep_dtype_unary("frac", _frac_kernel, FracBackward0, _NONE)


def _round_array(x, decimals: int):
    kind = x.dtype.kind
    if kind in "bc":
        raise not_implemented_for("round_cpu" if decimals else "round_vml_cpu", x.dtype)
    if kind in "iu":
        if decimals:
            raise not_implemented_for("round_cpu", x.dtype)
        return x.copy()
    if decimals == 0:
        return np.rint(x)
    scale = x.dtype.type(10.0 ** builtins.abs(decimals))
    if decimals > 0:
        return np.rint(x * scale) / scale
    return np.rint(x / scale) * scale


@tensor_method("round")
def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001
    with np.errstate(all="ignore"):
        data = _round_array(input._data, decimals)
    return _maybe_out(_finish(input, data, RoundBackward1 if decimals else RoundBackward0, _NONE), out)


@tensor_method("round_")
def _round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    check_inplace(self)
    return commit_inplace(self, round(self, decimals=decimals))


@tensor_method("positive")
def positive(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input
