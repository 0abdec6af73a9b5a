"""Logical and bitwise ops, their operators, and isclose/allclose/equal against torch."""

import numpy as np
import pytest

import engine
from engine.testing import check_against_torch

SIZE_MISMATCH = "The size of tensor a \\(2\\) must match the size of tensor b \\(3\\)"
INTS = np.array([3, -4, 0, 7]), np.array([1, 2, -1, 7])
BOOLS = np.array([True, False, True, False]), np.array([True, True, False, False])
FLOATS = np.array([1.5, 0.0, -2.0, np.nan], np.float32), np.array([0.0, 0.0, 3.0, 1.0], np.float32)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_binary(name):
    for a, b in (INTS, BOOLS, FLOATS, (INTS[0], FLOATS[1])):
        check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), a, b, grad=False)
        check_against_torch(lambda lib, x, y: getattr(x, name)(y[:1]), a, b, grad=False)
    check_against_torch(lambda lib, x, y: getattr(lib, name)(x[:, None], y), *INTS, grad=False)


@pytest.mark.parity
def test_logical_not_and_inplace_keep_dtype():
    for a in (INTS[0], BOOLS[0], FLOATS[0]):
        check_against_torch(lambda lib, x: lib.logical_not(x), a, grad=False)
        check_against_torch(lambda lib, x: x.clone().logical_not_(), a, grad=False)
        check_against_torch(lambda lib, x: x.clone().logical_and_(x > 0), a, grad=False)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_bitwise_binary(name):
    for a, b in (INTS, BOOLS, (INTS[0], BOOLS[0]), (INTS[0].astype(np.uint8), INTS[1].astype(np.int16))):
        check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), a, b, grad=False)
    check_against_torch(lambda lib, x: getattr(lib, name)(x, 6), INTS[0], grad=False)
    check_against_torch(lambda lib, x: getattr(lib, name)(x, True), BOOLS[0], grad=False)
    check_against_torch(lambda lib, x: getattr(lib, name)(x, 1), BOOLS[0], grad=False)


@pytest.mark.parity
def test_operators_and_reflected_forms():
    cases = [
        lambda lib, x, y: x & y, lambda lib, x, y: x | y, lambda lib, x, y: x ^ y, lambda lib, x, y: ~x,
        lambda lib, x, y: x << 2, lambda lib, x, y: x >> 1, lambda lib, x, y: 5 & x, lambda lib, x, y: 5 | x,
        lambda lib, x, y: 5 ^ x, lambda lib, x, y: 1 << y.abs(), lambda lib, x, y: 64 >> y.abs(),
        lambda lib, x, y: x << y.abs(), lambda lib, x, y: x >> y.abs(), lambda lib, x, y: x << 64,
        lambda lib, x, y: x >> 70,
    ]
    for fn in cases:
        check_against_torch(fn, *INTS, grad=False)
    for fn in cases[:4]:
        check_against_torch(fn, *BOOLS, grad=False)
    u8 = np.array([3, 200], np.uint8), np.array([1, 9], np.uint8)
    for fn in (lambda lib, x, y: ~x, lambda lib, x, y: x << y, lambda lib, x, y: 1 << x,
               lambda lib, x, y: x >> y):
        check_against_torch(fn, *u8, grad=False)
    check_against_torch(lambda lib, x, y: x.to(lib.int8) >> 9, *INTS, grad=False)
    check_against_torch(lambda lib, x, y: lib.bitwise_left_shift(x, y.abs()), *INTS, grad=False)
    check_against_torch(lambda lib, x, y: lib.bitwise_right_shift(x, 1), *INTS, grad=False)
    check_against_torch(lambda lib, x, y: lib.bitwise_not(x), *INTS, grad=False)


def test_inplace_operators():
    x = engine.tensor([3, 5, 6])
    ident = id(x)
    x &= 6
    x |= 1
    x ^= 2
    x <<= 1
    x >>= 1
    assert id(x) == ident and x.tolist() == [1, 7, 5]
    m = engine.tensor([True, False])
    m &= engine.tensor([True, True])
    m |= engine.tensor([False, True])
    assert m.tolist() == [True, True] and m.dtype == engine.bool
    assert x.bitwise_and_(4).tolist() == [0, 4, 4]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.__iand__(1.5)


def test_bitwise_errors():
    f = engine.tensor([1.5, 2.0])
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for 'Float'"):
        engine.bitwise_and(f, f)
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for 'Float'"):
        engine.tensor([1, 2]) & 1.5
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Float'"):
        f << 1
    with pytest.raises(NotImplementedError, match="\"rshift_cpu\" not implemented for 'Float'"):
        engine.tensor([1, 2]) >> 1.0
    with pytest.raises(NotImplementedError, match="\"bitwise_not_cpu\" not implemented for 'Float'"):
        engine.bitwise_not(f)
    with pytest.raises(TypeError, match="~ \\(operator.invert\\) is only implemented on integer and Boolean"):
        _ = ~f
    with pytest.raises(TypeError, match="logical_and\\(\\): argument 'other' \\(position 2\\) must be"):
        engine.logical_and(f, 1)
    with pytest.raises(RuntimeError, match=SIZE_MISMATCH):
        engine.logical_or(f, engine.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parity
def test_isclose_and_allclose():
    a = np.array([1.0, np.inf, np.nan, -np.inf, 1.0, 0.0, 1e-9], np.float32)
    b = np.array([1.00001, np.inf, np.nan, np.inf, 1.1, 1e-9, 0.0], np.float32)
    check_against_torch(lambda lib, x, y: lib.isclose(x, y), a, b, grad=False)
    check_against_torch(lambda lib, x, y: lib.isclose(x, y, equal_nan=True), a, b, grad=False)
    check_against_torch(lambda lib, x, y: x.isclose(y, rtol=0.2, atol=0.0), a, b, grad=False)
    check_against_torch(lambda lib, x, y: lib.isclose(x, y, rtol=0.5), np.array([3, -4]), np.array([3, -3]),
                        grad=False)
    check_against_torch(lambda lib, x, y: lib.isclose(x, y), *BOOLS, grad=False)
    check_against_torch(lambda lib, x, y: lib.isclose(x, y[:1]), a, b, grad=False)
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 1.0}):
        check_against_torch(lambda lib, x, y, kw=kwargs: lib.allclose(x, y, **kw), a[:2], b[:2], grad=False)
        check_against_torch(lambda lib, x, y, kw=kwargs: x.allclose(y, **kw), a[2:3], b[2:3], grad=False)


def test_isclose_errors():
    f, i = engine.tensor([1.0, 2.0]), engine.tensor([1, 2])
    with pytest.raises(RuntimeError, match="Float did not match Long"):
        engine.isclose(f, i)
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        engine.allclose(f, f.double())
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        engine.isclose(f, f, rtol=-1)
    with pytest.raises(RuntimeError, match="atol must be greater than or equal to zero, but got -1"):
        engine.isclose(f, f, atol=-1)
    with pytest.raises(RuntimeError, match=SIZE_MISMATCH):
        engine.isclose(f, engine.tensor([1.0, 2.0, 3.0]))


def test_equal():
    f = engine.tensor([1.0, 2.0])
    assert engine.equal(f, engine.tensor([1.0, 2.0])) is True
    assert engine.equal(f, f.double()) is True
    assert engine.equal(f, engine.tensor([1, 2])) is True
    assert engine.equal(f, f[:1]) is False
    assert engine.equal(engine.tensor([float("nan")]), engine.tensor([float("nan")])) is False
    assert f.equal(engine.tensor([1.0, 3.0])) is False
