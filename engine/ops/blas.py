"""Matrix products: matmul/@, mm, bmm, mv, dot, vdot, inner, outer, addmm/addmv/addr/addbmm/baddbmm.

einsum, tensordot, kron, trace, cross, cdist, ... live in blas_misc.py and are re-exported here.
"""

from __future__ import annotations

import numpy as np

from .. import _parallel
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, new, tensor_method, to_tensor
from .blas_legacy import *  # noqa: F403
from .blas_legacy import __all__ as _legacy_all
from .blas_misc import *  # noqa: F403
from .blas_misc import __all__ as _misc_all

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "addr",
           "addbmm", "baddbmm", "chain_matmul", *_misc_all, *_legacy_all]

_CPP_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
    "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}


def _cpp(a) -> str:
    return _CPP_NAMES.get(a.dtype.name, a.dtype.name)


def _name(a) -> str:
    return _scalar_type_name(a.dtype)


def _m1m2_dtype_error(a, b):
    return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp(a)} != {_cpp(b)}")


def _not_implemented(op: str, a):
    return NotImplementedError(f'"{op}" not implemented for \'{_name(a)}\'')


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


def _maybe_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    if out._data.shape != result._data.shape:
        out._data = result._data.astype(out._data.dtype)
    else:
        out._data[...] = result._data
    out._version[0] += 1
    return out


def _conj(t: Tensor) -> Tensor:
    return t.conj() if t._data.dtype.kind == "c" else t


def _check_expand(shape: tuple, target: tuple) -> None:
    """Raise torch's expand error when `shape` does not broadcast to exactly `target`."""
    lead = len(target) - len(shape)
    ok = lead >= 0 and all(s in (1, target[lead + i]) for i, s in enumerate(shape))
    if ok:
        return
    for i in range(len(target)):
        own = shape[i - lead] if 0 <= i - lead < len(shape) else None
        if own is not None and own != 1 and own != target[i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[i]}) must match the existing size ({own}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(target)}.  Tensor sizes: {list(shape)}"
            )
    raise RuntimeError(
        f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(target)}): the number of sizes provided "
        f"({len(target)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
    )


# ------------------------------------------------------------------------------------------- matmul ----
def matmul_grads(node: Node, g: Tensor, a: Tensor, b: Tensor):
    """Gradients of a @ b for every torch matmul case (1-D operands, broadcast batch dims)."""
    da, db = a._data.ndim, b._data.ndim
    ga = gb = None
    if da == 1 and db == 1:
        if node.needs(0):
            ga = g * _conj(b)
        if node.needs(1):
            gb = g * _conj(a)
        return ga, gb
    if node.needs(0):
        if db == 1:
            ga = g.unsqueeze(-1) * _conj(b)  # outer product (…, M, K)
        elif da == 1:
            ga = matmul(g.unsqueeze(-2), _conj(b).mT).squeeze(-2)
        else:
            ga = matmul(g, _conj(b).mT)
    if node.needs(1):
        if da == 1:
            gb = _conj(a).unsqueeze(-1) * g.unsqueeze(-2) if db > 1 else None
        elif db == 1:
            gb = matmul(_conj(a).mT, g.unsqueeze(-1)).squeeze(-1)
        elif da > 2 and db == 2 and a._data.flags.c_contiguous and a._data.size:
            k, n = a._data.shape[-1], g._data.shape[-1]
            gb = matmul(_conj(a).reshape(-1, k).mT, g.reshape(-1, n))
        else:
            gb = matmul(_conj(a).mT, g)
    return ga, gb


