"""What the trainer reports while it runs: the info records and the callbacks protocol.

Every callback is optional: the trainer calls `callbacks.on_batch(info)` only when the object has that
method. Callbacks run on the trainer's thread (a GUI forwards them to its event loop through signals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

Status = Literal["finished", "stopped", "diverged", "failed"]


@dataclass(frozen=True)
class BatchInfo:
    epoch: int  # 1-based: the epoch this batch belongs to
    step: int  # optimizer steps done so far in the whole run (1 after the first batch)
    loss: float
    lr: float
    samples_per_s: float
    batch: int = 0  # 1-based index of the batch within its epoch
    batches: int = 0  # batches per epoch (for progress bars)
    metrics: dict[str, float] = field(default_factory=dict)  # running training metrics of this epoch


@dataclass(frozen=True)
class EpochInfo:
    epoch: int  # 1-based: the epoch just finished
    train_loss: float
    val_loss: float | None  # None when there is no validation data
    metrics: dict[str, float] = field(default_factory=dict)  # validation metrics; "train_<name>" for train
    lr: float = 0.0  # the learning rate at the end of the epoch
    seconds: float = 0.0  # wall time of the epoch, validation included
    step: int = 0  # optimizer steps done in the whole run at the end of the epoch


@dataclass(frozen=True)
class CaptureInfo:
    step: int
    activations: dict[str, dict[str, float]]  # node id -> {"mean", "std", "min", "max", "zeros"}
    grad_norms: dict[str, float]  # parameter name -> L2 norm of its gradient
    feature_maps: dict[str, np.ndarray]  # node id -> the node's output for the probe sample (no batch dim)
    # node id -> attention weights of a watched attention node for the probe sample: queries × keys (rows
    # sum to 1), no batch dim (studio/training/attention.py says which nodes have them)
    attention: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RunResult:
    status: Status
    message: str
    epochs_done: int
    history: list[EpochInfo] = field(default_factory=list)
    run_dir: Path | None = None
    steps_done: int = 0


@runtime_checkable
class TrainerCallbacks(Protocol):
    """Any subset of these methods; the trainer skips the ones an object lacks."""

    def on_batch(self, info: BatchInfo) -> None: ...

    def on_epoch(self, info: EpochInfo) -> None: ...

    def on_capture(self, info: CaptureInfo) -> None: ...

    def on_message(self, text: str) -> None: ...

    def on_finished(self, result: RunResult) -> None: ...


def call(callbacks: Any, name: str, *args: Any) -> None:
    """callbacks.<name>(*args) when the object has such a method."""
    method = getattr(callbacks, name, None) if callbacks is not None else None
    if method is not None:
        method(*args)
