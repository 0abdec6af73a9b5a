"""Arithmetic primitives (add, sub, mul, div, pow, neg), comparisons, casts and copies; operators."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.graph import Node
from ..tensor import Tensor, grad_needed
from ._errors import broadcast_error
from ._helpers import (
    binary_arrays,
    check_inplace,
    commit_inplace,
    default_float_np,
    is_scalar,
    new,
    result_dtype,
    tensor_method,
    to_tensor,
)

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative",
           "pow", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "rsub", "square", "float_power"]


# ------------------------------------------------------------------------------------------- add/sub ---
class AddBackward0(Node):
    __slots__ = ("alpha",)

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


class SubBackward0(Node):
    __slots__ = ("alpha",)

    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


class RsubBackward1(Node):
    __slots__ = ("alpha",)

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha),


def _binary_out(a: Tensor, b, data, node_cls):
    out = new(data)
    tb = b if isinstance(b, Tensor) else None
    if grad_needed(a) or (tb is not None and grad_needed(tb)):
        return out, node_cls(out, a, tb)
    return out, None


def _as_self(input) -> Tensor:
    return input if isinstance(input, Tensor) else to_tensor(input)


@tensor_method("add", "__add__", "__radd__")
def add(input, other, *args, alpha=1, out=None):
    if args:
        other, extra = _legacy_alpha("add", other, args, {})
        alpha = extra.get("alpha", alpha)
    input = _as_self(input)
    xa, xb, _ = binary_arrays(input, other)
    if alpha != 1:
        xb = xb * alpha
    try:
        data = xa + xb  # on bools numpy's + is logical or, as in torch
    except ValueError:
        raise broadcast_error(xa.shape, np.shape(xb)) from None
    result, node = _binary_out(input, other, data, AddBackward0)
    if node is not None:
        node.alpha = alpha
    return _maybe_out(result, out)


@tensor_method("sub", "subtract", "__sub__")
def sub(input, other, *args, alpha=1, out=None):
    if args:
        other, extra = _legacy_alpha("sub", other, args, {})
        alpha = extra.get("alpha", alpha)
    input = _as_self(input)
    if input._data.dtype.kind == "b" and isinstance(other, Tensor) and other._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    xa, xb, _ = binary_arrays(input, other)
    try:
        data = xa - (xb if alpha == 1 else xb * alpha)
    except ValueError:
        raise broadcast_error(xa.shape, np.shape(xb)) from None
    result, node = _binary_out(input, other, data, SubBackward0)
    if node is not None:
        node.alpha = alpha
    return _maybe_out(result, out)


subtract = sub


@tensor_method("__rsub__")
def rsub(input, other, *, alpha=1):
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    xa, xb, _ = binary_arrays(input, other)
    out = new(xb - (xa if alpha == 1 else xa * alpha))
    if grad_needed(input):
        RsubBackward1(out, input).alpha = alpha
    return out


# ------------------------------------------------------------------------------------------- mul/div ---
class MulBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.saved_tensors
        return (g * b.conj() if self.needs(0) else None), (g * a.conj() if self.needs(1) else None)


class MulBackward1(Node):
    """x * scalar; torch names it MulBackward0 too (the scalar is a wrapped tensor there)."""

    __slots__ = ("scalar",)

    def name(self) -> str:
        return "MulBackward0"

    def backward(self, g):
        scalar = self.scalar.conjugate() if isinstance(self.scalar, complex) else self.scalar
        return g * scalar, None


@tensor_method("mul", "multiply", "__mul__", "__rmul__")
def mul(input, other, *, out=None):
    input = _as_self(input)
    xa, xb, tb = binary_arrays(input, other)
    try:
        data = xa * xb
    except ValueError:
        raise broadcast_error(xa.shape, np.shape(xb)) from None
    result = new(data)
    if tb is None:
        if grad_needed(input):
            node = MulBackward1(result, input)
            node.scalar = other
            node.save()  # torch saves the wrapped scalar: a second backward without retain_graph fails
    elif grad_needed(input, tb):
        node = MulBackward0(result, input, tb)
        node.save_if_needed((input, node.needs(1)), (tb, node.needs(0)))
    return _maybe_out(result, out)


multiply = mul


class DivBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g / b.conj() if self.needs(0) else None
        gb = -g * (a / b / b).conj() if self.needs(1) else None
        return ga, gb


class DivBackward1(Node):
    """x / scalar, named like torch's."""

    __slots__ = ("scalar",)

    def name(self) -> str:
        return "DivBackward0"

    def backward(self, g):
        scalar = self.scalar.conjugate() if isinstance(self.scalar, complex) else self.scalar
        return g / scalar, None


