"""Adam and AdamW (decoupled weight decay), with optional AMSGrad and maximize."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops._helpers import xp
from ..tensor import Tensor
from ._functional import addcdiv_, ema_sq_, grad_of, lerp_, real, state_like, with_weight_decay
from .optimizer import GroupwiseOptimizer, bump_step, new_step_tensor, value
from .sgd import check_lr

__all__ = ["Adam", "AdamW"]


class Adam(GroupwiseOptimizer):
    """Adam: bias-corrected first/second moment estimates; decoupled_weight_decay=True gives AdamW."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        check_lr(lr)
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        both_float = all(isinstance(b, float) for b in betas)
        if not both_float and not all(isinstance(b, Tensor) for b in betas):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, amsgrad: bool) -> dict[str, Any]:
        m = xp(p)
        state = self.state[p]
        state["step"] = new_step_tensor()
        state["exp_avg"] = state_like(m, p._data)
        state["exp_avg_sq"] = state_like(m, p._data)
        if amsgrad:
            state["max_exp_avg_sq"] = state_like(m, p._data)
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = value(group["lr"])
        beta1, beta2 = (value(b) for b in group["betas"])
        eps = value(group["eps"])
        weight_decay = value(group["weight_decay"])
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", self.defaults["decoupled_weight_decay"])
        for p in group["params"]:
            if p._grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state = self._init_state(p, amsgrad)
            m = xp(p)
            d = real(p._data)
            g = real(grad_of(p, maximize))
            exp_avg = real(state["exp_avg"]._data)
            exp_avg_sq = real(state["exp_avg_sq"]._data)
            step = bump_step(state["step"])
            if weight_decay != 0:
                if decoupled:
                    m.multiply(d, 1 - lr * weight_decay, out=d)
                else:
                    g = with_weight_decay(m, g, d, weight_decay)
            lerp_(m, exp_avg, g, 1 - beta1)
            ema_sq_(m, exp_avg_sq, g, beta2)
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if amsgrad:
                max_sq = real(state["max_exp_avg_sq"]._data)
                m.maximum(max_sq, exp_avg_sq, out=max_sq)
                denom = m.sqrt(max_sq)
            else:
                denom = m.sqrt(exp_avg_sq)
            m.divide(denom, bias_correction2_sqrt, out=denom)
            m.add(denom, eps, out=denom)
            addcdiv_(m, d, exp_avg, denom, -step_size)
            p._version[0] += 1
            for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                if key in state:
                    state[key]._version[0] += 1


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p * (1 - lr * weight_decay) before the Adam update."""

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
