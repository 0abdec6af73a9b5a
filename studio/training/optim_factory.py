"""Optimizer and learning-rate scheduler from the project settings.

settings["optimizer"] names an engine.optim class (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta) built
with settings["optimizer_options"]; settings["scheduler"] names an engine.optim.lr_scheduler class (or is
None) built with settings["scheduler_options"]. Options that need the run's length are filled in when not
given: CosineAnnealingLR's T_max (epochs), OneCycleLR's max_lr (the optimizer's lr) and total_steps.
A bad name or option raises SetupError naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import optim
from engine.optim import lr_scheduler

OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta")
SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
              "OneCycleLR", "ReduceLROnPlateau", "LinearLR", "ConstantLR", "PolynomialLR")
# stepped after every batch instead of after every epoch
PER_BATCH = frozenset({"OneCycleLR"})
_TUPLE_OPTIONS = frozenset({"betas", "etas", "step_sizes"})


class SetupError(ValueError):
    """The settings cannot make a training run (an unknown optimizer, a bad option, no loss, ...)."""


@dataclass
class Schedule:
    scheduler: Any  # the engine scheduler, or None
    per_batch: bool = False
    on_metric: bool = False  # ReduceLROnPlateau: step(monitored value) after each epoch

    def step_batch(self) -> None:
        if self.scheduler is not None and self.per_batch:
            self.scheduler.step()

    def step_epoch(self, monitored: float | None) -> None:
        if self.scheduler is None or self.per_batch:
            return
        if self.on_metric:
            if monitored is not None:
                self.scheduler.step(monitored)
        else:
            self.scheduler.step()


def _construct(kind: str, cls: Any, first: Any, options: Mapping[str, Any]) -> Any:
    accepted = inspect.signature(cls).parameters
    for key in options:
        if key not in accepted or key in ("params", "optimizer"):
            names = [n for n in accepted if n not in ("params", "optimizer", "last_epoch")]
            raise SetupError(f"{kind} {cls.__name__} has no option {key!r} (it takes {', '.join(names)})")
    values = {k: tuple(v) if k in _TUPLE_OPTIONS and isinstance(v, list) else v for k, v in options.items()}
    try:
        return cls(first, **values)
    except (TypeError, ValueError) as exc:
        raise SetupError(f"{kind} {cls.__name__}: {exc}") from None


def make_optimizer(settings: Mapping[str, Any], parameters: Iterable[Any]) -> optim.Optimizer:
    name = settings.get("optimizer") or "Adam"
    cls = getattr(optim, name, None) if name in OPTIMIZERS else None
    if cls is None:
        raise SetupError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    return _construct("optimizer", cls, list(parameters), dict(settings.get("optimizer_options") or {}))


def make_scheduler(settings: Mapping[str, Any], optimizer: optim.Optimizer, *, epochs: int,
                   steps_per_epoch: int) -> Schedule:
    name = settings.get("scheduler")
    if not name:
        return Schedule(None)
    cls = getattr(lr_scheduler, name, None) if name in SCHEDULERS else None
    if cls is None:
        raise SetupError(f"unknown scheduler {name!r} (known: {', '.join(SCHEDULERS)})")
    options = dict(settings.get("scheduler_options") or {})
    if name == "CosineAnnealingLR":
        options.setdefault("T_max", epochs)
    elif name == "OneCycleLR":
        options.setdefault("max_lr", optimizer.param_groups[0]["lr"])
        if "epochs" not in options and "steps_per_epoch" not in options:
            options.setdefault("total_steps", max(1, epochs * steps_per_epoch))
    elif name == "ReduceLROnPlateau":
        options.setdefault("mode", "min")
    scheduler = _construct("scheduler", cls, optimizer, options)
    return Schedule(scheduler, per_batch=name in PER_BATCH, on_metric=name == "ReduceLROnPlateau")


def current_lr(optimizer: optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
