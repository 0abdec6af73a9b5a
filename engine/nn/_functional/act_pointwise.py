"""Elementwise activations: one fused Node each (closed-form numpy backward; engine ops if create_graph)."""

from __future__ import annotations

import math

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import check_inplace, commit_inplace, new, xp
from ...ops.pointwise import where
from ...ops.pointwise_binary import masked_grad, not_implemented_for
from ...ops.pointwise_special import erf_array
from ...tensor import Tensor, grad_needed

__all__ = ["relu", "relu_", "relu6", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "elu", "elu_",
           "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "softplus",
           "softsign", "tanhshrink", "threshold", "threshold_", "hardshrink", "softshrink", "logsigmoid"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


# ------------------------------------------------------------------------------------------ plumbing ---
def keep_where(mod, g, keep):
    """g where keep, else 0. Multiplying by the mask is ~7x faster than np.where on this kind of array;
    where() is still used when g holds inf/NaN, whose product with 0 would not be 0 (torch gives 0)."""
    result = mod.multiply(g, keep, dtype=g.dtype)
    if not mod.isfinite(result).all():
        result = mod.where(keep, g, 0).astype(g.dtype, copy=False)
    return result


class _Elementwise(Node):
    """y = f(x): backward is g * f'(saved) from arrays, or built from engine ops when grad mode is on
    during backward (create_graph=True), so higher-order gradients work."""

    __slots__ = ("p",)

    def backward(self, g):
        (s,) = self.saved_tensors
        if STATE.enabled:
            return (self.graph(g, s),)
        with np.errstate(all="ignore"):
            return (new(self.kernel(xp(s), g._data, s._data)),)

    def kernel(self, mod, g, s):  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def graph(self, g: Tensor, s: Tensor) -> Tensor:  # pragma: no cover
        raise NotImplementedError


def _check_float(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind not in "fc":
        raise not_implemented_for(kernel, input._data.dtype)


def _apply(input: Tensor, fwd, node_cls, params=(), save_output: bool = False) -> Tensor:
    mod = xp(input)
    with np.errstate(all="ignore"):
        result = new(fwd(mod, input._data, *params))
    if grad_needed(input):
        node = node_cls(result, input)
        node.p = params
        if save_output:
            node.save_with_output(result)
        else:
            node.save(input)
    return result


def _apply_(input: Tensor, fwd, node_cls, params=(), save_output: bool = False) -> Tensor:
    """In-place form: direct write without autograd, else the out-of-place result takes over input."""
    check_inplace(input)
    if not grad_needed(input):
        with np.errstate(all="ignore"):
            input._data[...] = fwd(xp(input), input._data, *params)
        input._version[0] += 1
        return input
    src = input if save_output else input.clone()  # the node needs the value from before the write
    return commit_inplace(input, _apply(src, fwd, node_cls, params, save_output))


# --------------------------------------------------------------------------------------------- relu ---
class ReluBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, out):
        return keep_where(mod, g, ~(out <= 0))  # NaN passes its gradient through, as in torch

    def graph(self, g, out):
        return masked_grad(g, ~(out._data <= 0))


def _relu_fwd(mod, x):
    return mod.maximum(x, 0)


def _check_relu(input: Tensor) -> None:
    if input._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    _check_relu(input)
    if inplace:
        return _apply_(input, _relu_fwd, ReluBackward0, (), True)
    data = input._data
    result = new((np if data.__class__ is np.ndarray else xp(input)).maximum(data, 0))
    if grad_needed(input):
        ReluBackward0(result, input).save_with_output(result)
    return result


def relu_(input: Tensor) -> Tensor:
    _check_relu(input)
    return _apply_(input, _relu_fwd, ReluBackward0, (), True)


# ---------------------------------------------------------------------------------- hardtanh, relu6 ---
class HardtanhBackward0(_Elementwise):
    __slots__ = ()

    def _keep(self, x):
        lo, hi = self.p
        return ~((x <= lo) | (x >= hi))  # NaN passes its gradient through, as in torch

    def kernel(self, mod, g, x):
        return keep_where(mod, g, self._keep(x))

    def graph(self, g, x):
        return masked_grad(g, self._keep(x._data))


def _hardtanh_fwd(mod, x, lo, hi):
    if x.dtype.kind in "iu":
        lo, hi = math.ceil(lo), math.floor(hi)
    return mod.minimum(mod.maximum(x, lo), hi).astype(x.dtype, copy=False)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype.kind == "b":
        raise not_implemented_for("hardtanh_cpu", input._data.dtype)
    if inplace:
        return _apply_(input, _hardtanh_fwd, HardtanhBackward0, (min_val, max_val))
    return _apply(input, _hardtanh_fwd, HardtanhBackward0, (min_val, max_val))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


# ----------------------------------------------------------------------------------------- leaky relu ---
class LeakyReluBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        return mod.where(x > 0, g, g * self.p[0])

    def graph(self, g, x):
        return where(new(x._data > 0), g, g * self.p[0])


def _leaky_fwd(mod, x, slope):
    return mod.where(x > 0, x, x * slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    _check_float(input, "leaky_relu_cpu")
    return (_apply_ if inplace else _apply)(input, _leaky_fwd, LeakyReluBackward0, (negative_slope,))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, True)


# ----------------------------------------------------------------------------------- elu, selu, celu ---
class EluBackward0(_Elementwise):
    """p = (alpha, scale, input_scale): y = scale * (x if x > 0 else alpha * expm1(x * input_scale))."""

    __slots__ = ()

    def kernel(self, mod, g, x):
        alpha, scale, in_scale = self.p
        neg = mod.exp(mod.minimum(x, 0) * in_scale) * (alpha * scale * in_scale)
        return g * mod.where(x <= 0, neg, scale)

    def graph(self, g, x):
        alpha, scale, in_scale = self.p
        neg = (x.clamp(max=0) * in_scale).exp() * (alpha * scale * in_scale)
        return where(new(x._data <= 0), g * neg, g * scale)


class CeluBackward0(EluBackward0):
    __slots__ = ()


def _elu_fwd(mod, x, alpha, scale, in_scale):
    neg = mod.expm1(mod.minimum(x, 0) * in_scale) * alpha
    out = mod.where(x > 0, x, neg)
    return out if scale == 1 else out * scale


def _elu(input, params, inplace, node_cls=EluBackward0):
    _check_float(input, "elu_cpu")
    return (_apply_ if inplace else _apply)(input, _elu_fwd, node_cls, params)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _elu(input, (alpha, 1.0, 1.0), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _elu(input, (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def selu_(input: Tensor) -> Tensor:
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu(input, (alpha, 1.0, 1.0 / alpha), inplace, CeluBackward0)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, True)


# ---------------------------------------------------------------------------------------------- gelu ---
class GeluBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        if self.p[0] == "tanh":
            inner = _SQRT_2_OVER_PI * (x + _GELU_C * x * x * x)
            t = mod.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_C * x * x)
            return g * d
        cdf = 0.5 * (1 + erf_array(x * _INV_SQRT2, mod))
        return g * (cdf + x * mod.exp(-0.5 * x * x) * _INV_SQRT_2PI)

    def graph(self, g, x):
        if self.p[0] == "tanh":
            t = ((x + x * x * x * _GELU_C) * _SQRT_2_OVER_PI).tanh()
            slope = x * (1 - t * t) * (x * x * (3 * _GELU_C) + 1) * (0.5 * _SQRT_2_OVER_PI)
            return g * ((t + 1) * 0.5 + slope)
        return g * (((x * _INV_SQRT2).erf() + 1) * 0.5 + x * (x * x * -0.5).exp() * _INV_SQRT_2PI)


def _gelu_fwd(mod, x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + mod.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x)))
    return 0.5 * x * (1 + erf_array(x * _INV_SQRT2, mod))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_float(input, "GeluKernelImpl")
    return _apply(input, _gelu_fwd, GeluBackward0, (approximate,))


