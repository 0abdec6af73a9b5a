"""Tensor indexing: __getitem__ (basic views and advanced copies), __setitem__, index_put(_).

An index is parsed once into a `Key`: a numpy basic-index tuple (ints, slices, None; applied first, giving a
view) and an advanced-index tuple applied to that view (integer arrays and bool masks). Applying the ints
first reproduces torch's placement of advanced dimensions (numpy would count ints as advanced indices).
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from ..autograd.graph import Node
from ..backend import move_array
from ..tensor import Tensor, grad_needed
from ._helpers import check_inplace, is_scalar, new, new_view, tensor_method, xp

__all__ = ["index_put", "index_put_"]

_FULL = slice(None)
_BAD_INDEX_TYPE = "tensors used as indices must be long, int, byte or bool tensors"


class Key:
    """A parsed index: `basic` (tuple or None) then `adv` (tuple or None) on the basic view."""

    __slots__ = ("basic", "adv", "name", "dups")

    def __init__(self, basic, adv, name: str, dups: bool) -> None:
        self.basic, self.adv, self.name, self.dups = basic, adv, name, dups


# --------------------------------------------------------------------------------------------- parsing --
def _array_kind(arr, warn: bool = True):
    """('int', python int) for 0-d integers, ('bool0', bool), ('mask', arr) or ('long', arr)."""
    kind = arr.dtype.kind
    if kind == "b":
        return ("bool0", bool(arr)) if arr.ndim == 0 else ("mask", arr)
    if arr.dtype == np.uint8:
        if warn:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                          "instead.", UserWarning, stacklevel=4)
        arr = arr.astype(bool)
        return ("bool0", bool(arr)) if arr.ndim == 0 else ("mask", arr)
    if arr.dtype not in (np.int64, np.int32):
        raise IndexError(_BAD_INDEX_TYPE)
    return ("int", int(arr)) if arr.ndim == 0 else ("long", arr)


def _classify(item):
    if item is None:
        return ("none", None)
    if item is Ellipsis:
        return ("ellipsis", None)
    if isinstance(item, slice):
        return ("slice", item)
    if isinstance(item, (bool, np.bool_)):
        return ("bool0", bool(item))
    if isinstance(item, (int, np.integer)):
        return ("int", int(item))
    if isinstance(item, Tensor):
        return _array_kind(item._data)
    if isinstance(item, np.ndarray):
        return _array_kind(item)
    if isinstance(item, (list, tuple)):
        from .creation import tensor

        arr = tensor(item)._data if len(item) else np.zeros((0,), np.int64)
        kind = _array_kind(arr)
        return ("long", arr.reshape(1)) if kind[0] == "int" else kind
    if hasattr(item, "__index__"):
        return ("int", operator.index(item))
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                     f"valid indices (got {type(item).__name__})")


def _sequence_as_tuple(index: list) -> bool:
    """torch's legacy rule: a list holding slices, sequences, tensors, None or Ellipsis is a tuple."""
    if len(index) >= 32:
        return False
    return any(isinstance(x, (slice, list, tuple, Tensor, np.ndarray)) or x is None or x is Ellipsis
               for x in index)


_DIMS_USED = {"int": 1, "slice": 1, "long": 1, "none": 0, "ellipsis": 0, "bool0": 0}


