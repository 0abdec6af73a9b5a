"""nll_loss and cross_entropy. cross_entropy is ONE node: log-softmax and the (weighted, smoothed) pick in
the forward, `scale * (softmax * sum(q) - q)` in the backward, where q are the per-class target weights."""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import _scalar_type_name, new, xp
from ...tensor import Tensor, grad_needed
from .act_softmax import log_softmax, log_softmax_array, softmax
from .loss_util import not_differentiable, resolve_reduction

__all__ = ["nll_loss", "cross_entropy"]


# ------------------------------------------------------------------------------------- layout helpers ---
def _rows(mod, x):
    """(N, C, d1, ...) / (N, C) / (C,) -> (M, C) with the class axis last."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return mod.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(mod, r, shape: tuple):
    if len(shape) <= 2:
        return r.reshape(shape)
    return mod.moveaxis(r.reshape((shape[0],) + shape[2:] + (shape[1],)), -1, 1)


def _rows_t(x: Tensor) -> Tensor:
    if x.ndim <= 2:
        return x.reshape(1, -1) if x.ndim == 1 else x
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _unrows_t(r: Tensor, shape: tuple) -> Tensor:
    if len(shape) <= 2:
        return r.reshape(shape)
    return r.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)).movedim(-1, 1)


# ----------------------------------------------------------------------------------------- checks ------
def _check_weight(weight: Tensor | None, input: Tensor, classes: int, prefix: str = "") -> None:
    if weight is None:
        return
    if weight._data.ndim != 1 or weight._data.shape[0] != classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight._data.shape)}")
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_type_name(input._data.dtype)} but found "
                           f"{_scalar_type_name(weight._data.dtype)}")


def _check_index_target(input: Tensor, target: Tensor) -> None:
    xs, ts = input._data.shape, target._data.shape
    if len(xs) < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {len(xs)})")
    if len(xs) != 1 and len(ts) >= 1 and xs[0] != ts[0]:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size ({ts[0]}).")
    if len(xs) <= 2:
        if len(ts) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if len(xs) == 1 and len(ts) == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {ts[0]}")
    elif len(xs) == 4:
        if len(ts) != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {len(ts)}")
        if ts != (xs[0],) + xs[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(xs)} , target: {list(ts)}")
    elif ts != (xs[0],) + xs[2:]:
        raise RuntimeError(f"Expected target size {[xs[0], *xs[2:]]}, got {list(ts)}")
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_scalar_type_name(target._data.dtype)}")


class _Picked:
    """Per-row bookkeeping of class-index targets: safe indices, validity mask and target weights."""

    __slots__ = ("t", "valid", "wt", "w", "classes")

    def __init__(self, mod, target, weight, ignore_index: int, classes: int, dtype) -> None:
        t = target.reshape(-1).astype(np.int64, copy=False)
        valid = t != ignore_index
        bad = valid & ((t < 0) | (t >= classes))
        if bool(bad.any()):
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        self.t = mod.where(valid, t, 0)
        self.valid = valid
        self.w = weight
        wt = valid.astype(dtype) if weight is None else mod.where(valid, weight[self.t], 0).astype(dtype)
        self.wt = wt
        self.classes = classes

    def dense_q(self, mod, rows: int, dtype, eps: float):
        """q[i, c]: weight of log p[i, c] in row i's loss."""
        q = mod.zeros((rows, self.classes), dtype=dtype)
        q[mod.arange(rows), self.t] = (1 - eps) * self.wt
        if eps:
            wvec = 1 if self.w is None else self.w[None, :]
            q += (eps / self.classes) * wvec * self.valid[:, None]
        return q


def _reduce(mod, loss, denom, reduction: str, out_shape: tuple):
    if reduction == "none":
        return loss.reshape(out_shape)
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return mod.asarray(total / denom, dtype=loss.dtype)


def _row_scale(g: Tensor, reduction: str, denom):
    """The upstream gradient per row: (M, 1) for 'none', a scalar otherwise."""
    if reduction == "none":
        return g.reshape(-1, 1)
    if reduction == "mean":
        return g * 0 if denom == 0 else g / denom  # nothing counted: zero gradient, as torch gives
    return g


