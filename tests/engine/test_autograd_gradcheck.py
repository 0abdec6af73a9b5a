"""Numerical checks of the autograd core: gradcheck/gradgradcheck on composite expressions, broadcast
gradients, autograd.functional, and parity with PyTorch on random graphs with random upstream gradients.
"""

import numpy as np
import pytest

import engine as torch
from engine.testing import assert_close, check_against_torch


def _inputs(rng, *shapes):
    return tuple(torch.tensor(rng.standard_normal(s), dtype=torch.float64, requires_grad=True)
                 for s in shapes)


COMPOSITES = {
    "poly": (lambda a, b: (a * b + a / (b * b + 1.5) - a ** 3).sum(), [(3,), (3,)]),
    "neg_sub_mean": (lambda a, b: (-(a - b) * a).mean(), [(2, 3), (2, 3)]),
    "broadcast_outer": (lambda a, b: a * b - b / (a * a + 2), [(3, 1), (1, 4)]),
    "broadcast_lead": (lambda a, b: a * b + a, [(4,), (2, 3, 4)]),
    "reshape_transpose": (lambda a, b: a.reshape(3, 2).transpose(0, 1) * b, [(6,), (2, 3)]),
    "expand_permute": (lambda a, b: a.expand(2, 3, 4).permute(2, 0, 1) * b, [(3, 1), (4, 2, 3)]),
    "view_sum_dim": (lambda a, b: (a.view(2, 3) * b).sum(1) ** 2, [(6,), (3,)]),
    "mean_keepdim": (lambda a, b: a - a.mean(1, keepdim=True) * b, [(2, 3), (2, 1)]),
    "pow_tensor": (lambda a, b: (a * a + 1) ** (b * 0.5), [(3,), (3,)]),
    "rpow_rdiv": (lambda a, b: 2 ** a + 3 / (b * b + 1), [(3,), (3,)]),
    "two_outputs": (lambda a, b: (a * b, a + b * b), [(2,), (2,)]),
    "transpose_t": (lambda a, b: (a.t() * b).sum(0), [(3, 2), (2, 3)]),
    "scalar_zero_dim": (lambda a, b: a * b + b, [(), (3,)]),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_gradcheck_composites(name, rng):
    fn, shapes = COMPOSITES[name]
    assert torch.autograd.gradcheck(fn, _inputs(rng, *shapes))


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_gradgradcheck_composites(name, rng):
    fn, shapes = COMPOSITES[name]
    assert torch.autograd.gradgradcheck(fn, _inputs(rng, *shapes))


def test_gradcheck_detects_a_wrong_backward():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        torch.autograd.gradcheck(Wrong.apply, (x,))


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to require gradient"):
        torch.autograd.gradcheck(lambda a: a * 2, (torch.tensor([1.0], dtype=torch.float64),))


def test_gradcheck_warns_on_single_precision():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        torch.autograd.gradcheck(lambda a: a * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)


# ------------------------------------------------------------------------------ broadcast gradients ----
def test_broadcast_gradients_outer():
    x = torch.ones(3, 1, requires_grad=True)
    y = torch.ones(1, 4, requires_grad=True)
    m = torch.arange(12.0).reshape(3, 4)
    (x * y * m).sum().backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (1, 4)
    assert x.grad.tolist() == [[6.0], [22.0], [38.0]]
    assert y.grad.tolist() == [[12.0, 15.0, 18.0, 21.0]]


def test_broadcast_gradients_leading_dims():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = torch.ones(2, 3, 4, requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.shape == (4,) and x.grad.tolist() == [6.0] * 4
    assert y.grad.shape == (2, 3, 4)
    assert y.grad[1, 2].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_broadcast_with_python_scalar_and_zero_dim():
    s = torch.tensor(2.0, requires_grad=True)
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * s + 1).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 6.0
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parity
@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 1, 3), (4, 1)), ((), (2, 2))])
def test_broadcast_gradients_match_torch(shapes, rng):
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    check_against_torch(lambda lib, x, y: x * y - y / (x * x + 1), a, b)


