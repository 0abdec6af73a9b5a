"""engine.linalg: norms, decompositions, inverses, solvers and the legacy top-level aliases."""

import math
import warnings

import numpy as np
import pytest

import engine as torch
import engine.linalg  # noqa: F401  (until engine/__init__ imports it)
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(0)




def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def c64(*shape):
    return (R.standard_normal(shape) + 1j * R.standard_normal(shape)).astype(np.complex64)


def well(*shape, dtype=np.float32):
    """Well-conditioned square matrices (identity-dominated)."""
    n = shape[-1]
    return (R.standard_normal(shape) * 0.3 + 2 * np.eye(n)).astype(dtype)


def spd(*shape, dtype=np.float32):
    a = R.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def f64(*shape):
    return torch.tensor(R.standard_normal(shape), requires_grad=True)


def well64(*shape):
    return torch.tensor(well(*shape, dtype=np.float64), requires_grad=True)


def sym(a):
    return (a + a.mT) / 2


def sq(lib, t):
    """A gauge-invariant view of singular/eigen vectors: sign (or phase) flips of a column cancel."""
    return (t * t.conj()).real if t.is_complex() else t * t


def gauge(lib, outputs):
    """Vectors (the outputs with a matrix's ndim) squared; values (one dim less) as they are."""
    ndim = max(t.ndim for t in outputs)
    return [sq(lib, t) if t.ndim == ndim else t for t in outputs]