# -------------------------------------------------------------------------------------------- nll_loss --
class NllLossBackward0(Node):
    __slots__ = ("picked", "reduction", "denom", "shape", "eps")

    def backward(self, g):
        pk = self.picked
        shape = self.shape
        mod = xp(g)
        rows = int(np.prod((shape[0],) + shape[2:])) if len(shape) > 1 else 1
        q = pk.dense_q(mod, rows, g._data.dtype, 0.0)
        r = _row_scale(g, self.reduction, self.denom)
        if STATE.enabled:
            return (_unrows_t(r * new(-q), shape),)
        return (new(_unrows(mod, r._data * -q, shape)),)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    _check_index_target(input, target)
    x = input._data
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    _check_weight(weight, input, classes)
    not_differentiable("nll_loss_forward", "weight", weight)
    mod = xp(input)
    lp = _rows(mod, x)
    pk = _Picked(mod, target._data, None if weight is None else weight._data, ignore_index, classes, x.dtype)
    picked = lp[mod.arange(lp.shape[0]), pk.t]
    loss = mod.where(pk.valid, -pk.wt * picked, 0).astype(x.dtype, copy=False)
    denom = pk.wt.sum()
    result = new(_reduce(mod, loss, denom, reduction, target._data.shape if x.ndim > 1 else ()))
    if grad_needed(input):
        node = NllLossBackward0(result, input)
        node.picked, node.reduction, node.denom, node.shape = pk, reduction, denom, x.shape
    return result


# --------------------------------------------------------------------------------------- cross_entropy --
class CrossEntropyIndexBackward(Node):
    """log_softmax + nll (with optional label smoothing) over class-index targets."""

    __slots__ = ("picked", "reduction", "denom", "eps", "lp")

    def name(self) -> str:
        return "AddBackward0" if self.eps else "NllLossBackward0"

    def backward(self, g):
        (x,) = self.saved_tensors
        pk, eps, shape = self.picked, self.eps, x._data.shape
        r = _row_scale(g, self.reduction, self.denom)
        mod = xp(x)
        if STATE.enabled:
            rows = _rows_t(x)
            q = pk.dense_q(mod, rows.shape[0], x._data.dtype, eps)
            return (_unrows_t(r * (softmax(rows, 1) * new(q.sum(1, keepdims=True)) - new(q)), shape),)
        lp = self.lp
        rows = lp.shape[0]
        rr = r._data.reshape(-1)
        total_w = pk.classes if pk.w is None else pk.w.sum()
        big_q = (1 - eps) * pk.wt + (eps / pk.classes) * total_w * pk.valid
        grad = mod.exp(lp)
        grad *= (big_q * rr)[:, None]
        grad[mod.arange(rows), pk.t] -= (1 - eps) * pk.wt * rr
        if eps:
            wvec = 1 if pk.w is None else pk.w[None, :]
            grad -= (eps / pk.classes) * wvec * (pk.valid * rr)[:, None]
        return (new(_unrows(mod, grad, shape)),)


class CrossEntropyPlainBackward(CrossEntropyIndexBackward):
    """The common case of the above (no weights, no smoothing, no ignored rows, mean or sum) with less
    bookkeeping: d loss / d x = (softmax(x) - onehot(target)) * upstream / rows for the mean."""

    __slots__ = ("targets", "exps", "sums")

    def backward(self, g):
        if STATE.enabled:  # create_graph: the general path, from its bookkeeping
            (x,) = self.saved_tensors
            self.lp = np.log(self.exps / self.sums)
            self.picked = _Picked(xp(x), self.targets, None, -100, self.exps.shape[1], x._data.dtype)
            return super().backward(g)
        scale = g._data / self.denom if self.reduction == "mean" else g._data
        grad = self.exps / self.sums
        grad[np.arange(grad.shape[0]), self.targets] -= 1
        grad *= scale
        return (new(grad),)


def _plain_cross_entropy(input: Tensor, targets, classes: int, reduction: str) -> Tensor | None:
    """cross_entropy's value and node for 2-D float numpy input and in-range class indices, else None:
    log-sum-exp over each row, keeping exp and the sums for the backward's softmax."""
    x = input._data
    rows = x.shape[0]
    if rows == 0 or int(targets.min()) < 0 or int(targets.max()) >= classes:
        return None
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = x - x.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        sums = exps.sum(axis=1, keepdims=True)
        total = (np.log(sums[:, 0]) - shifted[np.arange(rows), targets]).sum()
    result = new(np.asarray(total / rows if reduction == "mean" else total, dtype=x.dtype))
    if grad_needed(input):
        node = CrossEntropyPlainBackward(result, input)
        node.targets, node.exps, node.sums = targets, exps, sums
        node.reduction, node.denom, node.eps = reduction, rows, 0.0
        node.save(input)
    return result