class RdivBackward(Node):
    """d(s / x) = -s / x^2, saved as the output: -out / x."""

    __slots__ = ()

    def backward(self, g):
        x, out = self.saved_tensors
        return (-g * out / x,)


def _true_div_arrays(input: Tensor, other):
    res = result_dtype(input, other)
    if res.kind not in "fc":
        res = default_float_np()
    return binary_arrays(input, other, res)


@tensor_method("div", "divide", "__truediv__")
def div(input, other, *, rounding_mode=None, out=None):
    input = _as_self(input)
    if rounding_mode is not None:
        return _div_rounded(input, other, rounding_mode)
    xa, xb, tb = _true_div_arrays(input, other)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            data = xa / xb
    except ValueError:
        raise broadcast_error(xa.shape, np.shape(xb)) from None
    result = new(data)
    if tb is None:
        if grad_needed(input):
            DivBackward1(result, input).scalar = other
    elif grad_needed(input, tb):
        DivBackward0(result, input, tb).save(input, tb)
    return _maybe_out(result, out)


divide = div
true_divide = div
Tensor.true_divide = div


@tensor_method("__rtruediv__")
def _rdiv(input, other):
    if isinstance(other, Tensor):
        return div(other, input)
    xa, xb, _ = _true_div_arrays(input, other)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = new(xb / xa)
    if grad_needed(input):
        RdivBackward(result, input).save_with_output(input, result)
    return result


