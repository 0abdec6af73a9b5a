"""Unary pointwise math: values/dtypes/gradients against torch, gradcheck, edge cases and errors."""

import math

import numpy as np
import pytest

import engine
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import assert_close, check_against_torch

RNG = np.random.default_rng(0)


def _uniform(lo, hi, shape=(3, 4)):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


# name -> (low, high) of a domain where the function and its derivative are finite
UNARY_DOMAINS = {
    "abs": (-3, 3), "sqrt": (0.1, 4), "rsqrt": (0.1, 4), "exp": (-3, 3), "exp2": (-3, 3), "expm1": (-3, 3),
    "log": (0.1, 4), "log2": (0.1, 4), "log10": (0.1, 4), "log1p": (-0.9, 4), "sin": (-4, 4), "cos": (-4, 4),
    "tan": (-1.4, 1.4), "asin": (-0.95, 0.95), "acos": (-0.95, 0.95), "atan": (-4, 4), "sinh": (-3, 3),
    "cosh": (-3, 3), "tanh": (-3, 3), "asinh": (-4, 4), "acosh": (1.1, 4), "atanh": (-0.95, 0.95),
    "sigmoid": (-6, 6), "logit": (0.05, 0.95), "erf": (-3, 3), "erfc": (-3, 3), "erfinv": (-0.99, 0.99),
    "reciprocal": (0.2, 3), "deg2rad": (-200, 200), "rad2deg": (-4, 4), "sinc": (-3, 3), "frac": (-5, 5),
    "floor": (-5, 5), "ceil": (-5, 5), "round": (-5, 5), "trunc": (-5, 5), "sign": (-3, 3), "sgn": (-3, 3),
    "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctan": (-3, 3), "arcsinh": (-3, 3), "arccosh": (1.2, 3),
    "arctanh": (-0.9, 0.9), "absolute": (-3, 3), "fix": (-5, 5), "nan_to_num": (-3, 3),
}
INT_KEEPING = ("abs", "absolute", "floor", "ceil", "round", "trunc", "fix", "sign", "sgn", "frac",
               "nan_to_num")
FLOAT_RESULT = [n for n in UNARY_DOMAINS if n not in INT_KEEPING]
PIECEWISE_CONSTANT = ("round", "floor", "ceil", "trunc", "fix", "sign", "sgn")


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
def test_unary_matches_torch(name):
    lo, hi = UNARY_DOMAINS[name]
    x = _uniform(lo, hi)
    grad = name != "sgn"  # torch's sgn gradient is a ZeroTensor, which engine.testing cannot convert
    check_against_torch(lambda lib, t: getattr(lib, name)(t), x, rtol=2e-5, atol=1e-6, grad=grad)
    # Tensor method on a non-contiguous (transposed) input
    check_against_torch(lambda lib, t: getattr(t.t(), name)(), x, rtol=2e-5, atol=1e-6, grad=grad)


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
def test_unary_float64_and_empty(name):
    lo, hi = UNARY_DOMAINS[name]
    x = RNG.uniform(lo, hi, (5,))
    grad = name != "sgn"
    check_against_torch(lambda lib, t: getattr(lib, name)(t[::2]), x, rtol=1e-10, atol=1e-12, grad=grad)
    check_against_torch(lambda lib, t: getattr(lib, name)(t), np.zeros((0, 3), np.float32), grad=grad)


@pytest.mark.parity
@pytest.mark.parametrize("name", FLOAT_RESULT)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_inputs_give_default_float(name, dtype):
    x = np.array([0, 1, 2, 3], dtype=dtype) if dtype is not np.bool_ else np.array([True, False])
    check_against_torch(lambda lib, t: getattr(lib, name)(t), x, rtol=1e-5)


@pytest.mark.parity
def test_integer_inputs_under_float64_default():
    engine.set_default_dtype(engine.float64)
    assert engine.exp(engine.tensor([1, 2])).dtype == engine.float64
    assert engine.sqrt(engine.tensor([True])).dtype == engine.float64


