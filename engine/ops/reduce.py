"""Reductions: sum, mean, var/std, prod, logsumexp, norm, all/any (forward and backward side by side).

min/max live in extrema.py, scans in cumulative.py, sorting and selection in sorting.py, counting in
counting.py; their names are re-exported here (engine/ops/__init__.py star-imports this module).
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import default_float_np, new, tensor_method, xp
from ._reduce_util import (
    const,
    count_of,
    exp,
    expand_back,
    fill,
    kept_shape,
    reduce_dims,
    return_type,
    type_name,
)
from .counting import *  # noqa: F403
from .counting import __all__ as _counting_all
from .cumulative import *  # noqa: F403
from .cumulative import __all__ as _cumulative_all
from .extrema import *  # noqa: F403
from .extrema import __all__ as _extrema_all
from .sorting import *  # noqa: F403
from .sorting import __all__ as _sorting_all

__all__ = ["sum", "nansum", "mean", "nanmean", "var", "std", "var_mean", "std_mean", "prod", "logsumexp",
           "norm", "all", "any", "count_nonzero", "return_types"]
__all__ += _extrema_all + _cumulative_all + _sorting_all + _counting_all


class _ReturnTypes:
    """`torch.return_types`: the result classes of values/indices reductions."""

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        fields = {"aminmax": ("min", "max"), "slogdet": ("sign", "logabsdet")}
        return return_type(name, fields.get(name, ("values", "indices")))


return_types = _ReturnTypes()


# ----------------------------------------------------------------------------------------- sum ----------
class SumBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, g):
        return (expand_back(g, self.in_shape, None, False),)


class SumBackward1(Node):
    __slots__ = ("in_shape", "dims", "keepdim")

    def backward(self, g):
        return (expand_back(g, self.in_shape, self.dims, self.keepdim),)


def _sum_dtype(input: Tensor, dtype):
    if dtype is not None:
        return dt.to_dtype(dtype).np
    kind = input._data.dtype.kind
    return np.dtype(np.int64) if kind in "biu" else None


def _reduced_node(cls0, cls1, result: Tensor, input: Tensor, dims, keepdim: bool):
    if dims is None:
        node = cls0(result, input)
    else:
        node = cls1(result, input)
        node.dims, node.keepdim = dims, keepdim
    node.in_shape = input._data.shape
    return node


@tensor_method("sum")
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    if not isinstance(input, Tensor):
        raise _not_a_tensor("sum", input)
    dims = reduce_dims(input, dim)
    data = input._data.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(input, dtype))
    result = new(data)
    if grad_needed(input):
        _reduced_node(SumBackward0, SumBackward1, result, input, dims, keepdim)
    return result


class NansumBackward0(Node):
    __slots__ = ("in_shape", "dims", "keepdim", "nan_mask")  # nan_mask: 1 where the input is not NaN

    def backward(self, g):
        # a multiply (not a where), so an inf upstream gradient gives NaN at NaN inputs, as in torch
        return (expand_back(g, self.in_shape, self.dims, self.keepdim) * self.nan_mask,)


@tensor_method("nansum")
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    dims = reduce_dims(input, dim)
    mod = xp(input)
    data = mod.nansum(input._data, axis=dims, keepdims=keepdim, dtype=_sum_dtype(input, dtype))
    result = new(data)
    if grad_needed(input):
        node = NansumBackward0(result, input)
        node.in_shape, node.dims, node.keepdim = input._data.shape, dims, keepdim
        node.nan_mask = const(input, mod.logical_not(mod.isnan(input._data)).astype(input._data.dtype))
    return result


# ---------------------------------------------------------------------------------------- mean ----------
class MeanBackward0(Node):
    __slots__ = ("in_shape", "count")

    def backward(self, g):
        return (expand_back(g / self.count, self.in_shape, None, False),)


class MeanBackward1(Node):
    __slots__ = ("in_shape", "dims", "keepdim", "count")

    def backward(self, g):
        return (expand_back(g / self.count, self.in_shape, self.dims, self.keepdim),)


@tensor_method("mean")
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if not isinstance(input, Tensor):
        raise _not_a_tensor("mean", input)
    if dtype is None and input._data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {type_name(input)}"
        )
    dims = reduce_dims(input, dim)
    x = input._data
    out_dtype = _sum_dtype(input, dtype) if dtype is not None else x.dtype
    count = count_of(x.shape, dims)
    # sum / count is what np.mean computes, without its overhead; half precision accumulates in float32
    acc = np.dtype(np.float32) if out_dtype == np.float16 else out_dtype
    total = x.sum(axis=dims, keepdims=keepdim, dtype=acc)
    if count:
        data = total / acc.type(count)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            data = total / acc.type(0)
    result = new(data if acc == out_dtype else data.astype(out_dtype))
    if grad_needed(input):
        node = _reduced_node(MeanBackward0, MeanBackward1, result, input, dims, keepdim)
        node.count = count
    return result


@tensor_method("nanmean")
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{type_name(input)}")
    dims = reduce_dims(input, dim)
    mod = xp(input)
    count = (~mod.isnan(input._data)).sum(axis=dims, keepdims=keepdim).astype(input._data.dtype)
    total = nansum(input, dim, keepdim, dtype=dtype)
    return total / new(count)


# ----------------------------------------------------------------------------------------- var/std ------
_DOF_WARNING = ("{}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                "factor (input numel divided by output numel).")


def _var_args(name: str, input: Tensor, dim, unbiased, correction):
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if dim is not None and not isinstance(dim, (int, tuple, list)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got dim of type "
                        f"{type(dim).__name__}")
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both unbiased and "
                        "correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = reduce_dims(input, dim)
    n = count_of(input._data.shape, dims)
    denom = builtins.max(n - correction, 0)
    if denom <= 0:
        warnings.warn(_DOF_WARNING.format(name), UserWarning, stacklevel=3)
    return dims, denom


def _var_data(input: Tensor, dims, denom):
    x = input._data
    with np.errstate(invalid="ignore", divide="ignore"):
        centered = x - x.mean(axis=dims, keepdims=True)
        sq = centered.real * centered.real + centered.imag * centered.imag if x.dtype.kind == "c" \
            else centered * centered
        return sq.sum(axis=dims, keepdims=True) / sq.dtype.type(denom)


def _var_grad(x: Tensor, g: Tensor, dims, keepdim: bool, denom) -> Tensor:
    """d var / dx = 2 (x - mean) / denom, times the expanded upstream gradient."""
    g = expand_back(g, x._data.shape, dims, keepdim)
    centered = x - x.mean(dim=dims, keepdim=True)
    return g * centered * (2.0 / denom if denom else math.inf)


class VarBackward0(Node):
    __slots__ = ("dims", "keepdim", "denom")

    def backward(self, g):
        (x,) = self.saved_tensors
        return (_var_grad(x, g, self.dims, self.keepdim, self.denom),)


def _std_upstream(g: Tensor, out: Tensor) -> Tensor:
    """The gradient w.r.t. the variance: g / (2 std), zero where std == 0."""
    return fill(g / (out * 2), xp(out).asarray(out._data == 0), 0)


class StdBackward0(Node):
    __slots__ = ("dims", "keepdim", "denom")

    def backward(self, g):
        x, out = self.saved_tensors
        return (_var_grad(x, _std_upstream(g, out), self.dims, self.keepdim, self.denom),)


def _squeeze_dims(data, dims, keepdim: bool):
    if keepdim:
        return data
    return data.reshape(()) if dims is None else data.squeeze(axis=dims)


def _var_std(name: str, input: Tensor, dim, unbiased, keepdim: bool, correction, with_mean: bool):
    dims, denom = _var_args(name, input, dim, unbiased, correction)
    data = _var_data(input, dims, denom)
    if name == "std":
        data = xp(input).sqrt(data)
    result = new(_squeeze_dims(data, dims, keepdim))
    mean_out = None
    if with_mean:
        mean_out = new(_squeeze_dims(input._data.mean(axis=dims, keepdims=True), dims, keepdim))
    if grad_needed(input):
        if with_mean:
            cls = VarMeanBackward0 if name == "var" else StdMeanBackward0
            node = cls((result, mean_out), input)
            node.count = count_of(input._data.shape, dims)
        else:
            node = (VarBackward0 if name == "var" else StdBackward0)(result, input)
        node.dims, node.keepdim, node.denom = dims, keepdim, denom
        if name == "var":
            node.save(input)
        else:
            node.save_with_output(input, result)
    return result if not with_mean else (result, mean_out)


class VarMeanBackward0(Node):
    __slots__ = ("dims", "keepdim", "denom", "count")

    def apply(self, grads):
        g_var, g_mean = grads
        saved = self.saved_tensors
        x = saved[0]
        total = None
        if g_var is not None:
            if len(saved) == 2:
                g_var = _std_upstream(g_var, saved[1])
            total = _var_grad(x, g_var, self.dims, self.keepdim, self.denom)
        if g_mean is not None:
            gm = expand_back(g_mean / self.count, x._data.shape, self.dims, self.keepdim)
            total = gm if total is None else total + gm
        return (total,)


class StdMeanBackward0(VarMeanBackward0):
    __slots__ = ()


@tensor_method("var")
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _var_std("var", input, dim, unbiased, keepdim, correction, False)


@tensor_method("std")
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _var_std("std", input, dim, unbiased, keepdim, correction, False)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return _var_std("var", input, dim, unbiased, keepdim, correction, True)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return _var_std("std", input, dim, unbiased, keepdim, correction, True)


# ---------------------------------------------------------------------------------------- prod ----------
def _prod_grad(x: Tensor, out: Tensor, g: Tensor, dim, keepdim: bool) -> Tensor:
    """g * prod(others), exact with zeros: one zero gets the product of the rest, two zeros give 0."""
    dims = None if dim is None else (dim,)
    shape = x._data.shape
    g = expand_back(g, shape, dims, keepdim)
    out_e = expand_back(out, shape, dims, keepdim)
    zeros = x._data == 0
    if not zeros.any():
        return g * out_e / x
    mod = xp(x)
    safe = fill(x, zeros, 1)
    nonzero_prod = prod(safe) if dim is None else prod(safe, dim, keepdim=True)
    n_zero = zeros.sum(axis=dims, keepdims=True)
    at_zero = fill(nonzero_prod.expand(shape) if shape else nonzero_prod, mod.logical_not(n_zero == 1), 0)
    return g * fill(out_e / safe, zeros, 0) + g * fill(at_zero, mod.logical_not(zeros), 0)


class ProdBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        x, out = self.saved_tensors
        return (_prod_grad(x, out, g, None, False),)


class ProdBackward1(Node):
    __slots__ = ("dim", "keepdim")

    def backward(self, g):
        x, out = self.saved_tensors
        return (_prod_grad(x, out, g, self.dim, self.keepdim),)


_PROD_OVERLOADS = (" * (Tensor input, *, torch.dtype dtype = None)\n * (Tensor input, int dim, bool "
                   "keepdim = False, *, torch.dtype dtype = None, Tensor out = None)\n")


@tensor_method("prod")
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod() received an invalid combination of arguments - got (Tensor, "
                        f"{type(dim).__name__}), but expected one of:\n" + _PROD_OVERLOADS)
    dims = reduce_dims(input, dim)
    data = input._data.prod(axis=dims, keepdims=keepdim, dtype=_sum_dtype(input, dtype))
    result = new(data)
    if grad_needed(input) and result._data.dtype.kind in "fc":
        if dims is None:
            node = ProdBackward0(result, input)
        else:
            node = ProdBackward1(result, input)
            node.dim, node.keepdim = (dims[0] if dims else None), keepdim
        node.save_with_output(input, result)
    return result


# ----------------------------------------------------------------------------------- logsumexp ----------
class LogsumexpBackward0(Node):
    __slots__ = ("dims", "keepdim")

    def backward(self, g):
        x, out = self.saved_tensors
        shape = x._data.shape
        out_e = expand_back(out, shape, self.dims, self.keepdim)
        return (expand_back(g, shape, self.dims, self.keepdim) * exp(x - out_e),)


@tensor_method("logsumexp")
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    dims = reduce_dims(input, dim)
    mod = xp(input)
    x = input._data if input._data.dtype.kind in "fc" else input._data.astype(default_float_np())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m = x.max(axis=dims, keepdims=True, initial=-np.inf) if x.size else mod.zeros(
            kept_shape(x.shape, dims), x.dtype)
        m = mod.where(mod.isfinite(m), m, 0)
        data = mod.log(mod.exp(x - m).sum(axis=dims, keepdims=True)) + m
    result = new(_squeeze_dims(data, dims, keepdim))
    if grad_needed(input):
        node = LogsumexpBackward0(result, input)
        node.dims, node.keepdim = dims, keepdim
        node.save_with_output(input, result)
    return result


# ---------------------------------------------------------------------------------------- norm ----------
class LinalgVectorNormBackward0(Node):
    __slots__ = ("ord", "dims", "keepdim")

    def backward(self, g):
        x, out = self.saved_tensors
        p, shape, mod = self.ord, x._data.shape, xp(x)
        g = expand_back(g, shape, self.dims, self.keepdim)
        if p == 0:
            return (g * 0,)
        sign = const(x, mod.sign(x._data))
        if p == 1:
            return (g * sign,)
        out_e = expand_back(out, shape, self.dims, self.keepdim)
        if math.isinf(p):
            hit = mod.abs(x._data) == out_e._data
            count = hit.sum(axis=self.dims, keepdims=True).astype(x._data.dtype)
            return (g * const(x, sign._data * hit / count),)
        zero_out = out_e._data == 0
        if p == 2:
            return (fill(g * x / out_e, zero_out, 0),)
        scaled = x * (x * sign) ** (p - 2) / out_e ** (p - 1)
        return (fill(g * scaled, zero_out | (x._data == 0), 0),)


def _vector_norm(input: Tensor, p: float, dims, keepdim: bool) -> Tensor:
    mod = xp(input)
    a = mod.abs(input._data)
    if math.isinf(p):
        if input._data.size == 0:
            sign = "-" if p < 0 else ""
            if dims is None:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {sign}inf norm on an empty tensor "
                                   "because the operation does not have an identity")
            for d in dims:
                if input._data.shape[d] == 0:
                    raise RuntimeError(f"linalg.vector_norm cannot compute the {sign}inf norm on the "
                                       f"dimension {d}because this dimension is empty and the operation does "
                                       "not have an identity")
        data = a.max(axis=dims, keepdims=keepdim) if p > 0 else a.min(axis=dims, keepdims=keepdim)
    elif p == 0:
        data = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
    elif p == 1:
        data = a.sum(axis=dims, keepdims=keepdim)
    elif p == 2:
        data = mod.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
    else:
        with np.errstate(divide="ignore", over="ignore"):
            data = (a ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
    result = new(mod.asarray(data, dtype=a.dtype))
    if grad_needed(input):
        node = LinalgVectorNormBackward0(result, input)
        node.ord, node.dims, node.keepdim = p, dims, keepdim
        node.save_with_output(input, result)
    return result


@tensor_method("norm")
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{type_name(input)}")
    if dtype is not None:
        input = input.to(dt.to_dtype(dtype))
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm(p='nuc') (nuclear norm) is not supported by the engine")
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if dim is not None and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        p = 2
    if p is None:
        p = 2
    return _vector_norm(input, float(p), reduce_dims(input, dim), keepdim)


# ---------------------------------------------------------------------------------- all/any/count -------
def _logical_reduce(input: Tensor, dim, keepdim: bool, fn) -> Tensor:
    dims = reduce_dims(input, dim)
    data = fn(input._data, axis=dims, keepdims=keepdim)
    if input._data.dtype == np.uint8:
        data = data.astype(np.uint8)
    return new(data)


@tensor_method("all")
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return _logical_reduce(input, dim, keepdim, xp(input).all)


@tensor_method("any")
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return _logical_reduce(input, dim, keepdim, xp(input).any)


@tensor_method("count_nonzero")
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    dims = reduce_dims(input, dim)
    return new((input._data != 0).sum(axis=dims, dtype=np.int64))


def _not_a_tensor(name: str, value: object) -> TypeError:
    return TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(value).__name__}")
