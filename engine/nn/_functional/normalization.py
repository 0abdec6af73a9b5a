"""nn.functional: batch/instance/layer/group norm (one fused primitive each), rms_norm, local_response_norm,
normalize."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as dt
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ._norm_kernel import fused_norm

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm",
           "normalize"]

_MIXED = "mixed dtype (CPU): all inputs must share same datatype."


def _check_dtypes(input: Tensor, *others: Tensor | None) -> None:
    d = input._data.dtype
    for t in others:
        if t is not None and t._data.dtype != d:
            raise RuntimeError(_MIXED)


def _check_numel(expected: int, **named: Tensor | None) -> None:
    for name, t in named.items():
        if t is not None and t._data.size != expected:
            raise RuntimeError(f"{name} should contain {expected} elements not {t._data.size}")


def _spatial(shape: tuple) -> int:
    return math.prod(shape[2:])


def _update_running(running: Tensor | None, value, momentum: float) -> None:
    """running <- (1 - momentum) * running + momentum * value, in place, without history."""
    if running is None:
        return
    with no_grad():
        r = running._data
        v = value.reshape(r.shape).astype(r.dtype, copy=False)
        r *= 1 - momentum
        r += momentum * v
        running._version[0] += 1


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims; training updates running stats."""
    shape = input._data.shape
    if training and shape[0] * _spatial(shape) == 1 and len(shape) >= 2:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{input.size()}")
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' (position 7) must be float, not NoneType")
    channels = shape[1] if len(shape) > 1 else 0
    _check_numel(channels, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if not training and (running_mean is None or running_var is None):
        which = "mean" if running_mean is None else "var"
        raise RuntimeError(f"running_{which} must be defined in evaluation mode")
    _check_dtypes(input, weight, bias, running_mean, running_var)
    if input._data.size == 0:
        return input.clone()
    vshape = (shape[0], channels, _spatial(shape))
    wshape = (1, channels, 1)
    if training:
        out, mean, var = fused_norm(input, weight, bias, vshape, (0, 2), wshape, eps,
                                    "NativeBatchNormBackward0")
        n = shape[0] * vshape[2]
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, var * (n / (n - 1)), momentum)
        return out
    stats = (running_mean._data.reshape(wshape), running_var._data.reshape(wshape))
    return fused_norm(input, weight, bias, vshape, (0, 2), wshape, eps, "NativeBatchNormBackward0", stats)[0]


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims."""
    shape = input._data.shape
    if use_input_stats and _spatial(shape) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.size()}")
    n, c = shape[0], shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {n * t._data.size}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is "
                           "false")
    _check_dtypes(input, weight, bias, running_mean, running_var)
    vshape, wshape = (n, c, _spatial(shape)), (1, c, 1)
    if not use_input_stats:
        stats = (running_mean._data.reshape(wshape), running_var._data.reshape(wshape))
        return fused_norm(input, weight, bias, vshape, (2,), wshape, eps, "ViewBackward0", stats)[0]
    out, mean, var = fused_norm(input, weight, bias, vshape, (2,), wshape, eps, "ViewBackward0")
    if running_mean is not None and n:
        s = vshape[2]
        _update_running(running_mean, mean.mean(0), momentum)
        _update_running(running_var, (var * (s / (s - 1))).mean(0), momentum)
    return out


def _shape_list(shape) -> str:
    return str(list(shape))


def _check_normalized(input: Tensor, normalized_shape, weight: Tensor | None, bias: Tensor | None,
                      sep: str = ", ") -> tuple:
    norm = tuple(normalized_shape)
    if not norm:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
                           "least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != norm:
            got, want = _shape_list(t._data.shape), _shape_list(norm)
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {got} and normalized_shape = {want}")
    shape = input._data.shape
    if len(shape) < len(norm) or tuple(shape[len(shape) - len(norm):]) != norm:
        raise RuntimeError(f"Given normalized_shape={_shape_list(norm)}, expected input with shape "
                           f"[*{sep}{', '.join(str(s) for s in norm)}], but got input of "
                           f"size{_shape_list(shape)}")
    return norm


def _require_shape_tuple(normalized_shape, fn: str) -> None:
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims, then scale/shift elementwise."""
    _require_shape_tuple(normalized_shape, "layer_norm")
    norm = _check_normalized(input, normalized_shape, weight, bias)
    _check_dtypes(input, weight, bias)
    k = math.prod(norm)
    rows = input._data.size // k if k else math.prod(input._data.shape[:input.ndim - len(norm)])
    return fused_norm(input, weight, bias, (rows, k), (1,), (1, k), eps, "NativeLayerNormBackward0")[0]


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channel groups over (channels in group, spatial dims)."""
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {len(shape)}")
    n, c = shape[0], shape[1]
    if c % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {_shape_list(shape)} and num_groups={num_groups}")
    size = [n * c // num_groups, num_groups, *shape[2:]]
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {_shape_list(t._data.shape)} and input of "
                               f"shape {_shape_list(shape)}")
    _check_dtypes(input, weight, bias)
    cg = c // num_groups
    vshape = (n, num_groups, cg, _spatial(shape))
    return fused_norm(input, weight, bias, vshape, (2, 3), (1, num_groups, cg, 1), eps,
                      "NativeGroupNormBackward0")[0]


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing dims, times weight (eps None: the dtype's machine eps)."""
    _require_shape_tuple(normalized_shape, "rms_norm")
    norm = _check_normalized(input, normalized_shape, weight, None, sep="")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps) if input._data.dtype.kind == "f" else \
            float(np.finfo(dt.get_default_dtype().np).eps)
    dims = tuple(range(-len(norm), 0))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Divide each element by (k + alpha * mean of squares over `size` neighbouring channels) ** beta."""
    ndim = input.dim()
    if ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    from ...ops.padding import pad

    c = input._data.shape[1]
    sq = input * input
    padded = pad(sq, (0, 0) * (ndim - 2) + (size // 2, (size - 1) // 2))
    window = padded.narrow(1, 0, c)
    for j in range(1, size):
        window = window + padded.narrow(1, j, c)
    div = (window * (alpha / size) + k).pow(beta)
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p over dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from ...ops.arith import div

    return div(input, denom, out=out)
