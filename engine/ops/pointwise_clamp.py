"""clamp/clip (number or tensor bounds), nan_to_num and the is*/signbit predicates."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import binary_arrays, check_inplace, commit_inplace, new, result_dtype, tensor_method, xp
from .arith import _maybe_out
from .pointwise_binary import inplace_of, masked_grad

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "nan_to_num", "isnan", "isinf", "isposinf", "isneginf",
           "isfinite", "isreal", "signbit"]


# ------------------------------------------------------------------------------------------ nan_to_num ---
class NanToNumBackward0(Node):
    __slots__ = ("finite",)

    def backward(self, g):
        return (masked_grad(g, self.finite),)


@tensor_method("nan_to_num")
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None, *,
               out=None) -> Tensor:
    data = input._data
    if data.dtype.kind not in "fc":
        return _maybe_out(new(data.copy()), out)
    with np.errstate(all="ignore"):
        result = new(xp(input).nan_to_num(data, nan=nan, posinf=posinf, neginf=neginf))
    if grad_needed(input):
        NanToNumBackward0(result, input).finite = xp(input).isfinite(data)
    return _maybe_out(result, out)


@tensor_method("nan_to_num_")
def _nan_to_num_(self: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    check_inplace(self)
    return commit_inplace(self, nan_to_num(self, nan, posinf, neginf))


# ------------------------------------------------------------------------------------------ predicates ---
def _predicate(name: str, float_fn, int_value: bool):
    def op(input: Tensor) -> Tensor:
        data = input._data
        mod = xp(input)
        if data.dtype.kind in "fc":
            return new(float_fn(mod, data))
        return new(mod.full(data.shape, int_value, dtype=np.bool_))

    op.__name__ = op.__qualname__ = name
    tensor_method(name)(op)
    return op


isnan = _predicate("isnan", lambda m, d: m.isnan(d), False)
isinf = _predicate("isinf", lambda m, d: m.isinf(d), False)
isposinf = _predicate("isposinf", lambda m, d: m.isposinf(d), False)
isneginf = _predicate("isneginf", lambda m, d: m.isneginf(d), False)
isfinite = _predicate("isfinite", lambda m, d: m.isfinite(d), True)
isreal = _predicate("isreal", lambda m, d: d.imag == 0 if d.dtype.kind == "c" else m.ones(d.shape, np.bool_),
                    True)


@tensor_method("signbit")
def signbit(input: Tensor) -> Tensor:
    data = input._data
    mod = xp(input)
    if data.dtype.kind == "b" or data.dtype.kind == "u":
        return new(mod.zeros(data.shape, dtype=np.bool_))
    return new(mod.signbit(data))


# ----------------------------------------------------------------------------------------------- clamp ---
class ClampBackward1(Node):
    """clamp with number bounds: gradient passes where min <= x <= max."""

    __slots__ = ("keep",)

    def backward(self, g):
        return (masked_grad(g, self.keep),)


class ClampMinBackward0(ClampBackward1):
    __slots__ = ()


class ClampMaxBackward0(ClampBackward1):
    __slots__ = ()


class ClampBackward0(Node):
    """clamp with tensor bounds: x where min <= x <= max, min where x < min < max, max where x > max or
    min > max (torch routes nothing when x < min == max)."""

    __slots__ = ("masks",)

    def backward(self, g):
        return tuple(masked_grad(g, m) if m is not None and self.needs(i) else None
                     for i, m in enumerate(self.masks))


class ClampMinBackward1(ClampBackward0):
    __slots__ = ()


class ClampMaxBackward1(ClampBackward0):
    __slots__ = ()


def _clamp_dtype(input: Tensor, lo, hi) -> np.dtype:
    bounds = [b for b in (lo, hi) if b is not None]
    tensors = [b for b in bounds if isinstance(b, Tensor)]
    if not tensors:
        ref = input
        res = result_dtype(ref, bounds[0])
        if len(bounds) == 2:
            res = result_dtype(_dtype_probe(input, res), bounds[1])
        return res
    res = input._data.dtype
    for b in tensors:
        res = result_dtype(_dtype_probe(input, res), b)
    return res


def _dtype_probe(like: Tensor, np_dtype) -> Tensor:
    """A stand-in with like's dimensionality and the given dtype, for chained promotion."""
    return new(np.empty((1,) * like._data.ndim, dtype=np_dtype))


