"""Decompositions and inverses for engine.linalg: forward on numpy/cupy LAPACK, backward with engine ops.

Backward formulas are the standard matrix-calculus ones (written here in engine ops so create_graph works).
"""

from __future__ import annotations

import numpy as np

from .autograd.graph import Node
from .ops._helpers import _scalar_type_name, new, xp
from .ops.blas_misc import narrow, pad
from .tensor import Tensor, grad_needed


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a numerical failure (singular matrix, not positive-definite, ...)."""


# ------------------------------------------------------------------------------------------ helpers ----
def check_matrix(A: Tensor, fname: str, square: bool = True, floating: bool = True) -> None:
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fname}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    if floating and a.dtype.kind not in "fc":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_type_name(a.dtype)}")


def la(t: Tensor):
    return xp(t).linalg


def const(like: Tensor, array) -> Tensor:
    mod = xp(like)
    return new(mod.asarray(array) if mod is not np else array)


def eye(like: Tensor, n: int) -> Tensor:
    return const(like, xp(like).eye(n, dtype=like._data.dtype))


def H(t: Tensor) -> Tensor:
    """Conjugate transpose of the last two dims."""
    return t.mT.conj() if t._data.dtype.kind == "c" else t.mT


def diag_embed(v: Tensor) -> Tensor:
    return v.unsqueeze(-1) * eye(v, v._data.shape[-1])


def diagonal(m: Tensor) -> Tensor:
    return (m * eye(m, m._data.shape[-1])).sum(-1)


def tril(m: Tensor, k: int = 0) -> Tensor:
    r, c = m._data.shape[-2:]
    return m * const(m, np.tri(r, c, k, dtype=bool))


def mm(a: Tensor, b: Tensor) -> Tensor:
    from .ops.blas import matmul

    return matmul(a, b)


def _batch_prefix(index, batched: bool) -> str:
    return f"(Batch element {index}): " if batched else ""


def _first_bad(a, test):
    """(flat batch index, value) of the first matrix in a stack for which test(matrix) is not None."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        found = test(m)
        if found is not None:
            return i, found
    return 0, None


def _zero_pivot(m) -> int | None:
    """1-based index of the first exactly-zero pivot of an LU with partial pivoting (LAPACK getrf's info)."""
    m = np.array(m, copy=True)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        if p != k:
            m[[k, p]] = m[[p, k]]
        m[k + 1:, k:] -= np.multiply.outer(m[k + 1:, k] / m[k, k], m[k, k:])
    return None


def _smallest_pivot(m) -> int:
    m = np.array(m, copy=True)
    n = m.shape[0]
    piv = []
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if p != k:
            m[[k, p]] = m[[p, k]]
        piv.append(abs(m[k, k]))
        if m[k, k] != 0:
            m[k + 1:, k:] -= np.multiply.outer(m[k + 1:, k] / m[k, k], m[k, k:])
    return int(np.argmin(piv)) + 1


def _singular_error(a, fname: str) -> LinAlgError:
    a = np.asarray(a.get() if hasattr(a, "get") else a)
    idx, pivot = _first_bad(a, _zero_pivot)
    if pivot is None:  # LAPACK rounded a pivot to exactly zero where our LU did not: blame the worst one
        flat = a.reshape((-1,) + a.shape[-2:])
        with np.errstate(all="ignore"):
            cond = np.nan_to_num(np.linalg.cond(flat.astype(np.float64)), nan=np.inf)
        idx = int(np.argmax(cond))
        pivot = _smallest_pivot(flat[idx])
    return LinAlgError(f"{fname}: {_batch_prefix(idx, a.ndim > 2)}The diagonal element {pivot} is zero, the "
                       "inversion could not be completed because the input matrix is singular.")


# ---------------------------------------------------------------------------------------------- inv ---
class LinalgInvExBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (inv_a,) = self.saved_tensors
        ih = H(inv_a)
        return (-mm(mm(ih, g), ih),)


def inv(A: Tensor) -> Tensor:
    check_matrix(A, "linalg.inv")
    a = A._data
    try:
        data = la(A).inv(a)
    except np.linalg.LinAlgError:
        raise _singular_error(a, "linalg.inv") from None
    result = new(data)
    if grad_needed(A):
        LinalgInvExBackward0(result, A).save_with_output(result)
    return result


