"""What the dataset panel shows: the first training samples in a displayable form, class counts, shapes.

    {"kind": "images" | "rows" | "sequences",
     "samples": images as uint8 H x W (one channel) or H x W x 3 arrays | rows as float32 1-d arrays |
                sequences as text,
     "labels": class names | regression targets (lists of floats) | the target text of each sequence,
     "class_counts": {class name: samples in train + val} (for sequences: {character: its count in the
                     targets of every sequence}; {} for regression),
     "input_shape": (...), "target_shape": (...), "train_size": int, "val_size": int}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .base import DataSource


def _image(x: np.ndarray) -> np.ndarray:
    """C x H x W float in [0, 1] -> uint8 H x W (C = 1) or H x W x 3 (the first three channels)."""
    pixels = np.clip(np.nan_to_num(x.astype(np.float32)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[0] == 1:
        return pixels[0]
    if pixels.ndim == 3 and pixels.shape[0] >= 3:
        return np.ascontiguousarray(pixels[:3].transpose(1, 2, 0))
    return pixels.reshape(pixels.shape[-2:]) if pixels.ndim >= 2 else pixels


def preview(source: DataSource, n: int = 16) -> dict[str, Any]:
    count = max(0, min(n, len(source.train)))
    xs, ys = source.train.arrays()
    xs, ys = xs[:count], ys[:count]
    vocab = source.vocab or []
    if source.kind == "images":
        samples: list[Any] = [_image(x) for x in xs]
    elif source.kind == "sequences":
        samples = ["".join(vocab[i] for i in x) for x in xs]
    else:
        samples = [np.asarray(x, dtype=np.float32).reshape(-1) for x in xs]
    if source.task == "classification":
        names = source.class_names or []
        labels: list[Any] = [names[int(y)] for y in ys]
    elif source.task == "sequence":
        labels = ["".join(vocab[i] for i in y) for y in ys]
    else:
        labels = [np.asarray(y, dtype=np.float64).reshape(-1).tolist() for y in ys]
    return {"kind": source.kind, "samples": samples, "labels": labels, "class_counts": class_counts(source),
            "input_shape": source.input_shape, "target_shape": source.target_shape,
            "train_size": len(source.train), "val_size": len(source.val)}


def class_counts(source: DataSource) -> dict[str, int]:
    if source.task == "regression":
        return {}
    names = source.class_names or source.vocab or []
    counts = np.zeros(len(names), dtype=np.int64)
    for part in (source.train, source.val):
        counts += np.bincount(np.asarray(part.y).reshape(-1), minlength=len(names))[:len(names)]
    return {name: int(c) for name, c in zip(names, counts, strict=True)}
