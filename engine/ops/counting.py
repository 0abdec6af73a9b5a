"""Counting (not differentiable): unique, unique_consecutive, bincount, histc."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._helpers import new, tensor_method, xp
from ._reduce_util import one_dim, type_name

__all__ = ["unique", "unique_consecutive", "bincount", "histc"]


def _results(values, inverse, counts, return_inverse: bool, return_counts: bool):
    out = [new(values)]
    if return_inverse:
        out.append(new(inverse.astype(np.int64, copy=False)))
    if return_counts:
        out.append(new(counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


@tensor_method("unique")
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim=None):
    mod = xp(input)
    data = input._data
    if dim is None:
        kwargs = {"equal_nan": False} if data.dtype.kind in "fc" else {}
        values, inverse, counts = mod.unique(data.reshape(-1), return_inverse=True, return_counts=True,
                                             **kwargs)
        inverse = inverse.reshape(data.shape)
    else:
        d = one_dim(input, dim)
        if d is None:
            values, inverse, counts = data.reshape(1), mod.zeros((), np.int64), mod.ones(1, np.int64)
        else:
            values, inverse, counts = mod.unique(data, return_inverse=True, return_counts=True, axis=d)
            inverse = inverse.reshape(-1)
    return _results(values, inverse, counts, return_inverse, return_counts)


@tensor_method("unique_consecutive")
def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    mod = xp(input)
    data = input._data
    d = None if dim is None else one_dim(input, dim)
    if dim is not None and d is not None:
        rows = mod.moveaxis(data, d, 0).reshape(data.shape[d], -1)
        changed = (rows[1:] != rows[:-1]).any(axis=1)
    else:
        rows = data.reshape(-1)
        changed = rows[1:] != rows[:-1]
    n = rows.shape[0]
    start = mod.concatenate([mod.ones(min(n, 1), dtype=bool), changed])
    positions = mod.nonzero(start)[0]
    values = mod.take(data, positions, axis=d) if dim is not None and d is not None else rows[positions]
    inverse = mod.cumsum(start) - 1
    if dim is None:
        inverse = inverse.reshape(data.shape)
    counts = mod.diff(mod.concatenate([positions, mod.asarray([n])]))
    return _results(values, inverse, counts, return_inverse, return_counts)


@tensor_method("bincount")
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    mod = xp(input)
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{type_name(input)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if data.ndim != 1 or (data.size and int(data.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return new(mod.bincount(data, minlength=minlength).astype(np.int64, copy=False))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = w.dtype if w.dtype in (np.float32, np.float16) else np.dtype(np.float64)
    return new(mod.bincount(data, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype))


def _fmt(v: float) -> str:
    return "nan" if v != v else f"{v:g}"


@tensor_method("histc")
def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:  # noqa: A002
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for \'{type_name(input)}\'')
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    mod = xp(input)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_fmt(lo)}, {_fmt(hi)}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    flat = data.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    # same operation order and dtype as torch, so edge values land in the same bin
    pos = ((flat - data.dtype.type(lo)) * data.dtype.type(bins) / data.dtype.type(hi - lo)).astype(np.int64)
    pos = mod.minimum(pos, bins - 1)
    return new(mod.bincount(pos, minlength=bins).astype(data.dtype))
