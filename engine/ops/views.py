"""Strided views: narrow, select, diagonal, Tensor.unfold, as_strided (and resize_).

All results share memory with their input (new_view). Backward formulas are engine ops: slices and selects
scatter back through zero padding, diagonal and unfold through their own scatter primitives whose backward is
the view again (so double backward works).
"""

from __future__ import annotations

import operator

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import new, new_view, tensor_method, wrap_dim, xp
from .padding import pad_dim

__all__ = ["narrow", "select", "diagonal", "as_strided"]


def _strided(input_or_module, arr, shape, strides):
    m = input_or_module if not isinstance(input_or_module, Tensor) else xp(input_or_module)
    return m.lib.stride_tricks.as_strided(arr, shape=tuple(shape), strides=tuple(strides))


# ----------------------------------------------------------------------------------- narrow / select ---
class SliceBackward0(Node):
    __slots__ = ("dim", "start", "after")

    def backward(self, g):
        return (pad_dim(g, self.dim, self.start, self.after),)


def _index_arg(x) -> int:
    return int(x.item()) if isinstance(x, Tensor) else operator.index(x)


@tensor_method("narrow")
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    start, length = _index_arg(start), _index_arg(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, d, start, start + length)


def _slice(input: Tensor, d: int, start: int, stop: int) -> Tensor:
    """input[..., start:stop, ...] along dim d (0 <= start <= stop <= size) as a view."""
    result = new_view(input._data[(slice(None),) * d + (slice(start, stop),)], input)
    if grad_needed(input):
        node = SliceBackward0(result, input)
        node.dim, node.start, node.after = d, start, input._data.shape[d] - stop
    return result


class SelectBackward0(Node):
    __slots__ = ("dim", "index", "size")

    def backward(self, g):
        return (pad_dim(g.unsqueeze(self.dim), self.dim, self.index, self.size - self.index - 1),)


@tensor_method("select")
def select(input: Tensor, dim: int, index) -> Tensor:
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    index = _index_arg(index)
    size = shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at "
                         f"dimension {d}")
    index %= size
    result = new_view(input._data[(slice(None),) * d + (index, Ellipsis)], input)
    if grad_needed(input):
        node = SelectBackward0(result, input)
        node.dim, node.index, node.size = d, index, size
    return result


# ------------------------------------------------------------------------------------------ diagonal ---
def diag_view(m, arr, offset: int, d1: int, d2: int):
    """Writable strided view of the offset-diagonal over dims d1, d2 (moved to the end), like torch."""
    shape, strides = arr.shape, arr.strides
    if offset >= 0:
        n = max(min(shape[d1], shape[d2] - offset), 0)
        at, skip = d2, offset
    else:
        n = max(min(shape[d1] + offset, shape[d2]), 0)
        at, skip = d1, -offset
    if n:
        arr = arr[(slice(None),) * at + (slice(skip, None),)]
    keep = [i for i in range(len(shape)) if i not in (d1, d2)]
    out_shape = [shape[i] for i in keep] + [n]
    out_strides = [strides[i] for i in keep] + [strides[d1] + strides[d2]]
    return _strided(m, arr, out_shape, out_strides)


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class DiagonalBackward0(Node):
    __slots__ = ("in_shape", "offset", "d1", "d2")

    def backward(self, g):
        return (diagonal_scatter_zeros(g, self.in_shape, self.offset, self.d1, self.d2),)


class DiagonalBackwardBackward0(Node):
    __slots__ = ("offset", "d1", "d2")

    def backward(self, g):
        return (diagonal(g, self.offset, self.d1, self.d2),)


def diagonal_scatter_zeros(src: Tensor, shape: tuple, offset: int, d1: int, d2: int) -> Tensor:
    """Zeros of `shape` with src written on the (offset, d1, d2) diagonal."""
    m = xp(src)
    out = m.zeros(shape, src._data.dtype)
    diag_view(m, out, offset, d1, d2)[...] = src._data
    result = new(out)
    if grad_needed(src):
        node = DiagonalBackwardBackward0(result, src)
        node.offset, node.d1, node.d2 = offset, d1, d2
    return result


@tensor_method("diagonal")
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2)
    result = new_view(diag_view(xp(input), input._data, offset, d1, d2), input)
    if grad_needed(input):
        node = DiagonalBackward0(result, input)
        node.in_shape, node.offset, node.d1, node.d2 = input._data.shape, offset, d1, d2
    return result


# -------------------------------------------------------------------------------------------- unfold ---
def _unfold_view(m, data, d: int, size: int, step: int):
    shape, strides = list(data.shape), list(data.strides)
    n = (shape[d] - size) // step + 1
    out_shape = shape[:d] + [n] + shape[d + 1:] + [size]
    out_strides = strides[:d] + [strides[d] * step] + strides[d + 1:] + [strides[d]]
    return _strided(m, data, out_shape, out_strides)


class UnfoldBackward0(Node):
    __slots__ = ("in_shape", "dim", "size", "step")

    def backward(self, g):
        return (unfold_backward(g, self.in_shape, self.dim, self.size, self.step),)


class UnfoldBackwardBackward0(Node):
    __slots__ = ("dim", "size", "step")

    def backward(self, g):
        return (g.unfold(self.dim, self.size, self.step),)


