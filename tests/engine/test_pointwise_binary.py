"""Binary pointwise math, where and clamp: parity with torch (values, dtypes, gradients), gradcheck,
errors."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

RNG = np.random.default_rng(1)
SIZE_MISMATCH = "The size of tensor a \\(2\\) must match the size of tensor b \\(3\\)"


def _f32(*shape, lo=-3.0, hi=3.0):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


BINARY = {  # name -> (low, high) for both operands
    "maximum": (-3, 3), "minimum": (-3, 3), "fmax": (-3, 3), "fmin": (-3, 3), "atan2": (-3, 3),
    "arctan2": (-3, 3), "hypot": (0.2, 3), "remainder": (0.5, 4), "fmod": (0.5, 4), "copysign": (-3, 3),
    "xlogy": (0.2, 3), "logaddexp": (-3, 3), "logaddexp2": (-3, 3),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch_with_broadcasting(name):
    lo, hi = BINARY[name]
    a, b = _f32(3, 4, lo=lo, hi=hi), _f32(4, lo=lo, hi=hi)
    if name in ("remainder", "fmod"):
        a = a * np.where(RNG.random(a.shape) < 0.5, -1, 1).astype(np.float32)
        b = b * np.where(RNG.random(b.shape) < 0.5, -1, 1).astype(np.float32)
    check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), a, b, rtol=1e-5)
    check_against_torch(lambda lib, x, y: getattr(x.t(), name)(y[:, None]), a, b, rtol=1e-5)  # non-contiguous
    a64, b64 = a.astype(np.float64), b[:1].astype(np.float64)
    check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), a64, b64)
    empty = np.zeros((0, 4), np.float32)
    check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), empty, b)


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_dtype_promotion(name):
    ints = np.array([3, -4, 5], np.int64)
    floats = np.array([1.5, 2.0, -0.5], np.float32)
    doubles = np.array([1.5, 2.0, 0.25], np.float64)
    for a, b in [(floats, doubles), (ints, floats), (floats, ints), (ints, ints)]:
        if name in ("hypot", "logaddexp", "logaddexp2") and a.dtype.kind == "i" and b.dtype.kind == "i":
            continue
        if name in ("remainder", "fmod", "xlogy", "hypot"):
            a, b = np.abs(a) + 1, np.abs(b) + 1
            a, b = a.astype(floats.dtype if a.dtype.kind == "f" else a.dtype), b
        check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), a, b, grad=False,
                            rtol=1e-5)


@pytest.mark.parity
def test_maximum_minimum_ties_and_nan_gradients():
    a = np.array([1.0, 2.0, np.nan, np.nan, 3.0, -0.0], np.float64)
    b = np.array([1.0, np.nan, 4.0, np.nan, 3.0, 0.0], np.float64)
    for name in ("maximum", "minimum", "fmax", "fmin"):
        check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), a, b)
    ints = np.array([1, 5, -2]), np.array([1, 2, 3])
    for name in ("maximum", "minimum", "fmax", "fmin"):
        check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), *ints)
    bools = np.array([True, False]), np.array([False, False])
    check_against_torch(lambda lib, x, y: lib.maximum(x, y), *bools)


@pytest.mark.parity
def test_atan2_hypot_at_origin_and_xlogy_special_values():
    zeros = np.array([0.0, 3.0, -1.0]), np.array([0.0, 4.0, 0.0])
    check_against_torch(lambda lib, x, y: lib.atan2(x, y), *zeros)
    check_against_torch(lambda lib, x, y: lib.hypot(x, y), *zeros)
    x = np.array([0.0, 0.0, 2.0, np.nan, 0.0, -1.0])
    y = np.array([0.0, np.nan, 3.0, 1.0, -1.0, 2.0])
    check_against_torch(lambda lib, a, b: lib.xlogy(a, b), x, y)
    check_against_torch(lambda lib, a: lib.xlogy(a, 3.0), x)
    check_against_torch(lambda lib, b: lib.xlogy(2, b), np.abs(y) + 0.5)
    check_against_torch(lambda lib, b: lib.xlogy(0.0, b), y, grad=False)


@pytest.mark.parity
def test_remainder_and_fmod_semantics():
    a = np.array([5.0, -5.0, 5.5, -3.0, 3.0, 0.0, -0.0, 7.0], np.float32)
    b = np.array([3.0, 3.0, -2.0, 3.0, -3.0, 2.0, -2.0, np.inf], np.float32)
    for name in ("remainder", "fmod"):
        check_against_torch(lambda lib, x, y, name=name: getattr(lib, name)(x, y), a, b)
        check_against_torch(lambda lib, x, name=name: getattr(lib, name)(x, 2.5), a)
        check_against_torch(lambda lib, x, name=name: getattr(lib, name)(x, -2), a)
        check_against_torch(lambda lib, x, name=name: getattr(lib, name)(x, 0.0), a, grad=False)
    ia, ib = np.array([5, -5, 7, -7]), np.array([3, 3, -2, -2])
    check_against_torch(lambda lib, x, y: lib.remainder(x, y), ia, ib)
    check_against_torch(lambda lib, x, y: lib.fmod(x, y), ia, ib)
    check_against_torch(lambda lib, x, y: x % y, ia, ib)
    check_against_torch(lambda lib, x: 5 % x, ib, grad=False)
    check_against_torch(lambda lib, x: 5.5 % x, ib, grad=False)
    check_against_torch(lambda lib, x: x % 2, ia)
    check_against_torch(lambda lib, x: lib.remainder(x, 2.5), ia)
    check_against_torch(lambda lib, x: lib.remainder(-5, x), ib)
    x = engine.tensor([1.0, 2.0])
    x %= 1.5
    assert x.tolist() == [1.0, 0.5]


def test_integer_division_by_zero_and_bool_errors():
    i = engine.tensor([3, -4])
    for fn in (lambda: engine.remainder(i, 0), lambda: engine.fmod(i, 0), lambda: i % engine.tensor([0, 1]),
               lambda: engine.floor_divide(i, 0)):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    b = engine.tensor([True, False])
    with pytest.raises(NotImplementedError, match="\"remainder_cpu\" not implemented for 'Bool'"):
        b % b
    with pytest.raises(NotImplementedError, match="\"fmod_cpu\" not implemented for 'Bool'"):
        engine.fmod(b, b)
    with pytest.raises(NotImplementedError, match="\"div_floor_cpu\" not implemented for 'Bool'"):
        engine.floor_divide(b, b)


@pytest.mark.parity
def test_floor_divide_rounds_toward_minus_infinity():
    a = np.array([7, -7, 7, -7, 0]), np.array([2, 2, -2, -2, 3])
    check_against_torch(lambda lib, x, y: lib.floor_divide(x, y), *a)
    check_against_torch(lambda lib, x, y: x.floor_divide(y), *(v.astype(np.float32) for v in a), grad=False)
    check_against_torch(lambda lib, x: lib.floor_divide(x, 2.5), a[0], grad=False)
    check_against_torch(lambda lib, x: lib.floor_divide(x, 0.0), a[0].astype(np.float32), grad=False)


@pytest.mark.parity
def test_copysign():
    a = np.array([0.0, 2.0, -3.0, 0.0, 1.5]), np.array([-1.0, -0.0, 1.0, 0.0, -2.0])
    check_against_torch(lambda lib, x, y: lib.copysign(x, y), *a)
    check_against_torch(lambda lib, x: lib.copysign(x, -1), a[0])
    check_against_torch(lambda lib, x, y: lib.copysign(x, y), np.array([3, -4]), np.array([-1, 1]))
    check_against_torch(lambda lib, x, y: lib.copysign(x, y), np.array([True, False]), np.array([True, True]))


@pytest.mark.parity
def test_logaddexp_infinities():
    a = np.array([0.0, np.inf, -np.inf, 800.0, -800.0]), np.array([0.0, np.inf, -np.inf, 1.0, -801.0])
    check_against_torch(lambda lib, x, y: lib.logaddexp(x, y), *a)
    check_against_torch(lambda lib, x, y: lib.logaddexp2(x, y), *a)


@pytest.mark.parity
def test_lerp_scalar_and_tensor_weight():
    s, e, w = _f32(3, 4), _f32(4), RNG.uniform(-0.5, 1.5, (3, 1)).astype(np.float32)
    check_against_torch(lambda lib, a, b: lib.lerp(a, b, 0.3), s, e)
    check_against_torch(lambda lib, a, b: a.lerp(b, 0.8), s, e)
    check_against_torch(lambda lib, a, b, c: lib.lerp(a, b, c), s, e, w)
    check_against_torch(lambda lib, a, b, c: lib.lerp(a, b, c), s.astype(np.float64), e.astype(np.float64),
                        w.astype(np.float64), rtol=1e-12)


def test_lerp_errors():
    f, d = engine.tensor([1.0, 2.0]), engine.tensor([1.0, 2.0], dtype=engine.float64)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        engine.lerp(f, d, 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        engine.lerp(f, f, d)
    i = engine.tensor([1, 2])
    with pytest.raises(NotImplementedError, match="\"lerp_kernel_scalar\" not implemented for 'Long'"):
        engine.lerp(i, i, 0.5)
    with pytest.raises(RuntimeError, match=SIZE_MISMATCH):
        engine.lerp(f, engine.tensor([1.0, 2.0, 3.0]), 0.5)


def test_heaviside():
    x = engine.tensor([-1.5, 0.0, 2.0])
    assert engine.heaviside(x, engine.tensor([0.5])).tolist() == [0.0, 0.5, 1.0]
    assert engine.heaviside(engine.tensor([-3, 0, 4]), engine.tensor([7])).tolist() == [0, 7, 1]
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different"):
        engine.heaviside(x, engine.tensor(1))
    y = engine.tensor([1.0, 0.0], requires_grad=True)
    out = engine.heaviside(y, engine.tensor([0.5]))
    assert out.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        out.sum().backward()


def test_tensor_only_arguments():
    x = engine.tensor([1.0, 2.0])
    for name in ("maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "logaddexp", "logaddexp2"):
        with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'other' \\(position 2\\)"):
            getattr(engine, name)(x, 2)
    with pytest.raises(RuntimeError, match=f"{SIZE_MISMATCH} at non-singleton dimension 0"):
        engine.maximum(x, engine.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(NotImplementedError, match="\"hypot_cpu\" not implemented for 'Long'"):
        engine.hypot(engine.tensor([1]), engine.tensor([2]))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_gradcheck_binary(name):
    lo, hi = BINARY[name]
    a = engine.tensor(RNG.uniform(lo, hi, (2, 3)), dtype=engine.float64, requires_grad=True)
    b = engine.tensor(RNG.uniform(lo, hi, (3,)), dtype=engine.float64, requires_grad=True)
    if name in ("remainder", "fmod"):
        a = engine.tensor([[2.3, -1.7, 5.1], [0.4, -3.3, 2.2]], dtype=engine.float64, requires_grad=True)
        b = engine.tensor([1.1, 0.9, -1.3], dtype=engine.float64, requires_grad=True)
    assert gradcheck(getattr(engine, name), (a, b))


def test_gradcheck_lerp_copysign_scalar_forms():
    a = engine.tensor(RNG.uniform(-1, 1, (2, 3)), dtype=engine.float64, requires_grad=True)
    b = engine.tensor(RNG.uniform(-1, 1, (3,)), dtype=engine.float64, requires_grad=True)
    w = engine.tensor(RNG.uniform(0, 1, (2, 1)), dtype=engine.float64, requires_grad=True)
    assert gradcheck(engine.lerp, (a, b, w))
    assert gradcheck(lambda x, y: engine.lerp(x, y, 0.7), (a, b))
    assert gradcheck(lambda x: engine.copysign(x, -2.0), (a,))
    assert gradcheck(lambda y: engine.xlogy(1.5, y), (b.abs().detach().requires_grad_(),))


@pytest.mark.parametrize("name", ["maximum", "minimum", "atan2", "hypot", "logaddexp", "xlogy"])
def test_gradgradcheck_binary(name):
    a = engine.tensor([[0.3, 1.2, 2.5], [1.7, 0.6, 2.2]], dtype=engine.float64, requires_grad=True)
    b = engine.tensor([1.0, 0.8, 1.9], dtype=engine.float64, requires_grad=True)
    assert gradgradcheck(getattr(engine, name), (a, b))


# -------------------------------------------------------------------------------------------- where ---
@pytest.mark.parity
def test_where_gradients_and_broadcasting():
    x, y = _f32(3, 4), _f32(4)
    cond = RNG.random((3, 1)) < 0.5
    check_against_torch(lambda lib, a, b: lib.where(lib.tensor(cond), a, b), x, y)
    check_against_torch(lambda lib, a, b: lib.where(a.t() > 0, a.t(), b[:3, None]), x.T.copy(), y)
    check_against_torch(lambda lib, a: lib.where(a > 0, a, 0.0), x)
    check_against_torch(lambda lib, a: lib.where(a > 0, 1.5, a), x)
    check_against_torch(lambda lib, a: a.where(a > 0, -a), x)
    check_against_torch(lambda lib, a: lib.where(a > 0, a, a), np.zeros((0, 2), np.float32))


@pytest.mark.parity
def test_where_dtype_promotion():
    i = np.array([3, -4])
    f = np.array([1.5, -2.0], np.float32)
    cases = [
        lambda lib, a, b: lib.where(a > 0, a, 2.5),
        lambda lib, a, b: lib.where(a > 0, 1.0, 0.0),
        lambda lib, a, b: lib.where(a > 0, 1, 0),
        lambda lib, a, b: lib.where(a > 0, b, a),
        lambda lib, a, b: lib.where(a > 0, a, lib.tensor(2.0)),
        lambda lib, a, b: lib.where(a > 0, lib.tensor(2.0, dtype=lib.float64), 1),
        lambda lib, a, b: lib.where(a > 0, a, True),
    ]
    for fn in cases:
        check_against_torch(fn, i, f, grad=False)


@pytest.mark.parity
def test_where_single_argument_is_nonzero():
    arrays = np.array([[0, 1, 2], [3, 0, 0]]), np.array([True, False, True]), np.array(True), np.array(0.0)
    for arr in arrays:
        check_against_torch(lambda lib, t: lib.where(t), arr)


def test_where_errors():
    f = engine.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a "
                                           "tensor with dtype Float"):
        engine.where(f, f, f)
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of tensor b"):
        engine.where(engine.tensor([True, False, True]), f, 0)
    with pytest.raises(TypeError, match="where\\(\\) received an invalid combination of arguments"):
        engine.where(f > 0, f)
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        out = engine.where(engine.tensor([1, 0], dtype=engine.uint8), f, -f)
    assert out.tolist() == [1.0, -2.0]


def test_gradcheck_and_gradgradcheck_where():
    a = engine.tensor(RNG.uniform(-1, 1, (2, 3)), dtype=engine.float64, requires_grad=True)
    b = engine.tensor(RNG.uniform(-1, 1, (3,)), dtype=engine.float64, requires_grad=True)
    cond = engine.tensor([[True, False, True], [False, False, True]])
    assert gradcheck(lambda x, y: engine.where(cond, x, y), (a, b))
    assert gradgradcheck(lambda x, y: engine.where(cond, x * x, y.exp()), (a, b))


# -------------------------------------------------------------------------------------------- clamp ---
@pytest.mark.parity
def test_clamp_scalar_bounds_and_boundaries():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan], np.float32)
    check_against_torch(lambda lib, t: lib.clamp(t, 0.0, 1.0), x)
    check_against_torch(lambda lib, t: lib.clamp(t, 1.0, 0.0), x)  # min > max gives max
    check_against_torch(lambda lib, t: t.clamp(min=0.0), x)
    check_against_torch(lambda lib, t: t.clamp(max=0.5), x)
    check_against_torch(lambda lib, t: lib.clip(t, -0.5, 0.5), x)
    check_against_torch(lambda lib, t: lib.clamp_min(t, 0.5), x)
    check_against_torch(lambda lib, t: lib.clamp_max(t, 0.5), x)
    check_against_torch(lambda lib, t: lib.clamp(t.t(), -1, 1), _f32(3, 4))


@pytest.mark.parity
def test_clamp_tensor_bounds_all_orderings():
    vals = [0.0, 1.0, 2.0]
    x, lo, hi = (np.array(v, np.float64) for v in zip(*itertools.product(vals, vals, vals)))
    check_against_torch(lambda lib, a, b, c: lib.clamp(a, b, c), x, lo, hi)
    check_against_torch(lambda lib, a, b: lib.clamp(a, min=b), x, lo)
    check_against_torch(lambda lib, a, c: lib.clamp(a, max=c), x, hi)
    check_against_torch(lambda lib, a, b: lib.clamp_min(a, b), x, lo)
    check_against_torch(lambda lib, a, c: lib.clamp_max(a, c), x, hi)
    # broadcasting bounds
    check_against_torch(lambda lib, a, b, c: lib.clamp(a, b, c), _f32(3, 4), _f32(4, lo=-1, hi=0),
                        _f32(3, 1, lo=0, hi=1))


@pytest.mark.parity
def test_clamp_dtypes():
    i = np.array([3, -4, 0])
    check_against_torch(lambda lib, t: lib.clamp(t, 0, 1), i)
    check_against_torch(lambda lib, t: lib.clamp(t, 0.5, 1), i)
    check_against_torch(lambda lib, t: lib.clamp(t, max=0.5), i)
    check_against_torch(lambda lib, t: lib.clamp(t, 0, 1), np.array([True, False]))
    check_against_torch(lambda lib, t: lib.clamp(t, lib.tensor(0.0, dtype=lib.float64)), i.astype(np.float32))
    check_against_torch(lambda lib, t: lib.clamp(t, lib.tensor(0.5)), i)
    check_against_torch(lambda lib, t: lib.clamp(t, min=lib.tensor([0.5, 1.0, 2.0])), i)
    check_against_torch(lambda lib, t: lib.clamp(t, 1, 2), np.array([0, 3, 200], np.uint8))


def test_clamp_errors_and_names():
    x = engine.tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="torch.clamp: At least one of 'min' or 'max' must not be None"):
        engine.clamp(x)
    with pytest.raises(TypeError, match="clamp\\(\\) received an invalid combination of arguments"):
        engine.clamp(x, min=0.5, max=engine.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=SIZE_MISMATCH):
        engine.clamp(x, engine.tensor([1.0, 2.0, 3.0]))
    assert engine.clamp(x, 0, 1).grad_fn.name() == "ClampBackward1"
    assert engine.clamp(x, min=0).grad_fn.name() == "ClampBackward1"
    assert engine.clamp(x, engine.tensor(0.0)).grad_fn.name() == "ClampBackward0"
    assert engine.clamp_min(x, 0).grad_fn.name() == "ClampMinBackward0"
    assert engine.clamp_max(x, 0).grad_fn.name() == "ClampMaxBackward0"
    assert engine.clamp_min(x, engine.tensor(0.0)).grad_fn.name() == "ClampMinBackward1"
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
        engine.tensor([1, 2]).clamp_(0.5, 1)


def test_clamp_inplace():
    x = engine.tensor([-1.0, 0.5, 3.0])
    assert x.clamp_(0, 1) is x and x.tolist() == [0.0, 0.5, 1.0]
    x.clip_(max=0.2)
    assert x.tolist() == [0.0, pytest.approx(0.2), pytest.approx(0.2)]
    a = engine.tensor([-1.0, 0.5, 3.0], requires_grad=True)
    b = a * 2
    b.clamp_min_(0.0)
    b.sum().backward()
    assert a.grad.tolist() == [0.0, 2.0, 2.0]


def test_gradcheck_and_gradgradcheck_clamp():
    x = engine.tensor([-1.3, 0.4, 0.7, 2.1], dtype=engine.float64, requires_grad=True)
    lo = engine.tensor([0.0, 0.0, 1.0, 0.5], dtype=engine.float64, requires_grad=True)
    hi = engine.tensor([1.0, 1.0, 2.0, 1.5], dtype=engine.float64, requires_grad=True)
    assert gradcheck(lambda a: engine.clamp(a, -1, 1), (x,))
    assert gradcheck(engine.clamp, (x, lo, hi))
    assert gradgradcheck(lambda a: engine.clamp(a * a, 0.2, 1.5), (x,))


def test_inplace_binary_keeps_original_value_for_backward():
    a = engine.tensor([0.5, 1.5], requires_grad=True)
    b = engine.tensor([2.0, -1.0], requires_grad=True)
    c = a * 1
    c.atan2_(b)
    c.sum().backward()
    expected_a = (b / (a * a + b * b)).detach().tolist()
    assert np.allclose(a.grad.tolist(), expected_a)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.booleans(), min_size=0, max_size=3))
def test_maximum_broadcast_shapes_hypothesis(dims, ones):
    shape_a = tuple(dims)
    shape_b = tuple(1 if one else d for one, d in zip(ones, dims[len(dims) - len(ones):]))
    a = engine.tensor(RNG.standard_normal(shape_a), requires_grad=True)
    b = engine.tensor(RNG.standard_normal(shape_b), requires_grad=True)
    out = engine.maximum(a, b)
    assert tuple(out.shape) == np.broadcast_shapes(shape_a, shape_b)
    out.backward(engine.ones_like(out))
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    assert a.grad.sum().item() + b.grad.sum().item() == pytest.approx(out.numel())