@pytest.mark.parity
@pytest.mark.parametrize("name", ["abs", "sign", "sgn", "floor", "ceil", "round", "trunc", "nan_to_num"])
@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.uint8])
def test_int_preserving_unary(name, dtype):
    x = np.array([0, 3, 7, 2], dtype=dtype) if dtype == np.uint8 else np.array([0, -3, 7, -2], dtype=dtype)
    check_against_torch(lambda lib, t: getattr(lib, name)(t), x)


@pytest.mark.parity
def test_special_values_match_torch():
    x = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, 50.0, -50.0, 2.5, -2.5], np.float32)
    names = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh",
             "sigmoid", "erf", "erfc", "erfinv", "floor", "ceil", "round", "trunc", "sign", "abs", "atan",
             "asinh",
             "reciprocal", "sinc", "frac", "nan_to_num", "isnan", "isinf", "isposinf", "isneginf", "isfinite",
             "signbit", "logit"]
    for name in names:
        check_against_torch(lambda lib, t, name=name: getattr(lib, name)(t), x, grad=False, rtol=1e-5)


@pytest.mark.parity
def test_gradients_at_singular_points_match_torch():
    import torch

    for name, values in [("sqrt", [0.0, 4.0]), ("rsqrt", [0.0, 4.0]), ("abs", [-1.0, 0.0, 2.0]),
                         ("erfinv", [-1.0, 1.0, 0.0, 2.0]), ("log", [0.0, 2.0]), ("reciprocal", [0.0, 2.0]),
                         ("acosh", [1.0, 2.0]), ("asin", [1.0, -1.0]), ("atanh", [1.0, -1.0]),
                         ("sinc", [0.0, 0.5]), ("logit", [0.0, 1.0, 0.5, 2.0]), ("sign", [0.0, 1.0]),
                         ("nan_to_num", [np.nan, np.inf, -np.inf, 2.0])]:
        grads = []
        for lib in (engine, torch):
            x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
            getattr(lib, name)(x).backward(lib.ones(len(values), dtype=lib.float64))
            grads.append(x.grad)
        assert_close(grads[0], grads[1], msg=f"{name}: ")


def test_grad_fn_names():
    x = engine.tensor([0.5, 0.25], requires_grad=True)
    expected = {"exp": "ExpBackward0", "log1p": "Log1PBackward0", "sqrt": "SqrtBackward0",
                "arcsin": "AsinBackward0", "erfinv": "ErfinvBackward0", "fix": "TruncBackward0",
                "absolute": "AbsBackward0", "sigmoid": "SigmoidBackward0", "logit": "LogitBackward0"}
    for name, node in expected.items():
        assert getattr(engine, name)(x).grad_fn.name() == node
    assert engine.round(x, decimals=2).grad_fn.name() == "RoundBackward1"
    assert engine.positive(x) is x


@pytest.mark.parametrize("name", [n for n in sorted(UNARY_DOMAINS) if n not in PIECEWISE_CONSTANT])
def test_gradcheck_unary(name):
    lo, hi = UNARY_DOMAINS[name]
    x = engine.tensor(RNG.uniform(lo, hi, (4,)), dtype=engine.float64, requires_grad=True)
    if name in ("frac",):
        x = engine.tensor([0.3, -1.4, 2.2, -0.6], dtype=engine.float64, requires_grad=True)
    assert gradcheck(getattr(engine, name), (x,))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sigmoid", "tanh", "abs", "sin", "erf", "rsqrt",
                                  "reciprocal", "expm1", "log1p"])
def test_gradgradcheck_backward_building_blocks(name):
    lo, hi = UNARY_DOMAINS[name]
    x = engine.tensor(RNG.uniform(lo, hi, (3,)), dtype=engine.float64, requires_grad=True)
    if name == "abs":
        x = engine.tensor([-1.5, 0.7, 2.0], dtype=engine.float64, requires_grad=True)
    assert gradgradcheck(getattr(engine, name), (x,))


def test_piecewise_constant_gradients_are_zero():
    x = engine.tensor([0.3, -1.5, 2.5], requires_grad=True)
    for name in ["floor", "ceil", "round", "trunc", "sign", "sgn"]:
        (g,) = engine.autograd.grad(getattr(engine, name)(x).sum(), x)
        assert g.tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------------------------------------- erf ---