# ---------------------------------------------------------------------------------------- det/slogdet -
class LinalgDetBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        A, d = self.saved_tensors
        a = A._data
        if a.shape[-1] == 0:
            return (A * 0,)
        gd = (g * d.conj()).unsqueeze(-1).unsqueeze(-1)
        singular = d._data == 0
        if singular.any():
            # torch gives a zero gradient for exactly singular matrices: invert the identity there instead
            m = singular[..., None, None].astype(a.dtype)
            A = A * const(A, 1 - m) + const(A, m * xp(A).eye(a.shape[-1], dtype=a.dtype))
        return (gd * H(inv(A)),)


def det(A: Tensor) -> Tensor:
    check_matrix(A, "linalg.det")
    result = new(la(A).det(A._data))
    if grad_needed(A):
        LinalgDetBackward0(result, A).save_with_output(A, result)
    return result


class LinalgSlogdetBackward0(Node):
    __slots__ = ()

    def apply(self, grads):
        (A,) = self.saved_tensors
        g_logabs = grads[1]
        if g_logabs is None:
            return (A * 0,)
        return (g_logabs.unsqueeze(-1).unsqueeze(-1) * H(inv(A)),)


def slogdet(A: Tensor) -> tuple[Tensor, Tensor]:
    check_matrix(A, "linalg.slogdet")
    sign, logabs = la(A).slogdet(A._data)
    sign, logabs = new(sign), new(logabs)
    if grad_needed(A):
        LinalgSlogdetBackward0((sign, logabs), A).save(A)
    return sign, logabs


# -------------------------------------------------------------------------------------------- solve ---
class LinalgSolveExBackward0(Node):
    __slots__ = ("vector",)

    def backward(self, g):
        A, X = self.saved_tensors
        if self.vector:
            gb = solve_vector_or_matrix(H(A), g, True)
            ga = -(gb.unsqueeze(-1) * X.conj().unsqueeze(-2)) if self.needs(0) else None
        else:
            gb = solve_vector_or_matrix(H(A), g, False)
            ga = -mm(gb, H(X)) if self.needs(0) else None
        return ga, (gb if self.needs(1) else None)


def solve_vector_or_matrix(A: Tensor, B: Tensor, vector: bool) -> Tensor:
    a, b = A._data, B._data
    try:
        data = la(A).solve(a, b[..., None])[..., 0] if vector else la(A).solve(a, b)
    except np.linalg.LinAlgError:
        a_np = np.asarray(a.get() if hasattr(a, "get") else a)
        idx, _ = _first_bad(a_np, lambda m: _zero_pivot(m) or (None if np.isfinite(np.linalg.cond(m)) else 1))
        raise LinAlgError(f"torch.linalg.solve: {_batch_prefix(idx, a.ndim > 2)}The solver failed because "
                          "the input matrix is singular.") from None
    result = new(data)
    if grad_needed(A, B):
        node = LinalgSolveExBackward0(result, A, B)
        node.vector = vector
        node.save_with_output(A, result)
    return result


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    check_matrix(A, "linalg.solve")
    a, b = A._data, B._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_scalar_type_name(a.dtype)} and B of type {_scalar_type_name(b.dtype)} instead")
    if not left:
        return solve(A.mT, B.mT, left=True).mT
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows = b.shape[-1] if vector else (b.shape[-2] if b.ndim >= 2 else None)
    if rows != a.shape[-1]:
        shown = f"{b.shape[-1]}" if vector else "x".join(str(s) for s in b.shape[-2:])
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {shown})")
    return solve_vector_or_matrix(A, B, vector)


# ----------------------------------------------------------------------------------------- cholesky ---
class LinalgCholeskyExBackward0(Node):
    __slots__ = ("upper",)

    def backward(self, g):
        (out,) = self.saved_tensors
        L, gL = (H(out), H(g)) if self.upper else (out, g)
        gL = tril(gL)
        phi = tril(mm(H(L), gL))
        phi = phi - diag_embed(diagonal(phi)) * 0.5
        Lh = H(L)
        y = solve_vector_or_matrix(Lh, phi, False)            # L^-H phi
        ga = H(solve_vector_or_matrix(Lh, H(y), False))        # L^-H phi L^-1
        return ((ga + H(ga)) * 0.5,)


class CholeskyBackward0(LinalgCholeskyExBackward0):
    __slots__ = ()