def _check_slice(s: slice) -> slice:
    step = s.step
    if step is not None:
        step = operator.index(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    return s


def parse_index(self: Tensor, index) -> Key:
    data = self._data
    if not isinstance(index, tuple):
        if isinstance(index, list) and _sequence_as_tuple(index):
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
                "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
                "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
                "a different result", UserWarning, stacklevel=3)
            index = tuple(index)
        else:
            index = (index,)
    items = [_classify(i) for i in index]
    shape = data.shape
    ndim = len(shape)
    used = sum(_DIMS_USED[k] if k != "mask" else v.ndim for k, v in items)
    if used > ndim:
        if ndim == 0 and items[0][0] == "int":
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if ndim == 0 and items[0][0] == "slice":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic: list = []
    adv: list = []  # (view_dim, array)
    src = vdim = 0
    last = None
    trivial = True  # basic key is all full slices
    ellipsis_seen = False
    for kind, val in items:
        if kind == "slice":
            basic.append(_check_slice(val))
            src += 1
            vdim += 1
            last = "SliceBackward0"
            trivial = trivial and val == _FULL
            continue
        if kind == "int":
            size = shape[src]
            if not -size <= val < size:
                raise IndexError(f"index {val} is out of bounds for dimension {len(basic)} with size {size}")
            basic.append(val)
            src += 1
            last = "SelectBackward0"
            trivial = False
            continue
        if kind == "none":
            basic.append(None)
            vdim += 1
            last = "UnsqueezeBackward0"
            trivial = False
        elif kind == "ellipsis":
            k = 0 if ellipsis_seen else ndim - used
            ellipsis_seen = True
            basic.extend([_FULL] * k)
            src += k
            vdim += k
            last = last or "AliasBackward0"
        elif kind == "bool0":
            basic.append(None)
            adv.append((vdim, np.arange(1) if val else np.zeros((0,), np.int64)))
            vdim += 1
            trivial = False
        elif kind == "long":
            basic.append(_FULL)
            adv.append((vdim, val))
            src += 1
            vdim += 1
        else:  # mask
            k = val.ndim
            if val.shape != shape[src:src + k]:
                _raise_mask_mismatch(data, basic, val.shape, vdim)
            basic.extend([_FULL] * k)
            adv.append((vdim, val))
            src += k
            vdim += k
    return _make_key(data, basic, adv, trivial, last)


def _raise_mask_mismatch(data, basic, mshape, vdim):
    cur = data[tuple(basic)].shape
    for j, m in enumerate(mshape):
        if vdim + j >= len(cur) or cur[vdim + j] != m:
            raise IndexError(f"The shape of the mask {list(mshape)} at index {j} does not match the shape of "
                             f"the indexed tensor {list(cur)} at index {vdim + j}")


def _make_key(data, basic, adv, trivial: bool, last) -> Key:
    on_host = data.__class__ is np.ndarray
    basic = None if trivial else (*basic, Ellipsis)  # the Ellipsis keeps all-int keys views, not scalars
    if not adv:
        return Key(basic, None, last or "AliasBackward0", False)
    entries = []
    cur = 0
    dups = False
    for vd, arr in adv:
        entries.extend([_FULL] * (vd - cur))
        if not on_host:
            arr = xp_module(data).asarray(arr)
        entries.append(arr)
        cur = vd + (arr.ndim if arr.dtype.kind == "b" else 1)
        dups = dups or (arr.dtype.kind != "b" and arr.size > 1)
    return Key(basic, tuple(entries), "IndexBackward0", dups)


# ----------------------------------------------------------------------------------- raw array access --
def _region(data, key: Key):
    """The advanced-indexed region of data as a fresh array, or the basic view."""
    view = data[key.basic] if key.basic is not None else data
    if key.adv is None:
        return view
    try:
        return view[key.adv]
    except IndexError:
        _raise_adv_error(view, key.adv)
        raise


def _raise_adv_error(view, adv):
    shapes = []
    ordinal = 0
    dim = 0
    for entry in adv:
        if isinstance(entry, slice):
            dim += 1
            continue
        if entry.dtype.kind == "b":
            shapes.append([int(entry.sum())])
            dim += entry.ndim
            ordinal += entry.ndim
            continue
        shapes.append(list(entry.shape))
        size = view.shape[dim]
        bad = entry[(entry >= size) | (entry < -size)]
        if bad.size:
            raise IndexError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {ordinal} with "
                             f"size {size}")
        dim += 1
        ordinal += 1
    try:
        np.broadcast_shapes(*[tuple(s) for s in shapes])
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(s) for s in shapes)) from None


def _write(data, key: Key, value, accumulate: bool = False) -> None:
    """data[key] = value (or += with repeated indices accumulating)."""
    view = data[key.basic] if key.basic is not None else data
    if key.adv is None:
        if accumulate:
            view += value
        else:
            view[...] = value
        return
    try:
        if accumulate and key.dups:
            _raise_adv_error(view, key.adv)  # add_at's linear positions must not go out of bounds silently
            add_at(view, key.adv, value)
        elif accumulate:
            view[key.adv] += value
        else:
            view[key.adv] = value
    except IndexError:
        _raise_adv_error(view, key.adv)
        raise


