"""Random sampling, generators and seeding, in-place initialisers, and thread controls."""

import numpy as np
import pytest

import engine
from engine import threads


@pytest.fixture(autouse=True)
def _restore_rng():
    state = engine.get_rng_state()
    yield
    engine.set_rng_state(state)


_FROM_TO = "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"


def _np(t):
    return np.asarray(t.numpy())


# ------------------------------------------------------------------------------ seeding, state -------
def test_manual_seed_reproduces_every_sampler():
    def draw():
        return [engine.rand(3), engine.randn(2, 2), engine.randint(0, 10, (5,)), engine.randperm(6),
                engine.normal(0.0, 1.0, (3,)), engine.bernoulli(engine.full((4,), 0.5)),
                engine.multinomial(engine.tensor([1.0, 2.0, 3.0]), 2), engine.poisson(engine.ones(3)),
                engine.empty(3).uniform_(), engine.empty(3).exponential_()]

    g = engine.manual_seed(123)
    assert isinstance(g, engine.Generator) and engine.initial_seed() == 123
    first = draw()
    engine.manual_seed(123)
    second = draw()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and np.array_equal(_np(a), _np(b))
    engine.manual_seed(124)
    assert not np.array_equal(_np(engine.rand(8)), _np(first[0].new_zeros(8)))


def test_seed_values_like_torch():
    assert engine.manual_seed(-1).initial_seed() == 2**64 - 1
    assert engine.manual_seed(2**63).initial_seed() == 2**63
    assert engine.manual_seed(1.7).initial_seed() == 1
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        engine.manual_seed(2**64)
    s = engine.seed()
    assert isinstance(s, int) and engine.initial_seed() == s


def test_rng_state_round_trip():
    engine.manual_seed(0)
    state = engine.get_rng_state()
    assert state.dtype is engine.uint8 and state.ndim == 1
    a = engine.randn(5)
    engine.set_rng_state(state)
    assert np.array_equal(_np(a), _np(engine.randn(5)))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        engine.set_rng_state(engine.zeros(3))
    with pytest.raises(RuntimeError, match="GeneratorImplState of size"):
        engine.set_rng_state(engine.zeros(3, dtype=engine.uint8))


def test_generator_objects_are_independent():
    g1 = engine.Generator().manual_seed(7)
    g2 = engine.Generator(device="cpu")
    g2.manual_seed(7)
    assert g1.device == engine.device("cpu") and g1.initial_seed() == 7
    engine.manual_seed(99)
    a = engine.rand(4, generator=g1)
    engine.rand(100)  # the default generator does not disturb g2
    b = engine.rand(4, generator=g2)
    assert np.array_equal(_np(a), _np(b))
    state = g1.get_state()
    c = engine.randint(0, 100, (6,), generator=g1)
    g1.set_state(state)
    assert np.array_equal(_np(c), _np(engine.randint(0, 100, (6,), generator=g1)))
    assert isinstance(engine.Generator().seed(), int)
    with pytest.raises(TypeError, match="generator"):
        engine.rand(2, generator=3)


def test_fork_rng_restores_state():
    engine.manual_seed(5)
    expected = _np(engine.rand(3))
    engine.manual_seed(5)
    with engine.random.fork_rng():
        engine.rand(10)
    assert np.array_equal(_np(engine.rand(3)), expected)


# ----------------------------------------------------------------------------------- samplers -------
def test_rand_randn_shapes_dtypes_moments():
    engine.manual_seed(0)
    for args in [(2, 3), ((2, 3),), ([2, 3],), (engine.Size([2, 3]),)]:
        assert engine.rand(*args).shape == (2, 3)
    u = _np(engine.rand(20000))
    assert u.dtype == np.float32 and u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    z = _np(engine.randn(20000, dtype=engine.float64))
    assert z.dtype == np.float64 and abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    assert engine.rand(3, dtype=engine.float16).dtype is engine.float16
    c = _np(engine.randn(20000, dtype=engine.complex64))
    assert c.dtype == np.complex64 and abs(np.mean(np.abs(c) ** 2) - 1) < 0.05
    assert engine.rand(2, requires_grad=True).requires_grad
    assert engine.randn(0, 3).shape == (0, 3)


