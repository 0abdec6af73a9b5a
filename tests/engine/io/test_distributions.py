"""engine.distributions: parity with torch.distributions, sampling, gradients, validation messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import distributions as D
from engine.autograd import gradcheck, gradgradcheck
from engine.ops import special


def _torch():
    return pytest.importorskip("torch")


def _np(t) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b, rtol=1e-5, atol=1e-6) -> None:
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)
    assert tuple(a.shape) == tuple(b.shape)


# ------------------------------------------------------------------------------ special functions ---
def test_special_functions_match_torch() -> None:
    torch = _torch()
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-20, 20, 400), rng.uniform(1e-4, 5, 400), [0.5, 1, 2, 1e6, -2.5]])
    tx = torch.tensor(x)
    ex = engine.tensor(x)
    _close(special.lgamma(ex), torch.lgamma(tx), rtol=1e-12, atol=1e-12)
    _close(special.digamma(ex), torch.digamma(tx), rtol=1e-10, atol=1e-10)
    for n in (1, 2, 3):
        _close(special.polygamma(n, ex), torch.polygamma(n, tx), rtol=1e-8, atol=1e-12)  # torch: ~5e-10
    edge = [0.0, -1.0, math.inf, math.nan]
    assert special.lgamma(engine.tensor(edge)).tolist()[:3] == [math.inf, math.inf, math.inf]
    assert special.digamma(engine.tensor([0.0])).item() == -math.inf
    assert special.lgamma(engine.tensor([1, 2, 3])).dtype == engine.float32
    with pytest.raises(RuntimeError, match="does not support negative n"):
        special.polygamma(-1, ex)


def test_special_function_gradients() -> None:
    x = engine.tensor([0.3, 1.7, 4.2, -1.5], dtype=engine.float64, requires_grad=True)
    assert gradcheck(special.lgamma, (x,))
    assert gradcheck(special.digamma, (x,))
    assert gradcheck(lambda t: special.polygamma(2, t), (x,))
    assert gradgradcheck(special.lgamma, (x,))


# ----------------------------------------------------------------------------------------- parity ---
def _pair(name: str, *params, **kw):
    torch = _torch()
    conv = [engine.tensor(p) if isinstance(p, np.ndarray) else p for p in params]
    tconv = [torch.tensor(p) if isinstance(p, np.ndarray) else p for p in params]
    kconv = {k: engine.tensor(v) for k, v in kw.items()}
    tkconv = {k: torch.tensor(v) for k, v in kw.items()}
    return getattr(D, name)(*conv, **kconv), getattr(torch.distributions, name)(*tconv, **tkconv)


CASES = [
    ("Normal", (np.array([0.0, 1.0, -2.0]), np.array([1.0, 0.5, 3.0])), {}, np.array([0.3, -1.0, 5.0])),
    ("Normal", (0.5, 2.0), {}, np.array([[0.1], [2.0]])),
    ("Uniform", (np.array([0.0, -1.0]), np.array([1.0, 3.0])), {}, np.array([0.5, 2.0])),
    ("Bernoulli", (), {"probs": np.array([0.2, 0.7, 0.5])}, np.array([1.0, 0.0, 1.0])),
    ("Bernoulli", (), {"logits": np.array([-3.0, 0.0, 25.0])}, np.array([0.0, 1.0, 1.0])),
    ("Categorical", (), {"probs": np.array([[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]])}, np.array([2, 0])),
    ("Categorical", (), {"logits": np.array([1.0, -2.0, 0.5, 3.0])}, np.array([[3], [1]])),
    ("Beta", (np.array([0.5, 2.0, 5.0]), np.array([1.5, 2.0, 0.7])), {}, np.array([0.1, 0.5, 0.95])),
    ("Dirichlet", (np.array([[0.5, 2.0, 1.0], [3.0, 1.0, 1.0]]),), {}, np.array([0.2, 0.3, 0.5])),
]


@pytest.mark.parity
@pytest.mark.parametrize("name, params, kw, value", CASES, ids=[c[0] for c in CASES])
def test_log_prob_entropy_moments_match_torch(name, params, kw, value) -> None:
    torch = _torch()
    ours, theirs = _pair(name, *[p.astype(np.float32) if isinstance(p, np.ndarray) else p for p in params],
                         **{k: v.astype(np.float32) for k, v in kw.items()})
    v = value if name == "Categorical" else value.astype(np.float32)
    _close(ours.log_prob(engine.tensor(v)), theirs.log_prob(torch.tensor(v)), rtol=1e-4, atol=1e-5)
    _close(ours.entropy(), theirs.entropy(), rtol=1e-4, atol=1e-5)
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    for attr in ("mean", "variance", "stddev", "mode"):
        _close(getattr(ours, attr), getattr(theirs, attr), rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs)


@pytest.mark.parity
def test_log_prob_gradients_match_torch() -> None:
    torch = _torch()
    a, b, x = np.array([0.7, 2.0, 3.5]), np.array([1.5, 0.4, 2.0]), np.array([0.2, 0.6, 0.9])
    ea, eb = engine.tensor(a, requires_grad=True), engine.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    g = np.array([0.3, -1.2, 0.8])
    (D.Beta(ea, eb).log_prob(engine.tensor(x)) * engine.tensor(g)).sum().backward()
    (torch.distributions.Beta(ta, tb).log_prob(torch.tensor(x)) * torch.tensor(g)).sum().backward()
    _close(ea.grad, ta.grad, rtol=1e-8)
    _close(eb.grad, tb.grad, rtol=1e-8)
    ea.grad = eb.grad = None
    ta.grad = tb.grad = None
    D.Beta(ea, eb).entropy().sum().backward()
    torch.distributions.Beta(ta, tb).entropy().sum().backward()
    _close(ea.grad, ta.grad, rtol=1e-8)
    logits = np.array([[0.1, -1.0, 2.0], [0.0, 0.5, 0.5]])
    el, tl = engine.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ours = D.Categorical(logits=el)
    (ours.entropy() + ours.log_prob(engine.tensor([2, 1]))).sum().backward()
    (torch.distributions.Categorical(logits=tl).entropy()
     + torch.distributions.Categorical(logits=tl).log_prob(torch.tensor([2, 1]))).sum().backward()
    _close(el.grad, tl.grad, rtol=1e-8)


def test_kl_divergence_matches_torch() -> None:
    torch = _torch()
    p, tp = _pair("Normal", np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    q, tq = _pair("Normal", np.array([0.5, -1.0]), np.array([0.5, 1.0]))
    _close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-10)
    p, tp = _pair("Categorical", probs=np.array([0.2, 0.3, 0.5]))
    q, tq = _pair("Categorical", logits=np.array([0.0, 1.0, -1.0]))
    _close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-10)
    p, tp = _pair("Bernoulli", probs=np.array([0.2, 0.9]))
    q, tq = _pair("Bernoulli", probs=np.array([0.5, 0.1]))
    _close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-10)
    p, tp = _pair("Beta", np.array([2.0]), np.array([3.0]))
    q, tq = _pair("Beta", np.array([1.0]), np.array([0.5]))
    _close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(p, D.Normal(0.0, 1.0))


# ------------------------------------------------------------------------------------- sampling ---
def test_sample_shapes_dtypes_and_moments() -> None:
    engine.manual_seed(0)
    n = D.Normal(engine.tensor([0.0, 3.0]), engine.tensor([1.0, 0.5]))
    s = n.sample((20000,))
    assert s.shape == (20000, 2) and s.dtype == engine.float32 and not s.requires_grad
    np.testing.assert_allclose(s.mean(0).numpy(), [0.0, 3.0], atol=0.03)
    np.testing.assert_allclose(s.std(0).numpy(), [1.0, 0.5], atol=0.03)
    u = D.Uniform(-1.0, 3.0).sample((5000,))
    assert u.shape == (5000,) and float(u.min()) >= -1.0 and float(u.max()) < 3.0
    b = D.Bernoulli(engine.tensor([0.1, 0.8])).sample((10000,))
    assert set(np.unique(b.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0).numpy(), [0.1, 0.8], atol=0.02)
    c = D.Categorical(engine.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])).sample((3, 4000))
    assert c.shape == (3, 4000, 2) and c.dtype == engine.int64
    freq = np.bincount(c[..., 0].numpy().ravel(), minlength=3) / 12000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.02)
    assert int(c[..., 1].max()) <= 1
    beta = D.Beta(engine.tensor([2.0, 0.5]), engine.tensor([5.0, 0.5]))
    bs = beta.sample((20000,))
    assert bs.shape == (20000, 2) and float(bs.min()) >= 0 and float(bs.max()) <= 1
    np.testing.assert_allclose(bs.mean(0).numpy(), beta.mean.numpy(), atol=0.01)
    np.testing.assert_allclose(bs.var(0).numpy(), beta.variance.numpy(), atol=0.01)


@pytest.mark.parametrize("make", [lambda: D.Normal(0.0, 1.0), lambda: D.Uniform(0.0, 2.0),
                                  lambda: D.Bernoulli(0.3), lambda: D.Categorical(engine.ones(4)),
                                  lambda: D.Beta(2.0, 3.0)])
def test_manual_seed_reproduces_samples(make) -> None:
    engine.manual_seed(123)
    first = make().sample((7,))
    engine.manual_seed(123)
    second = make().sample((7,))
    assert first.tolist() == second.tolist()


def test_rsample_gradients_are_reparameterised() -> None:
    loc = engine.tensor([0.5, -1.0], requires_grad=True)
    scale = engine.tensor([2.0, 0.5], requires_grad=True)
    engine.manual_seed(5)
    x = D.Normal(loc, scale).rsample((3,))
    engine.manual_seed(5)
    eps = engine.randn(3, 2)
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-6)
    low = engine.tensor(1.0, requires_grad=True)
    high = engine.tensor(4.0, requires_grad=True)
    engine.manual_seed(9)
    y = D.Uniform(low, high).rsample((4,))
    engine.manual_seed(9)
    u = engine.rand(4)
    y.sum().backward()
    np.testing.assert_allclose(float(high.grad), float(u.sum()), rtol=1e-6)
    np.testing.assert_allclose(float(low.grad), float((1 - u).sum()), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="reparameterised"):
        D.Beta(2.0, 3.0).rsample()


# ----------------------------------------------------------------------------------- validation ---
def test_validation_errors_and_switch() -> None:
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(\)\) of distribution "
                                         r"Normal\(loc: 0.0, scale: -1.0\) to satisfy the constraint "
                                         r"GreaterThan\(lower_bound=0.0\)"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli()
    with pytest.raises(ValueError, match="must be at least one-dimensional"):
        D.Categorical(engine.tensor(1.0))
    with pytest.raises(ValueError, match="within the support"):
        D.Bernoulli(0.3).log_prob(engine.tensor([0.5]))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    D.Normal(0.0, -1.0, validate_args=False)
    D.Distribution.set_default_validate_args(False)
    try:
        D.Uniform(2.0, 1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="LessThan"):
        D.Uniform(2.0, 1.0)


def test_expand_and_enumerate_support() -> None:
    n = D.Normal(engine.tensor(0.0), engine.tensor(1.0)).expand((3, 2))
    assert n.batch_shape == (3, 2) and n.sample().shape == (3, 2)
    c = D.Categorical(logits=engine.zeros(4)).expand((2,))
    assert c.batch_shape == (2,) and c.log_prob(engine.tensor([1, 3])).shape == (2,)
    assert D.Bernoulli(engine.tensor([0.3, 0.4])).enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert D.Categorical(engine.ones(3)).enumerate_support().tolist() == [0, 1, 2]
