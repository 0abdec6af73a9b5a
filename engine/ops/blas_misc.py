"""einsum, tensordot, kron, trace, cross, cdist, cosine_similarity, dist (re-exported by blas.py)."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, default_float_np, new, result_dtype, tensor_method, wrap_dim, xp

__all__ = ["einsum", "tensordot", "kron", "trace", "cross", "cdist", "cosine_similarity", "dist"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _conj(t: Tensor) -> Tensor:
    return t.conj() if t._data.dtype.kind == "c" else t


def _const(like: Tensor, array) -> Tensor:
    """A constant (no-grad) tensor holding `array` on like's device."""
    mod = xp(like)
    return new(mod.asarray(array) if mod is not np else array)


def _broadcast_error(a: tuple, b: tuple) -> RuntimeError:
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    i = next(i for i in range(n) if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1)
    return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                        f"non-singleton dimension {i}")


def _broadcast_shapes(a: tuple, b: tuple) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise _broadcast_error(a, b) from None


# ----------------------------------------------------------------- narrow / zero-pad (a self-adjoint pair) --
class NarrowBackward0(Node):
    __slots__ = ("dim", "start", "total")

    def backward(self, g):
        return (pad(g, self.dim, self.start, self.total),)


class ConstantPadNdBackward0(Node):
    __slots__ = ("dim", "start", "length")

    def backward(self, g):
        return (narrow(g, self.dim, self.start, self.length),)


def narrow(t: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Copy of t[..., start:start+length, ...] along dim (private; differentiable)."""
    a = t._data
    d = wrap_dim(dim, a.ndim)
    if start == 0 and length == a.shape[d]:
        return t
    index = [slice(None)] * a.ndim
    index[d] = slice(start, start + length)
    result = new(a[tuple(index)].copy())
    if grad_needed(t):
        node = NarrowBackward0(result, t)
        node.dim, node.start, node.total = d, start, a.shape[d]
    return result


def pad(t: Tensor, dim: int, start: int, total: int) -> Tensor:
    """Zeros of size `total` along dim with t placed at offset start (private; differentiable)."""
    a = t._data
    d = wrap_dim(dim, a.ndim)
    if start == 0 and total == a.shape[d]:
        return t
    shape = list(a.shape)
    shape[d] = total
    data = xp(t).zeros(tuple(shape), dtype=a.dtype)
    index = [slice(None)] * a.ndim
    index[d] = slice(start, start + a.shape[d])
    data[tuple(index)] = a
    result = new(data)
    if grad_needed(t):
        node = ConstantPadNdBackward0(result, t)
        node.dim, node.start, node.length = d, start, a.shape[d]
    return result


# ------------------------------------------------------------------------------------------- einsum ----
def _parse_operand(spec: str, ndim: int, k: int, ell: str) -> str:
    """Subscripts of operand k with '...' replaced by the right-most letters of `ell`."""
    if "..." in spec:
        named = spec.replace("...", "")
        n_ell = ndim - len(named)
        if n_ell < 0:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(named)}) is more "
                               f"than the number of dimensions ({ndim}) for operand {k}")
        return spec.replace("...", ell[len(ell) - n_ell:] if n_ell else "")
    if len(spec) != ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(spec)}) does not match "
                           f"the number of dimensions ({ndim}) for operand {k} and no ellipsis was given")
    return spec


def _sublist_equation(args) -> tuple[str, list]:
    """einsum(op0, [0, 1], op1, [1, 2], [0, 2]) -> ('ab,bc->ac', [op0, op1])."""
    args = list(args)
    out = args.pop() if len(args) % 2 else None

    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    ops = args[0::2]
    eq = ",".join(letters(s) for s in args[1::2])
    if out is not None:
        eq += "->" + letters(out)
    return eq, ops


def _prepare_einsum(equation: str, arrays) -> tuple[list, str]:
    """Validate the equation; return explicit per-operand subscripts and the output subscripts."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    specs = lhs.split(",")
    if len(specs) < len(arrays):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(specs) > len(arrays):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    for i, ch in enumerate(eq):
        if ch not in _LETTERS and ch not in ".,->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
    used = set(eq)
    n_ell = max((a.ndim - len(s.replace("...", "")) for s, a in zip(specs, arrays) if "..." in s), default=0)
    ell = "".join(c for c in _LETTERS if c not in used)[:max(n_ell, 0)]
    subs = [_parse_operand(s, a.ndim, k, ell) for k, (s, a) in enumerate(zip(specs, arrays))]
    if arrow:
        for ch in rhs.replace("...", ""):
            if rhs.replace("...", "").count(ch) > 1:
                raise RuntimeError(f"einsum(): output subscript {ch} appears more than once in the output")
            if ch not in lhs:
                raise RuntimeError(f"einsum(): output subscript {ch} does not appear in the equation for any "
                                   "input operand")
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for s in specs:
            for ch in s.replace("...", ""):
                counts[ch] = counts.get(ch, 0) + 1
        out = ell + "".join(sorted(ch for ch, n in counts.items() if n == 1))
    sizes: dict = {}
    for k, (s, a) in enumerate(zip(subs, arrays)):
        for ch, n in zip(s, a.shape):
            seen = sizes.get(ch)
            if seen is None or seen == 1:
                sizes[ch] = n
            elif n != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {ch} has size {n} for operand {k} which does not "
                                   f"broadcast with previously seen size {seen}")
    return subs, out