def add_at(out, adv: tuple, values) -> None:
    """Unbuffered out[adv] += values (repeated indices accumulate), via 1-D linear positions when possible."""
    if out.size == 0 or getattr(values, "size", 1) == 0:
        return
    mod = np if out.__class__ is np.ndarray else xp_module(out)
    arrays = [(i, a) for i, a in enumerate(adv) if not isinstance(a, slice)]
    if out.flags.c_contiguous and len(arrays) == 1 and arrays[0][1].dtype.kind != "b":
        dim, idx = arrays[0]
        shape = out.shape
        size = shape[dim]
        if idx.size and int(idx.min()) < 0:
            idx = mod.where(idx < 0, idx + size, idx)
        outer, inner = math.prod(shape[:dim]), math.prod(shape[dim + 1:])
        region = shape[:dim] + idx.shape + shape[dim + 1:]
        vals = values if getattr(values, "shape", None) == region else mod.broadcast_to(values, region)
        vals = vals.reshape(outer, idx.size, inner)
        pos = (idx.reshape(1, -1, 1).astype(np.int64, copy=False) * inner
               + mod.arange(inner, dtype=np.int64).reshape(1, 1, -1)
               + mod.arange(0, outer * size * inner, size * inner, dtype=np.int64).reshape(-1, 1, 1))
        mod.add.at(out.reshape(-1), pos.reshape(-1), vals.reshape(-1))
        return
    region_shape = out[adv].shape
    mod.add.at(out, adv, mod.broadcast_to(values, region_shape))


def xp_module(arr):
    from ..backend import array_module

    return array_module(arr)


# ------------------------------------------------------------------------------------- differentiable --
class _ViewIndexBackward(Node):
    __slots__ = ("key", "in_shape")

    def backward(self, g):
        return (scatter_key(g, self.in_shape, self.key),)


class SelectBackward0(_ViewIndexBackward):
    __slots__ = ()


class SliceBackward0(_ViewIndexBackward):
    __slots__ = ()


class UnsqueezeBackward0(_ViewIndexBackward):
    __slots__ = ()


class AliasBackward0(_ViewIndexBackward):
    __slots__ = ()


class IndexBackward0(_ViewIndexBackward):
    __slots__ = ()


_GET_NODES = {c.__name__: c for c in (SelectBackward0, SliceBackward0, UnsqueezeBackward0, AliasBackward0,
                                      IndexBackward0)}


def take_key(t: Tensor, key: Key) -> Tensor:
    """t[key] as a differentiable op (a view for basic keys, a copy for advanced ones)."""
    data = t._data
    if key.adv is None:
        view = data[key.basic] if key.basic is not None else data.view()
        result = new_view(view, t)
    else:
        result = new(_region(data, key))
    if grad_needed(t):
        node = _GET_NODES[key.name](result, t)
        node.key, node.in_shape = key, data.shape
    return result


class IndexScatterBackward(Node):
    """Backward of `scatter_key` (the gradient of indexing): index the gradient again."""

    __slots__ = ("key",)

    def backward(self, g):
        return (take_key(g, self.key),)


def scatter_key(g: Tensor, shape: tuple, key: Key) -> Tensor:
    """zeros(shape) with g accumulated at key (the gradient of t[key])."""
    mod = xp(g)
    out = mod.zeros(shape, dtype=g._data.dtype)
    _write(out, key, g._data, accumulate=key.dups)
    result = new(out)
    if grad_needed(g):
        IndexScatterBackward(result, g).key = key
    return result


class ZeroKeyBackward(Node):
    __slots__ = ("key",)

    def backward(self, g):
        return (zero_key(g, self.key),)


def zero_key(g: Tensor, key: Key) -> Tensor:
    """A copy of g with zeros written at key (the gradient reaching an overwritten tensor)."""
    out = g._data.copy()
    _write(out, key, 0)
    result = new(out)
    if grad_needed(g):
        ZeroKeyBackward(result, g).key = key
    return result


@tensor_method("__getitem__")
def _getitem(self: Tensor, index) -> Tensor:
    if index.__class__ is int:  # fast path for the most common case
        data = self._data
        if data.ndim and -data.shape[0] <= index < data.shape[0]:
            result = new_view(data[index, ...], self)
            if grad_needed(self):
                node = SelectBackward0(result, self)
                node.key, node.in_shape = Key((index, Ellipsis), None, "SelectBackward0", False), data.shape
            return result
    return take_key(self, parse_index(self, index))


