"""gather / scatter / scatter_add / scatter_reduce and index_select / index_add / index_copy / index_fill.

Hard-coded expected values (the study notes' examples) were produced by PyTorch 2.13; parity tests compare
forward and backward (random upstream gradients) with torch directly.
"""

import re

import numpy as np
import pytest

import engine as torch
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)


def raises(exc, fragment: str):
    return pytest.raises(exc, match=re.escape(fragment))


def _f64(shape, seed=0):
    return torch.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=torch.float64,
                        requires_grad=True)


# ------------------------------------------------------------------------------- the notes' examples --
def test_notes_scatter_dim0():
    src = torch.arange(1, 11).reshape((2, 5))
    index = torch.tensor([[0,1,2,0]])
    opt=torch.zeros(3, 5, dtype=src.dtype).scatter_(0, index, src)
    assert opt.dtype == torch.int64
    assert opt.tolist() == [[1, 0, 0, 4, 0], [0, 2, 0, 0, 0], [0, 0, 3, 0, 0]]


def test_notes_scatter_dim1():
    src = torch.arange(1, 11).reshape((2, 5))
    index = torch.tensor([[3, 1, 2, 4]])
    opt=torch.zeros(3, 5, dtype=src.dtype).scatter_(1, index, src)
    assert opt.tolist() == [[0, 2, 3, 1, 4], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]


def test_notes_scatter_examples_with_values():
    x = torch.tensor([[0.3992, 0.2908, 0.9044, 0.4850, 0.6004],
                      [0.5735, 0.9006, 0.6797, 0.4152, 0.1732]])
    out = torch.zeros(3, 5).scatter_(0, torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]]), x)
    expected = [[0.3992, 0.9006, 0.6797, 0.4850, 0.6004],
                [0.0000, 0.2908, 0.0000, 0.4152, 0.0000],
                [0.5735, 0.0000, 0.9044, 0.0000, 0.1732]]
    assert np.allclose(out.numpy(), expected)
    z = torch.zeros(2, 4).scatter_(1, torch.tensor([[2], [3]]), 1.23)
    assert np.allclose(z.numpy(), [[0, 0, 1.23, 0], [0, 0, 0, 1.23]])
    assert repr(z) == ("tensor([[0.0000, 0.0000, 1.2300, 0.0000],\n"
                       "        [0.0000, 0.0000, 0.0000, 1.2300]])")


def test_notes_gather_examples():
    # gather "looks up values in t at the given coordinates": out[i][j][k] = input[i][index[i][j][k]][k]
    t = torch.tensor([[1, 2], [3, 4]])
    assert torch.gather(t, 1, torch.tensor([[0, 0], [1, 0]])).tolist() == [[1, 1], [4, 3]]
    a = torch.arange(24).reshape(2, 3, 4)
    index = torch.tensor([[[2, 0, 1, 1]], [[0, 0, 2, 1]]])
    out = torch.gather(a, 1, index)
    assert out.tolist() == [[[8, 1, 6, 7]], [[12, 13, 22, 19]]]
    for i, j, k in np.ndindex(*index.shape):
        assert out[i][j][k].item() == a[i][index[i][j][k]][k].item()


# ------------------------------------------------------------------------------------------- gather --
@pytest.mark.parity
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather_matches_torch(dim):
    idx = RNG.integers(0, 3, (2, 3, 4))  # smaller than the input, repeated indices
    check_against_torch(lambda lib, x, i: lib.gather(x, dim, i), X, idx)
    check_against_torch(lambda lib, x, i: x.transpose(0, 2).gather(dim, i[:, :, :3].transpose(0, 2)), X, idx)


