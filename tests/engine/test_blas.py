"""Matrix products: matmul/@ and friends, addmm family, einsum, tensordot, kron, trace, cross, cdist, ..."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine as torch
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(0)




def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return torch.tensor(R.standard_normal(shape), requires_grad=True)


def ints(*shape):
    return R.integers(-3, 4, size=shape).astype(np.int64)


# --------------------------------------------------------------------------------------------- matmul ---
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((1, 5, 2, 3), (4, 1, 3, 2)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)),
    ((0, 3), (3, 4)), ((2, 0), (0, 3)), ((2, 1, 3), (4, 1, 3, 2)),
]


@pytest.mark.parity
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_parity(sa, sb):
    check_against_torch(lambda L, a, b: L.matmul(a, b), f32(*sa), f32(*sb))
    check_against_torch(lambda L, a, b: a @ b, f32(*sa).astype(np.float64), f32(*sb).astype(np.float64))


@pytest.mark.parity
def test_matmul_noncontiguous_and_int():
    check_against_torch(lambda L, a, b: a.mT @ b[:, ::2], f32(4, 3), f32(4, 6))
    check_against_torch(lambda L, a, b: a.transpose(0, 1) @ b, f32(3, 5, 4), f32(4, 2))
    check_against_torch(lambda L, a, b: a @ b, ints(3, 4), ints(4, 2))
    check_against_torch(lambda L, a, b: a @ b, ints(2, 3, 4), ints(4))
    check_against_torch(lambda L, a, b: L.matmul(a, b), f32(2, 3, 4).astype(np.complex64) * 1j + f32(2, 3, 4),
                        f32(4, 2).astype(np.complex64) - 2j * f32(4, 2))


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_matmul_inf_nan():
    a = np.array([[np.inf, 1.0], [np.nan, 2.0]], np.float32)
    check_against_torch(lambda L, a, b: a @ b, a, f32(2, 3), grad=False)


@pytest.mark.parametrize("sa,sb,name", [
    ((2, 3), (3, 4), "MmBackward0"), ((3,), (3,), "DotBackward0"), ((2, 3), (3,), "MvBackward0"),
    ((3,), (3, 4), "SqueezeBackward4"), ((5, 2, 3), (5, 3, 4), "UnsafeViewBackward0"),
])
def test_matmul_grad_fn_names(sa, sb, name):
    out = torch.randn(*sa, requires_grad=True) @ torch.randn(*sb)
    assert out.grad_fn.name() == name


def test_matmul_gradcheck():
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)), ((2, 2, 3), (3, 2)),
                   ((2, 3), (2, 3, 2)), ((1, 2, 3), (2, 3, 2)), ((2, 2, 3), (3,)), ((3,), (2, 3, 2))]:
        assert gradcheck(torch.matmul, (f64(*sa), f64(*sb)))
    assert gradgradcheck(torch.matmul, (f64(2, 3), f64(3, 2)))
    assert gradgradcheck(torch.matmul, (f64(2, 2, 3), f64(3)))


def test_matmul_fold_is_a_single_gemm_and_correct():
    a, b = f32(4, 5, 3), f32(3, 2)
    np.testing.assert_allclose((torch.tensor(a) @ torch.tensor(b)).numpy(), a @ b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda: torch.randn(2, 3) @ torch.randn(4, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: torch.randn(3) @ torch.randn(4, 5), RuntimeError, "(1x3 and 4x5)"),
    (lambda: torch.randn(5, 2, 3) @ torch.randn(4, 4), RuntimeError, "(10x3 and 4x4)"),
    (lambda: torch.tensor(1.0) @ torch.randn(2, 3), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 0D and 2D"),
    (lambda: torch.randn(2, 3) @ torch.randn(3, 4).double(), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: torch.ones(2, 3, dtype=torch.int32) @ torch.ones(3, 2, dtype=torch.int64), RuntimeError,
     "int != long int"),
    (lambda: torch.randn(3) @ torch.randn(3).double(), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda: torch.randn(3) @ torch.randn(4), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements"),
    (lambda: torch.randn(2, 3) @ torch.randn(4), RuntimeError,
     "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: torch.randn(5, 2, 3) @ torch.randn(4, 3, 4), RuntimeError,
     "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 0"),
    (lambda: torch.randn(5, 2, 3) @ torch.randn(5, 4, 4), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [5, 4]."),
    (lambda: torch.ones(2, 2, dtype=torch.bool) @ torch.ones(2, 2, dtype=torch.bool), NotImplementedError,
     "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: torch.mm(torch.randn(3), torch.randn(3, 4)), RuntimeError, "self must be a matrix"),
    (lambda: torch.mm(torch.randn(2, 3), torch.randn(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: torch.bmm(torch.randn(2, 3), torch.randn(2, 3)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: torch.bmm(torch.randn(5, 2, 3), torch.randn(4, 3, 4)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [4, 3]."),
    (lambda: torch.bmm(torch.randn(2, 2, 3), torch.randn(2, 3, 2).double()), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: torch.mv(torch.randn(2, 3), torch.randn(3, 1)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 2, 2"),
    (lambda: torch.dot(torch.randn(3), torch.randn(3, 1)), RuntimeError,
     "1D tensors expected, but got 1D and 2D tensors"),
    (lambda: torch.dot(torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool)), NotImplementedError,
     "\"dot\" not implemented for 'Bool'"),
    (lambda: torch.inner(torch.randn(2, 3), torch.randn(4)), RuntimeError,
     "inner() the last dimension must match on both input tensors but got shapes [2, 3] and [4]"),
    (lambda: torch.outer(torch.randn(3), torch.randn(2, 3)), RuntimeError,
     "outer: Expected 1-D argument vec2, but got 2-D"),
    (lambda: torch.addmm(torch.randn(3), torch.randn(2, 3), torch.randn(3, 4)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  "
     "Target sizes: [2, 4].  Tensor sizes: [3]"),
    (lambda: torch.addmm(torch.randn(4), torch.randn(3), torch.randn(3, 4)), RuntimeError,
     "mat1 must be a matrix, got 1-D tensor"),
    (lambda: torch.addmm(torch.randn(4).double(), torch.randn(2, 3), torch.randn(3, 4)), RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda: torch.addmv(torch.randn(3), torch.randn(2, 3), torch.randn(3)), RuntimeError,
     "size mismatch, got input (3), mat (2x3), vec (3)"),
    (lambda: torch.addr(torch.randn(3, 4), torch.randn(3, 1), torch.randn(4)), RuntimeError,
     "addr: Expected 1-D argument vec1, but got 2-D"),
    (lambda: torch.baddbmm(torch.randn(3, 2, 4), torch.randn(5, 2, 3), torch.randn(5, 3, 4)), RuntimeError,
     "The expanded size of the tensor (5) must match the existing size (3) at non-singleton dimension 0"),
])
def test_product_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


# ------------------------------------------------------------------------------- other products --------
PRODUCTS = [
    ("mm", lambda L, a, b: L.mm(a, b.t()), [f32(2, 3), f32(4, 3)]),
    ("bmm", lambda L, a, b: L.bmm(a, b), [f32(3, 2, 4), f32(3, 4, 5)]),
    ("mv", lambda L, a, v: L.mv(a.t(), v), [f32(3, 2), f32(3)]),
    ("dot", lambda L, a, b: L.dot(a, b), [f32(5), f32(5)]),
    ("dot_int", lambda L, a, b: a.dot(b), [ints(5), ints(5)]),
    ("vdot", lambda L, a, b: L.vdot(a, b), [f32(4), f32(4)]),
    ("vdot_complex", lambda L, a, b: L.vdot(a, b), [f32(4) + 1j * f32(4), f32(4) - 1j * f32(4)]),
    ("inner", lambda L, a, b: L.inner(a, b), [f32(2, 3), f32(4, 3)]),
    ("inner_1d", lambda L, a, b: L.inner(a, b), [f32(3), f32(3)]),
    ("inner_scalar", lambda L, a, b: L.inner(a, b), [f32(), f32(2, 3)]),
    ("outer", lambda L, a, b: L.outer(a, b), [f32(3), f32(4)]),
    ("ger", lambda L, a, b: a.ger(b), [f32(3), f32(2)]),
    ("addmm", lambda L, c, a, b: L.addmm(c, a, b), [f32(4), f32(2, 3), f32(3, 4)]),
    ("addmm_scaled", lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=-2),
     [f32(2, 4), f32(2, 3), f32(3, 4)]),
    ("addmm_linear", lambda L, c, a, w: L.addmm(c, a, w.t()), [f32(4), f32(5, 3), f32(4, 3)]),
    ("addmm_beta0_nan", lambda L, c, a, b: L.addmm(c, a, b, beta=0), [np.full((2, 2), np.nan, np.float32),
                                                                       f32(2, 3), f32(3, 2)]),
    ("addmm_int", lambda L, c, a, b: L.addmm(c, a, b, beta=2, alpha=3), [ints(2, 2), ints(2, 3), ints(3, 2)]),
    ("addmv", lambda L, c, a, v: L.addmv(c, a, v, beta=2, alpha=0.5), [f32(2), f32(2, 3), f32(3)]),
    ("addr", lambda L, c, a, b: L.addr(c, a, b, alpha=2), [f32(3, 4), f32(3), f32(4)]),
    ("addr_broadcast", lambda L, c, a, b: c.addr(a, b), [f32(1, 4), f32(3), f32(4)]),
    ("baddbmm", lambda L, c, a, b: L.baddbmm(c, a, b, beta=0.3, alpha=1.5),
     [f32(2, 4), f32(5, 2, 3), f32(5, 3, 4)]),
    ("addbmm", lambda L, c, a, b: L.addbmm(c, a, b), [f32(2, 4), f32(5, 2, 3), f32(5, 3, 4)]),
    ("chain_matmul", lambda L, a, b, c: L.chain_matmul(a, b, c), [f32(2, 3), f32(3, 4), f32(4, 2)]),
    ("empty_mm", lambda L, a, b: L.mm(a, b), [f32(0, 3), f32(3, 2)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products_parity(name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_against_torch(fn, *arrays)


def test_products_gradcheck_and_names():
    assert gradcheck(lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2), (f64(3), f64(2, 4), f64(4, 3)))
    assert gradgradcheck(lambda c, a, b: torch.addmm(c, a, b), (f64(3), f64(2, 4), f64(4, 3)))
    assert gradcheck(lambda c, a, v: torch.addmv(c, a, v, alpha=3), (f64(2), f64(2, 3), f64(3)))
    assert gradcheck(lambda c, a, b: torch.addr(c, a, b, beta=2), (f64(2, 3), f64(2), f64(3)))
    assert gradcheck(lambda c, a, b: torch.baddbmm(c, a, b), (f64(1, 3), f64(2, 2, 4), f64(2, 4, 3)))
    assert gradcheck(lambda c, a, b: torch.addbmm(c, a, b, alpha=0.5), (f64(3), f64(2, 2, 4), f64(2, 4, 3)))
    assert gradcheck(torch.vdot, (f64(3), f64(3)))
    assert gradcheck(torch.inner, (f64(2, 3), f64(3)))
    c, a, b = torch.randn(4, requires_grad=True), torch.randn(2, 3), torch.randn(3, 4)
    assert torch.addmm(c, a, b).grad_fn.name() == "AddmmBackward0"
    out = torch.bmm(torch.randn(1, 2, 3, requires_grad=True), torch.randn(1, 3, 1))
    assert out.grad_fn.name() == "BmmBackward0"
    assert torch.vdot(torch.randn(3, requires_grad=True), torch.randn(3)).grad_fn.name() == "VdotBackward0"


def test_addmm_inplace_and_out():
    c = torch.zeros(2, 2)
    c.addmm_(torch.ones(2, 3), torch.ones(3, 2))
    assert c.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    out = torch.empty(2, 2)
    torch.matmul(torch.ones(2, 3), torch.ones(3, 2), out=out)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 4), k=st.integers(0, 4),
       n=st.integers(1, 4), drop_a=st.booleans(), drop_b=st.booleans())
def test_matmul_matches_numpy(batch, m, k, n, drop_a, drop_b):
    sa = (k,) if drop_a else tuple(batch) + (m, k)
    sb = (k,) if drop_b else (k, n)
    a, b = R.standard_normal(sa), R.standard_normal(sb)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = ta @ tb
    np.testing.assert_allclose(out.detach().numpy(), np.matmul(a, b), atol=1e-12)
    out.sum().backward()
    assert ta.grad.shape == ta.shape and tb.grad.shape == tb.shape


# ---------------------------------------------------------------------------------------------- einsum --
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("i,j->ij", [(3,), (4,)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("iij->j", [(3, 3, 2)]), ("ij->ji", [(2, 3)]), ("i,i", [(3,), (3,)]),
    ("...j,...j->...", [(1, 3), (2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]), ("ab,cd->", [(2, 3), (4, 5)]), ("Ab,bA", [(3, 2), (2, 3)]),
    ("b...,...c", [(3, 4, 2), (2, 3)]), ("ijk->kji", [(2, 0, 3)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_parity(eq, shapes):
    check_against_torch(lambda L, *ops: L.einsum(eq, *ops), *[f32(*s) for s in shapes])


@pytest.mark.parity
def test_einsum_forms():
    check_against_torch(lambda L, a, b: L.einsum("ij,jk", [a, b]), f32(2, 3), f32(3, 4))
    check_against_torch(lambda L, a, b: L.einsum(a, [0, 1], b, [1, 2], [0, 2]), f32(2, 3), f32(3, 4))
    check_against_torch(lambda L, a, b: L.einsum("i j , j k -> i k", a, b), f32(2, 3), f32(3, 4))
    check_against_torch(lambda L, a, b: L.einsum("ij,jk->ik", a, b), ints(2, 3), ints(3, 4))


def test_einsum_gradcheck():
    for eq, shapes in [("ij,jk->ik", [(2, 3), (3, 2)]), ("ii->i", [(3, 3)]), ("iij->j", [(2, 2, 3)]),
                       ("bn,anm,bm->ba", [(2, 3), (2, 3, 2), (2, 2)]), ("ij,ij->ij", [(1, 3), (2, 3)]),
                       ("ab,cd->", [(2, 2), (2, 3)]), ("i,j->ij", [(2,), (3,)])]:
        assert gradcheck(lambda *ops, eq=eq: torch.einsum(eq, *ops), [f64(*s) for s in shapes])
    assert gradgradcheck(lambda a, b: torch.einsum("ij,jk->ik", a, b), (f64(2, 3), f64(3, 2)))


@pytest.mark.parametrize("eq,shapes,msg", [
    ("ij,jk", [(3, 3), (3, 3), (3,)], "more operands were provided than specified in the equation"),
    ("ij,jk", [(3, 3)], "fewer operands were provided than specified in the equation"),
    ("ijk,jk", [(3, 3), (3, 3)], "the number of subscripts in the equation (3) does not match the number of "
     "dimensions (2) for operand 0 and no ellipsis was given"),
    ("ij->ii", [(3, 3)], "output subscript i appears more than once in the output"),
    ("ij->k", [(3, 3)], "output subscript k does not appear in the equation for any input operand"),
    ("i1->i", [(3, 3)],
     "invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]"),
    ("i,i", [(3,), (4,)],
     "subscript i has size 4 for operand 1 which does not broadcast with previously seen size 3"),
])
def test_einsum_errors(eq, shapes, msg):
    with pytest.raises(RuntimeError) as info:
        torch.einsum(eq, *[torch.randn(*s) for s in shapes])
    assert msg in str(info.value)


def test_einsum_dtype_errors():
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        torch.einsum("i,i->", torch.ones(3), torch.ones(3).double())
    with pytest.raises(NotImplementedError, match="\"bmm\" not implemented for 'Bool'"):
        torch.einsum("i,i->", torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool))


# ------------------------------------------------------------------------- tensordot, kron, trace ------
@pytest.mark.parity
def test_tensordot_kron_trace_parity():
    check_against_torch(lambda L, a, b: L.tensordot(a, b, dims=1), f32(2, 3), f32(3, 4))
    check_against_torch(lambda L, a, b: L.tensordot(a, b), f32(2, 3, 4), f32(3, 4, 5))
    check_against_torch(lambda L, a, b: L.tensordot(a, b, dims=([1, 0], [0, 2])), f32(2, 3, 4), f32(3, 5, 2))
    check_against_torch(lambda L, a, b: L.tensordot(a, b, dims=0), f32(2, 3), f32(3))
    check_against_torch(lambda L, a, b: L.tensordot(a, b, dims=1), ints(2, 3), ints(3, 2))
    check_against_torch(lambda L, a, b: L.kron(a, b), f32(2, 3), f32(3, 2))
    check_against_torch(lambda L, a, b: L.kron(a, b), f32(2, 3), f32(3))
    check_against_torch(lambda L, a, b: a.kron(b), ints(2), ints(2, 2))
    check_against_torch(lambda L, a: L.trace(a), f32(3, 4))
    check_against_torch(lambda L, a: a.t().trace(), f32(3, 2))
    check_against_torch(lambda L, a: L.trace(a), ints(3, 3))
    check_against_torch(lambda L, a: L.trace(a), np.ones((3, 3), np.int32))


def test_tensordot_kron_trace_errors_and_grad():
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has size 3 in "
                                           "dim -1 and second has size 4 in dim 0"):
        torch.tensordot(torch.ones(2, 3), torch.ones(4, 5), dims=1)
    with pytest.raises(RuntimeError, match="tensordot expects dims >= 0, but got dims=-1"):
        torch.tensordot(torch.ones(2, 3), torch.ones(4, 5), dims=-1)
    with pytest.raises(RuntimeError, match="both dimension lists should have same length"):
        torch.tensordot(torch.ones(2, 3), torch.ones(3, 5), dims=([1], [0, 1]))
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 3"):
        torch.trace(torch.ones(2, 2, 2))
    with pytest.raises(NotImplementedError, match="\"trace\" not implemented for 'Bool'"):
        torch.trace(torch.ones(2, 2, dtype=torch.bool))
    assert gradcheck(torch.trace, (f64(3, 2),))
    assert gradcheck(torch.kron, (f64(2, 2), f64(2, 3)))
    assert gradcheck(lambda a, b: torch.tensordot(a, b, dims=([0], [1])), (f64(2, 3), f64(3, 2)))


# --------------------------------------------------------------------------------------------- cross ----
@pytest.mark.parity
def test_cross_parity():
    check_against_torch(lambda L, a, b: L.linalg.cross(a, b), f32(4, 3), f32(4, 3))
    check_against_torch(lambda L, a, b: L.cross(a, b, dim=0), f32(3, 4), f32(3, 4))
    check_against_torch(lambda L, a, b: L.linalg.cross(a, b), f32(2, 1, 3), f32(1, 4, 3))
    check_against_torch(lambda L, a, b: L.linalg.cross(a, b, dim=1), ints(2, 3), ints(2, 3))
    check_against_torch(lambda L, a, b: a.cross(b, dim=-1), f32(2, 3) + 1j * f32(2, 3), f32(2, 3) + 0j)


def test_cross_errors_and_grad():
    import engine.linalg  # noqa: F401

    with pytest.raises(RuntimeError, match="inputs dimension 1 must have length 3. Got 4 and 4"):
        torch.linalg.cross(torch.ones(4, 4), torch.ones(4, 4), dim=1)
    with pytest.raises(RuntimeError, match="linalg.cross: inputs must have the same number of dimensions."):
        torch.linalg.cross(torch.ones(2, 3), torch.ones(3))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        torch.linalg.cross(torch.ones(2, 3), torch.ones(2, 3).double())
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        out = torch.cross(torch.ones(4, 3), torch.ones(4, 3))
    assert out.shape == (4, 3)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="no dimension of size 3 in input"):
        torch.cross(torch.ones(2, 4), torch.ones(2, 4))
    assert gradcheck(lambda a, b: torch.linalg.cross(a, b), (f64(2, 3), f64(2, 3)))
    assert gradgradcheck(lambda a, b: torch.linalg.cross(a, b), (f64(3), f64(3)))


# --------------------------------------------------------------------------------------------- cdist ----
def _with_duplicates():
    x1 = f32(4, 3)
    x2 = np.concatenate([x1[:2], f32(3, 3)]).astype(np.float32)
    x2[3] = x1[3].round()
    return x1, x2


@pytest.mark.parity
@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, math.inf, 0.5, 3.0])
def test_cdist_parity(p):
    x1, x2 = _with_duplicates()
    check_against_torch(lambda L, a, b: L.cdist(a, b, p=p), x1, x2, atol=1e-5, grad_atol=1e-4)
    check_against_torch(lambda L, a, b: L.cdist(a, b, p=p), f32(2, 3, 4), f32(1, 5, 4), atol=1e-5)
    ties = np.array([[1.0, 3.0, 3.0], [0.0, 0.0, 0.0]], np.float32)
    check_against_torch(lambda L, a, b: L.cdist(a, b, p=p), ties, np.zeros((2, 3), np.float32))


@pytest.mark.parity
def test_cdist_large_uses_mm_like_torch():
    check_against_torch(lambda L, a, b: L.cdist(a, b), f32(30, 4), f32(27, 4), atol=1e-4, grad_atol=1e-4)
    check_against_torch(lambda L, a, b: L.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
                        f32(30, 4), f32(27, 4), atol=1e-5)


def test_cdist_errors_and_gradcheck():
    with pytest.raises(RuntimeError, match="cdist only supports at least 2D tensors, X1 got: 1D"):
        torch.cdist(torch.ones(3), torch.ones(3, 3))
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. X1: 2 X2: 3"):
        torch.cdist(torch.ones(3, 2), torch.ones(3, 3))
    with pytest.raises(RuntimeError, match="cdist only supports floating-point dtypes, X1 got: Long"):
        torch.cdist(torch.ones(3, 2, dtype=torch.long), torch.ones(3, 2, dtype=torch.long))
    with pytest.raises(RuntimeError, match="cdist only supports non-negative p values"):
        torch.cdist(torch.ones(3, 2), torch.ones(3, 2), p=-1)
    for p in (2.0, 1.0, 3.0, 0.5):
        assert gradcheck(lambda a, b, p=p: torch.cdist(a, b, p=p), (f64(3, 2), f64(2, 2)))
    assert gradgradcheck(lambda a, b: torch.cdist(a, b), (f64(2, 2), f64(2, 2)))
    x = torch.ones(2, 3, requires_grad=True)
    torch.cdist(x, torch.ones(1, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2


# ----------------------------------------------------------------------------- cosine similarity, dist --
@pytest.mark.parity
def test_cosine_similarity_and_dist_parity():
    x1 = np.array([[1e-5, 0, 0], [3, 4, 0], [0, 0, 0]], np.float32)
    x2 = np.array([[2e-5, 1e-5, 0], [1, 0, 0], [1, 1, 1]], np.float32)
    check_against_torch(lambda L, a, b: L.cosine_similarity(a, b, dim=1, eps=1e-4), x1, x2, grad_rtol=1e-3)
    check_against_torch(lambda L, a, b: L.cosine_similarity(a, b), f32(3, 4), f32(3, 4))
    check_against_torch(lambda L, a, b: L.cosine_similarity(a, b, dim=-1), f32(2, 1, 4), f32(3, 4))
    check_against_torch(lambda L, a, b: L.cosine_similarity(a, b, dim=0), f32(3, 4), f32(4))
    check_against_torch(lambda L, a, b: L.cosine_similarity(a, b, dim=-1), f32(2, 3),
                        f32(3).astype(np.float64))
    check_against_torch(lambda L, a, b: L.dist(a, b), f32(3, 4), f32(4))
    check_against_torch(lambda L, a, b: L.dist(a, b, 1), f32(3, 4), f32(3, 4))
    check_against_torch(lambda L, a, b: a.dist(b, math.inf), f32(3, 4), f32(3, 4))
    check_against_torch(lambda L, a, b: L.dist(a, b, 3), f32(3), f32(3).astype(np.float64))


def test_cosine_similarity_and_dist_errors_and_grads():
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is"):
        torch.cosine_similarity(torch.ones(3, dtype=torch.long), torch.ones(3, dtype=torch.long), dim=0)
    with pytest.raises(RuntimeError, match="The size of tensor a \\(2\\) must match the size of tensor b"):
        torch.cosine_similarity(torch.ones(2, 3), torch.ones(4, 3))
    with pytest.raises(RuntimeError, match="norm\\(\\): input dtype should be either floating point"):
        torch.dist(torch.ones(3, dtype=torch.long), torch.ones(3, dtype=torch.long))
    assert gradcheck(lambda a, b: torch.cosine_similarity(a, b), (f64(2, 3), f64(2, 3)))
    assert gradcheck(lambda a, b: torch.dist(a, b, 3), (f64(2, 3), f64(3)))
    assert gradgradcheck(lambda a, b: torch.dist(a, b), (f64(2, 3), f64(3)))
    assert torch.dist(torch.ones(2, requires_grad=True), torch.zeros(2)).grad_fn.name() == "DistBackward0"


@pytest.mark.parametrize("a_shape,b_shape", [((6, 4, 5), (6, 5, 3)), ((2, 3, 4, 5), (2, 3, 5, 2)),
                                             ((2, 1, 4, 5), (3, 5, 2))])
def test_batched_matmul_split_across_threads_matches_one_call(a_shape, b_shape, monkeypatch):
    from engine import _parallel, threads

    monkeypatch.setattr(_parallel, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_MACS", 0)
    monkeypatch.setattr(threads, "_num_threads", 3)
    rng = np.random.default_rng(0)
    a = torch.tensor(rng.standard_normal(a_shape), requires_grad=True)
    b = torch.tensor(rng.standard_normal(b_shape), requires_grad=True)
    np.testing.assert_allclose(a.matmul(b).numpy(force=True), a.detach().numpy() @ b.detach().numpy(),
                               rtol=1e-12)
    assert gradcheck(torch.matmul, (a, b))


@pytest.mark.parametrize("m,k,n", [(40, 7, 5), (5, 7, 40), (3, 64, 5), (2, 3, 4)])
def test_gemm_split_or_paired_across_threads_matches_one_call(m, k, n, monkeypatch):
    """Split over the rows of a or the columns of b (the larger side), or with few of both and a long
    reduction (weight gradients) over partial products; a linear backward's two products side by side."""
    from engine import _parallel, threads

    monkeypatch.setattr(_parallel, "MIN_SPLIT_GEMM_MACS", 0)
    monkeypatch.setattr(_parallel, "CHUNKS_QUIET_SECONDS", float("inf"))  # as while chunks run: split here
    monkeypatch.setattr(threads, "_num_threads", 3)
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose(_parallel.gemm(a, b), a @ b, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_MACS", 0)  # a linear backward's two products side by side
    first, second = _parallel.gemm_pair(a, b, b.T, a.T)
    np.testing.assert_allclose(first, a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(second, b.T @ a.T, rtol=1e-12, atol=1e-12)
    x = torch.tensor(rng.standard_normal((m, k)), requires_grad=True)
    w = torch.tensor(rng.standard_normal((n, k)), requires_grad=True)
    assert gradcheck(torch.nn.functional.linear, (x, w))
    wt = torch.tensor(rng.standard_normal((k, n)), requires_grad=True)
    assert gradcheck(torch.mm, (x, wt))


def test_a_large_gemm_uses_blas_threads_only_while_no_chunks_run_and_gives_them_back(monkeypatch):
    from threadpoolctl import threadpool_info

    from engine import _parallel, threads

    monkeypatch.setattr(_parallel, "MIN_SPLIT_GEMM_MACS", 0)
    monkeypatch.setattr(threads, "_num_threads", 2)
    asked = []
    real = _parallel._blas_threaded
    monkeypatch.setattr(_parallel, "_blas_threaded", lambda a, b, n: asked.append(n) or real(a, b, n))
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    monkeypatch.setattr(_parallel, "_last_chunks", float("-inf"))  # nothing chunked yet: BLAS's threads
    np.testing.assert_allclose(_parallel.gemm(a, b), a @ b, rtol=1e-12, atol=1e-12)
    assert asked == [2]
    assert {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"} == {1}
    _parallel.run_chunks(np, lambda lo, hi: None, 4, _parallel.MIN_PARALLEL_ELEMENTS)  # chunks just ran
    np.testing.assert_allclose(_parallel.gemm(a, b), a @ b, rtol=1e-12, atol=1e-12)
    assert asked == [2]  # split on the engine's pool instead
