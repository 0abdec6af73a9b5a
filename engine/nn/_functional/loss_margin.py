"""Margin and embedding losses, composed from engine ops (their gradients come from those ops)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...ops._helpers import _scalar_type_name, new, xp
from ...ops.pointwise import minimum, where
from ...tensor import Tensor
from .act_pointwise import logsigmoid
from .distance import pairwise_distance
from .loss_util import check_reduction, legacy_reduction, reduce_loss, resolve_reduction

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss"]

_EPSILON = 1e-12


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    tdim = target.dim()
    sizes = f"{list(input1.shape)} and {list(input2.shape)}"
    if tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if tdim == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes {sizes}.")
    if tdim == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes {sizes}.")
    dim = tdim
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + _EPSILON
    mag2 = (input2 * input2).sum(dim) + _EPSILON
    cos = prod / (mag1 * mag2).sqrt()
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return reduce_loss(pos + neg, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got "
                           f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return reduce_loss((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    margin_part = where(target != 1, (margin - input).clamp(min=0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return reduce_loss(margin_part + self_part, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return reduce_loss(loss, reduction)


def _check_margin_input(name: str, input: Tensor) -> None:
    if input.dim() > 2 or (input.dim() >= 1 and input.shape[-1] == 0):
        raise RuntimeError(f"{name}: Expected non-empty vector or matrix with optional 0-dim batch size, but "
                           f"got: {list(input.shape)}")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _check_margin_input("multi_margin_loss", input)
    x = input if input.dim() == 2 else input.reshape(1, -1)
    rows, classes = x.shape
    t = target._data
    if t.ndim > 1 or t.size != rows:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of "
                           f"input samples (batch size). Expected target size [{rows}], but got "
                           f"{list(t.shape)}. Input has shape {list(input.shape)}.")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_scalar_type_name(t.dtype)}")
    t = t.reshape(-1)
    if bool(((t < 0) | (t >= classes)).any()):
        raise RuntimeError("target out of range")
    mod = xp(input)
    idx = new(t.reshape(-1, 1))
    z = (x - x.gather(1, idx) + margin).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[idx]
    not_target = mod.arange(classes)[None, :] != t[:, None]
    loss = where(new(not_target), z, 0.0).sum(1) / classes
    if input.dim() < 2:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    _check_margin_input("multilabel_margin_loss", input)
    x = input if input.dim() == 2 else input.reshape(1, -1)
    rows, classes = x.shape
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    mod = xp(input)
    t = target._data.reshape(rows, classes)
    # a row's targets are its entries up to the first -1
    active = mod.cumprod(t >= 0, axis=1).astype(bool)
    if bool((active & (t >= classes)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    is_target = mod.zeros((rows, classes), dtype=bool)
    r_idx, c_idx = mod.nonzero(active)
    is_target[r_idx, t[r_idx, c_idx]] = True
    # pairs (j target, k non-target): max(0, 1 - x_j + x_k)
    pair = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)
    mask = is_target[:, :, None] & ~is_target[:, None, :]
    loss = where(new(mask), pair, 0.0).sum((1, 2)) / classes
    if input.dim() < 2:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)


def _check_triplet_dims(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == p == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss((d_pos + margin - d_neg).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return reduce_loss((margin + d_pos - d_neg).clamp(min=0), check_reduction(reduction))
