"""gather / scatter / scatter_add / scatter_reduce (forward + backward).

Scatters write through 1-D linear positions into a C-contiguous copy (`np.<ufunc>.at` on a flat array is
several times faster than on an N-d array), so repeated indices accumulate without Python loops.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd.graph import Node
from ..backend import array_module
from ..tensor import Tensor, grad_needed
from ._helpers import check_inplace, commit_inplace, new, tensor_method, wrap_dim, xp

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce"]

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _mod(arr):
    return np if arr.__class__ is np.ndarray else array_module(arr)


def _index_data(index: Tensor, like: Tensor):
    data = index._data
    if data.__class__ is not like._data.__class__:
        data = _mod(like._data).asarray(data) if like._data.__class__ is not np.ndarray else data.get()
    return data


# ---------------------------------------------------------------------------------- gather / scatter --
def _check_gather_index(op: str, input: Tensor, dim: int, index, src=None) -> int:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    shape, ishape = input._data.shape, index._data.shape
    ndim = len(shape)
    dim = wrap_dim(dim, ndim)
    if len(ishape) != ndim and index._data.size and (len(ishape) > 1 or ndim > 1):
        word = "input" if op == "gather" else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {word} tensor")
    if not index._data.size:
        return dim
    ishape_n = ishape if len(ishape) == ndim else (1,) * ndim
    for d in range(ndim):
        if d != dim and ishape_n[d] > shape[d]:
            if op == "gather":
                raise RuntimeError(f"Size does not match at dimension {d} expected index {list(ishape)} "
                                   f"to be no larger than self {list(shape)} apart from dimension {dim}")
            break
    else:
        d = None
    if src is not None:
        sshape = src._data.shape
        if len(sshape) == ndim and any(ishape_n[k] > sshape[k] for k in range(ndim)):
            raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self {list(shape)} apart "
                               f"from dimension {dim} and to be no larger size than src {list(sshape)}")
    if d is not None:
        raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self {list(shape)} apart "
                           f"from dimension {dim}")
    return dim


def _check_bounds(idx, size: int, dim: int) -> None:
    if idx.size:
        # one reduction: negative indices become huge when read as unsigned
        unsigned = idx.view(np.uint64 if idx.dtype.itemsize == 8 else np.uint32)
        if int(unsigned.max()) >= size:
            bad = idx[(idx < 0) | (idx >= size)].reshape(-1)[0]
            raise RuntimeError(f"index {int(bad)} is out of bounds for dimension {dim} with size {size}")


def _as_nd(idx, ndim: int):
    return idx.reshape((1,) * ndim) if idx.ndim != ndim else idx


def _linear_positions(shape: tuple, dim: int, idx):
    """Flat positions in a C-contiguous array of `shape` of the elements addressed by scatter's index."""
    pos = idx if idx.dtype == np.int64 else idx.astype(np.int64)
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    if shape and strides[dim] != 1:
        pos = pos * strides[dim]
    for d, n in enumerate(idx.shape):
        if d != dim and n > 1:
            view = [1] * len(shape)
            view[d] = n
            pos = pos + _mod(idx).arange(0, n * strides[d], strides[d], dtype=np.int64).reshape(view)
    return pos


def _gather_raw(data, dim: int, idx):
    if not data.ndim:
        return data.reshape(1)[idx]
    if data.flags.c_contiguous:
        return data.reshape(-1)[_linear_positions(data.shape, dim, idx)]
    region = data[tuple(slice(0, s) if d != dim else slice(None) for d, s in enumerate(idx.shape))]
    return _mod(data).take_along_axis(region, idx, axis=dim)


def _src_region(src, ishape):
    if src.shape == ishape:
        return src
    return src[tuple(slice(0, s) for s in ishape)]


class GatherBackward0(Node):
    __slots__ = ("dim", "index", "in_shape")

    def backward(self, g):
        zeros = new(xp(g).zeros(self.in_shape, dtype=g._data.dtype))
        return (_scatter_add(zeros, self.dim, self.index, g),)