class CrossEntropyProbBackward(Node):
    """log_softmax + soft-target cross entropy: inputs (input, target, weight)."""

    __slots__ = ("reduction", "denom", "eps", "classes")

    def name(self) -> str:
        return {"mean": "DivBackward1", "sum": "SumBackward0"}.get(self.reduction, "NegBackward0")

    def backward(self, g):
        x, t, w = self.saved_tensors
        shape, eps, classes = x._data.shape, self.eps, self.classes
        r = _row_scale(g, self.reduction, self.denom)
        if STATE.enabled:
            lp = log_softmax(_rows_t(x), 1)
            ts = _rows_t(t) * (1 - eps) + eps / classes
            q = ts if w is None else ts * w
            gx = _unrows_t(r * (lp.exp() * q.sum(1, keepdim=True) - q), shape) if self.needs(0) else None
            base = lp if w is None else lp * w
            gt = _unrows_t(r * base * -(1 - eps), shape) if self.needs(1) else None
            gw = (r * ts * lp).sum(0) * -1 if self.needs(2) else None
            return gx, gt, gw
        mod = xp(x)
        rr = r._data if r._data.ndim == 0 else r._data
        lp = log_softmax_array(mod, _rows(mod, x._data), 1)
        ts = _rows(mod, t._data) * (1 - eps) + eps / classes
        q = ts if w is None else ts * w._data
        gx = gt = gw = None
        if self.needs(0):
            gx = new(_unrows(mod, rr * (mod.exp(lp) * q.sum(1, keepdims=True) - q), shape))
        if self.needs(1):
            base = lp if w is None else lp * w._data
            gt = new(_unrows(mod, rr * base * -(1 - eps), shape))
        if self.needs(2):
            gw = new(-(rr * ts * lp).sum(0))
        return gx, gt, gw


def _cross_entropy_prob(input, target, weight, reduction, eps, classes):
    if target._data.dtype.kind != "f":
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{_scalar_type_name(target._data.dtype)}")
    mod = xp(input)
    lp = log_softmax_array(mod, _rows(mod, input._data), 1)
    ts = _rows(mod, target._data)
    if eps:
        ts = ts * (1 - eps) + eps / classes
    q = ts if weight is None else ts * weight._data
    with np.errstate(invalid="ignore"):
        loss = -(lp * q).sum(1)
    rows = lp.shape[0]
    out_shape = target._data.shape[:1] + target._data.shape[2:] if input._data.ndim > 1 else ()
    result = new(_reduce(mod, loss, rows, reduction, out_shape))
    if grad_needed(input, target, *(() if weight is None else (weight,))):
        node = CrossEntropyProbBackward(result, input, target, weight)
        node.reduction, node.denom, node.eps, node.classes = reduction, rows, eps, classes
        node.save(input, target, weight)
    return result


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    reduction = resolve_reduction(reduction, size_average, reduce)
    x = input._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    if target._data.shape == x.shape:
        if target._data.dtype.kind == "f" and ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_weight(weight, input, classes, "cross_entropy: ")
        return _cross_entropy_prob(input, target, weight, reduction, label_smoothing, classes)
    _check_index_target(input, target)
    _check_weight(weight, input, classes)
    not_differentiable("nll_loss_forward", "weight", weight)
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{_scalar_type_name(x.dtype)}'")
    mod = xp(input)
    t = target._data
    if (mod is np and x.ndim == 2 and t.ndim == 1 and weight is None and not label_smoothing
            and reduction != "none" and not 0 <= ignore_index < classes):
        result = _plain_cross_entropy(input, t, classes, reduction)
        if result is not None:
            return result
    lp = log_softmax_array(mod, _rows(mod, x), 1)
    pk = _Picked(mod, target._data, None if weight is None else weight._data, ignore_index, classes, x.dtype)
    picked = lp[mod.arange(lp.shape[0]), pk.t]
    with np.errstate(invalid="ignore"):
        loss = (1 - label_smoothing) * -pk.wt * picked
        if label_smoothing:
            smooth = -(lp.sum(1) if weight is None else lp @ weight._data)
            loss = loss + (label_smoothing / classes) * smooth
    loss = mod.where(pk.valid, loss, 0).astype(x.dtype, copy=False)
    denom = pk.wt.sum()
    result = new(_reduce(mod, loss, denom, reduction, target._data.shape if x.ndim > 1 else ()))
    if grad_needed(input):
        node = CrossEntropyIndexBackward(result, input)
        node.picked, node.reduction, node.denom, node.eps, node.lp = pk, reduction, denom, label_smoothing, lp
        node.save(input)
    return result
