"""Training runs on disk: `<project dir>/runs/<YYYYmmdd-HHMMSS[-name]>/`.

A run folder holds:
  graph.msproj        the project as it was trained (graph + settings), loadable with Project.load
  settings.json       the settings the run used (with "seed_used" when the seed was chosen at random)
  run.json            name, start/end time, status ("running", "finished", "stopped", ...), message
  metrics.csv         one row per epoch: epoch, step, train_loss, val_loss, lr, seconds, then the metrics
  steps.csv           one row per optimizer step: step, epoch, loss (that batch's training loss), lr (after
                      the step); rewritten whole at every epoch's end and at the run's end, so a stopped,
                      diverged or failed run keeps the steps it took; a resumed run keeps the rows up to its
                      checkpoint. Older runs have no steps.csv (read_steps gives no rows).
  weights.safetensors the final weights (plain safetensors, like the project's weights file)
  checkpoint.safetensors  the last checkpoint (checkpoints.py), for resuming
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from studio.graph.serialize import atomic_write

from .callbacks import EpochInfo, RunResult
from .checkpoints import CHECKPOINT_NAME

RUNS_DIR = "runs"
FIXED_COLUMNS = ("epoch", "step", "train_loss", "val_loss", "lr", "seconds")
STEPS_FILE = "steps.csv"
STEP_COLUMNS = ("step", "epoch", "loss", "lr")
_TIME_FORMAT = "%Y%m%d-%H%M%S"


def runs_dir(project_path: str | os.PathLike[str]) -> Path:
    """The runs folder of a project, given its folder or its .msproj file."""
    path = Path(project_path)
    return (path.parent if path.suffix == ".msproj" or path.is_file() else path) / RUNS_DIR


def new_run_dir(base: str | os.PathLike[str], name: str | None = None, now: datetime | None = None) -> Path:
    """Create and return a fresh run folder under `base` (a suffix -2, -3... when the name is taken)."""
    stem = (now or datetime.now()).strftime(_TIME_FORMAT)
    clean = re.sub(r"[^0-9A-Za-z_.-]+", "-", name or "").strip("-.")
    if clean:
        stem += "-" + clean
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = base / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a run folder named {stem} in {base}")


class RunError(ValueError):
    """A run file that exists but cannot be read (damaged, unreadable); the message names the file."""


class RunWriter:
    """Writes one run's files; every write is atomic (metrics.csv and steps.csv are rewritten whole: the
    step rows are kept formatted, so a rewrite is one join and one write)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.columns: list[str] = list(FIXED_COLUMNS)
        self.rows: list[dict[str, Any]] = []
        self._step_lines: list[str] = []

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT_NAME

    def start(self, project_json: str, settings: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        atomic_write(self.path / "graph.msproj", project_json)
        atomic_write(self.path / "settings.json", _json(settings))
        self.write_status(info)

    def write_status(self, info: Mapping[str, Any]) -> None:
        previous = read_json(self.path / "run.json")
        atomic_write(self.path / "run.json", _json({**previous, **info}))

    def set_metrics(self, metric_names: Sequence[str], history: Iterable[EpochInfo]) -> None:
        """Fix the columns and write the rows so far (a resumed run rewrites its checkpointed history)."""
        self.columns = [*FIXED_COLUMNS, *metric_names]
        self.rows = []
        for info in history:
            self.rows.append(_row(info))
        self._write_metrics()

    def append(self, info: EpochInfo) -> None:
        self.rows.append(_row(info))
        self._write_metrics()

    def _write_metrics(self) -> None:
        out = io.StringIO()
        writer = csv.DictWriter(out, self.columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write(self.path / "metrics.csv", out.getvalue())

    def add_step(self, step: int, epoch: int, loss: float, lr: float) -> None:
        """Record one optimizer step (written by the next write_steps)."""
        self._step_lines.append(f"{int(step)},{int(epoch)},{float(loss)!r},{float(lr)!r}\n")

    def keep_steps_until(self, step: int) -> None:
        """A resumed run: keep the steps already on disk up to `step` (its checkpoint), drop later ones."""
        try:
            history = read_steps(self.path)
        except RunError:
            history = StepHistory.empty()
        keep = history.step <= step
        self._step_lines = [f"{s},{e},{loss!r},{lr!r}\n" for s, e, loss, lr in zip(
            history.step[keep].tolist(), history.epoch[keep].tolist(), history.loss[keep].tolist(),
            history.lr[keep].tolist())]

    def write_steps(self) -> None:
        atomic_write(self.path / STEPS_FILE, ",".join(STEP_COLUMNS) + "\n" + "".join(self._step_lines))

    def write_weights(self, state_dict: Mapping[str, Any]) -> Path:
        from safetensors.numpy import save

        arrays = {name: np.ascontiguousarray(value.detach().cpu().numpy())
                  for name, value in state_dict.items()}
        target = self.path / "weights.safetensors"
        atomic_write(target, save(arrays))
        return target

    def finish(self, result: RunResult) -> None:
        self.write_steps()
        self.write_status({"status": result.status, "message": result.message, "finished": _now(),
                           "epochs_done": result.epochs_done, "steps_done": result.steps_done})


def _row(info: EpochInfo) -> dict[str, Any]:
    row = {"epoch": info.epoch, "step": info.step,
           "train_loss": info.train_loss, "val_loss": "" if info.val_loss is None else info.val_loss,
           "lr": info.lr, "seconds": round(info.seconds, 3)}
    row.update({k: v for k, v in info.metrics.items() if k not in row})
    return row


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# -------------------------------------------------------------------------------------- reading ---
@dataclass
class RunInfo:
    name: str
    path: Path
    started: str
    status: str  # "running" (or crashed without a word), "finished", "stopped", "diverged", "failed",
    # or "broken" (a file of the run could not be read: see error)
    message: str = ""
    error: str = ""  # what is wrong with the folder ("" when every file that is there reads)
    settings: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)  # the last epoch's row
    history: list[dict[str, float | None]] = field(default_factory=list)  # every epoch's row
    epochs_done: int = 0

    @property
    def has_checkpoint(self) -> bool:
        return (self.path / CHECKPOINT_NAME).is_file()

    @property
    def weights_path(self) -> Path | None:
        path = self.path / "weights.safetensors"
        return path if path.is_file() else None


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, float | None]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    rows = csv.DictReader(io.StringIO(text))
    return [{k: _number(v) for k, v in row.items() if k is not None} for row in rows]


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _read_json_checked(path: Path) -> tuple[dict[str, Any], str]:
    """The JSON object in `path` ({} when the file is missing) and what is wrong with it ("" when nothing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"cannot read {path.name}: {getattr(exc, 'strerror', None) or exc}"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return {}, f"{path.name} is damaged: {exc}"
    if not isinstance(data, dict):
        return {}, f"{path.name} does not hold a JSON object"
    return data, ""


def load_run(path: str | os.PathLike[str]) -> RunInfo:
    """What one run folder says; missing files give empty fields (a run that crashed early), damaged ones
    status "broken" and the reason in `error`."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no run folder at {path}")
    status, status_error = _read_json_checked(path / "run.json")
    settings, settings_error = _read_json_checked(path / "settings.json")
    history = read_metrics(path / "metrics.csv")
    started = status.get("started") or _started_from_name(path.name)
    epochs = status.get("epochs_done")
    error = "; ".join(e for e in (status_error, settings_error) if e)
    return RunInfo(name=path.name, path=path, started=str(started),
                   status="broken" if error else str(status.get("status", "running")),
                   message=str(status.get("message", "")), error=error, settings=settings,
                   metrics=dict(history[-1]) if history else {}, history=history,
                   epochs_done=int(epochs) if isinstance(epochs, int) else len(history))