@tensor_method("gather")
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out=None) -> Tensor:
    dim = _check_gather_index("gather", input, dim, index)
    data = input._data
    idx = _as_nd(_index_data(index, input), data.ndim)
    if data.ndim == 0:
        _check_bounds(idx, 1, dim)
        result = new(data.reshape(1)[idx])
    else:
        _check_bounds(idx, data.shape[dim], dim)
        result = new(_gather_raw(data, dim, idx))
    if grad_needed(input):
        node = GatherBackward0(result, input)
        node.dim, node.index, node.in_shape = dim, idx, data.shape
    if out is not None:
        from .arith import _maybe_out

        return _maybe_out(result, out)
    return result


def _scatter_write(out, dim: int, idx, values, ufunc=None) -> None:
    """out (C-contiguous) at scatter positions: assign values, or combine with ufunc.at (repeats combine)."""
    mod = _mod(out)
    if out.ndim == 0:
        flat, pos = out.reshape(1), idx.reshape(-1) * 0
    else:
        flat, pos = out.reshape(-1), _linear_positions(out.shape, dim, idx).reshape(-1)
    if hasattr(values, "shape") and not isinstance(values, np.generic):
        region = _src_region(values, idx.shape) if values.ndim else values
        vals = region.reshape(-1) if region.ndim else region
    else:
        vals = values
    if ufunc is None:
        flat[pos] = vals
        return
    if not np.ndim(vals):
        vals = mod.full(pos.shape, vals, dtype=out.dtype)
    _ufunc_at(mod, ufunc, flat, pos, vals)


def _ufunc_at(mod, name: str, flat, pos, vals) -> None:
    fn = getattr(mod, name)
    if hasattr(fn, "at") and (mod is np or name != "multiply"):
        with np.errstate(invalid="ignore", over="ignore"):
            fn.at(flat, pos, vals)
        return
    host = flat.get()  # cupy has no multiply.at: do it on the host
    getattr(np, name).at(host, pos.get(), vals.get() if hasattr(vals, "get") else vals)
    flat[...] = mod.asarray(host)


class ScatterBackward0(Node):
    __slots__ = ("dim", "index", "src_shape")

    def backward(self, g):
        gs = _scatter_value(g, self.dim, self.index, 0) if self.needs(0) else None
        gsrc = _gather_arr(g, self.dim, self.index, self.src_shape) if self.needs(1) else None
        return gs, gsrc


class ScatterBackward1(Node):
    __slots__ = ("dim", "index")

    def backward(self, g):
        return (_scatter_value(g, self.dim, self.index, 0),)


class ScatterAddBackward0(Node):
    __slots__ = ("dim", "index", "src_shape")

    def backward(self, g):
        return g, (_gather_arr(g, self.dim, self.index, self.src_shape) if self.needs(1) else None)


class NotImplementedBackward(Node):
    """torch's node for an op without a derivative: fails when backward reaches it."""

    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(self, g):
        raise RuntimeError("the derivative for 'scatter' with a reduce argument is not implemented.")


def _gather_arr(g: Tensor, dim: int, idx, src_shape: tuple | None = None) -> Tensor:
    """g gathered at a scatter's index: the gradient of its src (zero-padded when src is larger)."""
    out = gather(g, dim, new(idx))
    if src_shape is not None and out._data.shape != src_shape:
        out = _pad_to(out, src_shape)
    return out


def _scatter_value(g: Tensor, dim: int, idx, value) -> Tensor:
    out = g._data.copy()
    _scatter_write(out, dim, idx, value)
    result = new(out)
    if grad_needed(g):
        node = ScatterBackward1(result, g)
        node.dim, node.index = dim, idx
    return result


def _scatter_add(input: Tensor, dim: int, idx, src: Tensor, into=None) -> Tensor:
    out = fresh_copy(input._data, into)
    _scatter_write(out, dim, idx, src._data, "add")
    result = new(out)
    if grad_needed(input, src):
        node = ScatterAddBackward0(result, input, src)
        node.dim, node.index, node.src_shape = dim, idx, src._data.shape
    return result


def _check_src_dtype(input: Tensor, src: Tensor) -> None:
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