@pytest.mark.parity
def test_gather_edge_cases_match_torch():
    check_against_torch(lambda lib, x, i: x.gather(1, i), X, np.zeros((3, 0, 5), np.int64))
    check_against_torch(lambda lib, x, i: x.gather(0, i.int()), X[:, 0, 0], np.array([2, 2, 0]))
    check_against_torch(lambda lib, x, i: x.gather(0, i), np.array(3.0, np.float32), np.array(0))
    check_against_torch(lambda lib, x, i: x.gather(1, i), np.arange(12).reshape(3, 4) > 5, np.array([[3, 0]]))
    check_against_torch(lambda lib, x, i: x.take_along_dim(i, 1), np.array([[1.0, np.nan, np.inf]]),
                        np.array([[2, 1, 1]]))


def test_gather_backward_accumulates_and_is_twice_differentiable():
    x = torch.zeros(2, 3, requires_grad=True)
    x.gather(1, torch.tensor([[0, 0, 2], [1, 1, 1]])).sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0, 1.0], [0.0, 3.0, 0.0]]
    assert x.gather(1, torch.tensor([[0]])).grad_fn.name() == "GatherBackward0"
    idx = torch.tensor([[0, 2, 2, 1], [1, 0, 0, 0]])
    assert gradcheck(lambda a: a.gather(1, idx), (_f64((2, 3)),))
    assert gradgradcheck(lambda a: a.gather(1, idx), (_f64((2, 3)),))


def test_gather_errors():
    x = torch.zeros(2, 3, 4)
    with raises(RuntimeError, "index 7 is out of bounds for dimension 1 with size 3"):
        x.gather(1, torch.tensor([[[0, 1, 7]]]))
    with raises(RuntimeError, "index -1 is out of bounds for dimension 1 with size 3"):
        x.gather(1, torch.tensor([[[-1]]]))
    with raises(RuntimeError, "Index tensor must have the same number of dimensions as input tensor"):
        x.gather(1, torch.tensor([[0]]))
    with raises(RuntimeError, "gather(): Expected dtype int32/int64 for index"):
        x.gather(1, torch.tensor([[[0.0]]]))
    with raises(RuntimeError, "Size does not match at dimension 0 expected index [3, 3, 3] to be no larger "
                              "than self [2, 3, 4] apart from dimension 1"):
        x.gather(1, torch.zeros(3, 3, 3, dtype=torch.long))
    with raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 5)"):
        x.gather(5, torch.zeros(1, 1, 1, dtype=torch.long))


# ------------------------------------------------------------------------------------------ scatter --
@pytest.mark.parity
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_and_scatter_add_match_torch(dim):
    # distinct targets for scatter (its result with repeated targets is unspecified); repeats for scatter_add
    perm = np.argsort(RNG.random(X.shape), axis=dim)
    idx = np.take(perm, np.arange(2), axis=dim)
    # torch's backward rejects a src larger than index, so parity uses src of index's shape
    src = RNG.standard_normal(idx.shape).astype(np.float32)
    check_against_torch(lambda lib, x, i, s: x.scatter(dim, i, s), X, idx, src)
    check_against_torch(lambda lib, x, i: lib.scatter(x, dim, i, -2.5), X, idx)
    check_against_torch(lambda lib, x, i, s: (x * 1).scatter_(dim, i, s), X, idx, src)
    rep = RNG.integers(0, X.shape[dim], (3, 2, 5))
    src = RNG.standard_normal(rep.shape).astype(np.float32)
    check_against_torch(lambda lib, x, i, s: lib.scatter_add(x, dim, i, s), X, rep, src)
    check_against_torch(lambda lib, x, i, s: (x * 1).scatter_add_(dim, i, s), X, rep, src)
    big = RNG.standard_normal((3, 4, 6)).astype(np.float32)
    check_against_torch(lambda lib, x, i, s: lib.scatter_add(x, dim, i, s), X, rep, big, grad=False)


