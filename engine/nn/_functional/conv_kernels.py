"""Array kernels for convolution (numpy or cupy, passed as `m`): im2col / col2im and the three GEMMs.

Layout: the column buffer is channel-major, shape (C, *K, N, *L) (K kernel dims, L output dims), so that
filling it is one slice assignment per kernel offset and the convolution is ONE GEMM
(O, C*K) @ (C*K, N*L). `groups` split C and O and make that GEMM batched over the groups.

Three linear maps share these kernels (x: input, w: weight, g: output-shaped array):
  forward(x, w) -> y          the convolution
  adjoint_x(g, w) -> x-shaped its adjoint in x (gradient w.r.t. input; also the transposed convolution)
  adjoint_w(x, g) -> w-shaped its adjoint in w (gradient w.r.t. weight)
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np

from ..._parallel import gemm, run_chunks

# Images per im2col + GEMM step of the fused kernels: about this many column elements (L3-sized; smaller
# steps lose more to per-call overhead than they gain in cache hits).
FUSED_STEP_ELEMENTS = 1 << 20


class Geometry:
    """Hyper-parameters of one convolution: per spatial dim stride, (lo, hi) padding, dilation; groups."""

    __slots__ = ("stride", "pads", "dilation", "groups")

    def __init__(self, stride: tuple, pads: tuple, dilation: tuple, groups: int) -> None:
        self.stride = stride
        self.pads = pads
        self.dilation = dilation
        self.groups = groups

    def out_size(self, in_size: tuple, kernel: tuple) -> tuple:
        return tuple((i + lo + hi - d * (k - 1) - 1) // s + 1
                     for i, k, s, (lo, hi), d in zip(in_size, kernel, self.stride, self.pads, self.dilation))

    def is_pointwise(self, kernel: tuple) -> bool:
        return (all(k == 1 for k in kernel) and all(s == 1 for s in self.stride)
                and all(p == (0, 0) for p in self.pads))


def padded_channel_major(m, x, pads: tuple):
    """(N, C, *S) -> zero-padded (C, N, *Sp), a view when there is no padding."""
    if all(p == (0, 0) for p in pads):
        return x.swapaxes(0, 1)
    n, c, *size = x.shape
    buf = m.empty((c, n, *(s + lo + hi for s, (lo, hi) in zip(size, pads))), x.dtype)
    inner = tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, pads))
    src = x.swapaxes(0, 1)

    def chunk(a: int, b: int) -> None:
        part = buf[:, a:b]
        part.fill(0)
        part[(slice(None), slice(None)) + inner] = src[:, a:b]

    run_chunks(m, chunk, n, buf.size)
    return buf


def _window(off: tuple, geo: Geometry, out: tuple) -> tuple:
    return tuple(slice(o * d, o * d + (L - 1) * s + 1, s)
                 for o, d, L, s in zip(off, geo.dilation, out, geo.stride))


def im2col(m, xcm, kernel: tuple, geo: Geometry, out: tuple):
    """Padded channel-major input (C, N, *Sp) -> columns (C, *K, N, *L)."""
    c, n = xcm.shape[:2]
    cols = m.empty((c, *kernel, n, *out), xcm.dtype)
    lead = (slice(None),)
    offsets = list(product(*[range(k) for k in kernel]))
    windows = [_window(off, geo, out) for off in offsets]

    def chunk(a: int, b: int) -> None:
        batch = slice(a, b)
        for off, win in zip(offsets, windows):
            cols[lead + off + (batch,)] = xcm[(slice(None), batch) + win]

    run_chunks(m, chunk, n, cols.size)
    return cols


def col2im(m, cols, padded: tuple, geo: Geometry):
    """Columns (C, *K, N, *L) -> (C, N, *Sp), summing overlapping windows (adjoint of im2col)."""
    nd = len(padded)
    c = cols.shape[0]
    kernel = cols.shape[1:1 + nd]
    n = cols.shape[1 + nd]
    out = cols.shape[2 + nd:]
    res = m.empty((c, n, *padded), cols.dtype)
    lead = (slice(None),)
    offsets = list(product(*[range(k) for k in kernel]))
    windows = [_window(off, geo, out) for off in offsets]

    def chunk(a: int, b: int) -> None:
        batch = slice(a, b)
        res[:, batch].fill(0)
        for off, win in zip(offsets, windows):
            res[(slice(None), batch) + win] += cols[lead + off + (batch,)]

    run_chunks(m, chunk, n, cols.size)
    return res


def _crop_batch_major(m, buf, size: tuple, pads: tuple):
    """Padded (C, N, *Sp) -> contiguous (N, C, *S)."""
    inner = buf[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, pads))]
    src = inner.swapaxes(0, 1)
    res = m.empty(src.shape, buf.dtype)

    def chunk(a: int, b: int) -> None:
        res[a:b] = src[a:b]

    run_chunks(m, chunk, src.shape[0], res.size)
    return res


def _bmm(m, a, b):
    return gemm(a[0], b[0])[None] if a.shape[0] == 1 else m.matmul(a, b)


def columns(m, x, kernel: tuple, geo: Geometry, out: tuple):
    """im2col of an (N, C, *S) array, reshaped to (groups, C/groups * prod(K), N * prod(L))."""
    c = x.shape[1]
    if geo.is_pointwise(kernel):
        cols = m.ascontiguousarray(x.swapaxes(0, 1))
    else:
        cols = im2col(m, padded_channel_major(m, x, geo.pads), kernel, geo, out)
    return cols.reshape(geo.groups, c // geo.groups * math.prod(kernel), -1)


def channel_major(m, g, groups: int):
    """(N, O, *L) -> contiguous (groups, O/groups, N * prod(L))."""
    return m.ascontiguousarray(g.swapaxes(0, 1)).reshape(groups, g.shape[1] // groups, -1)


def _to_batch_major(m, prod, n: int, out: tuple, bias, dtype):
    """GEMM result (groups, O/groups, N*L) -> (N, O, *L), adding the bias during the copy."""
    o = prod.shape[0] * prod.shape[1]
    src = prod.reshape(o, n, *out).swapaxes(0, 1)
    res = m.empty((n, o, *out), dtype)
    b = None if bias is None else bias.reshape((o,) + (1,) * len(out))

    def chunk(lo: int, hi: int) -> None:
        if b is None:
            res[lo:hi] = src[lo:hi]
        else:
            m.add(src[lo:hi], b, out=res[lo:hi])

    run_chunks(m, chunk, n, res.size)
    return res


def _fused_forward(x, w, bias, geo: Geometry, out: tuple, keep: bool):
    """numpy, groups == 1: im2col of a few images then their GEMMs straight into the batch-major output,
    per batch chunk on the pool threads (OpenBLAS at 1 thread there). The columns (C, *K, N, *L) are only
    materialized in full when kept for the backward; otherwise each thread reuses a cache-sized buffer."""
    n, c = x.shape[:2]
    o = w.shape[0]
    kernel = w.shape[2:]
    span, ck = math.prod(out), c * math.prod(kernel)
    xcm = padded_channel_major(np, x, geo.pads)
    y = np.empty((n, o, *out), x.dtype)
    y3 = y.reshape(n, o, span)
    w2 = w.reshape(o, ck)
    b2 = None if bias is None else bias.reshape(o, 1)
    cols = np.empty((c, *kernel, n, *out), x.dtype) if keep else None
    step = max(1, FUSED_STEP_ELEMENTS // max(1, ck * span))
    offsets = list(product(*[range(k) for k in kernel]))
    windows = [_window(off, geo, out) for off in offsets]
    lead = (slice(None),)

    def chunk(a: int, b: int) -> None:
        buf = cols if keep else np.empty((c, *kernel, min(step, b - a), *out), x.dtype)
        for s in range(a, b, step):
            e = min(s + step, b)
            base = s if keep else 0
            dst = slice(base, base + e - s)
            for off, win in zip(offsets, windows):
                buf[lead + off + (dst,)] = xcm[(slice(None), slice(s, e)) + win]
            part = buf.reshape(ck, -1, span)[:, dst].transpose(1, 0, 2)
            np.matmul(w2, part, out=y3[s:e])
            if b2 is not None:
                y3[s:e] += b2

    run_chunks(np, chunk, n, n * ck * span)
    return y, (cols.reshape(1, ck, -1) if keep else None)


def forward(m, x, w, bias, geo: Geometry, out: tuple | None = None, keep: bool = True):
    """Convolution of x (N, C, *S) with w (O, C/groups, *K) -> (y (N, O, *L), columns or None).
    keep=False allows not returning the columns (None then; they are only needed for grad_weight)."""
    kernel = w.shape[2:]
    if out is None:
        out = geo.out_size(x.shape[2:], kernel)
    if m is np and geo.groups == 1 and not geo.is_pointwise(kernel):
        return _fused_forward(x, w, bias, geo, out, keep)
    cols = columns(m, x, kernel, geo, out)
    wg = w.reshape(geo.groups, w.shape[0] // geo.groups, -1)
    return _to_batch_major(m, _bmm(m, wg, cols), x.shape[0], out, bias, x.dtype), cols


def adjoint_x_cm(m, gcm, w, size: tuple, n: int, out: tuple, geo: Geometry):
    """Adjoint in x from a channel-major output gradient (groups, O/groups, N*L) -> (N, C, *S)."""
    kernel = w.shape[2:]
    wg = w.reshape(geo.groups, w.shape[0] // geo.groups, -1)
    c = w.shape[1] * geo.groups
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, geo.pads))
    if geo.is_pointwise(kernel):
        gcols = _bmm(m, wg.transpose(0, 2, 1), gcm)
        return m.ascontiguousarray(gcols.reshape(c, n, *size).swapaxes(0, 1))
    if all(s == 1 for s in geo.stride):
        return _crop_batch_major(m, _col2im_flat(m, gcm, wg, c, n, out, padded, kernel, geo), size, geo.pads)
    gcols = _bmm(m, wg.transpose(0, 2, 1), gcm).reshape(c, *kernel, n, *out)
    return _crop_batch_major(m, col2im(m, gcols, padded, geo), size, geo.pads)


def _col2im_flat(m, gcm, wg, c: int, n: int, out: tuple, padded: tuple, kernel: tuple, geo: Geometry):
    """Stride-1 col2im without short inner loops: the output gradient is laid on the padded grid (zeros
    where no output exists), so each kernel offset adds ONE contiguous shifted range of the flat image."""
    groups, og = gcm.shape[:2]
    plane = math.prod(padded)
    grid = m.zeros((groups, og, n, *padded), gcm.dtype)
    grid[(slice(None),) * 3 + tuple(slice(0, o) for o in out)] = gcm.reshape(groups, og, n, *out)
    gcols = _bmm(m, wg.transpose(0, 2, 1), grid.reshape(groups, og, n * plane))
    gcols = gcols.reshape(c, -1, n * plane)
    steps = [math.prod(padded[d + 1:]) for d in range(len(padded))]
    shifts = [sum(o * d * st for o, d, st in zip(off, geo.dilation, steps))
              for off in product(*[range(k) for k in kernel])]
    total = n * plane
    res = m.empty((c, total + max(shifts)), gcm.dtype)

    def chunk(a: int, b: int) -> None:
        rows = res[a:b]
        rows.fill(0)
        for i, sh in enumerate(shifts):
            rows[:, sh:sh + total] += gcols[a:b, i]

    run_chunks(m, chunk, c, gcols.size)
    return res[:, :total].reshape(c, n, *padded)


def adjoint_w_cm(m, gcm, cols, wshape: tuple):
    """Adjoint in w: channel-major output gradient (g, O/g, N*L) times columns (g, C/g*K, N*L)."""
    return _bmm(m, gcm, cols.transpose(0, 2, 1)).reshape(wshape)


def adjoint_x(m, g, w, size: tuple, geo: Geometry, bias=None):
    """Transposed convolution: g (N, O, *L) -> (N, C, *S) (+ bias over C)."""
    res = adjoint_x_cm(m, channel_major(m, g, geo.groups), w, size, g.shape[0], g.shape[2:], geo)
    if bias is not None:
        res += bias.reshape((-1,) + (1,) * len(size))
    return res


def adjoint_w(m, x, g, wshape: tuple, geo: Geometry):
    cols = columns(m, x, wshape[2:], geo, g.shape[2:])
    return adjoint_w_cm(m, channel_major(m, g, geo.groups), cols, wshape)