def test_erf_erfc_accuracy_float64():
    xs = np.concatenate([RNG.uniform(-6, 6, 2000), RNG.uniform(-0.6, 0.6, 500),
                         10 ** RNG.uniform(-300, 1.4, 500),
                         [0.0, 0.5, 2.0, 4.0, 26.0, 27.0, 30.0, -0.5, -2.0, -4.0]])
    t = engine.tensor(xs, dtype=engine.float64)
    erf = engine.erf(t).numpy()
    erfc = engine.erfc(t).numpy()
    ref_erf = np.array([math.erf(v) for v in xs])
    ref_erfc = np.array([math.erfc(v) for v in xs])
    assert np.allclose(erf, ref_erf, rtol=1.5e-15, atol=0)
    nz = ref_erfc > 1e-300
    assert np.allclose(erfc[nz], ref_erfc[nz], rtol=2e-15, atol=0)
    assert np.allclose(erfc[~nz], ref_erfc[~nz], rtol=0, atol=1e-300)


def test_erf_erfc_special_values():
    t = engine.tensor([np.inf, -np.inf, np.nan, 0.0, -0.0], dtype=engine.float64)
    erf = engine.erf(t).tolist()
    assert erf[:2] == [1.0, -1.0] and math.isnan(erf[2]) and erf[3] == 0.0 and math.copysign(1, erf[4]) == -1
    erfc = engine.erfc(t).tolist()
    assert erfc[:2] == [0.0, 2.0] and math.isnan(erfc[2]) and erfc[3] == 1.0


def test_erfinv_inverts_erf_and_edges():
    ys = np.concatenate([RNG.uniform(-5.8, 5.8, 2000), RNG.uniform(-0.1, 0.1, 200)])
    xs = np.array([math.erf(y) for y in ys])
    back = engine.erfinv(engine.tensor(xs, dtype=engine.float64)).numpy()
    inner = np.abs(xs) < 0.9  # beyond, rounding x to double moves erfinv(x) by more than 1e-13
    assert np.allclose(back[inner], ys[inner], rtol=1e-13, atol=1e-15)
    near_one = 1 - 2.0 ** -np.arange(2, 53)
    out = engine.erfinv(engine.tensor(near_one, dtype=engine.float64)).numpy()
    assert np.allclose([math.erfc(v) for v in out], 1 - near_one, rtol=1e-13)
    edges = engine.erfinv(engine.tensor([1.0, -1.0, 1.5, -2.0, np.nan], dtype=engine.float64)).tolist()
    assert edges[:2] == [math.inf, -math.inf] and all(math.isnan(v) for v in edges[2:])


@pytest.mark.parity
def test_erf_family_float32_and_float16_match_torch():
    x = np.concatenate([RNG.uniform(-5, 5, 500), RNG.uniform(-0.01, 0.01, 50)]).astype(np.float32)
    for name in ("erf", "erfc"):
        check_against_torch(lambda lib, t, name=name: getattr(lib, name)(t), x, rtol=1e-6, atol=1e-7)
    p = RNG.uniform(-0.9999, 0.9999, 500).astype(np.float32)
    check_against_torch(lambda lib, t: lib.erfinv(t), p, rtol=1e-5, atol=1e-6)
    half = x[:50].astype(np.float16)
    check_against_torch(lambda lib, t: lib.erf(t), half, grad=False, rtol=1e-3, atol=1e-3)


def test_erf_rejects_complex():
    with pytest.raises(NotImplementedError, match='"erf_cpu" not implemented for \'ComplexFloat\''):
        engine.erf(engine.tensor([1 + 1j], dtype=engine.complex64))


# ----------------------------------------------------------------------------------------- rounding ---
@pytest.mark.parity
@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
def test_round_decimals(decimals):
    x = np.array([1234.5678, 0.125, 2.675, -0.5, 0.5, 1.5, 2.5, -2.5, 1e-3, 99.95], np.float32)
    check_against_torch(lambda lib, t: lib.round(t, decimals=decimals), x, rtol=1e-6)
    check_against_torch(lambda lib, t: lib.round(t, decimals=decimals), x.astype(np.float64), rtol=1e-12)