def _not_pd_order(m) -> int | None:
    n = m.shape[-1]
    for k in range(1, n + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return None


def cholesky(A: Tensor, upper: bool = False, node_cls=LinalgCholeskyExBackward0) -> Tensor:
    check_matrix(A, "linalg.cholesky")
    a = A._data
    try:
        data = la(A).cholesky(a)
    except np.linalg.LinAlgError:
        a_np = np.asarray(a.get() if hasattr(a, "get") else a)
        idx, order = _first_bad(a_np, _not_pd_order)
        raise LinAlgError(f"linalg.cholesky: {_batch_prefix(idx, a.ndim > 2)}The factorization could not be "
                          "completed because the input is not positive-definite (the leading minor of order "
                          f"{order or 1} is not positive-definite).") from None
    if upper:
        data = data.conj().swapaxes(-1, -2).copy()
    result = new(data)
    if grad_needed(A):
        node = node_cls(result, A)
        node.upper = upper
        node.save_with_output(result)
    return result


# ---------------------------------------------------------------------------------------------- svd ---
class LinalgSvdBackward0(Node):
    __slots__ = ("full", "compute_uv")

    def apply(self, grads):
        A, U, S, Vh = self.saved_tensors
        gU, gS, gVh = grads if self.compute_uv else (None, grads[0], None)
        return (svd_backward(A, U, S, Vh, gU, gS, gVh, self.full),)


def svd_backward(A, U, S, Vh, gU, gS, gVh, full: bool):
    m, n = A._data.shape[-2:]
    k = min(m, n)
    if full:
        U, Vh = narrow(U, -1, 0, k), narrow(Vh, -2, 0, k)
        gU = narrow(gU, -1, 0, k) if gU is not None else None
        gVh = narrow(gVh, -2, 0, k) if gVh is not None else None
    if gU is None and gVh is None:
        return mm(U * gS.unsqueeze(-2), Vh) if gS is not None else A * 0
    V, gV = H(Vh), (H(gVh) if gVh is not None else None)
    complex_ = A._data.dtype.kind == "c"
    s2 = S * S
    denom = s2.unsqueeze(-2) - s2.unsqueeze(-1)                       # s_j^2 - s_i^2
    off = const(S, 1 - np.eye(k, dtype=S._data.dtype))
    F = off / (denom + eye(S, k))
    inner = diag_embed(gS.to(A.dtype) if complex_ else gS) if gS is not None else None
    Sm = S.unsqueeze(-2)                                                # scales columns by s_j
    Sc = S.unsqueeze(-1)                                                # scales rows by s_i
    if gU is not None:
        UhgU = mm(H(U), gU)
        J = F * (UhgU - H(UhgU))
        term = J * Sm
        inner = term if inner is None else inner + term
        if complex_:
            im = diagonal(UhgU).imag
            inner = inner + diag_embed((im / (2 * S)).to(A.dtype) * 1j)
    if gV is not None:
        VhgV = mm(Vh, gV)
        K = F * (VhgV - H(VhgV))
        term = Sc * K
        inner = term if inner is None else inner + term
    gA = mm(mm(U, inner), Vh)
    if gU is not None and m > k:
        proj = gU - mm(U, mm(H(U), gU))
        gA = gA + mm(proj / Sm, Vh)
    if gV is not None and n > k:
        proj = gV - mm(V, mm(Vh, gV))
        gA = gA + mm(U / Sm, H(proj))
    return gA


def svd(A: Tensor, full_matrices: bool = True):
    check_matrix(A, "linalg.svd", square=False)
    a = A._data
    m, n = a.shape[-2:]
    if a.size == 0:
        mod = xp(A)
        k = min(m, n)
        batch = a.shape[:-2]
        eye_u = mod.broadcast_to(mod.eye(m, m if full_matrices else k, dtype=a.dtype), batch + (m, m if
                                 full_matrices else k)).copy()
        eye_v = mod.broadcast_to(mod.eye(n if full_matrices else k, n, dtype=a.dtype), batch + (n if
                                 full_matrices else k, n)).copy()
        u, s, vh = eye_u, mod.zeros(batch + (k,), dtype=a.real.dtype), eye_v
    else:
        u, s, vh = la(A).svd(a, full_matrices=full_matrices)
    U, S, Vh = new(u), new(s), new(vh)
    if grad_needed(A):
        node = LinalgSvdBackward0((U, S, Vh), A)
        node.full, node.compute_uv = full_matrices, True
        node.save(A, U._alias(), S._alias(), Vh._alias())
    return U, S, Vh


def svdvals(A: Tensor) -> Tensor:
    check_matrix(A, "linalg.svdvals", square=False)
    if not grad_needed(A):
        a = A._data
        if a.size == 0:
            return new(xp(A).zeros(a.shape[:-2] + (min(a.shape[-2:]),), dtype=a.real.dtype))
        return new(la(A).svd(a, compute_uv=False))
    u, s, vh = la(A).svd(A._data, full_matrices=False)
    S = new(s)
    node = LinalgSvdBackward0(S, A)
    node.full, node.compute_uv = False, False
    node.save(A, new(u), S._alias(), new(vh))
    return S


# ----------------------------------------------------------------------------------------------- qr ---
class LinalgQrBackward0(Node):
    __slots__ = ("mode",)

    def apply(self, grads):
        A, Q, R = self.saved_tensors
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                               "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                               "differentiate through linalg.qr.")
        m, n = A._data.shape[-2:]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        gQ, gR = grads
        return (qr_backward(Q, R, gQ, gR),)


def _copyltu(M: Tensor) -> Tensor:
    low = tril(M, -1)
    d = diagonal(M)
    d = d.real.to(M.dtype) if M._data.dtype.kind == "c" else d
    return low + H(low) + diag_embed(d)


def qr_backward(Q: Tensor, R: Tensor, gQ, gR) -> Tensor:
    m, n = Q._data.shape[-2], R._data.shape[-1]
    if m >= n:
        M = mm(R, H(gR)) if gR is not None else None
        if gQ is not None:
            M2 = mm(H(gQ), Q)
            M = -M2 if M is None else M - M2
        b = mm(Q, _copyltu(M))
        if gQ is not None:
            b = b + gQ
        # b R^{-H}: solve R X^H = b^H
        return H(solve_vector_or_matrix(R, H(b), False))
    # wide: A = [X | Y] with X = Q U square and Y = Q V
    U, V = narrow(R, -1, 0, m), narrow(R, -1, m, n - m)
    Y = mm(Q, V)
    gV = narrow(gR, -1, m, n - m) if gR is not None else None
    gU = narrow(gR, -1, 0, m) if gR is not None else None
    gQx = gQ if gQ is not None else Q * 0
    if gV is not None:
        gQx = gQx + mm(Y, H(gV))
    gX = qr_backward(Q, U, gQx, gU)
    gY = mm(Q, gV) if gV is not None else Y * 0
    return pad(gX, -1, 0, n) + pad(gY, -1, m, n)


def qr(A: Tensor, mode: str = "reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    check_matrix(A, "linalg.qr", square=False)
    a = A._data
    if mode == "r":
        r = la(A).qr(a, mode="r")
        q = xp(A).zeros((0,), dtype=a.dtype)
    else:
        q, r = la(A).qr(a, mode=mode)
    Q, R = new(q), new(r)
    if grad_needed(A):
        node = LinalgQrBackward0((Q, R), A)
        node.mode = mode
        node.save(A, Q._alias(), R._alias())
    return Q, R


# --------------------------------------------------------------------------------------------- eigh ---
class LinalgEighBackward0(Node):
    __slots__ = ("vectors",)

    def apply(self, grads):
        A, L, V = self.saved_tensors
        gL, gV = grads if self.vectors else (grads[0], None)
        complex_ = A._data.dtype.kind == "c"
        if gV is None:
            gl = gL.to(A.dtype) if complex_ else gL
            return (mm(V * gl.unsqueeze(-2), H(V)),)
        k = L._data.shape[-1]
        denom = L.unsqueeze(-2) - L.unsqueeze(-1)                          # L_j - L_i
        off = const(L, 1 - np.eye(k, dtype=L._data.dtype))
        F = off / (denom + eye(L, k))
        inner = F * mm(H(V), gV)
        if gL is not None:
            inner = inner + diag_embed(gL.to(A.dtype) if complex_ else gL)
        ga = mm(mm(V, inner), H(V))
        return ((ga + H(ga)) * 0.5,)


def eigh(A: Tensor, UPLO: str = "L", vectors: bool = True):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    check_matrix(A, "linalg.eigh", floating=False)
    a = A._data
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{_scalar_type_name(a.dtype)}'")
    if not (vectors or grad_needed(A)):
        return new(la(A).eigvalsh(a, UPLO=UPLO))
    w, v = la(A).eigh(a, UPLO=UPLO)
    L, V = new(w), new(v)
    if grad_needed(A):
        node = LinalgEighBackward0((L, V) if vectors else L, A)
        node.vectors = vectors
        node.save(A, L._alias(), V._alias())
    return (L, V) if vectors else L