class _MatmulBackward(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.saved_tensors
        return matmul_grads(self, g, a, b)


class MmBackward0(_MatmulBackward):
    __slots__ = ()


class BmmBackward0(_MatmulBackward):
    __slots__ = ()


class DotBackward0(_MatmulBackward):
    __slots__ = ()


class MvBackward0(_MatmulBackward):
    __slots__ = ()


class SqueezeBackward4(_MatmulBackward):
    __slots__ = ()


class UnsafeViewBackward0(_MatmulBackward):
    __slots__ = ()


def _node_class(da: int, db: int):
    if da == 2 and db == 2:
        return MmBackward0
    if da == 1:
        return DotBackward0 if db == 1 else (SqueezeBackward4 if db == 2 else UnsafeViewBackward0)
    if db == 1:
        return MvBackward0 if da == 2 else UnsafeViewBackward0
    return UnsafeViewBackward0


def _matmul_dtype_error(a, b):
    da, db = a.ndim, b.ndim
    if da == 1 and db == 1:
        return RuntimeError(f"dot : expected both vectors to have same dtype, but found {_name(a)} and "
                            f"{_name(b)}")
    if db == 1:
        return RuntimeError(f"addmv input tensors must have the same dtype, but got {_name(b)}, {_name(a)}, "
                            f"and {_name(b)}")
    if da >= 3 and db >= 3:
        return RuntimeError(f"expected scalar type {_name(a)} but found {_name(b)}")
    return _m1m2_dtype_error(a, b)


def _matmul_shape_error(a_shape: tuple, b_shape: tuple):
    da, db = len(a_shape), len(b_shape)
    if da == 1 and db == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{a_shape[0]}] and src "
                            f"[{b_shape[0]}] to have the same number of elements, but got {a_shape[0]} and "
                            f"{b_shape[0]} elements respectively")
    if db == 1:
        rows = int(np.prod(a_shape[:-1]))
        return RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a_shape[-1]}), "
                            f"vec ({b_shape[0]})")
    if db == 2 and da <= 2 or (da >= 3 and db == 2):
        rows = int(np.prod(a_shape[:-1]))
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a_shape[-1]} and "
                            f"{_shape_str(b_shape)})")
    a_batch = a_shape[:-2] if da >= 2 else ()
    b_batch = b_shape[:-2]
    try:
        batch = np.broadcast_shapes(a_batch, b_batch)
    except ValueError:
        n = max(len(a_batch), len(b_batch))
        pa, pb = (1,) * (n - len(a_batch)) + a_batch, (1,) * (n - len(b_batch)) + b_batch
        i = next(i for i in range(n) if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1)
        return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                            f"non-singleton dimension {i}")
    nb = int(np.prod(batch))
    return RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                        f"[{nb}, {a_shape[-1]}] but got: [{nb}, {b_shape[-2]}].")


def _matmul_data(a, b):
    if a.ndim >= 3 and b.ndim >= 3 and type(a) is np.ndarray and type(b) is np.ndarray:
        out = _parallel.batched_matmul(a, b)
        if out is not None:
            return out
    if a.ndim >= 3 and b.ndim == 2 and a.flags.c_contiguous:
        # fold the batch into rows: one GEMM instead of a loop of small ones
        k = a.shape[-1]
        if k != b.shape[0]:
            raise ValueError
        rows = a.size // k if k else int(np.prod(a.shape[:-1]))
        return _parallel.gemm(a.reshape(rows, k), b).reshape(a.shape[:-1] + (b.shape[1],))
    if a.ndim == 2 and b.ndim == 2:
        if a.shape[1] != b.shape[0]:
            raise ValueError
        return _parallel.gemm(a, b)
    return a @ b


@tensor_method("matmul", "__matmul__")
def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    if a.dtype != b.dtype:
        raise _matmul_dtype_error(a, b)
    if a.dtype.kind == "b":
        op = "addmv_impl_cpu" if b.ndim == 1 else "addmm_impl_cpu_"
        op = "dot" if a.ndim == 1 and b.ndim == 1 else op
        raise _not_implemented(op, a)
    try:
        data = _matmul_data(a, b)
    except ValueError:
        raise _matmul_shape_error(a.shape, b.shape) from None
    result = new(data)
    if grad_needed(input, other):
        node = _node_class(a.ndim, b.ndim)(result, input, other)
        node.save_if_needed((input, node.needs(1)), (other, node.needs(0)))
    return _maybe_out(result, out)


@tensor_method("__rmatmul__")
def _rmatmul(input: Tensor, other) -> Tensor:
    return matmul(to_tensor(other, input), input)


@tensor_method("mm")
def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.dtype != b.dtype:
        raise _m1m2_dtype_error(a, b)
    if a.dtype.kind == "b":
        raise _not_implemented("addmm_impl_cpu_", a)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and "
                           f"{_shape_str(b.shape)})")
    result = new(_parallel.gemm(a, b))
    if grad_needed(input, mat2):
        node = MmBackward0(result, input, mat2)
        node.save_if_needed((input, node.needs(1)), (mat2, node.needs(0)))
    return _maybe_out(result, out)


def _check_bmm(a, b, names=("batch1", "batch2")) -> None:
    if a.ndim != 3:
        raise RuntimeError(f"{names[0]} must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError(f"{names[1]} must be a 3D tensor")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_name(a)} but found {_name(b)}")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.dtype.kind == "b":
        raise _not_implemented("bmm", a)


@tensor_method("bmm")
def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    a, b = input._data, mat2._data
    _check_bmm(a, b)
    result = new(a @ b)
    if grad_needed(input, mat2):
        node = BmmBackward0(result, input, mat2)
        node.save_if_needed((input, node.needs(1)), (mat2, node.needs(0)))
    return _maybe_out(result, out)