class EinsumBackward(Node):
    __slots__ = ("subs", "out_sub")

    def name(self) -> str:
        return "EinsumBackward0"

    def backward(self, g):
        ops = self.saved_tensors
        grads = []
        for k in range(len(ops)):
            grads.append(_einsum_operand_grad(g, ops, k, self.subs, self.out_sub) if self.needs(k) else None)
        return tuple(grads)


def _einsum_operand_grad(g: Tensor, ops, k: int, subs: list, out_sub: str) -> Tensor:
    sub = subs[k]
    unique = "".join(dict.fromkeys(sub))
    reachable = set(out_sub).union(*(set(s) for j, s in enumerate(subs) if j != k))
    target = "".join(c for c in unique if c in reachable)
    others = [_conj(o) for j, o in enumerate(ops) if j != k]
    other_subs = [s for j, s in enumerate(subs) if j != k]
    grad = einsum(",".join([out_sub, *other_subs]) + "->" + target, g, *others)
    shape = ops[k]._data.shape
    size_of = {c: shape[sub.index(c)] for c in unique}
    if len(target) != len(unique):  # letters summed only inside operand k: broadcast back over them
        full = tuple(size_of[c] for c in unique)
        grad = grad.reshape(tuple(grad._data.shape[target.index(c)] if c in target else 1 for c in unique))
        grad = grad.expand(tuple(grad._data.shape[i] if c in target else full[i]
                                 for i, c in enumerate(unique)))
    if len(unique) != len(sub):  # repeated letters (diagonals): scatter onto the diagonal with a 0/1 mask
        grad = grad.reshape(tuple(grad._data.shape[unique.index(c)] if sub.index(c) == i else 1
                                  for i, c in enumerate(sub)))
        mask = np.ones((1,) * len(sub), dtype=bool)
        for i, c in enumerate(sub):
            first = sub.index(c)
            if first != i:
                eye_shape = [1] * len(sub)
                eye_shape[first] = eye_shape[i] = size_of[c]
                mask = mask & np.eye(size_of[c], dtype=bool).reshape(eye_shape)
        grad = grad * _const(g, mask.astype(g._data.dtype))
    return grad


def einsum(*args) -> Tensor:
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least "
                        "one operand and its subscripts list")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    arrays = [o._data for o in operands]
    subs, out_sub = _prepare_einsum(equation, arrays)
    dtype = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != dtype:
            raise RuntimeError(f"expected scalar type {_scalar_type_name(dtype)} but found "
                               f"{_scalar_type_name(a.dtype)}")
    if dtype.kind == "b" and len(arrays) > 1:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    expr = ",".join(subs) + "->" + out_sub
    mod = np if arrays[0].__class__ is np.ndarray else xp(operands[0])
    if len(arrays) == 1:
        data = mod.einsum(expr, arrays[0])
        if data.__class__ is not np.generic and mod.may_share_memory(data, arrays[0]):
            data = data.copy()
    else:
        data = mod.einsum(expr, *arrays, optimize=len(arrays) > 2 or arrays[0].size * arrays[1].size > 4096)
    result = new(data)
    if grad_needed(*operands):
        node = EinsumBackward(result, *operands)
        node.subs, node.out_sub = subs, out_sub
        node.save(*operands)
    return result


