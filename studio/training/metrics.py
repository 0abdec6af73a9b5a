"""Metrics accumulated over batches: accuracy, top-k accuracy ("top3", "top5"), mse, mae.

`make_metrics(names, task)` builds the accumulators; `update(prediction, target)` adds one batch (on the
device, one host sync per metric) and `value()` gives the running result. A metric that does not apply to
the task (accuracy on a regression) is left out and named in `skipped`.

Class scores follow CrossEntropy's layout: N×C (or N×C×d1×... with targets N×d1×...), class dim 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import engine

LOWER_IS_BETTER = ("loss", "mse", "mae")


class Metric:
    name = ""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, prediction: Any, target: Any) -> None:
        with engine.no_grad():
            total, count = self._batch(prediction.detach(), target)
        self.total += total
        self.count += count

    def value(self) -> float | None:
        return self.total / self.count if self.count else None

    def _batch(self, prediction: Any, target: Any) -> tuple[float, int]:
        raise NotImplementedError


class TopK(Metric):
    """Fraction of samples whose target class is among the k highest scores (k=1: accuracy)."""

    def __init__(self, k: int = 1, name: str = "accuracy") -> None:
        super().__init__()
        self.k, self.name = k, name

    def _batch(self, prediction: Any, target: Any) -> tuple[float, int]:
        if prediction.ndim != target.ndim + 1 or target.is_floating_point():
            raise ValueError(f"{self.name} needs class scores N×C and class indices N, got prediction "
                             f"{tuple(prediction.shape)} and target {tuple(target.shape)}")
        if self.k == 1:
            hit = prediction.argmax(dim=1) == target
        else:
            k = min(self.k, prediction.shape[1])
            top = prediction.topk(k, dim=1).indices
            hit = (top == target.unsqueeze(1)).any(dim=1)
        return float(hit.sum().item()), hit.numel()


class MeanError(Metric):
    def __init__(self, name: str, power: int) -> None:
        super().__init__()
        self.name, self.power = name, power

    def _batch(self, prediction: Any, target: Any) -> tuple[float, int]:
        if tuple(prediction.shape) != tuple(target.shape):
            raise ValueError(f"{self.name} needs prediction and target of one shape, got "
                             f"{tuple(prediction.shape)} and {tuple(target.shape)}")
        diff = prediction.float() - target.float()
        err = diff * diff if self.power == 2 else diff.abs()
        return float(err.sum().item()), err.numel()


_TOPK = re.compile(r"top(\d+)$")
KNOWN = ("accuracy", "top3", "top5", "mse", "mae")


def make_metric(name: str) -> Metric:
    """One metric by name; ValueError for an unknown name."""
    key = name.strip().lower()
    if key in ("accuracy", "acc"):
        return TopK(1, name)
    match = _TOPK.match(key)
    if match and int(match.group(1)) >= 1:
        return TopK(int(match.group(1)), name)
    if key == "mse":
        return MeanError(name, 2)
    if key == "mae":
        return MeanError(name, 1)
    raise ValueError(f"unknown metric {name!r} (known: {', '.join(KNOWN)}, or topK for any K)")


def applies(name: str, task: str | None) -> bool:
    """Whether the metric makes sense for a task ("classification", "regression", "sequence")."""
    regression = isinstance(make_metric(name), MeanError)
    if task is None:
        return True
    return regression == (task == "regression")


@dataclass
class MetricSet:
    metrics: list[Metric] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why a metric was dropped during the run

    def reset(self) -> None:
        for metric in self.metrics:
            metric.reset()

    def update(self, prediction: Any, target: Any) -> None:
        """Add one batch; a metric that cannot read these shapes is dropped (named in `problems`), so a
        metric never ends a training run."""
        for metric in list(self.metrics):
            try:
                metric.update(prediction, target)
            except ValueError as exc:
                self.metrics.remove(metric)
                self.skipped.append(metric.name)
                self.problems.append(f"metric {metric.name} left out: {exc}")

    def values(self, prefix: str = "") -> dict[str, float]:
        out = {}
        for metric in self.metrics:
            value = metric.value()
            if value is not None:
                out[prefix + metric.name] = value
        return out


def make_metrics(names: Iterable[str], task: str | None = None) -> MetricSet:
    chosen = MetricSet()
    for name in names:
        if applies(name, task):
            chosen.metrics.append(make_metric(name))
        else:
            chosen.skipped.append(name)
    return chosen


def lower_is_better(name: str) -> bool:
    """Direction of a monitored value: losses and errors go down, accuracies go up."""
    key = name.lower().removeprefix("val_").removeprefix("train_")
    return any(word in key for word in LOWER_IS_BETTER)
