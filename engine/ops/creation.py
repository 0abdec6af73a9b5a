"""Tensor creation: tensor/as_tensor/from_numpy/from_dlpack, filled tensors, ranges, eye, complex, new_*."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as dt
from ..autograd.grad_mode import STATE
from ..autograd.graph import Node
from ..backend import CPU, array_from_dlpack, canonical_device, move_array, xp_for
from ..tensor import Size, Tensor, grad_needed
from ._helpers import _scalar_type_name, check_inplace, commit_inplace, new, tensor_method, xp
from ._tensor_data import check_ndarray, infer_array

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "from_dlpack", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "empty_strided", "is_tensor", "arange",
           "range", "linspace", "logspace", "eye", "complex", "polar", "scalar_tensor"]

_builtin_range = range
_builtin_complex = complex
_C_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
            "int64": "long"}


def _place(array, device, requires_grad: bool) -> Tensor:
    if device is not None:
        dev = canonical_device(device)
        if dev is not CPU or array.__class__ is not np.ndarray:
            array = move_array(array, dev)
    t = new(array)
    if requires_grad:
        if array.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    array = infer_array(data, None if dtype is None else dt.to_dtype(dtype))
    if device is None and isinstance(data, Tensor):
        device = data.device
    return _place(array, device, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = dt.get_default_dtype() if dtype is None else dt.to_dtype(dtype)
    return _place(np.array(s, dtype=d.np), device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like tensor(), but shares memory with a Tensor or ndarray when dtype and device allow."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if dtype is not None or device is not None else data
    if isinstance(data, np.ndarray):
        check_ndarray(data)
        t = new(data)
        if dtype is not None or device is not None:
            t = t.to(dtype=dtype, device=device)
        return t
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    """torch.asarray: share memory when possible; copy=True always copies, copy=False refuses to."""
    if isinstance(obj, (Tensor, np.ndarray)) or hasattr(obj, "__dlpack__"):
        src = obj if isinstance(obj, Tensor) else (
            from_numpy(obj) if isinstance(obj, np.ndarray) else from_dlpack(obj))
        want = src.dtype if dtype is None else dt.to_dtype(dtype)
        dev = src.device if device is None else canonical_device(device)
        if copy is False and (want is not src.dtype or dev != src.device):
            raise ValueError(f"can't alias tensor with dtype '{_scalar_type_name(src._data.dtype)}' into "
                             f"dtype '{_scalar_type_name(want.np)}'.")
        result = src.to(dtype=want, device=dev)
        if copy and result is src:
            result = new(src._data.copy())
        elif result is src and isinstance(obj, Tensor):
            result = obj.detach() if not requires_grad else obj
    else:
        result = tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        result.requires_grad_(True)
    return result


def from_numpy(array: np.ndarray) -> Tensor:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    check_ndarray(array)
    return new(array)


class _Capsule:
    """Lets numpy read a bare DLPack capsule (the legacy torch.utils.dlpack.to_dlpack output)."""

    def __init__(self, capsule) -> None:
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor) -> Tensor:
    """Zero-copy tensor from any object with __dlpack__ (numpy, cupy, torch, engine) or a DLPack capsule."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor.detach()
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ != "PyCapsule":
            raise TypeError(f"from_dlpack expects an object with __dlpack__ or a DLPack capsule, got "
                            f"{type(ext_tensor).__name__}")
        ext_tensor = _Capsule(ext_tensor)
    array = array_from_dlpack(ext_tensor)
    dt.from_numpy_dtype(array.dtype)
    return new(array)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


