"""nn.init: gains, fans, the random initialisers' distributions, the deterministic ones exactly."""

import math
import warnings

import numpy as np
import pytest

import engine
from engine.nn import init


@pytest.mark.parametrize("name,param,expected", [
    ("linear", None, 1), ("conv2d", None, 1), ("conv_transpose3d", None, 1), ("sigmoid", None, 1),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 1, 1.0), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)


def test_gain_and_fan_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    for bad in (True, "x"):
        with pytest.raises(ValueError, match=f"negative_slope {bad} not a valid number"):
            init.calculate_gain("leaky_relu", bad)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer"):
        init._calculate_fan_in_and_fan_out(engine.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan not supported, please use one of \['fan_in', 'fan_o"):
        init.kaiming_uniform_(engine.empty(3, 4), mode="fan")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(engine.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(engine.empty(8, 4, 3, 3)) == (36, 72)
    assert init._calculate_correct_fan(engine.empty(8, 4, 3), "FAN_OUT") == 24


def _stats(t):
    a = t.detach().numpy()
    return a.min(), a.max(), a.mean(), a.std()


def test_uniform_normal_constant():
    engine.manual_seed(0)
    t = engine.empty(300, 300)
    assert init.uniform_(t, -2, 3) is t
    lo, hi, mean, _ = _stats(t)
    assert lo >= -2 and hi < 3 and abs(mean - 0.5) < 0.02
    _, _, mean, std = _stats(init.normal_(t, 1.0, 0.5))
    assert abs(mean - 1) < 0.01 and abs(std - 0.5) < 0.01
    assert init.constant_(engine.empty(2, 2), 0.3).tolist() == [[pytest.approx(0.3)] * 2] * 2
    assert init.ones_(engine.empty(3)).tolist() == [1.0] * 3
    assert init.zeros_(engine.empty(3)).tolist() == [0.0] * 3
    assert init.constant_(engine.empty(2, dtype=engine.int64), 2.7).tolist() == [2, 2]


def test_initialisers_run_without_history_on_parameters():
    p = engine.nn.Parameter(engine.empty(4, 5))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_,
               init.trunc_normal_, init.ones_, init.eye_):
        out = fn(p)
        assert out is p and p.grad_fn is None and p.requires_grad and p.is_leaf


def test_xavier_and_kaiming_bounds_and_std():
    engine.manual_seed(1)
    t = engine.empty(200, 300)
    lo, hi, _, std = _stats(init.xavier_uniform_(t, gain=2.0))
    bound = 2.0 * math.sqrt(6 / 500)
    assert -bound <= lo and hi <= bound and abs(std - bound / math.sqrt(3)) < 0.01 * bound
    _, _, _, std = _stats(init.xavier_normal_(t))
    assert abs(std - math.sqrt(2 / 500)) < 0.02 * math.sqrt(2 / 500)
    lo, hi, _, std = _stats(init.kaiming_uniform_(t, a=math.sqrt(5)))
    assert max(-lo, hi) <= 1 / math.sqrt(300) and max(-lo, hi) > 0.99 / math.sqrt(300)
    _, _, _, std = _stats(init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"))
    assert abs(std - math.sqrt(2 / 200)) < 0.02 * math.sqrt(2 / 200)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(engine.empty(0, 3))


def test_trunc_normal():
    engine.manual_seed(2)
    t = init.trunc_normal_(engine.empty(200, 200), mean=1.0, std=2.0, a=-1.0, b=2.0)
    lo, hi, mean, _ = _stats(t)
    assert lo >= -1.0 and hi <= 2.0 and lo < -0.99 and hi > 1.99
    # the mean of N(1, 2) truncated to [-1, 2]
    al, be = (-1 - 1) / 2, (2 - 1) / 2
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    expected = 1 + 2 * (pdf(al) - pdf(be)) / (cdf(be) - cdf(al))
    assert abs(mean - expected) < 0.02
    with pytest.warns(UserWarning, match=r"mean is more than 2 std from \[a, b\] in nn.init.trunc_normal_"):
        init.trunc_normal_(engine.empty(3), mean=5)


def test_eye_and_dirac_exact():
    assert init.eye_(engine.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    d = init.dirac_(engine.empty(4, 2, 3), groups=2).numpy()
    expected = np.zeros((4, 2, 3), np.float32)
    expected[0, 0, 1] = expected[1, 1, 1] = expected[2, 0, 1] = expected[3, 1, 1] = 1
    assert np.array_equal(d, expected)
    w = init.dirac_(engine.empty(3, 3, 3, 3)).numpy()
    assert np.array_equal(w.sum((2, 3)), np.eye(3)) and w[1, 1, 1, 1] == 1
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(engine.empty(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(engine.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(engine.empty(3, 2, 3), groups=2)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (6, 2, 2)])
def test_orthogonal(shape):
    engine.manual_seed(3)
    q = init.orthogonal_(engine.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1).astype(np.float64)
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(engine.empty(3))
    assert init.orthogonal_(engine.empty(0, 3)).shape == (0, 3)


def test_sparse():
    engine.manual_seed(4)
    t = init.sparse_(engine.empty(10, 6), sparsity=0.3, std=0.5).numpy()
    assert ((t == 0).sum(0) >= 3).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(engine.empty(3), 0.1)


def test_generator_argument_reproduces():
    draws = []
    for _ in range(2):
        g = engine.Generator().manual_seed(11)
        t = engine.empty(5, 4)
        init.kaiming_uniform_(t, generator=g)
        u = init.normal_(engine.empty(3), generator=g)
        o = init.orthogonal_(engine.empty(3, 3), generator=g)
        draws.append(np.concatenate([t.numpy().ravel(), u.numpy(), o.numpy().ravel()]))
    assert np.array_equal(*draws)


def test_deprecated_aliases_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        init.uniform(engine.empty(2))
        init.xavier_normal(engine.empty(2, 2))
    assert [str(w.message) for w in caught] == [
        "`nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`.",
        "`nn.init.xavier_normal` is now deprecated in favor of `nn.init.xavier_normal_`."]
    assert all(w.category is FutureWarning for w in caught)
