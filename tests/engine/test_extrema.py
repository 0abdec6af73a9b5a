"""max/min (full, per dim, binary), amax/amin, argmax/argmin, aminmax, and the return_types tuples."""

import numpy as np
import pytest

import engine as torch
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(1)
NAN = float("nan")


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def ties(*shape):
    return R.integers(-2, 3, size=shape).astype(np.float32)


PARITY = [
    ("max_full", lambda L, x: L.max(x), [ties(3, 4)]),
    ("min_full", lambda L, x: x.min(), [ties(3, 4)]),
    ("max_full_nan", lambda L, x: L.max(x), [np.array([[3, NAN, 3], [NAN, 1, 2]], np.float32)]),
    ("max_dim", lambda L, x: tuple(L.max(x, 1)), [ties(4, 5)]),
    ("max_dim_keepdim", lambda L, x: tuple(x.max(0, keepdim=True)), [ties(4, 5)]),
    ("min_dim_t", lambda L, x: tuple(L.min(x.t(), dim=-1)), [ties(4, 5)]),
    ("max_dim_nan", lambda L, x: tuple(L.max(x, 1)), [np.array([[1, NAN, NAN], [2, 3, 1]], np.float32)]),
    ("min_dim_nan", lambda L, x: tuple(L.min(x, 1)), [np.array([[1, NAN, NAN], [2, 3, 1]], np.float32)]),
    ("max_0d", lambda L, x: tuple(L.max(x, 0)), [np.array(5.0, np.float32)]),
    ("max_empty_other_dim", lambda L, x: tuple(L.max(x, 1)), [np.zeros((0, 3), np.float32)]),
    ("max_int", lambda L, x: (L.max(x), tuple(L.max(x, 0))), [np.array([[1, 5], [7, 2]], np.int32)]),
    ("max_uint8", lambda L, x: L.max(x), [np.array([1, 2, 3], np.uint8)]),
    ("max_bool", lambda L, x: (L.max(x), L.min(x)), [np.array([True, False])]),
    ("amax", lambda L, x: L.amax(x, 1), [ties(4, 5)]),
    ("amax_all", lambda L, x: L.amax(x), [ties(3, 4)]),
    ("amax_tuple", lambda L, x: x.amax((0, 2), keepdim=True), [ties(2, 3, 4)]),
    ("amin", lambda L, x: L.amin(x.t(), (0, 1)), [ties(3, 4)]),
    ("amax_nan", lambda L, x: L.amax(x, 1), [np.array([[3, NAN, 3], [1, 2, 2]], np.float32)]),
    ("amax_empty_other_dim", lambda L, x: L.amax(x, 1), [np.zeros((0, 3), np.float32)]),
    ("amax_bool", lambda L, x: L.amax(x), [np.array([True, False])]),
    ("argmax", lambda L, x: (L.argmax(x), L.argmax(x, 1), x.argmax(0, keepdim=True)), [ties(4, 5)]),
    ("argmin", lambda L, x: (L.argmin(x), L.argmin(x.t(), 1), L.argmin(x, None, True)), [ties(4, 5)]),
    ("argmax_nan", lambda L, x: (L.argmax(x, 1), L.argmin(x, 1)),
     [np.array([[1, NAN, NAN], [2, 3, 1]], np.float32)]),
    ("argmax_0d", lambda L, x: (L.argmax(x), L.argmax(x, 0)), [np.array(5.0, np.float32)]),
    ("aminmax", lambda L, x: tuple(L.aminmax(x)), [ties(3, 4)]),
    ("aminmax_dim", lambda L, x: tuple(L.aminmax(x, dim=0, keepdim=True)), [ties(3, 4)]),
    ("aminmax_empty_other_dim", lambda L, x: tuple(L.aminmax(x, dim=1)), [np.zeros((0, 3), np.float32)]),
    ("max_binary", lambda L, x, y: (L.max(x, y), x.min(y)), [f32(3, 1), f32(4)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", PARITY, ids=[p[0] for p in PARITY])
def test_parity(name, fn, arrays):
    if name == "max_binary" and not hasattr(torch, "maximum"):
        pytest.skip("engine.maximum (pointwise) not available yet")
    check_against_torch(fn, *arrays)


def test_max_dim_gradient_goes_to_the_returned_index_amax_splits():
    x = torch.tensor([3.0, 1.0, 3.0, 3.0], requires_grad=True)
    torch.max(x, 0).values.backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 0.0]
    x.grad = None
    torch.amax(x, 0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 0, 1 / 3, 1 / 3])
    x.grad = None
    torch.max(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 0, 1 / 3, 1 / 3])


