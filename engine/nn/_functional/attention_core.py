"""The attention weights softmax(Q K^T * scale + mask) as one primitive, with its backward beside it.

On numpy the batch (batch*heads) is split across threads and each chunk does its scores GEMM, scale, mask
and softmax while the scores are still in that core's cache; the backward does the same with the softmax
gradient and the two GEMMs for dQ and dK. Anything else (cupy, a mask that needs a gradient, broadcast
batch dims) composes matmul with the fused scale + mask + softmax node below.
"""

from __future__ import annotations

import numpy as np

from ..._parallel import run_chunks
from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor, grad_needed

__all__ = ["attention_weights", "packed_heads", "scaled_masked_softmax"]


def _softmax_rows(mod, s, safe: bool) -> None:
    """In place: softmax over the last dim of the (non-empty) array s."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        m = s.max(axis=-1, keepdims=True)
        if safe:
            m[mod.isneginf(m)] = 0
        s -= m
        mod.exp(s, out=s)
        # einsum's row sums are several times faster than ndarray.sum over a short last axis
        z = mod.einsum("...j->...", s)[..., None]
        if safe:
            z[z == 0] = 1
        s /= z


def _softmax_grad_into(mod, out, y, g) -> None:
    """out = y * (g - sum(g * y, -1)), the softmax backward, without a (…, L, S) temporary for g * y."""
    dots = mod.einsum("...j,...j->...", g, y)
    mod.subtract(g, dots[..., None], out=out)
    out *= y


def _label(safe: bool) -> str:
    return "_SafeSoftmaxBackward0" if safe else "SoftmaxBackward0"


# ------------------------------------------------------------------------------ fused masked softmax ---
class _ScaledMaskedSoftmax(Node):
    """softmax(scores * scale + mask) over the last dim; the mask (float, additive) may require grad."""

    __slots__ = ("scale", "label")

    def name(self) -> str:
        return self.label

    def backward(self, g):
        (y,) = self.saved_tensors
        if STATE.enabled:  # create_graph: differentiable engine ops
            gs = y * (g - (g * y).sum(-1, keepdim=True))
            return (gs * self.scale if self.needs(0) else None), (gs if self.needs(1) else None)
        mod, yd = xp(y), y._data
        t = mod.empty(yd.shape, dtype=np.result_type(yd, g._data))
        _softmax_grad_into(mod, t, yd, g._data)
        g_mask = new(t) if self.needs(1) else None
        g_scores = None
        if self.needs(0):
            if self.scale == 1:
                g_scores = new(t if g_mask is None else t.copy())
            elif g_mask is None:
                t *= self.scale
                g_scores = new(t)
            else:
                g_scores = new(t * self.scale)
        return g_scores, g_mask


def scaled_masked_softmax(scores: Tensor, mask: Tensor | None, scale: float, safe: bool) -> Tensor:
    """softmax(scores * scale + mask, dim=-1). safe=True gives 0 (not NaN) on rows that are fully masked,
    as torch's scaled_dot_product_attention does; MultiheadAttention's weight path uses plain softmax."""
    mod = xp(scores)
    sd = scores._data
    rows = sd.size // sd.shape[-1] if sd.ndim and sd.shape[-1] else 0
    if (mod is np and mask is None and sd.dtype.kind == "f" and type(scale) in (int, float)
            and sd.flags.c_contiguous and rows > 1):
        # Row blocks in parallel (numpy drops the GIL in ufuncs), each scaled and normalized while cached.
        s = np.empty_like(sd)
        flat_in, flat = sd.reshape(rows, -1), s.reshape(rows, -1)

        def chunk(lo: int, hi: int) -> None:
            part = flat[lo:hi]
            np.multiply(flat_in[lo:hi], scale, out=part)
            _softmax_rows(mod, part, safe)

        run_chunks(np, chunk, rows, sd.size)
    else:
        s = sd * scale if scale != 1 else sd.copy()
        if mask is not None:
            s = s + mask._data
        if s.size:
            _softmax_rows(mod, s, safe)
    out = new(s)
    if grad_needed(scores) if mask is None else grad_needed(scores, mask):
        node = _ScaledMaskedSoftmax(out, scores, mask)
        node.scale = scale
        node.label = _label(safe)
        node.save_with_output(out)
    return out


# --------------------------------------------------------------------------- fused attention weights ---
class _AttentionWeights(Node):
    """weights = softmax(q @ k^T * scale + mask) on (B, L, E) x (B, S, E) arrays; the mask needs no grad."""

    __slots__ = ("scale", "label")

    def name(self) -> str:
        return self.label

    def backward(self, g):
        q, k, y = self.saved_tensors
        if STATE.enabled:  # create_graph: differentiable engine ops
            gs = y * (g - (g * y).sum(-1, keepdim=True)) * self.scale
            return (gs.matmul(k) if self.needs(0) else None,
                    gs.transpose(-2, -1).matmul(q) if self.needs(1) else None)
        qd, kd, yd, gd = q._data, k._data, y._data, g._data
        gq = np.empty(qd.shape, dtype=qd.dtype) if self.needs(0) else None
        gk = np.empty(kd.shape, dtype=kd.dtype) if self.needs(1) else None
        gs = np.empty(yd.shape, dtype=yd.dtype)
        scale = self.scale

        def chunk(lo: int, hi: int) -> None:
            part = gs[lo:hi]
            _softmax_grad_into(np, part, yd[lo:hi], gd[lo:hi])
            if gq is not None:
                np.matmul(part, kd[lo:hi], out=gq[lo:hi])
                if scale != 1:
                    gq[lo:hi] *= scale
            if gk is not None:
                np.matmul(part.transpose(0, 2, 1), qd[lo:hi], out=gk[lo:hi])
                if scale != 1:
                    gk[lo:hi] *= scale

        run_chunks(np, chunk, yd.shape[0], yd.size)
        return (None if gq is None else new(gq)), (None if gk is None else new(gk))


def _fusable(q: Tensor, k: Tensor, mask: Tensor | None, scale: float) -> bool:
    qd, kd = q._data, k._data
    return (type(qd) is np.ndarray and qd.dtype.kind == "f" and qd.dtype == kd.dtype and qd.ndim == 3
            and kd.ndim == 3 and qd.shape[0] == kd.shape[0] and qd.shape[2] == kd.shape[2] and qd.size > 0
            and kd.size > 0 and type(scale) in (int, float)
            and (mask is None or (mask._data.dtype == qd.dtype and not grad_needed(mask))))


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None, scale: float, safe: bool) -> Tensor:
    """softmax(q @ k^T * scale + mask, dim=-1); `safe` as in scaled_masked_softmax."""
    masks = None
    if _fusable(q, k, mask, scale):
        batch, length, source = q._data.shape[0], q._data.shape[1], k._data.shape[1]
        try:
            masks = None if mask is None else np.broadcast_to(mask._data, (batch, length, source))
        except ValueError:  # not broadcastable: the composed path raises torch's error
            masks = False
    if masks is False or not _fusable(q, k, mask, scale):
        return scaled_masked_softmax(q.matmul(k.transpose(-2, -1)), mask, scale, safe)
    qd, kd = q._data, k._data
    y = np.empty((batch, length, source), dtype=qd.dtype)
    keys = kd.transpose(0, 2, 1)

    def chunk(lo: int, hi: int) -> None:
        scores = y[lo:hi]
        # scaling q (L x E per item) is cheaper than scaling the scores (L x S), as torch does too
        queries = qd[lo:hi] * scale if scale != 1 else qd[lo:hi]
        np.matmul(queries, keys[lo:hi], out=scores)
        if masks is not None:
            scores += masks[lo:hi]
        _softmax_rows(np, scores, safe)

    run_chunks(np, chunk, batch, y.size)
    out = new(y)
    if grad_needed(q, k):
        node = _AttentionWeights(out, q, k)
        node.scale = scale
        node.label = _label(safe)
        node.save_with_output(q, k, out)
    return out


# ------------------------------------------------------------------------------------ packed heads ---
class _PackedHeads(Node):
    """(L, N, 3E) packed projections -> q, k, v as (N*heads, L, E/heads); named after the unbind that ends
    torch's chain of view, permute and unbind for the same split."""

    __slots__ = ("heads", "packed_shape")

    def name(self) -> str:
        return "UnbindBackward0"

    def apply(self, grads):
        first = next(g for g in grads if g is not None)
        length, batch, packed = self.packed_shape
        heads, width = self.heads, packed // (3 * self.heads)
        if STATE.enabled:  # create_graph: differentiable engine ops
            from ...ops.joining import stack

            pieces = [g if g is not None else first.new_zeros(first.shape) for g in grads]
            split = stack(pieces).reshape(3, batch, heads, length, width)
            return (split.permute(3, 1, 0, 2, 4).reshape(length, batch, packed),)
        mod = xp(first)
        out = mod.empty((length, batch, 3, heads, width), dtype=first._data.dtype)
        sources = [None if g is None else g._data.reshape(batch, heads, length, width).transpose(2, 0, 1, 3)
                   for g in grads]

        def chunk(lo: int, hi: int) -> None:
            for i, source in enumerate(sources):
                if source is None:
                    out[:, lo:hi, i] = 0
                else:
                    out[:, lo:hi, i] = source[:, lo:hi]

        run_chunks(mod, chunk, batch, out.size)
        return (new(out.reshape(length, batch, packed)),)


def packed_heads(qkv: Tensor, heads: int) -> tuple[Tensor, Tensor, Tensor]:
    """(L, N, 3E) packed q/k/v projections -> q, k, v as (N*heads, L, E/heads) each: one copy forward
    (split over the batch across threads), one copy backward."""
    data = qkv._data
    length, batch, packed = data.shape
    width = packed // (3 * heads)
    mod = xp(qkv)
    source = data.reshape(length, batch, 3, heads, width).transpose(2, 1, 3, 0, 4)  # (3, N, H, L, w)
    split = mod.empty(source.shape, dtype=data.dtype)

    def chunk(lo: int, hi: int) -> None:
        split[:, lo:hi] = source[:, lo:hi]

    run_chunks(mod, chunk, batch, split.size)
    flat = split.reshape(3, batch * heads, length, width)
    outs = (new(flat[0]), new(flat[1]), new(flat[2]))
    if grad_needed(qkv):
        node = _PackedHeads(outs, qkv)
        node.heads, node.packed_shape = heads, data.shape
    return outs
