"""nn.utils.weight_norm / remove_weight_norm: g and v parameters, the norm per dim, gradients, errors."""

import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.nn.utils import remove_weight_norm, weight_norm


def toy(lib, weight):
    class Toy(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(weight))

        def forward(self, x):
            return x @ self.weight.reshape(self.weight.shape[0], -1).t()

    return Toy()


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


def close(e, t, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


def test_structure_and_warning():
    w = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    with pytest.warns(FutureWarning, match=r"^`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           r"`torch.nn.utils.parametrizations.weight_norm`.$"):
        m = weight_norm(toy(engine, w))
    shapes = [(k, tuple(p.shape)) for k, p in m.named_parameters()]
    assert shapes == [("weight_g", (3, 1)), ("weight_v", (3, 4))]
    expected_g = np.linalg.norm(w, axis=1, keepdims=True)
    np.testing.assert_allclose(m.weight_g.detach().numpy(), expected_g, rtol=1e-6)
    # the weight is recomputed right away (a non-leaf tensor, equal to the original weight)
    assert m.weight.grad_fn is not None and "weight" not in m._parameters
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)
    assert list(m.state_dict()) == ["weight_g", "weight_v"]


@pytest.mark.parity
@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((3, 4), None), ((2, 3, 2, 2), 0),
                                       ((2, 3, 2, 2), 1), ((2, 3, 2, 2), -2), ((2, 3, 2, 2), 3),
                                       ((2, 3, 2, 2), -1), ((2, 3, 2, 2), -4), ((5,), 0)])
def test_parity_with_torch(shape, dim):
    import torch

    rng = np.random.default_rng(len(shape) * 10 + (dim or 0))
    w = rng.standard_normal(shape).astype(np.float32)
    tm = quiet(torch.nn.utils.weight_norm, toy(torch, w), dim=dim)
    em = quiet(weight_norm, toy(engine, w), dim=dim)
    assert em.weight_g.shape == tm.weight_g.shape
    close(em.weight_g, tm.weight_g)
    fan_in = int(np.prod(shape[1:]))
    for _ in range(2):
        x = rng.standard_normal((3, fan_in)).astype(np.float32)
        g = rng.standard_normal((3, shape[0])).astype(np.float32)
        for p in (*tm.parameters(), *em.parameters()):
            p.grad = None
        to, eo = tm(torch.tensor(x)), em(engine.tensor(x))
        close(eo, to)
        to.backward(torch.tensor(g))
        eo.backward(engine.tensor(g))
        close(em.weight_g.grad, tm.weight_g.grad, atol=1e-5)
        close(em.weight_v.grad, tm.weight_v.grad, atol=1e-5)
        with torch.no_grad():
            tm.weight_g.mul_(1.5)
        with engine.no_grad():
            em.weight_g.mul_(1.5)
    quiet(torch.nn.utils.remove_weight_norm, tm)
    assert remove_weight_norm(em) is em
    assert isinstance(em.weight, nn.Parameter) and [k for k, _ in em.named_parameters()] == ["weight"]
    close(em.weight, tm.weight)


def test_gradcheck_double():
    rng = np.random.default_rng(0)
    v = engine.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    g = engine.tensor(rng.standard_normal((3, 1)), requires_grad=True)
    from engine.nn.utils.weight_norm import _weight_norm

    assert engine.autograd.gradcheck(lambda a, b: _weight_norm(a, b, 0), (v, g))


def test_errors():
    m = quiet(weight_norm, toy(engine, np.ones((2, 2), np.float32)))
    with pytest.raises(RuntimeError, match="^Cannot register two weight_norm hooks on the same parameter "
                                           "weight$"):
        quiet(weight_norm, m)
    with pytest.raises(ValueError, match=r"^weight_norm of 'bias' not found in Toy\(\)$"):
        remove_weight_norm(m, "bias")
    remove_weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        remove_weight_norm(m)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                                         r"but got 2\)"):
        quiet(weight_norm, toy(engine, np.ones((2, 2), np.float32)), dim=2)
    with pytest.raises(AttributeError):
        quiet(weight_norm, toy(engine, np.ones((2, 2), np.float32)), name="nope")


def test_optimizer_step_changes_weight_through_hook():
    m = quiet(weight_norm, toy(engine, np.ones((2, 3), np.float32)))
    m(engine.ones(1, 3)).sum().backward()
    with engine.no_grad():
        m.weight_g.add_(1.0)
    out = m(engine.ones(1, 3))
    expected = np.full((1, 2), (np.sqrt(3) + 1) * np.sqrt(3))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5)


@pytest.mark.parity
def test_with_real_layers():
    import torch

    for cls_name, args, x_shape in [("Linear", (4, 3), (2, 4)), ("Conv2d", (2, 3, 3), (1, 2, 5, 5))]:
        if not hasattr(nn, cls_name):
            pytest.skip(f"engine.nn.{cls_name} does not exist yet")
        tl, el = getattr(torch.nn, cls_name)(*args), getattr(nn, cls_name)(*args)
        with engine.no_grad():
            el.weight.copy_(engine.tensor(tl.weight.detach().numpy()))
            el.bias.copy_(engine.tensor(tl.bias.detach().numpy()))
        quiet(torch.nn.utils.weight_norm, tl)
        quiet(weight_norm, el)
        x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
        to, eo = tl(torch.tensor(x)), el(engine.tensor(x))
        close(eo, to, atol=1e-5)
        g = np.random.default_rng(1).standard_normal(to.shape).astype(np.float32)
        to.backward(torch.tensor(g))
        eo.backward(engine.tensor(g))
        close(el.weight_g.grad, tl.weight_g.grad, atol=1e-4)
        close(el.weight_v.grad, tl.weight_v.grad, atol=1e-4)
