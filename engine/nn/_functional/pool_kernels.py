"""Array kernels for max/avg pooling over the trailing spatial dims (numpy or cupy, passed as `m`).

Every kernel is a loop over the kernel offsets, each touching one strided slice of a padded input: max
pooling is np.maximum over the slices, avg pooling a sum of them. Max pooling also records which offset won
(strict '>' so the FIRST maximum wins, like PyTorch), from which both its backward and the flat indices of
return_indices are derived.
"""

from __future__ import annotations

import math
import sys
from itertools import product

import numpy as np

from ..._parallel import run_chunks


class Window:
    """Per spatial dim: kernel, stride, left padding, dilation, input and output sizes."""

    __slots__ = ("kernel", "stride", "pad", "dilation", "size", "out")

    def __init__(self, kernel: tuple, stride: tuple, pad: tuple, dilation: tuple, size: tuple,
                 ceil_mode: bool) -> None:
        self.kernel, self.stride, self.pad, self.dilation, self.size = kernel, stride, pad, dilation, size
        self.out = tuple(output_size(i, k, s, p, d, ceil_mode)
                         for i, k, s, p, d in zip(size, kernel, stride, pad, dilation))

    def padded(self) -> tuple:
        """Extent of the padded input the windows read: ((out - 1) * stride + dilated kernel) per dim."""
        return tuple((o - 1) * s + d * (k - 1) + 1
                     for o, s, d, k in zip(self.out, self.stride, self.dilation, self.kernel))

    def slices(self, off: tuple) -> tuple:
        return tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                     for o, d, n, s in zip(off, self.dilation, self.out, self.stride))

    def offsets(self):
        return product(*[range(k) for k in self.kernel])


def output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size: with ceil_mode the last window must start inside the input or the
    left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pad_to(m, x, win: Window, fill):
    """(N, C, *S) -> (N, C, *padded) with `fill` outside the input (cropped where windows never reach)."""
    nd = len(win.size)
    lead = x.shape[:-nd]
    padded = win.padded()
    if all(p == 0 for p in win.pad) and all(e <= s for e, s in zip(padded, win.size)):
        return x
    buf = m.full((*lead, *padded), fill, x.dtype)
    dst, src = [], []
    for p, s, e in zip(win.pad, win.size, padded):
        stop = min(s, e - p)
        dst.append(slice(p, p + stop))
        src.append(slice(0, stop))
    buf[(Ellipsis, *dst)] = x[(Ellipsis, *src)]
    return buf


