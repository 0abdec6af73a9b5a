"""pad (constant / reflect / replicate / circular) and the index primitives its backward is built from.

Reflect, replicate and circular padding are gathers along each padded dim with a precomputed index vector
(`_index_select_dim`); their backward is the adjoint scatter-add (`_index_add_dim`). The two primitives are
each other's backward, so double backward works through them.
"""

from __future__ import annotations

import operator

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import new, xp

__all__ = ["pad"]


# ------------------------------------------------------------------------------------ constant pad ---
class ConstantPadNdBackward0(Node):
    __slots__ = ("pads",)

    def backward(self, g):
        return (constant_pad(g, [-p for p in self.pads]),)


def _fill_value(value, np_dtype):
    if value is None or value == 0:
        return 0
    if np_dtype.kind in "iu" and isinstance(value, float):
        return int(value)  # torch truncates the pad value towards zero for integer tensors
    if np_dtype.kind == "b":
        return bool(value)
    return value


def constant_pad(input: Tensor, pads, value=0, copy: bool = False) -> Tensor:
    """Pad (or crop, for negative amounts) the last len(pads)//2 dims; pads run from the last dim."""
    data = input._data
    shape = data.shape
    ndim = len(shape)
    out_shape = list(shape)
    src = [slice(None)] * ndim
    dst = [slice(None)] * ndim
    crop_only = True
    for i in range(len(pads) // 2):
        d = ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        size = shape[d] + lo + hi
        if size < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        out_shape[d] = size
        crop_only = crop_only and lo <= 0 and hi <= 0
        src[d] = slice(max(-lo, 0), shape[d] - max(-hi, 0))
        dst[d] = slice(max(lo, 0), size - max(hi, 0))
    if crop_only:
        out = data[tuple(src)]
        if copy:
            out = out.copy()
    else:
        m = xp(input)
        fill = _fill_value(value, data.dtype)
        out = m.zeros(out_shape, data.dtype) if fill == 0 else m.full(out_shape, fill, data.dtype)
        out[tuple(dst)] = data[tuple(src)]
    result = new(out)
    if grad_needed(input):
        ConstantPadNdBackward0(result, input).pads = tuple(pads)
    return result


def pad_dim(input: Tensor, dim: int, before: int, after: int) -> Tensor:
    """Zero-pad (negative: crop) one dimension."""
    pads = [0] * (2 * (input._data.ndim - dim))
    pads[-2], pads[-1] = before, after
    return constant_pad(input, pads)


# ------------------------------------------------------------------- gather / scatter-add along a dim ---
def _on_device(idx: np.ndarray, like):
    if like.__class__ is np.ndarray:
        return idx
    from ..backend import array_module

    return array_module(like).asarray(idx)


def _occurrence_levels(idx: np.ndarray) -> list:
    """Split positions of idx into groups in which no index repeats (so `out[idx] += g` is exact)."""
    if idx.size == 0:
        return []
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    first = np.empty(idx.size, dtype=bool)
    first[0] = True
    np.not_equal(sidx[1:], sidx[:-1], out=first[1:])
    pos = np.arange(idx.size)
    occ_sorted = pos - np.maximum.accumulate(np.where(first, pos, 0))
    occ = np.empty_like(occ_sorted)
    occ[order] = occ_sorted
    top = int(occ.max())
    if top == 0:
        return [None]
    return [np.flatnonzero(occ == level) for level in range(top + 1)]


class IndexSelectBackward0(Node):
    __slots__ = ("idx", "dim", "size")

    def backward(self, g):
        return (index_add_dim(g, self.idx, self.dim, self.size),)


class IndexAddBackward0(Node):
    __slots__ = ("idx", "dim")

    def backward(self, g):
        return (index_select_dim(g, self.idx, self.dim),)


def _longest_run(idx: np.ndarray) -> tuple:
    """(a, b): the longest stretch with idx[a:b] == idx[a] + arange(b - a), copied as one slice."""
    if idx.size == 0:
        return 0, 0
    cuts = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [idx.size]))
    k = int(np.argmax(ends - starts))
    return int(starts[k]), int(ends[k])


def index_select_dim(input: Tensor, idx: np.ndarray, dim: int) -> Tensor:
    """input gathered along dim at idx (a 1-D host array): out[..., j, ...] = input[..., idx[j], ...]."""
    data = input._data
    m = xp(input)
    shape = list(data.shape)
    shape[dim] = idx.size
    out = m.empty(shape, data.dtype)
    lead = (slice(None),) * dim
    a, b = _longest_run(idx)
    if b > a:
        out[lead + (slice(a, b),)] = data[lead + (slice(int(idx[a]), int(idx[a]) + b - a),)]
    if a:
        out[lead + (slice(0, a),)] = m.take(data, _on_device(idx[:a], data), axis=dim)
    if b < idx.size:
        out[lead + (slice(b, None),)] = m.take(data, _on_device(idx[b:], data), axis=dim)
    result = new(out)
    if grad_needed(input):
        node = IndexSelectBackward0(result, input)
        node.idx, node.dim, node.size = idx, dim, data.shape[dim]
    return result


