"""The pieces every dataset shares: the error type, in-memory array datasets, the split and DataSource."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import engine
from engine.utils.data import Dataset

TASKS = ("classification", "regression", "sequence")
KINDS = ("images", "rows", "sequences")


class DatasetError(ValueError):
    """A dataset that cannot be opened: a bad spec or option, a missing or damaged file. The message says
    what is wrong and where (the path, row or column)."""


@dataclass
class Loaded:
    """What a loader returns: every sample as arrays, before the split.

    x: float32 (or uint8 scaled on access by `x_scale`), or int64 indices for "sequence" data.
    y: int64 class indices, float32 regression targets, or int64 next-token indices.
    """

    x: np.ndarray
    y: np.ndarray
    task: str
    kind: str
    class_names: list[str] | None = None
    vocab: list[str] | None = None
    x_scale: float | None = None

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise DatasetError(f"the inputs hold {len(self.x)} samples but the targets {len(self.y)}")
        if len(self.x) < 2:
            raise DatasetError(f"a dataset needs at least 2 samples (one to train, one to validate), "
                               f"this one has {len(self.x)}")


class ArrayDataset(Dataset):
    """Samples (x, y) as engine tensors, read from numpy arrays held in memory.

    `x_scale` turns integer pixels into float32 on access (uint8 images stay 4x smaller in memory).
    `arrays()` gives the float inputs and targets at once for code that batches by itself.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, x_scale: float | None = None) -> None:
        self.x = x
        self.y = y
        self.x_scale = x_scale

    def __len__(self) -> int:
        return len(self.y)

    def _inputs(self, index: Any) -> np.ndarray:
        x = self.x[index]
        if self.x_scale is not None:
            x = x.astype(np.float32) * np.float32(self.x_scale)
        return x

    def __getitem__(self, index: int) -> tuple[engine.Tensor, engine.Tensor]:
        x = np.ascontiguousarray(self._inputs(index))
        return engine.from_numpy(x), engine.from_numpy(np.array(self.y[index]))

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[engine.Tensor, engine.Tensor]]:
        idx = np.asarray(indices, dtype=np.int64)
        xs, ys = self._inputs(idx), self.y[idx]
        return [(engine.from_numpy(xs[i]), engine.from_numpy(np.array(ys[i]))) for i in range(len(idx))]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self._inputs(slice(None)), self.y


def split_indices(y: np.ndarray, val_fraction: float, seed: int, stratify: bool) -> tuple[np.ndarray,
                                                                                          np.ndarray]:
    """Train and validation indices, shuffled by `seed`. The validation set has round(n * val_fraction)
    samples (at least 1, and 1 fewer than n at most); with `stratify` they are shared out over the classes
    in proportion to their sizes (largest remainders first), so both halves keep the class proportions."""
    rng = np.random.default_rng(seed)
    n = len(y)
    n_val = min(max(int(n * val_fraction + 0.5), 1), n - 1)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    exact = np.array([len(g) * n_val / n for g in groups])
    take = np.floor(exact).astype(np.int64)
    extra = np.argsort(-(exact - take), kind="stable")[:n_val - int(take.sum())]
    take[extra] += 1
    train, val = [], []
    for group, k in zip(groups, take, strict=True):
        group = rng.permutation(group)
        val.append(group[:k])
        train.append(group[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))


@dataclass
class DataSource:
    """An opened dataset: `train` and `val` engine Datasets of (x, y) tensor pairs and what a model needs
    to know about them. Per sample: `input_shape` and `target_shape` (() for a class index)."""

    name: str
    task: str
    train: ArrayDataset
    val: ArrayDataset
    input_shape: tuple[int, ...]
    target_shape: tuple[int, ...]
    num_classes: int | None
    class_names: list[str] | None
    vocab: list[str] | None
    kind: str
    spec: dict[str, Any] = field(default_factory=dict)

    def preview(self, n: int = 16) -> dict[str, Any]:
        """The first `n` training samples, ready to show, with class counts and shapes (see preview.py)."""
        from .preview import preview

        return preview(self, n)


def build_source(name: str, data: Loaded, val_fraction: float, seed: int, spec: dict[str, Any]) -> DataSource:
    stratify = data.task == "classification"
    train_idx, val_idx = split_indices(data.y, val_fraction, seed, stratify)
    train = ArrayDataset(data.x[train_idx], data.y[train_idx], data.x_scale)
    val = ArrayDataset(data.x[val_idx], data.y[val_idx], data.x_scale)
    num_classes = len(data.class_names) if data.class_names is not None else None
    return DataSource(name=name, task=data.task, train=train, val=val, input_shape=tuple(data.x.shape[1:]),
                      target_shape=tuple(data.y.shape[1:]), num_classes=num_classes,
                      class_names=data.class_names, vocab=data.vocab, kind=data.kind, spec=spec)


# ------------------------------------------------------------------------------------ options ---
def read_options(name: str, given: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """`given` completed from `defaults`; an option the dataset does not know is an error."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise DatasetError(f"dataset {name!r} has no option {unknown[0]!r} (its options: {known})")
    return {**defaults, **given}


def int_option(name: str, options: Mapping[str, Any], key: str, low: int, high: int | None = None) -> int:
    value = options[key]
    too_high = high is not None and isinstance(value, int) and value > high
    if not isinstance(value, int) or isinstance(value, bool) or value < low or too_high:
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise DatasetError(f"option {key!r} of dataset {name!r} must be a whole number {limit}, "
                           f"not {value!r}")
    return value


def float_option(name: str, options: Mapping[str, Any], key: str, low: float, high: float) -> float:
    value = options[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise DatasetError(f"option {key!r} of dataset {name!r} must be a number between {low} and {high}, "
                           f"not {value!r}")
    return float(value)


def text_option(name: str, options: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = options[key]
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise DatasetError(f"option {key!r} of dataset {name!r} must be {'a' if required else 'null or a'} "
                           f"non-empty text, not {value!r}")
    return value


Loader = Callable[[Mapping[str, Any], int], Loaded]
