"""nn.functional: dropout and its channel-wise / self-normalising variants (masks from the engine's RNG)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...ops._helpers import _scalar_type_name, new, xp
from ...ops.random import _float_sample, _stream
from ...tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_SELU_ALPHA = 1.7580993408473766  # -(SELU scale * SELU alpha): the value SELU saturates to


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, shape: tuple, p: float):
    """Boolean array of `shape`, True with probability 1 - p (engine RNG, so manual_seed reproduces it)."""
    u = _float_sample(_stream(None, input.device), "uniform", shape, np.dtype(np.float64))
    keep = u >= p
    m = xp(input)
    return m.asarray(keep) if m is not np else keep


def _check_float(input: Tensor) -> None:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_scalar_type_name(input._data.dtype)}")


def _apply_mask(input: Tensor, mask, inplace: bool) -> Tensor:
    factor = new(mask)
    return input.mul_(factor) if inplace else input * factor


def _dropout_with_shape(input: Tensor, p: float, inplace: bool, shape: tuple) -> Tensor:
    _check_float(input)
    dtype = input._data.dtype
    if p == 1.0:
        mask = xp(input).zeros(shape, dtype=dtype)
    else:
        mask = _keep_mask(input, shape, p).astype(dtype)
        mask *= dtype.type(1.0 / (1.0 - p))
    return _apply_mask(input, mask, inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _dropout_with_shape(input, p, inplace, input._data.shape)


def _feature_shape(input: Tensor) -> tuple:
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return shape[:2] + (1,) * (len(shape) - 2)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, unbatched: bool) -> Tensor:
    if unbatched:
        shape = (input._data.shape[0],) + (1,) * (input.ndim - 1)
        if input.ndim < 1:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    else:
        shape = _feature_shape(input)
    if not training or p == 0.0:
        return input
    return _dropout_with_shape(input, p, inplace, shape)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                           "spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D "
                           "or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, unbatched=input.ndim == 2)


def _deprecated_rank(fn: str, ndim: int, spatial: int) -> None:
    warnings.warn(f"{fn}: Received a {ndim}-D input to {fn}, which is deprecated and will result in an "
                  "error in a future release. To retain the behavior and silence this warning, please use "
                  f"dropout instead. Note that {fn} exists to provide channel-wise dropout on inputs with "
                  f"{spatial} spatial dimensions, a channel dimension, and an optional batch dimension (i.e. "
                  f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input (3-D input is treated as (N, C, L), like torch)."""
    _check_p(p)
    ndim = input.ndim
    if ndim not in (3, 4):
        _deprecated_rank("dropout2d", ndim, 2)
    elif ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one "
                      "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, unbatched=False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    ndim = input.ndim
    if ndim not in (4, 5):
        _deprecated_rank("dropout3d", ndim, 3)
    return _feature_dropout(input, p, training, inplace, unbatched=ndim == 4)


def _alpha(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple) -> Tensor:
    if not training or p == 0.0:
        return input
    _check_float(input)
    if p == 1.0:
        zero = new(xp(input).zeros((), dtype=input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    dtype = input._data.dtype
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    keep = _keep_mask(input, shape, p).astype(dtype)
    shift = (keep - 1) * dtype.type(_SELU_ALPHA * a) + dtype.type(_SELU_ALPHA * a * p)
    keep *= dtype.type(a)
    if inplace:
        return input.mul_(new(keep)).add_(new(shift))
    return input * new(keep) + new(shift)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU activations' mean and variance: dropped values become SELU's saturation."""
    _check_p(p)
    return _alpha(input, p, training, inplace, input._data.shape)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Channel-wise alpha dropout."""
    _check_p(p)
    shape = _feature_shape(input)
    return _alpha(input, p, training, inplace, shape)
