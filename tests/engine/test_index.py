"""Indexing: __getitem__ (views and advanced copies), __setitem__, index_put, masked_*, take/put,
take_along_dim, nonzero/argwhere, repeat_interleave, searchsorted/bucketize.

Expected values and error messages were checked against PyTorch 2.13; parity tests re-check them.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine as torch
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def raises(exc, fragment: str):
    """pytest.raises matching a literal fragment of torch's message."""
    return pytest.raises(exc, match=re.escape(fragment))


def _f64(shape, seed=0):
    return torch.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=torch.float64,
                        requires_grad=True)


# ------------------------------------------------------------------------------------------ __getitem__ --
GETITEM_CASES = [
    lambda lib, x: x[1],
    lambda lib, x: x[-1, 2],
    lambda lib, x: x[:, 1:3],
    lambda lib, x: x[..., ::2],
    lambda lib, x: x[None, 0, None],
    lambda lib, x: x[lib.tensor(1)],
    lambda lib, x: x[lib.tensor([0, 1, 1, 0])],
    lambda lib, x: x[:, [2, 0, 2]],
    lambda lib, x: x[[0, 1], :, [3, 3]],
    lambda lib, x: x[:, 0, [1, 1, 2]],
    lambda lib, x: x[0, :, [1, 1, 2]],
    lambda lib, x: x[[1, 0], [2, 2]],
    lambda lib, x: x[lib.tensor([[0, 1], [1, 1]]), 1:],
    lambda lib, x: x[..., lib.tensor([-1, 0])],
    lambda lib, x: x[x > 0],
    lambda lib, x: x[lib.tensor([True, False])],
    lambda lib, x: x[:, lib.tensor([[True, False, True, True]] * 3)],
    lambda lib, x: x[True],
    lambda lib, x: x[False],
    lambda lib, x: x[None, [0, 1], None],
    lambda lib, x: x[:, True, 0],
    lambda lib, x: x[1:1],
    lambda lib, x: x[[]],
    lambda lib, x: x[np.array([1, 0])],
    lambda lib, x: x[(0, 1)],
    lambda lib, x: x[..., 1, None],
    lambda lib, x: x[lib.tensor([0, 1], dtype=lib.int32), 2],
    lambda lib, x: x.transpose(0, 2)[[1, 3], 1:],
    lambda lib, x: x.transpose(0, 2)[1::2][:, [2, 0]],
]


@pytest.mark.parity
@pytest.mark.parametrize("case", range(len(GETITEM_CASES)))
def test_getitem_matches_torch(case):
    check_against_torch(GETITEM_CASES[case], X3)


@pytest.mark.parity
def test_getitem_integer_and_bool_tensors_keep_dtype():
    xi = np.arange(12).reshape(3, 4)
    check_against_torch(lambda lib, x: (x[1], x[:, [0, 0]], x[x > 4]), xi)
    check_against_torch(lambda lib, x: (x[0], x[[1, 2]], x[x]), xi % 2 == 0)
    check_against_torch(lambda lib, x: x[2:, [0]], np.zeros((0, 3), np.float32))


def test_basic_indexing_returns_views_sharing_memory_and_version():
    x = torch.arange(12.0).reshape(3, 4).clone()
    for v in (x[1], x[:, 1:3], x[None], x[..., 0], x[torch.tensor(2)]):
        assert v._base is x
        v.mul_(1)
    assert x._version == 5
    x[1][2] = 100.0
    assert x[1, 2].item() == 100.0
    y = x[[0, 1]]
    assert y._base is None
    y[0, 0] = -5.0
    assert x[0, 0].item() == 0.0


def test_grad_fn_names_like_torch():
    x = torch.zeros(2, 3, 4, requires_grad=True)
    names = {
        "SelectBackward0": [x[0], x[:, 0], x[1:, 0], x[torch.tensor(1)]],
        "SliceBackward0": [x[:], x[0, 1:]],
        "UnsqueezeBackward0": [x[None], x[:, 0, :, None]],
        "AliasBackward0": [x[...]],
        "IndexBackward0": [x[[0]], x[True], x[x > 0], x[0, [1]]],
    }
    for name, results in names.items():
        for r in results:
            assert r.grad_fn.name() == name


