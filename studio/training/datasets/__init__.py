"""Datasets for training: built-in generated and bundled sets, and the user's files, split for validation.

A project's dataset setting is null or {"name": str, "options": {str: JSON value}, "val_fraction": float
in (0, 1), "seed": int}; options, val_fraction and seed may be left out (defaults {}, 0.2, 0).
`open_dataset(spec)` reads it into a DataSource whose `train` and `val` datasets give (x, y) engine tensors:

    task            x (per sample)                          y (per sample)
    classification  float32, input_shape                    int64 class index, target_shape ()
    regression      float32, input_shape                    float32, target_shape e.g. (1,)
    sequence        int64 token indices (L,) for Embedding  int64 next tokens (L,)  ("chars" only)

Images are C x H x W in [0, 1]. The split is deterministic in the seed and stratified for classification.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import builtin, digits, disk
from .base import ArrayDataset, DatasetError, DataSource, Loader, build_source

__all__ = ["BUILTIN", "DISK", "NAMES", "ArrayDataset", "DataSource", "DatasetError", "list_datasets",
           "open_dataset"]

DEFAULT_VAL_FRACTION = 0.2

# name: (loader, kind, description)
BUILTIN: dict[str, tuple[Loader, str, str]] = {
    "shapes": (builtin.load_shapes, "images",
               "Synthetic 28x28 grayscale circles, squares and triangles (optionally crosses); 2000 images"),
    "digits": (digits.load_digits, "images", "Real 8x8 handwritten digits (UCI optdigits), 1797 images, 10 "
                                             "classes"),
    "spirals": (builtin.load_spirals, "rows", "2-D points on 2 (or more) interleaved spiral arms"),
    "moons": (builtin.load_moons, "rows", "2-D points on two interleaving half circles"),
    "sine": (builtin.load_sine, "rows", "Regression: y = sin(x) + noise for x in [-pi, pi]"),
    "chars": (builtin.load_chars, "sequences", "Character sequences with next-character targets, for RNNs"),
}
DISK: dict[str, tuple[Loader, str, str]] = {
    "imagefolder": (disk.load_imagefolder, "images", "A folder with one sub-folder of images per class"),
    "csv": (disk.load_csv, "rows", "A CSV table with a header: numeric features and a label column"),
    "npy": (disk.load_npy, "rows", "Arrays x and y from an .npz file or two .npy files"),
    "idx": (disk.load_idx, "images", "MNIST-style IDX files of images and labels"),
}
NAMES = (*BUILTIN, *DISK)


def list_datasets() -> list[dict[str, str]]:
    """The built-in datasets: name, description and kind ("images", "rows" or "sequences")."""
    return [{"name": name, "description": description, "kind": kind}
            for name, (_, kind, description) in BUILTIN.items()]


def normalize_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with defaults filled in; a malformed one raises DatasetError."""
    if not isinstance(spec, Mapping):
        raise DatasetError(f"a dataset spec must be an object with a 'name', not {spec!r}")
    unknown = sorted(set(spec) - {"name", "options", "val_fraction", "seed"})
    if unknown:
        raise DatasetError(f"unknown dataset field {unknown[0]!r} (the fields: name, options, val_fraction, "
                           f"seed)")
    name = spec.get("name")
    if name not in BUILTIN and name not in DISK:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    options = spec.get("options") or {}
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        raise DatasetError(f"the options of dataset {name!r} must be an object of name: value, "
                           f"not {options!r}")
    fraction = spec.get("val_fraction", DEFAULT_VAL_FRACTION)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise DatasetError(f"val_fraction must be a number between 0 and 1 (exclusive), not {fraction!r}")
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DatasetError(f"the dataset seed must be a whole number of at least 0, not {seed!r}")
    return {"name": name, "options": dict(options), "val_fraction": float(fraction), "seed": seed}


def open_dataset(spec: Mapping[str, Any]) -> DataSource:
    """Read (or generate) the dataset `spec` names and split it into training and validation sets."""
    clean = normalize_spec(spec)
    loader = (BUILTIN.get(clean["name"]) or DISK[clean["name"]])[0]
    data = loader(clean["options"], clean["seed"])
    return build_source(clean["name"], data, clean["val_fraction"], clean["seed"], clean)