def test_rand_errors():
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        engine.rand(2, dtype=engine.int64)
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Long'"):
        engine.randn(2, dtype=engine.int64)
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[2, -1\]"):
        engine.rand(2, -1)


def test_randint_and_randperm():
    engine.manual_seed(1)
    r = _np(engine.randint(5, (1000,)))
    assert r.dtype == np.int64 and r.min() == 0 and r.max() == 4
    r2 = engine.randint(3, 5, (2, 2))
    assert r2.shape == (2, 2) and set(_np(r2).ravel()) <= {3, 4}
    assert engine.randint(5, (2,), dtype=engine.float32).dtype is engine.float32
    assert engine.randint(low=2, high=4, size=(3,)).shape == (3,)
    assert engine.randint(0, 2**62, (2,)).dtype is engine.int64
    p = engine.randperm(50)
    assert p.dtype is engine.int64 and sorted(p.tolist()) == list(range(50))
    assert engine.randperm(4, dtype=engine.float32).dtype is engine.float32
    with pytest.raises(RuntimeError, match=_FROM_TO):
        engine.randint(5, 3, (2,))
    with pytest.raises(TypeError, match="argument 'size' \\(position 2\\) must be tuple of ints, not int"):
        engine.randint(5, 2)
    with pytest.raises(TypeError, match="randint\\(\\) received an invalid combination of arguments"):
        engine.randint(5)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        engine.randint(0, 300, (2,), dtype=engine.uint8)
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[-1\]"):
        engine.randperm(-1)


def test_like_samplers():
    x = engine.zeros(2, 3, dtype=engine.float64)
    assert engine.rand_like(x).dtype is engine.float64 and engine.randn_like(x).shape == (2, 3)
    ri = engine.randint_like(x, 3, 5)
    assert ri.dtype is engine.float64 and set(_np(ri).ravel()) <= {3.0, 4.0}
    assert set(_np(engine.randint_like(x, 2)).ravel()) <= {0.0, 1.0}
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        engine.rand_like(engine.zeros(2, dtype=engine.int64))


def test_normal_overloads():
    engine.manual_seed(2)
    a = engine.normal(2.0, 3.0, (20000,))
    assert a.dtype is engine.float32 and abs(_np(a).mean() - 2) < 0.1 and abs(_np(a).std() - 3) < 0.1
    b = engine.normal(engine.full((20000,), 5.0), 1.0)
    assert abs(_np(b).mean() - 5) < 0.05
    c = engine.normal(1.0, engine.full((20000,), 2.0, dtype=engine.float64))
    assert c.dtype is engine.float64 and abs(_np(c).std() - 2) < 0.1
    d = engine.normal(engine.zeros(3, 1), engine.ones(2))
    assert d.shape == (3, 2)
    assert engine.normal(0.0, 1.0, size=(2,), dtype=engine.float64).dtype is engine.float64
    with pytest.raises(TypeError, match="normal\\(\\) received an invalid combination of arguments"):
        engine.normal(0.0, 1.0)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        engine.normal(engine.zeros(3), -engine.ones(3))
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        engine.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match=r"tensor a \(3\) must match the size of tensor b \(2\)"):
        engine.normal(engine.zeros(3), engine.ones(2))
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        engine.normal(engine.zeros(3, dtype=engine.int64), 1.0)


def test_normal_grad_fn_gives_zero_gradient():
    m = engine.zeros(3, requires_grad=True)
    out = engine.normal(m, 1.0)
    assert type(out.grad_fn).__name__ == "NormalBackward1"
    out.sum().backward()
    assert m.grad.tolist() == [0.0, 0.0, 0.0]