@tensor_method("scatter")
def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce: str | None = None, _into=None) -> Tensor:
    if src is None:
        src = value
    is_tensor = isinstance(src, Tensor)
    dim = _check_gather_index("scatter", input, dim, index, src if is_tensor else None)
    if is_tensor:
        _check_src_dtype(input, src)
    data = input._data
    idx = _as_nd(_index_data(index, input), data.ndim)
    _check_bounds(idx, data.shape[dim] if data.ndim else 1, dim)
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if reduce is not None and is_tensor:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                      "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
                      "reduction options.", UserWarning, stacklevel=2)
    out = fresh_copy(data, _into)
    values = src._data if is_tensor else src
    _scatter_write(out, dim, idx, values, reduce)
    result = new(out)
    if reduce is not None:
        if grad_needed(input) or (is_tensor and grad_needed(src)):
            NotImplementedBackward(result, input, src if is_tensor else None)
        return result
    if is_tensor:
        if grad_needed(input, src):
            node = ScatterBackward0(result, input, src)
            node.dim, node.index, node.src_shape = dim, idx, src._data.shape
    elif grad_needed(input):
        node = ScatterBackward1(result, input)
        node.dim, node.index = dim, idx
    return result


@tensor_method("scatter_add")
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor, *, _into=None) -> Tensor:
    dim = _check_gather_index("scatter", input, dim, index, src)
    _check_src_dtype(input, src)
    idx = _as_nd(_index_data(index, input), input._data.ndim)
    _check_bounds(idx, input._data.shape[dim] if input._data.ndim else 1, dim)
    return _scatter_add(input, dim, idx, src, _into)


# ------------------------------------------------------------------------------------ scatter_reduce --
class ScatterReduceBackward0(Node):
    __slots__ = ("dim", "index", "reduce", "include_self")

    def backward(self, g):
        input, src, out = self.saved_tensors
        dim, idx, reduce = self.dim, self.index, self.reduce
        gs = gsrc = None
        touched_zero = None if self.include_self else (lambda t: _scatter_value(t, dim, idx, 0))
        if reduce == "sum":
            gs = g if touched_zero is None else touched_zero(g)
            gsrc = _gather_arr(g, dim, idx)
        elif reduce == "mean":
            count = self._count(g, None)
            gs = g / count if touched_zero is None else touched_zero(g)
            gsrc = _gather_arr(g / count, dim, idx)
        elif reduce in ("amax", "amin"):
            # ties share the gradient evenly; like torch, self's tie counts even when include_self=False
            out_d = out._data
            src_eq = _src_region(src._data, idx.shape) == _gather_raw(out_d, dim, idx)
            self_eq = input._data == out_d
            share = g / self._count(g, src_eq, self_eq)
            gsrc = _gather_arr(share, dim, idx) * new(src_eq.astype(g._data.dtype))
            gs = share * new(self_eq.astype(g._data.dtype))
            gs = gs if touched_zero is None else touched_zero(gs)
        else:
            gs, gsrc = self._prod_grads(g, input, src)
        if gsrc is not None and gsrc._data.shape != src._data.shape:
            gsrc = _pad_to(gsrc, src._data.shape)
        return (gs if self.needs(0) else None), (gsrc if self.needs(1) else None)

    def _count(self, g: Tensor, src_mask, self_mask=None) -> Tensor:
        dtype = g._data.dtype
        mod = _mod(g._data)
        base = (self_mask.astype(dtype) if self_mask is not None else
                mod.full(g._data.shape, 1 if self.include_self else 0, dtype=dtype))
        ones = mod.ones(self.index.shape, dtype) if src_mask is None else src_mask.astype(dtype)
        base = mod.ascontiguousarray(base)
        _scatter_write(base, self.dim, self.index, ones, "add")
        return new(mod.maximum(base, 1))

    def _prod_grads(self, g: Tensor, input: Tensor, src: Tensor):
        """d prod / d x = product of the other contributors; exact with zeros among them."""
        dim, idx = self.dim, self.index
        mod = _mod(g._data)
        dtype = g._data.dtype
        src_r = _src_region(src, idx.shape) if src._data.shape != idx.shape else src
        src_zero = src_r._data == 0
        safe_src = src_r.masked_fill(new(src_zero), 1)
        self_zero = (input._data == 0) if self.include_self else mod.zeros(input._data.shape, bool)
        zeros = mod.ascontiguousarray(self_zero.astype(np.int64))
        _scatter_write(zeros, dim, idx, src_zero.astype(np.int64), "add")
        safe_self = input.masked_fill(new(self_zero), 1) if self.include_self else None
        base = safe_self if safe_self is not None else new(mod.ones(input._data.shape, dtype))
        prod_nz = scatter_reduce(base, dim, new(idx), safe_src, "prod", include_self=True)
        zeros_at_src = _gather_raw(zeros, dim, idx)
        coef_src = mod.where(src_zero, zeros_at_src == 1, zeros_at_src == 0).astype(dtype)
        gsrc = _gather_arr(g * prod_nz, dim, idx) / safe_src * new(coef_src)
        if self.include_self:
            coef_self = mod.where(self_zero, zeros == 1, zeros == 0).astype(dtype)
            gs = g * prod_nz / safe_self * new(coef_self)
        else:
            gs = _scatter_value(g, dim, idx, 0)
        return gs, gsrc