# -------------------------------------------------------------------------------- sizes, filling ----
def size_args(size, fn: str = "zeros") -> tuple:
    """Sizes given as varargs, a tuple/list/Size, or 1-element tensors -> tuple of ints (torch's errors)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) == 1 and not isinstance(size[0], (int, np.integer, Tensor)):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size[0]).__name__}")
    out = []
    for pos, s in enumerate(size):
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            out.append(int(s))
        elif isinstance(s, Tensor) and s.numel() == 1 and s._data.dtype.kind in "iu":
            out.append(int(s.item()))
        else:
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {pos + 1} with "
                            f"error \"type must be tuple of ints,but got {type(s).__name__}\"")
    if any(s < 0 for s in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    return tuple(out)


def resolve_dtype(dtype) -> dt.dtype:
    return dt.get_default_dtype() if dtype is None else dt.to_dtype(dtype)


def _filled(shape: tuple, fill, dtype: dt.dtype, device, requires_grad: bool) -> Tensor:
    dev = canonical_device(device)
    lib = xp_for(dev)
    if fill is None:
        array = lib.empty(shape, dtype=dtype.np)
    elif fill == 0:
        array = lib.zeros(shape, dtype=dtype.np)
    else:
        array = lib.full(shape, fill, dtype=dtype.np)
    return _place(array, None if dev is CPU else dev, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
          pin_memory: bool = False) -> Tensor:
    return _filled(size_args(size, "zeros"), 0, resolve_dtype(dtype), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
         pin_memory: bool = False) -> Tensor:
    return _filled(size_args(size, "ones"), 1, resolve_dtype(dtype), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
          memory_format=None, pin_memory: bool = False) -> Tensor:
    return _filled(size_args(size, "empty"), None, resolve_dtype(dtype), device, requires_grad)


def _fill_scalar(value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return value.item()
    return value.item() if isinstance(value, np.generic) else value


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
         pin_memory: bool = False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    value = _fill_scalar(fill_value)
    d = dt.scalar_dtype(value) if dtype is None else dt.to_dtype(dtype)
    return _filled(size_args((tuple(size),), "full"), value, d, device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad: bool = False, layout=None,
                  pin_memory: bool = False) -> Tensor:
    shape = size_args((tuple(size),), "empty_strided")
    stride = tuple(int(s) for s in stride)
    if len(stride) != len(shape):
        raise RuntimeError("mismatch in length of strides and shape")
    d = resolve_dtype(dtype)
    lib = xp_for(canonical_device(device))
    count = 0 if 0 in shape else 1 + sum((n - 1) * s for n, s in zip(shape, stride))
    buffer = lib.empty((count,), dtype=d.np)
    array = lib.lib.stride_tricks.as_strided(buffer, shape, tuple(s * d.itemsize for s in stride))
    return _place(array, None if lib is np else device, requires_grad)


def _like(input: Tensor, fill, dtype, device, requires_grad: bool) -> Tensor:
    d = input.dtype if dtype is None else dt.to_dtype(dtype)
    dev = input.device if device is None else device
    return _filled(input._data.shape, fill, d, dev, requires_grad)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None,
               layout=None) -> Tensor:
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None,
              layout=None) -> Tensor:
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None,
               layout=None) -> Tensor:
    return _like(input, None, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None, layout=None) -> Tensor:
    return _like(input, _fill_scalar(fill_value), dtype, device, requires_grad)


# ------------------------------------------------------------------------------------- ranges -------
def _number(v):
    if isinstance(v, Tensor):
        return v.item()
    return v.item() if isinstance(v, np.generic) else v


def _range_dtype(values, dtype) -> dt.dtype:
    if dtype is not None:
        return dt.to_dtype(dtype)
    if any(isinstance(v, _builtin_complex) for v in values):
        return dt.get_default_dtype().to_complex()
    if any(isinstance(v, float) for v in values):
        return dt.get_default_dtype()
    return dt.int64


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False, out=None,
           layout=None, pin_memory: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    d = _range_dtype((start, end, step), dtype)
    integral = d.np.kind in "iub"
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if integral:  # torch computes integral ranges on the int64-truncated bounds
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_fmt(start)} -> {_fmt(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = math.ceil((end - start) / step) if not integral else -((start - end) // step)
    if integral:
        array = (start + step * np.arange(count, dtype=np.int64)).astype(d.np, copy=False)
    else:
        array = (start + step * np.arange(count, dtype=np.float64)).astype(d.np)
    return _place(array, device, requires_grad)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def range(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False, out=None,  # noqa: A001
          layout=None) -> Tensor:
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior "
                  "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
                  "values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    d = resolve_dtype(dtype)
    count = int(math.floor((end - start) / step)) + 1
    array = (start + step * np.arange(count, dtype=np.float64)).astype(d.np)
    return _place(array, device, requires_grad)


def _steps(steps, fn: str) -> int:
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got steps of type "
                        f"{type(steps).__name__}, but expected int steps")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_array(start, end, steps: int, work: np.dtype):
    """torch's symmetric linspace: the first half counts up from start, the second half down from end."""
    start, end = work.type(start), work.type(end)
    if steps == 1:
        return np.array([start], dtype=work)
    step = (end - start) / work.type(steps - 1)
    idx = np.arange(steps)
    half = steps // 2
    out = np.empty(steps, dtype=work)
    out[:half] = start + step * idx[:half].astype(work)
    out[half:] = end - step * (steps - 1 - idx[half:]).astype(work)
    return out


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad: bool = False, out=None,
             layout=None) -> Tensor:
    start, end = _number(start), _number(end)
    steps = _steps(steps, "linspace")
    d = dt.to_dtype(dtype) if dtype is not None else (
        dt.get_default_dtype().to_complex() if isinstance(start, _builtin_complex)
        or isinstance(end, _builtin_complex) else dt.get_default_dtype())
    work = d.np if d.np.kind in "fc" else np.dtype(np.float64)  # torch steps in the output's precision
    array = _linspace_array(start, end, steps, work).astype(d.np)
    return _place(array, device, requires_grad)


def logspace(start, end, steps, base: float = 10.0, *, dtype=None, device=None, requires_grad: bool = False,
             out=None, layout=None) -> Tensor:
    start, end, base = _number(start), _number(end), _number(base)
    steps = _steps(steps, "logspace")
    d = resolve_dtype(dtype)
    work = np.dtype(np.complex128) if d.is_complex else np.dtype(np.float64)
    array = np.power(work.type(base), _linspace_array(start, end, steps, work)).astype(d.np)
    return _place(array, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
        pin_memory: bool = False) -> Tensor:
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is None:
        m = n
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    d = resolve_dtype(dtype)
    lib = xp_for(canonical_device(device))
    return _place(lib.eye(int(n), int(m), dtype=d.np), None if lib is np else device, requires_grad)