# ----------------------------------------------------------------------------------------- tensordot ---
def tensordot(a: Tensor, b: Tensor, dims=2, out: Tensor | None = None) -> Tensor:
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.numel() == 1 else dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        if isinstance(dims_a, int) or isinstance(dims_b, int):
            raise TypeError("tensordot(): argument 'dims_self' (position 3) must be tuple of ints, not int")
        dims_a, dims_b = list(dims_a), list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    ca = [wrap_dim(d, a.ndim) for d in dims_a]
    cb = [wrap_dim(d, b.ndim) for d in dims_b]
    for da, db, wa, wb in zip(dims_a, dims_b, ca, cb):
        if sa[wa] != sb[wb]:
            raise RuntimeError("contracted dimensions need to match, but first has size "
                               f"{sa[wa]} in dim {da} and second has size {sb[wb]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in ca]
    free_b = [d for d in range(b.ndim) if d not in cb]
    k = int(np.prod([sa[d] for d in ca]))
    left = a.permute(free_a + ca).reshape(-1, k)
    right = b.permute(cb + free_b).reshape(k, -1)
    from .blas import matmul

    result = matmul(left, right).reshape(tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b))
    if out is not None:
        out._data = result._data
        return out
    return result


# ---------------------------------------------------------------------------------------------- kron ---
@tensor_method("kron")
def kron(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + input._data.shape
    sb = (1,) * (n - other.ndim) + other._data.shape
    left = input.reshape(tuple(x for s in sa for x in (s, 1)))
    right = other.reshape(tuple(x for s in sb for x in (1, s)))
    result = (left * right).reshape(tuple(x * y for x, y in zip(sa, sb)))
    if out is not None:
        out._data = result._data
        return out
    return result


# --------------------------------------------------------------------------------------------- trace ---
class TraceBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        eye = xp(g).eye(*self.shape, dtype=g._data.dtype)
        return (g * _const(g, eye),)


@tensor_method("trace")
def trace(input: Tensor) -> Tensor:
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if a.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    result = new(a.trace(dtype=np.int64 if a.dtype.kind in "iu" else None))
    if grad_needed(input):
        TraceBackward0(result, input).shape = a.shape
    return result


# --------------------------------------------------------------------------------------------- cross ---
class LinalgCrossBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        a, b = self.saved_tensors
        ga = _cross(_conj(b), g, self.dim) if self.needs(0) else None
        gb = _cross(g, _conj(a), self.dim) if self.needs(1) else None
        return ga, gb


def _cross(input: Tensor, other: Tensor, dim: int) -> Tensor:
    a, b = input._data, other._data
    shape = _broadcast_shapes(a.shape, b.shape)
    d = wrap_dim(dim, len(shape))
    mod = xp(input)
    data = mod.cross(a, b, axis=d) if a.shape == b.shape else mod.cross(
        mod.broadcast_to(a, shape), mod.broadcast_to(b, shape), axis=d)
    result = new(data)
    if grad_needed(input, other):
        node = LinalgCrossBackward0(result, input, other)
        node.dim = d
        node.save(input, other)
    return result


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_type_name(a.dtype)} but found "
                           f"{_scalar_type_name(b.dtype)}")
    d = wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
                           f"{b.shape[d]}")
    result = _cross(input, other, d)
    if out is not None:
        out._data = result._data
        return out
    return result


@tensor_method("cross")
def cross(input: Tensor, other: Tensor, dim: int | None = None, *, out: Tensor | None = None) -> Tensor:
    if dim is None:
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass "
                      "the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will "
                      "change to agree with that of linalg.cross in a future release.", UserWarning,
                      stacklevel=2)
        if input.ndim != other.ndim:
            raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
        shape = _broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim, out=out)


# --------------------------------------------------------------------------------------------- cdist ---
class CdistBackward0(Node):
    __slots__ = ("p",)

    def backward(self, g):
        x1, x2, d = self.saved_tensors
        p = self.p
        if p == 0:
            return (x1 * 0 if self.needs(0) else None), (x2 * 0 if self.needs(1) else None)
        zero = d._data == 0
        if p == 2:
            w = g * _const(g, ~zero) / (d + _const(g, zero.astype(d._data.dtype)))
            g1 = x1 * w.sum(-1, keepdim=True) - _mm(w, x2) if self.needs(0) else None
            g2 = x2 * w.sum(-2).unsqueeze(-1) - _mm(w.mT, x1) if self.needs(1) else None
            return g1, g2
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        raw = diff._data
        sign = _const(g, np.sign(raw) if raw.__class__ is np.ndarray else xp(g).sign(raw))
        if p == 1:
            term = sign
        elif p == float("inf"):
            tie = abs(raw) == d._data[..., None]
            term = sign * _const(g, tie.astype(raw.dtype))
        else:
            absd = diff * sign
            safe_abs = absd + _const(g, (raw == 0).astype(raw.dtype))
            safe_d = d + _const(g, zero.astype(raw.dtype))
            term = sign * safe_abs ** (p - 1) / safe_d.unsqueeze(-1) ** (p - 1)
        weighted = g.unsqueeze(-1) * term
        return (weighted.sum(-2) if self.needs(0) else None), (-weighted.sum(-3) if self.needs(1) else None)


