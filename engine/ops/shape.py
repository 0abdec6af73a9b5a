"""Shape primitives: views (reshape, expand, transpose, permute, squeeze, ...) and helpers built on them.

Strided views (narrow, select, diagonal, unfold, as_strided) live in views.py, layout copies (flip, roll,
repeat, tril, diag, meshgrid, ...) in layout.py; both are re-exported here.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Size, Tensor, grad_needed
from ._helpers import _scalar_type_name, check_inplace, new, new_view, tensor_method, wrap_dim, xp
from .layout import *  # noqa: F403
from .layout import __all__ as _layout_all
from .views import *  # noqa: F403
from .views import __all__ as _views_all

__all__ = ["reshape", "view_as", "reshape_as", "flatten", "unflatten", "ravel", "expand", "expand_as",
           "broadcast_to", "broadcast_tensors", "broadcast_shapes", "transpose", "swapaxes", "swapdims",
           "permute", "movedim", "moveaxis", "squeeze", "unsqueeze", "t", "adjoint", "atleast_1d",
           "atleast_2d", "atleast_3d", *_layout_all, *_views_all]


def _int_tuple(args, name: str = "size") -> tuple:
    """Sizes given as varargs, one tuple/list/Size, or a mix of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    if all(s.__class__ is int for s in args):
        return tuple(args)
    out = []
    for pos, s in enumerate(args):
        try:
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos {pos}") from None
    return tuple(out)


def _infer_shape(shape, numel: int) -> tuple:
    shape = _int_tuple(shape, "view")
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0:
            if numel == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {list(shape)} because the unspecified "
                    "dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _try_view(input: Tensor, target: tuple):
    """input's array reshaped to target without copying, or None when the strides do not allow it."""
    data = input._data
    if data.flags.c_contiguous:
        return data.reshape(target)
    if data.__class__ is np.ndarray:
        try:
            return np.reshape(data, target, copy=False)
        except ValueError:
            return None
    out = data.reshape(target)
    return out if out.size == 0 or xp(input).may_share_memory(out, data) else None


class ViewBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, g):
        return (g.reshape(self.in_shape),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


def _as_view(input: Tensor, data, node_cls=ViewBackward0) -> Tensor:
    result = new_view(data, input)
    if grad_needed(input):
        node_cls(result, input).in_shape = input._data.shape
    return result


@tensor_method("view")
def view(input: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        return _view_dtype(input, shape[0])
    if len(shape) == 1 and isinstance(shape[0], (type, np.dtype)):
        return _view_dtype(input, dt.to_dtype(shape[0]))
    target = _infer_shape(shape, input._data.size)
    data = _try_view(input, target)
    if data is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        )
    return _as_view(input, data)


def _view_dtype(input: Tensor, dtype: dt.dtype) -> Tensor:
    data = input._data
    old, size_new = data.itemsize, dtype.itemsize
    if old != size_new:
        names = f"{_scalar_type_name(data.dtype)} as {_scalar_type_name(dtype.np)}"
        tail = f"to view {names} (different element sizes)"
        if data.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {tail}")
        stride = input.stride()
        if stride[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {tail}, but got {stride[-1]}")
        if size_new > old:
            ratio = size_new // old
            if data.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {tail}, but got "
                                   f"{data.shape[-1]}")
            for i, s in enumerate(stride[:-1]):
                if s % ratio:
                    raise RuntimeError(f"self.stride({i}) must be divisible by {ratio} {tail}, but got {s}")
    return new_view(data.view(dtype.np), input)


@tensor_method("reshape")
def reshape(input: Tensor, *shape) -> Tensor:
    target = _infer_shape(shape, input._data.size)
    data = _try_view(input, target)
    if data is not None:
        return _as_view(input, data)
    result = new(input._data.reshape(target))
    if grad_needed(input):
        UnsafeViewBackward0(result, input).in_shape = input._data.shape
    return result


@tensor_method("view_as")
def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


@tensor_method("reshape_as")
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


@tensor_method("flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for size in shape[s:e + 1]:
        n *= size
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@tensor_method("unflatten")
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    shape = input._data.shape
    d = wrap_dim(dim, len(shape))
    sizes = _int_tuple((sizes,))
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 not in sizes and known != shape[d]) or (-1 in sizes and (known == 0 or shape[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                           f"{dim} "
                           f"({shape[d]}) in the input tensor")
    sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


@tensor_method("ravel")
def ravel(input: Tensor) -> Tensor:
    return view(contiguous(input), (-1,))


# ------------------------------------------------------------------------------------------- expand ---
class ExpandBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)  # the engine sums the broadcast dims back to the input's shape


@tensor_method("expand")
def expand(input: Tensor, *sizes, implicit: bool = False) -> Tensor:
    sizes = _int_tuple(sizes, "expand")
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input._type_name()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        own = shape[i - lead] if i >= lead else None
        if s == -1:
            if own is None:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            s = own
        elif (own is not None and own != 1 and own != s) or s < 0:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({own}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        target.append(s)
    target = tuple(target)
    data = input._data if target == shape else xp(input).broadcast_to(input._data, target)
    result = new_view(data if data is not input._data else data.view(), input)
    if grad_needed(input):
        ExpandBackward0(result, input)
    return result


@tensor_method("expand_as")
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


@tensor_method("broadcast_to")
def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, size)


def broadcast_shapes(*shapes) -> Size:
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for idx, s in enumerate(shapes):
        for i in range(1, len(s) + 1):
            size = s[-i]
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {list(s)}")
            if out[-i] == 1:
                out[-i] = size
            elif size != 1 and size != out[-i]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {size} at {-i}! Mismatching argument at "
                    f"index {idx} had {tuple(s)}; but expected shape should be broadcastable to {out}")
    return Size(out)


def broadcast_tensors(*tensors) -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape: list = []
    for t in tensors:
        s = t._data.shape
        if len(s) > len(shape):
            shape = [1] * (len(s) - len(shape)) + shape
        for i in range(1, len(s) + 1):
            a, b = shape[-i], s[-i]
            if a == 1:
                shape[-i] = b
            elif b != 1 and a != b:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   f"non-singleton dimension {len(shape) - i}")
    target = tuple(shape)
    return tuple(t if t._data.shape == target else expand(t, target) for t in tensors)