# ------------------------------------------------------------------------------- complex, polar ----
class ComplexBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        data = g._data
        lib = xp(g)
        return new(lib.ascontiguousarray(data.real)), new(lib.ascontiguousarray(data.imag))


def _check_complex_parts(a: Tensor, b: Tensor) -> None:
    ka, kb = a._data.dtype, b._data.dtype
    if ka.kind != "f" or kb.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_scalar_type_name(ka)} and {_scalar_type_name(kb)}")
    if ka != kb:
        raise RuntimeError(f"Expected object of scalar type {_scalar_type_name(ka)} but got scalar type "
                           f"{_scalar_type_name(kb)} for second argument")


def complex(real: Tensor, imag: Tensor, *, out=None) -> Tensor:  # noqa: A001
    _check_complex_parts(real, imag)
    lib = xp(real)
    a, b = lib.broadcast_arrays(real._data, imag._data)
    ctype = np.complex64 if a.dtype != np.float64 else np.complex128
    data = a.astype(ctype) if a.dtype != np.float16 else a.astype(np.float32).astype(ctype)
    data.imag = b
    result = new(data)
    if grad_needed(real, imag):
        ComplexBackward0(result, real, imag)
    return result


def polar(abs: Tensor, angle: Tensor, *, out=None) -> Tensor:  # noqa: A002
    _check_complex_parts(abs, angle)
    if grad_needed(abs, angle):
        return complex(abs * angle.cos(), abs * angle.sin())
    lib = xp(abs)
    return complex(new(abs._data * lib.cos(angle._data)), new(abs._data * lib.sin(angle._data)))


# -------------------------------------------------------------------------- Tensor.new_* methods ----
def _opts(self: Tensor, dtype, device):
    return (self.dtype if dtype is None else dt.to_dtype(dtype)), (self.device if device is None else device)


@tensor_method("new_tensor")
def new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d, dev = _opts(self, dtype, device)
    return _place(infer_array(data, d), dev, requires_grad)


@tensor_method("new_zeros")
def new_zeros(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False, layout=None,
              pin_memory: bool = False) -> Tensor:
    d, dev = _opts(self, dtype, device)
    return _filled(size_args(size, "new_zeros"), 0, d, dev, requires_grad)


@tensor_method("new_ones")
def new_ones(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False, layout=None,
             pin_memory: bool = False) -> Tensor:
    d, dev = _opts(self, dtype, device)
    return _filled(size_args(size, "new_ones"), 1, d, dev, requires_grad)


@tensor_method("new_empty")
def new_empty(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False, layout=None,
              pin_memory: bool = False) -> Tensor:
    d, dev = _opts(self, dtype, device)
    return _filled(size_args(size, "new_empty"), None, d, dev, requires_grad)


@tensor_method("new_full")
def new_full(self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
             layout=None, pin_memory: bool = False) -> Tensor:
    d, dev = _opts(self, dtype, device)
    return _filled(size_args((tuple(size),), "new_full"), _fill_scalar(fill_value), d, dev, requires_grad)


@tensor_method("new")
def new_legacy(self: Tensor, *args, device=None) -> Tensor:
    """Legacy Tensor.new: sizes (ints or a Size) give an uninitialised tensor; a list/tuple gives data."""
    dev = self.device if device is None else device
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other._data.dtype != self._data.dtype:
            raise TypeError(f"expected {self._type_name()} (got {other._type_name()})")
        return other.detach()
    if len(args) == 1 and isinstance(args[0], (list, tuple)) and not isinstance(args[0], Size):
        return _place(infer_array(args[0], self.dtype), dev, False)
    return _filled(size_args(args, "new") if args else (0,), None, self.dtype, dev, False)


# ------------------------------------------------------------------------------ fill_ and zero_ ----
class FillBackward2(Node):
    __slots__ = ()

    def backward(self, g):
        return (zeros_like(g),)


class FillBackward3(Node):
    __slots__ = ()

    def backward(self, g):
        return zeros_like(g), g.sum()


class ZeroBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (zeros_like(g),)


@tensor_method("fill_")
def fill_(self: Tensor, value) -> Tensor:
    scalar = _fill_scalar(value)
    check_inplace(self)
    value_grad = isinstance(value, Tensor) and grad_needed(value)
    if not (grad_needed(self) or value_grad):
        self._data.fill(scalar)
        self._version[0] += 1
        return self
    result = full_like(self, scalar)
    if value_grad:
        FillBackward3(result, self, value)
    else:
        FillBackward2(result, self)
    return commit_inplace(self, result)


@tensor_method("zero_")
def zero_(self: Tensor) -> Tensor:
    check_inplace(self)
    if STATE.enabled and self._requires_grad:
        result = zeros_like(self)
        ZeroBackward0(result, self)
        return commit_inplace(self, result)
    self._data.fill(0)
    self._version[0] += 1
    return self


def int_bounds_name(np_dtype) -> str:
    return _C_NAMES.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)
