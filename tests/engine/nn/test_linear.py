"""nn linear family: F.linear (fused GEMM primitive), F.bilinear, Identity, Linear, Bilinear, (Un)Flatten."""

import math

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import assert_close, check_against_torch

rng = np.random.default_rng(0)


def t64(*shape):
    return engine.tensor(rng.standard_normal(shape), requires_grad=True)


def arr(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def module_parity(make, *inputs, train=True, rtol=1e-4, atol=1e-5):
    """Load torch's state_dict into the engine module; compare repr, outputs, input and parameter grads."""
    import torch

    tm, em = make(torch), make(engine)
    assert repr(em) == repr(tm)
    em.load_state_dict({k: engine.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.train(train)
    em.train(train)
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    e_in = [engine.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    to, eo = tm(*t_in), em(*e_in)
    assert_close(eo, to, rtol=rtol, atol=atol)
    g = rng.standard_normal(tuple(to.shape)).astype(to.detach().numpy().dtype)
    to.backward(torch.tensor(g))
    eo.backward(engine.tensor(g))
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            assert_close(e.grad, t.grad, rtol=rtol, atol=atol)
    tp = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, tp[name].grad, rtol=rtol, atol=atol, msg=name + ": ")
    return em, tm


# ------------------------------------------------------------------------------------------- F.linear ---
@pytest.mark.parametrize("xshape", [(5, 3), (2, 4, 3), (3,), (2, 0, 3), (2, 1, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(xshape, bias):
    x, w = t64(*xshape), t64(4, 3)
    inputs = (x, w, t64(4)) if bias else (x, w)
    assert gradcheck(lambda *a: F.linear(*a), inputs)
    assert gradgradcheck(lambda *a: F.linear(*a), inputs)


@pytest.mark.parity
@pytest.mark.parametrize("xshape", [(5, 3), (2, 4, 3), (3,), (2, 0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(xshape, bias):
    arrays = [arr(*xshape), arr(4, 3)] + ([arr(4)] if bias else [])
    check_against_torch(lambda L, *a: L.nn.functional.linear(*a), *arrays)


@pytest.mark.parity
def test_linear_noncontiguous_and_broadcast_bias_parity():
    check_against_torch(lambda L, x, w, b: L.nn.functional.linear(x.transpose(0, 1), w, b),
                        arr(4, 2, 3), arr(5, 3), arr(5))
    check_against_torch(lambda L, x, w, b: L.nn.functional.linear(x, w.t(), b), arr(2, 3), arr(3, 5), arr(1))
    check_against_torch(lambda L, x, w, b: L.nn.functional.linear(x, w, b), arr(2, 3), arr(5, 3), arr(2, 5))
    check_against_torch(lambda L, x, w, b: L.nn.functional.linear(x, w, b),
                        arr(4, 2, 3), arr(5, 3), arr(2, 5))
    check_against_torch(lambda L, x, w: L.nn.functional.linear(x, w), arr(4, 2, 3), arr(3))


@pytest.mark.parity
def test_linear_grad_fn_names_like_torch():
    import torch

    def names(lib):
        w, b = lib.randn(4, 3, requires_grad=True), lib.randn(4, requires_grad=True)
        fns = [lib.nn.functional.linear(lib.randn(*s), w, bb).grad_fn
               for s in [(2, 3), (3,), (5, 2, 3)] for bb in (b, None)]
        return [type(f).__name__ if lib is torch else f.name() for f in fns]

    assert names(engine) == names(torch)


def test_linear_errors():
    w, b = engine.randn(4, 3), engine.randn(4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x5 and 3x4\)"):
        F.linear(engine.randn(2, 5), w, b)
    with pytest.raises(RuntimeError, match=r"\(10x5 and 3x4\)"):
        F.linear(engine.randn(5, 2, 5), w, b)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Fl"):
        F.linear(engine.randn(2, 3).double(), w, b)
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Fl"):
        F.linear(engine.randn(2, 3), w, b.double())
    with pytest.raises(RuntimeError, match="arguments to linear need to be at least 1D, but they are 0D"):
        F.linear(engine.tensor(1.0), w, b)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing "
                                           r"size \(3\) at non-singleton dimension 1.  Target sizes: "
                                           r"\[10, 4\]"):
        F.linear(engine.randn(5, 2, 3), w, engine.randn(3))
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        F.linear(engine.randn(2, 3), engine.randn(2, 4, 3))


def test_linear_int_and_saved_weight_modified():
    x = engine.ones(2, 3, dtype=engine.int64)
    assert F.linear(x, engine.ones(4, 3, dtype=engine.int64)).tolist() == [[3] * 4] * 2
    w = engine.randn(4, 3, requires_grad=True)
    y = F.linear(engine.randn(2, 3), w)
    with engine.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_linear_backward_accumulates_with_upstream_gradient():
    x, w, b = t64(6, 3), t64(4, 3), t64(4)
    g = engine.tensor(rng.standard_normal((6, 4)))
    F.linear(x, w, b).backward(g)
    xn, wn, gn = x.detach().numpy(), w.detach().numpy(), g.numpy()
    np.testing.assert_allclose(x.grad.numpy(), gn @ wn)
    np.testing.assert_allclose(w.grad.numpy(), gn.T @ xn)
    np.testing.assert_allclose(b.grad.numpy(), gn.sum(0))


# ----------------------------------------------------------------------------------------- F.bilinear ---
def test_bilinear_gradcheck():
    assert gradcheck(F.bilinear, (t64(3, 2), t64(3, 4), t64(5, 2, 4), t64(5)))
    assert gradgradcheck(F.bilinear, (t64(2, 2), t64(2, 3), t64(2, 2, 3)))


@pytest.mark.parity
@pytest.mark.parametrize("lead", [(3,), (2, 3), ()])
def test_bilinear_parity(lead):
    check_against_torch(lambda L, a, b, w, c: L.nn.functional.bilinear(a, b, w, c),
                        arr(*lead, 2), arr(*lead, 4), arr(5, 2, 4), arr(5))


def test_bilinear_errors():
    w = engine.randn(5, 3, 4)
    cases = [((engine.randn(2, 3), engine.randn(3, 4), w),
              "input batch dimensions do not match at dim 0: got 2 and 3"),
             ((engine.randn(2, 4), engine.randn(2, 4), w),
              "input1 size does not match weight size: got 4 but expected 3"),
             ((engine.randn(2, 3), engine.randn(2, 5), w),
              "input2 size does not match weight size: got 5 but expected 4"),
             ((engine.randn(2, 3), engine.randn(2, 1, 4), w), "input dimensions do not match: got 2 and 3"),
             ((engine.randn(2, 3), engine.randn(2, 4), w, engine.randn(4)), "bias size does not match weight "
                                                                            "size: got 4 but expected 5")]
    for args, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            F.bilinear(*args)
    with pytest.raises(RuntimeError, match="All tensors must have the same dtype, got input1: double, "
                                           "input2: float, weight: float"):
        F.bilinear(engine.randn(2, 3).double(), engine.randn(2, 4), w)


# ------------------------------------------------------------------------------------------- modules ---
@pytest.mark.parity
@pytest.mark.parametrize("bias", [True, False])
def test_linear_module_parity(bias):
    module_parity(lambda L: L.nn.Linear(6, 4, bias=bias), arr(5, 6))
    module_parity(lambda L: L.nn.Linear(6, 4, bias=bias), arr(2, 5, 6))


@pytest.mark.parity
def test_bilinear_module_parity():
    module_parity(lambda L: L.nn.Bilinear(3, 2, 4), arr(5, 3), arr(5, 2))
    module_parity(lambda L: L.nn.Bilinear(3, 2, 4, bias=False), arr(5, 3), arr(5, 2))


def test_linear_default_init_and_attributes():
    engine.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = m.weight.detach().numpy()
    assert w.shape == (300, 400) and m.bias.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert m.in_features == 400 and m.out_features == 300 and m.weight.requires_grad
    assert nn.Linear(3, 4, dtype=engine.float64).weight.dtype == engine.float64
    assert nn.Linear(3, 4, bias=False).bias is None
    assert list(nn.Linear(3, 4).state_dict()) == ["weight", "bias"]
    b = nn.Bilinear(4, 100, 50)
    assert np.abs(b.weight.detach().numpy()).max() <= 0.5 and np.abs(b.weight.detach().numpy()).max() > 0.45
    assert repr(nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"


def test_linear_module_seeded_init_reproducible():
    engine.manual_seed(3)
    a = nn.Linear(5, 2).weight.detach().numpy()
    engine.manual_seed(3)
    assert np.array_equal(a, nn.Linear(5, 2).weight.detach().numpy())


def test_identity_flatten_unflatten():
    x = engine.randn(2, 3, 4)
    ident = nn.Identity(54, unused="x")
    assert ident(x) is x and repr(ident) == "Identity()"
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 4)
    assert nn.Unflatten(2, [2, -1])(x).shape == (2, 3, 2, 2)
    assert repr(nn.Unflatten(1, [2, 5])) == "Unflatten(dim=1, unflattened_size=[2, 5])"
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 5)
    with pytest.raises(TypeError, match="but found element of type float at pos 0"):
        nn.Unflatten(1, (2.0, 5))
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 5\] don't multiply up to the "
                                           r"size of dim 1 \(3\)"):
        nn.Unflatten(1, (2, 5))(x)
    y = engine.randn(2, 3, requires_grad=True)
    nn.Flatten(0)(y).sum().backward()
    assert y.grad.tolist() == [[1.0] * 3] * 2


@pytest.mark.parity
def test_flatten_unflatten_repr_parity():
    torch = pytest.importorskip("torch")
    for expr in ["Flatten()", "Flatten(0, 2)", "Unflatten(1, (2, 5))", "Identity()",
                 "Linear(3, 4, bias=False)", "Bilinear(2, 3, 4)"]:
        assert repr(eval("nn." + expr)) == repr(eval("lib.nn." + expr, {"lib": torch}))
