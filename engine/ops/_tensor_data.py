"""tensor()'s data inference: torch's dtype rules and error messages for nested Python/numpy data."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as dt
from ..backend import to_numpy
from ..tensor import Tensor

_builtin_range = range
_builtin_complex = complex
_PY_DTYPES = {bool: lambda: dt.bool, int: lambda: dt.int64, float: dt.get_default_dtype,
              _builtin_complex: lambda: dt.get_default_dtype().to_complex()}
_NEGATIVE_STRIDES = (
    "At least one stride in the given numpy array is negative, and tensors with negative strides are not "
    "currently supported. (You can probably work around this by making a copy of your array  with "
    "array.copy().) "
)


# --------------------------------------------------------------------------- tensor() inference ----
def _is_seq(obj) -> bool:
    """Sequences inside tensor() data; Tensors there are scalars (torch rejects multi-element ones)."""
    return isinstance(obj, (list, tuple, _builtin_range)) or (isinstance(obj, np.ndarray) and obj.ndim > 0)


def _leaf_dtype(obj) -> dt.dtype:
    """torch's dtype of one scalar element of a nested list."""
    maker = _PY_DTYPES.get(type(obj))
    if maker is not None:
        return maker()
    if isinstance(obj, np.generic):
        return dt.from_numpy_dtype(obj.dtype)
    if isinstance(obj, Tensor):
        if obj._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return obj.dtype
    if isinstance(obj, str):
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(obj).__name__}")


def _not_scalar_error(obj, dtype: dt.dtype) -> TypeError:
    name = type(obj).__name__
    if dtype.is_floating_point or dtype.is_complex:
        return TypeError(f"must be real number, not {name}")
    return TypeError(f"'{name}' object cannot be interpreted as an integer")


def _scan(data, requested: dt.dtype | None) -> tuple[list, dt.dtype | None, bool, set]:
    """Shape (from the first element at each depth, like torch), promoted dtype, whether any element is a
    Tensor, and the numpy scalar types met. Raises torch's errors for ragged or non-numeric data."""
    shape, obj = [], data
    while _is_seq(obj):
        if isinstance(obj, np.ndarray):
            shape.extend(obj.shape)
            break
        shape.append(len(obj))
        if not len(obj):
            break
        obj = obj[0]
    if 0 in shape:
        return shape, None, False, set()
    found: dict = {}
    np_leaves: set = set()
    has_tensor = False
    last = len(shape) - 1

    def walk(seq, depth: int) -> None:
        nonlocal has_tensor
        if isinstance(seq, np.ndarray):
            if seq.shape != tuple(shape[depth:]):
                got = seq.shape[0]
                raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got {got})")
            found[dt.from_numpy_dtype(seq.dtype)] = True
            return
        if len(seq) != shape[depth]:
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got {len(seq)})")
        if depth == last:
            for kind in set(map(type, seq)):
                if kind in _PY_DTYPES:
                    found[_PY_DTYPES[kind]()] = True
                    if kind is _builtin_complex:
                        np_leaves.add(kind)
            for item in seq:
                if type(item) not in _PY_DTYPES:
                    if _is_seq(item):
                        raise _not_scalar_error(item, requested or _promote(found) or dt.int64)
                    if isinstance(item, np.ndarray):
                        raise TypeError("len() of unsized object")
                    found[_leaf_dtype(item)] = True
                    if isinstance(item, np.generic):
                        np_leaves.add(type(item))
                    has_tensor = has_tensor or isinstance(item, Tensor)
            return
        for item in seq:
            if not _is_seq(item):
                if isinstance(item, str):
                    raise TypeError("new(): invalid data type 'str'")
                raise TypeError("not a sequence")
            walk(item, depth + 1)

    if shape:
        walk(data, 0)
    else:
        found[_leaf_dtype(data)] = True
        has_tensor = isinstance(data, Tensor)
        if isinstance(data, (np.generic, _builtin_complex)):
            np_leaves.add(type(data))
    return shape, _promote(found), has_tensor, np_leaves


def _promote(found) -> dt.dtype | None:
    result = None
    for d in found:
        result = d if result is None else dt.promote_types(result, d)
    return result


