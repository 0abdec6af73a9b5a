"""Shared loss plumbing: reduction names (and the legacy size_average/reduce flags), size warnings, and
the fused elementwise-loss Node."""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor, grad_needed

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, emit_warning: bool = True) -> str:
    """The reduction name the deprecated size_average/reduce flags stand for (warns like torch)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def resolve_reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    return check_reduction(reduction)


def check_reduction(reduction: str) -> str:
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.",
                      UserWarning, stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def warn_size_mismatch(input: Tensor, target: Tensor, stacklevel: int = 3) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=stacklevel)


def check_weight_size(weight: Tensor, input: Tensor) -> None:
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")


def not_differentiable(fn: str, arg: str, t: Tensor | None) -> None:
    if t is not None and grad_needed(t):
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def reduce_array(mod, loss, reduction: str):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / loss.size if loss.size else mod.asarray(np.nan, dtype=loss.dtype)


class PointwiseLoss(Node):
    """Loss from an elementwise term l(x, t) and a reduction, as one node.

    Subclasses give `kernel(mod, scale, x, t)` -> (dl/dx, dl/dt) arrays times the upstream scale, and
    `graph(scale, x, t)` -> the same from engine ops (used under create_graph). `p` holds op options.
    """

    __slots__ = ("reduction", "count", "p")

    def backward(self, g):
        x, t = self.saved_tensors
        scale = g / self.count if self.reduction == "mean" else g
        if STATE.enabled:
            return self.graph(scale, x, t)
        with np.errstate(all="ignore"):
            gx, gt = self.kernel(xp(x), scale._data, x._data, t._data)
        return (new(gx) if self.needs(0) else None), (new(gt) if gt is not None and self.needs(1) else None)

    def kernel(self, mod, scale, x, t):  # pragma: no cover - subclasses override
        raise NotImplementedError

    def graph(self, scale: Tensor, x: Tensor, t: Tensor):  # pragma: no cover
        raise NotImplementedError


def pointwise_loss(node_cls, fwd, input: Tensor, target: Tensor, reduction: str, params=()) -> Tensor:
    """Run fwd(mod, x, t, *params) -> elementwise loss, reduce it, attach node_cls."""
    mod = xp(input)
    x, t = input._data, target._data
    try:
        with np.errstate(all="ignore"):
            elementwise = fwd(mod, x, t, *params)
    except ValueError:
        from ...ops._errors import broadcast_error

        raise broadcast_error(x.shape, t.shape) from None
    result = new(reduce_array(mod, elementwise, reduction))
    if grad_needed(input, target):
        node = node_cls(result, input, target)
        node.reduction, node.count, node.p = reduction, elementwise.size, params
        node.save(input, target)
    return result
