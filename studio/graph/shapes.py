"""Symbolic shapes: a tuple whose entries are ints or the batch symbol N (or another name)."""

from __future__ import annotations

from collections.abc import Iterable

BATCH = "N"
Dim = int | str
Shape = tuple[Dim, ...]


def format_shape(shape: Shape | None) -> str:
    """`N×16×14×14`; `?` for an unknown shape; `scalar` for ()."""
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "×".join(str(d) for d in shape)


def numel(shape: Iterable[Dim], batch: int = 1) -> int:
    """Elements in one tensor of this shape, symbols counted as `batch`."""
    n = 1
    for d in shape:
        n *= batch if isinstance(d, str) else d
    return n


def concrete(shape: Shape, batch: int) -> tuple[int, ...]:
    return tuple(batch if isinstance(d, str) else d for d in shape)


def per_sample(shape: Shape) -> tuple[int, ...]:
    """Dims after the batch dim (all must be concrete)."""
    return tuple(int(d) for d in shape[1:])


class Incoming(tuple):
    """A shape arriving at an input port, remembering where it came from (for error messages)."""

    origin: str

    def __new__(cls, shape: Shape, origin: str = "") -> Incoming:
        obj = super().__new__(cls, shape)
        obj.origin = origin
        return obj


def came_from(shape: Shape) -> str:
    """' (16×5×5 from Flatten)' when the shape knows its origin, else ''."""
    origin = getattr(shape, "origin", "")
    return f" ({origin})" if origin else ""