# ------------------------------------------------------------------------------------------- norms ------
NORMS = [
    ("vector_2", lambda L, x: L.linalg.vector_norm(x), [f32(3, 4)]),
    ("vector_dim_keep", lambda L, x: L.linalg.vector_norm(x, 2, dim=(0, 2), keepdim=True), [f32(2, 3, 4)]),
    ("vector_1", lambda L, x: L.linalg.vector_norm(x.t(), 1, dim=1), [f32(3, 4)]),
    ("vector_0", lambda L, x: L.linalg.vector_norm(x, 0, dim=0), [np.array([[0, 1], [2, 0]], np.float32)]),
    ("vector_inf_ties", lambda L, x: L.linalg.vector_norm(x, math.inf),
     [np.array([1, -3, 3, 2], np.float32)]),
    ("vector_ninf", lambda L, x: L.linalg.vector_norm(x, -math.inf, dim=1), [f32(3, 4)]),
    ("vector_3", lambda L, x: L.linalg.vector_norm(x, 3, dim=-1), [f32(3, 4)]),
    ("vector_half", lambda L, x: L.linalg.vector_norm(x, 0.5), [f32(5)]),
    ("vector_neg", lambda L, x: L.linalg.vector_norm(x, -1, dim=0), [f32(3, 4)]),
    ("vector_zero_grad", lambda L, x: L.linalg.vector_norm(x, dim=1),
     [np.array([[0, 0], [3, 4]], np.float32)]),
    ("vector_p3_zeros", lambda L, x: L.linalg.vector_norm(x, 3, dim=1),
     [np.array([[0, 0], [0, 4]], np.float32)]),
    ("vector_complex", lambda L, x: L.linalg.vector_norm(x, dim=0), [c64(3, 2)]),
    ("vector_complex_1", lambda L, x: L.linalg.vector_norm(x, 1), [c64(3)]),
    ("vector_complex_3", lambda L, x: L.linalg.vector_norm(x, 3), [c64(3)]),
    ("vector_dtype", lambda L, x: L.linalg.vector_norm(x, dtype=L.float64), [f32(3)]),
    ("vector_empty", lambda L, x: L.linalg.vector_norm(x), [f32(0, 3)]),
    ("vector_0d_dim", lambda L, x: L.linalg.vector_norm(x, dim=0), [np.float32(-3)]),
    ("vector_empty_inf_dim", lambda L, x: L.linalg.vector_norm(x, math.inf, dim=0), [f32(3, 0)]),
    ("fro", lambda L, x: L.linalg.matrix_norm(x), [f32(2, 3, 4)]),
    ("nuc", lambda L, x: L.linalg.matrix_norm(x, "nuc"), [f32(3, 4)]),
    ("nuc_dims_keep", lambda L, x: L.linalg.matrix_norm(x, "nuc", dim=(0, 2), keepdim=True), [f32(3, 2, 4)]),
    ("spectral", lambda L, x: L.linalg.matrix_norm(x, 2), [f32(2, 3, 4)]),
    ("spectral_min", lambda L, x: L.linalg.matrix_norm(x, -2), [f32(4, 3)]),
    ("mat_1", lambda L, x: L.linalg.matrix_norm(x, 1), [f32(3, 4)]),
    ("mat_neg1_keep", lambda L, x: L.linalg.matrix_norm(x, -1, keepdim=True), [f32(2, 3, 4)]),
    ("mat_inf_dims", lambda L, x: L.linalg.matrix_norm(x, math.inf, dim=(2, 0)), [f32(3, 2, 4)]),
    ("mat_ninf", lambda L, x: L.linalg.matrix_norm(x, -math.inf), [f32(3, 4)]),
    ("mat_inf_ties", lambda L, x: L.linalg.matrix_norm(x, math.inf),
     [np.array([[1, 2], [-2, 1]], np.float32)]),
    ("norm_default", lambda L, x: L.linalg.norm(x), [f32(2, 3, 4)]),
    ("norm_default_keep", lambda L, x: L.linalg.norm(x, keepdim=True), [f32(2, 3)]),
    ("norm_vec_ord", lambda L, x: L.linalg.norm(x, 3), [f32(4)]),
    ("norm_mat_ord", lambda L, x: L.linalg.norm(x, "nuc"), [f32(3, 3)]),
    ("norm_mat_num", lambda L, x: L.linalg.norm(x, math.inf), [f32(3, 3)]),
    ("norm_dim2", lambda L, x: L.linalg.norm(x, 1, dim=(1, 0)), [f32(3, 4)]),
    ("norm_complex_fro", lambda L, x: L.linalg.matrix_norm(x), [c64(2, 3)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", NORMS, ids=[n[0] for n in NORMS])
def test_norm_parity(name, fn, arrays):
    check_against_torch(fn, *arrays, atol=1e-5, grad_atol=1e-4)


def test_norm_gradcheck():
    for ord in (2, 1, 3, 0.5, math.inf, -1):
        assert gradcheck(lambda x, o=ord: torch.linalg.vector_norm(x, o, dim=1), (f64(2, 3),))
    for ord in ("fro", "nuc", 2, -2, 1, math.inf):
        assert gradcheck(lambda x, o=ord: torch.linalg.matrix_norm(x, o), (f64(3, 2),))
    assert gradgradcheck(lambda x: torch.linalg.vector_norm(x), (f64(3),))
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    torch.linalg.vector_norm(x, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]], rtol=1e-6)


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda: torch.linalg.vector_norm(torch.ones(3, dtype=torch.long)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.vector_norm(torch.randn(3), "fro"), TypeError,
     "argument 'ord' (position 2) must be Number, not str"),
    (lambda: torch.linalg.vector_norm(torch.randn(0), -1), RuntimeError,
     "linalg.vector_norm cannot compute the -1 norm on an empty tensor because the operation does not "
     "have an identity"),
    (lambda: torch.linalg.vector_norm(torch.randn(3, 0), math.inf, dim=1), RuntimeError,
     "cannot compute the inf norm on the dimension 1because this dimension is empty"),
    (lambda: torch.linalg.vector_norm(torch.arange(3), dtype=torch.float32), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.vector_norm(torch.randn(3), dtype=torch.long), RuntimeError,
     "linalg.vector_norm: dtype should be floating point or complex, but got Long"),
    (lambda: torch.linalg.vector_norm(torch.randn(3).double(), dtype=torch.float32), RuntimeError,
     "the dtype of the input (Double) should be convertible without narrowing to the specified dtype "
     "(Float)"),
    (lambda: torch.linalg.vector_norm(torch.randn(3, 4), dim=(0, 0)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda: torch.linalg.matrix_norm(torch.randn(3, 3), 3), RuntimeError,
     "linalg.matrix_norm: Order 3 not supported."),
    (lambda: torch.linalg.matrix_norm(torch.randn(3)), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda: torch.linalg.matrix_norm(torch.randn(3, 4), dim=(0, 0)), RuntimeError,
     "linalg.matrix_norm: dims must be different. Got (0, 0)"),
    (lambda: torch.linalg.norm(torch.randn(3, 3, 3), 2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    (lambda: torch.linalg.norm(torch.randn(3, 4), "fro", dim=1), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 1"),
    (lambda: torch.linalg.norm(torch.randn(3, 4, 5), dim=(0, 1, 2)), RuntimeError,
     "linalg.norm: If dim is specified, it must be of length 1 or 2. Got [0, 1, 2]"),
])
def test_norm_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


# ------------------------------------------------------------------------------------ decompositions ----
DECOMP = [
    ("svdvals", lambda L, a: L.linalg.svdvals(a), [f32(3, 4)]),
    ("svdvals_batch", lambda L, a: L.linalg.svdvals(a.mT), [f32(2, 3, 4)]),
    ("svd_reduced", lambda L, a: gauge(L, L.linalg.svd(a, full_matrices=False)), [f32(4, 3)]),
    ("svd_wide", lambda L, a: gauge(L, L.linalg.svd(a, full_matrices=False)), [f32(3, 5)]),
    ("svd_full_square", lambda L, a: gauge(L, L.linalg.svd(a)), [f32(2, 3, 3)]),
    ("svd_complex", lambda L, a: gauge(L, L.linalg.svd(a, full_matrices=False)), [c64(3, 3)]),
    ("svd_S_only", lambda L, a: L.linalg.svd(a)[1], [f32(4, 2)]),
    ("legacy_svd", lambda L, a: gauge(L, L.svd(a)), [f32(4, 3)]),
    ("qr", lambda L, a: list(L.linalg.qr(a)), [f32(4, 3)]),
    ("qr_square_batch", lambda L, a: list(L.linalg.qr(a)), [f32(2, 3, 3)]),
    ("qr_wide", lambda L, a: list(L.linalg.qr(a)), [f32(2, 4)]),
    ("qr_complete_square", lambda L, a: list(L.linalg.qr(a, mode="complete")), [f32(3, 3)]),
    ("qr_complex", lambda L, a: list(L.linalg.qr(a)), [c64(3, 2)]),
    ("qr_r_forward", lambda L, a: L.linalg.qr(a, mode="r")[1].detach(), [f32(4, 3)]),
    ("legacy_qr", lambda L, a: list(L.qr(a)), [f32(3, 2)]),
    ("eigh", lambda L, a: gauge(L, L.linalg.eigh(a + a.mT)), [f32(4, 4)]),
    ("eigh_upper_batch", lambda L, a: gauge(L, L.linalg.eigh(a, UPLO="U")), [spd(2, 3, 3)]),
    ("eigh_complex", lambda L, a: gauge(L, L.linalg.eigh(a + a.mH)), [c64(3, 3)]),
    ("eigvalsh", lambda L, a: L.linalg.eigvalsh(a + a.mT), [f32(3, 3)]),
    ("inv", lambda L, a: L.linalg.inv(a), [well(3, 3)]),
    ("inv_batch_t", lambda L, a: L.linalg.inv(a.mT), [well(2, 3, 3)]),
    ("inverse", lambda L, a: L.inverse(a), [well(3, 3)]),
    ("inv_complex", lambda L, a: L.linalg.inv(a), [well(3, 3) + 0.3j * f32(3, 3)]),
    ("inv_empty", lambda L, a: L.linalg.inv(a), [f32(0, 0)]),
    ("det", lambda L, a: L.linalg.det(a), [well(2, 3, 3)]),
    ("det_singular", lambda L, a: L.det(a), [np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]], np.float32)]),
    ("det_rank_deficient2", lambda L, a: L.det(a), [np.zeros((3, 3), np.float32)]),
    ("det_complex", lambda L, a: L.linalg.det(a), [well(3, 3) + 0.5j * f32(3, 3)]),
    ("det_empty", lambda L, a: L.linalg.det(a), [f32(0, 0)]),
    ("slogdet", lambda L, a: list(L.linalg.slogdet(a)), [f32(2, 3, 3)]),
    ("legacy_slogdet", lambda L, a: list(L.slogdet(a)), [f32(3, 3)]),
    ("logdet", lambda L, a: L.logdet(a), [spd(3, 3)]),
    ("logdet_negative", lambda L, a: L.logdet(a).isnan() if hasattr(L.Tensor, "isnan") else L.logdet(a),
     [np.diag([-1.0, 2.0]).astype(np.float32)]),
    ("solve_matrix", lambda L, a, b: L.linalg.solve(a, b), [well(3, 3), f32(3, 2)]),
    ("solve_vector", lambda L, a, b: L.linalg.solve(a, b), [well(3, 3), f32(3)]),
    ("solve_batch_vector", lambda L, a, b: L.linalg.solve(a, b), [well(2, 3, 3), f32(2, 3)]),
    ("solve_broadcast", lambda L, a, b: L.linalg.solve(a, b), [well(2, 3, 3), f32(4, 2, 3, 1)]),
    ("solve_right", lambda L, a, b: L.linalg.solve(a, b, left=False), [well(3, 3), f32(2, 3)]),
    ("solve_complex", lambda L, a, b: L.linalg.solve(a, b), [well(3, 3) + 0.2j * f32(3, 3), c64(3, 2)]),
    ("cholesky", lambda L, a: L.linalg.cholesky(a), [spd(3, 3)]),
    ("cholesky_upper_batch", lambda L, a: L.linalg.cholesky(a, upper=True), [spd(2, 3, 3)]),
    ("legacy_cholesky", lambda L, a: L.cholesky(a), [spd(3, 3)]),
    ("cholesky_complex", lambda L, a: L.linalg.cholesky(a @ a.mH + 3 * L.eye(3)), [c64(3, 3)]),
    ("pinv", lambda L, a: L.linalg.pinv(a), [f32(4, 3)]),
    ("pinv_wide_batch", lambda L, a: L.linalg.pinv(a), [f32(2, 2, 3)]),
    ("pinverse", lambda L, a: L.pinverse(a), [f32(3, 3)]),
    ("pinv_complex", lambda L, a: L.linalg.pinv(a), [c64(3, 2)]),
    ("matrix_power_3", lambda L, a: L.linalg.matrix_power(a, 3), [f32(3, 3)]),
    ("matrix_power_0", lambda L, a: L.linalg.matrix_power(a, 0), [f32(2, 3, 3)]),
    ("matrix_power_neg", lambda L, a: L.matrix_power(a, -2), [well(3, 3)]),
    ("matrix_power_int", lambda L, a: L.linalg.matrix_power(a, 2), [np.arange(9).reshape(3, 3)]),
    ("matrix_power_1", lambda L, a: a.matrix_power(1), [f32(2, 2)]),
    ("multi_dot", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [f32(2, 5), f32(5, 3), f32(3, 4)]),
    ("multi_dot_vectors", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [f32(3), f32(3, 4), f32(4)]),
    ("multi_dot_long", lambda L, a, b, c, d: L.linalg.multi_dot([a, b, c, d]),
     [f32(6, 2), f32(2, 5), f32(5, 1), f32(1, 4)]),
    ("vecdot", lambda L, a, b: L.linalg.vecdot(a, b), [f32(3, 4), f32(4)]),
    ("vecdot_complex", lambda L, a, b: L.linalg.vecdot(a, b, dim=0), [c64(3, 2), c64(3, 2)]),
    ("diagonal", lambda L, a: L.linalg.diagonal(a, offset=1), [f32(3, 4, 5)]),
    ("diagonal_dims", lambda L, a: L.linalg.diagonal(a, offset=-1, dim1=0, dim2=2), [f32(3, 4, 5)]),
    ("matrix_rank", lambda L, a: L.linalg.matrix_rank(a), [np.ones((2, 3, 4), np.float32)]),
    ("matrix_rank_tol", lambda L, a: L.linalg.matrix_rank(a, atol=1.0, rtol=0.0), [np.diag([3, 0.5, 2])]),
    ("matrix_rank_hermitian", lambda L, a: L.linalg.matrix_rank(a, hermitian=True), [spd(3, 3)]),
    ("lstsq", lambda L, a, b: L.linalg.lstsq(a, b)[0], [f32(5, 3), f32(5, 2)]),
    ("lstsq_meta", lambda L, a, b: list(L.linalg.lstsq(a, b))[1:], [f32(5, 3), f32(5)]),
    ("lstsq_gelsd", lambda L, a, b: list(L.linalg.lstsq(a, b, driver="gelsd")), [f32(5, 3), f32(5, 2)]),
    ("lstsq_gelsd_vector", lambda L, a, b: list(L.linalg.lstsq(a, b, driver="gelsd"))[1:],
     [f32(5, 3), f32(5)]),
    ("lstsq_batch", lambda L, a, b: list(L.linalg.lstsq(a, b))[::2], [f32(2, 5, 3), f32(2, 5, 2)]),
    ("cholesky_ex", lambda L, a: list(L.linalg.cholesky_ex(a)), [spd(3, 3)]),
    ("inv_ex", lambda L, a: list(L.linalg.inv_ex(a)), [well(3, 3)]),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,arrays", DECOMP, ids=[d[0] for d in DECOMP])
def test_decomposition_parity(name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_against_torch(fn, *arrays, atol=1e-4, rtol=1e-3, grad_atol=1e-3, grad_rtol=1e-2)


def test_decomposition_gradcheck():
    assert gradcheck(torch.linalg.inv, (well64(3, 3),))
    assert gradgradcheck(torch.linalg.inv, (well64(2, 2),))
    assert gradcheck(torch.linalg.det, (well64(2, 3, 3),))
    assert gradcheck(lambda a: torch.linalg.slogdet(a)[1], (well64(3, 3),))
    assert gradcheck(torch.linalg.solve, (well64(3, 3), f64(3, 2)))
    assert gradcheck(torch.linalg.solve, (well64(3, 3), f64(3)))
    assert gradcheck(lambda a, b: torch.linalg.solve(a, b, left=False), (well64(3, 3), f64(2, 3)))
    assert gradcheck(lambda a: torch.linalg.cholesky(sym(a)), (torch.tensor(spd(3, 3, dtype=np.float64),
                                                                              requires_grad=True),))
    assert gradcheck(lambda a: torch.linalg.cholesky(sym(a), upper=True),
                     (torch.tensor(spd(3, 3, dtype=np.float64), requires_grad=True),))
    assert gradcheck(torch.linalg.svdvals, (f64(4, 3),))
    assert gradcheck(lambda a: [t * t for t in torch.linalg.svd(a, full_matrices=False)], (f64(4, 3),))
    assert gradcheck(lambda a: [t * t for t in torch.linalg.svd(a, full_matrices=False)], (f64(2, 4),))
    assert gradcheck(lambda a: [t * t for t in torch.linalg.svd(a)], (f64(3, 3),))
    assert gradcheck(lambda a: list(torch.linalg.qr(a)), (f64(4, 3),))
    assert gradcheck(lambda a: list(torch.linalg.qr(a)), (f64(2, 4),))
    assert gradcheck(lambda a: [t * t for t in torch.linalg.eigh(sym(a))], (f64(3, 3),))
    assert gradcheck(torch.linalg.pinv, (f64(4, 3),))
    assert gradcheck(torch.linalg.pinv, (f64(2, 3),))
    assert gradcheck(lambda a: torch.linalg.matrix_power(a, 3), (f64(2, 2),))
    assert gradcheck(lambda a: torch.linalg.matrix_power(a, -1), (well64(2, 2),))
    assert gradcheck(lambda a: torch.linalg.diagonal(a, offset=1), (f64(3, 3),))
    assert gradgradcheck(lambda a: torch.linalg.diagonal(a), (f64(2, 2),))
    assert gradcheck(lambda a, b, c: torch.linalg.multi_dot([a, b, c]), (f64(2), f64(2, 3), f64(3, 2)))


def test_det_singular_gradient_is_zero_like_torch():
    singular = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]
    a = torch.tensor(np.stack([singular, np.eye(3) * 2]), requires_grad=True)
    torch.linalg.det(a).sum().backward()
    assert not a.grad.numpy()[0].any()
    np.testing.assert_allclose(a.grad.numpy()[1], np.eye(3) * 4)


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda: torch.linalg.inv(torch.tensor([[1.0, 2.0], [2.0, 4.0]])), torch.linalg.LinAlgError,
     "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input "
     "matrix is singular."),
    (lambda: torch.linalg.inv(torch.tensor(np.stack([np.eye(2), np.zeros((2, 2))]))),
     torch.linalg.LinAlgError, "linalg.inv: (Batch element 1): The diagonal element 1 is zero"),
    (lambda: torch.linalg.inv(torch.zeros(3, 3)), RuntimeError, "The diagonal element 1 is zero"),
    (lambda: torch.linalg.inv(torch.randn(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: torch.linalg.inv(torch.ones(3, 3, dtype=torch.long)), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.inv(torch.randn(3)), RuntimeError,
     "linalg.inv: The input tensor A must have at least 2 dimensions."),
    (lambda: torch.linalg.det(torch.randn(2, 3)), RuntimeError,
     "linalg.det: A must be batches of square matrices"),
    (lambda: torch.linalg.solve(torch.zeros(3, 3), torch.randn(3, 2)), torch.linalg.LinAlgError,
     "torch.linalg.solve: The solver failed because the input matrix is singular."),
    (lambda: torch.linalg.solve(torch.zeros(2, 3, 3), torch.randn(2, 3)), torch.linalg.LinAlgError,
     "torch.linalg.solve: (Batch element 0): The solver failed because the input matrix is singular."),
    (lambda: torch.linalg.solve(torch.randn(3, 3), torch.randn(4, 2)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x2)"),
    (lambda: torch.linalg.solve(torch.randn(3, 3), torch.randn(3).double()), RuntimeError,
     "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double "
     "instead"),
    (lambda: torch.linalg.cholesky(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])),
     torch.linalg.LinAlgError, "linalg.cholesky: The factorization could not be completed because the input "
     "is not positive-definite (the leading minor of order 2 is not positive-definite)."),
    (lambda: torch.linalg.cholesky(-torch.eye(3).expand(2, 3, 3)), torch.linalg.LinAlgError,
     "linalg.cholesky: (Batch element 0): The factorization could not be completed"),
    (lambda: torch.linalg.qr(torch.randn(3, 3), mode="x"), RuntimeError,
     "qr received unrecognized mode 'x' but expected one of 'reduced' (default), 'r', or 'complete'"),
    (lambda: torch.linalg.eigh(torch.randn(3, 3), UPLO="X"), RuntimeError,
     "Expected UPLO argument to be 'L' or 'U', but got X"),
    (lambda: torch.linalg.eigh(torch.randn(2, 3)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: torch.linalg.eigvalsh(torch.ones(2, 2, dtype=torch.long)), NotImplementedError,
     "\"linalg_eigh_cpu\" not implemented for 'Long'"),
    (lambda: torch.linalg.svd(torch.randn(3)), RuntimeError,
     "linalg.svd: The input tensor A must have at least 2 dimensions."),
    (lambda: torch.linalg.svd(torch.ones(2, 2, dtype=torch.long)), RuntimeError,
     "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.matrix_power(torch.randn(2, 3), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: torch.linalg.matrix_power(torch.ones(3, 3, dtype=torch.long), -1), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.multi_dot([torch.randn(3, 3)]), RuntimeError,
     "multi_dot(): expected at least 2 tensors but got 1"),
    (lambda: torch.linalg.multi_dot([torch.randn(3, 3), torch.randn(3, 3, 3)]), RuntimeError,
     "multi_dot(): the last tensor must be 1D or 2D but got 3D"),
    (lambda: torch.linalg.multi_dot([torch.randn(3, 3), torch.randn(4, 3)]), RuntimeError,
     "multi_dot(): tensors 0 and 1 with shapes [3, 3] and [4, 3] cannot be multiplied"),
    (lambda: torch.linalg.multi_dot([torch.randn(3, 3), torch.randn(3, 3).double()]), RuntimeError,
     "multi_dot(): all tensors must have be the same dtype but tensor 0 is float and tensor 1 double"),
    (lambda: torch.linalg.vecdot(torch.randn(3, 3), torch.randn(3).double()), RuntimeError,
     "linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y of type "
     "Double"),
])
def test_linalg_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


