"""Helpers shared by distributions: broadcasting parameters, probs <-> logits, lazy properties."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import _dtype as dt
from ..autograd.grad_mode import enable_grad
from ..ops import broadcast_tensors, clamp, exp, log, log1p, logsumexp, sigmoid, tensor
from ..tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values: Any) -> tuple:
    """Numbers become tensors of the tensors' dtype (or the default float dtype); all are broadcast."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        like = next((v for v in values if isinstance(v, Tensor)), None)
        dtype = like.dtype if like is not None else dt.get_default_dtype()
        device = like.device if like is not None else None
        values = tuple(v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values)
    return tuple(broadcast_tensors(*values))


def finfo_eps(t: Tensor) -> float:
    return float(np.finfo(t._data.dtype).eps)


def finfo_min(t: Tensor) -> float:
    return float(np.finfo(t._data.dtype).min)


def clamp_probs(probs: Tensor) -> Tensor:
    eps = finfo_eps(probs)
    return clamp(probs, min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    if is_binary:
        return sigmoid(logits)
    return exp(logits - logsumexp(logits, -1, keepdim=True))


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    clamped = clamp_probs(probs)
    if is_binary:
        return log(clamped) - log1p(-clamped)
    return log(clamped)


class lazy_property:  # noqa: N801 - torch's name
    """Computed on first access (with grad enabled) and then stored on the instance."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value
