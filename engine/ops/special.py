"""Gamma-family special functions as differentiable ops: lgamma, digamma, polygamma.

Kernels are vectorised float64 numpy (or cupy) code: lgamma by the Lanczos approximation (g=7, 9 terms)
with reflection below 1/2, digamma and polygamma by shifting the argument up with the recurrence and
finishing with the asymptotic (Euler-Maclaurin) series. Accurate to ~1e-14 relative in float64.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import check_inplace, commit_inplace, default_float_np, new, tensor_method, xp

__all__ = ["lgamma", "digamma", "polygamma"]

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Bernoulli numbers B2, B4, ..., B16
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_SHIFT_TO = 15.0


def _lgamma_positive(x, m):
    """lgamma for x >= 1/2."""
    z = x - 1.0
    a = m.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        a = a + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * m.log(t) - t + m.log(a)


def lgamma_array(x, m=np):
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        small = x < 0.5
        safe = m.where(small, 1.0 - x, x)
        out = _lgamma_positive(m.where(m.isfinite(safe), safe, 1.0), m)
        frac = x - m.round(x)  # |sin(pi x)| = |sin(pi frac)| keeps precision for large |x|
        reflected = m.log(math.pi / m.abs(m.sin(math.pi * frac))) - out
        out = m.where(small, reflected, out)
        out = m.where(m.isinf(x), m.inf, out)
        out = m.where(m.isnan(x), m.nan, out)
    return out


def _shifted(x, m, term):
    """Sum term(x + k) for k = 0, 1, ... while x + k < _SHIFT_TO; returns (sum, shifted x)."""
    acc = m.zeros_like(x)
    x = x.copy()
    finite = m.isfinite(x)
    below = finite & (x < _SHIFT_TO)
    while bool(below.any()):
        acc = acc + m.where(below, term(m.where(below, x, 1.0)), 0.0)
        x = m.where(below, x + 1.0, x)
        below = finite & (x < _SHIFT_TO)
    return acc, x


def digamma_array(x, m=np):
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        negative = x < 0
        frac = x - m.round(x)
        y = m.where(negative, 1.0 - x, x)
        big = y > 1e7  # the recurrence would take too long; 1-x is exact enough there for the reflection
        acc, z = _shifted(m.where(big, _SHIFT_TO, y), m, lambda v: -1.0 / v)
        inv2 = 1.0 / (z * z)
        series = m.zeros_like(z)
        power = inv2
        for k, b in enumerate(_BERNOULLI[:7], start=1):
            series = series + b / (2 * k) * power
            power = power * inv2
        out = acc + m.log(z) - 0.5 / z - series
        out = m.where(big, m.log(y) - 0.5 / y, out)
        reflected = out - math.pi / m.tan(math.pi * frac)
        out = m.where(negative, m.where(frac == 0, m.nan, reflected), out)
        out = m.where(x == 0, -m.inf, out)
        out = m.where(x == m.inf, m.inf, out)
        out = m.where(x == -m.inf, m.nan, out)
    return out


def polygamma_array(n: int, x, m=np):
    if n == 0:
        return digamma_array(x, m)
    x = x.astype(np.float64)
    s = n + 1
    with np.errstate(all="ignore"):
        # Hurwitz zeta(s, x) = sum_{k<N} (x+k)^-s + zeta(s, x+N), the tail by Euler-Maclaurin
        acc, z = _shifted(m.where(x < -1e4, m.nan, x), m, lambda v: v ** (-s))
        tail = z ** (1 - s) / (s - 1) + 0.5 * z ** (-s)
        rising = float(s)  # s (s+1) ... (s+2j-2)
        factorial = 2.0  # (2j)!
        power = z ** (-s - 1)
        for j, b in enumerate(_BERNOULLI, start=1):
            tail = tail + b / factorial * rising * power
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            factorial *= (2 * j + 1) * (2 * j + 2)
            power = power / (z * z)
        zeta = acc + tail
        out = (-1.0) ** (n + 1) * math.factorial(n) * zeta
        pole = (x <= 0) & (x == m.round(x))
        out = m.where(pole, m.inf if n % 2 else -m.inf, out)
        out = m.where(x == m.inf, 0.0 if n == 1 else m.nan, out)  # torch's values at +-inf
        if n == 1:
            out = m.where(x == -m.inf, m.nan, out)
    return out


# ------------------------------------------------------------------------------------------- ops ---
def _input_array(input: Tensor):
    data = input._data
    return data, (data.dtype if data.dtype.kind == "f" else default_float_np())


class LgammaBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * digamma(x),)


class DigammaBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * polygamma(1, x),)


class PolygammaBackward0(Node):
    __slots__ = ("n",)

    def backward(self, g):
        (x,) = self.saved_tensors
        return (g * polygamma(self.n + 1, x),)


def _unary(input: Tensor, kernel, node_cls, out) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{kernel.__name__}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind == "c":
        raise NotImplementedError(f"\"{kernel.__name__}\" not implemented for complex tensors")
    data, dtype = _input_array(input)
    result = new(kernel(data, xp(input)).astype(dtype, copy=False))
    if grad_needed(input):
        node_cls(result, input).save(input)
    if out is not None:
        out.copy_(result)
        return out
    return result


def _lgamma_kernel(data, m):
    return lgamma_array(data, m)


def _digamma_kernel(data, m):
    return digamma_array(data, m)


_lgamma_kernel.__name__ = "lgamma"
_digamma_kernel.__name__ = "digamma"


@tensor_method("lgamma")
def lgamma(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """log|Gamma(x)| elementwise."""
    return _unary(input, _lgamma_kernel, LgammaBackward0, out)


@tensor_method("digamma")
def digamma(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """d/dx lgamma(x) elementwise."""
    return _unary(input, _digamma_kernel, DigammaBackward0, out)


def polygamma(n: int, input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """n-th derivative of digamma, elementwise."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input, out=out)

    def kernel(data, m):
        return polygamma_array(n, data, m)

    kernel.__name__ = "polygamma"
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma(): argument 'input' must be Tensor, not {type(input).__name__}")
    data, dtype = _input_array(input)
    result = new(kernel(data, xp(input)).astype(dtype, copy=False))
    if grad_needed(input):
        node = PolygammaBackward0(result, input)
        node.n = n
        node.save(input)
    if out is not None:
        out.copy_(result)
        return out
    return result


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


def _inplace(op):
    def method(self: Tensor, *args) -> Tensor:
        check_inplace(self)
        return commit_inplace(self, op(self.clone() if grad_needed(self) else self, *args))

    return method


Tensor.polygamma = _polygamma_method
Tensor.lgamma_ = _inplace(lgamma)
Tensor.digamma_ = _inplace(digamma)
Tensor.polygamma_ = _inplace(_polygamma_method)
