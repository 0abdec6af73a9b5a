"""Merge layers: Add, Multiply, Concat. Each has ONE variadic input port "in" taking several links in link
order; the module's forward takes them as *inputs.

torch has no module for these, so they are small helper classes. HELPER_SOURCES holds their plain source,
valid for torch and the engine alike (it only uses the names `torch` and `nn`): exported scripts paste it,
and the studio runs the very same source, exec'd once against the engine (see helper_classes).

Concat's `dim` counts dims as torch.cat does, the batch being dim 0: dim=1 joins channels of N×C×H×W
(or features of N×F), dim=-1 the last dim. Joining along dim 0 (the batch) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, LayerSpec, ParamSpec, PortSpec, call_code, register
from ..shapes import Shape, came_from, format_shape, numel

P = Mapping[str, Any]

HELPER_SOURCES: dict[str, str] = {
    "Add": '''class Add(nn.Module):
    """Sums its inputs elementwise (they must have the same shape, or broadcast)."""

    def forward(self, *inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out
''',
    "Multiply": '''class Multiply(nn.Module):
    """Multiplies its inputs elementwise (they must have the same shape, or broadcast)."""

    def forward(self, *inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out
''',
    "Concat": '''class Concat(nn.Module):
    """Joins its inputs along `dim` (torch.cat numbering: the batch is dim 0)."""

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, *inputs):
        return torch.cat(inputs, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
''',
}


def helper_classes(sources: Mapping[str, str], module_name: str) -> dict[str, type]:
    """Exec helper sources against the engine; the classes claim `module_name` so pickling finds them."""
    import engine

    namespace: dict[str, Any] = {"torch": engine, "nn": engine.nn, "__name__": module_name}
    for name, source in sources.items():
        exec(compile(source, f"<studio helper {name}>", "exec"), namespace)  # our own constant source
    return {name: namespace[name] for name in sources}


_CLASSES: dict[str, type] = {}


def __getattr__(name: str) -> type:
    """merge.Add etc. exist lazily (the engine is imported on first use, as in core.py)."""
    if name in HELPER_SOURCES:
        if not _CLASSES:
            _CLASSES.update(helper_classes(HELPER_SOURCES, __name__))
        return _CLASSES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _shapes(layer: str, inputs: P) -> list[Shape]:
    shapes = list(inputs["in"])
    if len(shapes) < 2:
        raise ShapeError(f"{layer} needs at least 2 inputs, {len(shapes)} connected")
    return shapes


def _pair(a: Shape, b: Shape) -> str:
    return f"{format_shape(a)}{came_from(a)} vs {format_shape(b)}{came_from(b)}"


def _broadcast(layer: str, shapes: Sequence[Shape]) -> Shape:
    out = tuple(shapes[0])
    for x in shapes[1:]:
        if len(x) != len(out):
            raise ShapeError(f"{layer} needs inputs with the same number of dims: {_pair(shapes[0], x)}")
        dims = []
        for a, b in zip(out, x):
            if a != b and 1 not in (a, b):
                raise ShapeError(f"{layer} needs inputs of the same shape (or broadcastable): "
                                 f"{_pair(shapes[0], x)}")
            dims.append(b if a == 1 else a)
        out = tuple(dims)
    return out


def _elementwise_entry(layer: str, doc: str) -> None:
    def infer(params: P, inputs: P) -> dict:
        return {"out": _broadcast(layer, _shapes(layer, inputs))}

    def cost(params: P, inputs: P, outputs: P) -> Cost:
        n = numel(outputs["out"][1:])
        return Cost(flops=(len(inputs["in"]) - 1) * n, activations=n)

    register(LayerSpec(
        type=layer, category="Merge", doc=doc, inputs=(PortSpec("in", variadic=True),),
        infer=infer, cost=cost, build=lambda p, i: __getattr__(layer)(),
        code=lambda p, i: f"{layer}()", code_helpers=(layer,),
    ))


_elementwise_entry("Add", "Sums its inputs elementwise, e.g. a residual (skip) connection.")
_elementwise_entry("Multiply", "Multiplies its inputs elementwise, e.g. a gate or an attention mask.")


def _concat_infer(params: P, inputs: P) -> dict:
    shapes = _shapes("Concat", inputs)
    first, dim = shapes[0], params["dim"]
    ndim = len(first)
    if not -ndim <= dim < ndim:
        raise ShapeError(f"Concat dim {dim} is out of range for the {ndim}-D input "
                         f"{format_shape(first)}{came_from(first)}")
    dim %= ndim
    if dim == 0:
        raise ShapeError("Concat along dim 0 would join batches; use dim 1 (channels/features) or later")
    total = 0
    for x in shapes:
        if len(x) != ndim or any(a != b for i, (a, b) in enumerate(zip(first, x)) if i != dim):
            raise ShapeError(f"Concat inputs must match except in dim {dim}: {_pair(first, x)}")
        if isinstance(x[dim], str):
            raise ShapeError(f"Concat needs a known size in dim {dim}, but receives "
                             f"{format_shape(x)}{came_from(x)}")
        total += x[dim]
    return {"out": (*first[:dim], total, *first[dim + 1:])}


register(LayerSpec(
    type="Concat", category="Merge",
    doc="Joins its inputs along dim (1 = channels), e.g. the skip connections of a U-Net.",
    params=(ParamSpec("dim", "int", 1, doc="dim to join along, counting the batch as 0 (like torch.cat)"),),
    inputs=(PortSpec("in", variadic=True),), infer=_concat_infer,
    cost=lambda p, i, o: Cost(activations=numel(o["out"][1:])),
    build=lambda p, i: __getattr__("Concat")(p["dim"]),
    code=lambda p, i: call_code("Concat", dim=p["dim"], defaults={"dim": 1}), code_helpers=("Concat",),
))