def test_repeated_indices_accumulate_in_backward():
    x = torch.arange(4.0, requires_grad=True)
    x[torch.tensor([0, 2, 0, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0, 0.0]
    w = torch.ones(5, 3, requires_grad=True)
    (w[torch.tensor([[1, 1], [4, 1]])] * 2).sum().backward()
    assert w.grad[:, 0].tolist() == [0.0, 6.0, 0.0, 0.0, 2.0]


def test_getitem_gradcheck_and_gradgradcheck():
    x = _f64((3, 4))
    idx = torch.tensor([2, 0, 2])
    for fn in (lambda t: t[1:, ::2], lambda t: t[idx], lambda t: t[:, idx], lambda t: t[idx, 1:],
               lambda t: t[t > 0], lambda t: t[0, None]):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("index, exc, message", [
    (5, IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    ((slice(None), 5), IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    ((None, 0, 5), IndexError, "index 5 is out of bounds for dimension 2 with size 3"),
    ((Ellipsis, 5), IndexError, "index 5 is out of bounds for dimension 2 with size 4"),
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    (slice(None, None, 0), ValueError, "slice step cannot be zero"),
    ((0, 0, 0, 0), IndexError, "too many indices for tensor of dimension 3"),
    ([0, 5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
    ((slice(None), [0, 5]), IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ((slice(None), slice(None), [0, 5]), IndexError, "index 5 is out of bounds for dimension 0 with size 4"),
    (([0, 1], slice(None), [0, 5]), IndexError, "index 5 is out of bounds for dimension 1 with size 4"),
    (([0, 1], [0, 5]), IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    (([0, 1], [0, 1, 2]), IndexError, "shape mismatch: indexing tensors could not be broadcast together with "
                                      "shapes [2], [3]"),
    (1.0, IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                      "valid indices (got float)"),
])
def test_getitem_errors(index, exc, message):
    x = torch.zeros(2, 3, 4)
    with pytest.raises(exc) as info:
        x[index]
    assert message in str(info.value)


def test_getitem_tensor_index_errors():
    x = torch.zeros(2, 3, 4)
    with raises(IndexError, 'tensors used as indices must be long, int, byte or bool tensors'):
        x[torch.tensor([1.0])]
    with raises(IndexError, 'tensors used as indices must be long, int, byte or bool tensors'):
        x[torch.tensor([1], dtype=torch.int16)]
    with pytest.raises(IndexError) as info:
        x[:, torch.tensor([True, False])]
    assert str(info.value) == ("The shape of the mask [2] at index 0 does not match the shape of the indexed "
                               "tensor [2, 3, 4] at index 1")
    with pytest.raises(IndexError, match=r"mask \[1, 4\] at index 0 .* tensor \[3, 4\] at index 0"):
        x[0, torch.tensor([[True, False, True, True]])]
    with pytest.raises(IndexError, match=re.escape("invalid index of a 0-dim tensor. Use `tensor.item()`")):
        torch.tensor(3.0)[0]
    with raises(IndexError, 'slice() cannot be applied to a 0-dim tensor.'):
        torch.tensor(3.0)[:]


def test_uint8_index_is_a_deprecated_mask_and_nested_lists_are_tuples():
    x = torch.arange(6).reshape(2, 3)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        assert x[torch.tensor([0, 1], dtype=torch.uint8)].tolist() == [[3, 4, 5]]
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing"):
        assert x[[[0, 1], [1, 0]]].tolist() == [1, 3]
    assert torch.tensor(3.0)[None].shape == (1,)
    assert torch.tensor(3.0)[...].shape == ()


# ------------------------------------------------------------------------------------------ __setitem__ --
SETITEM_CASES = [
    (lambda lib: 1, lambda lib, v: v[:3] * 0 + 5.0),
    (lambda lib: (slice(None), 1), lambda lib, v: v[0]),
    (lambda lib: lib.tensor([0, 1, 0]), lambda lib, v: v[:3].reshape(3, 1, 4)[:, :, :1]),
    (lambda lib: (slice(None), [2, 0]), lambda lib, v: v[:2]),
    (lambda lib: (0, slice(1, None), [1, 3]), lambda lib, v: v[0, :2]),
    (lambda lib: (Ellipsis, 0), lambda lib, v: v[:3, 0].reshape(1, 1, 3)),
]


@pytest.mark.parity
@pytest.mark.parametrize("case", range(len(SETITEM_CASES)))
def test_setitem_matches_torch_with_gradients(case):
    key_fn, value_fn = SETITEM_CASES[case]

    def fn(lib, x, v):
        y = x * 1
        y[key_fn(lib)] = value_fn(lib, v)
        return y

    check_against_torch(fn, X3, RNG.standard_normal((4, 4)).astype(np.float32))


@pytest.mark.parity
def test_setitem_with_mask_and_scalar_matches_torch():
    def fn(lib, x):
        y = x * 2
        y[x > 0] = 0.5
        y[0, 0] = -1
        return y

    check_against_torch(fn, X3)


def test_setitem_semantics():
    x = torch.zeros(3, 4, dtype=torch.int64)
    x[0] = 2.7
    x[1] = torch.tensor(-3.6)
    x[2, [1, 1]] = torch.tensor([7, 8])
    assert x.tolist() == [[2, 2, 2, 2], [-3, -3, -3, -3], [0, 8, 0, 0]]
    assert x._version == 3
    y = torch.zeros(2, 3)
    y[...] = torch.ones(1, 1, 3, dtype=torch.float64)
    assert y.dtype == torch.float32 and y.sum().item() == 6.0
    z = torch.arange(5.0)
    z[1:] = z[:-1].clone()
    assert z.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]
    assert torch.zeros(3).__setitem__(0, 1) is None


def test_setitem_autograd():
    x = torch.arange(6.0, requires_grad=True)
    v = torch.tensor([10.0, 20.0], requires_grad=True)
    y = x * 1
    y[[1, 4]] = v
    assert y.grad_fn.name() == "IndexPutBackward0"
    y[0] = 3.0
    assert y.grad_fn.name() == "CopySlices"
    (y * torch.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 2.0, 3.0, 0.0, 5.0]
    assert v.grad.tolist() == [1.0, 4.0]
    z = torch.zeros(3)
    z[1] = v[0] * 2
    assert z.requires_grad and z.grad_fn.name() == "CopySlices"
    with raises(RuntimeError, 'a leaf Variable that requires grad is being used in an in-place'):
        x[0] = 1.0


def test_setitem_gradcheck():
    def fn(x, v):
        y = x * 1
        y[:, [2, 0]] = v
        y[0, 1:3] = v[0, :1] * 3
        return y

    assert gradcheck(fn, (_f64((3, 4)), _f64((3, 2), 1)))
    assert gradgradcheck(fn, (_f64((3, 4)), _f64((3, 2), 1)))


@pytest.mark.parametrize("value, exc, message", [
    (torch.ones(5), RuntimeError, "The expanded size of the tensor (4) must match the existing size (5) at "
                                  "non-singleton dimension 1.  Target sizes: [3, 4].  Tensor sizes: [5]"),
    (torch.ones(2, 3, 4), RuntimeError, "the number of sizes provided (2) must be greater or equal to the "
                                        "number of dimensions in the tensor (3)"),
    ([1.0, 2.0], TypeError, "can't assign a list to a torch.FloatTensor"),
    (np.ones(4), TypeError, "can't assign a numpy.ndarray to a torch.FloatTensor"),
    (None, TypeError, "can't assign a NoneType to a torch.FloatTensor"),
])
def test_setitem_errors(value, exc, message):
    x = torch.zeros(2, 3, 4)
    with pytest.raises(exc) as info:
        x[0] = value
    assert message in str(info.value)


def test_setitem_scalar_conversion_errors():
    with raises(RuntimeError, "value cannot be converted to type float without overflow"):
        torch.zeros(2)[0] = 1 + 2j
    with raises(RuntimeError, "value cannot be converted to type int64_t without overflow"):
        torch.zeros(2, dtype=torch.int64)[0] = float("inf")


def test_setitem_through_a_view_of_a_non_leaf_updates_the_base_gradient():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * 2
    y[0][1] = 5.0
    (y * y).sum().backward()
    assert x.grad.tolist() == [[8.0, 0.0, 8.0], [8.0, 8.0, 8.0]]


def test_setitem_advanced_shape_mismatch_message():
    with raises(RuntimeError, 'shape mismatch: value tensor of shape [5] cannot be broadcast to indexing '
                              'result of shape [1, 3, 4]'):
        torch.zeros(2, 3, 4)[[0]] = torch.ones(5)


# ---------------------------------------------------------------------------------------- index_put --
@pytest.mark.parity
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(accumulate):
    def fn(lib, x, v):
        i = lib.tensor([0, 2, 0])
        j = lib.tensor([1, 1, 1])
        a = x.index_put((i, j), v, accumulate=accumulate)
        b = (x * 1).index_put_((i,), v[:1].reshape(1, 1), accumulate=accumulate)
        c = lib.index_put(x, (x > 0,), v[0], accumulate=accumulate)
        return a, b, c

    check_against_torch(fn, RNG.standard_normal((3, 4)).astype(np.float32),
                        np.array([1.0, 2.0, 3.0], np.float32))


def test_index_put_accumulates_repeats_and_checks_input():
    x = torch.zeros(4, 2)
    x.index_put_((torch.tensor([1, 1, 3, -1]),), torch.tensor([1.0, 2.0]), accumulate=True)
    assert x.tolist() == [[0, 0], [2, 4], [0, 0], [2, 4]]
    with raises(RuntimeError, 'Index put requires the source and destination dtypes match, got Float for '
                              'the destination and Double for the source.'):
        x.index_put((torch.tensor([0]),), torch.tensor(1.0, dtype=torch.float64))
    with raises(IndexError, 'index 5 is out of bounds for dimension 0 with size 4'):
        x.index_put_((torch.tensor([5]),), torch.tensor(1.0), accumulate=True)
    with raises(TypeError, "index_put(): argument 'values' (position 2) must be Tensor, not float"):
        x.index_put((torch.tensor([0]),), 1.0)
    assert gradcheck(lambda a, v: a.index_put((torch.tensor([0, 0, 2]),), v, accumulate=True),
                     (_f64((3, 2)), _f64((3, 2), 1)))


# -------------------------------------------------------------------------------------- masked ops ---
@pytest.mark.parity
def test_masked_fill_matches_torch():
    mask = RNG.random((3, 4)) > 0.5
    check_against_torch(lambda lib, x, m: x.masked_fill(m, 2.5), X3, mask)
    check_against_torch(lambda lib, x, m: lib.masked_fill(x[0], m[0], float("-inf")), X3, mask)
    check_against_torch(lambda lib, x, m, v: x.masked_fill(m, v), X3, mask, np.array(1.5, np.float32))
    check_against_torch(lambda lib, x, m, v: x[0, 0].masked_fill(m, v), X3, mask, np.array(1.5, np.float64))
    check_against_torch(lambda lib, x, m: x.masked_fill(m, 1.7), np.arange(12).reshape(3, 4), mask)
    check_against_torch(lambda lib, x, m: x.masked_fill(m, 0.5), mask, ~mask)
    check_against_torch(lambda lib, x, m: (x * 1).masked_fill_(m, -1.0), X3, mask)


def test_masked_fill_inplace_and_errors():
    x = torch.zeros(4)
    assert x.masked_fill_(torch.tensor([True, False, True, False]), 3).tolist() == [3.0, 0.0, 3.0, 0.0]
    assert x._version == 1
    with raises(RuntimeError, 'masked_fill_ only supports boolean masks, but got mask with dtype float'):
        x.masked_fill(torch.ones(4), 1.0)
    with raises(RuntimeError, 'but got mask with dtype unsigned char'):
        x.masked_fill(torch.ones(4, dtype=torch.uint8), 1.0)
    with raises(RuntimeError, "output with shape [4] doesn't match the broadcast shape [3, 4]"):
        x.masked_fill_(torch.ones(3, 4, dtype=torch.bool), 1.0)
    with raises(RuntimeError, 'masked_fill_ only supports a 0-dimensional value tensor, but got tensor '
                              'with 1 dimension(s).'):
        x.masked_fill(x > 0, torch.tensor([1.0]))
    with raises(RuntimeError, 'The size of tensor a (5) must match the size of tensor b (4) at '
                              'non-singleton dimension 0'):
        x.masked_fill(torch.ones(5, dtype=torch.bool), 1.0)
    m = torch.tensor([[True, False, False], [False, True, True]])
    assert gradcheck(lambda a, v: a.masked_fill(m, v), (_f64((2, 3)), _f64((), 1)))


@pytest.mark.parity
def test_masked_select_and_scatter_match_torch():
    mask = RNG.random((3, 4)) > 0.4
    check_against_torch(lambda lib, x, m: x.masked_select(m), X3, mask)
    check_against_torch(lambda lib, x, m: lib.masked_select(x[0, :, :1], m), X3, mask)
    check_against_torch(lambda lib, x, m, s: x.masked_scatter(m, s), X3, mask,
                        RNG.standard_normal((5, 6)).astype(np.float32))
    check_against_torch(lambda lib, x, m, s: (x * 1).masked_scatter_(m[0], s), X3, mask,
                        RNG.standard_normal(25).astype(np.float32))
    check_against_torch(lambda lib, x, m: x.masked_select(m), np.arange(12).reshape(3, 4), mask)


def test_masked_select_and_scatter_errors_and_gradcheck():
    x = torch.zeros(3, 4)
    with raises(RuntimeError, 'masked_select: expected BoolTensor for mask'):
        x.masked_select(torch.ones(4))
    with raises(RuntimeError, 'Number of elements of source < number of ones in mask'):
        x.masked_scatter(x == 0, torch.ones(3))
    with raises(RuntimeError, 'masked_scatter: expected self and source to have same dtypes but gotFloat '
                              'and Long'):
        x.masked_scatter(x == 0, torch.ones(30, dtype=torch.long))
    with raises(RuntimeError, 'masked_scatter_ only supports boolean masks, but got mask with dtype Float'):
        x.masked_scatter(torch.ones(4), torch.ones(12))
    m = torch.tensor([[True, False, True], [False, False, True]])
    assert gradcheck(lambda a: a.masked_select(m), (_f64((2, 3)),))
    assert gradcheck(lambda a, s: a.masked_scatter(m, s), (_f64((2, 3)), _f64((2, 2), 1)))
    assert torch.zeros(0, 3).masked_select(torch.zeros(0, 3, dtype=torch.bool)).shape == (0,)


# --------------------------------------------------------------------------------------- take / put ---
@pytest.mark.parity
def test_take_put_take_along_dim_match_torch():
    idx = np.array([[0, -1], [5, 5]])
    check_against_torch(lambda lib, x, i: x.take(i), X3, idx)
    check_against_torch(lambda lib, x, i: lib.take(x.transpose(0, 2), i), X3, idx)
    src = RNG.standard_normal((2, 2)).astype(np.float32)
    check_against_torch(lambda lib, x, i, s: x.put(i, s), X3, np.array([[0, -1], [5, 6]]), src)
    check_against_torch(lambda lib, x, i, s: x.put(i, s, accumulate=True), X3, idx, src)
    check_against_torch(lambda lib, x, i, s: (x * 1).put_(i.reshape(-1), s.reshape(-1), True), X3, idx, src)
    order = np.argsort(X3, axis=1)
    check_against_torch(lambda lib, x, i: lib.take_along_dim(x, i, dim=1), X3, order)
    check_against_torch(lambda lib, x, i: x.take_along_dim(i[:, :1, :], 1), X3, order)
    check_against_torch(lambda lib, x, i: x[0].take_along_dim(i, 0), X3, np.array([[1], [2]]))
    check_against_torch(lambda lib, x, i: x.take_along_dim(i), X3, np.array([[3, 1], [23, 0]]))


def test_take_put_errors_and_gradcheck():
    x = torch.zeros(2, 3)
    with raises(IndexError, 'out of range: tried to access index 6 on a tensor of 6 elements.'):
        x.take(torch.tensor([6]))
    with raises(IndexError, 'out of range: tried to access index -7 on a tensor of 6 elements.'):
        x.put(torch.tensor([-7]), torch.tensor([1.0]))
    with raises(RuntimeError, 'take(): Expected a long tensor for index, but got Int'):
        x.take(torch.tensor([1], dtype=torch.int32))
    with raises(IndexError, 'put_(): Expected source and index to have the same number of elements, but '
                            'got source.numel() = 2, index.numel() = 1'):
        x.put(torch.tensor([2]), torch.tensor([1.0, 2.0]))
    with raises(RuntimeError, 'put_(): self and source expected to have the same dtype, but got self.dtype '
                              '= Float and source.dtype = Long'):
        x.put(torch.tensor([2]), torch.tensor([1]))
    with raises(RuntimeError, 'dtype of indices should be Long but got Int'):
        x.take_along_dim(torch.tensor([[1]], dtype=torch.int32), 1)
    with raises(RuntimeError, 'input and indices should have the same number of dimensions, but got 2 '
                              'dimensions for input, and 1 dimensions for indices'):
        x.take_along_dim(torch.tensor([1]), 1)
    i = torch.tensor([[0, 4], [4, 1]])
    assert gradcheck(lambda a: a.take(i), (_f64((2, 3)),))
    assert gradcheck(lambda a, s: a.put(torch.tensor([[0, 4], [5, 1]]), s), (_f64((2, 3)), _f64((2, 2), 1)))
    assert gradcheck(lambda a, s: a.put(i, s, accumulate=True), (_f64((2, 3)), _f64((2, 2), 1)))
    assert gradcheck(lambda a: a.take_along_dim(torch.tensor([[2], [0]]), 1), (_f64((2, 3)),))


# ----------------------------------------------------------------------------------- nonzero / argwhere --
@pytest.mark.parity
def test_nonzero_argwhere_match_torch():
    data = np.array([[0.6, 0.0, 0.0, 0.0], [0.0, 0.4, 0.0, 0.0], [0.0, 0.0, 1.2, 0.0], [0.0, 0.0, 0.0, -0.4]],
                    np.float32)
    for arr in (data, np.array([1, 1, 1, 0, 1]), np.array(5), np.array(0.0), np.zeros((0, 3)), data > 0,
                np.array([np.nan, 0.0, -0.0])):
        check_against_torch(lambda lib, x: (x.nonzero(), lib.argwhere(x), *lib.nonzero(x, as_tuple=True)),
                            arr, grad=False)


def test_nonzero_static_pads_or_truncates():
    x = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.nonzero_static(size=4).tolist() == [[0, 1], [1, 0], [-1, -1], [-1, -1]]
    assert torch.nonzero_static(x, size=1, fill_value=7).tolist() == [[0, 1]]
    assert torch.tensor(3.0).nonzero_static(size=2).shape == (2, 0)


def test_nonzero_notes_examples():
    assert torch.nonzero(torch.tensor([1, 1, 1, 0, 1])).tolist() == [[0], [1], [2], [4]]
    out = torch.nonzero(torch.tensor([[0.6, 0.0, 0.0, 0.0], [0.0, 0.4, 0.0, 0.0], [0.0, 0.0, 1.2, 0.0],
                                      [0.0, 0.0, 0.0, -0.4]]), as_tuple=True)
    assert [t.tolist() for t in out] == [[0, 1, 2, 3], [0, 1, 2, 3]]
    (only,) = torch.nonzero(torch.tensor(5), as_tuple=True)
    assert only.tolist() == [0] and only.dtype == torch.int64
    assert torch.nonzero(torch.tensor(5)).shape == (1, 0)


# ----------------------------------------------------------------------------------- repeat_interleave --
@pytest.mark.parity
def test_repeat_interleave_matches_torch():
    check_against_torch(lambda lib, x: x.repeat_interleave(2), X3)
    check_against_torch(lambda lib, x: lib.repeat_interleave(x, 3, dim=1), X3)
    check_against_torch(lambda lib, x, r: x.repeat_interleave(r, dim=-1), X3, np.array([0, 2, 1, 3]))
    check_against_torch(lambda lib, x, r: x.transpose(0, 1).repeat_interleave(r, dim=0), X3, np.array([2]))
    check_against_torch(lambda lib, x, r: x.repeat_interleave(r, dim=0, output_size=3), X3, np.array([1, 2]))
    check_against_torch(lambda lib, r: lib.repeat_interleave(r), np.array([1, 0, 3]))
    check_against_torch(lambda lib, x: x.repeat_interleave(2), np.array([[1, 2], [3, 4]]))
    check_against_torch(lambda lib, x: x.repeat_interleave(2), np.array(5.0, np.float32))


def test_repeat_interleave_errors_and_gradcheck():
    x = torch.tensor([1, 2, 3])
    cases = [
        (torch.tensor([1, 2]), RuntimeError, "repeats must have the same size as input along dim, but got "
                                             "repeats.size(0) = 2 and input.size(0) = 3"),
        (torch.tensor([1, -2, 1]), RuntimeError, "repeats can not be negative"),
        (-1, RuntimeError, "Repeats must be non-negative"),
        (torch.tensor([[1, 2, 1]]), RuntimeError, "repeats must be 0-dim or 1-dim tensor"),
        (torch.tensor([1.0, 2.0, 1.0]), NotImplementedError, "\"repeat_interleave_cpu\" not implemented for "
                                                             "'Float'"),
    ]
    for repeats, exc, message in cases:
        with pytest.raises(exc) as info:
            x.repeat_interleave(repeats)
        assert message in str(info.value)
    with raises(RuntimeError, 'allocated size does not match required size'):
        x.repeat_interleave(torch.tensor([1, 1, 1]), output_size=4)
    assert gradcheck(lambda a: a.repeat_interleave(torch.tensor([2, 0, 1]), dim=1), (_f64((2, 3)),))
    assert gradcheck(lambda a: a.repeat_interleave(2, dim=0), (_f64((2, 3)),))


# ---------------------------------------------------------------------------------- searchsorted ---------
@pytest.mark.parity
def test_searchsorted_bucketize_match_torch():
    seq = np.array([1.0, 3.0, 3.0, 5.0, np.inf], np.float32)
    vals = np.array([[3.0, 6.0, -np.inf], [0.5, 5.0, np.nan]], np.float32)
    for right in (False, True):
        check_against_torch(lambda lib, s, v, r=right: lib.searchsorted(s, v, right=r), seq, vals)
        check_against_torch(lambda lib, v, b, r=right: lib.bucketize(v, b, right=r, out_int32=True),
                            vals, seq)
    rows = np.sort(RNG.integers(0, 6, (2, 3, 5)), axis=-1)
    values = RNG.integers(-1, 7, (2, 3, 4))
    check_against_torch(lambda lib, s, v: lib.searchsorted(s, v), rows, values)
    check_against_torch(lambda lib, s, v: lib.searchsorted(s, v, side="right", out_int32=True), rows, values)
    check_against_torch(lambda lib, s, v: lib.searchsorted(s, v.double()), rows[0, 0], values)
    check_against_torch(lambda lib, s, v, o: lib.searchsorted(s, v, sorter=o), seq[::-1].copy(), vals,
                        np.arange(5)[::-1].copy())


def test_searchsorted_scalars_and_errors():
    seq = torch.tensor([1.0, 3.0, 5.0])
    assert torch.searchsorted(seq, 3).tolist() == 1 and torch.searchsorted(seq, 3).shape == ()
    assert torch.bucketize(3, seq, right=True).item() == 2
    with raises(RuntimeError, "side and right can't be set to opposites, got side of left while right was "
                              'True'):
        torch.searchsorted(seq, seq, right=True, side="left")
    with raises(RuntimeError, "side can only be 'left' or 'right' but got foo"):
        torch.searchsorted(seq, seq, side="foo")
    with raises(RuntimeError, 'boundaries tensor should have positive dimension, but got 0 dimension'):
        torch.searchsorted(torch.tensor(1.0), seq)
    with raises(RuntimeError, 'first N-1 dimensions of boundaries tensor and input value tensor must '
                              'match, but we got boundaries tensor [2, 3] and input value tensor [1, 2]'):
        torch.searchsorted(torch.zeros(2, 3), torch.zeros(1, 2))
    with raises(RuntimeError, 'boundaries tensor must be 1 dimension, but got dim(2)'):
        torch.bucketize(seq, torch.zeros(1, 2))


@pytest.mark.parity
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 5), st.booleans(), st.integers(0, 2**31 - 1))
def test_batched_searchsorted_random(batch, n, m, right, seed):
    import torch as real

    rng = np.random.default_rng(seed)
    seq = np.sort(rng.integers(-3, 4, (batch, n)).astype(np.float64), axis=-1)
    values = rng.integers(-4, 5, (batch, m)).astype(np.float64)
    got = torch.searchsorted(torch.tensor(seq), torch.tensor(values), right=right)
    want = real.searchsorted(real.tensor(seq), real.tensor(values), right=right)
    assert got.tolist() == want.tolist()


def test_no_warnings_on_common_indexing():
    x = torch.arange(12.0).reshape(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x[[0, 1]], x[x > 3], x[:, torch.tensor([1])], x[np.array([2])]


@st.composite
def _index_for(draw, shape):
    """A random valid index for `shape`: ints, slices, None, one Ellipsis, int lists and bool masks."""
    items, dim = [], 0
    ellipsis = False
    while dim < len(shape) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "none", "list", "mask", "ellipsis"]))
        size = shape[dim]
        if kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.integers(-size - 1, size + 1)) if draw(st.booleans()) else None,
                               draw(st.integers(-size - 1, size + 1)) if draw(st.booleans()) else None,
                               draw(st.integers(1, 3)) if draw(st.booleans()) else None))
        elif kind == "none":
            items.append(None)
            continue
        elif kind == "list":
            items.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=4)))
        elif kind == "mask":
            items.append(np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
        elif not ellipsis:
            ellipsis = True
            items.append(Ellipsis)
            dim = len(shape) - sum(1 for i in items[:-1] if i is not None and i is not Ellipsis) + dim
            continue
        else:
            continue
        dim += 1
    return tuple(items)


@pytest.mark.parity
@settings(max_examples=60, deadline=None)
@given(_index_for((2, 3, 4)))
def test_random_indices_match_torch(index):
    def convert(lib, item):
        return lib.tensor(item) if isinstance(item, np.ndarray) else item

    try:
        import torch as real

        real.zeros(2, 3, 4)[tuple(convert(real, i) for i in index)]
    except IndexError:
        return  # e.g. index lists that don't broadcast together: covered by the error tests
    check_against_torch(lambda lib, x: x[tuple(convert(lib, i) for i in index)], X3)
