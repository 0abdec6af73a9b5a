"""engine.utils.checkpoint: recomputation gives the gradients of the direct computation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import nn
from engine.utils.checkpoint import checkpoint, checkpoint_sequential


class Affine(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(engine.randn(n, n) * 0.5)
        self.bias = nn.Parameter(engine.randn(n))

    def forward(self, x):
        return (x @ self.weight + self.bias).tanh()


def _dropout(x, p: float = 0.5):
    return x * (engine.rand(*x.shape) > p).to(x.dtype) / (1 - p)


def _grads(*tensors):
    return [t.grad.numpy().copy() for t in tensors]


def _clear(*tensors) -> None:
    for t in tensors:
        t.grad = None


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradients_equal_direct_run(use_reentrant: bool) -> None:
    engine.manual_seed(0)
    layer = Affine(4)
    x = engine.randn(3, 4, requires_grad=True)
    g = engine.randn(3, 4)

    def block(inp):
        return _dropout(layer(inp)).sin() * 2

    engine.manual_seed(1)
    direct = block(x)
    direct.backward(g)
    expected = _grads(x, layer.weight, layer.bias)
    _clear(x, layer.weight, layer.bias)
    engine.manual_seed(1)
    out = checkpoint(block, x, use_reentrant=use_reentrant)
    np.testing.assert_array_equal(out.detach().numpy(), direct.detach().numpy())
    engine.rand(5)  # the RNG moves on between forward and backward: the recomputation must not see it
    out.backward(g)
    for got, want in zip(_grads(x, layer.weight, layer.bias), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_non_reentrant_parameters_get_grads_without_input_grad() -> None:
    layer = Affine(3)
    x = engine.randn(2, 3)  # data: no grad
    out = checkpoint(layer, x, use_reentrant=False)
    assert out.requires_grad
    (w_grad,) = engine.autograd.grad(out.sum(), [layer.weight])  # works through autograd.grad too
    direct = engine.autograd.grad(layer(x).sum(), [layer.weight])[0]
    np.testing.assert_allclose(w_grad.numpy(), direct.numpy(), rtol=1e-6)
    assert layer.weight.grad is None


def test_captured_non_leaf_and_kwargs_and_tuple_outputs() -> None:
    w = engine.randn(3, requires_grad=True)
    x = engine.randn(3, requires_grad=True)
    w2 = w * 3  # captured non-leaf from outside the checkpoint

    def fn(a, *, scale):
        return a * w2 * scale, (a + 1).sum()

    out, total = checkpoint(fn, x, scale=2.0, use_reentrant=False)
    (out.sum() + total).backward()
    got = _grads(x, w)
    _clear(x, w)
    w2 = w * 3
    out, total = fn(x, scale=2.0)
    (out.sum() + total).backward()
    for a, b in zip(got, _grads(x, w)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_second_order_through_checkpoint() -> None:
    x = engine.tensor([0.5, 1.5], dtype=engine.float64, requires_grad=True)
    y = checkpoint(lambda a: (a ** 3).sum(), x, use_reentrant=False)
    (g,) = engine.autograd.grad(y, [x], create_graph=True)
    (gg,) = engine.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_warnings_and_no_grad() -> None:
    x = engine.randn(2, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, x)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        checkpoint(lambda a: a * 2, engine.randn(2), use_reentrant=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: k"):
        checkpoint(lambda a, k=1: a, x, k=2, use_reentrant=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with engine.no_grad():
            out = checkpoint(lambda a: a * 2, x, use_reentrant=False)
    assert not out.requires_grad


def test_checkpoint_sequential_matches_sequential() -> None:
    engine.manual_seed(3)
    model = nn.Sequential(Affine(4), Affine(4), Affine(4), Affine(4), Affine(4))
    x = engine.randn(2, 4, requires_grad=True)
    model(x).sum().backward()
    params = [x] + list(model.parameters())
    expected = _grads(*params)
    _clear(*params)
    out = checkpoint_sequential(model, 2, x, use_reentrant=False)
    np.testing.assert_allclose(out.detach().numpy(), model(x).detach().numpy(), rtol=1e-6)
    out.sum().backward()
    for a, b in zip(_grads(*params), expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