_PY_NUMBERS = (int, float, type(None))


def _clamp(input: Tensor, min, max, form: str, out=None) -> Tensor:  # noqa: A002
    """form: "clamp", "min" or "max" (clamp_min / clamp_max), which only changes the grad_fn names."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo_t, hi_t = isinstance(min, Tensor), isinstance(max, Tensor)
    if min is not None and max is not None and lo_t != hi_t:
        names = ["Tensor" if is_t else type(b).__name__ for b, is_t in ((min, lo_t), (max, hi_t))]
        got = f"(Tensor, min={names[0]}, max={names[1]})"
        raise TypeError(f"clamp() received an invalid combination of arguments - got {got}, but expected one "
                        "of:\n * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                        " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)")
    x = input._data
    if x.dtype.kind == "f" and min.__class__ in _PY_NUMBERS and max.__class__ in _PY_NUMBERS:
        lo, hi = min, max  # the common case: a float tensor and Python numbers keep the tensor's dtype
    else:
        res = _clamp_dtype(input, min, max)
        x = x if x.dtype == res else x.astype(res)
        probe = new(x)
        lo = binary_arrays(probe, min, res)[1] if min is not None else None
        hi = binary_arrays(probe, max, res)[1] if max is not None else None
    mod = xp(input)
    try:
        with np.errstate(all="ignore"):
            data = x if lo is None else mod.maximum(x, lo)
            data = data if hi is None else mod.minimum(data, hi)
    except ValueError:
        from ._errors import broadcast_error

        bad = lo if lo is not None and np.shape(lo) != () else hi
        raise broadcast_error(x.shape, np.shape(bad)) from None
    result = new(x.copy() if data is x else data)
    if lo_t or hi_t:
        if grad_needed(input, *[b for b in (min, max) if isinstance(b, Tensor)]):
            _clamp_tensor_node(result, input, min, max, x, lo, hi, form)
    elif grad_needed(input):
        cls = {"clamp": ClampBackward1, "min": ClampMinBackward0, "max": ClampMaxBackward0}[form]
        cls(result, input).keep = _between(x, lo, hi)
    return _maybe_out(result, out)


def _between(x, lo, hi):
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


def _clamp_tensor_node(result, input, min, max, x, lo, hi, form: str) -> None:  # noqa: A002
    shape = result._data.shape
    keep = _between(x, lo, hi)
    if lo is not None and hi is not None:
        m_lo, m_hi = (x < lo) & (lo < hi), (x > hi) | (lo > hi)
    else:
        m_lo = (x < lo) if lo is not None else None
        m_hi = (x > hi) if hi is not None else None
    masks = [None if m is None else np.broadcast_to(m, shape) for m in (keep, m_lo, m_hi)]
    if form == "clamp":
        node = ClampBackward0(result, input, min if isinstance(min, Tensor) else None,
                              max if isinstance(max, Tensor) else None)
    elif form == "min":
        node = ClampMinBackward1(result, input, min)
        masks = masks[:2]
    else:
        node = ClampMaxBackward1(result, input, max)
        masks = [masks[0], masks[2]]
    node.masks = masks


@tensor_method("clamp", "clip")
def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002
    return _clamp(input, min, max, "clamp", out)


@tensor_method("clamp_min")
def clamp_min(input: Tensor, min, *, out=None) -> Tensor:  # noqa: A002
    return _clamp(input, min, None, "min", out)


@tensor_method("clamp_max")
def clamp_max(input: Tensor, max, *, out=None) -> Tensor:  # noqa: A002
    return _clamp(input, None, max, "max", out)


clip = clamp
tensor_method("clamp_", "clip_")(inplace_of(clamp))
tensor_method("clamp_min_")(inplace_of(clamp_min))
tensor_method("clamp_max_")(inplace_of(clamp_max))
