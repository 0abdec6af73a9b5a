"""The layer registry: one declarative LayerSpec per layer type.

The palette, property forms, shape/cost inference, compile and code export all read these entries.
Layer families live in studio/graph/layers/*.py and call `register(...)` at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ParamError, UnknownLayerError
from .shapes import Shape

INPUT, OUTPUT = "in", "out"
ROLE_LAYER, ROLE_INPUT, ROLE_OUTPUT, ROLE_TARGET, ROLE_LOSS = "layer", "input", "output", "target", "loss"
ROLE_BLOCK = "block"  # a container node: inference and compile expand it (blocks.py), it has no rules itself


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: kind is 'int', 'float', 'bool', 'str', 'choice', 'ints' (tuple of ints) or 'shape'."""

    name: str
    kind: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    length: int | None = None  # for 'ints': fixed tuple length (an int is expanded to it)
    optional: bool = False  # None allowed
    doc: str = ""

    def validate(self, value: Any, *, node_id: str | None = None) -> Any:
        """Return the normalised value or raise ParamError naming the parameter and the problem."""
        if value is None:
            if self.optional:
                return None
            raise ParamError(f"{self.name} needs a value", node_id=node_id)
        kind = self.kind
        try:
            if kind == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError
                value = int(value)
            elif kind == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError
                value = float(value)
            elif kind == "bool":
                if not isinstance(value, bool):
                    raise TypeError
            elif kind == "str":
                if not isinstance(value, str):
                    raise TypeError
            elif kind == "choice":
                if value not in self.choices:
                    choices = ", ".join(repr(c) for c in self.choices)
                    raise ParamError(f"{self.name} must be one of {choices}, not {value!r}", node_id=node_id)
            elif kind in ("ints", "shape"):
                value = self._ints(value)
            else:  # pragma: no cover - a registry entry with a typo
                raise ParamError(f"{self.name} has an unknown kind {kind!r}", node_id=node_id)
        except TypeError:
            message = f"{self.name} must be {_KIND_WORDS[kind]}, not {value!r}"
            raise ParamError(message, node_id=node_id) from None
        self._check_range(value, node_id)
        return value

    def _ints(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int):
            return (value,) * (self.length or 1)
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise TypeError
        if self.length is not None and len(value) != self.length:
            raise ParamError(f"{self.name} needs {self.length} values, got {len(value)}")
        return tuple(value)

    def _check_range(self, value: Any, node_id: str | None) -> None:
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if self.minimum is not None and v < self.minimum:
                raise ParamError(f"{self.name} must be at least {self.minimum:g}, got {v}", node_id=node_id)
            if self.maximum is not None and v > self.maximum:
                raise ParamError(f"{self.name} must be at most {self.maximum:g}, got {v}", node_id=node_id)


_KIND_WORDS = {
    "int": "a whole number", "float": "a number", "bool": "true or false", "str": "text",
    "choice": "one of the choices", "ints": "a whole number or a list of whole numbers",
    "shape": "a list of whole numbers",
}


@dataclass(frozen=True)
class PortSpec:
    name: str
    variadic: bool = False  # an input port that takes several links (Add, Concat, Multiply)
    optional: bool = False  # an input that may stay unconnected


@dataclass(frozen=True)
class Cost:
    """Per-node costs: trainable parameters, forward FLOPs per sample and activation elements per sample."""

    params: int = 0
    flops: int = 0
    activations: int = 0


InferFn = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Shape]]
CostFn = Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Shape]], Cost]
BuildFn = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
CodeFn = Callable[[Mapping[str, Any], Mapping[str, Any]], str]