def _pad_to(g: Tensor, shape: tuple) -> Tensor:
    """Gradient for the used leading block of a larger src: zeros elsewhere."""
    from .getitem import Key, scatter_key

    key = Key(tuple(slice(0, s) for s in g._data.shape), None, "SliceBackward0", False)
    return scatter_key(g, shape, key)


@tensor_method("scatter_reduce")
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True, _into=None) -> Tensor:
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    dim = _check_gather_index("scatter", input, dim, index, src)
    _check_src_dtype(input, src)
    data = input._data
    mod = _mod(data)
    idx = _as_nd(_index_data(index, input), data.ndim)
    _check_bounds(idx, data.shape[dim] if data.ndim else 1, dim)
    out = fresh_copy(data, _into)
    sdata = src._data
    if not include_self:
        _scatter_write(out, dim, idx, _identity(reduce, out.dtype))
    if reduce == "mean":
        if out.dtype == np.bool_:
            raise NotImplementedError('"scatter_gather_tensor_cpu_reduce_mean" not implemented for \'Bool\'')
        _scatter_write(out, dim, idx, sdata, "add")
        count = mod.full(out.shape, 1 if include_self else 0, dtype=np.int64)
        _scatter_write(count, dim, idx, mod.ones(idx.shape, np.int64), "add")
        count = mod.maximum(count, 1)
        if out.dtype.kind in "fc":
            out /= count
        else:
            out //= count
    else:
        ufunc = {"sum": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce]
        _scatter_write(out, dim, idx, sdata, ufunc)
    result = new(out)
    if grad_needed(input, src):
        node = ScatterReduceBackward0(result, input, src)
        node.dim, node.index, node.reduce, node.include_self = dim, idx, reduce, include_self
        node.save_with_output(input, src, result)
    return result


def _identity(reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def fresh_copy(data, into=None):
    """The array an op writes its result into: a C-contiguous copy of data, or `into` (in-place forms)."""
    return into if into is not None else _mod(data).array(data, copy=True, order="C")


def _inplace_of(fn):
    """The `op_` form of fn: writes straight into self when nothing is recorded, else commits a result."""

    def method(self, *args, **kwargs):
        check_inplace(self)
        data = self._data
        if data.flags.c_contiguous and data.flags.writeable and not grad_needed(
                self, *[a for a in args if isinstance(a, Tensor)]):
            fn(self, *args, _into=data, **kwargs)
            self._version[0] += 1
            return self
        return commit_inplace(self, fn(self, *args, **kwargs))

    method.__name__ = fn.__name__ + "_"
    return method


scatter_ = tensor_method("scatter_")(_inplace_of(scatter))
scatter_add_ = tensor_method("scatter_add_")(_inplace_of(scatter_add))


@tensor_method("scatter_reduce_")
def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    if not grad_needed(self, src):
        return _inplace_of(scatter_reduce)(self, dim, index, src, reduce, include_self=include_self)
    check_inplace(self)
    # the backward needs self's values from before the write: compute on a clone
    result = scatter_reduce(self.clone(), dim, index, src, reduce, include_self=include_self)
    return commit_inplace(self, result)