def test_bernoulli_and_poisson():
    engine.manual_seed(3)
    p = engine.full((20000,), 0.3)
    draws = _np(engine.bernoulli(p))
    assert draws.dtype == np.float32 and set(np.unique(draws)) <= {0.0, 1.0}
    assert abs(draws.mean() - 0.3) < 0.02
    assert engine.bernoulli(engine.tensor([0.0, 1.0])).tolist() == [0.0, 1.0]
    assert abs(_np(engine.bernoulli(engine.zeros(20000), 0.8)).mean() - 0.8) < 0.02
    assert abs(_np(p.bernoulli()).mean() - 0.3) < 0.02
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1 to be true"):
        engine.bernoulli(engine.tensor([0.0, 2.0]))
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"):
        engine.bernoulli(engine.tensor([0, 1]))
    lam = engine.full((20000,), 4.0)
    pois = _np(engine.poisson(lam))
    assert pois.dtype == np.float32 and abs(pois.mean() - 4) < 0.1 and np.all(pois == np.round(pois))
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
        engine.poisson(engine.tensor([1.0, -2.0]))
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        engine.poisson(engine.tensor([1, 2]))


def test_multinomial_with_and_without_replacement():
    engine.manual_seed(4)
    probs = engine.tensor([0.1, 0.0, 0.6, 0.3])
    draws = _np(engine.multinomial(probs, 20000, replacement=True))
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    freq = np.bincount(draws, minlength=4) / 20000
    assert freq[1] == 0 and np.allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.02)
    rows = engine.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 5.0]])
    assert engine.multinomial(rows, 4, True).tolist() == [[0] * 4, [2] * 4]
    no_rep = engine.multinomial(engine.tensor([1.0, 0.0, 1.0]), 3)
    assert sorted(no_rep.tolist()) == [0, 1, 2] and no_rep.tolist()[2] == 1  # zero-probability comes last
    batch = engine.multinomial(engine.ones(50, 10), 10)
    assert all(sorted(row) == list(range(10)) for row in batch.tolist())
    first = np.bincount(_np(engine.multinomial(engine.tensor([[1.0, 3.0]] * 4000), 1)).ravel(), minlength=2)
    assert abs(first[1] / 4000 - 0.75) < 0.03
    assert probs.multinomial(2).shape == (2,)


