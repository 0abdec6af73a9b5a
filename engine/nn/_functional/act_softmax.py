"""softmax / log_softmax / softmin (log-sum-exp, one node each), glu, prelu and rrelu."""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import _scalar_type_name, check_inplace, commit_inplace, new, wrap_dim, xp
from ...ops.joining import cat
from ...ops.pointwise import where
from ...ops.pointwise_binary import not_implemented_for
from ...tensor import Tensor, grad_needed
from .act_pointwise import LeakyReluBackward0, _apply, _apply_, _leaky_fwd

__all__ = ["softmax", "log_softmax", "softmin", "glu", "prelu", "rrelu", "rrelu_"]


# ------------------------------------------------------------------------------------------- softmax ---
def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _axis(input: Tensor, dim: int, kernel: str) -> int | None:
    """The numpy axis (None for a 0-d tensor) after torch's dtype and dim checks."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    if data.dtype.kind not in "fc":
        last = d == data.ndim - 1 or data.ndim == 0
        raise not_implemented_for(f"{kernel}{'_lastdim' if last else ''}_kernel_impl", data.dtype)
    return d if data.ndim else None


def log_softmax_array(mod, x, axis):
    """log(softmax(x)) along axis by log-sum-exp (the row max is subtracted before exp)."""
    if x.size == 0:
        return x.copy()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - mod.log(mod.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_array(mod, x, axis):
    if x.size == 0:
        return x.copy()
    with np.errstate(invalid="ignore", over="ignore"):
        e = mod.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
    return e


class SoftmaxBackward0(Node):
    __slots__ = ("axis",)

    def backward(self, g):
        (out,) = self.saved_tensors
        axis = self.axis
        if STATE.enabled:
            dim = 0 if axis is None else axis
            return (out * (g - (g * out).sum(dim, keepdim=True)),)
        o = out._data
        t = g._data * o
        t -= o * t.sum(axis=axis, keepdims=True)
        return (new(t),)


class LogSoftmaxBackward0(Node):
    __slots__ = ("axis",)

    def backward(self, g):
        (out,) = self.saved_tensors
        axis = self.axis
        if STATE.enabled:
            dim = 0 if axis is None else axis
            return (g - out.exp() * g.sum(dim, keepdim=True),)
        gd = g._data
        return (new(gd - xp(out).exp(out._data) * gd.sum(axis=axis, keepdims=True)),)


def _softmax_op(input: Tensor, dim: int, dtype, log: bool) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    axis = _axis(input, dim, "log_softmax" if log else "softmax")
    mod = xp(input)
    data = (log_softmax_array if log else softmax_array)(mod, input._data, axis)
    result = new(data)
    if grad_needed(input):
        node = (LogSoftmaxBackward0 if log else SoftmaxBackward0)(result, input)
        node.axis = axis
        node.save_with_output(result)
    return result


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax_op(input, dim, dtype, False)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _softmax_op(input, dim, dtype, True)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax_op(-input, dim, None, False)


# ----------------------------------------------------------------------------------------------- glu ---
class GluBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        (x,) = self.saved_tensors
        d = self.dim
        half = x._data.shape[d] // 2
        if STATE.enabled:
            a, b = x.narrow(d, 0, half), x.narrow(d, half, half)
            s = b.sigmoid()
            return (cat([g * s, g * a * s * (1 - s)], d),)
        mod = xp(x)
        a, b = mod.split(x._data, 2, axis=d)
        with np.errstate(over="ignore"):
            s = 1 / (1 + mod.exp(-b))
        gs = g._data * s
        return (new(mod.concatenate([gs, gs * a * (1 - s)], axis=d)),)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    data = input._data
    if data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, data.ndim)
    if data.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {data.shape[d]}")
    if data.dtype.kind not in "fc":
        raise not_implemented_for("glu_cpu", data.dtype)
    mod = xp(input)
    a, b = mod.split(data, 2, axis=d)
    with np.errstate(over="ignore"):
        result = new(a / (1 + mod.exp(-b)))
    if grad_needed(input):
        node = GluBackward0(result, input)
        node.dim = d
        node.save(input)
    return result


# --------------------------------------------------------------------------------------------- prelu ---
class PreluKernelBackward0(Node):
    __slots__ = ("wshape",)

    def backward(self, g):
        x, w = self.saved_tensors
        xd = x._data
        view = _weight_view(w._data.size, xd.ndim)
        sum_axes = tuple(i for i in range(xd.ndim) if not (w._data.size > 1 and i == 1))
        pos = xd > 0
        if STATE.enabled:
            wv = w.reshape(view)
            gx = where(new(pos), g, g * wv) if self.needs(0) else None
            gw = where(new(pos), 0.0, g * x).sum(sum_axes).reshape(self.wshape) if self.needs(1) else None
            return gx, gw
        mod = xp(x)
        gd = g._data
        gx = new(mod.where(pos, gd, gd * w._data.reshape(view))) if self.needs(0) else None
        gw = None
        if self.needs(1):
            gw = new(mod.where(pos, 0, gd * xd).sum(axis=sum_axes).reshape(self.wshape).astype(w._data.dtype))
        return gx, gw


def _weight_view(numel: int, ndim: int) -> tuple:
    if numel == 1:
        return ()
    return (1, numel) + (1,) * (ndim - 2)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    x, w = input._data, weight._data
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    if w.size != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim >= 2 else 1
        if w.size != channels:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter "
                               f"numbers = {w.size} and channel size = {channels}.")
    if x.dtype.kind not in "fc":
        raise not_implemented_for("prelu_cpu", x.dtype)
    if w.dtype != x.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_scalar_type_name(x.dtype)} and "
                           f"{_scalar_type_name(w.dtype)}")
    mod = xp(input)
    wv = w.reshape(_weight_view(w.size, x.ndim))
    result = new(mod.where(x > 0, x, x * wv))
    if grad_needed(input, weight):
        node = PreluKernelBackward0(result, input, weight)
        node.wshape = w.shape
        node.save(input, weight)
    return result


# --------------------------------------------------------------------------------------------- rrelu ---
class RreluWithNoiseBackward0(LeakyReluBackward0):
    """Eval mode: a leaky relu with the mean slope. Training mode stores the sampled slopes in p[1]."""

    __slots__ = ()

    def kernel(self, mod, g, x):
        if self.p[0] is None:
            return g * self.p[1]
        return super().kernel(mod, g, x)

    def graph(self, g, x):
        if self.p[0] is None:
            return g * new(self.p[1])
        return super().graph(g, x)


def _rrelu_train_fwd(mod, x, _none, noise):
    return x * noise


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if input._data.dtype.kind not in "fc":
        raise not_implemented_for("leaky_relu_cpu", input._data.dtype)
    run = _apply_ if inplace else _apply
    if not training:
        return run(input, _leaky_fwd, RreluWithNoiseBackward0, ((lower + upper) / 2,))
    from ...ops.creation import empty_like

    slopes = empty_like(input).uniform_(lower, upper)._data
    noise = xp(input).where(input._data > 0, 1, slopes).astype(input._data.dtype)
    if not inplace:
        return _apply(input, _rrelu_train_fwd, RreluWithNoiseBackward0, (None, noise))
    check_inplace(input)
    src = input.clone() if grad_needed(input) else input
    return commit_inplace(input, _apply(src, _rrelu_train_fwd, RreluWithNoiseBackward0, (None, noise)))


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, True)
