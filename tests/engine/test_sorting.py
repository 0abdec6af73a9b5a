"""sort/argsort/msort/topk/kthvalue/median/nanmedian/mode/quantile and unique/bincount/histc."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine as torch
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(2)
NAN = float("nan")


def distinct(*shape):
    """Distinct values (sorting/selection indices are unambiguous)."""
    return (R.permutation(int(np.prod(shape))).reshape(shape) * 0.5 - 3).astype(np.float32)


def ties(*shape):
    return R.integers(-2, 3, size=shape).astype(np.float32)


WITH_NAN = np.array([[1, NAN, 2, -1], [NAN, NAN, 1, 0], [3, 1, 2, 0]], np.float32)

PARITY = [
    ("sort", lambda L, x: tuple(L.sort(x)), [distinct(3, 5)]),
    ("sort_desc_dim0", lambda L, x: tuple(x.sort(0, descending=True)), [distinct(4, 3)]),
    ("sort_t", lambda L, x: tuple(L.sort(x.t(), dim=1)), [distinct(3, 5)]),
    ("sort_stable_ties", lambda L, x: tuple(L.sort(x, stable=True)), [ties(3, 8)]),
    ("sort_stable_ties_desc", lambda L, x: tuple(L.sort(x, dim=-1, descending=True, stable=True)),
     [ties(3, 8)]),
    ("sort_nan", lambda L, x: (tuple(L.sort(x, 1)), tuple(L.sort(x, 1, descending=True))), [WITH_NAN]),
    ("sort_int", lambda L, x: tuple(L.sort(x, descending=True, stable=True)),
     [np.array([3, 1, 2, 1], np.int32)]),
    ("sort_bool", lambda L, x: tuple(L.sort(x, stable=True)), [np.array([True, False, True])]),
    ("sort_0d", lambda L, x: tuple(L.sort(x)), [np.array(3.0, np.float32)]),
    ("sort_empty", lambda L, x: tuple(L.sort(x)), [np.zeros((2, 0), np.float32)]),
    ("argsort", lambda L, x: (L.argsort(x), x.argsort(0, True)), [distinct(3, 4)]),
    ("argsort_stable", lambda L, x: (L.argsort(x, stable=True), L.argsort(x, descending=True, stable=True)),
     [ties(2, 9)]),
    ("msort", lambda L, x: L.msort(x), [distinct(4, 3)]),
    ("topk", lambda L, x: tuple(L.topk(x, 2)), [distinct(3, 5)]),
    ("topk_smallest_dim0", lambda L, x: tuple(x.topk(3, dim=0, largest=False)), [distinct(5, 3)]),
    ("topk_partition_path", lambda L, x: tuple(L.topk(x, 3)), [distinct(4, 40)]),
    ("topk_partition_smallest", lambda L, x: tuple(L.topk(x.t(), 3, 0, False)), [distinct(40, 4)]),
    ("topk_nan", lambda L, x: tuple(L.topk(x, 2)), [np.array([1.0, NAN, 3.0], np.float32)]),
    ("topk_zero", lambda L, x: tuple(L.topk(x, 0)), [distinct(2, 3)]),
    ("topk_int", lambda L, x: tuple(L.topk(x, 2)), [np.array([3, 1, 7, 2], np.int64)]),
    ("kthvalue", lambda L, x: tuple(L.kthvalue(x, 2)), [distinct(3, 5)]),
    ("kthvalue_dim_keepdim", lambda L, x: tuple(x.kthvalue(1, 0, True)), [distinct(3, 5)]),
    ("kthvalue_ties", lambda L, x: tuple(L.kthvalue(x, 3)), [np.array([2.0, 1.0, 2.0, 2.0], np.float32)]),
    ("kthvalue_nan", lambda L, x: tuple(L.kthvalue(x, 3)), [np.array([1.0, NAN, 0.0], np.float32)]),
    ("median", lambda L, x: L.median(x), [distinct(3, 5)]),
    ("median_ties", lambda L, x: L.median(x), [np.array([3.0, 1.0, 3.0, 3.0], np.float32)]),
    ("median_dim", lambda L, x: tuple(L.median(x, 1)), [distinct(3, 4)]),
    ("median_dim_ties", lambda L, x: tuple(x.median(0, keepdim=True)),
     [np.array([[3, 1, 1, 1], [1, 1, 3, 1], [3, 1, 3, 3], [1, 1, 1, 2], [3, 2, 3, 3]], np.float32)]),
    ("median_nan", lambda L, x: (L.median(x), tuple(L.median(x, 1))), [WITH_NAN]),
    ("median_int", lambda L, x: (L.median(x), tuple(L.median(x, 0))), [np.array([3, 1, 2], np.int64)]),
    ("median_empty", lambda L, x: L.median(x), [np.zeros((0,), np.float32)]),
    ("nanmedian", lambda L, x: (L.nanmedian(x), tuple(L.nanmedian(x, 1))), [WITH_NAN]),
    ("nanmedian_all_nan", lambda L, x: tuple(L.nanmedian(x, 1)), [np.array([[1, NAN, 2], [NAN, NAN, NAN]],
                                                                           np.float32)]),
    ("mode", lambda L, x: tuple(L.mode(x)),
     [np.array([[1, 2, 2, 3, 3, 1, 1], [5, 5, 4, 4, 6, 6, 6]], np.float32)]),
    ("mode_dim0_keepdim", lambda L, x: tuple(x.mode(0, True)), [ties(7, 4)]),
    ("mode_int", lambda L, x: tuple(L.mode(x)), [np.array([[1, 2, 2, 3, 3]], np.int64)]),
    ("mode_nan", lambda L, x: tuple(L.mode(x)), [np.array([2.0, NAN, NAN], np.float32)]),
    ("mode_0d", lambda L, x: tuple(L.mode(x)), [np.array(3.0, np.float32)]),
    ("quantile", lambda L, x: L.quantile(x, 0.3), [distinct(3, 4)]),
    ("quantile_dim_keepdim", lambda L, x: L.quantile(x, L.tensor([0.3, 0.5, 1.0]), dim=1, keepdim=True),
     [distinct(3, 4)]),
    ("quantile_dim0", lambda L, x: L.quantile(x, L.tensor([0.0, 0.25]), 0), [distinct(5, 2, 3)]),
    ("quantile_keepdim_all", lambda L, x: x.quantile(L.tensor([0.75]), keepdim=True), [distinct(2, 3)]),
    ("quantile_nan", lambda L, x: (L.quantile(x, 0.5, dim=1), L.nanquantile(x, 0.5, dim=1)), [WITH_NAN]),
    ("quantile_double", lambda L, x: L.quantile(x, L.tensor([0.1, 0.9], dtype=L.float64)), [R.random(7)]),
    ("quantile_0d", lambda L, x: L.quantile(x, 0.5, dim=0, keepdim=True), [np.array(3.0, np.float32)]),
]
for _interp in ("lower", "higher", "midpoint", "nearest"):
    PARITY.append((f"quantile_{_interp}",
                   lambda L, x, i=_interp: L.quantile(x, L.tensor([0.125, 0.5, 0.375, 0.625, 0.875]), dim=1,
                                                      interpolation=i),
                   [distinct(3, 4)]))


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", PARITY, ids=[p[0] for p in PARITY])
def test_parity(name, fn, arrays):
    check_against_torch(fn, *arrays)


@pytest.mark.parity
@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 9), dim=st.sampled_from([0, 1, -1]),
       descending=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_sort_kth_median_hypothesis(rows, cols, dim, descending, seed):
    a = np.random.default_rng(seed).integers(-3, 4, size=(rows, cols)).astype(np.float32)
    n = a.shape[dim]
    check_against_torch(lambda L, x: tuple(L.sort(x, dim=dim, descending=descending, stable=True)), a)
    # torch's kthvalue picks a tied index by its quickselect; the value (and a consistent index) must match
    check_against_torch(lambda L, x: L.kthvalue(x, n, dim).values, a, grad=False)
    values, indices = torch.kthvalue(torch.tensor(a), n, dim, keepdim=True)
    np.testing.assert_array_equal(np.take_along_axis(a, indices.numpy(), dim), values.numpy())
    check_against_torch(lambda L, x: tuple(L.mode(x, dim)), a)
    check_against_torch(lambda L, x: tuple(L.median(x, dim)), a)


GRADCHECK = [
    lambda x: x.sort(1).values,
    lambda x: x.sort(0, descending=True).values,
    lambda x: x.topk(2).values,
    lambda x: x.kthvalue(2, 0).values,
    lambda x: x.median(),
    lambda x: x.median(1).values,
    lambda x: x.nanmedian(0, keepdim=True).values,
    lambda x: x.mode(1).values,
    lambda x: x.msort(),
    lambda x: torch.quantile(x, torch.tensor([0.2, 0.7], dtype=torch.float64), dim=1),
    lambda x: torch.nanquantile(x, 0.4),
]


@pytest.mark.parametrize("fn", GRADCHECK)
def test_gradcheck(fn):
    x = torch.tensor(R.permutation(12).reshape(3, 4) + R.random((3, 4)) * 0.1, requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_grad_fn_names():
    x = torch.tensor([[1.0, 3.0, 2.0], [0.0, 2.0, 5.0]], requires_grad=True)
    assert x.sort().values.grad_fn.name() == "SortBackward0"
    assert x.sort(stable=True).values.grad_fn.name() == "SortBackward1"
    assert x.topk(1).values.grad_fn.name() == "TopkBackward0"
    assert x.kthvalue(1).values.grad_fn.name() == "KthvalueBackward0"
    assert x.median().grad_fn.name() == "MedianBackward0"
    assert x.median(0).values.grad_fn.name() == "MedianBackward1"
    assert x.nanmedian().grad_fn.name() == "NanmedianBackward0"
    assert x.nanmedian(1).values.grad_fn.name() == "NanmedianBackward1"
    assert x.mode().values.grad_fn.name() == "ModeBackward0"
    r = x.sort()
    assert r.indices.grad_fn is None and r.indices.dtype == torch.int64


# ------------------------------------------------------------------------------------------ counting ----
COUNTING = [
    ("unique", lambda L, x: (L.unique(x), x.unique(sorted=False)), [np.array([3, 1, 2, 3, 1])]),
    ("unique_inverse_counts", lambda L, x: L.unique(x, return_inverse=True, return_counts=True),
     [np.array([[3, 1], [2, 3]])]),
    ("unique_dim0", lambda L, x: L.unique(x, dim=0, return_inverse=True, return_counts=True),
     [np.array([[3, 1], [2, 3], [3, 1]])]),
    ("unique_dim1", lambda L, x: L.unique(x, dim=1, return_inverse=True),
     [np.array([[3, 1], [2, 3], [3, 1]])]),
    ("unique_float_nan", lambda L, x: L.unique(x, return_counts=True),
     [np.array([1, NAN, NAN, 1], np.float32)]),
    ("unique_empty", lambda L, x: L.unique(x, return_inverse=True, return_counts=True),
     [np.zeros(0, np.int64)]),
    ("unique_bool", lambda L, x: L.unique(x, return_counts=True), [np.array([True, False, True])]),
    ("unique_consecutive", lambda L, x: L.unique_consecutive(x, return_inverse=True, return_counts=True),
     [np.array([1, 1, 2, 2, 3, 1, 1, 2])]),
    ("unique_consecutive_2d",
     lambda L, x: (L.unique_consecutive(x), x.unique_consecutive(return_inverse=True)),
     [np.array([[1, 1], [2, 2]])]),
    ("unique_consecutive_dim", lambda L, x: L.unique_consecutive(x, dim=0, return_counts=True,
                                                                  return_inverse=True),
     [np.array([[1, 1], [1, 1], [2, 3], [1, 1]])]),
    ("bincount", lambda L, x: (L.bincount(x), x.bincount(minlength=6)), [np.array([0, 1, 1, 3])]),
    ("bincount_empty", lambda L, x: (L.bincount(x), L.bincount(x, minlength=2)), [np.zeros(0, np.int64)]),
    ("bincount_uint8", lambda L, x: L.bincount(x), [np.array([1, 1], np.uint8)]),
    ("histc", lambda L, x: (L.histc(x, bins=4, min=0, max=3), L.histc(x, 4), x.histc(bins=2, min=1, max=1)),
     [np.array([1.0, 2.0, 1.0, 4.0, 5.0], np.float32)]),
    ("histc_edges", lambda L, x: L.histc(x, bins=10, min=0, max=1), [np.array([0.1, 0.2, 0.3, 1.0, 0.0])]),
    ("histc_constant", lambda L, x: L.histc(x, bins=4), [np.array([1.0, 1.0], np.float32)]),
    ("histc_inf_outside", lambda L, x: L.histc(x, bins=3, min=0, max=2),
     [np.array([1, 2, np.inf], np.float32)]),
    ("histc_empty", lambda L, x: L.histc(x, bins=3), [np.zeros(0, np.float64)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", COUNTING, ids=[p[0] for p in COUNTING])
def test_counting_parity(name, fn, arrays):
    check_against_torch(fn, *arrays, grad=False)


@pytest.mark.parity
@pytest.mark.parametrize("wdtype", [np.float32, np.float64, np.int64])
def test_bincount_weights_dtype(wdtype):
    check_against_torch(lambda L, x, w: L.bincount(x, weights=w), np.array([0, 1, 1, 3]),
                        np.array([1, 2, 3, 4]).astype(wdtype), grad=False)


ERRORS = [
    lambda L: L.topk(L.ones(2, 4), 5),
    lambda L: L.topk(L.ones(2, 4), -1),
    lambda L: L.topk(L.tensor([True, False]), 1),
    lambda L: L.kthvalue(L.ones(2, 4), 5),
    lambda L: L.kthvalue(L.ones(2, 4), 0, 0),
    lambda L: L.kthvalue(L.zeros(2, 0), 1),
    lambda L: L.median(L.zeros(0, 3), 0),
    lambda L: L.mode(L.tensor([])),
    lambda L: L.quantile(L.ones(3), 1.5),
    lambda L: L.quantile(L.ones(3), L.tensor([0.5, 1.5])),
    lambda L: L.quantile(L.ones(3), L.tensor([[0.5]])),
    lambda L: L.quantile(L.ones(3), L.tensor([0.5], dtype=L.float64)),
    lambda L: L.quantile(L.tensor([1, 2]), 0.5),
    lambda L: L.quantile(L.ones(3), 0.5, interpolation="bogus"),
    lambda L: L.quantile(L.tensor([]), 0.5),
    lambda L: L.bincount(L.tensor([-1, 1])),
    lambda L: L.bincount(L.tensor([1.0, 1.0])),
    lambda L: L.bincount(L.tensor([[1, 1]])),
    lambda L: L.bincount(L.tensor([1, 1]), minlength=-1),
    lambda L: L.bincount(L.tensor([1, 1]), weights=L.tensor([1.0])),
    lambda L: L.bincount(L.tensor([True, False])),
    lambda L: L.histc(L.tensor([1, 2])),
    lambda L: L.histc(L.tensor([1.0, 2.0]), bins=0),
    lambda L: L.histc(L.tensor([1.0, 2.0]), bins=3, min=3, max=1),
    lambda L: L.histc(L.tensor([1.0, 2.0, float("inf")]), bins=3),
]


@pytest.mark.parity
@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    import torch as real

    with pytest.raises(Exception) as theirs:
        call(real)
    with pytest.raises(type(theirs.value)) as ours:
        call(torch)
    assert str(ours.value) == str(theirs.value)


def test_errors_without_torch():
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        torch.topk(torch.ones(3), 4)
    with pytest.raises(RuntimeError, match=r"q must be in the range \[0, 1\] but got 1.5"):
        torch.quantile(torch.ones(3), 1.5)


def test_inputs_not_mutated_and_non_contiguous():
    a = torch.tensor(distinct(4, 5))
    before = a.numpy().copy()
    for fn in (torch.sort, torch.msort, torch.median, lambda t: torch.topk(t, 2), lambda t: torch.mode(t, 0),
               lambda t: torch.quantile(t, 0.5, 1), torch.unique):
        fn(a)
        fn(a.t())
    np.testing.assert_array_equal(a.numpy(), before)