def test_backward_errors_like_torch():
    a = torch.randn(5, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="The derivative of linalg.qr depends on Q"):
        torch.linalg.qr(a, mode="r")[1].sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        torch.linalg.qr(a, mode="complete")[0].sum().backward()


def test_linalg_error_is_runtime_error_and_return_types():
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    r = torch.linalg.qr(torch.eye(2))
    assert type(r).__name__ == "linalg_qr" and r.Q is r[0] and r.R is r[1]
    assert repr(r).startswith("torch.return_types.linalg_qr(\nQ=tensor(")
    U, S, Vh = torch.linalg.svd(torch.eye(2))
    assert torch.linalg.svd(torch.eye(2)).Vh.shape == (2, 2)
    assert torch.svd(torch.eye(2)).V.shape == (2, 2)
    assert torch.linalg.eigh(torch.eye(2)).eigenvalues.tolist() == [1.0, 1.0]
    assert torch.linalg.slogdet(torch.eye(2)).logabsdet.item() == 0.0
    s = torch.svd(torch.randn(3, 2), compute_uv=False)
    assert s.U.shape == (3, 3) and s.V.shape == (2, 2) and not s.U.numpy().any()
    assert torch.linalg.svd(torch.zeros(2, 0)).U.tolist() == [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parity
def test_grad_fn_names_match_torch():
    import torch as real

    a = np.eye(3, dtype=np.float32) * 2
    for fn in (lambda L, x: L.linalg.inv(x), lambda L, x: L.linalg.det(x), lambda L, x: L.linalg.svd(x)[1],
               lambda L, x: L.linalg.qr(x)[0], lambda L, x: L.linalg.eigh(x)[0],
               lambda L, x: L.linalg.cholesky(x), lambda L, x: L.linalg.vector_norm(x),
               lambda L, x: L.linalg.pinv(x), lambda L, x: L.linalg.slogdet(x)[1],
               lambda L, x: L.linalg.diagonal(x)):
        e = fn(torch, torch.tensor(a, requires_grad=True)).grad_fn.name()
        t = fn(real, real.tensor(a, requires_grad=True)).grad_fn.name()
        assert e == t


def test_diagonal_is_a_writable_view():
    a = torch.tensor(np.arange(1.0, 10.0).reshape(3, 3))
    d = torch.linalg.diagonal(a)
    d.mul_(0)
    assert a.numpy()[0, 0] == 0 and a.numpy()[1, 1] == 0 and a.numpy()[0, 1] == 2
    assert d._version is a._version
