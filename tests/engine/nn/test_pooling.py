"""Pooling: max/avg/adaptive/lp pooling, max_unpool and their modules (values, indices, gradients, errors)."""

import re

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch


def arr(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def t64(rng, *shape):
    return engine.tensor(rng.standard_normal(shape), requires_grad=True)


MAX_CASES = [
    (2, dict()),
    (3, dict(stride=2, padding=1, ceil_mode=True)),
    ((3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(2, 1))),
    (3, dict(stride=2, padding=1, dilation=2, ceil_mode=True)),
    (2, dict(stride=1)),
]


@pytest.mark.parity
@pytest.mark.parametrize("k, kw", MAX_CASES)
def test_max_pool2d_values_indices_and_grads_match_torch(rng, k, kw):
    check_against_torch(lambda L, x: L.nn.functional.max_pool2d(x, k, return_indices=True, **kw),
                        arr(rng, 2, 3, 9, 8))


@pytest.mark.parity
def test_max_pool1d_3d_and_unbatched_match_torch(rng):
    check_against_torch(lambda L, x: L.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True),
                        arr(rng, 2, 3, 9))
    check_against_torch(lambda L, x: L.nn.functional.max_pool1d(x, 2, ceil_mode=True), arr(rng, 3, 7))
    check_against_torch(lambda L, x: L.nn.functional.max_pool3d(x, 2, return_indices=True, ceil_mode=True),
                        arr(rng, 1, 2, 5, 6, 7))
    check_against_torch(lambda L, x: L.nn.functional.max_pool2d(x, 3, padding=1), arr(rng, 3, 7, 7))


@pytest.mark.parity
def test_max_pool_ties_route_gradient_to_first_max_like_torch():
    x = np.array([[[[1, 1, 2, 2], [1, 1, 2, 2], [0, 3, 3, 0], [3, 3, 0, 0]]]], np.float32)
    check_against_torch(lambda L, x: L.nn.functional.max_pool2d(x, 2, return_indices=True), x)
    check_against_torch(lambda L, x: L.nn.functional.max_pool2d(x, 3, stride=1, return_indices=True), x)
    y = np.array([[[1.0, np.nan, 3.0, np.nan, -np.inf, 2.0]]], np.float32)
    check_against_torch(lambda L, x: L.nn.functional.max_pool1d(x, 3, return_indices=True), y)


@pytest.mark.parity
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, ceil_mode=True),
                                dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                                dict(padding=1, divisor_override=3), dict(stride=(1, 2), padding=(1, 0))])
def test_avg_pool2d_matches_torch(rng, kw):
    check_against_torch(lambda L, x: L.nn.functional.avg_pool2d(x, 3, **kw), arr(rng, 2, 3, 8, 9))


@pytest.mark.parity
def test_avg_pool1d_3d_and_integer_input_match_torch(rng):
    check_against_torch(lambda L, x: L.nn.functional.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
                        arr(rng, 2, 3, 10))
    check_against_torch(lambda L, x: L.nn.functional.avg_pool3d(x, (2, 3, 2), padding=1, ceil_mode=True),
                        arr(rng, 1, 2, 5, 6, 7))
    ints = np.array([[[-3, -4, 5, 7, 1, 2]]])
    check_against_torch(lambda L, x: L.nn.functional.avg_pool1d(x, 3, padding=1, count_include_pad=False),
                        ints)


@pytest.mark.parity
def test_adaptive_pools_match_torch(rng):
    x = arr(rng, 2, 3, 9, 10)
    check_against_torch(lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, (4, 3)), x)
    check_against_torch(lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, (None, 7)), x)
    check_against_torch(lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, 1), x)
    check_against_torch(lambda L, x: L.nn.functional.adaptive_avg_pool1d(x, 4), arr(rng, 2, 3, 11))
    check_against_torch(lambda L, x: L.nn.functional.adaptive_max_pool2d(x, (4, 3), return_indices=True), x)
    check_against_torch(lambda L, x: L.nn.functional.adaptive_max_pool2d(x, (3, 5), return_indices=True), x)
    check_against_torch(lambda L, x: L.nn.functional.adaptive_max_pool1d(x, 4), arr(rng, 3, 9))


@pytest.mark.parity
def test_max_unpool_and_lp_pool_match_torch(rng):
    def unpool(L, x):
        out, idx = L.nn.functional.max_pool2d(x, 2, return_indices=True)
        return L.nn.functional.max_unpool2d(out, idx, 2)

    def unpool_overlap(L, x):
        out, idx = L.nn.functional.max_pool2d(x, 3, 2, return_indices=True)
        return L.nn.functional.max_unpool2d(out, idx, 3, 2, output_size=(9, 9))

    def unpool1d(L, x):
        out, idx = L.nn.functional.max_pool1d(x, 2, return_indices=True)
        return L.nn.functional.max_unpool1d(out, idx, 2, output_size=[9])

    check_against_torch(unpool, arr(rng, 2, 3, 8, 8))
    check_against_torch(unpool_overlap, arr(rng, 2, 3, 9, 9))
    check_against_torch(unpool1d, arr(rng, 2, 3, 9))
    positive = np.abs(arr(rng, 2, 3, 9, 9)) + 0.1
    check_against_torch(lambda L, x: L.nn.functional.lp_pool2d(x, 2, 3, 2), positive)
    check_against_torch(lambda L, x: L.nn.functional.lp_pool1d(x, 3, 2), positive[0])


