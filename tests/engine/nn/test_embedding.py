"""nn embedding family: F.embedding (padding_idx, max_norm, scale_grad_by_freq), embedding_bag, one_hot,
Embedding / EmbeddingBag modules."""

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import assert_close, check_against_torch

rng = np.random.default_rng(2)
IDX = np.array([[0, 2, 4, 2], [1, 2, 0, 3]])


def w32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_parity(kwargs):
    check_against_torch(lambda L, w: L.nn.functional.embedding(L.tensor(IDX), w, **kwargs), w32(5, 3))
    check_against_torch(lambda L, w: L.nn.functional.embedding(L.tensor(IDX[0, 1]), w, **kwargs), w32(5, 3))
    check_against_torch(lambda L, w: L.nn.functional.embedding(L.tensor(IDX.astype(np.int32)), w, **kwargs),
                        w32(5, 3))


@pytest.mark.parity
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_embedding_max_norm_renormalises_rows_in_place(norm_type):
    import torch

    w = w32(6, 4) * 3
    we, wt = engine.tensor(w.copy()), torch.tensor(w.copy())
    oe = F.embedding(engine.tensor(IDX), we, max_norm=1.5, norm_type=norm_type)
    ot = torch.nn.functional.embedding(torch.tensor(IDX), wt, max_norm=1.5, norm_type=norm_type)
    assert_close(oe, ot)
    assert_close(we, wt)  # referenced rows rescaled in place, the others (row 5) untouched
    assert np.array_equal(we.numpy()[5], w[5]) and we._version[0] == 1


def test_embedding_gradients():
    w = engine.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx = engine.tensor(IDX)
    assert gradcheck(lambda t: F.embedding(idx, t), (w,))  # padding_idx's zero gradient is by design
    assert gradgradcheck(lambda t: F.embedding(idx, t, scale_grad_by_freq=True) ** 2, (w,))
    out = F.embedding(idx, w, padding_idx=2)
    assert out.grad_fn.name() == "EmbeddingBackward0"
    out.backward(engine.ones(2, 4, 3))
    assert w.grad.tolist()[2] == [0.0] * 3 and w.grad.tolist()[0] == [2.0] * 3


def test_embedding_errors():
    w = engine.randn(5, 3)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the "
                                           "following scalar types: Long, Int; but got torch.FloatTensor"):
        F.embedding(engine.tensor([0.0]), w)
    for bad in ([0, 5], [-1]):
        with pytest.raises(IndexError, match="index out of range in self"):
            F.embedding(engine.tensor(bad), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(engine.tensor([0]), w, padding_idx=5)
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F.embedding(engine.tensor([0]), w[0])


@pytest.mark.parity
def test_one_hot_parity_and_errors():
    import torch

    for args in [([0, 2, 1],), ([[0, 2], [1, 1]], 4), ([], 3), (2, 3)]:
        e = F.one_hot(engine.tensor(args[0], dtype=engine.int64), *args[1:])
        t = torch.nn.functional.one_hot(torch.tensor(args[0], dtype=torch.int64), *args[1:])
        assert e.dtype == engine.int64 and e.tolist() == t.tolist() and e.shape == t.shape
    cases = [(engine.tensor([0.0]), -1, "one_hot is only applicable to index tensor of type LongTensor."),
             (engine.tensor([], dtype=engine.int64), -1, "Can not infer total number of classes from empty"),
             (engine.tensor([-1, 2]), -1, "Class values must be non-negative."),
             (engine.tensor([0, 2]), 2, "Class values must be smaller than num_classes.")]
    for x, n, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            F.one_hot(x, n)


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_parity(mode):
    flat, offsets = np.array([0, 1, 2, 3, 4, 1]), np.array([0, 2, 2, 5])
    check_against_torch(lambda L, w: L.nn.functional.embedding_bag(L.tensor(flat), w, L.tensor(offsets),
                                                                    mode=mode), w32(6, 3))
    check_against_torch(lambda L, w: L.nn.functional.embedding_bag(L.tensor(IDX), w, mode=mode,
                                                                    padding_idx=2), w32(6, 3))
    if mode == "sum":
        check_against_torch(lambda L, w, p: L.nn.functional.embedding_bag(L.tensor(IDX), w, mode=mode,
                                                                           per_sample_weights=p),
                            w32(6, 3), w32(2, 4))
    check_against_torch(lambda L, w: L.nn.functional.embedding_bag(L.tensor(flat), w, L.tensor([0, 2, 6]),
                                                                    mode=mode, include_last_offset=True),
                        w32(6, 3))


def test_embedding_bag_errors():
    w = engine.randn(6, 3)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(engine.tensor([0, 1]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(engine.tensor([[0, 1]]), w, engine.tensor([0]))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(engine.tensor([[0, 1]]), w, mode="x")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(engine.tensor([[0, 1]]), w, mode="max", per_sample_weights=engine.ones(1, 2))


def test_embedding_module_init_padding_and_from_pretrained():
    engine.manual_seed(0)
    m = nn.Embedding(2000, 16, padding_idx=-1)
    w = m.weight.detach().numpy()
    assert m.padding_idx == 1999 and not w[1999].any()
    assert abs(w[:-1].mean()) < 0.02 and abs(w[:-1].std() - 1) < 0.02  # N(0, 1)
    pre = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    e = nn.Embedding.from_pretrained(pre)
    assert not e.weight.requires_grad and e(engine.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=0).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(engine.ones(3))
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding"):
        nn.Embedding(3, 2, _weight=engine.ones(2, 2))
    assert list(m.state_dict()) == ["weight"]
    assert repr(nn.Embedding(4, 2, sparse=True)) == "Embedding(4, 2, sparse=True)"


@pytest.mark.parity
@pytest.mark.parametrize("expr", ["Embedding(10, 3)", "Embedding(10, 3, padding_idx=1, max_norm=1.0)",
                                  "Embedding(10, 3, norm_type=1.0, scale_grad_by_freq=True)",
                                  "EmbeddingBag(10, 3)", "EmbeddingBag(10, 3, mode='sum', padding_idx=1)",
                                  "EmbeddingBag(10, 3, mode='max', max_norm=2.0)"])
def test_embedding_module_parity(expr):
    import torch

    tm, em = eval("lib.nn." + expr, {"lib": torch}), eval("nn." + expr)
    assert repr(em) == repr(tm)
    em.load_state_dict({k: engine.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    idx = rng.integers(0, 10, (4, 5))
    to, eo = tm(torch.tensor(idx)), em(engine.tensor(idx))
    assert_close(eo, to, rtol=1e-5)
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    to.backward(torch.tensor(g))
    eo.backward(engine.tensor(g))
    assert_close(em.weight.grad, tm.weight.grad, rtol=1e-4, atol=1e-5)
    assert_close(em.weight, tm.weight)
