"""RMSprop: divide the gradient by a running root-mean-square (optionally centered, with momentum)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops._helpers import xp
from ..tensor import Tensor
from ._functional import (
    add_scaled_,
    addcdiv_,
    centered_second_moment,
    ema_sq_,
    grad_of,
    lerp_,
    real,
    state_like,
    with_weight_decay,
)
from .optimizer import GroupwiseOptimizer, bump_step, new_step_tensor, value
from .sgd import check_lr

__all__ = ["RMSprop"]


class RMSprop(GroupwiseOptimizer):
    """RMSprop: square_avg = alpha * square_avg + (1 - alpha) * g^2; p -= lr * g / (sqrt(square_avg)+eps)."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = value(group["lr"])
        alpha = value(group["alpha"])
        eps = value(group["eps"])
        weight_decay = value(group["weight_decay"])
        momentum = value(group["momentum"])
        centered, maximize = group["centered"], group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            m = xp(p)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step_tensor()
                state["square_avg"] = state_like(m, p._data)
                if momentum > 0:
                    state["momentum_buffer"] = state_like(m, p._data)
                if centered:
                    state["grad_avg"] = state_like(m, p._data)
            d = real(p._data)
            g = real(grad_of(p, maximize))
            bump_step(state["step"])
            if weight_decay != 0:
                g = with_weight_decay(m, g, d, weight_decay)
            square_avg = real(state["square_avg"]._data)
            ema_sq_(m, square_avg, g, alpha)
            if centered:
                grad_avg = real(state["grad_avg"]._data)
                lerp_(m, grad_avg, g, 1 - alpha)
                avg = centered_second_moment(m, square_avg, grad_avg)
            else:
                avg = m.sqrt(square_avg)
            m.add(avg, eps, out=avg)
            if momentum > 0:
                buf = real(state["momentum_buffer"]._data)
                m.multiply(buf, momentum, out=buf)
                m.add(buf, m.divide(g, avg), out=buf)
                add_scaled_(m, d, buf, -lr)
            else:
                addcdiv_(m, d, g, avg, -lr)
            p._version[0] += 1