@pytest.mark.parity
def test_scatter_integer_reduce_and_empty_match_torch():
    xi = np.array([[10, 20, 30], [1, 2, 3]])
    idx = np.array([[0, 0, 1], [1, 1, 1]])
    check_against_torch(lambda lib, x, i: x.scatter(1, i, 2, reduce="multiply"), xi, idx)
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src is deprecat"):
        check_against_torch(lambda lib, x, i, s: x.scatter(1, i, s, reduce="add"), xi, idx, xi * 3)
    check_against_torch(lambda lib, x, i, s: x.scatter_add(1, i, s), xi, idx, xi * 3)
    check_against_torch(lambda lib, x, i, s: x.scatter(1, i, s), X, np.zeros((3, 0, 5), np.int64), X[:, :0])
    check_against_torch(lambda lib, x, i, s: x.scatter_add(0, i, s), X[0, 0], np.array([4, 4, 0]),
                        X[1, 1, 2:])


def test_scatter_autograd():
    x = torch.zeros(2, 3, requires_grad=True)
    s = torch.ones(2, 3, requires_grad=True)
    idx = torch.tensor([[2, 0], [1, 1]])
    assert x.scatter(1, idx[:, :1], s).grad_fn.name() == "ScatterBackward0"
    assert x.scatter(1, idx, 1.0).grad_fn.name() == "ScatterBackward1"
    assert x.scatter_add(1, idx, s).grad_fn.name() == "ScatterAddBackward0"
    y = x * 1
    y.scatter_(1, idx, 1.0)
    assert y.grad_fn.name() == "ScatterBackward1"
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.scatter_(1, idx, 1.0)
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src is deprecated"):
        r = x.scatter(1, idx, s, reduce="add")
    assert r.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError):
        r.sum().backward()
    uniq = torch.tensor([[2, 0], [1, 2]])
    assert gradcheck(lambda a, b: a.scatter(1, uniq, b), (_f64((2, 3)), _f64((2, 4), 1)))
    assert gradcheck(lambda a, b: a.scatter_add(1, idx, b), (_f64((2, 3)), _f64((3, 2), 1)))
    assert gradgradcheck(lambda a, b: a.scatter_add(1, idx, b), (_f64((2, 3)), _f64((3, 2), 1)))


def test_scatter_errors():
    x = torch.zeros(2, 3, 4)
    one = torch.zeros(1, 1, 1, dtype=torch.long)
    with raises(RuntimeError, "index 7 is out of bounds for dimension 1 with size 3"):
        x.scatter(1, torch.tensor([[[0, 1, 7]]]), 1.0)
    with raises(RuntimeError, "Index tensor must have the same number of dimensions as self tensor"):
        x.scatter(1, torch.tensor([[0]]), 1.0)
    with raises(RuntimeError, "scatter(): Expected dtype int32/int64 for index"):
        x.scatter_add(1, torch.tensor([[[0.0]]]), x)
    with raises(RuntimeError, "Expected index [3, 3, 3] to be no larger than self [2, 3, 4] apart from "
                              "dimension 1"):
        x.scatter(1, torch.zeros(3, 3, 3, dtype=torch.long), 1.0)
    with raises(RuntimeError, "Expected index [1, 1, 1] to be no larger than self [2, 3, 4] apart from "
                              "dimension 1 and to be no larger size than src [1, 1, 0]"):
        x.scatter(1, one, torch.ones(1, 1, 0))
    with raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype"):
        x.scatter(1, one, torch.ones(1, 1, 1, dtype=torch.long))
    with raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype"):
        x.scatter_add(1, one, torch.ones(1, 1, 1, dtype=torch.double))
    with raises(RuntimeError, "reduce argument must be either add or multiply."):
        x.scatter(1, one, 1.0, reduce="mean")


# ----------------------------------------------------------------------------------- scatter_reduce --
REDUCE_SRC = np.array([[5.0, 0.0, 7.0, 2.0], [8.0, 9.0, -3.0, 9.0]], np.float32)
REDUCE_SELF = np.array([[0.0, 2.0, 7.0], [4.0, 9.0, 6.0]], np.float32)
REDUCE_IDX = np.array([[0, 0, 1, 1], [1, 1, 1, 2]])


