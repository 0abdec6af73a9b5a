"""dtype objects, type promotion (promote_types / result_type), the default dtype and casts.

Expected values were checked against PyTorch 2.x; the parity tests re-check them when torch is installed.
"""

import itertools

import numpy as np
import pytest

import engine as torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
         "complex128"]


# ---------------------------------------------------------------------------------------- dtype objects --
@pytest.mark.parametrize("name,floating,complex_,itemsize,signed", [
    ("bool", False, False, 1, False), ("uint8", False, False, 1, False), ("int8", False, False, 1, True),
    ("int16", False, False, 2, True), ("int32", False, False, 4, True), ("int64", False, False, 8, True),
    ("float16", True, False, 2, True), ("float32", True, False, 4, True), ("float64", True, False, 8, True),
    ("complex64", False, True, 8, True), ("complex128", False, True, 16, True),
])
def test_dtype_attributes(name, floating, complex_, itemsize, signed):
    d = getattr(torch, name)
    assert repr(d) == f"torch.{name}"
    assert str(d) == f"torch.{name}"
    assert d.is_floating_point is floating
    assert d.is_complex is complex_
    assert d.itemsize == itemsize
    assert d.is_signed is signed


def test_dtype_aliases_are_the_same_objects():
    assert torch.float is torch.float32
    assert torch.double is torch.float64
    assert torch.half is torch.float16
    assert torch.long is torch.int64
    assert torch.int is torch.int32
    assert torch.short is torch.int16
    assert torch.cfloat is torch.complex64
    assert torch.cdouble is torch.complex128
    assert repr(torch.float) == "torch.float32"
    assert repr(torch.long) == "torch.int64"


def test_dtype_equality_and_hashing():
    assert torch.float32 == torch.float
    assert torch.float32 != torch.float64
    assert {torch.float32: 1}[torch.float] == 1
    assert isinstance(torch.float32, torch.dtype)


def test_to_real_and_to_complex():
    assert torch.complex64.to_real() is torch.float32
    assert torch.complex128.to_real() is torch.float64
    assert torch.float32.to_real() is torch.float32
    assert torch.float64.to_complex() is torch.complex128
    assert torch.float32.to_complex() is torch.complex64


# --------------------------------------------------------------------------------------- promote_types --
PROMOTE_EXPECTED = {  # a few hand-checked pairs (all pairs are compared with torch below)
    ("uint8", "int8"): "int16", ("bool", "uint8"): "uint8", ("bool", "float16"): "float16",
    ("int64", "float16"): "float16", ("int32", "int64"): "int64", ("uint8", "int16"): "int16",
    ("float16", "float32"): "float32", ("float64", "complex64"): "complex128",
    ("float32", "complex64"): "complex64", ("int64", "complex64"): "complex64", ("bool", "bool"): "bool",
    ("uint8", "uint8"): "uint8", ("int8", "float64"): "float64",
}


@pytest.mark.parametrize("pair,expected", sorted(PROMOTE_EXPECTED.items()))
def test_promote_types_known_pairs(pair, expected):
    a, b = (getattr(torch, n) for n in pair)
    assert torch.promote_types(a, b) is getattr(torch, expected)
    assert torch.promote_types(b, a) is getattr(torch, expected)


@pytest.mark.parity
def test_promote_types_all_pairs_match_torch():
    import torch as real

    for a, b in itertools.product(NAMES, NAMES):
        expected = real.promote_types(getattr(real, a), getattr(real, b))
        assert repr(torch.promote_types(getattr(torch, a), getattr(torch, b))) == str(expected), (a, b)


@pytest.mark.parity
def test_can_cast_all_pairs_match_torch():
    import torch as real

    for a, b in itertools.product(NAMES, NAMES):
        expected = real.can_cast(getattr(real, a), getattr(real, b))
        assert torch.can_cast(getattr(torch, a), getattr(torch, b)) == expected, (a, b)


def test_can_cast_examples():
    assert torch.can_cast(torch.float64, torch.float32)
    assert not torch.can_cast(torch.float32, torch.int32)
    assert torch.can_cast(torch.int64, torch.int8)
    assert not torch.can_cast(torch.int32, torch.bool)
    assert not torch.can_cast(torch.complex64, torch.float64)
    assert torch.can_cast(torch.bool, torch.uint8)


