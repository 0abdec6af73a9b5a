"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops._helpers import xp
from ..tensor import Tensor
from ._functional import add_scaled_, atleast_1d, fma, with_weight_decay
from .optimizer import GroupwiseOptimizer, value

__all__ = ["SGD"]


def check_lr(lr: Any) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


class SGD(GroupwiseOptimizer):
    """SGD: p <- p - lr * g, where g may include weight decay, momentum (with dampening) and Nesterov."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float | Tensor = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = value(group["lr"])
        momentum = value(group["momentum"])
        dampening = value(group["dampening"])
        weight_decay = value(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            m = xp(p)
            d = atleast_1d(p._data)
            g = atleast_1d(p._grad._data)
            if maximize:
                g = -g
            if weight_decay != 0:
                g = with_weight_decay(m, g, d, weight_decay)
            if momentum != 0:
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    buf_t = state["momentum_buffer"] = Tensor._make(g.reshape(p._data.shape).copy())
                    buf = atleast_1d(buf_t._data)
                else:
                    buf = atleast_1d(buf_t._data)
                    m.multiply(buf, momentum, out=buf)
                    add_scaled_(m, buf, g, 1 - dampening)
                    buf_t._version[0] += 1
                g = fma(m, g, buf, momentum, out=m.empty_like(g)) if nesterov else buf
            add_scaled_(m, d, g, -lr)
            p._version[0] += 1