def _div_rounded(input: Tensor, other, rounding_mode: str) -> Tensor:
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    xa, xb, tb = binary_arrays(input, other)
    integer = xa.dtype.kind in "iub"
    if integer and np.any(np.asarray(xb) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        if integer:
            q = np.floor_divide(xa, xb)
            if rounding_mode == "trunc":
                q = np.where((q < 0) & (q * xb != xa), q + 1, q).astype(q.dtype)
        else:
            q = xa / xb
            q = np.floor(q) if rounding_mode == "floor" else np.trunc(q)
    result = new(np.asarray(q))
    if grad_needed(input) or (tb is not None and grad_needed(tb)):
        ZeroGradBackward(result, input, tb)
    return result


class ZeroGradBackward(Node):
    """Piecewise-constant functions (rounding, sign, ...): zero gradient everywhere."""

    __slots__ = ()

    def backward(self, g):
        zero = g * 0
        return tuple(zero if n is not None else None for n, _ in self.next_functions)


@tensor_method("__floordiv__")
def _floordiv(input, other):
    return _div_rounded(input, other, "floor")


@tensor_method("__rfloordiv__")
def _rfloordiv(input, other):
    return _div_rounded(to_tensor(other, input), input, "floor")


# ------------------------------------------------------------------------------------------------ neg --
class NegBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (-g,)


@tensor_method("neg", "negative", "__neg__")
def neg(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    result = new(-input._data)
    if grad_needed(input):
        NegBackward0(result, input)
    return result


negative = neg


@tensor_method("__pos__")
def _pos(input):
    return input


# ------------------------------------------------------------------------------------------------ pow --
class PowBackward0(Node):
    """x ** scalar"""

    __slots__ = ("exponent",)

    def backward(self, g):
        (x,) = self.saved_tensors
        e = self.exponent
        if e == 0:
            return (g * 0,)
        return (g * e * x ** (e - 1),)


class PowBackward1(Node):
    """x ** y with both tensors."""

    __slots__ = ()

    def backward(self, g):
        x, y, out = self.saved_tensors
        gx = gy = None
        if self.needs(0):
            gx = g * y * x ** (y - 1)
            gx = gx.masked_fill((y == 0) & (x == 0), 0) if gx.dtype.is_floating_point else gx
        if self.needs(1):
            safe_log = x.log().masked_fill((x == 0) & (y >= 0), 0)
            gy = g * out * safe_log
        return gx, gy


class PowBackward2(Node):
    """scalar ** y"""

    __slots__ = ("base",)

    def backward(self, g):
        y, out = self.saved_tensors
        if self.base == 0:
            return (g * (out * 0).masked_fill(y >= 0, 0),)
        return (g * out * float(np.log(self.base)),)


@tensor_method("pow", "__pow__")
def pow(input, exponent, *, out=None):  # noqa: A001
    if not isinstance(input, Tensor):
        return _rpow(exponent, input)
    if is_scalar(exponent):
        xa, xb, _ = binary_arrays(input, exponent)
        if xa.dtype.kind in "iu" and isinstance(xb, int) and xb < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            data = xa ** xb if exponent != 2 else xa * xa
        result = new(np.asarray(data, dtype=xa.dtype))
        if grad_needed(input):
            node = PowBackward0(result, input)
            node.exponent = exponent
            node.save(input)
        return _maybe_out(result, out)
    xa, xb, tb = binary_arrays(input, exponent)
    if xa.dtype.kind in "iu" and np.any(xb < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = new(np.power(xa, xb))
    except ValueError:
        raise broadcast_error(xa.shape, np.shape(xb)) from None
    if grad_needed(input, tb):
        PowBackward1(result, input, tb).save_with_output(input, tb, result)
    return _maybe_out(result, out)


@tensor_method("__rpow__")
def _rpow(input, base):
    xa, xb, _ = binary_arrays(input, base)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = new(np.asarray(np.power(xb, xa), dtype=xa.dtype))
    if grad_needed(input):
        node = PowBackward2(result, input)
        node.base = base
        node.save_with_output(input, result)
    return result


@tensor_method("square")
def square(input):
    return pow(input, 2)


@tensor_method("float_power")
def float_power(input, exponent):
    target = dt.complex128 if input.is_complex() or isinstance(exponent, complex) else dt.float64
    exponent = exponent.to(target) if isinstance(exponent, Tensor) else exponent
    return pow(input.to(target), exponent)


# -------------------------------------------------------------------------------------- comparisons ----
def _comparison(ufunc, name):
    def compare(input, other, *, out=None):
        input = _as_self(input)
        xa, xb, _ = binary_arrays(input, other)
        try:
            data = ufunc(xa, xb)
        except ValueError:
            raise broadcast_error(xa.shape, np.shape(xb)) from None
        return _maybe_out(new(np.asarray(data)), out)

    compare.__name__ = name
    return compare


eq = _comparison(np.equal, "eq")
ne = not_equal = _comparison(np.not_equal, "ne")
lt = less = _comparison(np.less, "lt")
le = less_equal = _comparison(np.less_equal, "le")
gt = greater = _comparison(np.greater, "gt")
ge = greater_equal = _comparison(np.greater_equal, "ge")
for _names, _fn in ((("eq",), eq), (("ne", "not_equal", "__ne__"), ne), (("lt", "less", "__lt__"), lt),
                    (("le", "less_equal", "__le__"), le), (("gt", "greater", "__gt__"), gt),
                    (("ge", "greater_equal", "__ge__"), ge)):
    tensor_method(*_names)(_fn)


@tensor_method("__eq__")
def _eq_operator(input, other):
    if other is None or not (isinstance(other, Tensor) or is_scalar(other)):
        return False
    return eq(input, other)


# ------------------------------------------------------------------------------------ in-place forms ---
def _broadcasts_into(src: tuple, dst: tuple) -> bool:
    if len(src) > len(dst):
        return False
    return all(s == 1 or s == d for s, d in zip(reversed(src), reversed(dst)))


_ADD_ALPHA_WARNING = (
    "This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\nConsider using one of "
    "the following signatures instead:\n\t{name}(Tensor other, *, Number alpha = 1)"
)


def _legacy_alpha(name: str, other, args: tuple, kwargs: dict):
    """torch still accepts t.add_(alpha, other) (used by older code, e.g. the study notes)."""
    if args and isinstance(args[0], Tensor) and is_scalar(other):
        import warnings

        warnings.warn(_ADD_ALPHA_WARNING.format(name=name), UserWarning, stacklevel=3)
        return args[0], {**kwargs, "alpha": other}
    if args:
        raise TypeError(f"{name}() takes 1 positional argument but {len(args) + 1} were given")
    return other, kwargs


def _inplace(out_of_place, np_ufunc=None):
    name = out_of_place.__name__ + "_"

    def method(self, other, *args, **kwargs):
        if args:
            other, kwargs = _legacy_alpha(name, other, args, kwargs)
        check_inplace(self)
        if np_ufunc is not None and not kwargs and not grad_needed(self) and not (
            isinstance(other, Tensor) and grad_needed(other)
        ):
            xa, xb, _ = binary_arrays(self, other)
            target_kind = self._data.dtype.kind
            same_dtype = xa.dtype == self._data.dtype
            if (same_dtype or target_kind in "fc") and _broadcasts_into(np.shape(xb), self._data.shape):
                with np.errstate(divide="ignore", invalid="ignore"):
                    if same_dtype:
                        np_ufunc(self._data, xb, out=self._data)
                    else:
                        self._data[...] = np_ufunc(xa, xb)
                self._version[0] += 1
                return self
        return commit_inplace(self, out_of_place(self, other, **kwargs))

    return method


for _names, _fn, _uf in (
    (("add_", "__iadd__"), add, np.add), (("sub_", "subtract_", "__isub__"), sub, np.subtract),
    (("mul_", "multiply_", "__imul__"), mul, np.multiply),
    (("div_", "divide_", "true_divide_", "__itruediv__"), div, None),
    (("pow_", "__ipow__"), pow, None), (("eq_",), eq, None), (("ne_",), ne, None), (("lt_",), lt, None),
    (("le_",), le, None), (("gt_",), gt, None), (("ge_",), ge, None),
    (("__ifloordiv__", "floor_divide_"), _floordiv, None),
):
    tensor_method(*_names)(_inplace(_fn, _uf))


@tensor_method("neg_", "negative_")
def _neg_(self):
    check_inplace(self)
    return commit_inplace(self, neg(self))


def _maybe_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    out._data = result._data if out._data.shape != result._data.shape else out._data
    out._data[...] = result._data
    out._version[0] += 1
    return out


# ---------------------------------------------------------------------------------- addcmul/addcdiv ---
@tensor_method("addcmul")
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """input + value * tensor1 * tensor2 (composite: its gradient follows from mul and add)."""
    product = mul(tensor1, tensor2)
    return _maybe_out(add(input, product if value == 1 else mul(product, value)), out)


@tensor_method("addcdiv")
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:
    """input + value * tensor1 / tensor2."""
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release addcdiv will "
            "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
            "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
            "integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the "
            "latter implementation: (input + value * tensor1 / tensor2), for all dtypes."
        )
    quotient = div(tensor1, tensor2)
    return _maybe_out(add(input, quotient if value == 1 else mul(quotient, value)), out)


def _addc_inplace(out_of_place):
    def method(self, tensor1, tensor2, *, value=1):
        check_inplace(self)
        return commit_inplace(self, out_of_place(self, tensor1, tensor2, value=value))

    return method


Tensor.addcmul_ = _addc_inplace(addcmul)
Tensor.addcdiv_ = _addc_inplace(addcdiv)
__all__ += ["addcmul", "addcdiv"]