# ------------------------------------------------------------------------------------- silu and mish ---
def _sigmoid(mod, x):
    return 1 / (1 + mod.exp(-x))


def _softplus_stable(mod, x):
    return mod.maximum(x, 0) + mod.log1p(mod.exp(-mod.abs(x)))


class SiluBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        s = _sigmoid(mod, x)
        return g * (s * (1 + x * (1 - s)))

    def graph(self, g, x):
        s = x.sigmoid()
        return g * (s * (x * (1 - s) + 1))


def _silu_fwd(mod, x):
    return x * _sigmoid(mod, x)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    _check_float(input, "silu_cpu")
    return (_apply_ if inplace else _apply)(input, _silu_fwd, SiluBackward0)


class MishBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        t = mod.tanh(_softplus_stable(mod, x))
        return g * (t + x * _sigmoid(mod, x) * (1 - t * t))

    def graph(self, g, x):
        t = softplus(x).tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))


def _mish_fwd(mod, x):
    return x * mod.tanh(_softplus_stable(mod, x))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    _check_float(input, "mish_cpu")
    return (_apply_ if inplace else _apply)(input, _mish_fwd, MishBackward0)


# ---------------------------------------------------------------------------- hardswish, hardsigmoid ---
class HardswishBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        d = mod.where(x <= -3, 0, mod.where(x < 3, x / 3 + 0.5, 1))
        return g * d.astype(g.dtype, copy=False)

    def graph(self, g, x):
        mid = new((x._data > -3) & (x._data < 3))
        return where(mid, g * (x / 3 + 0.5), masked_grad(g, x._data >= 3))