# ------------------------------------------------------------------------------- permute / transpose ---
class PermuteBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, g):
        return (g.permute(tuple(np.argsort(self.dims).tolist())),)


@tensor_method("permute")
def permute(input: Tensor, *dims) -> Tensor:
    dims = _int_tuple(dims, "permute")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = "
            f"{len(dims)}"
        )
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    result = new_view(input._data.transpose(dims), input)
    if grad_needed(input):
        PermuteBackward0(result, input).dims = dims
    return result


@tensor_method("movedim", "moveaxis")
def movedim(input: Tensor, source, destination) -> Tensor:
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the same "
            f"number of dims as destination ({list(dst)} dims)")
    ndim = input._data.ndim
    ws = [wrap_dim(d, ndim) for d in src]
    wd = [wrap_dim(d, ndim) for d in dst]
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [d for d in range(ndim) if d not in ws]
    perm = [0] * max(ndim, 1)
    placed = dict(zip(wd, ws))
    rest = iter(order)
    for i in range(ndim):
        perm[i] = placed[i] if i in placed else next(rest)
    return permute(input, tuple(perm[:ndim]))


moveaxis = movedim


class TransposeBackward0(Node):
    __slots__ = ("dim0", "dim1")

    def backward(self, g):
        return (g.transpose(self.dim0, self.dim1),)


@tensor_method("transpose", "swapaxes", "swapdims")
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    ndim = input._data.ndim
    d0, d1 = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    data = input._data.swapaxes(d0, d1) if ndim else input._data.view()
    result = new_view(data, input)
    if grad_needed(input):
        node = TransposeBackward0(result, input)
        node.dim0, node.dim1 = d0, d1
    return result


swapaxes = swapdims = transpose


class TBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.t(),)


@tensor_method("t")
def t(input: Tensor) -> Tensor:
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    result = new_view(input._data.T if ndim == 2 else input._data.view(), input)
    if grad_needed(input):
        TBackward0(result, input)
    return result


def _matrix_check(input: Tensor, name: str) -> None:
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. Got "
                           f"{input._data.ndim}-D tensor.")


@tensor_method("adjoint")
def adjoint(input: Tensor) -> Tensor:
    _matrix_check(input, "adjoint()")
    return transpose(input, -2, -1).conj()


def _numpy_t(self: Tensor) -> Tensor:
    ndim = self._data.ndim
    if ndim == 1 or ndim > 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and "
            "it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
            "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
            UserWarning, stacklevel=2)
    elif ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    return permute(self, tuple(range(ndim - 1, -1, -1)))


def _mt(self: Tensor) -> Tensor:
    _matrix_check(self, "mT")
    return transpose(self, -2, -1)


def _mh(self: Tensor) -> Tensor:
    _matrix_check(self, "mH")
    return transpose(self, -2, -1).conj()


def _h(self: Tensor) -> Tensor:
    if self._data.ndim == 2:
        return transpose(self, 0, 1).conj()
    if self._data.ndim == 0:
        return self
    hint = " For batches of matrices, consider using tensor.mH" if self._data.ndim > 2 else ""
    raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D "
                       f"tensor.{hint}")


