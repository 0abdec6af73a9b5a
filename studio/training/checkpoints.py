"""Checkpoints (everything a run needs to continue exactly) and cheap in-memory weight snapshots.

A checkpoint is one engine.save file (safetensors, no pickle) written to a temporary file beside the
target, flushed and renamed over it, so a crash mid-write leaves the previous checkpoint intact. It holds
the model, optimizer and scheduler states, the position (epoch, batch, step), every random generator's
state, the epoch history and the trainer's running counters (see Trainer._save_checkpoint).
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import engine
from studio.graph.serialize import atomic_write

CHECKPOINT_NAME = "checkpoint.safetensors"
FORMAT = "studio.checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not fit the model."""


def save_checkpoint(path: str | os.PathLike[str], state: Mapping[str, Any]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    engine.save({"format": FORMAT, "version": VERSION, **state}, buffer)
    atomic_write(target, buffer.getvalue())  # temp file + fsync + rename
    return target


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    target = Path(path)
    if target.is_dir():
        target = target / CHECKPOINT_NAME
    if not target.is_file():
        raise CheckpointError(f"no checkpoint at {target}")
    try:
        state = engine.load(target)
    except Exception as exc:  # engine.load raises its own error types for damaged files
        raise CheckpointError(f"cannot read the checkpoint {target}: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{target} is not a Model Studio checkpoint")
    if state.get("version", 0) > VERSION:
        raise CheckpointError(f"{target} was written by a newer Model Studio (version {state['version']})")
    return state


# ------------------------------------------------------------------------------------ random state ---
def seed_everything(seed: int) -> None:
    engine.manual_seed(seed)
    np.random.seed(seed % (1 << 32))
    random.seed(seed)


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "engine": engine.get_rng_state(),
        # safetensors has no uint32: the Mersenne Twister keys travel as int64
        "numpy": [np_state[0], np_state[1].astype(np.int64), *np_state[2:]],
        "python": random.getstate(),
    }
    if engine.cuda.is_available():
        state["cuda"] = engine.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    engine.set_rng_state(state["engine"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, np.asarray(keys).astype(np.uint32), *rest))
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))
    if "cuda" in state and engine.cuda.is_available():
        engine.cuda.set_rng_state_all(state["cuda"])


# ------------------------------------------------------------------------------- weight snapshots ---
def snapshot(module: engine.nn.Module) -> dict[str, Any]:
    """A copy of the state dict's arrays (on their device): cheap to take, enough to roll back."""
    with engine.no_grad():
        return {name: value.detach().clone() for name, value in module.state_dict().items()}


def restore(module: engine.nn.Module, saved: Mapping[str, Any]) -> None:
    module.load_state_dict(dict(saved))


def all_finite(module: engine.nn.Module) -> bool:
    """Whether every floating parameter and buffer is finite (one reduction and one sync per tensor)."""
    with engine.no_grad():
        for value in module.state_dict().values():
            if value.is_floating_point() and not bool(engine.isfinite(value).all().item()):
                return False
    return True
