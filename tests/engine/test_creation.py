"""Creation ops: tensor() inference, memory sharing, filled tensors, ranges, eye, complex, new_*, fill_."""

import numpy as np
import pytest

import engine
from engine.testing import assert_close


# ------------------------------------------------------------------------------- tensor() dtypes ----
@pytest.mark.parametrize("data, dtype", [
    ([1.5, 2.0], engine.float32),
    ([1, 2], engine.int64),
    ([True, False], engine.bool),
    ([1, 2.5], engine.float32),
    ([1, True], engine.int64),
    ([True, 2.0], engine.float32),
    ([1j, 2], engine.complex64),
    ([[1, 2], [3, 4]], engine.int64),
    ((1, 2), engine.int64),
    (range(3), engine.int64),
    ([], engine.float32),
    (3.5, engine.float32),
    (7, engine.int64),
    ([np.float64(1.0), 2.0], engine.float64),
    ([np.float32(1.0), 2], engine.float32),
    ([np.int32(1), 2], engine.int64),
    ([np.float16(1), 1.5], engine.float32),
    ([np.int32(1), np.float16(1)], engine.float16),
    (np.float64(1.0), engine.float64),
    (np.int32(1), engine.int32),
    ([engine.tensor(1.0), engine.tensor(2.0)], engine.float32),
    ([engine.tensor(1, dtype=engine.int32), 2], engine.int64),
    ([engine.tensor(1.0, dtype=engine.float64), 2], engine.float64),
    (np.array([1, 2], dtype=np.int32), engine.int32),
    (np.arange(3.0), engine.float64),
    ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], engine.float64),
])
def test_tensor_infers_torch_dtype(data, dtype):
    t = engine.tensor(data)
    assert t.dtype is dtype
    assert t.tolist() == np.asarray(engine.tensor(data)).tolist()


def test_tensor_default_dtype_follows_set_default_dtype():
    engine.set_default_dtype(engine.float64)
    assert engine.tensor([1.5]).dtype is engine.float64
    assert engine.tensor([1j]).dtype is engine.complex128
    assert engine.arange(0.0, 3).dtype is engine.float64


def test_tensor_values_shapes_and_copies():
    a = np.arange(6.0).reshape(2, 3)
    t = engine.tensor(a)
    a[0, 0] = 100
    assert t.tolist()[0][0] == 0.0  # tensor() copies
    assert engine.tensor([[], []]).shape == (2, 0)
    assert engine.tensor([[]], dtype=engine.int64).shape == (1, 0)
    assert engine.tensor([1.5, -2.7], dtype=engine.int64).tolist() == [1, -2]
    assert engine.tensor([-1], dtype=engine.uint8).tolist() == [255]
    nan_inf = engine.tensor([float("nan"), float("inf")]).tolist()
    assert np.isnan(nan_inf[0]) and nan_inf[1] == float("inf")


def test_tensor_from_tensor_warns_and_copies():
    src = engine.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        t = engine.tensor(src)
    t.fill_(5.0)
    assert src.tolist() == [1.0, 2.0]


