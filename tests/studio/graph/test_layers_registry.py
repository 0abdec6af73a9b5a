"""Every registered layer type: its defaults validate, its shape rule agrees with the module it builds (run
on a real batch of 2), its parameter count is exact, and its exported code builds the same module, on the
engine and (parity) on PyTorch. New registry entries are picked up automatically; each needs a typical
input in CASES (test_every_layer_has_a_typical_input says which are missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import engine
from studio.graph import layers, modules, registry
from studio.graph.layers import merge, shape_ops
from studio.graph.registry import ROLE_INPUT, ROLE_OUTPUT, ROLE_TARGET, build_module, module_code
from studio.graph.shapes import BATCH, Incoming, concrete

BATCH_SIZE = 2
HELPERS = {**layers.HELPER_SOURCES, **modules.HELPER_SOURCES}


@dataclass(frozen=True)
class Long:
    """An integer tensor input: per-sample shape and the exclusive upper bound of its values."""

    shape: tuple[int, ...]
    high: int


def _img(c: int, h: int = 8, w: int = 8) -> tuple[int, ...]:
    return (c, h, w)


# (type, params, {port: per-sample shape | Long | [shapes] for a variadic port}); the first case of a
# type is its typical use, the others cover parameters that change shapes or parameter counts.
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Linear", {"in_features": 20, "out_features": 5}, {"in": (20,)}),
    ("Linear", {"in_features": 8, "out_features": 3, "bias": False}, {"in": (4, 8)}),
    ("Flatten", {}, {"in": _img(3, 4, 4)}),
    ("ReLU", {}, {"in": (7,)}),
    ("Identity", {}, {"in": _img(2)}),
    ("Conv1d", {}, {"in": (1, 20)}),
    ("Conv1d", {"in_channels": 4, "out_channels": 6, "kernel_size": 5, "stride": 2, "padding": 2,
                "dilation": 2, "groups": 2, "bias": False}, {"in": (4, 21)}),
    ("Conv1d", {"in_channels": 2, "padding": 1, "padding_mode": "circular"}, {"in": (2, 9)}),
    ("Conv2d", {}, {"in": (1, 28, 28)}),
    ("Conv2d", {"in_channels": 4, "out_channels": 8, "kernel_size": (3, 5), "stride": (2, 1),
                "padding": (1, 2), "groups": 4}, {"in": _img(4, 9, 10)}),
    ("Conv2d", {"in_channels": 3, "out_channels": 4, "padding": 2, "padding_mode": "reflect", "dilation": 2,
                "bias": False}, {"in": _img(3, 6, 7)}),
    ("ConvTranspose2d", {"stride": 2, "padding": 1, "output_padding": 1}, {"in": _img(16, 5, 5)}),
    ("ConvTranspose2d", {"in_channels": 4, "out_channels": 6, "kernel_size": (4, 3), "groups": 2,
                         "dilation": 2, "bias": False}, {"in": _img(4, 3, 4)}),
    ("BatchNorm1d", {"num_features": 16}, {"in": (16,)}),
    ("BatchNorm1d", {"num_features": 4, "affine": False, "momentum": None}, {"in": (4, 10)}),
    ("BatchNorm2d", {"num_features": 3}, {"in": _img(3)}),
    ("InstanceNorm2d", {"num_features": 3}, {"in": _img(3)}),
    ("InstanceNorm2d", {"num_features": 3, "affine": True}, {"in": _img(3)}),
    ("LayerNorm", {"normalized_shape": (16,)}, {"in": (5, 16)}),
    ("LayerNorm", {"normalized_shape": (4, 4), "bias": False}, {"in": _img(3, 4, 4)}),
    ("LayerNorm", {"normalized_shape": (6,), "elementwise_affine": False}, {"in": (6,)}),
    ("GroupNorm", {}, {"in": _img(16)}),
    ("Dropout", {"p": 0.2}, {"in": (10,)}),
    ("Dropout2d", {}, {"in": _img(4)}),
    ("LeakyReLU", {"negative_slope": 0.2}, {"in": (6,)}),
    ("PReLU", {}, {"in": _img(3)}),
    ("PReLU", {"num_parameters": 3, "init": 0.1}, {"in": _img(3)}),
    ("ELU", {"alpha": 0.5}, {"in": (6,)}),
    ("GELU", {"approximate": "tanh"}, {"in": (6,)}),
    ("SiLU", {}, {"in": (6,)}),
    ("Sigmoid", {}, {"in": (6,)}),
    ("Tanh", {}, {"in": _img(3)}),
    ("Softmax", {}, {"in": (10,)}),
    ("Softmax", {"dim": -1}, {"in": (4, 10)}),
    ("LogSoftmax", {}, {"in": (10,)}),
    ("MaxPool2d", {}, {"in": _img(3, 28, 28)}),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": (1, 2), "ceil_mode": True},
     {"in": _img(2, 10, 11)}),
    ("AvgPool2d", {}, {"in": _img(3, 7, 7)}),
    ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False,
                   "divisor_override": 2}, {"in": _img(3, 8, 9)}),
    ("AdaptiveAvgPool2d", {}, {"in": _img(8, 7, 7)}),
    ("AdaptiveAvgPool2d", {"output_size": (3, 2)}, {"in": _img(2, 7, 5)}),
    ("Upsample", {}, {"in": _img(2, 4, 4)}),
    ("Upsample", {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}, {"in": _img(2, 4, 5)}),
    ("Upsample", {"scale_factor": None, "size": (6,), "mode": "linear"}, {"in": (2, 4)}),
    ("PixelShuffle", {}, {"in": _img(8, 3, 3)}),
    ("ReflectionPad2d", {}, {"in": _img(2, 4, 4)}),
    ("ReflectionPad2d", {"padding": (1, 2, 0, 3)}, {"in": _img(2, 4, 4)}),
    ("ZeroPad2d", {"padding": (2, -1, 0, 1)}, {"in": _img(2, 4, 4)}),
    ("Reshape", {"shape": (1, 28, 28)}, {"in": (784,)}),
    ("Reshape", {"shape": (4, -1)}, {"in": _img(2, 4, 4)}),
    ("Permute", {"dims": (2, 3, 1)}, {"in": _img(3, 4, 5)}),
    ("Add", {}, {"in": [_img(4), _img(4)]}),
    ("Add", {}, {"in": [_img(4), (4, 1, 8), (1, 8, 8)]}),
    ("Multiply", {}, {"in": [(6,), (6,)]}),
    ("Concat", {}, {"in": [_img(3), _img(5)]}),
    ("Concat", {"dim": -1}, {"in": [(4, 2), (4, 3), (4, 1)]}),
    ("CrossEntropy", {}, {"input": (10,), "target": Long((), 10)}),
    ("CrossEntropy", {"reduction": "sum", "label_smoothing": 0.1, "ignore_index": 0},
     {"input": (5, 4, 4), "target": Long((4, 4), 5)}),
    ("CrossEntropy", {}, {"input": (10,), "target": (10,)}),  # class probabilities
    ("NLL", {}, {"input": (10,), "target": Long((), 10)}),
    ("MSE", {}, {"input": (3,), "target": (3,)}),
    ("L1", {"reduction": "sum"}, {"input": (3,), "target": (3,)}),
    ("SmoothL1", {"beta": 0.5}, {"input": (3,), "target": (3,)}),
    ("BCE", {}, {"input": (1,), "target": (1,)}),
    ("BCEWithLogits", {}, {"input": (4,), "target": (4,)}),
    # sequence.py's layers, with their defaults
    ("Embedding", {}, {"in": Long((6,), 1000)}),
    ("MultiheadAttention", {}, {"q": (6, 64)}),
    ("SelfAttention2d", {}, {"in": _img(64, 4, 4)}),
    ("TransformerEncoderLayer", {"d_model": 32, "nhead": 4, "dim_feedforward": 64}, {"in": (6, 32)}),
    ("RNN", {}, {"in": (5, 64)}),
    ("GRU", {}, {"in": (5, 64)}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}, {"in": (5, 64)}),
]

ENDPOINTS = (ROLE_INPUT, ROLE_TARGET, ROLE_OUTPUT)
CONTAINERS = (registry.ROLE_BLOCK,)  # expanded before inference/compile: no rules of their own
REGISTERED = [spec.type for spec in registry.all_specs() if spec.role not in CONTAINERS]
COVERED = [c for c in CASES if c[0] in REGISTERED]
IDS = [f"{t}-{i}" for i, (t, _, _) in enumerate(COVERED)]


def _shapes(inputs: dict[str, Any]) -> dict[str, Any]:
    def one(value: Any, port: str) -> Incoming:
        shape = value.shape if isinstance(value, Long) else value
        return Incoming((BATCH, *shape), f"from {port}_node")

    return {port: [one(v, port) for v in value] if isinstance(value, list) else one(value, port)
            for port, value in inputs.items()}


def _tensors(inputs: dict[str, Any], seed: int = 0) -> list[np.ndarray]:
    """Arrays in port order (a variadic port expands); floats in [0, 1) suit every layer, BCE included."""
    rng = np.random.default_rng(seed)
    arrays = []
    for value in inputs.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Long):
                arrays.append(rng.integers(0, item.high, (BATCH_SIZE, *item.shape)))
            else:
                arrays.append(rng.random((BATCH_SIZE, *item)).astype(np.float32))
    return arrays


def _prepare(layer: str, params: dict[str, Any], inputs: dict[str, Any]):
    spec = registry.get(layer)
    values = spec.validate_params(params)
    shapes = _shapes(inputs)
    return spec, values, shapes, spec.infer(values, shapes)


def _outputs(result: Any) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def _namespace(nn: Any, torch: Any, names: tuple[str, ...]) -> dict[str, Any]:
    namespace = {"nn": nn, "torch": torch}
    for name in names:
        exec(HELPERS[name], namespace)
    return namespace


def test_every_layer_has_a_typical_input():
    layers_ = {spec.type for spec in registry.all_specs() if spec.role not in ENDPOINTS + CONTAINERS}
    missing = layers_ - {c[0] for c in CASES}
    assert not missing, f"add a typical input to CASES for {sorted(missing)}"


@pytest.mark.parametrize("layer", REGISTERED)
def test_defaults_validate_and_entry_is_complete(layer):
    spec = registry.get(layer)
    assert spec.validate_params({}) == spec.validate_params(spec.default_params())
    assert spec.category and spec.doc and spec.infer is not None
    if spec.role not in ENDPOINTS:
        assert spec.cost is not None and spec.build is not None and spec.code is not None
        assert all(name in HELPERS for name in spec.code_helpers)


@pytest.mark.parametrize(("layer", "params", "inputs"), COVERED, ids=IDS)
def test_infer_matches_the_module_and_counts_its_parameters(layer, params, inputs):
    spec, values, shapes, inferred = _prepare(layer, params, inputs)
    module = build_module(spec, values, shapes)
    result = module(*(engine.tensor(a) for a in _tensors(inputs)))
    for port, out in zip(spec.outputs, _outputs(result)):
        assert tuple(out.shape) == concrete(inferred[port.name], BATCH_SIZE), port.name
    cost = spec.cost(values, shapes, inferred)
    assert cost.params == sum(p.numel() for p in module.parameters())
    assert cost.flops >= 0 and cost.activations >= 0


@pytest.mark.parametrize(("layer", "params", "inputs"), COVERED, ids=IDS)
def test_exported_code_builds_the_same_module(layer, params, inputs):
    spec, values, shapes, _ = _prepare(layer, params, inputs)
    code = module_code(spec, values, shapes)
    built = eval(code, _namespace(engine.nn, engine, spec.code_helpers))
    assert repr(built) == repr(build_module(spec, values, shapes))


def test_code_omits_defaults_and_writes_torch_spelling():
    def code(layer: str, **params: Any) -> str:
        spec = registry.get(layer)
        return module_code(spec, spec.validate_params(params), {})

    assert code("Conv2d", in_channels=1, out_channels=6, kernel_size=5) == "nn.Conv2d(1, 6, kernel_size=5)"
    assert code("Conv2d", kernel_size=(3, 5), stride=2, spectral_norm=True) == \
        "nn.utils.spectral_norm(nn.Conv2d(1, 16, kernel_size=(3, 5), stride=2))"
    assert code("MaxPool2d") == "nn.MaxPool2d(2)"
    assert code("CrossEntropy", label_smoothing=0.1) == "nn.CrossEntropyLoss(label_smoothing=0.1)"
    assert code("Concat") == "Concat()" and code("Concat", dim=2) == "Concat(dim=2)"
    assert code("Reshape", shape=(1, 28, 28)) == "Reshape(1, 28, 28)"
    assert code("ZeroPad2d", padding=(1, 2, 3, 4)) == "nn.ZeroPad2d((1, 2, 3, 4))"


def test_conv_cost_counts_a_multiply_add_as_two_flops():
    spec, values, shapes, out = _prepare("Conv2d", {"in_channels": 1, "out_channels": 6, "kernel_size": 5},
                                         {"in": (1, 28, 28)})
    assert out["out"] == (BATCH, 6, 24, 24)
    cost = spec.cost(values, shapes, out)
    assert cost == registry.Cost(params=6 * 25 + 6, flops=2 * 25 * 6 * 24 * 24, activations=6 * 24 * 24)


# helper name -> (layer params, the helper's constructor arguments, inputs)
HELPER_CASES: dict[str, tuple[dict[str, Any], tuple, dict[str, Any]]] = {
    "Add": ({}, (), {"in": [_img(4, 2, 2), (4, 1, 2), _img(4, 2, 2)]}),
    "Multiply": ({}, (), {"in": [_img(4, 2, 2), (1, 2, 2)]}),
    "Concat": ({"dim": 2}, (2,), {"in": [_img(4, 2, 2), _img(4, 3, 2)]}),
    "Reshape": ({"shape": (4, -1)}, (4, -1), {"in": _img(4, 2, 2)}),
    "Permute": ({"dims": (3, 1, 2)}, (3, 1, 2), {"in": _img(4, 2, 3)}),
}


def test_every_merge_and_shape_helper_is_checked():
    assert set(HELPER_CASES) == {*merge.HELPER_SOURCES, *shape_ops.HELPER_SOURCES}


@pytest.mark.parametrize("name", sorted(HELPER_CASES))
def test_helper_source_behaves_like_the_built_module(name):
    params, args, inputs = HELPER_CASES[name]
    spec, values, shapes, inferred = _prepare(name, params, inputs)
    built = build_module(spec, values, shapes)
    pasted = _namespace(engine.nn, engine, (name,))[name](*args)
    tensors = [engine.tensor(a) for a in _tensors(inputs)]
    np.testing.assert_array_equal(pasted(*tensors).numpy(), built(*tensors).numpy())
    assert tuple(built(*tensors).shape) == concrete(inferred["out"], BATCH_SIZE)
    assert repr(pasted) == repr(built) and type(built).__name__ == name


def test_helper_classes_pickle_by_module_path():
    import pickle

    concat = merge.Concat(2)
    assert type(pickle.loads(pickle.dumps(concat))) is merge.Concat
    assert type(pickle.loads(pickle.dumps(shape_ops.Reshape(4, -1)))).__qualname__ == "Reshape"
    with pytest.raises(AttributeError):
        merge.Nothing  # noqa: B018


def test_spectral_norm_presets():
    presets = registry.presets()
    for label, layer in (("SN-Conv2d", "Conv2d"), ("SN-Linear", "Linear"),
                         ("SN-ConvTranspose2d", "ConvTranspose2d")):
        assert presets[label] == (layer, {"spectral_norm": True})
        spec = registry.get(layer)
        values = spec.validate_params(presets[label][1])
        module = build_module(spec, values, {})
        names = {name for name, _ in module.named_parameters()}
        assert "weight_orig" in names and "weight" not in names
        code = module_code(spec, values, {})
        assert code.startswith("nn.utils.spectral_norm(nn.")
        rebuilt = eval(code, {"nn": engine.nn, "torch": engine})
        assert "weight_orig" in dict(rebuilt.named_parameters())


@pytest.mark.parametrize("layer", [s.type for s in registry.all_specs() if s.weighted])
def test_spectral_norm_keeps_the_parameter_count(layer):
    case = next(c for c in COVERED if c[0] == layer)
    spec, values, shapes, inferred = _prepare(layer, {**case[1], "spectral_norm": True}, case[2])
    module = build_module(spec, values, shapes)
    assert spec.cost(values, shapes, inferred).params == sum(p.numel() for p in module.parameters())


@pytest.mark.parity
@pytest.mark.parametrize(("layer", "params", "inputs"), COVERED, ids=IDS)
def test_torch_runs_the_exported_code_with_the_inferred_shape(layer, params, inputs):
    import torch

    spec, values, shapes, inferred = _prepare(layer, params, inputs)
    module = eval(module_code(spec, values, shapes), _namespace(torch.nn, torch, spec.code_helpers))
    ours = build_module(spec, values, shapes)
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    module.load_state_dict(state)
    module.eval()
    ours.eval()
    arrays = _tensors(inputs, seed=1)
    expected = _outputs(module(*(torch.from_numpy(a) for a in arrays)))
    got = _outputs(ours(*(engine.tensor(a) for a in arrays)))
    for port, want, have in zip(spec.outputs, expected, got):
        assert tuple(want.shape) == concrete(inferred[port.name], BATCH_SIZE), port.name
        np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(), rtol=1e-3, atol=1e-5)