def test_gradcheck_pooling(rng):
    x = t64(rng, 1, 2, 5, 6)
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), (x,))
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, (3, 4)), (x,))
    assert gradcheck(lambda x: F.lp_pool2d(x, 2, 2), (x.detach().abs().requires_grad_(),))
    assert gradcheck(lambda x: F.avg_pool3d(x, 2, padding=1), (t64(rng, 1, 1, 3, 4, 3),))


def test_double_backward_of_pooling(rng):
    x = t64(rng, 1, 2, 4, 5)
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2, 1, 1), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2, 1) ** 2, (x,))
    assert gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, 3) ** 2, (x,))


def test_grad_fn_names():
    x = engine.randn(1, 2, 4, 4, requires_grad=True)
    assert F.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F.adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F.adaptive_max_pool2d(x, 3).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == engine.int64 and not idx.requires_grad


@pytest.mark.parametrize("call, exc, message", [
    (lambda: F.max_pool2d(engine.zeros(4, 4), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.max_pool2d(engine.zeros(1, 3, 4, 4), 3, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (lambda: F.max_pool2d(engine.zeros(2, 3, 8, 8), 10), RuntimeError,
     "Given input size: (3x8x8). Calculated output size: (3x0x0). Output size is too small"),
    (lambda: F.max_pool2d(engine.zeros(2, 3, 8, 8), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(engine.zeros(2, 3, 8, 8), (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool1d(engine.zeros(2, 3, 8, 8), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:"
     "[2, 3, 8, 8]"),
    (lambda: F.avg_pool2d(engine.zeros(1, 2, 3, 8, 8), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
     "[1, 2, 3, 8, 8]"),
    (lambda: F.adaptive_avg_pool2d(engine.zeros(8, 8), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [8, 8]"),
    (lambda: F.max_unpool2d(engine.zeros(1, 1, 2, 2), engine.zeros(1, 1, 2, 2), 2), RuntimeError,
     "elements in indices should be type int64 but got: Float"),
    (lambda: F.max_unpool2d(engine.zeros(1, 1, 2, 2), engine.zeros(1, 1, 2, 2, dtype=engine.int64), 2,
                            output_size=(9, 9)), ValueError,
     'invalid output_size "(9, 9)" (dim 0 must be between 2 and 6)'),
])
def test_pooling_errors_match_torch(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


# ------------------------------------------------------------------------------------------ modules ---
@pytest.mark.parity
@pytest.mark.parametrize("name, args, kw, shape", [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 8, 9)),
    ("MaxPool1d", (2,), dict(), (2, 3, 8)),
    ("MaxPool3d", (2,), dict(), (1, 2, 4, 4, 4)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 8, 9)),
    ("AvgPool1d", (3,), dict(), (2, 3, 9)),
    ("AvgPool3d", (2,), dict(divisor_override=3), (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool2d", ((2, None),), dict(), (2, 3, 8, 9)),
    ("AdaptiveAvgPool1d", (3,), dict(), (2, 3, 8)),
    ("AdaptiveMaxPool2d", (3,), dict(), (2, 3, 8, 9)),
    ("LPPool2d", (2, 3), dict(stride=2), (2, 3, 8, 9)),
    ("LPPool1d", (2, 3), dict(), (2, 3, 9)),
])
def test_pool_modules_match_torch(rng, name, args, kw, shape):
    import torch

    e, t = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e) == repr(t)
    x = np.abs(arr(rng, *shape)) + 0.1
    check_against_torch(lambda L, x: (e if L is engine else t)(x), x)


@pytest.mark.parity
def test_max_unpool_module_and_return_indices(rng):
    import torch

    for lib in (engine, torch):
        pool, unpool = lib.nn.MaxPool2d(2, return_indices=True), lib.nn.MaxUnpool2d(2)
        out, idx = pool(lib.tensor(arr(rng, 1, 1, 4, 4)))
        assert tuple(unpool(out, idx, output_size=(1, 1, 5, 5)).shape) == (1, 1, 5, 5)
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(nn.MaxUnpool2d((2, 3), 1, 1)) == repr(torch.nn.MaxUnpool2d((2, 3), 1, 1))
    assert repr(nn.AdaptiveMaxPool2d(3, True)) == repr(torch.nn.AdaptiveMaxPool2d(3, True))
