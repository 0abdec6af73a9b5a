"""Adagrad: per-element learning rates from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops._helpers import xp
from ..tensor import Tensor
from ._functional import addcdiv_, fma, grad_of, real, state_like, with_weight_decay
from .optimizer import GroupwiseOptimizer, bump_step, new_step_tensor, value
from .sgd import check_lr

__all__ = ["Adagrad"]


class Adagrad(GroupwiseOptimizer):
    """Adagrad: sum += g^2; p -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(sum) + eps)."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        check_lr(lr)
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # Adagrad creates its state eagerly (torch does too: state_dict() lists every parameter at step 0).
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = new_step_tensor()
                state["sum"] = state_like(xp(p), p._data, group["initial_accumulator_value"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = value(group["lr"])
        lr_decay = value(group["lr_decay"])
        eps = value(group["eps"])
        weight_decay = value(group["weight_decay"])
        maximize = group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            m = xp(p)
            state = self.state[p]
            d = real(p._data)
            g = real(grad_of(p, maximize))
            step = bump_step(state["step"])
            if weight_decay != 0:
                g = with_weight_decay(m, g, d, weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            acc = real(state["sum"]._data)
            fma(m, acc, g, g, out=acc)
            std = m.sqrt(acc)
            m.add(std, eps, out=std)
            addcdiv_(m, d, g, std, -clr)
            p._version[0] += 1
