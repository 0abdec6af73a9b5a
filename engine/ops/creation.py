"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty/arange and *_like."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..backend import CPU, canonical_device, move_array, to_numpy
from ..tensor import Tensor
from ._helpers import new

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
           "full_like", "empty_like", "is_tensor", "arange"]


def _plain(data):
    if isinstance(data, Tensor):
        return to_numpy(data._data) if data._data.ndim else to_numpy(data._data).item()
    if isinstance(data, (list, tuple)):
        return [_plain(x) for x in data]
    return data


def _infer_array(data) -> np.ndarray:
    """Python data -> numpy array with torch's inferred dtype."""
    if isinstance(data, np.ndarray):
        dt.from_numpy_dtype(data.dtype)  # raises for unsupported dtypes
        return np.array(data)
    if isinstance(data, Tensor):
        return to_numpy(data._data).copy()
    plain = _plain(data)
    try:
        array = np.array(plain)
    except ValueError as err:
        raise ValueError(f"expected sequence of equal-length lists: {err}") from None
    kind = array.dtype.kind
    if kind == "f":
        if _all_numpy_scalars_of(plain, array.dtype):
            return array
        return array.astype(dt.get_default_dtype().np)
    if kind == "c":
        return array.astype(dt.get_default_dtype().to_complex().np)
    if kind in "iu":
        return array.astype(np.int64) if array.dtype != np.uint8 or not isinstance(plain, np.generic) else array
    if kind == "b":
        return array
    if kind == "O" or kind in "USV":
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    return array


def _all_numpy_scalars_of(plain, np_dtype) -> bool:
    return isinstance(plain, np.generic) and plain.dtype == np_dtype


def _place(array, device, requires_grad: bool) -> Tensor:
    if device is not None:
        dev = canonical_device(device)
        if dev is not CPU:
            array = move_array(array, dev)
    t = new(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    array = _infer_array(data)
    if dtype is not None:
        array = array.astype(dt.to_dtype(dtype).np, copy=False)
    return _place(array, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if dtype is not None or device is not None else data
    if isinstance(data, np.ndarray) and device is None:
        t = from_numpy(data)
        return t if dtype is None else t.to(dt.to_dtype(dtype))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dt.from_numpy_dtype(array.dtype)
    return new(array)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _size_args(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) and not (isinstance(s, Tensor) and s.numel() == 1):
            raise TypeError(f"argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__}")
    size = tuple(int(s) for s in size)
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return size


def _resolve_dtype(dtype, default: dt.dtype | None = None) -> np.dtype:
    if dtype is None:
        return (default or dt.get_default_dtype()).np
    return dt.to_dtype(dtype).np


def _filled(size, fill, dtype, device, requires_grad) -> Tensor:
    shape = _size_args(size)
    np_dtype = _resolve_dtype(dtype)
    array = np.full(shape, fill, dtype=np_dtype) if fill is not None else np.empty(shape, dtype=np_dtype)
    return _place(array, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None) -> Tensor:
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None) -> Tensor:
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
          memory_format=None, pin_memory=False) -> Tensor:
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False, out=None,
         layout=None) -> Tensor:
    if dtype is None:
        dtype = dt.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled((tuple(size),), fill_value, dtype, device, requires_grad)


def _like(input: Tensor, fill, dtype, device, requires_grad) -> Tensor:
    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    return _filled((input._data.shape,), fill, dtype, device, requires_grad)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _like(input, 0, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None):
    return _like(input, fill_value, dtype, device, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False, out=None,
           layout=None) -> Tensor:
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dtype = dt.get_default_dtype() if is_float else dt.int64
    np_dtype = dt.to_dtype(dtype).np
    start, end, step = values
    count = int(np.ceil((end - start) / step))
    if count < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    array = (start + step * np.arange(count, dtype=np.float64)).astype(np_dtype) if np_dtype.kind == "f" else \
        np.arange(start, start + step * count, step)[:count].astype(np_dtype)
    return _place(array, device, requires_grad)