@pytest.mark.parity
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_torch(reduce, include_self):
    # zeros and ties in both self and src exercise prod's and amax/amin's gradient rules
    inc = include_self
    check_against_torch(lambda lib, x, i, s: x.scatter_reduce(1, i, s, reduce, include_self=inc),
                        REDUCE_SELF, REDUCE_IDX, REDUCE_SRC)
    check_against_torch(lambda lib, x, i, s: (x * 1).scatter_reduce_(0, i, s, reduce, include_self=inc),
                        X, RNG.integers(0, 3, (2, 4, 5)), RNG.standard_normal((2, 4, 5)).astype(np.float32))
    check_against_torch(lambda lib, x, i, s: lib.scatter_reduce(x, 1, i, s, reduce, include_self=inc),
                        (REDUCE_SELF * 3).astype(np.int64), REDUCE_IDX, (REDUCE_SRC * 2).astype(np.int64))


@pytest.mark.parity
def test_scatter_reduce_prod_with_several_zeros_matches_torch():
    x = np.array([0.0, 3.0, 0.0, 2.0], np.float32)
    src = np.array([0.0, 4.0, 0.0, 5.0, 0.0, 6.0], np.float32)
    idx = np.array([0, 0, 1, 1, 2, 3])
    for include_self in (True, False):
        check_against_torch(lambda lib, a, i, s, inc=include_self: a.scatter_reduce(0, i, s, "prod",
                                                                                      include_self=inc),
                            x, idx, src)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_gradcheck(reduce):
    idx = torch.tensor([[0, 0, 2], [1, 1, 1]])
    for include_self in (True, False):
        def fn(a, b, inc=include_self):
            return a.scatter_reduce(1, idx, b, reduce, include_self=inc)

        assert gradcheck(fn, (_f64((2, 3)), _f64((2, 4), 1)))
        assert gradcheck(fn, (_f64((2, 3)), _f64((3, 5), 2)))  # src larger than index: zero grad outside


