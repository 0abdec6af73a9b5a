"""Layout copies: repeat/tile, flip, roll, rot90, tril/triu, diag/diag_embed/diagflat, meshgrid.

Unlike the views in shape.py/views.py, every result here owns fresh memory (as in PyTorch).
"""

from __future__ import annotations

import operator
import warnings

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import check_inplace, commit_inplace, new, tensor_method, wrap_dim, xp
from .views import diag_view, diagonal

__all__ = ["tile", "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu", "diag", "diag_embed",
           "diagflat", "meshgrid"]


def _ints(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(operator.index(a) for a in args)


# ------------------------------------------------------------------------------------- repeat / tile ---
class RepeatBackward0(Node):
    __slots__ = ("in_shape", "reps")

    def backward(self, g):
        in_shape, reps = self.in_shape, self.reps
        padded = (1,) * (len(reps) - len(in_shape)) + in_shape
        split = []
        for r, s in zip(reps, padded):
            split += [r, s]
        g = g.reshape(tuple(split)).sum(dim=tuple(range(0, 2 * len(reps), 2))) if reps else g
        return (g.reshape(in_shape),)


@tensor_method("repeat")
def repeat(input: Tensor, *sizes) -> Tensor:
    reps = _ints(sizes)
    shape = input._data.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(reps) - len(shape)) + shape
    target = [r * s for r, s in zip(reps, padded)]
    if any(r < 0 for r in reps):
        bad = next(t for t in target if t < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {target}")
    result = new(xp(input).tile(input._data, reps) if reps else input._data.copy())
    if grad_needed(input):
        node = RepeatBackward0(result, input)
        node.in_shape, node.reps = shape, reps
    return result


@tensor_method("tile")
def tile(input: Tensor, dims) -> Tensor:
    reps = _ints((dims,))
    ndim = input._data.ndim
    if len(reps) < ndim:
        reps = (1,) * (ndim - len(reps)) + reps
    return repeat(input, reps)


# ------------------------------------------------------------------------------------ flip / roll ------
class FlipBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, g):
        return (flip(g, self.dims),)


@tensor_method("flip")
def flip(input: Tensor, *dims) -> Tensor:
    dims = _ints(dims)
    ndim = input._data.ndim
    wrapped = [wrap_dim(d, ndim) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    data = input._data
    if wrapped and ndim:
        index = [slice(None)] * ndim
        for d in wrapped:
            index[d] = slice(None, None, -1)
        data = data[tuple(index)]
    result = new(xp(input).ascontiguousarray(data) if data is not input._data else data.copy())
    if grad_needed(input):
        FlipBackward0(result, input).dims = tuple(wrapped)
    return result


@tensor_method("fliplr")
def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@tensor_method("flipud")
def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class RollBackward0(Node):
    __slots__ = ("shifts", "dims")

    def backward(self, g):
        return (roll(g, tuple(-s for s in self.shifts), self.dims),)


@tensor_method("roll")
def roll(input: Tensor, shifts, dims=None) -> Tensor:
    shifts = _ints((shifts,)) if not isinstance(shifts, int) else (shifts,)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else _ints((dims,))
    data = input._data
    m = xp(input)
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        out = m.roll(data.reshape(-1), shifts[0]).reshape(data.shape)
    else:
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        if data.ndim == 0:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = tuple(wrap_dim(d, data.ndim) for d in dims)
        out = m.roll(data, shifts, axis=dims)
    result = new(out)
    if grad_needed(input):
        node = RollBackward0(result, input)
        node.shifts, node.dims = shifts, (dims or None)
    return result


class Rot90Backward0(Node):
    __slots__ = ("k", "dims")

    def backward(self, g):
        return (rot90(g, -self.k, self.dims),)


@tensor_method("rot90")
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    dims = _ints((dims,))
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = "
                           f"{dims[1]}")
    k %= 4
    m = xp(input)
    result = new(m.ascontiguousarray(m.rot90(input._data, k, axes=(d0, d1))) if k else input._data.copy())
    if grad_needed(input):
        node = Rot90Backward0(result, input)
        node.k, node.dims = k, (d0, d1)
    return result


# ------------------------------------------------------------------------------------- tril / triu -----
class TrilBackward0(Node):
    __slots__ = ("diagonal",)

    def backward(self, g):
        return (tril(g, self.diagonal),)


class TriuBackward0(Node):
    __slots__ = ("diagonal",)

    def backward(self, g):
        return (triu(g, self.diagonal),)


def _triangle(input: Tensor, diagonal: int, name: str, node_cls) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    m = xp(input)
    data = input._data
    rows, cols = data.shape[-2:]
    keep = m.arange(cols)[None, :] - m.arange(rows)[:, None]
    mask = keep <= diagonal if name == "tril" else keep >= diagonal
    result = new(m.where(mask, data, m.zeros((), data.dtype)))
    if grad_needed(input):
        node_cls(result, input).diagonal = diagonal
    return result


@tensor_method("tril")
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, "tril", TrilBackward0)


@tensor_method("triu")
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, "triu", TriuBackward0)


@tensor_method("tril_")
def _tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    check_inplace(self)
    return commit_inplace(self, tril(self, diagonal))


@tensor_method("triu_")
def _triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    check_inplace(self)
    return commit_inplace(self, triu(self, diagonal))


# ------------------------------------------------------------------------------------- diagonals -------
class DiagEmbedBackward0(Node):
    __slots__ = ("offset", "d1", "d2")

    def backward(self, g):
        return (diagonal(g, self.offset, self.d1, self.d2),)


class DiagonalBackward0_copy(Node):  # noqa: N801 - torch's grad_fn name for diag() of a matrix
    __slots__ = ("in_shape", "offset")

    def backward(self, g):
        from .views import diagonal_scatter_zeros

        return (diagonal_scatter_zeros(g, self.in_shape, self.offset, 0, 1),)


@tensor_method("diag_embed")
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    data = input._data
    ndim = data.ndim + 1
    if data.ndim == 0:
        wrap_dim(-2, 1)  # torch reports the default dim1 as out of range for 0-d input
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = data.shape[-1]
    size = n + abs(offset)
    batch = iter(data.shape[:-1])
    shape = [size if i in (d1, d2) else next(batch) for i in range(ndim)]
    m = xp(input)
    out = m.zeros(shape, data.dtype)
    diag_view(m, out, offset, d1, d2)[...] = data
    result = new(out)
    if grad_needed(input):
        node = DiagEmbedBackward0(result, input)
        node.offset, node.d1, node.d2 = offset, d1, d2
    return result


@tensor_method("diag")
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    ndim = input._data.ndim
    if ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")
    m = xp(input)
    result = new(diag_view(m, input._data, diagonal, 0, 1).copy())
    if grad_needed(input):
        node = DiagonalBackward0_copy(result, input)
        node.in_shape, node.offset = input._data.shape, diagonal
    return result


@tensor_method("diagflat")
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    return diag_embed(input.reshape(-1), offset, 0, 1)


# ------------------------------------------------------------------------------------------ meshgrid ---
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    order = list(tensors)
    swap = indexing == "xy" and len(order) >= 2
    if swap:
        order[0], order[1] = order[1], order[0]
    shape = tuple(t._data.size for t in order)
    n = len(order)
    grids = [t.reshape(tuple(-1 if i == j else 1 for j in range(n))).expand(shape)
             for i, t in enumerate(order)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