Tensor.T = property(_numpy_t)
Tensor.mT = property(_mt)
Tensor.mH = property(_mh)
Tensor.H = property(_h)


# ------------------------------------------------------------------------------- squeeze / unsqueeze ---
class SqueezeBackward0(Node):
    __slots__ = ("in_shape",)

    def backward(self, g):
        return (g.reshape(self.in_shape),)


class SqueezeBackward1(SqueezeBackward0):
    __slots__ = ()


class SqueezeBackward2(SqueezeBackward0):
    __slots__ = ()


@tensor_method("squeeze")
def squeeze(input: Tensor, dim=None) -> Tensor:
    shape = input._data.shape
    ndim = len(shape)
    if dim is None:
        node_cls = SqueezeBackward0
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        node_cls = SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
        wrapped = [wrap_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
        if len(set(wrapped)) != len(wrapped):
            dup = next(d for d in wrapped if wrapped.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        dims = tuple(d for d in wrapped if ndim and shape[d] == 1)
    data = xp(input).squeeze(input._data, axis=dims) if dims else input._data.view()
    result = new_view(data, input)
    if grad_needed(input):
        node_cls(result, input).in_shape = shape
    return result


class UnsqueezeBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        return (g.squeeze(self.dim),)


@tensor_method("unsqueeze")
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    ndim = input._data.ndim + 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but "
                         f"got {dim})")
    dim %= ndim
    data = input._data[(slice(None),) * dim + (None, Ellipsis)]
    result = new_view(data, input)
    if grad_needed(input):
        UnsqueezeBackward0(result, input).dim = dim
    return result


@tensor_method("contiguous")
def contiguous(input: Tensor, memory_format=None) -> Tensor:
    if input._data.flags.c_contiguous:
        return input
    return input.clone()


# ---------------------------------------------------------------------------------------- atleast_nd ---
def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1:
        tensors = tuple(tensors[0])
    return tuple(fn(x) for x in tensors)


def _at1(x: Tensor) -> Tensor:
    return reshape(x, (1,)) if x._data.ndim == 0 else x


def _at2(x: Tensor) -> Tensor:
    n = x._data.ndim
    return reshape(x, (1, 1)) if n == 0 else unsqueeze(x, 0) if n == 1 else x


def _at3(x: Tensor) -> Tensor:
    n = x._data.ndim
    if n == 0:
        return reshape(x, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(x, 0), -1)
    return unsqueeze(x, -1) if n == 2 else x


def atleast_1d(*tensors):
    return _atleast(tensors, _at1)


def atleast_2d(*tensors):
    return _atleast(tensors, _at2)


def atleast_3d(*tensors):
    return _atleast(tensors, _at3)


# ----------------------------------------------------------------------- in-place shape changes ------
def _restride_(self: Tensor, result: Tensor, node_name: str) -> Tensor:
    """Make self take result's layout and autograd history (squeeze_, unsqueeze_, t_, transpose_)."""
    self._data = result._data
    self._version[0] += 1
    node = result._grad_fn
    if node is not None:
        node.__class__ = _INPLACE_NODES[node_name]
        self._grad_fn, self._output_nr, self._requires_grad = node, 0, True
    return self


def _inplace_view(fn, names: dict):
    def method(self: Tensor, *args):
        check_inplace(self)
        result = fn(self, *args)
        return _restride_(self, result, names[type(result._grad_fn).__name__] if result._grad_fn else "")

    return method


class SqueezeBackward3(SqueezeBackward0):
    __slots__ = ()


class SqueezeBackward4(SqueezeBackward0):
    __slots__ = ()


class SqueezeBackward5(SqueezeBackward0):
    __slots__ = ()


class UnsqueezeBackward1(UnsqueezeBackward0):
    __slots__ = ()


class TBackward1(TBackward0):
    __slots__ = ()


class TransposeBackward1(TransposeBackward0):
    __slots__ = ()


_INPLACE_NODES = {c.__name__: c for c in (SqueezeBackward3, SqueezeBackward4, SqueezeBackward5,
                                          UnsqueezeBackward1, TBackward1, TransposeBackward1)}
Tensor.squeeze_ = _inplace_view(squeeze, {"SqueezeBackward0": "SqueezeBackward3",
                                          "SqueezeBackward1": "SqueezeBackward4",
                                          "SqueezeBackward2": "SqueezeBackward5"})
Tensor.unsqueeze_ = _inplace_view(unsqueeze, {"UnsqueezeBackward0": "UnsqueezeBackward1"})
Tensor.t_ = _inplace_view(t, {"TBackward0": "TBackward1"})
Tensor.transpose_ = Tensor.swapaxes_ = Tensor.swapdims_ = _inplace_view(
    transpose, {"TransposeBackward0": "TransposeBackward1"})
