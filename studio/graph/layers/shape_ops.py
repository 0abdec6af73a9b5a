"""Shape layers: Reshape and Permute. Both leave the batch dim alone and act on each sample.

Reshape's `shape` is the shape of ONE sample (-1 once: "whatever is left"), e.g. (1, 28, 28) turns N×784
into N×1×28×28. Permute's `dims` orders dims 1.. counted as torch does (the batch is dim 0 and stays
first), e.g. (2, 3, 1) turns N×C×H×W into N×H×W×C, like x.permute(0, 2, 3, 1).
Like the merge layers they are helper classes whose source serves both scripts and studio (see merge.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, LayerSpec, ParamSpec, call_code, register
from ..shapes import came_from, format_shape, numel
from .merge import helper_classes

P = Mapping[str, Any]

HELPER_SOURCES: dict[str, str] = {
    "Reshape": '''class Reshape(nn.Module):
    """Reshapes each sample to `shape` (-1: whatever is left), keeping the batch dim."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return ", ".join(str(s) for s in self.shape)
''',
    "Permute": '''class Permute(nn.Module):
    """Reorders the dims of each sample; the batch dim stays first."""

    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(0, *self.dims)

    def extra_repr(self):
        return ", ".join(str(d) for d in self.dims)
''',
}

_CLASSES: dict[str, type] = {}


def __getattr__(name: str) -> type:
    if name in HELPER_SOURCES:
        if not _CLASSES:
            _CLASSES.update(helper_classes(HELPER_SOURCES, __name__))
        return _CLASSES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _reshape_infer(params: P, inputs: P) -> dict:
    x, shape = inputs["in"], tuple(params["shape"])
    if any(d == 0 or d < -1 for d in shape) or shape.count(-1) > 1:
        raise ShapeError(f"Reshape shape {format_shape(shape)} may only hold positive sizes and one -1")
    if any(isinstance(d, str) for d in x[1:]):
        raise ShapeError(f"Reshape needs a known sample shape, but receives {format_shape(x)}{came_from(x)}")
    total, fixed = numel(x[1:]), numel(d for d in shape if d != -1)
    given = f"{format_shape(x)}{came_from(x)}, {total} values per sample,"
    if -1 in shape:
        if total % fixed:
            raise ShapeError(f"Reshape cannot turn {given} into {format_shape(shape)}: {total} is not a "
                             f"multiple of {fixed}")
        shape = tuple(total // fixed if d == -1 else d for d in shape)
    elif fixed != total:
        raise ShapeError(f"Reshape cannot turn {given} into {format_shape(shape)} ({fixed} values)")
    return {"out": (x[0], *shape)}


register(LayerSpec(
    type="Reshape", category="Shape",
    doc="Gives each sample a new shape with the same number of values, e.g. 784 -> 1×28×28.",
    params=(ParamSpec("shape", "shape", (-1,), minimum=-1,
                      doc="shape of one sample, without the batch; -1 once for 'the rest'"),),
    infer=_reshape_infer, cost=lambda p, i, o: Cost(activations=numel(o["out"][1:])),
    build=lambda p, i: __getattr__("Reshape")(*p["shape"]),
    code=lambda p, i: call_code("Reshape", *p["shape"]), code_helpers=("Reshape",),
))


def _permute_infer(params: P, inputs: P) -> dict:
    x, dims = inputs["in"], tuple(params["dims"])
    if sorted(dims) != list(range(1, len(x))):
        expected = ", ".join(str(d) for d in range(1, len(x)))
        raise ShapeError(f"Permute dims {', '.join(map(str, dims))} must list each of the dims {expected} of "
                         f"{format_shape(x)}{came_from(x)} exactly once (dim 0, the batch, stays first)")
    return {"out": (x[0], *(x[d] for d in dims))}


register(LayerSpec(
    type="Permute", category="Shape",
    doc="Reorders the dims of each sample, e.g. N×L×C -> N×C×L with dims (2, 1).",
    params=(ParamSpec("dims", "shape", (2, 1), minimum=1, doc="new order of dims 1.. (the batch stays 0)"),),
    infer=_permute_infer, cost=lambda p, i, o: Cost(activations=numel(o["out"][1:])),
    build=lambda p, i: __getattr__("Permute")(*p["dims"]),
    code=lambda p, i: call_code("Permute", *p["dims"]), code_helpers=("Permute",),
))