def _plain(data):
    if isinstance(data, Tensor):
        return to_numpy(data._data)
    if isinstance(data, (list, tuple)):
        return [_plain(x) for x in data]
    return data


def check_ndarray(array: np.ndarray) -> None:
    dt.from_numpy_dtype(array.dtype)  # raises for unsupported dtypes
    if any(s < 0 for s in array.strides):
        raise ValueError(_NEGATIVE_STRIDES)


def infer_array(data, dtype: dt.dtype | None):
    """Python data -> (array with torch's inferred or the requested dtype)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
                      "rather than torch.tensor(sourceTensor).", UserWarning, stacklevel=3)
        src = data._data
        return src.astype(dtype.np) if dtype is not None else src.copy()
    if isinstance(data, np.ndarray):
        check_ndarray(data)
        return np.array(data, dtype=None if dtype is None else dtype.np)
    fast = _fast_array(data, dtype)
    if fast is not None:
        return fast
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    shape, inferred, has_tensor, np_leaves = _scan(data, dtype)
    target = dtype or inferred or dt.get_default_dtype()
    plain = _plain(data) if has_tensor else data
    if isinstance(plain, _builtin_range):
        plain = list(plain)
    if inferred is not None and np_leaves:
        _check_scalar_kinds(inferred, target, np_leaves)
    if target.np.kind in "iu" and inferred is not None and inferred is not target:
        array = _to_int_target(plain, inferred, target)
    else:
        try:
            with warnings.catch_warnings():  # numpy complex scalars into a real dtype keep the real part
                warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
                array = np.array(plain, dtype=target.np)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
    if array.shape != tuple(shape):
        array = array.reshape(shape)
    return array


_FAST_KINDS = {float, int, bool}


def _fast_array(data, dtype: dt.dtype | None):
    """The common case without a full scan: a number or a flat list of Python floats/ints/bools."""
    kind = type(data)
    if kind in _FAST_KINDS:
        kinds = {kind}
    elif (kind is list or kind is tuple) and data:
        kinds = set(map(type, data))
        if not kinds <= _FAST_KINDS:
            return None
    else:
        return None
    inferred = dt.get_default_dtype() if float in kinds else (dt.int64 if int in kinds else dt.bool)
    target = dtype or inferred
    if target.np.kind in "iu" and target is not inferred:
        return None  # needs the range check
    try:
        return np.array(data, dtype=target.np)
    except OverflowError:
        return None


def _check_scalar_kinds(inferred: dt.dtype, target: dt.dtype, leaves: set) -> None:
    """torch's per-element conversion rules: Python complex only into complex or bool dtypes; numpy
    float/complex (and bool, except into bool) scalars never into integer dtypes."""
    kind = target.np.kind
    if _builtin_complex in leaves and kind in "iuf":
        if kind == "f":
            raise TypeError("must be real number, not complex")
        raise TypeError("'complex' object cannot be interpreted as an integer")
    if kind in "iub":
        for leaf in leaves:
            leaf_kind = np.dtype(leaf).kind if leaf is not _builtin_complex else "C"
            if leaf_kind in "fc" or (leaf_kind == "b" and kind != "b"):
                name = "bool" if leaf_kind == "b" else np.dtype(leaf).name
                raise TypeError(f"'numpy.{name}' object cannot be interpreted as an integer")


def _to_int_target(plain, inferred: dt.dtype, target: dt.dtype) -> np.ndarray:
    """Numbers into an integer dtype with torch's range check (negative values wrap into uint8)."""
    overflow = RuntimeError(f"value cannot be converted to type {target.name} without overflow")
    try:
        wide = np.array(plain, dtype=np.float64 if inferred.np.kind in "fc" else np.int64)
    except OverflowError:
        raise overflow from None
    info = np.iinfo(target.np)
    if wide.size:
        if wide.dtype.kind == "f" and not np.all(np.isfinite(wide)):
            raise overflow
        low = -(2**63) if target is dt.uint8 else info.min
        if wide.max() > info.max or wide.min() < low:
            raise overflow
    return wide.astype(np.int64).astype(target.np) if wide.dtype.kind == "f" else wide.astype(target.np)