def test_tensor_requires_grad():
    assert engine.tensor([1.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require"):
        engine.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("data, exc, msg", [
    ([[1, 2], [3, 4, 5]], ValueError, r"expected sequence of length 2 at dim 1 \(got 3\)"),
    ([[1, 2], [3]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ([[[1, 2], [3, 4]], [[1, 2], [3]]], ValueError, r"expected sequence of length 2 at dim 2 \(got 1\)"),
    ([[1, 2], [3, 4], [5]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ([[1], 2], TypeError, "not a sequence"),
    ([1, [2, 3]], TypeError, "'list' object cannot be interpreted as an integer"),
    ([1.0, [2, 3]], TypeError, "must be real number, not list"),
    ("abc", TypeError, "new\\(\\): invalid data type 'str'"),
    ([1, "a"], TypeError, "invalid data type 'str'"),
    (None, RuntimeError, "Could not infer dtype of NoneType"),
    ([1, None], RuntimeError, "Could not infer dtype of NoneType"),
    ({1, 2}, RuntimeError, "Could not infer dtype of set"),
    ([2**63], ValueError, "Overflow when unpacking long long"),
    ([engine.tensor([1, 2]), engine.tensor([3, 4])], TypeError, "only integer tensors of a single element"),
])
def test_tensor_bad_input_errors(data, exc, msg):
    with pytest.raises(exc, match=msg):
        engine.tensor(data)


def test_tensor_overflow_into_small_int_dtype():
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8 without overflow"):
        engine.tensor([128], dtype=engine.int8)


def test_negative_strides_rejected_like_torch():
    with pytest.raises(ValueError, match="At least one stride in the given numpy array is negative"):
        engine.from_numpy(np.arange(3)[::-1])
    with pytest.raises(ValueError, match="negative"):
        engine.tensor(np.arange(3)[::-1])


# ---------------------------------------------------------------------------- memory sharing --------
def test_from_numpy_shares_memory_both_ways():
    a = np.zeros(3, dtype=np.float32)
    t = engine.from_numpy(a)
    a[0] = 1.0
    assert t.tolist()[0] == 1.0
    t.fill_(2.0)  # in-place engine op writes through to the array
    assert a.tolist() == [2.0, 2.0, 2.0]
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)
    with pytest.raises(TypeError, match="expected np.ndarray \\(got list\\)"):
        engine.from_numpy([1])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        engine.from_numpy(np.array(["a"]))


def test_as_tensor_and_asarray_share_memory_when_possible():
    a = np.arange(3.0)
    t = engine.as_tensor(a)
    a[0] = 9
    assert t.tolist()[0] == 9 and t.dtype is engine.float64
    converted = engine.as_tensor(a, dtype=engine.float32)
    a[1] = 7
    assert converted.tolist()[1] == 1.0  # a dtype change copies
    base = engine.tensor([1.0, 2.0])
    assert engine.as_tensor(base) is base
    assert engine.as_tensor([1, 2]).dtype is engine.int64
    shared = engine.asarray(a)
    a[2] = 5
    assert shared.tolist()[2] == 5
    copied = engine.asarray(a, copy=True)
    a[2] = 6
    assert copied.tolist()[2] == 5
    with pytest.raises(ValueError, match="can't alias tensor with dtype 'Long' into dtype 'Float'"):
        engine.asarray(np.arange(3), copy=False, dtype=engine.float32)
    assert engine.asarray([1, 2]).dtype is engine.int64


def test_from_dlpack_numpy_zero_copy():
    a = np.arange(4.0)
    t = engine.from_dlpack(a)
    t.fill_(10.0)
    assert a.tolist() == [10.0] * 4
    assert np.shares_memory(np.from_dlpack(t), a)


@pytest.mark.parity
def test_from_dlpack_with_torch_both_directions():
    import torch

    tt = torch.arange(4.0)
    et = engine.from_dlpack(tt)
    et.fill_(42.0)
    assert tt[0].item() == 42.0
    e2 = engine.tensor([1.0, 2.0, 3.0])
    t2 = torch.from_dlpack(e2)
    t2[2] = -1.0
    assert e2.tolist()[2] == -1.0
    assert t2.dtype == torch.float32


# ------------------------------------------------------------------------------ filled tensors -------
@pytest.mark.parametrize("fn, value", [(engine.zeros, 0), (engine.ones, 1)])
def test_zeros_ones_size_forms(fn, value):
    for args in [(2, 3), ((2, 3),), ([2, 3],), (engine.Size([2, 3]),), (np.int64(2), 3),
                 (engine.tensor(2), 3)]:
        t = fn(*args)
        assert t.shape == (2, 3) and t.dtype is engine.float32
        assert np.all(t.numpy() == value)
    assert fn(()).shape == () and fn([]).shape == ()
    assert fn(2, dtype=engine.int64).dtype is engine.int64
    assert fn(2, 2, dtype=engine.float64, requires_grad=True).requires_grad


def test_empty_and_size_errors():
    assert engine.empty(2, 3).shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[2, -1\]"):
        engine.empty(2, -1)
    with pytest.raises(TypeError, match="must be tuple of ints, not float"):
        engine.zeros(2.5)
    with pytest.raises(TypeError, match="must be tuple of ints, not str"):
        engine.ones("a")
    with pytest.raises(TypeError, match="type must be tuple of ints,but got float"):
        engine.zeros(2, 2.5)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        engine.zeros(2, dtype=engine.int64, requires_grad=True)


def test_full_infers_dtype_from_fill():
    assert engine.full((2,), True).dtype is engine.bool
    assert engine.full((2,), 1).dtype is engine.int64
    assert engine.full((2,), 1.5).dtype is engine.float32
    assert engine.full((2,), 1j).dtype is engine.complex64
    assert engine.full([2], 3.0).tolist() == [3.0, 3.0]
    assert engine.full((2,), 1.5, dtype=engine.int64).tolist() == [1, 1]
    assert engine.full((2,), engine.tensor(2.5)).tolist() == [2.5, 2.5]
    with pytest.raises(TypeError, match="full\\(\\): argument 'size' \\(position 1\\) must be tuple of ints"):
        engine.full(2, 1.0)


def test_like_functions_with_overrides():
    x = engine.tensor([[1, 2, 3]], dtype=engine.int32)
    assert engine.zeros_like(x).dtype is engine.int32
    assert engine.ones_like(x, dtype=engine.float64).dtype is engine.float64
    assert engine.full_like(x, 7).tolist() == [[7, 7, 7]]
    assert engine.empty_like(x, device="cpu").shape == (1, 3)
    assert engine.zeros_like(engine.zeros(2), requires_grad=True).requires_grad


def test_empty_strided():
    t = engine.empty_strided((2, 3), (1, 2))
    assert t.shape == (2, 3) and t.stride() == (1, 2)
    assert engine.empty_strided((0, 3), (3, 1)).shape == (0, 3)


# ------------------------------------------------------------------------------------- ranges -------
def test_arange_length_rule_and_dtypes():
    assert engine.arange(0, 1, 0.1).shape == (10,)
    assert engine.arange(1, 2.5, 0.5).tolist() == [1.0, 1.5, 2.0]
    half = engine.arange(1, 10, 2, device="cpu", dtype=engine.float16)
    assert half.dtype is engine.float16 and half.tolist() == [1, 3, 5, 7, 9]
    assert engine.arange(5).dtype is engine.int64
    assert engine.arange(5.0).dtype is engine.float32
    assert engine.arange(engine.tensor(5)).dtype is engine.int64
    assert engine.arange(0, -3, -1).tolist() == [0, -1, -2]
    assert engine.arange(0.5, 3, dtype=engine.int64).tolist() == [0, 1, 2]
    assert engine.arange(-1.5, 3, 1, dtype=engine.int64).tolist() == [-1, 0, 1, 2]
    assert engine.arange(0, 10, 3).tolist() == [0, 3, 6, 9]


@pytest.mark.parametrize("args, kwargs, exc, msg", [
    ((0, 10, 0), {}, RuntimeError, "step must be nonzero"),
    ((10, 0, 1), {}, RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ((float("inf"),), {}, RuntimeError, "unsupported range: 0 -> inf"),
    ((0, 1, 0.3), {"dtype": engine.int64}, ValueError, "step must be nonzero"),
])
def test_arange_errors(args, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        engine.arange(*args, **kwargs)


def test_range_is_inclusive_and_deprecated():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        r = engine.range(1, 4)
    assert r.dtype is engine.float32 and r.tolist() == [1, 2, 3, 4]
    with pytest.warns(UserWarning):
        assert engine.range(1, 4, dtype=engine.int64).tolist() == [1, 2, 3, 4]
    with pytest.warns(UserWarning):
        assert_close(engine.range(1, 2, 0.3), engine.tensor([1.0, 1.3, 1.6, 1.9]))


def test_linspace_logspace_eye():
    assert_close(engine.linspace(0, 1, 5), engine.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    assert engine.linspace(0, 1, 1).tolist() == [0.0]
    assert engine.linspace(0, 1, 0).shape == (0,)
    assert engine.linspace(0, 10, 5, dtype=engine.int64).tolist() == [0, 2, 5, 7, 10]
    assert engine.linspace(1j, 2, 3).dtype is engine.complex64
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        engine.linspace(0, 1, -1)
    with pytest.raises(TypeError):
        engine.linspace(0, 1, 2.5)
    assert_close(engine.logspace(0, 2, 3), engine.tensor([1.0, 10.0, 100.0]))
    assert_close(engine.logspace(0, 2, 3, base=2), engine.tensor([1.0, 2.0, 4.0]))
    assert engine.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert engine.eye(2, dtype=engine.int64).dtype is engine.int64
    assert engine.eye(3, 0).shape == (3, 0)
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        engine.eye(-1)


@pytest.mark.parity
def test_ranges_match_torch():
    import torch

    cases = [
        lambda lib: lib.linspace(-1.3, 7.9, 11), lambda lib: lib.linspace(-1.3, 7.9, 11, dtype=lib.float64),
        lambda lib: lib.linspace(0, 1, 7, dtype=lib.float16), lambda lib: lib.arange(-2.5, 3.7, 0.3),
        lambda lib: lib.arange(0, 1, 0.1, dtype=lib.float64), lambda lib: lib.logspace(-2, 2, 9, base=3),
        lambda lib: lib.arange(2, 30, 7, dtype=lib.int16),
    ]
    for case in cases:
        e, t = case(engine), case(torch)
        assert str(e.dtype) == str(t.dtype)
        assert_close(e, t.numpy(), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------- complex, polar --
def test_complex_and_polar():
    z = engine.complex(engine.tensor([1.0]), engine.tensor([2.0]))
    assert z.dtype is engine.complex64 and z.tolist() == [1 + 2j]
    f64 = engine.float64
    zz = engine.complex(engine.tensor([1.0, 2.0], dtype=f64), engine.tensor(3.0, dtype=f64))
    assert zz.dtype is engine.complex128 and zz.tolist() == [1 + 3j, 2 + 3j]
    p = engine.polar(engine.tensor([2.0]), engine.tensor([np.pi / 2]))
    assert abs(p.item() - 2j) < 1e-6
    with pytest.raises(RuntimeError, match="Half, Float or Double tensors but got Long and Long"):
        engine.complex(engine.tensor([1]), engine.tensor([2]))
    with pytest.raises(RuntimeError, match="Expected object of scalar type Double but got scalar type Float"):
        engine.complex(engine.tensor([1.0], dtype=engine.float64), engine.tensor([2.0]))


def test_complex_backward():
    re = engine.tensor([1.0, 2.0], requires_grad=True)
    im = engine.tensor([3.0, 4.0], requires_grad=True)
    z = engine.complex(re, im)
    assert type(z.grad_fn).__name__ == "ComplexBackward0"
    g = engine.tensor([1 + 2j, 3 - 1j])
    gre, gim = engine.autograd.grad([z], [re, im], [g])
    assert gre.tolist() == [1.0, 3.0] and gim.tolist() == [2.0, -1.0]


# ------------------------------------------------------------------------------ Tensor.new_* --------
def test_new_methods_follow_self_dtype():
    x = engine.zeros(2, dtype=engine.float64)
    assert x.new_tensor([1, 2]).dtype is engine.float64
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2, 3)).dtype is engine.float64
    assert x.new_ones(2, dtype=engine.int64).tolist() == [1, 1]
    assert x.new_full((2,), True).tolist() == [1.0, 1.0]
    assert x.new_empty(4).shape == (4,)
    assert x.new_tensor([1.0], requires_grad=True).requires_grad


def test_legacy_new():
    x = engine.zeros(2)
    h = x.new(3)
    assert h.shape == (3,) and h.dtype is engine.float32
    assert x.new(3, 2).shape == (3, 2)
    assert x.new(engine.Size([2, 2])).shape == (2, 2)
    assert x.new([1, 2]).tolist() == [1.0, 2.0]
    assert x.new((3, 2)).tolist() == [3.0, 2.0]
    assert x.new().shape == (0,)
    assert engine.zeros(2, dtype=engine.int64).new(3).dtype is engine.int64
    w = engine.zeros(4, 5)
    u = w.data.new(4).normal_(0, 1)  # SpectralNorm's idiom
    assert u.shape == (4,) and u.dtype is engine.float32


# ------------------------------------------------------------------------------- fill_, zero_ -------
def test_fill_and_zero():
    x = engine.zeros(2, dtype=engine.int64)
    v0 = x._version_count
    assert x.fill_(2.7).tolist() == [2, 2] and x._version_count == v0 + 1
    assert x.fill_(engine.tensor(3)).tolist() == [3, 3]
    assert x.zero_().tolist() == [0, 0]
    with pytest.raises(RuntimeError, match="only supports 0-dimension value tensor but got tensor with 1"):
        engine.zeros(2).fill_(engine.tensor([3, 4]))
    leaf = engine.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        leaf.fill_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.zero_()
    with engine.no_grad():
        leaf.fill_(1.5)
    assert leaf.tolist() == [1.5, 1.5]


def test_fill_autograd():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    f = engine.tensor(2.0, requires_grad=True)
    b = a * 2
    b.fill_(f)
    assert type(b.grad_fn).__name__ == "FillBackward3"
    b.sum().backward()
    assert f.grad.item() == 2.0 and a.grad.tolist() == [0.0, 0.0]
    c = a * 2
    c.zero_()
    assert type(c.grad_fn).__name__ == "ZeroBackward0"
    d = a * 2
    d.fill_(3.0)
    assert type(d.grad_fn).__name__ == "FillBackward2"


def test_is_tensor_and_scalar_tensor():
    assert engine.is_tensor(engine.zeros(1)) and not engine.is_tensor(np.zeros(1))
    s = engine.scalar_tensor(3)
    assert s.shape == () and s.dtype is engine.float32
