"""Pooling primitives (one Node each, numpy backward) and the separable linear map used by adaptive average
pooling and interpolation. Under create_graph every backward is built from differentiable engine ops."""

from __future__ import annotations

import math
from itertools import product

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor, grad_needed
from . import pool_kernels as P
from .pool_kernels import Window


# ------------------------------------------------------------------------------------------ max pool ---
class MaxPoolWithIndicesBackward(Node):
    __slots__ = ("win", "arg", "shape", "flat")

    def name(self) -> str:
        return f"MaxPool{len(self.win.size)}DWithIndicesBackward0"

    def backward(self, g):
        if STATE.enabled:
            if self.flat is None:
                self.flat = P.flat_indices(xp(g), self.arg, self.win)
            return (gather_scatter(g, self.flat, self.shape, len(self.win.size)),)
        return (new(P.max_backward(xp(g), g._data, self.arg, self.win, self.shape)),)


def gather_scatter(g: Tensor, flat_idx, shape: tuple, nd: int, add: bool = True) -> Tensor:
    """Differentiable: zeros of `shape` with g's values added (or written) at flat per-plane positions."""
    from ...ops.creation import zeros

    head = tuple(shape[:len(shape) - nd])
    base = zeros((*head, math.prod(shape[len(shape) - nd:])), dtype=g.dtype)
    idx = new(np.ascontiguousarray(flat_idx).reshape(*head, -1) if isinstance(flat_idx, np.ndarray)
              else flat_idx.reshape(*head, -1))
    src = g.reshape(*head, -1)
    return (base.scatter_add(-1, idx, src) if add else base.scatter(-1, idx, src)).reshape(shape)


def max_pool(x: Tensor, win: Window, return_indices: bool):
    m = xp(x)
    data = x._data
    track = return_indices or grad_needed(x)
    out, arg = P.max_forward(m, data, win, track)
    if track and data.dtype.kind == "f" and out.size and m.isnan(out).any():
        arg = _nan_aware_arg(m, data, win)
    result = new(out)
    flat = P.flat_indices(m, arg, win) if return_indices else None
    if grad_needed(x):
        node = MaxPoolWithIndicesBackward(result, x)
        node.win, node.arg, node.shape, node.flat = win, arg, tuple(data.shape), flat
    return (result, new(flat)) if return_indices else result


def _nan_aware_arg(m, data, win: Window):
    """PyTorch's rule with NaN: a NaN always takes over the window (so the LAST NaN wins)."""
    xp_ = P.pad_to(m, data, win, -np.inf)
    best = arg = None
    for i, off in enumerate(win.offsets()):
        sl = xp_[(Ellipsis, *win.slices(off))]
        if best is None:
            best, arg = sl.copy(), m.zeros(sl.shape, np.int32)
            continue
        take = (sl > best) | m.isnan(sl)
        m.copyto(arg, i, where=take)
        m.copyto(best, sl, where=take)
    return arg


# ------------------------------------------------------------------------------------------ avg pool ---
class AvgPoolBackward(Node):
    __slots__ = ("win", "div", "shape")

    def name(self) -> str:
        return f"AvgPool{len(self.win.size)}DBackward0"

    def backward(self, g):
        return (avg_adjoint(g, self.win, self.div, self.shape),)


class AvgPoolAdjointBackward(Node):
    __slots__ = ("win", "div")

    def name(self) -> str:
        return f"AvgPool{len(self.win.size)}DBackwardBackward0"

    def backward(self, h):
        return (avg_pool(h, self.win, self.div),)


def avg_pool(x: Tensor, win: Window, div) -> Tensor:
    m = xp(x)
    data = x._data
    total = P.sum_forward(m, data, win)
    if data.dtype.kind in "iub":
        out = m.trunc(total / div).astype(data.dtype)
    elif isinstance(div, (int, float)) and div == 1:
        out = total
    else:
        out = m.divide(total, div, out=total)
    result = new(out)
    if grad_needed(x):
        node = AvgPoolBackward(result, x)
        node.win, node.div, node.shape = win, div, tuple(data.shape)
    return result


