"""Projects: the graph, the block definitions it uses, training settings and metadata, as versioned JSON.

Files: `<name>.msproj` (UTF-8 JSON, `format_version` FORMAT_VERSION, keys sorted, 2-space indent,
trailing newline) and the trained weights beside it as `<name>.weights.safetensors`. Saves are atomic.
Older formats are upgraded on load by MIGRATIONS (version n -> n + 1); newer ones are refused. A bad
file gives one ProjectFormatError naming the problem and where it is (`graph.nodes[3].type`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .blocks import blocks_from_dict, blocks_to_dict
from .errors import GraphError, ProjectFormatError
from .model import Graph
from .serialize import FORMAT_VERSION, atomic_write, dumps, graph_from_dict, graph_to_dict, loads, read_text
from .serialize import field as get

PROJECT_SUFFIX = ".msproj"
WEIGHTS_SUFFIX = ".weights.safetensors"

DEFAULT_SETTINGS: dict[str, Any] = {
    "dataset": None,  # {name, options, val_fraction, seed} (studio.training.datasets); None until chosen
    "batch_size": 64,
    "epochs": 10,
    "optimizer": "Adam",
    "optimizer_options": {"lr": 0.001},
    "scheduler": None,
    "scheduler_options": {},
    "loss": None,  # None: the graph's loss node
    "metrics": ["accuracy"],
    "device": "auto",
    "seed": 0,
    "checkpoint_interval": 1,  # epochs between checkpoints; 0 turns them off
    "early_stopping": {"enabled": False, "monitor": "val_loss", "patience": 5, "min_delta": 0.0},
    "num_workers": 0,  # DataLoader worker processes; 0 loads batches on the training thread
    "threads": 0,  # BLAS/compute threads while training; 0 = all cores but one (the UI and OS keep one)
    "nan_guard": True,  # a non-finite loss ends the run as "diverged" and restores the last good weights
    # activation stats + gradient norms every n steps, feature maps of `nodes` (studio/training/capture.py)
    "capture": {"enabled": False, "every_n_steps": 50, "nodes": []},
}


def _options(value: Any) -> bool:
    plain = (str, int, float, bool, list)
    return isinstance(value, dict) and all(
        isinstance(k, str) and (v is None or isinstance(v, plain)) for k, v in value.items())


DATASET_NAMES = ("shapes", "digits", "spirals", "moons", "sine", "chars", "imagefolder", "csv", "npy", "idx")
_DATASET_FIELDS = ("name", "options", "val_fraction", "seed")


def _json_value(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_value(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_value(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _dataset_problem(value: dict[str, Any]) -> tuple[str, str] | None:
    unknown = sorted(set(value) - set(_DATASET_FIELDS))
    if unknown:
        return unknown[0], f"has no field {unknown[0]!r} (its fields: {', '.join(_DATASET_FIELDS)})"
    if value.get("name") not in DATASET_NAMES:
        return "name", f"name must be one of {', '.join(DATASET_NAMES)}, not {value.get('name')!r}"
    options = value.get("options", {})
    if not (isinstance(options, dict) and _json_value(options)):
        return "options", f"options must be an object of name: JSON value, not {options!r}"
    fraction = value.get("val_fraction", 0.2)
    if not (_number(fraction) and 0 < fraction < 1):
        return "val_fraction", f"val_fraction must be a number between 0 and 1 (exclusive), not {fraction!r}"
    seed = value.get("seed", 0)
    if not (_int(seed) and seed >= 0):
        return "seed", f"seed must be a whole number of at least 0, not {seed!r}"
    return None


def _dataset(value: Any) -> bool:
    """null or {name, options, val_fraction, seed} (all but name optional); a wrong field raises its own
    error located at that field, so the message names the field rather than repeating the whole object."""
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    problem = _dataset_problem(value)
    if problem is not None:
        raise ProjectFormatError(f"dataset {problem[1]}", location=f"settings.dataset.{problem[0]}")
    return True


_SETTING_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "dataset": (_dataset, "null or an object {name, options, val_fraction, seed}"),
    "batch_size": (lambda v: _int(v) and v >= 1, "a whole number of at least 1"),
    "epochs": (lambda v: _int(v) and v >= 1, "a whole number of at least 1"),
    "optimizer": (lambda v: isinstance(v, str) and bool(v), "an optimizer name"),
    "optimizer_options": (_options, "an object of name: value"),
    "scheduler": (lambda v: v is None or isinstance(v, str), "a scheduler name or null"),
    "scheduler_options": (_options, "an object of name: value"),
    "loss": (lambda v: v is None or isinstance(v, str), "a loss name or null"),
    "metrics": (lambda v: isinstance(v, list) and all(isinstance(m, str) for m in v), "a list of names"),
    "device": (lambda v: isinstance(v, str) and bool(v), "a device name ('auto', 'cpu', 'cuda')"),
    "seed": (lambda v: v is None or _int(v), "a whole number or null"),
    "checkpoint_interval": (lambda v: _int(v) and v >= 0, "a whole number of at least 0"),
    "num_workers": (lambda v: _int(v) and v >= 0, "a whole number of at least 0"),
    "threads": (lambda v: _int(v) and v >= 0, "a whole number of at least 0 (0 = automatic)"),
    "nan_guard": (lambda v: isinstance(v, bool), "true or false"),
    "capture": (lambda v: _capture(v), "an object with enabled (true/false), every_n_steps (at least 1) "
                "and nodes (a list of node ids)"),
}
_EARLY_STOPPING_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "enabled": (lambda v: isinstance(v, bool), "true or false"),
    "monitor": (lambda v: isinstance(v, str) and bool(v), "a metric name"),
    "patience": (lambda v: _int(v) and v >= 0, "a whole number of at least 0"),
    "min_delta": (lambda v: _number(v) and v >= 0, "a number of at least 0"),
}


def _capture(value: Any) -> bool:
    checks = {"enabled": lambda v: isinstance(v, bool), "every_n_steps": lambda v: _int(v) and v >= 1,
              "nodes": lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v)}
    return isinstance(value, dict) and all(k in checks and checks[k](v) for k, v in value.items())


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_settings(settings: Mapping[str, Any], location: str = "settings") -> dict[str, Any]:
    """Defaults completed, every value checked; an unknown or wrong one raises ProjectFormatError."""
    if not isinstance(settings, Mapping):
        raise ProjectFormatError("settings must be an object", location=location)
    out = _checked(settings, DEFAULT_SETTINGS, {**_SETTING_CHECKS, "early_stopping": None}, location)
    early = out["early_stopping"]
    if not isinstance(early, Mapping):
        raise ProjectFormatError("early_stopping must be an object", location=f"{location}.early_stopping")
    out["early_stopping"] = _checked(early, DEFAULT_SETTINGS["early_stopping"], _EARLY_STOPPING_CHECKS,
                                     f"{location}.early_stopping")
    return out


def _checked(values: Mapping[str, Any], defaults: Mapping[str, Any],
             checks: Mapping[str, tuple[Callable[[Any], bool], str] | None], location: str) -> dict[str, Any]:
    unknown = sorted(set(values) - set(checks))
    if unknown:
        raise ProjectFormatError(f"unknown setting {unknown[0]!r}", location=f"{location}.{unknown[0]}")
    out = {}
    for key in checks:
        value = values.get(key, defaults[key])
        check = checks[key]
        if check is not None and not check[0](value):
            raise ProjectFormatError(f"{key} must be {check[1]}, not {value!r}", location=f"{location}.{key}")
        out[key] = _copy(value)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# -------------------------------------------------------------------------------- migrations ---
def _from_v0(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (pre-release) wrote links as "src.port->dst.port" strings."""
    graph = dict(data.get("graph") or {})
    links = []
    for i, text in enumerate(graph.get("links", [])):
        try:
            src, dst = text.split("->")
            (s, sp), (d, dp) = src.strip().split("."), dst.strip().split(".")
        except (AttributeError, ValueError):
            raise ProjectFormatError(f"expected 'node.port->node.port', not {text!r}",
                                     location=f"graph.links[{i}]") from None
        links.append({"src": s, "src_port": sp, "dst": d, "dst_port": dp})
    graph["links"] = links
    return {**data, "graph": graph, "format_version": 1}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a parsed project dict to FORMAT_VERSION, one version at a time."""
    version = data.get("format_version")
    if version is None:
        raise ProjectFormatError("missing 'format_version': this is not a Model Studio project")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProjectFormatError(f"format_version must be a whole number, not {version!r}",
                                 location="format_version")
    if version > FORMAT_VERSION:
        raise ProjectFormatError(f"this project was saved in format {version} by a newer Model Studio; "
                                 f"this version reads formats up to {FORMAT_VERSION}",
                                 location="format_version")
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            raise ProjectFormatError(f"format {version} can no longer be read", location="format_version")
        data = MIGRATIONS[version](data)
        if data.get("format_version") != version + 1:
            raise ProjectFormatError(f"the migration from format {version} did not reach {version + 1}")
        version += 1
    return data


# ----------------------------------------------------------------------------------- project ---
def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(eq=False)
class Project:
    graph: Graph = field(default_factory=Graph)
    settings: dict[str, Any] = field(default_factory=lambda: validate_settings({}))
    name: str = "Untitled"
    created: str = field(default_factory=_now)
    modified: str = ""
    library: list[str] = field(default_factory=list)  # names of user-library blocks the project used
    path: Path | None = None  # where it was last loaded from or saved to (not stored in the file)

    def __post_init__(self) -> None:
        self.modified = self.modified or self.created

    @property
    def weights_path(self) -> Path | None:
        return weights_path(self.path) if self.path is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION, "name": self.name, "created": self.created,
            "modified": self.modified, "graph": graph_to_dict(self.graph),
            "blocks": blocks_to_dict(self.graph), "settings": validate_settings(self.settings),
            "library": list(self.library),
        }

    def to_json(self) -> str:
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Project:
        try:
            data = migrate(dict(data))
            blocks = blocks_from_dict(get(data, "blocks", dict, "", {}))
            graph = graph_from_dict(get(data, "graph", dict, ""), "graph", blocks)
            library = get(data, "library", list, "", [])
            if not all(isinstance(n, str) for n in library):
                raise ProjectFormatError("library must be a list of block names", location="library")
            settings = validate_settings(get(data, "settings", dict, "", {}))
        except ProjectFormatError:
            raise
        except GraphError as exc:  # a refusal from the model while building: still one clear error
            raise ProjectFormatError(exc.message) from None
        return cls(graph=graph, settings=settings, name=get(data, "name", str, "", "Untitled"),
                   created=get(data, "created", str, "", ""), modified=get(data, "modified", str, "", ""),
                   library=list(library))

    @classmethod
    def from_json(cls, text: str, *, path: str | None = None) -> Project:
        try:
            return cls.from_dict(loads(text, path=path))
        except ProjectFormatError as exc:
            exc.path = path
            raise

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("save() needs a path the first time")
        self.modified = _now()
        atomic_write(target, self.to_json())
        self.path = target
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Project:
        project = cls.from_json(read_text(path), path=str(path))
        project.path = Path(path)
        return project


def save_project(project: Project, path: str | os.PathLike[str]) -> Path:
    return project.save(path)


def load_project(path: str | os.PathLike[str]) -> Project:
    return Project.load(path)


# ----------------------------------------------------------------------------------- weights ---
def weights_path(path: str | os.PathLike[str]) -> Path:
    """model.msproj -> model.weights.safetensors (a path already naming the weights stays as it is)."""
    path = Path(path)
    if path.name.endswith(WEIGHTS_SUFFIX):
        return path
    stem = path.name[:-len(PROJECT_SUFFIX)] if path.name.endswith(PROJECT_SUFFIX) else path.name
    return path.with_name(stem + WEIGHTS_SUFFIX)


def save_weights(path: str | os.PathLike[str], state_dict: Mapping[str, Any]) -> Path:
    """Write a state dict (engine tensors or arrays) as safetensors, atomically, beside the project."""
    from safetensors.numpy import save

    arrays = {}
    for name, value in state_dict.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arrays[name] = np.ascontiguousarray(value)
    target = weights_path(path)
    atomic_write(target, save(arrays))
    return target


def load_weights(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The state dict saved by save_weights, as engine tensors."""
    from safetensors.numpy import load

    import engine

    target = weights_path(path)
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise ProjectFormatError(f"cannot read {target}: {exc.strerror or exc}", path=str(target)) from None
    try:
        arrays = load(data)
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise ProjectFormatError(f"the weights file is damaged: {exc}", path=str(target)) from None
    return {name: engine.from_numpy(array.copy()) for name, array in arrays.items()}
