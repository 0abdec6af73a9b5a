"""Export a project as a standalone Python training script (engine, PyTorch, or PyTorch DDP).

    export_script(project, "torch") -> the script's text
    write_export(project, "torch", "out/model.py") -> Path: the script, plus beside it
        model.safetensors   the project's weights (or `weights=`), when there are any
        model_data.npz      the dataset's train/validation arrays (np.savez, read with allow_pickle=False)

The script defines the helper classes it uses, a readable `Model(nn.Module)` whose state_dict keys are
compile_graph's (the node ids), a `load_data()`, a `train()` loop from the project's settings and a main
with --epochs, --weights, --device and --out. Qt-free.

The dataset is written as arrays, disk datasets too: the script then trains on exactly the studio's split
without re-implementing the loaders (image resizing, CSV label columns); the original spec, with its
paths, is kept in the script's DATASET constant.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from studio.graph.project import Project
from studio.graph.serialize import atomic_write

from .codegen import ModelCode, model_code
from .script import TARGETS, ExportError, plan, render

__all__ = ["TARGETS", "ExportError", "ModelCode", "dataset_arrays", "export_script", "model_code",
           "write_export"]

_SHADOWED = frozenset({"torch", "engine", "numpy", "safetensors", "argparse", "pathlib"})
Weights = str | os.PathLike[str] | Mapping[str, Any] | None


def export_script(project: Project, target: str = "torch") -> str:
    """The standalone script for `project`; raises ExportError (settings) or CompileError (graph)."""
    return render(plan(project, target))


def dataset_arrays(spec: Mapping[str, Any] | str) -> dict[str, np.ndarray]:
    """The dataset's split as arrays: x_train, y_train, x_val, y_val (inputs as float32 or int64)."""
    from studio.training.datasets import open_dataset

    source = open_dataset({"name": spec} if isinstance(spec, str) else spec)
    arrays = {}
    for part in ("train", "val"):
        x, y = _arrays(getattr(source, part))
        arrays[f"x_{part}"], arrays[f"y_{part}"] = x, y
    return arrays


def _arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(dataset, "arrays"):
        x, y = dataset.arrays()
    else:
        pairs = [dataset[i] for i in range(len(dataset))]
        x, y = np.stack([_numpy(a) for a, _ in pairs]), np.stack([_numpy(b) for _, b in pairs])
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def write_export(project: Project, target: str, path: str | os.PathLike[str], *,
                 weights: Weights = None) -> Path:
    """Write the script to `path` (atomically) with its weights and data beside it; returns the path.

    Weights: `weights` (a safetensors file or a state dict), else the project's weights file if it exists.
    """
    path = Path(path)
    if path.stem in _SHADOWED:
        raise ExportError(f"a script named {path.name!r} would import itself instead of {path.stem}; "
                          "choose another name")
    text = export_script(project, target)
    compile(text, str(path), "exec")  # a generator bug must not leave a broken file behind
    dataset = project.settings.get("dataset")
    data = None
    if dataset:
        buffer = io.BytesIO()
        np.savez(buffer, **dataset_arrays(dataset))
        data = buffer.getvalue()
    blob = _weights_bytes(project, weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        atomic_write(path.with_name(path.stem + "_data.npz"), data)
    if blob is not None:
        atomic_write(path.with_suffix(".safetensors"), blob)
    atomic_write(path, text)
    return path


def _weights_bytes(project: Project, weights: Weights) -> bytes | None:
    if weights is None:
        source = project.weights_path
        return source.read_bytes() if source is not None and source.is_file() else None
    if isinstance(weights, Mapping):
        from safetensors.numpy import save

        return save({name: np.ascontiguousarray(_numpy(value)) for name, value in weights.items()})
    return Path(weights).read_bytes()