def _mm(a: Tensor, b: Tensor) -> Tensor:
    from .blas import matmul

    return matmul(a, b)


def _cdist_forward(a, b, p: float, use_mm: bool):
    mod = np if a.__class__ is np.ndarray else xp(new(a))
    if p == 2 and use_mm:
        a2 = (a * a).sum(-1)[..., :, None]
        b2 = (b * b).sum(-1)[..., None, :]
        sq = a2 + b2 - 2 * (a @ mod.swapaxes(b, -1, -2))
        return mod.sqrt(mod.maximum(sq, 0))
    diff = mod.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return (diff != 0).sum(-1).astype(a.dtype)
    if p == 1:
        return diff.sum(-1)
    if p == 2:
        return mod.sqrt((diff * diff).sum(-1))
    if p == float("inf"):
        return diff.max(-1) if diff.shape[-1] else diff.sum(-1)
    return (diff ** p).sum(-1) ** (1.0 / p)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    a, b = x1._data, x2._data
    for name, arr in (("X1", a), ("X2", b)):
        if arr.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {arr.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} "
                           f"X2: {b.shape[-1]}")
    for name, arr in (("X1", a), ("X2", b)):
        if arr.dtype.kind not in "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_scalar_type_name(arr.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_type_name(a.dtype)} but found "
                           f"{_scalar_type_name(b.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = _broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if compute_mode == "use_mm_for_euclid_dist":
        use_mm = True
    elif compute_mode == "donot_use_mm_for_euclid_dist":
        use_mm = False
    else:
        use_mm = a.shape[-2] > 25 or b.shape[-2] > 25
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        data = _cdist_forward(a, b, float(p), use_mm)
    data = np.ascontiguousarray(data) if data.__class__ is np.ndarray else data
    if data.shape[:-2] != batch:
        data = xp(x1).broadcast_to(data, batch + data.shape[-2:]).copy()
    result = new(data)
    if grad_needed(x1, x2):
        node = CdistBackward0(result, x1, x2)
        node.p = float(p)
        node.save_with_output(x1, x2, result)
    return result


# ------------------------------------------------------------------------- cosine similarity, dist -----
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    from ..linalg import vector_norm

    res = result_dtype(x1, x2)
    if res.kind not in "fc":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_scalar_type_name(res)}")
    shape = _broadcast_shapes(x1._data.shape, x2._data.shape)
    x1 = x1 if x1._data.dtype == res else x1.to(_engine_dtype(res))
    x2 = x2 if x2._data.dtype == res else x2.to(_engine_dtype(res))
    d = wrap_dim(dim, len(shape))
    x1 = x1 if x1._data.shape == shape else x1.expand(shape)
    x2 = x2 if x2._data.shape == shape else x2.expand(shape)
    n1 = _clamped_norm(vector_norm(x1, 2, dim=d, keepdim=True), eps)
    n2 = _clamped_norm(vector_norm(x2, 2, dim=d, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def _clamped_norm(n: Tensor, eps: float) -> Tensor:
    """max(n, eps) in value; the gradient flows through n unchanged (torch clamps without grad)."""
    lift = xp(n).maximum(eps - n._data, 0)
    return n + _const(n, lift.astype(n._data.dtype))


def _engine_dtype(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


class DistBackward0(Node):
    __slots__ = ("p",)

    def backward(self, g):
        from ..linalg import _vector_norm_grad

        a, b, out = self.saved_tensors
        gd = _vector_norm_grad(g, a - b, out, self.p, None, False)
        return (gd if self.needs(0) else None), (-gd if self.needs(1) else None)


@tensor_method("dist")
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    from ..linalg import vector_norm

    res = result_dtype(input, other)
    if res.kind not in "fc":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_scalar_type_name(res)} instead.")
    from ..autograd.grad_mode import no_grad

    with no_grad():
        diff = input - other
        result = vector_norm(diff, p)
    if grad_needed(input, other):
        node = DistBackward0(result, input, other)
        node.p = p
        node.save_with_output(input, other, result)
    return result


_ = default_float_np
