"""Shared plumbing for op families: method registration, operand promotion, broadcasting, in-place."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.grad_mode import STATE
from ..backend import array_module
from ..tensor import Tensor, _wrap_dim

_make = Tensor._make


def new(data) -> Tensor:
    """Wrap a fresh array (numpy returns scalars from 0-d ops: make them 0-d arrays)."""
    if isinstance(data, np.generic):
        data = np.asarray(data)
    return _make(data)


def new_view(data, base: Tensor) -> Tensor:
    """Wrap an array that is a view of base's memory: it shares base's version counter."""
    if isinstance(data, np.generic):
        data = np.asarray(data)
    t = _make(data)
    t._version = base._version
    t._base = base if base._base is None else base._base
    return t


def tensor_method(*names: str):
    """Attach the decorated function to Tensor under each name (first arg becomes self)."""

    def decorate(fn):
        for name in names:
            setattr(Tensor, name, fn)
        return fn

    return decorate


def xp(t: Tensor):
    """numpy or cupy, whichever holds this tensor's array."""
    data = t._data
    return np if data.__class__ is np.ndarray else array_module(data)


def wrap_dim(dim: int, ndim: int) -> int:
    return _wrap_dim(dim, ndim)


def wrap_dims(dims, ndim: int) -> tuple:
    if isinstance(dims, int):
        dims = (dims,)
    return tuple(sorted({_wrap_dim(d, ndim) for d in dims}))


def is_scalar(x) -> bool:
    return isinstance(x, (int, float, complex, bool, np.generic))


def to_tensor(x, like: Tensor | None = None) -> Tensor:
    """Tensor operands pass through; numbers and array-likes become tensors on like's device."""
    if isinstance(x, Tensor):
        return x
    if is_scalar(x):
        d = dt.scalar_dtype(x)
        arr = np.asarray(x, dtype=d.np)
    else:
        from .creation import tensor

        return tensor(x, device=like.device if like is not None else None)
    if like is not None and like._data.__class__ is not np.ndarray:
        arr = array_module(like._data).asarray(arr)
    return new(arr)


def result_dtype(a: Tensor, b) -> np.dtype:
    """PyTorch's promoted dtype (numpy dtype) for a binary op between tensor a and tensor-or-number b."""
    da = a._data.dtype
    if isinstance(b, Tensor):
        db = b._data.dtype
        if da == db:
            return da
        ea, eb = dt.from_numpy_dtype(da), dt.from_numpy_dtype(db)
        dims, zeros = [], []
        (dims if a._data.ndim else zeros).append(ea)
        (dims if b._data.ndim else zeros).append(eb)
        return dt.result_type_of(dims, zeros, ()).np
    ea = dt.from_numpy_dtype(da)
    sd = dt.scalar_dtype(b)
    if sd._category <= ea._category:
        return da
    if a._data.ndim:
        return dt.result_type_of((ea,), (), (sd,)).np
    return dt.result_type_of((), (ea,), (sd,)).np


def check_same_device(a, b) -> None:
    if a.__class__ is not b.__class__:
        from ..backend import device_of_array

        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{device_of_array(b)} and {device_of_array(a)}!"
        )


def binary_arrays(a: Tensor, b, dtype: np.dtype | None = None):
    """(array_a, array_or_scalar_b, b_as_tensor_or_None) cast to the promoted dtype."""
    res = result_dtype(a, b) if dtype is None else dtype
    xa = a._data if a._data.dtype == res else a._data.astype(res)
    if isinstance(b, Tensor):
        xb = b._data
        if xb.__class__ is not xa.__class__ and xb.ndim:
            check_same_device(xa, xb)
        if xb.dtype != res:
            xb = xb.astype(res)
        if xb.__class__ is not xa.__class__:
            xb = array_module(xa).asarray(xb) if xa.__class__ is not np.ndarray else xb.get()
        return xa, xb, b
    if isinstance(b, np.generic):
        b = b.item()
    if isinstance(b, int) and not isinstance(b, bool) and res.kind in "iu":
        info = np.iinfo(res)
        if not info.min <= b <= info.max:
            b = np.array(b).astype(res)  # wraps around like torch's integer arithmetic
    return xa, b, None


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Reduce a broadcast gradient back to `shape` (the one generic place broadcasting is undone)."""
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = list(range(lead))
    for i, size in enumerate(shape):
        if size == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
    if dims:
        grad = grad.sum(dim=tuple(dims), keepdim=True)
    if lead or grad._data.shape != shape:
        grad = grad.reshape(shape)
    return grad


def check_inplace(t: Tensor) -> None:
    if STATE.enabled and t._requires_grad:
        if t._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = t._base
        if base is not None and base._requires_grad and base._grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation."
            )


def commit_inplace(self: Tensor, result: Tensor) -> Tensor:
    """Write an out-of-place result into self's memory and take over its autograd history."""
    if result._data.shape != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
            f"{list(result._data.shape)}"
        )
    src, dst = result._data, self._data
    if src.dtype != dst.dtype and not np.can_cast(src.dtype, dst.dtype, "same_kind"):
        raise RuntimeError(
            f"result type {_scalar_type_name(src.dtype)} can't be cast to the desired output type "
            f"{_scalar_type_name(dst.dtype)}"
        )
    if result._grad_fn is not None:
        _keep_original_if_saved(result._grad_fn, self)
    dst[...] = src
    self._version[0] += 1
    if result._grad_fn is not None:
        node = result._grad_fn
        node._dtypes = (dst.dtype,) if len(node._dtypes) == 1 else node._dtypes
        self._grad_fn = node
        self._output_nr = result._output_nr
        self._requires_grad = True
        if self._base is not None:
            from ._view_inplace import rebase_view_history

            rebase_view_history(self)
    return self


def _keep_original_if_saved(node, self: Tensor) -> None:
    """The out-of-place op may have saved `self` for its backward; the write is about to change it, so the
    node keeps a copy of the original value (with the original history), as torch does for in-place ops."""
    saved = node._saved
    if not saved or not any(entry is not None and entry[0] is self for entry in saved):
        return
    original = _make(self._data.copy())
    original._grad_fn, original._output_nr = self._grad_fn, self._output_nr
    original._requires_grad = self._requires_grad
    if self._grad_fn is None and self._requires_grad:
        original._acc = self._accumulator()
    node._saved = tuple((original, 0, False) if entry is not None and entry[0] is self else entry
                        for entry in saved)


_SCALAR_TYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def _scalar_type_name(np_dtype) -> str:
    return _SCALAR_TYPE_NAMES[np.dtype(np_dtype).name]


def default_float_np() -> np.dtype:
    return dt.get_default_dtype().np


def float_result(x):
    """Array computed from an int/bool input is produced in the default float dtype, like torch."""
    return x if x.dtype.kind in "fc" else x.astype(default_float_np())