@dataclass(frozen=True)
class StepHistory:
    """Every optimizer step of a run (steps.csv), one array per column, in step order."""

    step: np.ndarray  # int64
    epoch: np.ndarray  # int64
    loss: np.ndarray  # float64
    lr: np.ndarray  # float64

    @classmethod
    def empty(cls) -> StepHistory:
        ints, floats = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return cls(ints, ints.copy(), floats, floats.copy())

    def __len__(self) -> int:
        return len(self.step)


def read_steps(run_path: str | os.PathLike[str]) -> StepHistory:
    """The step rows of a run folder; none for a run without steps.csv (older runs). A damaged file raises
    RunError naming it."""
    path = Path(run_path) / STEPS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return StepHistory.empty()
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    header, _, body = text.partition("\n")
    names = header.strip().split(",")
    missing = [c for c in STEP_COLUMNS if c not in names]
    if missing:
        raise RunError(f"{path} has no {', '.join(missing)} column (header: {header.strip()!r})")
    if not body.strip():
        return StepHistory.empty()
    try:
        table = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2,
                           usecols=[names.index(c) for c in STEP_COLUMNS])
    except ValueError as exc:
        raise RunError(f"{path} is damaged: {exc}") from None
    return StepHistory(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2].copy(),
                       table[:, 3].copy())


def _started_from_name(name: str) -> str:
    try:
        return datetime.strptime(name[:15], _TIME_FORMAT).isoformat()
    except ValueError:
        return ""


def list_runs(project_path: str | os.PathLike[str]) -> list[RunInfo]:
    """The project's runs, oldest first (given the project's folder or its .msproj file)."""
    folder = runs_dir(project_path)
    if not folder.is_dir():
        return []
    runs = [_load_or_report(p) for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(runs, key=lambda r: (r.started, r.name))


def _load_or_report(path: Path) -> RunInfo:
    try:
        return load_run(path)
    except OSError as exc:  # an unreadable folder is listed with its reason rather than hiding the others
        return RunInfo(name=path.name, path=path, started=_started_from_name(path.name), status="broken",
                       error=f"cannot read the run folder: {exc.strerror or exc}")


@dataclass
class RunTable:
    columns: list[str]
    rows: list[list[Any]]

    def to_text(self) -> str:
        cells = [self.columns] + [[format_cell(v) for v in row] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
        return "\n".join(lines[:1] + ["  ".join("-" * w for w in widths)] + lines[1:]) + "\n"


def format_cell(value: Any) -> str:
    """A table cell's text: "-" for nothing, 4 significant digits for floats."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def compare_runs(runs: Iterable[RunInfo]) -> RunTable:
    """One row per run: name, status, epochs, final losses and metrics, then the settings that differ."""
    runs = list(runs)
    metric_names: list[str] = []
    for run in runs:
        for key in run.metrics:
            if key not in FIXED_COLUMNS and key not in metric_names:
                metric_names.append(key)
    flat = [_flat_settings(run.settings) for run in runs]
    keys = sorted({k for f in flat for k in f})
    differing = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    columns = ["run", "status", "epochs", "train_loss", "val_loss", *metric_names, *differing]
    rows = []
    for run, settings in zip(runs, flat):
        rows.append([run.name, run.status, run.epochs_done, run.metrics.get("train_loss"),
                     run.metrics.get("val_loss"), *(run.metrics.get(m) for m in metric_names),
                     *(settings.get(k) for k in differing)])
    return RunTable(columns, rows)


def _flat_settings(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping) and key != "dataset":
            out.update(_flat_settings(value, f"{prefix}{key}."))
        else:
            plain = isinstance(value, (dict, list))
            out[prefix + key] = json.dumps(value, sort_keys=True) if plain else value
    return out