def test_scatter_reduce_semantics_and_errors():
    xi = torch.tensor([[10, 20, 30], [1, 2, 3]])
    idx = torch.tensor([[0, 0, 1], [1, 1, 1]])
    src = torch.tensor([[5, 6, 7], [8, 9, -3]])
    assert xi.scatter_reduce(1, idx, src, "mean").tolist() == [[7, 13, 30], [1, 4, 3]]  # floor division
    assert xi.scatter_reduce(1, idx, src, "mean", include_self=False).tolist() == [[5, 7, 30], [1, 4, 3]]
    assert xi.scatter_reduce(1, idx, src, "amax", include_self=False).tolist() == [[6, 7, 30], [1, 9, 3]]
    nan = torch.tensor([1.0, 2.0]).scatter_reduce(0, torch.tensor([0, 0]), torch.tensor([np.nan, -6.0]),
                                                  "amax")
    assert np.isnan(nan[0].item()) and nan[1].item() == 2.0
    with raises(RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin, got foo"):
        xi.scatter_reduce(1, idx, src, "foo")
    with raises(NotImplementedError, "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'"):
        torch.tensor([True]).scatter_reduce(0, torch.tensor([0]), torch.tensor([True]), "mean")


# ------------------------------------------------------------------------------------ index_* ops --
@pytest.mark.parity
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_add_copy_fill_match_torch(dim):
    n = X.shape[dim]
    rep = np.array([n - 1, 0, n - 1])
    shape = list(X.shape)
    shape[dim] = 3
    src = RNG.standard_normal(shape).astype(np.float32)
    check_against_torch(lambda lib, x, i: lib.index_select(x, dim, i), X, rep)
    check_against_torch(lambda lib, x, i: x.transpose(0, 1).index_select(dim, i.int()), X, np.array([2, 0]))
    check_against_torch(lambda lib, x, i, s: x.index_add(dim, i, s, alpha=-2.0), X, rep, src)
    check_against_torch(lambda lib, x, i, s: (x * 1).index_add_(dim, i, s), X, rep, src)
    check_against_torch(lambda lib, x, i, s: x.index_copy(dim, i, s), X, np.array([n - 1, 0, 1]), src)
    check_against_torch(lambda lib, x, i: x.index_fill(dim, i, 2.5), X, rep)
    check_against_torch(lambda lib, x, i, v: (x * 1).index_fill_(dim, i, v), X, np.array([1]),
                        np.array(-4.0, np.float32))
    # torch's backward fails on negative fill indices (index_select); the forward wraps them
    check_against_torch(lambda lib, x, i, v: x.index_fill(dim, i, v), X, np.array([-1, 0]),
                        np.array(-4.0, np.float32), grad=False)


@pytest.mark.parity
def test_index_ops_integer_and_edge_cases_match_torch():
    xi = np.arange(12).reshape(3, 4)
    check_against_torch(lambda lib, x, i: x.index_select(1, i), xi, np.array(2))
    check_against_torch(lambda lib, x, i: x.index_select(0, i), xi, np.zeros(0, np.int64))
    check_against_torch(lambda lib, x, i, s: x.index_add(0, i, s, alpha=3), xi, np.array([2, 2]), xi[:2])
    check_against_torch(lambda lib, x, i: x.index_fill(1, i, -1), xi > 4, np.array([0, 3]))


def test_index_ops_autograd():
    x = _f64((3, 4))
    i = torch.tensor([2, 0, 2])
    assert x.index_select(0, i).grad_fn.name() == "IndexSelectBackward0"
    assert x.index_fill(0, i, 1.0).grad_fn.name() == "IndexFillBackward0"
    assert x.index_fill(0, i, torch.tensor(1.0, requires_grad=True)).grad_fn.name() == "IndexFillBackward1"
    assert gradcheck(lambda a: a.index_select(1, i), (x,))
    assert gradgradcheck(lambda a: a.index_select(1, i), (x,))
    assert gradcheck(lambda a, s: a.index_add(0, i, s, alpha=0.5), (x, _f64((3, 4), 1)))
    assert gradcheck(lambda a, s: a.index_copy(1, torch.tensor([3, 1]), s), (x, _f64((3, 2), 1)))
    assert gradcheck(lambda a, v: a.index_fill(1, i, v), (x, _f64((), 2)))
    assert gradcheck(lambda a, v: a.index_fill(1, torch.tensor([-1, 3]), v), (x, _f64((), 2)))
    y = torch.zeros(3, 4)
    y.index_add_(0, i, torch.ones(3, 4))
    assert y.sum(dim=1).tolist() == [4.0, 0.0, 8.0] and y._version == 1


def test_inplace_forms_write_through_and_bump_the_version():
    x = torch.zeros(3, 4)
    data = x.numpy()
    x.scatter_(1, torch.tensor([[1], [3], [0]]), 1.0)
    x.scatter_add_(1, torch.tensor([[1]]), torch.ones(1, 1))
    x.index_fill_(0, torch.tensor([2]), -1.0)
    x.index_copy_(1, torch.tensor([2]), torch.full((3, 1), 5.0))
    x.put_(torch.tensor([0]), torch.tensor([9.0]))
    x.scatter_reduce_(1, torch.tensor([[0]]), torch.tensor([[4.0]]), "amax")
    assert x._version == 6 and x.numpy() is data
    assert x.tolist() == [[9.0, 2.0, 5.0, 0.0], [0.0, 0.0, 5.0, 1.0], [-1.0, -1.0, 5.0, -1.0]]
    t = torch.zeros(4, 3).t()  # non-contiguous: computed out of place, then copied in
    t.scatter_(0, torch.tensor([[2, 0, 1, 1]]), 7.0)
    assert t.tolist() == [[0.0, 7.0, 0.0, 0.0], [0.0, 0.0, 7.0, 7.0], [7.0, 0.0, 0.0, 0.0]]


def test_index_ops_errors():
    x = torch.zeros(3, 4)
    with raises(IndexError, "index_select(): Index is supposed to be a vector"):
        x.index_select(1, torch.tensor([[0]]))
    with raises(RuntimeError, "index_select(): Expected dtype int32 or int64 for index"):
        x.index_select(1, torch.tensor([0.0]))
    with raises(IndexError, "index out of range in self"):
        x.index_select(0, torch.tensor([-1]))
    with raises(IndexError, "index out of range in self"):
        x.index_add(0, torch.tensor([5]), torch.ones(1, 4))
    with raises(RuntimeError, "index -1 is out of bounds for dimension 0 with size 3"):
        x.index_add(0, torch.tensor([-1]), torch.ones(1, 4))
    with raises(RuntimeError, "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), "
                              "for dim: 1"):
        x.index_add(1, torch.tensor([0]), torch.ones(3, 2))
    with raises(RuntimeError, "index_add_(): self (Float) and source (Double) must have the same scalar "
                              "type"):
        x.index_add(1, torch.tensor([0]), torch.ones(3, 1, dtype=torch.double))
    with raises(IndexError, "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long "
                            "and size: [1, 1]"):
        x.index_add(1, torch.tensor([[0]]), torch.ones(3, 1))
    with raises(RuntimeError, "source tensor shape must match self tensor shape, excluding the specified "
                              "dimension. Got self.shape = [3, 4] source.shape = [2, 1]"):
        x.index_add(1, torch.tensor([0]), torch.ones(2, 1))
    with raises(IndexError, "index_copy_(): index 5 is out of bounds for dimension 1 with size 4"):
        x.index_copy(1, torch.tensor([5]), torch.ones(3, 1))
    with raises(IndexError, "index_copy_(): Number of indices (1) should be equal to source.size(dim) (2)"):
        x.index_copy(1, torch.tensor([0]), torch.ones(3, 2))
    with raises(RuntimeError, "index_copy_(): Expected a long tensor for index, but got Int"):
        x.index_copy(1, torch.tensor([0], dtype=torch.int32), torch.ones(3, 1))
    with raises(IndexError, "index 5 is out of bounds for dimension 1 with size 4"):
        x.index_fill(1, torch.tensor([5]), 1)
    with raises(IndexError, "index_fill_(): Expected dtype int64 for index."):
        x.index_fill(1, torch.tensor([0.0]), 1)
    with raises(RuntimeError, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
                              "dimension(s)."):
        x.index_fill(1, torch.tensor([0]), torch.tensor([1.0]))


def test_embedding_style_backward_is_vectorised_and_exact():
    weight = torch.zeros(1000, 16, requires_grad=True)
    ids = torch.tensor(RNG.integers(0, 1000, 20000))
    weight[ids].sum().backward()
    counts = np.bincount(ids.numpy(), minlength=1000)
    assert np.array_equal(weight.grad.numpy(), np.repeat(counts[:, None], 16, axis=1).astype(np.float32))


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_matches_torch(reduce):
    ones = np.ones((3, 2), np.float32)
    src = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], np.float32)  # ties with self's ones
    for include_self in (True, False):
        def fn(lib, a, i, b, inc=include_self):
            return a.index_reduce(0, i, b, reduce, include_self=inc)

        def fn_(lib, a, i, b, inc=include_self):
            return (a * 1).index_reduce_(1, i, b, reduce, include_self=inc)

        check_against_torch(fn, ones, np.array([0, 2, 0, 0]), src)
        check_against_torch(fn_, X, np.array([3, 0, 3]), X[:, :3] * 2)
    with pytest.warns(UserWarning, match="index_reduce\\(\\) is in beta"):
        torch.ones(2).index_reduce(0, torch.tensor([0]), torch.ones(1), reduce)
    with raises(RuntimeError, "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                              "sum."):
        torch.ones(2).index_reduce(0, torch.tensor([0]), torch.ones(1), "sum")