def test_round_half_to_even_and_int_errors():
    assert engine.round(engine.tensor([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]
    with pytest.raises(NotImplementedError, match="\"round_cpu\" not implemented for 'Long'"):
        engine.round(engine.tensor([1, 2]), decimals=1)
    with pytest.raises(NotImplementedError, match="\"frac_cpu\" not implemented for 'Long'"):
        engine.frac(engine.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="\"abs_cpu\" not implemented for 'Bool'"):
        engine.abs(engine.tensor([True]))
    with pytest.raises(NotImplementedError, match="\"trunc_vml_cpu\" not implemented for 'Bool'"):
        engine.trunc(engine.tensor([True]))


def test_sign_rules():
    assert engine.sign(engine.tensor([True, False])).dtype == engine.bool
    assert engine.sign(engine.tensor([float("nan"), -0.0, -2.0])).tolist() == [0.0, 0.0, -1.0]
    assert engine.sgn(engine.tensor([3 + 4j, 0j])).tolist() == [pytest.approx(0.6 + 0.8j), 0j]
    with pytest.raises(RuntimeError, match="torch.sign is not intended to support complex numbers"):
        engine.sign(engine.tensor([1j]))
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor is not supported."):
        engine.positive(engine.tensor([True]))


# ----------------------------------------------------------------------------------- logit / nan_to_num ---
@pytest.mark.parity
def test_logit_eps_matches_torch():
    x = np.array([0.05, 0.1, 0.5, 0.95, 0.9, 0.3], np.float64)
    check_against_torch(lambda lib, t: lib.logit(t, eps=0.1), x)
    check_against_torch(lambda lib, t: t.logit(0.2), x.astype(np.float32))


@pytest.mark.parity
def test_nan_to_num_matches_torch():
    x = np.array([np.nan, np.inf, -np.inf, 2.0, -3.0], np.float32)
    check_against_torch(lambda lib, t: lib.nan_to_num(t), x)
    check_against_torch(lambda lib, t: lib.nan_to_num(t, nan=1.5, posinf=9.0, neginf=-9.0), x)
    check_against_torch(lambda lib, t: lib.nan_to_num(t, posinf=1e40), x, grad=False)
    check_against_torch(lambda lib, t: lib.nan_to_num(t), x.astype(np.float16), grad=False)
    check_against_torch(lambda lib, t: lib.nan_to_num(t), x.astype(np.float64))


@pytest.mark.parity
def test_predicates_on_all_dtypes():
    for arr in (np.array([1, -2, 0]), np.array([True, False]),
                np.array([1.0, -np.inf, np.nan, -0.0], np.float32),
                np.array([1 + 0j, 1j, np.nan + 0j], np.complex64), np.array([3, 4], np.uint8)):
        for name in ("isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal", "signbit"):
            if arr.dtype.kind == "c" and name in ("isposinf", "isneginf", "signbit"):
                continue
            check_against_torch(lambda lib, t, name=name: getattr(lib, name)(t), arr, grad=False)


# ------------------------------------------------------------------------------------------- in-place ---
def test_inplace_forms():
    x = engine.tensor([0.25, 4.0])
    v = x._version_count
    assert x.sqrt_() is x and x.tolist() == [0.5, 2.0] and x._version_count > v
    x.exp_().log_()
    assert np.allclose(x.tolist(), [0.5, 2.0])
    i = engine.tensor([-3, 4])
    assert i.abs_().tolist() == [3, 4] and i.dtype == engine.int64
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        engine.tensor([1, 2]).sqrt_()
    leaf = engine.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.exp_()


def test_inplace_records_autograd():
    a = engine.tensor([0.5, 1.5], requires_grad=True)
    b = a * 1
    b.sin_()
    assert b.grad_fn.name() == "SinBackward0"
    b.sum().backward()
    assert np.allclose(a.grad.tolist(), np.cos([0.5, 1.5]))


def test_saved_output_modified_in_place_raises():
    a = engine.tensor([0.5, 1.5], requires_grad=True)
    out = a.exp()
    out.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_abs_operator_and_out_argument():
    x = engine.tensor([-1.5, 2.0])
    assert abs(x).tolist() == [1.5, 2.0]
    out = engine.empty(2)
    engine.exp(engine.tensor([0.0, 0.0]), out=out)
    assert out.tolist() == [1.0, 1.0]
