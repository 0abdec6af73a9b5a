"""max/min (full, per-dim with indices, binary), amax/amin, argmax/argmin, aminmax."""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._helpers import new, tensor_method, xp
from ._reduce_util import (
    check_nonempty_dims,
    const,
    expand_back,
    kept_shape,
    nan_aware_equal,
    one_dim,
    put_along,
    reduce_dims,
    return_type,
    unsqueeze_to,
)

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin", "aminmax"]


def _even_split(x: Tensor, out_data, g: Tensor, dims, keepdim: bool) -> Tensor:
    """Gradient of a full max/min: split evenly among the elements equal to the result."""
    mod = xp(x)
    shape = x._data.shape
    out_k = out_data.reshape(kept_shape(shape, dims))
    mask = nan_aware_equal(mod, x._data, out_k) if dims is None else x._data == out_k
    count = mask.sum(axis=dims, keepdims=True).astype(x._data.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = mask / count
    return expand_back(g, shape, dims, keepdim) * const(x, scale.astype(x._data.dtype, copy=False))


class _FullExtremumBackward(Node):
    __slots__ = ()

    def backward(self, g):
        x, out = self.saved_tensors
        return (_even_split(x, out._data, g, None, False),)


class MaxBackward1(_FullExtremumBackward):
    __slots__ = ()


class MinBackward1(_FullExtremumBackward):
    __slots__ = ()


class SelectAlongDimBackward(Node):
    """Values picked at indices along one dim (max/min/sort/topk/median...): the gradient goes back to the
    picked index only."""

    __slots__ = ("idx", "dim", "keepdim", "in_shape")

    def backward(self, g):
        if self.dim is None:
            return (g,)
        g = unsqueeze_to(g, self.dim, self.keepdim)
        return (put_along(g, self.idx, self.dim, self.in_shape, accumulate=False),)


class MaxBackward0(SelectAlongDimBackward):
    __slots__ = ()


class MinBackward0(SelectAlongDimBackward):
    __slots__ = ()


def values_indices(name: str, node_cls, input: Tensor, idx, dim: int | None, keepdim: bool, data=None):
    """return_types.<name>(values, indices) from kept-dim indices `idx` along dim (values: data, if known)."""
    mod = xp(input)
    if dim is None:
        values = new(input._data.copy())
        indices = new(mod.zeros((), dtype=np.int64))
    else:
        if data is None:
            data = mod.take_along_axis(input._data, idx, axis=dim)
            data = data if keepdim else data.squeeze(dim)
        values = new(data)
        indices = new(idx if keepdim else idx.squeeze(dim))
    if grad_needed(input):
        node = node_cls(values, input)
        node.idx, node.dim, node.keepdim, node.in_shape = idx, dim, keepdim, input._data.shape
    return return_type(name)(values, indices)


def _arg_extremum(input: Tensor, dim: int, largest: bool):
    mod = xp(input)
    fn = mod.argmax if largest else mod.argmin
    return fn(input._data, axis=dim, keepdims=True).astype(np.int64, copy=False)


_OVERLOADS = (" * (Tensor input, *, Tensor out = None)\n * (Tensor input, Tensor other, *, Tensor out = "
              "None)\n * (Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)\n")


def _extremum(name: str, input: Tensor, dim, keepdim: bool, other, largest: bool):
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        return getattr(input, "maximum" if largest else "minimum")(other)
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments - got keepdim without "
                            "dim")
        check_nonempty_dims(name, input, None)
        data = input._data.max() if largest else input._data.min()
        result = new(data)
        if grad_needed(input):
            (MaxBackward1 if largest else MinBackward1)(result, input).save_with_output(input, result)
        return result
    if not isinstance(dim, int):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(dim).__name__}), but expected one of:\n" + _OVERLOADS)
    d = one_dim(input, dim)
    if d is not None:
        check_nonempty_dims(name, input, (d,), sep="()")
    if d is None:
        return values_indices(name, MaxBackward0 if largest else MinBackward0, input, None, None, keepdim)
    idx = _arg_extremum(input, d, largest)
    # max/min propagate NaN exactly where argmax/argmin pick the first NaN, so the values agree
    data = input._data.max(axis=d, keepdims=keepdim) if largest else input._data.min(axis=d, keepdims=keepdim)
    return values_indices(name, MaxBackward0 if largest else MinBackward0, input, idx, d, keepdim, data)