def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _chunked(m, fn, arr, nd: int, passes: int = 1) -> None:
    """Run fn(lo, hi) over ranges of the first axis when it is a batch/channel axis (in parallel if big:
    `passes` strided sweeps over arr count as about half an element each)."""
    if arr.ndim > nd and arr.shape[0] > 1:
        run_chunks(m, fn, arr.shape[0], arr.size * max(1, passes // 2))
    else:
        fn(None, None)


def _is_pair_window(m, win: Window) -> bool:
    """The common 2x2 / stride 2 / unpadded window tiling an even-sized numpy input exactly."""
    return (m is np and win.kernel == (2, 2) and win.stride == (2, 2) and win.pad == (0, 0)
            and win.dilation == (1, 1) and win.size == (2 * win.out[0], 2 * win.out[1]) and min(win.out) > 0)


def _is_pair_pool(m, x, win: Window) -> bool:
    return (_is_pair_window(m, win) and x.ndim >= 3 and x.flags.c_contiguous and x.dtype.kind in "fiu")


# Unsigned integers of one element's and of two elements' width (a horizontal pair packed in one word).
_PAIR_WORDS = {2: (np.uint16, np.uint32), 4: (np.uint32, np.uint64)}


def _pair_max_forward(x, win: Window, want_arg: bool):
    """2x2 stride-2 max in two passes: max of each horizontal pair (one strided read of the input), then
    of each vertical pair of those (contiguous rows). Ties keep the left, then the top: the first maximum
    in row-major window order, as the generic loop. NaN propagates through np.maximum; its winner is
    recomputed by the caller."""
    ho, wo = win.out
    rows = x.size // (2 * wo * 2)  # output rows over all leading dims
    pairs = x.reshape(rows, 2, wo, 2)
    out = np.empty((rows, wo), x.dtype)
    arg = np.empty((rows, wo), np.int8) if want_arg else None

    def chunk(lo, hi) -> None:
        p = pairs[lo:hi]
        left, right = p[..., 0], p[..., 1]
        hmax = np.maximum(left, right)
        top, bot = hmax[:, 0], hmax[:, 1]
        np.maximum(top, bot, out=out[lo:hi])
        if want_arg:
            right_won = np.greater(right, left)
            bot_won = np.greater(bot, top)
            col = np.where(bot_won, right_won[:, 1], right_won[:, 0])
            a = arg[lo:hi]
            np.left_shift(bot_won.view(np.int8), 1, out=a)
            np.bitwise_or(a, col.view(np.int8), out=a)

    run_chunks(np, chunk, rows, x.size)
    shape = (*x.shape[:-2], ho, wo)
    return out.reshape(shape), (arg.reshape(shape) if want_arg else None)


def max_forward(m, x, win: Window, want_arg: bool):
    """-> (max values, winning offset number per output or None)."""
    if _is_pair_pool(m, x, win):
        return _pair_max_forward(x, win, want_arg)
    xp_ = pad_to(m, x, win, _lowest(x.dtype))
    nd = len(win.size)
    out_shape = (*x.shape[:-nd], *win.out)
    out = m.empty(out_shape, x.dtype)
    count = math.prod(win.kernel)
    arg_dtype = np.int8 if count < 128 else (np.int16 if count < 32768 else np.int32)
    arg = m.empty(out_shape, arg_dtype) if want_arg else None
    slices = [win.slices(off) for off in win.offsets()]

    def chunk(lo, hi) -> None:
        rows = slice(lo, hi)
        res = out[rows]
        src = xp_[rows]
        res[...] = src[(Ellipsis, *slices[0])]
        if want_arg:
            arg[rows].fill(0)
        for i, sl in enumerate(slices[1:], 1):
            part = src[(Ellipsis, *sl)]
            if want_arg:
                m.copyto(arg[rows], i, where=part > res)
            m.maximum(res, part, out=res)

    _chunked(m, chunk, out, nd)
    return out, arg


def _pair_max_backward(g, arg, shape: tuple):
    """max_backward of the 2x2 stride-2 pool without strided writes: each horizontal pair of the input
    gradient is one double-width word, holding g's bits shifted to the winning half (little-endian), and
    each output row writes a top and a bottom row of such words (the loser row gets zeros)."""
    half, word = _PAIR_WORDS[g.dtype.itemsize]
    wo = shape[-1] // 2
    rows = g.size // wo
    bits = np.ascontiguousarray(g).reshape(rows, wo).view(half)
    a = arg.reshape(rows, wo)
    res = np.empty((rows, 2, wo), word)
    width = 8 * g.dtype.itemsize

    def chunk(lo, hi) -> None:
        aa = a[lo:hi]
        right = np.bitwise_and(aa, 1).astype(word)
        np.multiply(right, width, out=right)
        packed = np.left_shift(bits[lo:hi].astype(word), right, out=right)
        top = aa < 2
        np.multiply(packed, top, out=res[lo:hi, 0])
        np.multiply(packed, ~top, out=res[lo:hi, 1])

    run_chunks(np, chunk, rows, 4 * g.size)
    return res.view(g.dtype).reshape(shape)


def max_backward(m, g, arg, win: Window, shape: tuple):
    """Route each output gradient to the input position of its window's (first) maximum."""
    if (_is_pair_window(m, win) and g.dtype.itemsize in _PAIR_WORDS and g.dtype.kind == "f"
            and sys.byteorder == "little"):
        return _pair_max_backward(g, arg, shape)
    padded = win.padded()
    nd = len(win.size)
    lead = shape[:-nd]
    exact = all(p == 0 for p in win.pad) and all(e <= s for e, s in zip(padded, win.size))
    full = shape if exact else (*lead, *(max(e, s + p) for e, s, p in zip(padded, win.size, win.pad)))
    buf = m.empty(full, g.dtype)
    overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(win.stride, win.dilation, win.kernel))
    slices = [win.slices(off) for off in win.offsets()]
    zero = g.dtype.type(0)

    def chunk(lo, hi) -> None:
        rows = slice(lo, hi)
        dst, gg, aa = buf[rows], g[rows], arg[rows]
        dst.fill(0)
        for i, sl in enumerate(slices):
            view = dst[(Ellipsis, *sl)]
            if overlap:
                view += m.where(aa == i, gg, zero)
            else:
                m.copyto(view, gg, where=aa == i)

    _chunked(m, chunk, buf, nd, len(slices))
    if exact:
        return buf
    return buf[(Ellipsis, *(slice(p, p + s) for p, s in zip(win.pad, win.size)))].copy()


def flat_indices(m, arg, win: Window):
    """Winning offset numbers -> int64 flat index into each input plane (PyTorch's return_indices)."""
    nd = len(win.size)
    coords = m.unravel_index(arg.astype(np.int64), win.kernel)
    flat = None
    for dim in range(nd):
        shape = [1] * arg.ndim
        shape[arg.ndim - nd + dim] = win.out[dim]
        start = (m.arange(win.out[dim], dtype=np.int64) * win.stride[dim] - win.pad[dim]).reshape(shape)
        pos = start + coords[dim] * win.dilation[dim]
        flat = pos if flat is None else flat * win.size[dim] + pos
    return flat


def avg_divisor(m, win: Window, count_include_pad: bool, divisor_override, dtype):
    """Per-output divisor (broadcastable to the output), or a number when it is the same everywhere."""
    if divisor_override:
        return divisor_override
    factors = []
    uniform = True
    for k, s, p, size, n in zip(win.kernel, win.stride, win.pad, win.size, win.out):
        start = np.arange(n) * s - p
        end = np.minimum(start + k, size + p)
        pool = end - start
        if not count_include_pad:
            pool = np.minimum(end, size) - np.maximum(start, 0)
        uniform = uniform and bool(np.all(pool == k))
        factors.append(pool)
    if uniform:
        return math.prod(win.kernel)
    div = np.ones((), np.float64)
    for pool in factors:
        div = np.multiply.outer(div, pool)
    arr = div.astype(dtype if dtype.kind == "f" else np.float64)
    return arr if m is np else m.asarray(arr)


def sum_forward(m, x, win: Window):
    xp_ = pad_to(m, x, win, 0)
    nd = len(win.size)
    out = m.empty((*x.shape[:-nd], *win.out), x.dtype)
    slices = [win.slices(off) for off in win.offsets()]

    def chunk(lo, hi) -> None:
        rows = slice(lo, hi)
        res, src = out[rows], xp_[rows]
        res[...] = src[(Ellipsis, *slices[0])]
        for sl in slices[1:]:
            m.add(res, src[(Ellipsis, *sl)], out=res)

    _chunked(m, chunk, out, nd)
    return out


def sum_adjoint(m, g, win: Window, shape: tuple):
    """Adjoint of sum_forward: spread each output value over its window, cropped to the input."""
    nd = len(win.size)
    lead = shape[:-nd]
    padded = win.padded()
    exact = all(p == 0 for p in win.pad) and all(e <= s for e, s in zip(padded, win.size))
    full = shape if exact else (*lead, *(max(e, s + p) for e, s, p in zip(padded, win.size, win.pad)))
    buf = m.empty(full, g.dtype)
    slices = [win.slices(off) for off in win.offsets()]

    def chunk(lo, hi) -> None:
        rows = slice(lo, hi)
        dst, gg = buf[rows], g[rows]
        dst.fill(0)
        for sl in slices:
            dst[(Ellipsis, *sl)] += gg

    _chunked(m, chunk, buf, nd)
    if exact:
        return buf
    return buf[(Ellipsis, *(slice(p, p + s) for p, s in zip(win.pad, win.size)))].copy()
