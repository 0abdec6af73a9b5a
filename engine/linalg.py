"""engine.linalg: torch.linalg's norms, decompositions, inverses and products.

The decompositions themselves (forward + backward) live in _linalg_decomp.py.
"""

from __future__ import annotations

import collections

import numpy as np

from . import _dtype as dt
from . import _linalg_decomp as _d
from ._linalg_decomp import H, LinAlgError, check_matrix, const
from .autograd.graph import Node
from .ops._helpers import _scalar_type_name, new, wrap_dim, xp
from .ops.blas import _CPP_NAMES, matmul
from .ops.blas_misc import linalg_cross as cross
from .ops.blas_misc import narrow
from .tensor import Tensor, grad_needed

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "svd", "svdvals", "qr", "eigh", "eigvalsh",
           "inv", "inv_ex", "det", "slogdet", "solve", "cholesky", "cholesky_ex", "lstsq", "pinv",
           "matrix_rank", "matrix_power", "multi_dot", "cross", "vecdot", "diagonal", "matmul"]


def _return_type(name: str, fields: str):
    base = collections.namedtuple(name, fields)

    def __repr__(self) -> str:  # noqa: N807 - torch.return_types print one field per line
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})


linalg_svd = _return_type("linalg_svd", "U S Vh")
svd_type = _return_type("svd", "U S V")
linalg_qr = _return_type("linalg_qr", "Q R")
qr_type = _return_type("qr", "Q R")
linalg_eigh = _return_type("linalg_eigh", "eigenvalues eigenvectors")
linalg_slogdet = _return_type("linalg_slogdet", "sign logabsdet")
slogdet_type = _return_type("slogdet", "sign logabsdet")
linalg_lstsq = _return_type("linalg_lstsq", "solution residuals rank singular_values")
linalg_inv_ex = _return_type("linalg_inv_ex", "inverse info")
linalg_cholesky_ex = _return_type("linalg_cholesky_ex", "L info")


def _real_np(np_dtype) -> np.dtype:
    return np.dtype(np.float32) if np_dtype == np.complex64 else (
        np.dtype(np.float64) if np_dtype == np.complex128 else np.dtype(np_dtype))


def _sgn(x: Tensor) -> Tensor:
    """sign(x) (x/|x| for complex, 0 at 0) as a constant."""
    a = x._data
    mod = xp(x)
    if a.dtype.kind != "c":
        return const(x, mod.sign(a))
    mag = mod.abs(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return const(x, mod.where(mag == 0, 0, a / mag).astype(a.dtype))


def _keep_shape(shape: tuple, dims: tuple | None) -> tuple:
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


# --------------------------------------------------------------------------------------- vector_norm --
class LinalgVectorNormBackward0(Node):
    __slots__ = ("ord", "dims", "keepdim")

    def backward(self, g):
        x, out = self.saved_tensors
        return (_vector_norm_grad(g, x, out, self.ord, self.dims, self.keepdim),)


def _vector_norm_grad(g: Tensor, x: Tensor, out: Tensor, ord, dims, keepdim: bool) -> Tensor:
    if not keepdim:
        shape = _keep_shape(x._data.shape, dims)
        g, out = g.reshape(shape), out.reshape(shape)
    ord = float(ord)
    if ord == 0:
        return g * const(x, xp(x).zeros(x._data.shape, dtype=g._data.dtype))
    if ord == 1:
        return g * _sgn(x)
    zero = out._data == 0
    if ord == 2:
        return x * (g * const(g, ~zero) / (out + const(out, zero.astype(out._data.dtype))))
    if ord in (float("inf"), float("-inf")):
        mag = xp(x).abs(x._data)
        hit = (mag == out._data).astype(mag.dtype)
        count = hit.sum(axis=dims, keepdims=True)
        return g * _sgn(x) * const(x, hit / np.maximum(count, 1))
    sgn = _sgn(x)
    mag = x * sgn.conj() if x._data.dtype.kind == "c" else x * sgn
    mag = mag.real if x._data.dtype.kind == "c" else mag
    if ord < 1:
        mag = mag + const(x, (x._data == 0).astype(mag._data.dtype))
    safe_out = out + const(out, zero.astype(out._data.dtype))
    scale = g * const(g, ~zero) / safe_out ** (ord - 1)
    return sgn * mag ** (ord - 1) * scale


def _ord_str(ord) -> str:
    return f"{ord:g}" if isinstance(ord, float) else str(ord)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out: Tensor | None = None) -> Tensor:
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_type_name(x._data.dtype)}")
    if dtype is not None:
        dtype = dt.to_dtype(dtype)
        if dtype.np.kind not in "fc":
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, but got "
                               f"{_scalar_type_name(dtype.np)}")
        if x._data.dtype.kind in "fc" and np.dtype(dtype.np).itemsize < x._data.dtype.itemsize:
            raise RuntimeError("linalg.vector_norm: the dtype of the input "
                               f"({_scalar_type_name(x._data.dtype)}) should be convertible without "
                               f"narrowing to the specified dtype ({_scalar_type_name(dtype.np)})")
        if x._data.dtype != dtype.np:
            x = x.to(dtype)
    a = x._data
    dims = _norm_dims(dim, a.ndim) if a.ndim else None
    ordf = float(ord)
    if ordf < 0 or ordf == float("inf"):
        if dims is None and a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims or ():
            if a.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on the "
                                   f"dimension {d}because this dimension is empty and the operation does not "
                                   "have an identity")
    mod = xp(x)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if ordf == 2 and a.dtype.kind == "f":
            data = mod.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        else:
            mag = mod.abs(a)
            if ordf == 2:
                data = mod.sqrt((mag * mag).sum(axis=dims, keepdims=keepdim))
            elif ordf == float("inf"):
                data = mag.max(axis=dims, keepdims=keepdim)
            elif ordf == float("-inf"):
                data = mag.min(axis=dims, keepdims=keepdim)
            elif ordf == 0:
                data = (a != 0).sum(axis=dims, keepdims=keepdim).astype(mag.dtype)
            elif ordf == 1:
                data = mag.sum(axis=dims, keepdims=keepdim)
            else:
                data = (mag ** ordf).sum(axis=dims, keepdims=keepdim) ** (1.0 / ordf)
    result = new(mod.asarray(data, dtype=_real_np(a.dtype)))
    if grad_needed(x):
        node = LinalgVectorNormBackward0(result, x)
        node.ord, node.dims, node.keepdim = ord, dims, keepdim
        node.save_with_output(x, result)
    return _out(result, out)


