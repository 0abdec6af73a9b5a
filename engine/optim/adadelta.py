"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops._helpers import xp
from ..tensor import Tensor
from ._functional import add_scaled_, ema_sq_, grad_of, real, state_like, with_weight_decay
from .optimizer import GroupwiseOptimizer, bump_step, new_step_tensor, value
from .sgd import check_lr

__all__ = ["Adadelta"]


class Adadelta(GroupwiseOptimizer):
    """Adadelta: delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g; p -= lr * delta."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = value(group["lr"])
        rho = value(group["rho"])
        eps = value(group["eps"])
        weight_decay = value(group["weight_decay"])
        maximize = group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            m = xp(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step_tensor()
                state["square_avg"] = state_like(m, p._data)
                state["acc_delta"] = state_like(m, p._data)
            d = real(p._data)
            g = real(grad_of(p, maximize))
            bump_step(state["step"])
            if weight_decay != 0:
                g = with_weight_decay(m, g, d, weight_decay)
            square_avg = real(state["square_avg"]._data)
            acc_delta = real(state["acc_delta"]._data)
            ema_sq_(m, square_avg, g, rho)
            std = m.sqrt(m.add(square_avg, eps))
            delta = m.sqrt(m.add(acc_delta, eps))
            m.divide(delta, std, out=delta)
            m.multiply(delta, g, out=delta)
            ema_sq_(m, acc_delta, delta, rho)
            add_scaled_(m, d, delta, -lr)
            p._version[0] += 1
