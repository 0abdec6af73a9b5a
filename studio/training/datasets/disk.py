"""Datasets read from the user's files: an image folder, a CSV table, numpy arrays, MNIST-style IDX files.

Everything is read into memory when the dataset opens, so a bad file fails at once, naming its path.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .base import DatasetError, Loaded, int_option, read_options, text_option

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def _path(name: str, options: Mapping[str, Any], key: str, *, folder: bool = False) -> Path:
    path = Path(os.path.expanduser(text_option(name, options, key)))
    if folder and not path.is_dir():
        raise DatasetError(f"{path} is not a folder" if path.exists()
                           else f"the folder {path} does not exist")
    if not folder and not path.is_file():
        raise DatasetError(f"{path} is not a file" if path.exists() else f"the file {path} does not exist")
    return path


# -------------------------------------------------------------------------------- imagefolder ---
def load_imagefolder(options: Mapping[str, Any], seed: int) -> Loaded:
    """root/<class name>/<image files>: classes sorted by name, images resized to size x size, C x H x W
    (C = 1 when grayscale, else 3) in [0, 1]."""
    del seed
    opts = read_options("imagefolder", options, {"path": None, "size": 28, "grayscale": False})
    root = _path("imagefolder", opts, "path", folder=True)
    size = int_option("imagefolder", opts, "size", 1, 4096)
    gray = opts["grayscale"]
    if not isinstance(gray, bool):
        raise DatasetError(f"option 'grayscale' of dataset 'imagefolder' must be true or false, not {gray!r}")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"the folder {root} has no class folders: put the images of each class in a "
                           f"sub-folder named after the class")
    files: list[tuple[Path, int]] = []
    for index, name in enumerate(classes):
        found = sorted(p for p in (root / name).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS
                       and p.is_file())
        if not found:
            raise DatasetError(f"the class folder {root / name} holds no images "
                               f"({', '.join(IMAGE_EXTENSIONS)})")
        files.extend((p, index) for p in found)
    channels = 1 if gray else 3
    images = np.empty((len(files), channels, size, size), dtype=np.uint8)
    for i, (path, _) in enumerate(files):
        try:
            with Image.open(path) as image:
                pixels = image.convert("L" if gray else "RGB").resize((size, size), Image.Resampling.BILINEAR)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise DatasetError(f"cannot read the image {path}: {exc}") from None
        array = np.asarray(pixels, dtype=np.uint8)
        images[i] = array[None] if gray else array.transpose(2, 0, 1)
    labels = np.array([label for _, label in files], dtype=np.int64)
    return Loaded(images, labels, "classification", "images", class_names=classes, x_scale=1.0 / 255.0)


# ---------------------------------------------------------------------------------------- csv ---
def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def load_csv(options: Mapping[str, Any], seed: int) -> Loaded:
    """A table with a header row: the numeric columns are the features, `label_column` (default: the last
    column) the target. Text labels become classes (sorted); whole-number labels too; fractional numbers
    make a regression target, unless option `task` says otherwise."""
    del seed
    opts = read_options("csv", options, {"path": None, "label_column": None, "task": None})
    path = _path("csv", opts, "path")
    task = opts["task"]
    if task not in (None, "classification", "regression"):
        raise DatasetError(f"option 'task' of dataset 'csv' must be 'classification', 'regression' or null, "
                           f"not {task!r}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from None
    if len(rows) < 2:
        raise DatasetError(f"{path} needs a header row and at least one data row")
    header = [cell.strip() for cell in rows[0]]
    label_name = text_option("csv", opts, "label_column", required=False) or header[-1]
    if label_name not in header:
        raise DatasetError(f"{path} has no column {label_name!r} (its columns: {', '.join(header)})")
    if len(header) < 2:
        raise DatasetError(f"{path} has only the label column; it needs at least one feature column")
    label_at = header.index(label_name)
    features = np.empty((len(rows) - 1, len(header) - 1), dtype=np.float32)
    labels: list[str] = []
    for r, row in enumerate(rows[1:]):
        line = r + 2  # 1-based, after the header
        if len(row) != len(header):
            raise DatasetError(f"{path}, row {line}: {len(row)} values, but the header names {len(header)}")
        cells = [cell.strip() for cell in row]
        labels.append(cells[label_at])
        for c, cell in enumerate(cells[:label_at] + cells[label_at + 1:]):
            value = _float(cell)
            if value is None:
                column = header[c if c < label_at else c + 1]
                raise DatasetError(f"{path}, row {line}, column {column!r}: {cell!r} is not a number")
            features[r, c] = value
    targets, task, names = _csv_targets(labels, task, path, label_name)
    return Loaded(features, targets, task, "rows", class_names=names)


def _csv_targets(labels: list[str], task: str | None, path: Path,
                 column: str) -> tuple[np.ndarray, str, list[str] | None]:
    numbers = [_float(v) for v in labels]
    numeric = all(v is not None for v in numbers)
    if task is None:
        task = "regression" if numeric and any(v != int(v) for v in numbers) else "classification"
    if task == "regression":
        if not numeric:
            bad = next(i for i, v in enumerate(numbers) if v is None)
            raise DatasetError(f"{path}, row {bad + 2}, column {column!r}: {labels[bad]!r} is not a number "
                               f"(a regression target must be)")
        return np.array(numbers, dtype=np.float32)[:, None], task, None
    if numeric:
        names = [str(v) for v in sorted({int(v) if v == int(v) else v for v in numbers})]
        keyed = [str(int(v) if v == int(v) else v) for v in numbers]
    else:
        names, keyed = sorted(set(labels)), labels
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[k] for k in keyed], dtype=np.int64), task, names


# ------------------------------------------------------------------------------------ npy/npz ---
def load_npy(options: Mapping[str, Any], seed: int) -> Loaded:
    """Arrays x and y from one .npz (keys x/y, or images/labels) or from two .npy files (options x, y).
    x of N x F: rows; N x H x W: images (a channel axis is added); N x C x H x W: images. uint8 x is scaled
    to [0, 1]. Integer y: class indices; float y: regression targets (N becomes N x 1)."""
    del seed
    opts = read_options("npy", options, {"path": None, "x": None, "y": None})
    try:
        if opts["path"] is not None:
            path = _path("npy", opts, "path")
            with np.load(path, allow_pickle=False) as data:
                keys = ("x", "y") if "x" in data and "y" in data else ("images", "labels")
                if keys[0] not in data or keys[1] not in data:
                    raise DatasetError(f"{path} must hold the arrays 'x' and 'y' (it has: "
                                       f"{', '.join(data.files) or 'nothing'})")
                x, y = data[keys[0]], data[keys[1]]
        elif opts["x"] is not None and opts["y"] is not None:
            x = np.load(_path("npy", opts, "x"), allow_pickle=False)
            y = np.load(_path("npy", opts, "y"), allow_pickle=False)
        else:
            raise DatasetError("dataset 'npy' needs option 'path' (an .npz file) or options 'x' and 'y' "
                               "(two .npy files)")
    except (OSError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"cannot read the arrays: {exc}") from None
    return arrays_to_loaded(x, y)


def arrays_to_loaded(x: np.ndarray, y: np.ndarray, source: str = "the arrays") -> Loaded:
    if len(x) != len(y):
        raise DatasetError(f"{source}: x holds {len(x)} samples but y holds {len(y)}")
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise DatasetError(f"{source}: x and y must be numeric, not {x.dtype} and {y.dtype}")
    scale = 1.0 / 255.0 if x.dtype == np.uint8 else None
    x = x if scale is not None else x.astype(np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim not in (2, 4):
        raise DatasetError(f"{source}: x must be N x features, N x H x W or N x C x H x W, not {x.shape}")
    kind = "rows" if x.ndim == 2 else "images"
    if y.dtype.kind in "biu":
        if y.ndim != 1 or (len(y) and y.min() < 0):
            raise DatasetError(f"{source}: class labels y must be one whole number of at least 0 per sample")
        count = int(y.max()) + 1 if len(y) else 0
        return Loaded(x, y.astype(np.int64), "classification", kind,
                      class_names=[str(i) for i in range(count)], x_scale=scale)
    y = y.astype(np.float32)
    return Loaded(x, y[:, None] if y.ndim == 1 else y, "regression", kind, x_scale=scale)


# ---------------------------------------------------------------------------------------- idx ---
_IDX_TYPES = {8: np.dtype(np.uint8), 9: np.dtype(np.int8), 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST's format, optionally .gz): 0, 0, a type code, the number of dimensions, the
    dimensions as big-endian int32, then the values."""
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DatasetError(f"{path} is not an IDX file (wrong magic number {raw[:4].hex() or 'none'})")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DatasetError(f"{path} is truncated: its header ends early")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    body = len(raw) - 4 - 4 * ndim
    if body < expected:
        raise DatasetError(f"{path} is truncated: the header promises shape {shape} ({expected} bytes) but "
                           f"{body} bytes follow")
    data = np.frombuffer(raw, dtype=dtype, count=int(np.prod(shape)), offset=4 + 4 * ndim)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def load_idx(options: Mapping[str, Any], seed: int) -> Loaded:
    """`images` (N x H x W) and `labels` (N) IDX files; uint8 images are scaled to [0, 1]."""
    del seed
    opts = read_options("idx", options, {"images": None, "labels": None})
    images_path, labels_path = _path("idx", opts, "images"), _path("idx", opts, "labels")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DatasetError(f"{images_path}: expected images N x H x W, got shape {images.shape}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DatasetError(f"{labels_path}: expected one whole-number label per image, got {labels.dtype} "
                           f"of shape {labels.shape}")
    if len(images) != len(labels):
        raise DatasetError(f"{images_path} holds {len(images)} images but {labels_path} {len(labels)} labels")
    return arrays_to_loaded(images, labels, str(images_path))
