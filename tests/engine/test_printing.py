"""Tests for engine.printing: tensor repr laid out exactly like PyTorch's.

The expected strings below were produced by real torch 2.13 and are checked without torch installed; the
``parity`` tests compare against torch directly over generated arrays when it is available.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

try:
    from engine import printing
except Exception:  # the rest of the engine may not import yet: load the module on its own
    _path = Path(__file__).resolve().parents[2] / "engine" / "printing.py"
    _spec = importlib.util.spec_from_file_location("_engine_printing_standalone", _path)
    assert _spec is not None and _spec.loader is not None
    printing = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(printing)

tensor_repr = printing.tensor_repr
set_printoptions = printing.set_printoptions
get_printoptions = printing.get_printoptions


# --------------------------------------------------------------------------------------------- fakes
_NAMES = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.float16): "float16",
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.complex64): "complex64",
    np.dtype(np.complex128): "complex128",
}


class FakeDType:
    def __init__(self, np_dtype: np.dtype) -> None:
        self.name = _NAMES[np.dtype(np_dtype)]
        self.is_floating_point = np.dtype(np_dtype).kind == "f"
        self.is_complex = np.dtype(np_dtype).kind == "c"

    def __str__(self) -> str:
        return f"torch.{self.name}"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class FakeDevice:
    def __init__(self, spec: str = "cpu") -> None:
        self.type = spec.split(":")[0]
        self._spec = spec

    def __str__(self) -> str:
        return self._spec


class FakeGradFn:
    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name


class FakeCupyArray:
    """Stands in for a cupy array: only ``.get()`` is used by the printer."""

    def __init__(self, arr: np.ndarray) -> None:
        self._arr = arr

    def get(self) -> np.ndarray:
        return self._arr


class FakeTensor:
    def __init__(
        self,
        data: Any,
        *,
        device: str = "cpu",
        requires_grad: bool = False,
        grad_fn: str | None = None,
    ) -> None:
        arr = np.asarray(data)
        self._data = FakeCupyArray(arr) if device.startswith("cuda") else arr
        self.dtype = FakeDType(arr.dtype)
        self.device = FakeDevice(device)
        self.grad_fn = None if grad_fn is None else FakeGradFn(grad_fn)
        self.requires_grad = requires_grad or grad_fn is not None
        self.is_leaf = grad_fn is None


@pytest.fixture(autouse=True)
def _restore_printoptions():
    saved = get_printoptions()
    yield
    set_printoptions(**saved)


# ------------------------------------------------------------------------- expected strings (from torch)
FIXED_CASES = [
    (np.array([2.1, 2.1], dtype=np.float32), {}, "tensor([2.1000, 2.1000])"),
    (np.array(7), {}, "tensor(7)"),
    (np.array(3.5, dtype=np.float32), {}, "tensor(3.5000)"),
    (np.array(2.0, dtype=np.float32), {}, "tensor(2.)"),
    (np.array([1, 2], dtype=np.int32), {}, "tensor([1, 2], dtype=torch.int32)"),
    (np.zeros((0, 3), dtype=np.float32), {}, "tensor([], size=(0, 3))"),
    (np.zeros((0,), dtype=np.float32), {}, "tensor([])"),
    (np.zeros((0,), dtype=np.int64), {}, "tensor([], dtype=torch.int64)"),
    (np.zeros((2, 0, 1), dtype=np.bool_), {}, "tensor([], size=(2, 0, 1), dtype=torch.bool)"),
    (np.array([[1.0, 2.0]]), {}, "tensor([[1., 2.]], dtype=torch.float64)"),
    (np.array([True, False]), {}, "tensor([ True, False])"),
    (np.array([True, True]), {}, "tensor([True, True])"),
    (np.array([1 + 2j], dtype=np.complex64), {}, "tensor([1.+2.j])"),
    (np.array([1 + 2j, 3 - 1j], dtype=np.complex64), {}, "tensor([1.+2.j, 3.-1.j])"),
    (
        np.array([0.5 - 0.0j, 1.25 + 1e-6j], dtype=np.complex128),
        {},
        "tensor([0.5000+0.0000e+00j, 1.2500+1.0000e-06j], dtype=torch.complex128)",
    ),
    (np.array(np.nan, dtype=np.float32), {}, "tensor(nan)"),
    (np.array([np.inf, -np.inf, np.nan], dtype=np.float32), {}, "tensor([inf, -inf, nan])"),
    (np.array([1.0, np.nan, -np.inf], dtype=np.float32), {}, "tensor([1., nan, -inf])"),
    (np.array([0.0, -0.0], dtype=np.float32), {}, "tensor([0., -0.])"),
    (np.array([-0.0, 1.5], dtype=np.float32), {}, "tensor([-0.0000, 1.5000])"),
    (np.array([1e10, 1.5], dtype=np.float32), {}, "tensor([1.0000e+10, 1.5000e+00])"),
    (np.array([1e-5, 1.0], dtype=np.float32), {}, "tensor([1.0000e-05, 1.0000e+00])"),
    (np.array([1000.0, 1.0], dtype=np.float32), {}, "tensor([1000.,    1.])"),
    (np.array([1001.0, 1.0], dtype=np.float32), {}, "tensor([1.0010e+03, 1.0000e+00])"),
    (np.array([1e8, 1.0], dtype=np.float32), {}, "tensor([1.0000e+08, 1.0000e+00])"),
    (np.array([2e8, 1.0], dtype=np.float32), {}, "tensor([2.0000e+08, 1.0000e+00])"),
    (np.array([1e-300, 1e300]), {}, "tensor([1.0000e-300, 1.0000e+300], dtype=torch.float64)"),
    (
        np.array([0.1, 65504.0], dtype=np.float16),
        {},
        "tensor([9.9976e-02, 6.5504e+04], dtype=torch.float16)",
    ),
    (np.array([-1, 10, -100], dtype=np.int16), {}, "tensor([  -1,   10, -100], dtype=torch.int16)"),
    (np.array([255, 0], dtype=np.uint8), {}, "tensor([255,   0], dtype=torch.uint8)"),
    (
        np.arange(30, dtype=np.float32).reshape(2, 3, 5) * 1.5,
        {},
        "tensor([[[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000],\n"
        "         [ 7.5000,  9.0000, 10.5000, 12.0000, 13.5000],\n"
        "         [15.0000, 16.5000, 18.0000, 19.5000, 21.0000]],\n"
        "\n"
        "        [[22.5000, 24.0000, 25.5000, 27.0000, 28.5000],\n"
        "         [30.0000, 31.5000, 33.0000, 34.5000, 36.0000],\n"
        "         [37.5000, 39.0000, 40.5000, 42.0000, 43.5000]]])",
    ),
    (
        np.arange(24).reshape(2, 3, 2, 2),
        {},
        "tensor([[[[ 0,  1],\n"
        "          [ 2,  3]],\n"
        "\n"
        "         [[ 4,  5],\n"
        "          [ 6,  7]],\n"
        "\n"
        "         [[ 8,  9],\n"
        "          [10, 11]]],\n"
        "\n"
        "\n"
        "        [[[12, 13],\n"
        "          [14, 15]],\n"
        "\n"
        "         [[16, 17],\n"
        "          [18, 19]],\n"
        "\n"
        "         [[20, 21],\n"
        "          [22, 23]]]])",
    ),
    (
        np.arange(2000, dtype=np.float32).reshape(20, 100),
        {},
        "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.7000e+01, 9.8000e+01,\n"
        "         9.9000e+01],\n"
        "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.9700e+02, 1.9800e+02,\n"
        "         1.9900e+02],\n"
        "        [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.9700e+02, 2.9800e+02,\n"
        "         2.9900e+02],\n"
        "        ...,\n"
        "        [1.7000e+03, 1.7010e+03, 1.7020e+03,  ..., 1.7970e+03, 1.7980e+03,\n"
        "         1.7990e+03],\n"
        "        [1.8000e+03, 1.8010e+03, 1.8020e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
        "         1.8990e+03],\n"
        "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
        "         1.9990e+03]])",
    ),
    (np.arange(1001), {}, "tensor([   0,    1,    2,  ...,  998,  999, 1000])"),
    (
        np.arange(1000)[::40],
        {},
        "tensor([  0,  40,  80, 120, 160, 200, 240, 280, 320, 360, 400, 440, 480, 520,\n"
        "        560, 600, 640, 680, 720, 760, 800, 840, 880, 920, 960])",
    ),
    (
        np.arange(40, dtype=np.float32) / 3,
        {},
        "tensor([ 0.0000,  0.3333,  0.6667,  1.0000,  1.3333,  1.6667,  2.0000,  2.3333,\n"
        "         2.6667,  3.0000,  3.3333,  3.6667,  4.0000,  4.3333,  4.6667,  5.0000,\n"
        "         5.3333,  5.6667,  6.0000,  6.3333,  6.6667,  7.0000,  7.3333,  7.6667,\n"
        "         8.0000,  8.3333,  8.6667,  9.0000,  9.3333,  9.6667, 10.0000, 10.3333,\n"
        "        10.6667, 11.0000, 11.3333, 11.6667, 12.0000, 12.3333, 12.6667, 13.0000])",
    ),
    (np.arange(10), {"threshold": 5}, "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    (np.arange(10), {"threshold": 5, "edgeitems": 0}, "tensor([...], size=(10,))"),
    (np.arange(12).reshape(3, 4), {"threshold": 5, "edgeitems": 0}, "tensor([...], size=(3, 4))"),
    (
        np.arange(12).reshape(3, 4),
        {"threshold": 5, "edgeitems": 1},
        "tensor([[ 0,  ...,  3],\n        ...,\n        [ 8,  ..., 11]])",
    ),
    (np.array([1.12345], dtype=np.float32), {"precision": 2}, "tensor([1.12])"),
    (np.array([1.12345], dtype=np.float32), {"profile": "short"}, "tensor([1.12])"),
    (np.array([1.5, 200.0], dtype=np.float32), {"sci_mode": True}, "tensor([1.5000e+00, 2.0000e+02])"),
    (np.array([1e-7, 1.0], dtype=np.float32), {"sci_mode": False}, "tensor([0.0000, 1.0000])"),
    (np.array([3.0, 4.0], dtype=np.float32), {"sci_mode": True}, "tensor([3.0000e+00, 4.0000e+00])"),
    (
        np.arange(20, dtype=np.float32) + 0.5,
        {"linewidth": 30},
        "tensor([ 0.5000,  1.5000,\n"
        "         2.5000,  3.5000,\n"
        "         4.5000,  5.5000,\n"
        "         6.5000,  7.5000,\n"
        "         8.5000,  9.5000,\n"
        "        10.5000, 11.5000,\n"
        "        12.5000, 13.5000,\n"
        "        14.5000, 15.5000,\n"
        "        16.5000, 17.5000,\n"
        "        18.5000, 19.5000])",
    ),
    (
        np.arange(6, dtype=np.float64).reshape(2, 3) + 0.25,
        {"linewidth": 20},
        "tensor([[0.2500,\n"
        "         1.2500,\n"
        "         2.2500],\n"
        "        [3.2500,\n"
        "         4.2500,\n"
        "         5.2500]],\n"
        "       dtype=torch.float64)",
    ),
]


@pytest.mark.parametrize(
    ("arr", "opts", "expected"), FIXED_CASES, ids=[str(i) for i in range(len(FIXED_CASES))]
)
def test_fixed_repr(arr: np.ndarray, opts: dict[str, Any], expected: str) -> None:
    set_printoptions(**opts)
    assert tensor_repr(FakeTensor(arr)) == expected


def test_requires_grad_and_grad_fn_suffixes() -> None:
    assert tensor_repr(FakeTensor(np.array([1.5], np.float32), requires_grad=True)) == (
        "tensor([1.5000], requires_grad=True)"
    )
    assert tensor_repr(FakeTensor(np.array(2.0, np.float32), grad_fn="MeanBackward0")) == (
        "tensor(2., grad_fn=<MeanBackward0>)"
    )
    assert tensor_repr(FakeTensor(np.array(32.0, np.float32), grad_fn="SumBackward0")) == (
        "tensor(32., grad_fn=<SumBackward0>)"
    )
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert tensor_repr(FakeTensor(m, requires_grad=True)) == (
        "tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64, requires_grad=True)"
    )
    assert tensor_repr(FakeTensor(m * 2, grad_fn="MulBackward0")) == (
        "tensor([[2., 4.],\n        [6., 8.]], dtype=torch.float64, grad_fn=<MulBackward0>)"
    )


def test_grad_fn_name_strips_namespace() -> None:
    assert tensor_repr(FakeTensor(np.array(1.0, np.float32), grad_fn="torch::autograd::AccumulateGrad")) == (
        "tensor(1., grad_fn=<AccumulateGrad>)"
    )


def test_suffixes_wrap_onto_new_lines() -> None:
    set_printoptions(linewidth=40)
    grid = np.arange(8, dtype=np.float32).reshape(2, 4) + 0.5
    assert tensor_repr(FakeTensor(grid, requires_grad=True)) == (
        "tensor([[0.5000, 1.5000, 2.5000, 3.5000],\n"
        "        [4.5000, 5.5000, 6.5000, 7.5000]],\n"
        "       requires_grad=True)"
    )
    assert tensor_repr(FakeTensor(grid.astype(np.float64), requires_grad=True)) == (
        "tensor([[0.5000, 1.5000, 2.5000, 3.5000],\n"
        "        [4.5000, 5.5000, 6.5000, 7.5000]],\n"
        "       dtype=torch.float64,\n"
        "       requires_grad=True)"
    )
    assert tensor_repr(FakeTensor(np.arange(5, dtype=np.float32), requires_grad=True)) == (
        "tensor([0., 1., 2., 3., 4.],\n       requires_grad=True)"
    )
    ints = FakeTensor(np.arange(3, dtype=np.int32))
    set_printoptions(linewidth=36)
    assert tensor_repr(ints) == "tensor([0, 1, 2],\n       dtype=torch.int32)"
    set_printoptions(linewidth=37)
    assert tensor_repr(ints) == "tensor([0, 1, 2], dtype=torch.int32)"


def test_device_suffix_and_cupy_data() -> None:
    t = FakeTensor(np.array([1.0, 2.0], np.float32), device="cuda:0")
    assert tensor_repr(t) == "tensor([1., 2.], device='cuda:0')"
    t = FakeTensor(np.array([1, 2], np.int32), device="cuda:0", requires_grad=True)
    assert tensor_repr(t) == "tensor([1, 2], device='cuda:0', dtype=torch.int32, requires_grad=True)"
    t = FakeTensor(np.zeros((0, 2), np.float64), device="cuda:0")
    assert tensor_repr(t) == "tensor([], device='cuda:0', size=(0, 2), dtype=torch.float64)"


def test_default_dtype_float64(monkeypatch: pytest.MonkeyPatch) -> None:
    # Verified with torch.set_default_dtype(torch.float64).
    monkeypatch.setattr(printing, "_default_dtype_name", lambda: "torch.float64")
    cases = [
        (np.array([1.0], np.float32), "tensor([1.], dtype=torch.float32)"),
        (np.array([1.0]), "tensor([1.])"),
        (np.array([1j], np.complex64), "tensor([0.+1.j], dtype=torch.complex64)"),
        (np.array([1j]), "tensor([0.+1.j])"),
        (np.zeros((0,)), "tensor([])"),
        (np.zeros((0,), np.float32), "tensor([], dtype=torch.float32)"),
    ]
    for arr, expected in cases:
        assert tensor_repr(FakeTensor(arr)) == expected


def test_default_dtype_lookup_falls_back_to_float32() -> None:
    assert printing._default_dtype_name() in {"torch.float32", "torch.float64"}
    assert tensor_repr(FakeTensor(np.array([1.0], np.float32))) == "tensor([1.])"


def test_tensor_contents_override() -> None:
    t = FakeTensor(np.array([1, 2], np.int32), requires_grad=True)
    assert tensor_repr(t, tensor_contents="[...]") == "tensor([...], dtype=torch.int32, requires_grad=True)"


def test_printoptions_defaults_profiles_and_context() -> None:
    set_printoptions(profile="default")
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    set_printoptions(profile="short", sci_mode=True)
    assert get_printoptions() == {
        "precision": 2,
        "threshold": 1000,
        "edgeitems": 2,
        "linewidth": 80,
        "sci_mode": True,
    }
    set_printoptions(linewidth=100)  # sci_mode is reset when not given, like torch
    assert get_printoptions()["sci_mode"] is None
    assert get_printoptions()["precision"] == 2
    set_printoptions(profile="full", precision=6)
    opts = get_printoptions()
    assert math.isinf(opts["threshold"]) and opts["precision"] == 6 and opts["edgeitems"] == 3
    set_printoptions(profile="default")
    with printing.printoptions(precision=1):
        assert tensor_repr(FakeTensor(np.array([1.25], np.float32))) == "tensor([1.2])"
    assert tensor_repr(FakeTensor(np.array([1.25], np.float32))) == "tensor([1.2500])"


def test_full_profile_prints_everything() -> None:
    set_printoptions(profile="full")
    text = tensor_repr(FakeTensor(np.arange(1500)))
    assert "..." not in text and text.endswith("1498, 1499])")


# ------------------------------------------------------------------------------------- torch parity
_OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"precision": 2},
    {"precision": 0},
    {"threshold": 20},
    {"threshold": 5, "edgeitems": 2},
    {"threshold": 0, "edgeitems": 1},
    {"threshold": 3, "edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 10, "precision": 6},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
]
_INT_DTYPES = [np.int64, np.int32, np.int16, np.int8, np.uint8]
_FLOAT_DTYPES = [np.float32, np.float64, np.float16, np.complex64, np.complex128]


def _random_floats(rng: np.random.Generator, n: int) -> np.ndarray:
    style = int(rng.integers(0, 6))
    if style == 0:
        x = rng.normal(size=n)
    elif style == 1:
        x = rng.integers(-50, 50, size=n).astype(np.float64)
    elif style == 2:
        x = rng.normal(size=n) * 10.0 ** rng.integers(-12, 12, size=n)
    elif style == 3:
        x = rng.normal(size=n) * 10.0 ** int(rng.integers(-8, 10))
    elif style == 4:
        x = np.round(rng.normal(size=n) * 4) / 4
    else:
        x = rng.integers(-3, 3, size=n) * 10.0 ** int(rng.integers(0, 12))
    pick = rng.random(n)
    x[pick < 0.05] = np.nan
    x[(pick >= 0.05) & (pick < 0.08)] = np.inf
    x[(pick >= 0.08) & (pick < 0.10)] = -np.inf
    x[(pick >= 0.10) & (pick < 0.15)] = -0.0
    x[(pick >= 0.15) & (pick < 0.20)] = 0.0
    return x


def _random_array(rng: np.random.Generator) -> np.ndarray:
    ndim = int(rng.integers(0, 5))
    high = {0: 1, 1: 60, 2: 40, 3: 12, 4: 7}[ndim]
    shape = tuple(int(s) for s in rng.integers(0, high + 1, size=ndim))
    n = math.prod(shape)
    kind = int(rng.integers(0, 3))
    if kind == 0:
        arr = rng.random(n) < 0.5
    elif kind == 1:
        dt = _INT_DTYPES[int(rng.integers(0, len(_INT_DTYPES)))]
        info = np.iinfo(dt)
        scale = 10 ** int(rng.integers(0, 19))
        low, high = max(int(info.min), -scale), min(int(info.max), scale)
        arr = rng.integers(low, high, size=n, endpoint=True).astype(dt)
    else:
        dt = _FLOAT_DTYPES[int(rng.integers(0, len(_FLOAT_DTYPES)))]
        with np.errstate(all="ignore"):
            values = _random_floats(rng, n)
            if np.dtype(dt).kind == "c":
                values = values + 1j * _random_floats(rng, n)
            arr = values.astype(dt)
    return arr.reshape(shape)


@pytest.fixture
def torch_mod():
    torch = pytest.importorskip("torch")
    yield torch
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def _compare(torch, arr: np.ndarray, opts: dict[str, Any]) -> None:
    torch.set_printoptions(**opts)
    set_printoptions(**opts)
    expected = repr(torch.from_numpy(np.array(arr, copy=True)))
    got = tensor_repr(FakeTensor(arr))
    assert got == expected, f"dtype={arr.dtype} shape={arr.shape} opts={opts}\n{expected}\n!=\n{got}"


@pytest.mark.parity
@pytest.mark.parametrize("seed", range(8))
def test_parity_random_arrays(torch_mod, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(150):
        arr = _random_array(rng)
        _compare(torch_mod, arr, _OPTION_SETS[int(rng.integers(0, len(_OPTION_SETS)))])


@pytest.mark.parity
@pytest.mark.parametrize("opts", _OPTION_SETS, ids=[repr(o) for o in _OPTION_SETS])
def test_parity_edge_values(torch_mod, opts: dict[str, Any]) -> None:
    arrays = [
        np.array([1e-300, 1e300, -1e-310, -5e200]),
        np.array([9.99999e99, 1.0]),
        np.array([9.99996, 1.5], np.float32),
        np.array([65504, -65504, 6e-8], np.float16),
        np.array([0.0, -0.0], np.float32),
        np.array(-0.0, np.float32),
        np.array(np.nan),
        np.array([np.inf, -np.inf, np.nan], np.float32),
        np.array([1e8, 1.0], np.float32),
        np.array([1e-4, 1.0], np.float32),
        np.array([9.999e-5, 1.0]),
        np.array([1000.5, 1.0], np.float32),
        np.array([0.5 + 0j, -0.0 - 0.0j, np.nan + 1j, 1e-5 + 1e5j], np.complex64),
        np.arange(2000, dtype=np.float32).reshape(2, 1000),
        np.arange(1001),
        np.arange(-5, 5, dtype=np.int8),
        np.ones((2, 3, 4, 5)) * 1e-5,
        np.array(True),
        np.zeros((0, 3, 0), np.int32),
        np.zeros((0,), np.bool_),
        np.arange(6 * 7 * 8 * 9, dtype=np.float32).reshape(6, 7, 8, 9) / 7,
    ]
    for arr in arrays:
        _compare(torch_mod, arr, opts)


@pytest.mark.parity
def test_parity_suffixes(torch_mod) -> None:
    torch = torch_mod
    for lw in (20, 36, 37, 40, 80):
        torch.set_printoptions(linewidth=lw)
        set_printoptions(linewidth=lw)
        for arr in (np.arange(8, dtype=np.float64).reshape(2, 4) + 0.5, np.array(3.0, np.float32)):
            leaf = torch.tensor(arr, requires_grad=True)
            assert tensor_repr(FakeTensor(arr, requires_grad=True)) == repr(leaf)
            out = leaf * 2
            assert tensor_repr(FakeTensor(arr * 2, grad_fn="MulBackward0")) == repr(out)
        ints = np.arange(3, dtype=np.int32)
        assert tensor_repr(FakeTensor(ints)) == repr(torch.tensor(ints))


@pytest.mark.parity
def test_parity_default_dtype_float64(torch_mod, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = torch_mod
    torch.set_default_dtype(torch.float64)
    monkeypatch.setattr(printing, "_default_dtype_name", lambda: "torch.float64")
    for dt in (np.float32, np.float64, np.complex64, np.complex128, np.int64, np.bool_):
        for arr in (np.ones(3, dt), np.zeros((0,), dt), np.zeros((2, 0), dt)):
            assert tensor_repr(FakeTensor(arr)) == repr(torch.from_numpy(arr))


@pytest.mark.parity
def test_parity_printoptions(torch_mod) -> None:
    from torch._tensor_str import get_printoptions as torch_get

    for opts in _OPTION_SETS:
        torch_mod.set_printoptions(**opts)
        set_printoptions(**opts)
        assert get_printoptions() == torch_get()