@tensor_method("mv")
def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    a, b = input._data, vec._data
    if a.ndim != 2 or b.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {b.ndim}")
    return matmul(input, vec, out=out)


def _check_dot(a, b, name: str) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found {_name(a)} and "
                           f"{_name(b)}")
    if a.shape != b.shape:
        raise _matmul_shape_error(a.shape, b.shape)
    if a.dtype.kind == "b":
        raise _not_implemented(name, a)


@tensor_method("dot")
def dot(input: Tensor, tensor: Tensor, *, out: Tensor | None = None) -> Tensor:
    _check_dot(input._data, tensor._data, "dot")
    return matmul(input, tensor, out=out)


class VdotBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.saved_tensors
        return (_conj(g) * b if self.needs(0) else None), (g * a if self.needs(1) else None)


@tensor_method("vdot")
def vdot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    a, b = input._data, other._data
    _check_dot(a, b, "vdot")
    result = new(np.asarray(a.conj() @ b) if a.dtype.kind == "c" else np.asarray(a @ b))
    if grad_needed(input, other):
        VdotBackward0(result, input, other).save(input, other)
    return _maybe_out(result, out)


@tensor_method("inner")
def inner(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return _maybe_out(input * other, out)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    if a.dtype != b.dtype:
        raise _m1m2_dtype_error(a, b)
    k = a.shape[-1]
    flat = matmul(input.reshape(-1, k), other.reshape(-1, k).mT)
    return _maybe_out(flat.reshape(a.shape[:-1] + b.shape[:-1]), out)


@tensor_method("outer", "ger")
def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    for name, t in (("vec1", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return _maybe_out(input.unsqueeze(1) * vec2, out)


ger = outer


def chain_matmul(*matrices: Tensor, out: Tensor | None = None) -> Tensor:
    import warnings

    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        return _maybe_out(matrices[0].clone(), out)
    from ..linalg import multi_dot

    return _maybe_out(multi_dot(matrices), out)


# ------------------------------------------------------------------------- addmm and friends -------
def _scaled(g: Tensor, s) -> Tensor:
    return g if s == 1 else g * s


def _scale_inplace(data, s):
    if s == 1:
        return data
    if data.dtype.kind in "iu":
        s = int(s)
    data *= s
    return data


def _add_input(data, inp, beta):
    if beta == 0:
        return data
    if beta == 1:
        data += inp
    else:
        data += inp * (int(beta) if data.dtype.kind in "iu" else beta)
    return data


class AddmmBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, g):
        m1, m2 = self.saved_tensors
        gi = _scaled(g, self.beta) if self.needs(0) else None
        ga = matmul(_scaled(g, self.alpha), _conj(m2).mT) if self.needs(1) else None
        gb = matmul(_conj(m1).mT, _scaled(g, self.alpha)) if self.needs(2) else None
        return gi, ga, gb


@tensor_method("addmm")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out: Tensor | None = None) -> Tensor:
    a, b, c = input._data, mat1._data, mat2._data
    if b.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {b.ndim}-D tensor")
    if c.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {c.ndim}-D tensor")
    if b.shape[1] != c.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(b.shape)} and "
                           f"{_shape_str(c.shape)})")
    if b.dtype != c.dtype:
        raise _m1m2_dtype_error(b, c)
    if a.dtype != c.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_name(a)} and {_name(c)}")
    if b.dtype.kind == "b":
        raise _not_implemented("addmm_impl_cpu_", b)
    target = (b.shape[0], c.shape[1])
    if a.shape != target:
        _check_expand(a.shape, target)
    data = _add_input(_scale_inplace(b @ c, alpha), a, beta)
    result = new(data)
    if grad_needed(input, mat1, mat2):
        node = AddmmBackward0(result, input, mat1, mat2)
        node.alpha, node.beta = alpha, beta
        node.save_if_needed((mat1, node.needs(2)), (mat2, node.needs(1)))
    return _maybe_out(result, out)


class AddmvBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, g):
        mat, vec = self.saved_tensors
        gi = _scaled(g, self.beta) if self.needs(0) else None
        gm = _scaled(g, self.alpha).unsqueeze(1) * _conj(vec) if self.needs(1) else None
        gv = matmul(_conj(mat).mT, _scaled(g, self.alpha)) if self.needs(2) else None
        return gi, gm, gv