def index_add_dim(input: Tensor, idx: np.ndarray, dim: int, size: int) -> Tensor:
    """out[..., idx[j], ...] += input[..., j, ...] along dim, into zeros with `size` entries there."""
    data = input._data
    m = xp(input)
    shape = list(data.shape)
    shape[dim] = size
    out = m.zeros(shape, data.dtype)
    lead = (slice(None),) * dim
    a, b = _longest_run(idx)
    if b > a:
        out[lead + (slice(int(idx[a]), int(idx[a]) + b - a),)] = data[lead + (slice(a, b),)]
    rest = np.concatenate((np.arange(a), np.arange(b, idx.size)))
    targets = idx[rest]
    for sel in _occurrence_levels(targets):
        pos = rest if sel is None else rest[sel]
        into = targets if sel is None else targets[sel]
        out[lead + (_on_device(into, data),)] += m.take(data, _on_device(pos, data), axis=dim)
    result = new(out)
    if grad_needed(input):
        node = IndexAddBackward0(result, input)
        node.idx, node.dim = idx, dim
    return result


# ------------------------------------------------------------------------ reflect/replicate/circular ---
class _IndexPadBackward(Node):
    __slots__ = ("plan",)

    def backward(self, g):
        for dim, idx, size in reversed(self.plan):
            g = index_add_dim(g, idx, dim, size)
        return (g,)


def _pad_node(name: str):
    return type(name, (_IndexPadBackward,), {"__slots__": ()})


_NODES = {(mode, n): _pad_node(f"{prefix}{n}DBackward0")
          for mode, prefix in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad"))
          for n in (1, 2, 3)}
CopySlices = _pad_node("CopySlices")  # torch builds circular padding from slice copies


def _too_small(shape: tuple, out: list, n: int) -> str:
    names = "DHW"[3 - n:]
    sizes = shape[len(shape) - n:]
    inp = ", ".join(f"{c}: {s}" for c, s in zip(names, sizes))
    calc = " ".join(f"{c}: {s}" for c, s in zip(names, out))
    return f"input ({inp}) is too small. Calculated output {calc}"


def _index_plan(shape: tuple, pads, mode: str) -> list:
    ndim = len(shape)
    n = len(pads) // 2
    if mode in ("reflect", "replicate"):
        batched = ndim == n + 2
        if any(s == 0 for s in shape[1 if batched else 0:]):
            raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch "
                               f"size and other non-zero dimensions for input, but got: {list(shape)}")
    if mode == "reflect":
        for i in range(n):
            d, lo, hi = ndim - 1 - i, pads[2 * i], pads[2 * i + 1]
            if lo >= shape[d] or hi >= shape[d]:
                raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the "
                                   f"corresponding input dimension, but got: padding ({lo}, {hi}) at "
                                   f"dimension {d} of input {list(shape)}")
    if mode != "circular":
        out = [shape[ndim - 1 - i] + pads[2 * i] + pads[2 * i + 1] for i in range(n)][::-1]
        if any(o < 1 for o in out):
            raise RuntimeError(_too_small(shape, out, n))
    plan = []
    for i in range(n):
        d, lo, hi = ndim - 1 - i, pads[2 * i], pads[2 * i + 1]
        size = shape[d]
        if mode == "circular":
            if lo > size or hi > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            kept = size + min(lo, 0) + min(hi, 0)
            total = kept + max(lo, 0) + max(hi, 0)
            if kept < 0 or (kept == 0 and total > 0):
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
            j = np.arange(-max(lo, 0), kept + max(hi, 0))
            idx = max(-lo, 0) + (j % kept if kept else j)
        else:
            j = np.arange(-lo, size + hi)
            if mode == "reflect":
                j = np.abs(j)
                idx = np.where(j >= size, 2 * (size - 1) - j, j)
            else:
                idx = np.clip(j, 0, size - 1)
        if lo or hi:
            plan.append((d, idx.astype(np.intp), size))
    return plan


def _index_pad(input: Tensor, pads, mode: str) -> Tensor:
    if mode != "circular" and input._data.dtype.kind == "b":
        kernel = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f'"{kernel}_pad{len(pads) // 2}d" not implemented for \'Bool\'')
    plan = _index_plan(input._data.shape, pads, mode)
    data = input._data
    m = xp(input)
    for d, idx, _ in plan:
        data = m.take(data, _on_device(idx, data), axis=d)
    result = new(data if plan else data.copy())
    if grad_needed(input):
        node_cls = CopySlices if mode == "circular" else _NODES[(mode, len(pads) // 2)]
        node_cls(result, input).plan = plan
    return result


_NOT_SUPPORTED = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """torch.nn.functional.pad: `pad` lists (left, right) amounts from the last dimension backwards."""
    pads = []
    for pos, p in enumerate(pad):
        try:
            pads.append(operator.index(p))
        except TypeError:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element "
                            f"of type {type(p).__name__} at pos {pos}") from None
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim = input._data.ndim
    if mode == "constant":
        if len(pads) // 2 > ndim:
            raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                               f"dimension but got padding length {len(pads)} and input of dimension {ndim}")
        return constant_pad(input, pads, value, copy=True)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pads) // 2
    if n not in (1, 2, 3) or ndim not in (n + 1, n + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {ndim}D input tensor.\n"
                                  + _NOT_SUPPORTED)
    return _index_pad(input, pads, mode)