@pytest.mark.parametrize("fn", [
    lambda x: x.max(1).values, lambda x: x.min(0, keepdim=True)[0], lambda x: x.amax((0, 1)),
    lambda x: x.amin(1), lambda x: x.max(), lambda x: torch.aminmax(x, dim=1).max,
    lambda x: torch.aminmax(x).min,
])
def test_gradcheck(fn):
    x = torch.tensor(R.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_return_types_behave_like_torch():
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    r = torch.max(x, 1)
    values, indices = r
    assert r.values is values and r.indices is indices and r[0] is values
    assert isinstance(r, tuple) and len(r) == 2
    assert type(r).__name__ == "max" and isinstance(r, torch.return_types.max)
    assert repr(r) == ("torch.return_types.max(\nvalues=tensor([3., 2.]),\nindices=tensor([1, 0]))")
    assert indices.dtype == torch.int64
    mm = torch.aminmax(x)
    assert mm.min.item() == 0.0 and mm.max.item() == 3.0
    assert repr(mm).startswith("torch.return_types.aminmax(\nmin=tensor(0.),\nmax=tensor(3.))")


@pytest.mark.parity
def test_repr_matches_torch():
    import torch as real

    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], np.float32)
    for fn in (lambda L, t: L.max(t, 1), lambda L, t: L.min(t, 0, keepdim=True), lambda L, t: L.aminmax(t),
               lambda L, t: L.cummax(t, 1)):
        assert repr(fn(torch, torch.tensor(a))) == repr(fn(real, real.tensor(a)))
    e = torch.tensor(a, requires_grad=True)
    t = real.tensor(a, requires_grad=True)
    assert repr(torch.max(e, 1)) == repr(real.max(t, 1))


def test_grad_fn_names_and_indices_not_differentiable():
    x = torch.ones(2, 3, requires_grad=True)
    assert x.max().grad_fn.name() == "MaxBackward1"
    assert x.min().grad_fn.name() == "MinBackward1"
    r = x.max(1)
    assert r.values.grad_fn.name() == "MaxBackward0" and r.indices.grad_fn is None
    assert not r.indices.requires_grad
    assert x.min(1).values.grad_fn.name() == "MinBackward0"
    assert x.amax(1).grad_fn.name() == "AmaxBackward0"
    assert x.amin(1).grad_fn.name() == "AminBackward0"
    assert torch.aminmax(x).max.grad_fn.name() == "AminmaxBackward0"


ERRORS = [
    (lambda L: L.max(L.tensor([])), RuntimeError),
    (lambda L: L.min(L.zeros(0, 3)), RuntimeError),
    (lambda L: L.max(L.zeros(0, 3), 0), IndexError),
    (lambda L: L.amax(L.zeros(0, 3), 0), IndexError),
    (lambda L: L.amax(L.zeros(2, 0), (0, 1)), IndexError),
    (lambda L: L.amin(L.tensor([])), RuntimeError),
    (lambda L: L.argmax(L.zeros(0, 3)), IndexError),
    (lambda L: L.argmin(L.zeros(0, 3), 0), IndexError),
    (lambda L: L.argmax(L.tensor([True, False])), RuntimeError),
    (lambda L: L.aminmax(L.tensor([])), RuntimeError),
    (lambda L: L.aminmax(L.zeros(0, 3), dim=0), IndexError),
    (lambda L: L.max(L.tensor([1, 2]), 1), IndexError),
    (lambda L: L.amax(L.ones(2, 3), (0, 0)), RuntimeError),
    (lambda L: L.max(L.ones(2, 3), (0, 1)), TypeError),
]


@pytest.mark.parity
@pytest.mark.parametrize("call,exc", ERRORS)
def test_errors_match_torch(call, exc):
    import torch as real

    with pytest.raises(exc) as theirs:
        call(real)
    with pytest.raises(exc) as ours:
        call(torch)
    if exc is TypeError:
        assert str(ours.value).split(":")[0] == str(theirs.value).split(":")[0]
    else:
        assert str(ours.value) == str(theirs.value)


def test_errors_without_torch():
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified for input.numel"):
        torch.max(torch.tensor([]))
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        torch.amax(torch.zeros(0, 3), 0)