@tensor_method("addmv")
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1, out: Tensor | None = None) -> Tensor:
    a, m, v = input._data, mat._data, vec._data
    if m.ndim != 2 or v.ndim != 1 or a.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0] or (a.ndim == 1 and a.shape[0] not in (1, m.shape[0])):
        size = a.shape[0] if a.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({_shape_str(m.shape)}), "
                           f"vec ({v.shape[0]})")
    if not a.dtype == m.dtype == v.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_name(a)}, {_name(m)}, "
                           f"and {_name(v)}")
    if m.dtype.kind == "b":
        raise _not_implemented("addmv_impl_cpu", m)
    data = _add_input(_scale_inplace(m @ v, alpha), a, beta)
    result = new(data)
    if grad_needed(input, mat, vec):
        node = AddmvBackward0(result, input, mat, vec)
        node.alpha, node.beta = alpha, beta
        node.save(mat, vec)
    return _maybe_out(result, out)


class AddrBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, g):
        v1, v2 = self.saved_tensors
        gs = _scaled(g, self.alpha)
        gi = _scaled(g, self.beta) if self.needs(0) else None
        g1 = matmul(gs, _conj(v2)) if self.needs(1) else None
        g2 = matmul(gs.mT, _conj(v1)) if self.needs(2) else None
        return gi, g1, g2


@tensor_method("addr")
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out: Tensor | None = None) -> Tensor:
    a, v1, v2 = input._data, vec1._data, vec2._data
    for name, v in (("vec1", v1), ("vec2", v2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    if not a.dtype == v1.dtype == v2.dtype:
        raise RuntimeError(f"expected scalar type {_name(v1)} but found "
                           f"{_name(v2) if v2.dtype != v1.dtype else _name(a)}")
    target = (v1.shape[0], v2.shape[0])
    if a.shape != target:
        _check_expand(a.shape, target)
    data = np.multiply.outer(v1, v2)
    if data.dtype.kind == "b":
        data = data & (bool(alpha))
        result = new(data | (a & bool(beta)) if beta else data)
        return _maybe_out(result, out)
    data = _add_input(_scale_inplace(data, alpha), a, beta)
    result = new(data)
    if grad_needed(input, vec1, vec2):
        node = AddrBackward0(result, input, vec1, vec2)
        node.alpha, node.beta = alpha, beta
        node.save(vec1, vec2)
    return _maybe_out(result, out)


class BaddbmmBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, g):
        b1, b2 = self.saved_tensors
        gs = _scaled(g, self.alpha)
        gi = _scaled(g, self.beta) if self.needs(0) else None
        g1 = matmul(gs, _conj(b2).mT) if self.needs(1) else None
        g2 = matmul(_conj(b1).mT, gs) if self.needs(2) else None
        return gi, g1, g2


class AddbmmBackward0(Node):
    __slots__ = ("alpha", "beta")

    def backward(self, g):
        b1, b2 = self.saved_tensors
        gs = _scaled(g, self.alpha).unsqueeze(0)
        gi = _scaled(g, self.beta) if self.needs(0) else None
        g1 = matmul(gs, _conj(b2).mT) if self.needs(1) else None
        g2 = matmul(_conj(b1).mT, gs) if self.needs(2) else None
        return gi, g1, g2


def _batched_add(input, batch1, batch2, beta, alpha, out, reduce_batch: bool):
    a, b1, b2 = input._data, batch1._data, batch2._data
    _check_bmm(b1, b2)
    if a.dtype != b1.dtype:
        raise RuntimeError(f"expected scalar type {_name(b1)} but found {_name(a)}")
    prod = b1 @ b2
    if reduce_batch:
        prod = prod.sum(axis=0)
    target = prod.shape
    if a.shape != target:
        _check_expand(a.shape, target)
    result = new(_add_input(_scale_inplace(prod, alpha), a, beta))
    if grad_needed(input, batch1, batch2):
        node = (AddbmmBackward0 if reduce_batch else BaddbmmBackward0)(result, input, batch1, batch2)
        node.alpha, node.beta = alpha, beta
        node.save(batch1, batch2)
    return _maybe_out(result, out)


@tensor_method("baddbmm")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1,
            out: Tensor | None = None) -> Tensor:
    return _batched_add(input, batch1, batch2, beta, alpha, out, False)


@tensor_method("addbmm")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1,
           out: Tensor | None = None) -> Tensor:
    return _batched_add(input, batch1, batch2, beta, alpha, out, True)


def _inplace_variant(fn):
    def method(self, *args, **kwargs):
        from ._helpers import check_inplace, commit_inplace

        check_inplace(self)
        return commit_inplace(self, fn(self, *args, **kwargs))

    return method


for _n, _f in (("addmm_", addmm), ("addmv_", addmv), ("addr_", addr), ("baddbmm_", baddbmm),
               ("addbmm_", addbmm)):
    setattr(Tensor, _n, _inplace_variant(_f))