# --------------------------------------------------------------------------------------- result rules ---
def _t(dtype_name, dim=True):
    shape = (2,) if dim else ()
    return torch.ones(shape, dtype=getattr(torch, dtype_name))


@pytest.mark.parametrize("a,b,expected", [
    (_t("int64"), 2.5, "float32"),                          # int tensor + python float -> default float
    (_t("float32"), _t("float64", dim=False), "float32"),   # dim tensor outranks zero-dim tensor
    (_t("int32"), _t("int64", dim=False), "int32"),
    (_t("uint8"), _t("int8"), "int16"),
    (_t("bool"), True, "bool"),
    (_t("float16"), 2.5, "float16"),                        # python float does not widen a float tensor
    (_t("int32"), 7, "int32"),                              # python int does not widen an int tensor
    (_t("uint8"), 1000, "uint8"),
    (_t("bool"), 3, "int64"),
    (_t("bool"), 1.5, "float32"),
    (_t("int64", dim=False), _t("float16", dim=False), "float16"),
    (_t("int64"), _t("float64", dim=False), "float64"),     # zero-dim raises the category
    (_t("float32"), 1 + 2j, "complex64"),
    (_t("float64"), 1 + 2j, "complex128"),
    (_t("int32", dim=False), 2.5, "float32"),
    (_t("float64", dim=False), 2.5, "float64"),
])
def test_result_type_rules(a, b, expected):
    assert torch.result_type(a, b) is getattr(torch, expected)
    assert (a + b).dtype is getattr(torch, expected)
    if not isinstance(b, torch.Tensor):
        assert torch.result_type(b, a) is getattr(torch, expected)
        assert (b + a).dtype is getattr(torch, expected)