def _hardswish_fwd(mod, x):
    return x * mod.minimum(mod.maximum(x + 3, 0), 6) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    _check_float(input, "hardswish_cpu")
    return (_apply_ if inplace else _apply)(input, _hardswish_fwd, HardswishBackward0)


class HardsigmoidBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        return mod.where((x > -3) & (x < 3), g / 6, 0)

    def graph(self, g, x):
        return masked_grad(g, (x._data > -3) & (x._data < 3)) / 6


def _hardsigmoid_fwd(mod, x):
    return mod.minimum(mod.maximum(x + 3, 0), 6) / 6


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    _check_float(input, "hardsigmoid_cpu")
    return (_apply_ if inplace else _apply)(input, _hardsigmoid_fwd, HardsigmoidBackward0)


# ------------------------------------------------------------------------------- softplus, logsigmoid ---
class SoftplusBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        beta, threshold = self.p
        z = mod.exp(x * beta)
        return mod.where(x * beta > threshold, g, g * z / (z + 1))

    def graph(self, g, x):
        beta, threshold = self.p
        return where(new(x._data * beta > threshold), g, g * (x * beta).sigmoid())


def _softplus_fwd(mod, x, beta, threshold):
    return mod.where(x * beta > threshold, x, mod.log1p(mod.exp(x * beta)) / beta)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    _check_float(input, "softplus_cpu")
    return _apply(input, _softplus_fwd, SoftplusBackward0, (beta, threshold))


class LogSigmoidBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        return g / (1 + mod.exp(x))

    def graph(self, g, x):
        return g * (-x).sigmoid()


def _logsigmoid_fwd(mod, x):
    return mod.minimum(x, 0) - mod.log1p(mod.exp(-mod.abs(x)))


def logsigmoid(input: Tensor) -> Tensor:
    _check_float(input, "log_sigmoid_cpu")
    return _apply(input, _logsigmoid_fwd, LogSigmoidBackward0)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


# --------------------------------------------------------------------------- threshold and shrinkage ---
class ThresholdBackward0(_Elementwise):
    __slots__ = ()

    def kernel(self, mod, g, x):
        return keep_where(mod, g, ~(x <= self.p[0]))

    def graph(self, g, x):
        return masked_grad(g, ~(x._data <= self.p[0]))


def _threshold_fwd(mod, x, th, value):
    if x.dtype.kind in "iu":
        value = int(value)
    return mod.where(x <= th, mod.asarray(value).astype(x.dtype), x)


def _threshold(input: Tensor, th: float, value: float, inplace: bool) -> Tensor:
    if input._data.dtype.kind == "b":
        raise not_implemented_for("threshold_cpu", input._data.dtype)
    return (_apply_ if inplace else _apply)(input, _threshold_fwd, ThresholdBackward0, (th, value))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, True)


class HardshrinkBackward0(_Elementwise):
    __slots__ = ()

    def _dead(self, x):
        lam = self.p[0]
        return (x >= -lam) & (x <= lam)

    def kernel(self, mod, g, x):
        return keep_where(mod, g, ~self._dead(x))

    def graph(self, g, x):
        return masked_grad(g, ~self._dead(x._data))


class SoftshrinkBackward0(HardshrinkBackward0):
    __slots__ = ()


def _hardshrink_fwd(mod, x, lam):
    return mod.where((x >= -lam) & (x <= lam), 0, x).astype(x.dtype, copy=False)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    _check_float(input, "hardshrink_cpu")
    return _apply(input, _hardshrink_fwd, HardshrinkBackward0, (lambd,))


def _softshrink_fwd(mod, x, lam):
    return mod.where(mod.abs(x) <= lam, 0, x - mod.sign(x) * lam).astype(x.dtype, copy=False)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    _check_float(input, "softshrink_check")
    if not lambd >= 0:
        big = "1.79769e+308" if input._data.dtype == np.float64 else "3.40282e+38"
        kind = {"float64": "Double", "float16": "Half"}.get(input._data.dtype.name, "Float")
        raise RuntimeError(f"lambda must be in range [0, {big}] for input dtype {kind}, but found {lambd:g}")
    return _apply(input, _softshrink_fwd, SoftshrinkBackward0, (lambd,))

