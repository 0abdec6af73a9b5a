"""Elementwise losses: l1, mse, smooth_l1, huber, binary cross entropy (plain and with logits), soft margin,
kl_div, poisson_nll, gaussian_nll. The hot ones are fused nodes (loss_util.PointwiseLoss)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.grad_mode import no_grad
from ...ops._helpers import _scalar_type_name, new, xp
from ...ops.pointwise import where
from ...tensor import Tensor
from .loss_util import (
    PointwiseLoss,
    check_reduction,
    check_weight_size,
    legacy_reduction,
    not_differentiable,
    pointwise_loss,
    reduce_loss,
    resolve_reduction,
    warn_size_mismatch,
)

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "soft_margin_loss", "kl_div", "poisson_nll_loss",
           "gaussian_nll_loss"]


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


# --------------------------------------------------------------------------------------- l1 and mse ---
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    warn_size_mismatch(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    diff = (input - target).abs()
    if weight is not None:
        check_weight_size(weight, input)
        return _weighted(diff, weight, reduction, True)
    return reduce_loss(diff, check_reduction(reduction))


class MseLossBackward0(PointwiseLoss):
    __slots__ = ()

    def kernel(self, mod, s, x, t):
        d = (x - t) * (2 * s)
        return d, -d

    def graph(self, s, x, t):
        d = (x - t) * s * 2
        return d, -d


def _mse_fwd(mod, x, t):
    d = x - t
    return d * d


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    warn_size_mismatch(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if weight is not None:
        check_weight_size(weight, input)
        return _weighted((input - target) ** 2, weight, reduction, True)
    return pointwise_loss(MseLossBackward0, _mse_fwd, input, target, check_reduction(reduction))


# ------------------------------------------------------------------------------------ smooth l1, huber ---
class SmoothL1LossBackward0(PointwiseLoss):
    """p = (beta,): 0.5 d^2 / beta inside |d| < beta, |d| - beta / 2 outside."""

    __slots__ = ()

    def _slope(self, mod, d):
        beta = self.p[0]
        return mod.where(mod.abs(d) < beta, d / beta, mod.sign(d))

    def kernel(self, mod, s, x, t):
        gx = self._slope(mod, x - t) * s
        return gx, -gx

    def graph(self, s, x, t):
        d = x - t
        gx = where(new(abs(d._data) < self.p[0]), d / self.p[0], d.sign()) * s
        return gx, -gx


def _smooth_l1_fwd(mod, x, t, beta):
    ad = mod.abs(x - t)
    return mod.where(ad < beta, 0.5 * ad * ad / beta, ad - 0.5 * beta)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    warn_size_mismatch(input, target)
    reduction = resolve_reduction(reduction, size_average, reduce)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return pointwise_loss(SmoothL1LossBackward0, _smooth_l1_fwd, input, target, reduction, (beta,))


class HuberLossBackward0(PointwiseLoss):
    """p = (delta,): 0.5 d^2 inside |d| < delta, delta (|d| - delta / 2) outside."""

    __slots__ = ()

    def kernel(self, mod, s, x, t):
        delta = self.p[0]
        d = x - t
        gx = mod.where(mod.abs(d) < delta, d, delta * mod.sign(d)) * s
        return gx, -gx

    def graph(self, s, x, t):
        delta = self.p[0]
        d = x - t
        gx = where(new(abs(d._data) < delta), d, d.sign() * delta) * s
        return gx, -gx


def _huber_fwd(mod, x, t, delta):
    ad = mod.abs(x - t)
    return mod.where(ad < delta, 0.5 * ad * ad, delta * (ad - 0.5 * delta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    warn_size_mismatch(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        check_weight_size(weight, input)
        loss = pointwise_loss(HuberLossBackward0, _huber_fwd, input, target, "none", (delta,))
        return _weighted(loss, weight, reduction, False)
    return pointwise_loss(HuberLossBackward0, _huber_fwd, input, target, check_reduction(reduction), (delta,))


# ----------------------------------------------------------------------------- binary cross entropy ----
class BinaryCrossEntropyBackward0(PointwiseLoss):
    """p = (weight array or None,)."""

    __slots__ = ()

    def kernel(self, mod, s, x, t):
        w = self.p[0]
        scale = s if w is None else s * w
        gx = (x - t) / mod.maximum((1 - x) * x, 1e-12) * scale
        gt = (mod.log1p(-x) - mod.log(x)) * scale
        return gx, gt

    def graph(self, s, x, t):
        w = self.p[0]
        scale = s if w is None else s * new(w)
        gx = (x - t) / ((1 - x) * x).clamp(min=1e-12) * scale
        gt = ((-x).log1p() - x.log()) * scale
        return gx, gt


def _bce_fwd(mod, x, t, w):
    loss = (t - 1) * mod.maximum(mod.log1p(-x), -100) - t * mod.maximum(mod.log(x), -100)
    return loss if w is None else loss * w


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_scalar_type_name(target._data.dtype)} but expected "
                           f"{_scalar_type_name(input._data.dtype)}")
    not_differentiable("binary_cross_entropy", "weight", weight)
    x = input._data
    if not bool(((x >= 0) & (x <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        w = weight._data
        w = w if w.shape == x.shape else xp(input).broadcast_to(w, np.broadcast_shapes(w.shape, x.shape))
    return pointwise_loss(BinaryCrossEntropyBackward0, _bce_fwd, input, target, reduction, (w,))


class BinaryCrossEntropyWithLogitsBackward0(PointwiseLoss):
    """p = (weight array or None, pos_weight array or None)."""

    __slots__ = ()

    def kernel(self, mod, s, x, t):
        w, pw = self.p
        scale = s if w is None else s * w
        sig = 1 / (1 + mod.exp(-x))
        sp_neg = mod.maximum(-x, 0) + mod.log1p(mod.exp(-mod.abs(x)))
        if pw is None:
            return (sig - t) * scale, -x * scale
        return ((1 + (pw - 1) * t) * sig - pw * t) * scale, ((pw - 1) * sp_neg - x) * scale

    def graph(self, s, x, t):
        from .act_pointwise import softplus

        w, pw = self.p
        scale = s if w is None else s * new(w)
        sig = x.sigmoid()
        if pw is None:
            return (sig - t) * scale, -x * scale
        pwt = new(pw)
        return ((t * (pwt - 1) + 1) * sig - t * pwt) * scale, (softplus(-x) * (pwt - 1) - x) * scale


def _bce_logits_fwd(mod, x, t, w, pw):
    sp_neg = mod.maximum(-x, 0) + mod.log1p(mod.exp(-mod.abs(x)))
    loss = (1 - t) * x + (sp_neg if pw is None else (1 + (pw - 1) * t) * sp_neg)
    return loss if w is None else loss * w


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if target._data.dtype.kind not in "fc":
        raise RuntimeError(f"result type {_scalar_type_name(input._data.dtype)} can't be cast to the desired "
                           f"output type {_scalar_type_name(target._data.dtype)}")
    not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    params = (None if weight is None else weight._data, None if pos_weight is None else pos_weight._data)
    return pointwise_loss(BinaryCrossEntropyWithLogitsBackward0, _bce_logits_fwd, input, target, reduction,
                          params)


# ------------------------------------------------------------------------------------------ soft margin --
class SoftMarginLossBackward0(PointwiseLoss):
    __slots__ = ()

    def kernel(self, mod, s, x, t):
        z = 1 / (1 + mod.exp(t * x))  # sigmoid(-t x)
        return -t * z * s, -x * z * s

    def graph(self, s, x, t):
        z = (-(t * x)).sigmoid()
        return -t * z * s, -x * z * s


def _soft_margin_fwd(mod, x, t):
    return mod.log1p(mod.exp(-t * x))


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    not_differentiable("soft_margin_loss", "target", target)
    return pointwise_loss(SoftMarginLossBackward0, _soft_margin_fwd, input, target, reduction)


# ------------------------------------------------------------------------------- kl_div, poisson, gauss --
_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the support size."
                    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                    "'mean' will be changed to behave the same as 'batchmean' in the next major release.")


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    if reduction != "batchmean":
        check_reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return reduce_loss(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_ones(input.shape) * var
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)