# --------------------------------------------------------------------------- random graphs vs torch ----
def _random_graph(lib, x, y, z, seed):
    """A deterministic pseudo-random mix of the core primitives (same sequence for both libraries)."""
    r = np.random.default_rng(seed)
    vals = [x, y, z]
    for _ in range(8):
        a = vals[r.integers(len(vals))]
        b = vals[r.integers(len(vals))]
        op = r.integers(7)
        if op == 0:
            v = a + b
        elif op == 1:
            v = a * b
        elif op == 2:
            v = a - 0.5 * b
        elif op == 3:
            v = a / (b * b + 1.0)
        elif op == 4:
            v = (a * a + 0.5) ** 1.5
        elif op == 5:
            v = -a + a.mean()
        else:
            v = a.reshape(2, 3).t().reshape(3, 2).transpose(0, 1).reshape(2, 3) * b
        vals.append(v)
    return vals[-3:]


@pytest.mark.parity
@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_match_torch(seed):
    rng = np.random.default_rng(100 + seed)
    x, y, z = (rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3))
    check_against_torch(lambda lib, a, b, c: _random_graph(lib, a, b, c, seed), x, y, z, seed=seed,
                        rtol=1e-4, atol=1e-5)


@pytest.mark.parity
def test_mixed_precision_graph_matches_torch():
    import torch as real

    rng = np.random.default_rng(7)
    a = rng.standard_normal(3).astype(np.float32)
    b = rng.standard_normal(3)
    g = rng.standard_normal(3)
    results = []
    for lib in (torch, real):
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor(b, requires_grad=True)
        s = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        out = x * w + x * s
        out.backward(lib.tensor(g))
        results.append((out, x.grad, w.grad, s.grad))
    for ours, theirs in zip(*results):
        assert str(ours.dtype) == str(theirs.dtype)
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------- autograd.functional ---
def test_jacobian_single_input():
    x = torch.tensor([1.0, 2.0])
    j = torch.autograd.functional.jacobian(lambda a: a * a * torch.tensor([1.0, 3.0]), x)
    assert j.shape == (2, 2)
    assert j.tolist() == [[2.0, 0.0], [0.0, 12.0]]
    assert not x.requires_grad  # the input is not modified


def test_jacobian_several_inputs_and_outputs():
    x = torch.tensor([1.0, 2.0])
    y = torch.tensor([3.0])
    jx, jy = torch.autograd.functional.jacobian(lambda a, b: a * b, (x, y))
    assert jx.tolist() == [[3.0, 0.0], [0.0, 3.0]]
    assert jy.shape == (2, 1) and jy.tolist() == [[1.0], [2.0]]
    (ja,), (jb,) = torch.autograd.functional.jacobian(lambda a: (a * 2, a.sum()), (x,))
    assert ja.tolist() == [[2.0, 0.0], [0.0, 2.0]]
    assert jb.shape == (2,) and jb.tolist() == [1.0, 1.0]


def test_jacobian_of_unused_input_is_zero():
    x = torch.tensor([1.0, 2.0])
    y = torch.tensor([5.0])
    jx, jy = torch.autograd.functional.jacobian(lambda a, b: a * 2, (x, y))
    assert jy.tolist() == [[0.0], [0.0]]


def test_hessian():
    x = torch.tensor([1.0, 2.0])
    h = torch.autograd.functional.hessian(lambda a: (a * a * a).sum(), x)
    assert h.tolist() == [[6.0, 0.0], [0.0, 12.0]]
    h = torch.autograd.functional.hessian(lambda a: (a[0] * a[1] * a[1]), torch.tensor([2.0, 3.0]))
    assert h.tolist() == [[0.0, 6.0], [6.0, 4.0]]


def test_hessian_of_linear_function_is_zero():
    h = torch.autograd.functional.hessian(lambda a: (a * 3).sum(), torch.tensor([1.0, 2.0]))
    assert h.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parity
def test_jacobian_and_hessian_match_torch():
    import torch as real

    rng = np.random.default_rng(3)
    a = rng.standard_normal(3)
    fn = lambda lib, v: (v * v * v).sum() / (v * v + 1).sum()  # noqa: E731
    ours = torch.autograd.functional.hessian(lambda v: fn(torch, v), torch.tensor(a))
    theirs = real.autograd.functional.hessian(lambda v: fn(real, v), real.tensor(a))
    assert_close(ours, theirs, rtol=1e-10, atol=1e-12)
    ours = torch.autograd.functional.jacobian(lambda v: v * v.sum(), torch.tensor(a))
    theirs = real.autograd.functional.jacobian(lambda v: v * v.sum(), real.tensor(a))
    assert_close(ours, theirs)