def _norm_dims(dim, ndim: int) -> tuple | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    wrapped = [wrap_dim(d, ndim) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(wrapped))


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    out._data = result._data
    out._version[0] += 1
    return out


# --------------------------------------------------------------------------------------- amax / amin --
class AmaxBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        x, out = self.saved_tensors
        hit = (x._data == out._data[..., None]).astype(g._data.dtype)
        share = hit / hit.sum(axis=-1, keepdims=True)
        return (g.unsqueeze(-1) * const(g, share),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()


def _amax_last(x: Tensor, minimum: bool = False) -> Tensor:
    """max (or min) over the last dim; the gradient is shared evenly between ties, like torch.amax."""
    a = x._data
    result = new(a.min(axis=-1) if minimum else a.max(axis=-1))
    if grad_needed(x):
        node = (AminBackward0 if minimum else AmaxBackward0)(result, x)
        node.dim = -1
        node.save_with_output(x, result)
    return result


# --------------------------------------------------------------------------------------- matrix_norm --
def _to_last_two(A: Tensor, d0: int, d1: int) -> Tensor:
    rest = [i for i in range(A.ndim) if i not in (d0, d1)]
    order = rest + [d0, d1]
    return A if order == list(range(A.ndim)) else A.permute(order)


def _restore_kept(result: Tensor, d0: int, d1: int, keepdim: bool) -> Tensor:
    if not keepdim:
        return result
    for d in sorted((d0, d1)):
        result = result.unsqueeze(d)
    return result


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out: Tensor | None = None) -> Tensor:
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    d0, d1 = wrap_dim(dim[0], a.ndim), wrap_dim(dim[1], a.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_type_name(a.dtype)}")
    if dtype is not None:
        A = A.to(dt.to_dtype(dtype))
    if isinstance(ord, str):
        if ord == "fro":
            return _out(vector_norm(A, 2, (d0, d1), keepdim), out)
        if ord == "nuc":
            s = _d.svdvals(_to_last_two(A, d0, d1))
            return _out(_restore_kept(s.sum(-1), d0, d1, keepdim), out)
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in (2, -2):
        s = _d.svdvals(_to_last_two(A, d0, d1))
        return _out(_restore_kept(_amax_last(s, ord == -2), d0, d1, keepdim), out)
    if ord in (1, -1, float("inf"), float("-inf")):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        col = vector_norm(A, 1, summed, keepdim=True)
        r = _amax_last(col.transpose(other, -1), ord < 0)
        if keepdim:
            r = r.unsqueeze(-1).transpose(other, -1)
        else:
            r = r.unsqueeze(-1).transpose(other, -1).squeeze((d0, d1))
        return _out(r, out)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None,
         out: Tensor | None = None) -> Tensor:
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1 and not isinstance(ord, str):
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        if len(dims) == 1:
            return matrix_norm(A, ord, dims, keepdim, dtype=dtype, out=out)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                       f"{A.ndim}D.")


