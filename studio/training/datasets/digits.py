"""The real 8x8 handwritten digits (UCI optdigits test set: 1797 images, 10 classes, pixels 0..16).

Read from the copy bundled as assets/datasets/digits_8x8.npz (made by tools/make_digits_npz.py), or from
scikit-learn's data file when the bundled copy is missing and scikit-learn is installed. Samples are
1 x 8 x 8 float32 in [0, 1] (pixel / 16).
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .base import DatasetError, Loaded, read_options

BUNDLED = Path(__file__).resolve().parents[3] / "assets" / "datasets" / "digits_8x8.npz"
COUNT = 1797


def _from_sklearn() -> tuple[np.ndarray, np.ndarray] | None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        return None
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    return table[:, :64].reshape(-1, 8, 8).astype(np.uint8), table[:, 64]


def read_digits(path: Path = BUNDLED) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 N x 8 x 8, labels int64 N)."""
    if path.is_file():
        with np.load(path) as data:
            images, labels = data["images"], data["labels"].astype(np.int64)
    else:
        found = _from_sklearn()
        if found is None:
            raise DatasetError(f"the digits data is missing: {path} does not exist and scikit-learn is not "
                               f"installed (run tools/make_digits_npz.py to recreate the file)")
        images, labels = found
    if images.shape != (COUNT, 8, 8) or labels.shape != (COUNT,):
        raise DatasetError(f"the digits data is damaged: expected {COUNT} images of 8x8, got {images.shape}")
    return images, labels


def load_digits(options: Mapping[str, Any], seed: int) -> Loaded:
    del seed
    read_options("digits", options, {})
    images, labels = read_digits()
    return Loaded(images[:, None], labels, "classification", "images",
                  class_names=[str(d) for d in range(10)], x_scale=1.0 / 16.0)