def unfold_backward(g: Tensor, shape: tuple, d: int, size: int, step: int) -> Tensor:
    """Sum the windows in g (shape [..., n, ..., size]) back into a tensor of `shape`."""
    m = xp(g)
    gd = g._data
    if not shape:
        out = gd.sum().reshape(())
    else:
        out = m.zeros(shape, gd.dtype)
        n = gd.shape[d]
        if step >= size:  # windows do not overlap: one strided write
            _unfold_view(m, out, d, size, step)[...] = gd
        else:  # overlapping windows: one vectorised add per offset inside the window
            lead = (slice(None),) * d
            for k in range(size):
                out[lead + (slice(k, k + step * (n - 1) + 1, step),)] += gd[..., k]
    result = new(out)
    if grad_needed(g):
        node = UnfoldBackwardBackward0(result, g)
        node.dim, node.size, node.step = d, size, step
    return result


def _unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    data = input._data
    ndim = data.ndim
    d = wrap_dim(dimension, ndim)
    length = data.shape[d] if ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    m = xp(input)
    view = data.reshape(1)[:size] if ndim == 0 else _unfold_view(m, data, d, size, step)
    result = new_view(view, input)
    if grad_needed(input):
        node = UnfoldBackward0(result, input)
        node.in_shape, node.dim, node.size, node.step = data.shape, d, size, step
    return result


Tensor.unfold = _unfold


# ---------------------------------------------------------------------------------------- as_strided ---
def _ptr(a) -> int:
    return a.__array_interface__["data"][0] if a.__class__ is np.ndarray else int(a.data.ptr)


def _storage(data):
    """(flat array over the whole allocation data lives in, element offset of data inside it)."""
    root = data
    while isinstance(getattr(root, "base", None), data.__class__):
        root = root.base
    if not root.flags.c_contiguous:
        root = data
    flat = root.reshape(-1)
    if flat.dtype != data.dtype:
        flat = flat.view(data.dtype)
    return flat, (_ptr(data) - _ptr(flat)) // data.itemsize


def _positions(m, shape, strides, offset):
    pos = m.full(tuple(shape), offset, dtype=np.int64) if shape else m.asarray(offset, dtype=np.int64)
    for i, (s, st) in enumerate(zip(shape, strides)):
        view_shape = [1] * len(shape)
        view_shape[i] = s
        pos = pos + (m.arange(s, dtype=np.int64) * st).reshape(view_shape)
    return pos.reshape(-1)


class AsStridedBackward0(Node):
    __slots__ = ("geometry",)

    def backward(self, g):
        (size, stride, offset), (in_shape, in_strides, in_offset), n = self.geometry
        m = xp(g)
        storage = scatter_add_flat(g, _positions(m, size, stride, offset), n)
        return (gather_flat(storage, _positions(m, in_shape, in_strides, in_offset), in_shape),)


class _GatherFlat(Node):
    __slots__ = ("pos", "n")

    def backward(self, g):
        return (scatter_add_flat(g, self.pos, self.n),)


class _ScatterAddFlat(Node):
    __slots__ = ("pos", "shape")

    def backward(self, g):
        return (gather_flat(g, self.pos, self.shape),)


def gather_flat(input: Tensor, pos, shape) -> Tensor:
    result = new(input._data.reshape(-1)[pos].reshape(shape))
    if grad_needed(input):
        node = _GatherFlat(result, input)
        node.pos, node.n = pos, input._data.size
    return result


def scatter_add_flat(input: Tensor, pos, n: int) -> Tensor:
    m = xp(input)
    vals = input._data.reshape(-1)
    if vals.dtype.kind == "c":
        out = (m.bincount(pos, weights=vals.real, minlength=n)
               + 1j * m.bincount(pos, weights=vals.imag, minlength=n)).astype(vals.dtype)
    elif pos.size:
        out = m.bincount(pos, weights=vals, minlength=n).astype(vals.dtype)
    else:
        out = m.zeros(n, vals.dtype)
    result = new(out)
    if grad_needed(input):
        node = _ScatterAddFlat(result, input)
        node.pos, node.shape = pos, input._data.shape
    return result


@tensor_method("as_strided")
def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    data = input._data
    flat, own_offset = _storage(data)
    offset = own_offset if storage_offset is None else int(storage_offset)
    item = data.itemsize
    extent = 0 if any(s == 0 for s in size) else 1 + sum((s - 1) * st for s, st in zip(size, stride))
    if (offset + extent) * item > flat.size * item:
        need, have = (offset + extent) * item, flat.size * item
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{offset}, and itemsize {item} requiring a storage size of {need} are out of "
                           f"bounds for storage of size {have}")
    view = _strided(input, flat[offset:], size, [s * item for s in stride])
    result = new_view(view, input)
    if grad_needed(input):
        in_strides = tuple(s // item for s in data.strides)
        AsStridedBackward0(result, input).geometry = (
            (size, stride, offset), (data.shape, in_strides, own_offset), flat.size)
    return result


# ------------------------------------------------------------------------------------------- resize_ ---
def _resize_(self: Tensor, *sizes) -> Tensor:
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    n = int(np.prod(sizes, dtype=np.int64)) if sizes else 1
    data = self._data
    if n == data.size:
        self._data = data.reshape(sizes)
    else:
        out = xp(self).zeros(n, data.dtype)
        keep = min(n, data.size)
        out[:keep] = data.reshape(-1)[:keep]
        self._data = out.reshape(sizes)
    self._version[0] += 1
    return self


Tensor.resize_ = _resize_
Tensor.resize_as_ = lambda self, other, memory_format=None: _resize_(self, other._data.shape)