# --------------------------------------------------------------------------------- writes (in place) --
class _PutBackward(Node):
    """Gradient of writing `value` into `self` at key: zero (or pass) for self, gathered for value."""

    __slots__ = ("key", "accumulate", "value_ndim")

    def backward(self, g):
        gs = gv = None
        if self.needs(0):
            gs = g if self.accumulate else zero_key(g, self.key)
        if self.needs(1):
            gv = take_key(g, self.key)
            extra = self.value_ndim - gv._data.ndim
            if extra > 0:
                gv = gv.reshape((1,) * extra + gv._data.shape)
        return gs, gv


class CopySlices(_PutBackward):
    __slots__ = ()


class IndexPutBackward0(_PutBackward):
    __slots__ = ()


def _value_array(self: Tensor, value):
    if isinstance(value, Tensor):
        data = value._data
        if data.__class__ is not self._data.__class__:
            data = move_array(data, self.device)
        return data, value
    if is_scalar(value):
        kind = self._data.dtype.kind
        if (isinstance(value, complex) and kind != "c") or (kind in "iu" and isinstance(value, float)
                                                            and not np.isfinite(value)):
            ctype = _C_TYPES.get(self._data.dtype.name, "float")
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        return value, None
    raise TypeError(f"can't assign a {_qualname(value)} to a {self._type_name()}")


_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "int64_t",
            "int32": "int32_t", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t", "bool": "bool"}


def _qualname(value) -> str:
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _check_value_shape(self: Tensor, key: Key, value) -> None:
    """torch's messages when value can't be broadcast to the indexed region."""
    vshape = tuple(value.shape)
    region = _region(self._data, key).shape
    stripped = vshape
    while len(stripped) > len(region) and stripped[0] == 1:
        stripped = stripped[1:]
    try:
        if np.broadcast_shapes(stripped, region) == region:
            return
    except ValueError:
        pass
    if key.adv is not None:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                           f"indexing result of shape {list(region)}")
    from .shape import expand

    expand(new(np.empty(vshape, self._data.dtype)), region)  # raises torch's expand error
    raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                       f"{list(region)}")


def put_key(self: Tensor, key: Key, value, *, accumulate: bool = False, inplace: bool = True,
            node_cls=CopySlices) -> Tensor:
    """self[key] = value (or +=), in place or on a copy; records node_cls when autograd needs it."""
    data, vt = _value_array(self, value)
    if inplace:
        check_inplace(self)
        out = self._data
    else:
        out = self._data.copy()
    try:
        with np.errstate(invalid="ignore"):
            _write(out, key, data, accumulate)
    except ValueError:
        _check_value_shape(self, key, data)
        raise
    if inplace:
        self._version[0] += 1
        result = self
    else:
        result = new(out)
    if grad_needed(self) or (vt is not None and grad_needed(vt)):
        node = node_cls((result,) if inplace else result, self, vt)
        node.key, node.accumulate = key, accumulate
        node.value_ndim = data.ndim if vt is not None else 0
        if inplace and self._base is not None:
            from ._view_inplace import rebase_view_history

            rebase_view_history(self)
    return result


@tensor_method("__setitem__")
def _setitem(self: Tensor, index, value) -> None:
    key = parse_index(self, index)
    put_key(self, key, value, node_cls=IndexPutBackward0 if key.basic is None and key.adv is not None
            else CopySlices)


def _index_put_key(self: Tensor, indices, values) -> Key:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError("index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if values._data.dtype != self._data.dtype:
        from ._helpers import _scalar_type_name

        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_scalar_type_name(self._data.dtype)} for the destination and "
                           f"{_scalar_type_name(values._data.dtype)} for the source.")
    return parse_index(self, tuple(indices))


@tensor_method("index_put_")
def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    key = _index_put_key(self, indices, values)
    return put_key(self, key, values, accumulate=accumulate, node_cls=IndexPutBackward0)


@tensor_method("index_put")
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    key = _index_put_key(input, indices, values)
    return put_key(input, key, values, accumulate=accumulate, inplace=False, node_cls=IndexPutBackward0)
