"""Torch dtypes over numpy dtypes, and PyTorch's type-promotion rules."""

from __future__ import annotations

import builtins

import numpy as np


class dtype:  # noqa: N801 - mirrors torch.dtype
    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == FLOAT
        self.is_complex = category == COMPLEX
        self.is_signed = self.np.kind in "fci"
        self.itemsize = self.np.itemsize
        self._category = category

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float64: complex128, complex128: complex128}.get(self, complex64)


BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3

bool = dtype("bool", np.bool_, BOOL)  # noqa: A001
uint8 = dtype("uint8", np.uint8, INT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
float16 = dtype("float16", np.float16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
complex64 = dtype("complex64", np.complex64, COMPLEX)
complex128 = dtype("complex128", np.complex128, COMPLEX)

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
ALIASES = {
    "half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64,
    "cfloat": complex64, "cdouble": complex128,
}
_FROM_NUMPY = {d.np: d for d in ALL_DTYPES}

_default_float = float32


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        found = _FROM_NUMPY.get(np.dtype(np_dtype))
        if found is None:
            raise TypeError(
                f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
                "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and "
                "bool."
            ) from None
        return found


def to_dtype(value: object) -> dtype:
    """Accept an engine dtype, a numpy dtype/type or a Python type (float, int, bool, complex)."""
    if isinstance(value, dtype):
        return value
    if value is builtins.float:
        return _default_float
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    if value is builtins.complex:
        return _default_float.to_complex()
    return from_numpy_dtype(np.dtype(value))


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    d = to_dtype(d)
    if d not in (float16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def _promote_same_category(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    return _FROM_NUMPY[np.promote_types(a.np, b.np)]


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    ca, cb = a._category, b._category
    if ca == cb:
        return _promote_same_category(a, b)
    high, low = (a, b) if ca > cb else (b, a)
    if high._category == COMPLEX and low is float64:
        return complex128
    return high


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """c10's combine_categories: a lower-priority operand only raises the category, never the width."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._category == COMPLEX:
        return higher
    if lower._category == COMPLEX:
        return higher.to_complex() if higher._category == FLOAT else lower
    if higher._category == FLOAT:
        return higher
    if higher is bool or lower._category == FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python number takes when it takes part in an operation as a 'wrapped number'."""
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    if isinstance(value, builtins.float):
        return _default_float
    if isinstance(value, builtins.complex):
        return _default_float.to_complex()
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def result_type_of(dim_dtypes, zero_dim_dtypes, scalar_dtypes) -> dtype:
    """PyTorch's result_type: tensors with dims outrank zero-dim tensors, which outrank Python numbers."""
    groups = []
    for group in (dim_dtypes, zero_dim_dtypes, scalar_dtypes):
        acc = None
        for d in group:
            acc = d if acc is None else promote_types(acc, d)
        groups.append(acc)
    return _combine(groups[0], _combine(groups[1], groups[2]))