@tensor_method("max")
def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None, out=None):  # noqa: A001
    return _extremum("max", input, dim, keepdim, other, True)


@tensor_method("min")
def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None, out=None):  # noqa: A001
    return _extremum("min", input, dim, keepdim, other, False)


# --------------------------------------------------------------------------------------- amax/amin ------
class AmaxBackward0(Node):
    __slots__ = ("dims", "keepdim")

    def backward(self, g):
        x, out = self.saved_tensors
        return (_even_split(x, out._data, g, self.dims, self.keepdim),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()


def _amax_dims(name: str, input: Tensor, dim):
    dims = reduce_dims(input, dim)
    if dims is None:
        check_nonempty_dims(name, input, None)
        dims = tuple(range(input._data.ndim))
    else:
        check_nonempty_dims(name, input, dims)
    return dims


def _amax(name: str, input: Tensor, dim, keepdim: bool, largest: bool) -> Tensor:
    dims = _amax_dims(name, input, dim)
    data = input._data.max(axis=dims, keepdims=keepdim) if largest else input._data.min(axis=dims,
                                                                                         keepdims=keepdim)
    result = new(data)
    if grad_needed(input):
        node = (AmaxBackward0 if largest else AminBackward0)(result, input)
        node.dims, node.keepdim = dims, keepdim
        node.save_with_output(input, result)
    return result


@tensor_method("amax")
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return _amax("amax", input, dim, keepdim, True)


@tensor_method("amin")
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return _amax("amin", input, dim, keepdim, False)


class AminmaxBackward0(Node):
    __slots__ = ("dims", "keepdim")

    def apply(self, grads):
        x, lo, hi = self.saved_tensors
        total = None
        for g, out in zip(grads, (lo, hi)):
            if g is not None:
                part = _even_split(x, out._data, g, self.dims, self.keepdim)
                total = part if total is None else total + part
        return (total,)


@tensor_method("aminmax")
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                               "has no identity.")
        dims = tuple(range(input._data.ndim))
    else:
        dims = reduce_dims(input, dim)
        check_nonempty_dims("aminmax", input, dims, sep="")
    lo = new(input._data.min(axis=dims, keepdims=keepdim))
    hi = new(input._data.max(axis=dims, keepdims=keepdim))
    if grad_needed(input):
        node = AminmaxBackward0((lo, hi), input)
        node.dims, node.keepdim = dims, keepdim
        node.save(input, lo._alias(), hi._alias())
    return return_type("aminmax", ("min", "max"))(lo, hi)


# ------------------------------------------------------------------------------------- argmax/argmin ----
def _argext(name: str, input: Tensor, dim, keepdim: bool, largest: bool) -> Tensor:
    if input._data.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    mod = xp(input)
    if dim is None:
        if input._data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        flat = input._data.reshape(-1)
        data = (mod.argmax if largest else mod.argmin)(flat).astype(np.int64)
        if keepdim:
            data = data.reshape((1,) * input._data.ndim)
        return new(data)
    d = one_dim(input, dim)
    if d is None:
        return new(mod.zeros((), dtype=np.int64))
    check_nonempty_dims(name, input, (d,))
    idx = _arg_extremum(input, d, largest)
    return new(idx if keepdim else idx.squeeze(d))


@tensor_method("argmax")
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _argext("argmax", input, dim, keepdim, True)


@tensor_method("argmin")
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _argext("argmin", input, dim, keepdim, False)