def test_int_division_gives_default_float():
    a = torch.tensor([1, 2])
    assert (a / torch.tensor([2, 2])).dtype is torch.float32
    assert (a / 2).dtype is torch.float32
    assert (a / 2).tolist() == [0.5, 1.0]
    assert (a // 2).dtype is torch.int64


@pytest.mark.parity
def test_result_type_all_combinations_match_torch():
    import warnings

    import torch as real

    scalars = [True, 3, 2.5, 1 + 2j]
    for a, adim, b, bdim in itertools.product(NAMES, (True, False), NAMES, (True, False)):
        ta = real.ones((2,) if adim else (), dtype=getattr(real, a))
        tb = real.ones((2,) if bdim else (), dtype=getattr(real, b))
        expected = str(real.result_type(ta, tb))
        if expected == "torch.complex32":
            continue  # no complex32 in the engine
        got = torch.result_type(_t(a, adim), _t(b, bdim))
        assert repr(got) == expected, (a, adim, b, bdim)
    for a, adim, s in itertools.product(NAMES, (True, False), scalars):
        ta = real.ones((2,) if adim else (), dtype=getattr(real, a))
        expected = str(real.result_type(ta, s))
        if expected == "torch.complex32":
            continue
        assert repr(torch.result_type(_t(a, adim), s)) == expected, (a, adim, s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert repr((_t(a, adim) * s).dtype) == str((ta * s).dtype), (a, adim, s)


# ------------------------------------------------------------------------------------- default dtype ----
def test_default_dtype_is_float32():
    assert torch.get_default_dtype() is torch.float32
    assert torch.tensor([1.5]).dtype is torch.float32
    assert torch.tensor([1, 2]).dtype is torch.int64
    assert torch.tensor([True]).dtype is torch.bool
    assert torch.tensor([1 + 2j]).dtype is torch.complex64


def test_set_default_dtype_float64_changes_inference():
    torch.set_default_dtype(torch.float64)  # the autouse fixture restores it
    assert torch.get_default_dtype() is torch.float64
    assert torch.tensor([1.5]).dtype is torch.float64
    assert torch.tensor([1, 2]).dtype is torch.int64
    assert torch.arange(0, 1, 0.25).dtype is torch.float64
    assert torch.arange(3).dtype is torch.int64
    assert (torch.tensor([1, 2]) / torch.tensor([2, 4])).dtype is torch.float64
    assert (torch.tensor([1, 2]) * 0.5).dtype is torch.float64
    assert torch.tensor([1 + 2j]).dtype is torch.complex128
    assert torch.zeros(2).dtype is torch.float64
    assert torch.Tensor([1, 2]).dtype is torch.float32  # the legacy constructor stays float32
    # a float32 tensor is not widened by a python float
    assert (torch.ones(2, dtype=torch.float32) + 1.5).dtype is torch.float32


def test_set_default_dtype_float16():
    torch.set_default_dtype(torch.float16)
    assert torch.tensor([1.5]).dtype is torch.float16
    assert (torch.tensor([1, 2]) / 2).dtype is torch.float16


def test_set_default_dtype_rejects_integer_types():
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        torch.set_default_dtype(torch.int64)
    assert torch.get_default_dtype() is torch.float32


def test_arange_dtype_inference():
    assert torch.arange(5).dtype is torch.int64
    assert torch.arange(0, 1, 0.5).dtype is torch.float32
    assert torch.arange(1.0, 4).dtype is torch.float32
    assert torch.arange(1, 10, 2, dtype=torch.float64).tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]


# ----------------------------------------------------------------------------------------------- casts --
def test_cast_methods():
    t = torch.tensor([1.7, -2.7, 0.0])
    assert t.long().tolist() == [1, -2, 0] and t.long().dtype is torch.int64
    assert t.int().dtype is torch.int32 and t.int().tolist() == [1, -2, 0]
    assert t.bool().tolist() == [True, True, False]
    assert t.double().dtype is torch.float64
    assert t.half().dtype is torch.float16
    assert t.float() is t  # no-op casts return self, like torch
    assert t.short().dtype is torch.int16
    assert t.char().dtype is torch.int8
    assert torch.tensor([1, 2]).float().dtype is torch.float32
    assert torch.tensor([300.0, -1.0]).byte().tolist() == [44, 255]  # wraps around like torch on CPU


def test_to_dtype_forms():
    t = torch.tensor([1, 2])
    assert t.to(torch.float64).dtype is torch.float64
    assert t.to(dtype=torch.float16).dtype is torch.float16
    assert t.to("cpu", torch.float32).dtype is torch.float32
    assert t.to(torch.tensor([1.0], dtype=torch.float64)).dtype is torch.float64
    assert t.to(torch.int64) is t
    assert t.to(torch.int64, copy=True) is not t
    assert t.type() == "torch.LongTensor"
    assert torch.tensor([1.5]).type() == "torch.FloatTensor"
    assert torch.tensor([1.5]).type(torch.int32).dtype is torch.int32
    assert torch.tensor([1.5]).type("torch.DoubleTensor").dtype is torch.float64
    assert t.type_as(torch.tensor([1.0])).dtype is torch.float32


def test_to_keeps_values_and_is_differentiable():
    x = torch.tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype is torch.float64
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.dtype is torch.float32
    assert x.grad.tolist() == [3.0, 5.0]


def test_casting_to_int_drops_requires_grad():
    x = torch.tensor([1.5], requires_grad=True)
    assert not x.long().requires_grad
    assert x.long().grad_fn is None


def test_numpy_dtypes_round_trip():
    for name in NAMES:
        np_dtype = np.dtype(name if name != "bool" else np.bool_)
        t = torch.from_numpy(np.zeros(2, dtype=np_dtype))
        assert t.dtype is getattr(torch, name)
        assert t.numpy().dtype == np_dtype


def test_unsupported_numpy_dtype_raises():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        torch.from_numpy(np.zeros(2, dtype=np.dtype("U3")))


def test_element_size_and_is_floating_point():
    assert torch.tensor([1, 2]).element_size() == 8
    assert torch.tensor([1.0]).element_size() == 4
    assert torch.tensor([1.0]).is_floating_point()
    assert not torch.tensor([1]).is_floating_point()
    assert torch.tensor([1j]).is_complex()
    assert torch.is_floating_point(torch.tensor([1.0]))
    assert torch.is_complex(torch.tensor([1j]))