@dataclass(frozen=True)
class LayerSpec:
    """Everything the studio knows about one layer type.

    infer(params, inputs) -> {output port: shape}; `inputs` maps input port names to a Shape (or, for a
    variadic port, a list of Shapes in link order). Raises ShapeError with a message a user understands.
    cost(params, inputs, outputs) -> Cost.
    build(params, inputs) -> an engine nn.Module whose forward takes the inputs in port order (variadic
    ports expand to several positional arguments) and returns one tensor, or a tuple in output-port order.
    code(params, inputs) -> the Python expression that constructs the module in exported scripts, using the
    names `nn` (torch.nn or engine.nn) and, where needed, classes emitted by `helpers` (see code_helpers).
    """

    type: str
    category: str
    doc: str
    params: tuple[ParamSpec, ...] = ()
    inputs: tuple[PortSpec, ...] = (PortSpec("in"),)
    outputs: tuple[PortSpec, ...] = (PortSpec("out"),)
    infer: InferFn | None = None
    cost: CostFn | None = None
    build: BuildFn | None = None
    code: CodeFn | None = None
    role: str = ROLE_LAYER
    weighted: bool = False  # has a weight matrix: SpectralNorm may wrap it
    code_helpers: tuple[str, ...] = ()  # names of helper classes the exported script must define
    label: str = ""  # palette label (defaults to type)
    defaults_override: Mapping[str, Any] = field(default_factory=dict)  # presets (e.g. SN-Conv2d)

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise ParamError(f"{self.type} has no parameter {name!r}")

    def default_params(self) -> dict[str, Any]:
        values = {p.name: p.default for p in self.params}
        values.update(self.defaults_override)
        return values

    def validate_params(self, params: Mapping[str, Any], *, node_id: str | None = None) -> dict[str, Any]:
        """Complete missing params with defaults, normalise, and refuse unknown names."""
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            raise ParamError(f"{self.type} has no parameter {sorted(unknown)[0]!r}", node_id=node_id)
        merged = self.default_params()
        merged.update(params)
        return {p.name: p.validate(merged[p.name], node_id=node_id) for p in self.params}

    def input_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)


REGISTRY: dict[str, LayerSpec] = {}
_PRESETS: dict[str, tuple[str, dict[str, Any]]] = {}


SPECTRAL_NORM = ParamSpec("spectral_norm", "bool", False, doc="wrap the weight in nn.utils.spectral_norm")


def register(spec: LayerSpec) -> LayerSpec:
    """Add a layer type. Weighted layers get the `spectral_norm` property automatically."""
    if spec.type in REGISTRY:
        raise ValueError(f"layer type {spec.type!r} registered twice")
    if spec.weighted and all(p.name != SPECTRAL_NORM.name for p in spec.params):
        spec = replace(spec, params=(*spec.params, SPECTRAL_NORM))
    REGISTRY[spec.type] = spec
    return spec


def build_module(spec: LayerSpec, params: Mapping[str, Any], inputs: Mapping[str, Any]):
    """The engine module for a node (SpectralNorm applied here, once for every weighted layer)."""
    if spec.build is None:
        return None
    module = spec.build(params, inputs)
    if spec.weighted and params.get(SPECTRAL_NORM.name):
        from engine.nn.utils import spectral_norm

        module = spectral_norm(module)
    return module


def module_code(spec: LayerSpec, params: Mapping[str, Any], inputs: Mapping[str, Any]) -> str | None:
    """The constructor expression for exported scripts (torch.nn and engine.nn spell it the same)."""
    if spec.code is None:
        return None
    code = spec.code(params, inputs)
    if spec.weighted and params.get(SPECTRAL_NORM.name):
        code = f"nn.utils.spectral_norm({code})"
    return code


def call_code(name: str, *args: Any, defaults: Mapping[str, Any] | None = None, **kwargs: Any) -> str:
    """`nn.Conv2d(3, 16, kernel_size=3)`: positional args, then keyword args that differ from defaults.

    Values are written with repr(), so a parameter value can never become code.
    """
    defaults = defaults or {}
    parts = [_literal(a) for a in args]
    parts += [f"{k}={_literal(v)}" for k, v in kwargs.items() if k not in defaults or defaults[k] != v]
    return f"{name}({', '.join(parts)})"


def _literal(value: Any) -> str:
    """Python literal for a validated parameter value (tuples stay tuples: LayerNorm((4, 4)) != (4))."""
    return repr(value)


def register_preset(label: str, layer_type: str, params: dict[str, Any]) -> None:
    """A palette entry that adds `layer_type` with some parameters preset (e.g. SN-Conv2d)."""
    _PRESETS[label] = (layer_type, dict(params))


def presets() -> dict[str, tuple[str, dict[str, Any]]]:
    _load_layers()
    return dict(_PRESETS)


def get(layer_type: str) -> LayerSpec:
    _load_layers()
    try:
        return REGISTRY[layer_type]
    except KeyError:
        raise UnknownLayerError(f"unknown layer type {layer_type!r}") from None


def all_specs() -> list[LayerSpec]:
    _load_layers()
    return list(REGISTRY.values())


def categories() -> dict[str, list[LayerSpec]]:
    grouped: dict[str, list[LayerSpec]] = {}
    for spec in all_specs():
        grouped.setdefault(spec.category, []).append(spec)
    return grouped


_loaded = False


def _load_layers() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from . import layers  # noqa: F401 - registers every family