@pytest.mark.parametrize("args, msg", [
    ((engine.tensor([1.0, 2.0]), 3), r"n_sample > prob_dist.size\(-1\) samples without replacement"),
    ((engine.tensor([1.0, -2.0]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((engine.tensor([1.0, float("inf")]), 1), "probability tensor contains either `inf`, `nan`"),
    ((engine.tensor([0.0, 0.0]), 1), "invalid multinomial distribution \\(sum of probabilities <= 0\\)"),
    ((engine.tensor([1, 2]), 1), "multinomial only supports floating-point dtypes for input, got: Long"),
    ((engine.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
    ((engine.tensor([1.0, 2.0]), 0), "cannot sample n_sample <= 0 samples"),
])
def test_multinomial_errors(args, msg):
    with pytest.raises(RuntimeError, match=msg):
        engine.multinomial(*args)


# ------------------------------------------------------------------------------- in-place forms ------
def test_inplace_initialisers_ranges_and_moments():
    engine.manual_seed(6)
    x = engine.empty(20000)
    v = x._version_count
    u = _np(x.uniform_(-2, 3))
    assert x._version_count == v + 1
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.1
    n = _np(engine.empty(20000, dtype=engine.float64).normal_(1.0, 2.0))
    assert abs(n.mean() - 1) < 0.1 and abs(n.std() - 2) < 0.1
    e = _np(engine.empty(20000).exponential_(2.0))
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.03
    geo = _np(engine.empty(20000).geometric_(0.25))
    assert geo.min() >= 1 and abs(geo.mean() - 4) < 0.2 and np.all(geo == np.round(geo))
    ln = _np(engine.empty(20000, dtype=engine.float64).log_normal_(0.0, 0.5))
    assert ln.min() > 0 and abs(np.log(ln).std() - 0.5) < 0.03
    ca = _np(engine.empty(20001, dtype=engine.float64).cauchy_(1.0, 2.0))
    assert abs(np.median(ca) - 1) < 0.1
    b = _np(engine.empty(20000).bernoulli_(0.25))
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    bt = engine.zeros(3).bernoulli_(engine.tensor([0.0, 1.0, 1.0]))
    assert bt.tolist() == [0.0, 1.0, 1.0]
    assert set(_np(engine.zeros(100, dtype=engine.int64).bernoulli_(0.5)).tolist()) <= {0, 1}


def test_random_inplace_ranges():
    engine.manual_seed(7)
    r = _np(engine.zeros(2000).random_(0, 10))
    assert r.min() == 0 and r.max() == 9 and np.all(r == np.round(r))
    assert _np(engine.zeros(2000).random_(3)).max() <= 2
    assert _np(engine.zeros(2000, dtype=engine.int64).random_(-5, -2)).max() <= -3
    big = _np(engine.zeros(2000).random_())
    assert big.min() >= 0 and big.max() <= 2**24 and big.max() > 2**20
    u8 = _np(engine.zeros(2000, dtype=engine.uint8).random_())
    assert u8.max() > 200
    assert set(_np(engine.zeros(100, dtype=engine.bool).random_()).tolist()) == {False, True}
    with pytest.raises(RuntimeError, match=_FROM_TO):
        engine.zeros(3).random_(5, 3)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for int"):
        engine.zeros(2, dtype=engine.int32).random_(0, 2**40)
    with pytest.raises(RuntimeError, match="from is out of bounds for signed char"):
        engine.zeros(2, dtype=engine.int8).random_(-200, 2)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: engine.zeros(3).uniform_(1, 0), RuntimeError,
     "uniform_ expects to return a \\[from, to\\) range, but found from=1 > to=0"),
    (lambda: engine.zeros(3, dtype=engine.int64).uniform_(0, 1), NotImplementedError, "check_uniform_bounds"),
    (lambda: engine.zeros(3).normal_(0, -1), RuntimeError, "normal expects std >= 0.0, but found std -1"),
    (lambda: engine.zeros(3, dtype=engine.int64).normal_(), NotImplementedError, "normal_kernel_cpu"),
    (lambda: engine.zeros(3).bernoulli_(1.5), RuntimeError,
     r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"),
    (lambda: engine.zeros(3).exponential_(0), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda: engine.zeros(3).geometric_(0), RuntimeError,
     r"geometric_ expects p to be in \(0, 1\), but got p=0"),
    (lambda: engine.zeros(3).geometric_(1.5), RuntimeError, "but got p=1.5"),
    (lambda: engine.zeros(3).log_normal_(0, -1), RuntimeError,
     "log_normal_ expects std > 0.0, but found std=-1"),
])
def test_inplace_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_inplace_on_leaf_requiring_grad():
    w = engine.zeros(3, requires_grad=True)
    for fn in (lambda: w.normal_(), lambda: w.uniform_(), lambda: w.random_(0, 5), lambda: w.bernoulli_(),
               lambda: w.exponential_()):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an"):
            fn()
    with engine.no_grad():
        w.uniform_(-1, 1)  # how nn.init works
    assert w.requires_grad and w.grad_fn is None and np.all(np.abs(_np(w.detach())) <= 1)


def test_inplace_on_non_leaf_records_zero_gradient():
    a = engine.ones(3, requires_grad=True)
    b = a * 2
    b.normal_()
    assert type(b.grad_fn).__name__ == "NormalBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0]
    c = a * 2
    c.uniform_()
    assert type(c.grad_fn).__name__ == "UniformBackward0"


def test_inplace_generator_argument():
    g = engine.Generator().manual_seed(11)
    a = _np(engine.empty(5).normal_(generator=g))
    g.manual_seed(11)
    assert np.array_equal(a, _np(engine.empty(5).normal_(generator=g)))


# -------------------------------------------------------------------------------------- threads ------
def test_num_threads_round_trip():
    before = threads.get_num_threads()
    assert isinstance(before, int) and before >= 1
    try:
        threads.set_num_threads(1)
        assert threads.get_num_threads() == 1
        from threadpoolctl import threadpool_info

        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert all(n == 1 for n in blas)
    finally:
        threads.set_num_threads(before)
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        threads.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got float"):
        threads.set_num_threads(1.5)
    threads.set_num_interop_threads(2)
    assert threads.get_num_interop_threads() == 2
