"""Reductions: sum/mean/var/std/prod/logsumexp/norm/all/any/count_nonzero, scans (cumsum ... logcumsumexp)."""

import math
import warnings

import numpy as np
import pytest

import engine as torch
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(0)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return torch.tensor(R.standard_normal(shape), requires_grad=True)


def ties(*shape):
    return R.integers(-2, 3, size=shape).astype(np.float32)


def with_zeros(*shape, count=1):
    a = R.uniform(0.5, 1.5, size=shape) * R.choice([-1, 1], size=shape)
    flat = a.reshape(-1)
    flat[R.choice(flat.size, size=count, replace=False)] = 0
    return a.astype(np.float32)


# ------------------------------------------------------------------------------------ parity table ------
PARITY = [
    ("sum", lambda L, x: L.sum(x), [f32(3, 4)]),
    ("sum_dim", lambda L, x: x.sum((0, 2), keepdim=True), [f32(2, 3, 4)]),
    ("sum_neg_dim", lambda L, x: L.sum(x.t(), -1), [f32(3, 4)]),
    ("sum_dtype", lambda L, x: L.sum(x, 1, dtype=L.float64), [f32(3, 4)]),
    ("sum_empty", lambda L, x: x.sum(0), [f32(0, 3)]),
    ("nansum", lambda L, x: L.nansum(x, 1), [np.array([[1, np.nan, 2], [np.nan, np.nan, 3]], np.float32)]),
    ("mean", lambda L, x: x.mean(), [f32(3, 4)]),
    ("mean_tuple", lambda L, x: L.mean(x.transpose(0, 2), (0, 1), keepdim=True), [f32(2, 3, 4)]),
    ("nanmean", lambda L, x: L.nanmean(x, 0), [np.array([[1, np.nan, 2], [np.nan, np.nan, 3]], np.float32)]),
    ("var", lambda L, x: x.var(), [f32(3, 4)]),
    ("var_dim", lambda L, x: L.var(x, 1, keepdim=True), [f32(3, 4)]),
    ("var_unbiased_false", lambda L, x: L.var(x, 0, False), [f32(3, 4)]),
    ("var_legacy_bool", lambda L, x: L.var(x, False), [f32(3, 4)]),
    ("var_correction", lambda L, x: L.var(x, (0, 1), correction=0), [f32(3, 4)]),
    ("std", lambda L, x: L.std(x.t(), 0), [f32(3, 4)]),
    ("std_correction", lambda L, x: x.std(dim=1, correction=2, keepdim=True), [f32(3, 5)]),
    ("var_mean", lambda L, x: L.var_mean(x, 1), [f32(3, 4)]),
    ("std_mean", lambda L, x: L.std_mean(x, dim=0, unbiased=False, keepdim=True), [f32(3, 4)]),
    ("prod", lambda L, x: L.prod(x), [f32(2, 3)]),
    ("prod_dim", lambda L, x: x.prod(1, keepdim=True), [f32(3, 4)]),
    ("prod_one_zero", lambda L, x: L.prod(x), [with_zeros(2, 3)]),
    ("prod_two_zeros", lambda L, x: L.prod(x), [with_zeros(2, 3, count=2)]),
    ("prod_dim_zeros", lambda L, x: L.prod(x, 0), [np.array([[0, 1, 0], [2, 0, 0], [3, 4, 5]], np.float32)]),
    ("prod_int", lambda L, x: L.prod(x, 1), [np.array([[1, 2], [3, 4]], np.int32)]),
    ("prod_bool", lambda L, x: L.prod(x), [np.array([True, False])]),
    ("logsumexp", lambda L, x: L.logsumexp(x, 1), [f32(3, 4) * 50]),
    ("logsumexp_tuple", lambda L, x: x.logsumexp((0, 1), keepdim=True), [f32(3, 4)]),
    ("logsumexp_inf", lambda L, x: L.logsumexp(x, 1),
     [np.array([[np.inf, 1], [-np.inf, -np.inf]], np.float32)]),
    ("logsumexp_int", lambda L, x: L.logsumexp(x, 0), [np.array([1, 2, 3])]),
    ("norm", lambda L, x: L.norm(x), [f32(3, 4)]),
    ("norm_dim", lambda L, x: x.norm(dim=1, keepdim=True), [f32(3, 4)]),
    ("norm_p1", lambda L, x: L.norm(x, 1, dim=0), [f32(3, 4)]),
    ("norm_p3", lambda L, x: L.norm(x.t(), 3, 1), [f32(3, 4)]),
    ("norm_p0", lambda L, x: L.norm(x, 0), [with_zeros(3, 4, count=3)]),
    ("norm_inf", lambda L, x: L.norm(x, float("inf"), dim=1), [ties(3, 5)]),
    ("norm_ninf", lambda L, x: L.norm(x, -math.inf), [f32(3, 4)]),
    ("norm_fro", lambda L, x: L.norm(x, "fro", dim=(0, 1)), [f32(3, 4)]),
    ("norm_neg1", lambda L, x: L.norm(x, -1), [f32(3, 4)]),
    ("norm_dtype", lambda L, x: L.norm(x, 2, 1, True, dtype=L.float64), [f32(3, 4)]),
    ("norm_zero_grad", lambda L, x: L.norm(x, dim=1), [np.zeros((2, 3), np.float32)]),
    ("norm_p3_zero_grad", lambda L, x: L.norm(x, 3), [np.zeros((2, 3), np.float32)]),
    ("norm_half_zero_grad", lambda L, x: L.norm(x, 0.5), [with_zeros(2, 3)]),
    ("all", lambda L, x: (L.all(x), x.all(1), L.all(x, (0, 1), keepdim=True)), [ties(3, 4)]),
    ("any", lambda L, x: (L.any(x), x.any(0, keepdim=True), L.any(x, dim=(1,))), [ties(3, 4)]),
    ("all_uint8", lambda L, x: (L.all(x), L.any(x, 1)), [np.array([[1, 0], [2, 3]], np.uint8)]),
    ("all_empty", lambda L, x: (L.all(x), L.any(x), L.all(x, 1)), [np.zeros((0, 2), np.float32)]),
    ("count_nonzero", lambda L, x: (L.count_nonzero(x), x.count_nonzero(1), L.count_nonzero(x, (0, 1))),
     [ties(3, 4)]),
    ("cumsum", lambda L, x: L.cumsum(x, 1), [f32(3, 4)]),
    ("cumsum_t", lambda L, x: x.t().cumsum(-1), [f32(3, 4)]),
    ("cumsum_int", lambda L, x: (L.cumsum(x, 0), L.cumsum(x, 0, dtype=L.float32)),
     [np.array([1, 2, 3], np.int32)]),
    ("cumsum_bool", lambda L, x: L.cumsum(x, 0), [np.array([True, False, True])]),
    ("cumsum_0d", lambda L, x: L.cumsum(x, 0), [np.array(3.0, np.float32)]),
    ("cumprod", lambda L, x: L.cumprod(x, 1), [f32(3, 4)]),
    ("cumprod_zeros", lambda L, x: L.cumprod(x, 1),
     [np.array([[1, 0, 2, 3], [0, 2, 0, 1], [2, 3, 4, 0], [0, 0, 1, 2]], np.float32)]),
    ("cumprod_uint8", lambda L, x: L.cumprod(x, 0), [np.array([2, 3], np.uint8)]),
    ("cummax", lambda L, x: L.cummax(x, 1), [ties(3, 6)]),
    ("cummin", lambda L, x: x.cummin(0), [ties(5, 3)]),
    ("cummax_nan", lambda L, x: L.cummax(x, 0), [np.array([1, 1, np.nan, 2, np.nan, 0], np.float32)]),
    ("cummin_bool", lambda L, x: L.cummin(x, 0), [np.array([True, False, True])]),
    ("cummax_empty", lambda L, x: L.cummax(x, 1), [np.zeros((2, 0), np.float32)]),
    ("logcumsumexp", lambda L, x: L.logcumsumexp(x, 1), [f32(3, 5) * 20]),
    ("logcumsumexp_t", lambda L, x: L.logcumsumexp(x.t(), 0), [f32(3, 5)]),
    ("logcumsumexp_ninf", lambda L, x: L.logcumsumexp(x, 0), [np.array([-np.inf, 1.0, 2.0], np.float32)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", PARITY, ids=[p[0] for p in PARITY])
def test_parity(name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(fn, *arrays)


@pytest.mark.parity
def test_var_correction_too_large_warns_and_matches():
    def fn(L, x):
        return L.var(x, 1, correction=5), L.std(x, correction=20)

    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        torch.var(torch.ones(2, 3), 1, correction=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(fn, f32(2, 3), grad=False)
        check_against_torch(lambda L, x: L.var(x), np.zeros(1, np.float32), grad=False)


def test_var_mean_two_roots():
    x = torch.tensor([[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]], requires_grad=True)
    v, m = torch.var_mean(x, 1)
    (g,) = torch.autograd.grad([v, m], [x], [torch.ones(2), torch.ones(2)])
    assert g is not None


def test_std_gradient_zero_when_constant():
    x = torch.ones(3, requires_grad=True)
    torch.std(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------------------- gradcheck -------
GRADCHECK = [
    ("sum", lambda x: x.sum((0, 1))),
    ("nansum", lambda x: torch.nansum(x, 1)),
    ("mean", lambda x: x.mean(1, keepdim=True)),
    ("var", lambda x: x.var(0)),
    ("std", lambda x: x.std(1, keepdim=True)),
    ("var_mean", lambda x: torch.var_mean(x, 1)),
    ("std_mean", lambda x: torch.std_mean(x)),
    ("prod", lambda x: x.prod()),
    ("prod_dim", lambda x: x.prod(1)),
    ("logsumexp", lambda x: torch.logsumexp(x, 1)),
    ("norm", lambda x: x.norm(dim=0)),
    ("norm3", lambda x: torch.norm(x, 3)),
    ("norm1", lambda x: torch.norm(x, 1, dim=1)),
    ("cumsum", lambda x: x.cumsum(1)),
    ("cumprod", lambda x: x.cumprod(1)),
    ("logcumsumexp", lambda x: torch.logcumsumexp(x, 1)),
    ("cummax", lambda x: torch.cummax(x, 1).values),
]


@pytest.mark.parametrize("name,fn", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(name, fn):
    assert gradcheck(fn, (f64(3, 4),))


@pytest.mark.parametrize("name,fn", [g for g in GRADCHECK if g[0] in
                                     ("var", "std", "prod", "logsumexp", "norm", "cumprod", "logcumsumexp")])
def test_gradgradcheck(name, fn):
    assert gradgradcheck(fn, (f64(3, 4),))


def test_prod_and_cumprod_gradcheck_with_zeros():
    a = torch.tensor([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 0.5]], dtype=torch.float64,
                     requires_grad=True)
    assert gradcheck(lambda x: x.prod(1), (a,))
    assert gradcheck(lambda x: x.prod(), (a,))
    b = torch.tensor([[1.5, 0.0, 2.0, -1.0], [0.0, 2.0, 0.0, 3.0]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda x: x.cumprod(1), (b,))
    assert gradgradcheck(lambda x: x.cumprod(1), (b,))
    assert gradgradcheck(lambda x: x.prod(1), (a,))


# ------------------------------------------------------------------------------------ dtypes / errors ----
def test_sum_dtypes():
    assert torch.tensor([True, True]).sum().dtype == torch.int64
    assert torch.tensor([1, 2], dtype=torch.int8).sum().dtype == torch.int64
    assert torch.tensor([1, 2], dtype=torch.float16).sum().dtype == torch.float16
    assert torch.tensor([1, 2]).sum(dtype=torch.float32).dtype == torch.float32
    assert torch.tensor([1, 2]).nansum().item() == 3


def test_grad_fn_names():
    x = torch.ones(2, 3, requires_grad=True)
    names = {
        "SumBackward0": x.sum(), "SumBackward1": x.sum(0), "MeanBackward0": x.mean(),
        "MeanBackward1": x.mean(1), "VarBackward0": x.var(), "StdBackward0": x.std(0),
        "ProdBackward0": x.prod(), "ProdBackward1": x.prod(1), "LogsumexpBackward0": x.logsumexp(1),
        "LinalgVectorNormBackward0": x.norm(), "NansumBackward0": x.nansum(),
        "CumsumBackward0": x.cumsum(0), "CumprodBackward0": x.cumprod(1),
        "LogcumsumexpBackward0": x.logcumsumexp(1), "CummaxBackward0": x.cummax(1).values,
        "CumminBackward0": x.cummin(1)[0], "VarMeanBackward0": torch.var_mean(x)[0],
        "StdMeanBackward0": torch.std_mean(x)[1],
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name
    assert x.cummax(1).indices.grad_fn is None and x.cummax(1).indices.dtype == torch.int64


@pytest.mark.parametrize("call,exc,match", [
    (lambda: torch.var(torch.tensor([1, 2])), RuntimeError, "std and var only support floating point"),
    (lambda: torch.mean(torch.tensor([1, 2])), RuntimeError, "Got: Long"),
    (lambda: torch.nanmean(torch.tensor([1, 2])), RuntimeError, "complex dtype but got Long"),
    (lambda: torch.sum(torch.ones(2, 3), (0, 0)), RuntimeError, "dim 0 appears multiple times"),
    (lambda: torch.sum(torch.ones(2, 3), 2), IndexError, r"range of \[-2, 1\], but got 2"),
    (lambda: torch.prod(torch.ones(2, 3), (0, 1)), TypeError, "prod\\(\\) received an invalid combination"),
    (lambda: torch.norm(torch.tensor([1, 2])), RuntimeError, "Expected a floating point or complex tensor"),
    (lambda: torch.norm(torch.ones(2, 2), "nuc"), NotImplementedError, "nuc"),
    (lambda: torch.norm(torch.ones(2, 2), "abc"), RuntimeError, "Order abc not supported"),
    (lambda: torch.norm(torch.ones(2, 2, 2), "fro", dim=(0, 1, 2)), RuntimeError, "dim must be a 2-tuple"),
    (lambda: torch.norm(torch.zeros(0, 3), float("inf")), RuntimeError, "inf norm on an empty tensor"),
    (lambda: torch.norm(torch.zeros(0, 3), float("inf"), 0), RuntimeError, "on the dimension 0"),
    (lambda: torch.logcumsumexp(torch.tensor([1, 2]), 0), NotImplementedError, "not implemented for 'Long'"),
    (lambda: torch.cumsum(torch.ones(2), 1), IndexError, "Dimension out of range"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parity
def test_error_messages_match_torch():
    import torch as real

    cases = [
        lambda L: L.var(L.tensor([1, 2])),
        lambda L: L.nanmean(L.tensor([1, 2])),
        lambda L: L.sum(L.ones(2, 3), (1, 1)),
        lambda L: L.norm(L.zeros(0, 3), float("inf")),
        lambda L: L.norm(L.zeros(0, 3), float("-inf"), 0),
        lambda L: L.norm(L.ones(2, 2), "abc"),
    ]
    for case in cases:
        with pytest.raises(Exception) as theirs:
            case(real)
        with pytest.raises(Exception) as ours:
            case(torch)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)


def test_inplace_cumsum_and_inputs_not_mutated():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    before = x.numpy().copy()
    for fn in (torch.sum, torch.prod, torch.norm, torch.var, lambda t: torch.cumprod(t, 0)):
        fn(x)
    np.testing.assert_array_equal(x.numpy(), before)
    x.cumsum_(1)
    assert x.tolist() == [[1.0, 3.0], [3.0, 7.0]]


def test_create_graph_through_logsumexp():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(torch.logsumexp(x, 0), x, create_graph=True)
    softmax = np.exp(x.detach().numpy()) / np.exp(x.detach().numpy()).sum()
    np.testing.assert_allclose(g.detach().numpy(), softmax, rtol=1e-6)
    (g2,) = torch.autograd.grad((g * torch.tensor([1.0, 0.0, 0.0])).sum(), x)
    np.testing.assert_allclose(g2.numpy(), softmax[0] * ((np.arange(3) == 0) - softmax), rtol=1e-5)


def test_accumulate_fallback_scan_matches_numpy():
    """The log-step scan used where the array module (cupy) lacks ufunc.accumulate."""
    import types

    from engine.ops._reduce_util import accumulate

    def plain(fn):
        return lambda *a, **k: fn(*a, **k)  # a ufunc without .accumulate

    fake = types.SimpleNamespace(maximum=plain(np.maximum), logaddexp=plain(np.logaddexp),
                                 moveaxis=np.moveaxis, ascontiguousarray=np.ascontiguousarray)
    a = R.standard_normal((3, 7, 2))
    for name in ("maximum", "logaddexp"):
        for axis in (0, 1, 2):
            np.testing.assert_allclose(accumulate(fake, name, a, axis), getattr(np, name).accumulate(a, axis))