def avg_adjoint(g: Tensor, win: Window, div, shape: tuple) -> Tensor:
    m = xp(g)
    gd = g._data / div if not (isinstance(div, (int, float)) and div == 1) else g._data
    result = new(P.sum_adjoint(m, gd.astype(g._data.dtype, copy=False), win, shape))
    if grad_needed(g):
        node = AvgPoolAdjointBackward(result, g)
        node.win, node.div = win, div
    return result


# ----------------------------------------------------------------------------------- adaptive max ---
class AdaptiveMaxPoolBackward(Node):
    __slots__ = ("flat", "shape", "nd")

    def name(self) -> str:
        return f"AdaptiveMaxPool{self.nd}DBackward0"

    def backward(self, g):
        return (gather_scatter(g, self.flat, self.shape, self.nd),)


def adaptive_bounds(size: int, out: int) -> list:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_max_pool(x: Tensor, out_size: tuple, return_indices: bool):
    m = xp(x)
    data = x._data
    nd = len(out_size)
    size = data.shape[-nd:]
    lead = data.shape[:-nd]
    if all(o > 0 and s % o == 0 for s, o in zip(size, out_size)):
        k = tuple(s // o for s, o in zip(size, out_size))
        win = Window(k, k, (0,) * nd, (1,) * nd, tuple(size), False)
        out, arg = P.max_forward(m, data, win, True)
        flat = P.flat_indices(m, arg, win)
    else:
        out = m.empty((*lead, *out_size), data.dtype)
        flat = m.empty((*lead, *out_size), np.int64)
        bounds = [adaptive_bounds(s, o) for s, o in zip(size, out_size)]
        for pos in product(*[range(o) for o in out_size]):
            spans = [bounds[d][p] for d, p in enumerate(pos)]
            block = data[(Ellipsis, *(slice(a, b) for a, b in spans))]
            extent = block.shape[-nd:]
            block = block.reshape(*lead, -1)
            a = block.argmax(-1)
            out[(Ellipsis, *pos)] = m.take_along_axis(block, a[..., None], -1)[..., 0]
            coords = m.unravel_index(a, extent)
            f = 0
            for d in range(nd):
                f = f * size[d] + coords[d] + spans[d][0]
            flat[(Ellipsis, *pos)] = f
    result = new(out)
    if grad_needed(x):
        node = AdaptiveMaxPoolBackward(result, x)
        node.flat, node.shape, node.nd = flat, tuple(data.shape), nd
    return (result, new(flat)) if return_indices else result


# --------------------------------------------------------------------- separable linear resampling ---
class SeparableBackward(Node):
    __slots__ = ("mats", "label")

    def name(self) -> str:
        return self.label

    def backward(self, g):
        return (separable(g, [mt.T for mt in self.mats], self.label.replace("0", "Backward0", 1)),)


def separable(x: Tensor, mats: list, label: str) -> Tensor:
    """Apply matrix mats[i] (out_i, in_i) along trailing spatial dim i (len(mats) trailing dims)."""
    m = xp(x)
    data = x._data
    nd = len(mats)
    for i, mat in enumerate(mats):
        mat = mat.astype(data.dtype, copy=False)
        axis = data.ndim - nd + i
        if axis == data.ndim - 1:
            data = data @ mat.T
        elif axis == data.ndim - 2:
            data = mat @ data
        else:
            data = m.moveaxis(m.moveaxis(data, axis, -1) @ mat.T, -1, axis)
    result = new(m.ascontiguousarray(data))
    if grad_needed(x):
        node = SeparableBackward(result, x)
        node.mats, node.label = mats, label
    return result


def adaptive_avg_matrix(m, size: int, out: int):
    mat = np.zeros((out, size))
    for i, (a, b) in enumerate(adaptive_bounds(size, out)):
        mat[i, a:b] = 1.0 / (b - a)
    return mat if m is np else m.asarray(mat)