# ------------------------------------------------------------------------------------ decompositions ---
def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    return linalg_svd(*_d.svd(A, full_matrices))


def _legacy_svd(A: Tensor, some: bool = True, compute_uv: bool = True):
    if not compute_uv:
        S = _d.svdvals(A)
        m, n = A._data.shape[-2:]
        mod = xp(A)
        zeros_u = new(mod.zeros(A._data.shape[:-2] + (m, m), dtype=A._data.dtype))
        zeros_v = new(mod.zeros(A._data.shape[:-2] + (n, n), dtype=A._data.dtype))
        return svd_type(zeros_u, S, zeros_v)
    U, S, Vh = _d.svd(A, not some)
    return svd_type(U, S, H(Vh))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    return _d.svdvals(A)


def qr(A: Tensor, mode: str = "reduced"):
    return linalg_qr(*_d.qr(A, mode))


def _qr(A: Tensor, mode: str, _name: str):
    return qr_type(*_d.qr(A, mode))


def eigh(A: Tensor, UPLO: str = "L"):
    return linalg_eigh(*_d.eigh(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    return _d.eigh(A, UPLO, vectors=False)


def inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _out(_d.inv(A), out)


def inv_ex(A: Tensor, *, check_errors: bool = False):
    result = _d.inv(A)
    return linalg_inv_ex(result, new(xp(A).zeros(A._data.shape[:-2], dtype=np.int32)))


def det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _out(_d.det(A), out)


def slogdet(A: Tensor):
    return linalg_slogdet(*_d.slogdet(A))


def _slogdet(A: Tensor, _name: str):
    return slogdet_type(*_d.slogdet(A))


def _logdet(A: Tensor) -> Tensor:
    sign, logabs = _d.slogdet(A)
    s = sign._data
    mod = xp(A)
    if s.dtype.kind == "c":
        return logabs.to(sign.dtype) + const(logabs, (1j * mod.angle(s)).astype(s.dtype))
    bad = mod.where(s < 0, mod.nan, 0).astype(logabs._data.dtype)
    return logabs + const(logabs, bad)


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    return _out(_d.solve(A, B, left=left), out)


def cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    return _out(_d.cholesky(A, upper), out)


def _cholesky(A: Tensor, upper: bool, _name: str) -> Tensor:
    return _d.cholesky(A, upper, _d.CholeskyBackward0)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    try:
        L = _d.cholesky(A, upper)
        info = 0
    except LinAlgError:
        if check_errors:
            raise
        L = new(xp(A).full(A._data.shape, np.nan, dtype=A._data.dtype))
        info = 1
    return linalg_cholesky_ex(L, new(xp(A).full(A._data.shape[:-2], info, dtype=np.int32)))


# ------------------------------------------------------------------------------------- pinv / rank ----
def _tolerance(s, m: int, n: int, atol, rtol, mod):
    """torch's cutoff max(atol, rtol * largest singular value), with its defaults."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(s.dtype).eps * max(m, n)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else mod.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
    return mod.maximum(atol if atol is not None else 0.0, rtol * smax)


class LinalgPinvBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        A, P = self.saved_tensors
        Ph, X = H(P), H(g)
        ga = -matmul(matmul(Ph, g), Ph)
        ga = ga + matmul(X - matmul(A, matmul(P, X)), matmul(P, Ph))
        ga = ga + matmul(matmul(Ph, P), X - matmul(matmul(X, P), A))
        return (ga,)


def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None,
         out: Tensor | None = None) -> Tensor:
    check_matrix(A, "linalg.pinv", square=False)
    if rcond is not None:
        rtol = rcond
    a = A._data
    mod = xp(A)
    m, n = a.shape[-2:]
    if a.size == 0:
        data = mod.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    else:
        u, s, vh = mod.linalg.svd(a, full_matrices=False)
        cutoff = _tolerance(s, m, n, atol, rtol, mod)
        with np.errstate(divide="ignore"):
            s_inv = mod.where(s > cutoff, 1 / mod.where(s > cutoff, s, 1), 0).astype(s.dtype)
        data = (vh.conj().swapaxes(-1, -2) * s_inv[..., None, :]) @ u.conj().swapaxes(-1, -2)
    result = new(data)
    if grad_needed(A):
        LinalgPinvBackward0(result, A).save_with_output(A, result)
    return _out(result, out)


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None,
                out: Tensor | None = None) -> Tensor:
    check_matrix(A, "linalg.matrix_rank", square=False)
    if tol is not None:
        atol, rtol = tol, 0.0
    a = A._data
    mod = xp(A)
    m, n = a.shape[-2:]
    if a.size == 0:
        return _out(new(mod.zeros(a.shape[:-2], dtype=np.int64)), out)
    s = mod.abs(mod.linalg.eigvalsh(a)) if hermitian else mod.linalg.svd(a, compute_uv=False)
    cutoff = _tolerance(s, m, n, atol, rtol, mod)
    return _out(new(mod.asarray((s > cutoff).sum(axis=-1), dtype=np.int64)), out)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver: str | None = None):
    check_matrix(A, "linalg.lstsq", square=False)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError("torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                           f"input's dtype {A.dtype} and other's dtype {B.dtype}")
    driver = driver or "gelsy"
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    P = pinv(A, rtol=rcond)
    X = matmul(P, Bm)
    mod = xp(A)
    m, n = A._data.shape[-2:]
    empty = new(mod.zeros((0,), dtype=_real_np(A._data.dtype)))
    # torch's empty residuals still hang off the autograd graph
    residuals = narrow((X * 0).real.reshape(-1), 0, 0, 0) if grad_needed(X) else empty
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else new(mod.zeros((0,), dtype=np.int64))
    if driver != "gelsy" and m > n and bool((rank._data == n).all() if driver != "gels" else True):
        r = matmul(A, X) - Bm
        residuals = (r * r.conj()).real.sum(-2) if r._data.dtype.kind == "c" else (r * r).sum(-2)
    sv = _d.svdvals(A).detach() if driver in ("gelsd", "gelss") else empty
    return linalg_lstsq(X.squeeze(-1) if vector else X, residuals, rank, sv)


# --------------------------------------------------------------------------------- matrix products -----
def matrix_power(A: Tensor, n: int, *, out: Tensor | None = None) -> Tensor:
    check_matrix(A, "linalg.matrix_power", floating=False)
    if n < 0:
        A, n = _d.inv(A), -n
    if n == 0:
        k = A._data.shape[-1]
        eye = xp(A).broadcast_to(xp(A).eye(k, dtype=A._data.dtype), A._data.shape)
        return _out(A * 0 + const(A, eye), out) if grad_needed(A) else _out(new(eye.copy()), out)
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return _out(result.clone() if result is A else result, out)


def multi_dot(tensors, *, out: Tensor | None = None) -> Tensor:
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0].ndim, tensors[-1].ndim
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], start=1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    dtype = tensors[0]._data.dtype
    for i, t in enumerate(tensors):
        if t._data.dtype != dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_CPP_NAMES.get(dtype.name, dtype.name)} and tensor {i} "
                               f"{_CPP_NAMES.get(t._data.dtype.name, t._data.dtype.name)}")
    mats = list(tensors)
    if first == 1:
        mats[0] = mats[0].unsqueeze(0)
    if last == 1:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(n - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(mats[i]._data.shape)} and {list(mats[i + 1]._data.shape)} cannot be "
                               "multiplied")
    result = _chain(mats)
    if first == 1 and last == 1:
        result = result.reshape(())
    elif first == 1:
        result = result.squeeze(0)
    elif last == 1:
        result = result.squeeze(-1)
    return _out(result, out)


def _chain(mats: list) -> Tensor:
    """Multiply in the cheapest order (classic matrix-chain dynamic programme; chains are short)."""
    n = len(mats)
    if n == 2:
        return matmul(mats[0], mats[1])
    dims = [m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def build(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return matmul(build(i, k), build(k + 1, j))

    return build(0, n - 1)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    if x._data.dtype != y._data.dtype:
        raise RuntimeError("linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_scalar_type_name(x._data.dtype)} and y of type "
                           f"{_scalar_type_name(y._data.dtype)} instead")
    xc = x.conj() if x._data.dtype.kind == "c" else x
    return _out((xc * y).sum(dim), out)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """torch.linalg.diagonal: Tensor.diagonal over the last two dims by default (a writable view)."""
    from .ops.views import diagonal as tensor_diagonal

    return tensor_diagonal(A, offset, dim1, dim2)
