"""One time step of the recurrent cells (RNN tanh/relu, GRU, LSTM) and the time loop over a layer.

The input projection x @ W_ih^T + b_ih of ALL time steps is one GEMM done by the caller; a step only adds
the hidden projection. Gate orders are torch's: GRU (r, z, n), LSTM (i, f, g, o).
"""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import new
from ...ops._helpers import xp as array_module_of
from ...ops.blas import addmm
from ...ops.joining import cat
from ...tensor import Tensor, grad_needed
from .linear import linear

__all__: list[str] = []


def _pre(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    return xp + linear(h, w_hh, b_hh) if b_hh is not None else addmm(xp, h, w_hh.t())


def rnn_tanh_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    return _pre(xp, h, w_hh, b_hh).tanh()


def rnn_relu_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    return _pre(xp, h, w_hh, b_hh).relu()


def gru_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    hidden = h.shape[-1]
    gh = linear(h, w_hh, b_hh)
    rz = (xp[..., :2 * hidden] + gh[..., :2 * hidden]).sigmoid()
    r, z = rz[..., :hidden], rz[..., hidden:]
    n = (xp[..., 2 * hidden:] + r * gh[..., 2 * hidden:]).tanh()
    return n + z * (h - n)


def lstm_step(xp: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None,
              w_hr: Tensor | None) -> tuple[Tensor, Tensor]:
    """xp already holds x W_ih^T + b_ih (+ b_hh when the caller folded it in and passes b_hh=None)."""
    h, c = lstm_pointwise(_pre(xp, h, w_hh, b_hh), c)
    if w_hr is not None:
        h = linear(h, w_hr)
    return h, c


def _sigmoid(mod, x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + mod.exp(-x))


class _LstmPointwise(Node):
    """(gates, c) -> (h', c'): the elementwise half of an LSTM step, one node instead of about ten."""

    __slots__ = ()

    def name(self) -> str:
        return "LstmPointwiseBackward0"

    def apply(self, grads):
        gh, gc = grads
        act, c, tc = self.saved_tensors
        if STATE.enabled:  # create_graph: the same formulas with differentiable engine ops
            return _lstm_grads_composite(gh, gc, act, c, tc)
        hidden = c._data.shape[-1]
        a, cd, t = act._data, c._data, tc._data
        i, f, g, o = (a[..., k * hidden:(k + 1) * hidden] for k in range(4))
        mod = array_module_of(act)
        dc = mod.zeros_like(t) if gc is None else gc._data.astype(t.dtype, copy=True)
        out = mod.empty_like(a)
        if gh is not None:
            ghd = gh._data
            dc += ghd * o * (1 - t * t)
            out[..., 3 * hidden:] = ghd * t * o * (1 - o)
        else:
            out[..., 3 * hidden:] = 0
        out[..., :hidden] = dc * g * i * (1 - i)
        out[..., hidden:2 * hidden] = dc * cd * f * (1 - f)
        out[..., 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
        return new(out), (new(dc * f) if self.needs(1) else None)


def _lstm_grads_composite(gh, gc, act, c, tc):
    i, f, g, o = act.chunk(4, -1)
    dc = tc * 0 if gc is None else gc
    if gh is not None:
        dc = dc + gh * o * (1 - tc * tc)
        do = gh * tc * o * (1 - o)
    else:
        do = o * 0
    gates = cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), do], -1)
    return gates, dc * f


def lstm_pointwise(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """Gate pre-activations (i, f, g, o) and the cell state -> (h', c')."""
    mod = array_module_of(gates)
    hidden = c._data.shape[-1]
    gd = gates._data
    act = mod.empty_like(gd)
    act[..., :2 * hidden] = _sigmoid(mod, gd[..., :2 * hidden])
    act[..., 2 * hidden:3 * hidden] = mod.tanh(gd[..., 2 * hidden:3 * hidden])
    act[..., 3 * hidden:] = _sigmoid(mod, gd[..., 3 * hidden:])
    i, f, g, o = (act[..., k * hidden:(k + 1) * hidden] for k in range(4))
    c_new = f * c._data + i * g
    t = mod.tanh(c_new)
    h_out, c_out = new(o * t), new(c_new)
    if grad_needed(gates, c):
        node = _LstmPointwise((h_out, c_out), gates, c)
        node.save(new(act), c, new(t))
    return h_out, c_out


def run_direction(mode: str, xs: list[Tensor], sizes: list[int], h0: Tensor, c0: Tensor | None,
                  w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None, reverse: bool):
    """Run one direction of one layer over the per-step input projections xs (step t holds the first
    sizes[t] sequences, sizes non-increasing). Returns (per-step outputs, h_n, c_n)."""
    steps = len(xs)
    outs: list[Tensor | None] = [None] * steps
    lstm = mode == "LSTM"
    step = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "GRU": gru_step}.get(mode)
    if not reverse:
        h, c = h0, c0
        done_h: list[Tensor] = []
        done_c: list[Tensor] = []
        for t in range(steps):
            bs = sizes[t]
            if bs < h.shape[0]:  # sequences that ended keep their last state
                done_h.append(h[bs:])
                h = h[:bs]
                if lstm:
                    done_c.append(c[bs:])
                    c = c[:bs]
            if lstm:
                h, c = lstm_step(xs[t], h, c, w_hh, b_hh, w_hr)
            else:
                h = step(xs[t], h, w_hh, b_hh)
            outs[t] = h
        if done_h:
            h = cat([h, *reversed(done_h)])
            if lstm:
                c = cat([c, *reversed(done_c)])
        return outs, h, c
    first = sizes[-1] if steps else h0.shape[0]
    h = h0[:first] if first < h0.shape[0] else h0
    c = None if c0 is None else (c0[:first] if first < c0.shape[0] else c0)
    for t in range(steps - 1, -1, -1):
        bs = sizes[t]
        if bs > h.shape[0]:  # sequences that start here (counting backwards) begin from h0
            h = cat([h, h0[h.shape[0]:bs]])
            if lstm:
                c = cat([c, c0[c.shape[0]:bs]])
        if lstm:
            h, c = lstm_step(xs[t], h, c, w_hh, b_hh, w_hr)
        else:
            h = step(xs[t], h, w_hh, b_hh)
        outs[t] = h
    if h.shape[0] < h0.shape[0]:  # only when there are no steps
        h = cat([h, h0[h.shape[0]:]])
    return outs, h, c
