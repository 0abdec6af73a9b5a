"""nn distances: pairwise_distance / cosine_similarity (functional + modules) vs torch, gradcheck."""

import numpy as np
import pytest

import engine as torch
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(0)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


CASES = [
    ("p2", lambda L, a, b: L.nn.functional.pairwise_distance(a, b), [f32(4, 5), f32(4, 5)]),
    ("p1_keepdim", lambda L, a, b: L.nn.functional.pairwise_distance(a, b, p=1, keepdim=True),
     [f32(4, 5), f32(4, 5)]),
    ("pinf", lambda L, a, b: L.nn.functional.pairwise_distance(a, b, p=float("inf")), [f32(4, 5), f32(4, 5)]),
    ("p3_eps", lambda L, a, b: L.nn.functional.pairwise_distance(a, b, p=3, eps=1e-3),
     [f32(4, 5), f32(4, 5)]),
    ("broadcast", lambda L, a, b: L.nn.functional.pairwise_distance(a, b, keepdim=True), [f32(3, 4), f32(4)]),
    ("1d", lambda L, a, b: L.nn.functional.pairwise_distance(a, b), [f32(5), f32(5)]),
    ("3d", lambda L, a, b: L.nn.functional.pairwise_distance(a, b), [f32(2, 3, 4), f32(2, 3, 4)]),
    ("equal_inputs", lambda L, a: L.nn.functional.pairwise_distance(a, a * 1.0), [f32(3, 4)]),
    ("cosine", lambda L, a, b: L.nn.functional.cosine_similarity(a, b), [f32(4, 5), f32(4, 5)]),
    ("cosine_dim0", lambda L, a, b: L.nn.functional.cosine_similarity(a, b, dim=0, eps=1e-6),
     [f32(4, 5), f32(4, 5)]),
    ("module_pairwise", lambda L, a, b: L.nn.PairwiseDistance(p=1.5, eps=1e-4, keepdim=True)(a, b),
     [f32(4, 5), f32(4, 5)]),
    ("module_cosine", lambda L, a, b: L.nn.CosineSimilarity(dim=-1)(a, b), [f32(4, 5), f32(4, 5)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_distance_parity(name, fn, arrays):
    check_against_torch(fn, *arrays, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, float("inf")])
def test_pairwise_distance_gradcheck(p):
    a = torch.tensor(R.standard_normal((3, 4)), requires_grad=True)
    b = torch.tensor(R.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y, p=p), (a, b))


def test_pairwise_distance_values_and_errors():
    d = F.pairwise_distance(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), eps=0.0)
    assert d.tolist() == [5.0]
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        F.pairwise_distance(torch.randn(3, 4), torch.randn(3, 5))
    assert F.cosine_similarity is torch.cosine_similarity


def test_modules():
    assert repr(nn.PairwiseDistance(1, 1e-3, True)) == "PairwiseDistance()"
    assert repr(nn.CosineSimilarity(0, 1e-6)) == "CosineSimilarity()"
    m = nn.PairwiseDistance(p=1, eps=0.0, keepdim=True)
    assert (m.norm, m.eps, m.keepdim) == (1, 0.0, True)
    assert m(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]])).tolist() == [[3.0]]
    c = nn.CosineSimilarity(dim=0)
    assert (c.dim, c.eps) == (0, 1e-8)
