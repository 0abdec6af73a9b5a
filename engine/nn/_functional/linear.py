"""nn.functional: linear (one fused GEMM primitive, the MLP hot path) and bilinear."""

from __future__ import annotations

import numpy as np

from ..._parallel import gemm, gemm_pair
from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import _scalar_type_name, new
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]


class LinearBackward(Node):
    """Gradients of x @ W.T + b by GEMMs. Named like torch's grad_fn for the input's rank (AddmmBackward0
    for a 2-D input with bias, MmBackward0 without, ViewBackward0/UnsafeViewBackward0 for N-D, ...)."""

    __slots__ = ("label", "bias_flat")

    def name(self) -> str:
        return self.label

    def backward(self, g):
        x, w = self.saved_tensors
        if STATE.enabled:  # create_graph: differentiable engine ops
            return self._composite(g, x, w)
        gd, xd, wd = g._data, x._data, w._data
        if wd.dtype.kind == "c":
            xd, wd = xd.conj(), wd.conj()
        out_f, in_f = wd.shape
        if xd.ndim == 2:
            g2, x2 = gd, xd
        else:
            rows = _rows(xd.shape)
            g2, x2 = gd.reshape(rows, out_f), xd.reshape(rows, in_f)
        gx = gw = None
        if self.needs(0) and self.needs(1):
            gxd, gwd = gemm_pair(g2, wd, g2.T, x2)
            gx, gw = new(gxd.reshape(xd.shape)), new(gwd)
        elif self.needs(0):
            gx = new(gemm(g2, wd).reshape(xd.shape))
        elif self.needs(1):
            gw = new(gemm(g2.T, x2))
        gb = None
        if self.needs(2):
            gb = new(g2.sum(0)) if self.bias_flat else g  # other bias shapes: the graph sums g to them
        return gx, gw, gb

    # torch's graph for a 2-D linear is addmm(bias, x, W.t()) / mm(x, W.t()): legacy module backward hooks
    # (register_backward_hook) see that node's input gradients, in that order and with W transposed.
    def torch_input_grads(self, grads: tuple) -> tuple:
        gx, gw, gb = (tuple(grads) + (None, None, None))[:3]
        gw_t = gw.t() if gw is not None else None
        if self.label == "AddmmBackward0":
            return gb, gx, gw_t
        if self.label == "MmBackward0":
            return gx, gw_t
        return tuple(grads)

    def from_torch_input_grads(self, grads: tuple) -> tuple:
        grads = tuple(grads)
        if self.label == "AddmmBackward0":
            gb, gx, gw_t = grads
            return gx, (gw_t.t() if gw_t is not None else None), gb
        if self.label == "MmBackward0":
            gx, gw_t = grads
            return gx, (gw_t.t() if gw_t is not None else None), None
        return grads

    def _composite(self, g, x, w):
        out_f, in_f = w._data.shape
        if x._data.ndim == 2:
            g2, x2 = g, x
        else:
            rows = _rows(x._data.shape)
            g2, x2 = g.reshape(rows, out_f), x.reshape(rows, in_f)
        if w._data.dtype.kind == "c":
            x2, w = x2.conj(), w.conj()
        gx = g2.matmul(w).reshape(x._data.shape) if self.needs(0) else None
        gw = g2.mT.matmul(x2) if self.needs(1) else None
        gb = None
        if self.needs(2):
            gb = g2.sum(0) if self.bias_flat else g
        return gx, gw, gb


def _rows(shape: tuple) -> int:
    rows = 1
    for s in shape[:-1]:
        rows *= s
    return rows


def _dtype_error(first: str, a, b) -> RuntimeError:
    return RuntimeError(f"{first} and mat2 must have the same dtype, but got "
                        f"{_scalar_type_name(a.dtype)} and {_scalar_type_name(b.dtype)}")


def _expand_error(bias_shape: tuple, target: tuple) -> RuntimeError:
    from ...ops.blas import _check_expand

    try:
        _check_expand(bias_shape, target)
    except RuntimeError as err:
        return err
    return RuntimeError(f"bias of shape {list(bias_shape)} does not broadcast to {list(target)}")


def _labels(ndim: int, has_bias: bool) -> str:
    if ndim == 2:
        return "AddmmBackward0" if has_bias else "MmBackward0"
    if ndim == 1:
        return "ViewBackward0" if has_bias else "SqueezeBackward4"
    return "ViewBackward0" if has_bias else "UnsafeViewBackward0"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ W.T + b over the last dim of x (any leading dims)."""
    xd, wd = input._data, weight._data
    if wd.ndim != 2 or xd.ndim == 0:
        return _linear_general(input, weight, bias)
    out_f, in_f = wd.shape
    if xd.shape[-1] != in_f:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_rows(xd.shape)}x{xd.shape[-1]} and "
                           f"{in_f}x{out_f})")
    if xd.dtype != wd.dtype:
        raise _dtype_error("mat1", xd, wd)
    if xd.dtype.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    if xd.ndim == 2:
        data = gemm(xd, wd.T)
    elif xd.ndim == 1:
        data = wd @ xd
    else:
        data = gemm(xd.reshape(_rows(xd.shape), in_f), wd.T).reshape(*xd.shape[:-1], out_f)
    bias_flat = True
    if bias is not None:
        bd = bias._data
        if bd.dtype != wd.dtype:
            raise _dtype_error("self", bd, wd)
        bias_flat = bd.ndim == 1 and bd.shape[0] == out_f
        if bias_flat:
            data += bd
        else:
            data = _add_odd_bias(data, bd, xd)
    result = new(data)
    if STATE.enabled and (input._requires_grad or weight._requires_grad
                          or (bias is not None and bias._requires_grad)):
        node = LinearBackward(result, input, weight, bias)
        node.label = _labels(xd.ndim, bias is not None)
        node.bias_flat = bias_flat
        node.save(input, weight)
    return result


def _add_odd_bias(data, bd, xd):
    """Bias that is not a plain (out_features,) vector: broadcast like torch (addmm's expand rules for 1-D
    and 2-D inputs and 1-D biases, plain broadcasting against the output otherwise)."""
    flat_target = (_rows(xd.shape), data.shape[-1])
    if xd.ndim <= 2 or bd.ndim <= 1:
        ok = bd.ndim <= 2 and all(s in (1, t) for s, t in zip(bd.shape[::-1], flat_target[::-1]))
        if not ok:
            raise _expand_error(bd.shape, flat_target)
        return (data.reshape(flat_target) + bd).reshape(data.shape)
    try:
        return data + bd
    except ValueError:
        from ...ops._errors import broadcast_error

        raise broadcast_error(data.shape, bd.shape) from None


def _linear_general(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """Unusual ranks (1-D weight, 0-D input): compose from engine ops with torch's errors."""
    xd, wd = input._data, weight._data
    if xd.ndim == 0 or wd.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {xd.ndim}D and "
                           f"{wd.ndim}D")
    if wd.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {wd.ndim}D")
    if bias is not None and xd.ndim == 2:
        raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
    out = input.matmul(weight)
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_o = x1 @ W_o @ x2 + b_o over the last dims of x1, x2 (matching leading dims)."""
    a, b, w = input1._data, input2._data, weight._data
    if not (a.dtype == b.dtype == w.dtype and (bias is None or bias._data.dtype == w.dtype)):
        names = [("input1", a), ("input2", b), ("weight", w)] + ([("bias", bias._data)] if bias is not None
                                                                  else [])
        listed = ", ".join(f"{n}: {_c_name(arr.dtype)}" for n, arr in names)
        raise RuntimeError(f"All tensors must have the same dtype, got {listed}")
    if a.ndim != b.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {b.ndim}")
    for i in range(a.ndim - 1):
        if a.shape[i] != b.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{a.shape[i]} and {b.shape[i]}")
    if a.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if w.ndim != 3:
        raise RuntimeError("number of dimensions must match")
    out_f, in1, in2 = w.shape
    if a.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {a.shape[-1]} "
                           f"but expected {in1}")
    if b.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {b.shape[-1]} "
                           f"but expected {in2}")
    if bias is not None and bias._data.ndim == 1 and bias._data.shape[0] != out_f:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias._data.shape[0]} but "
                           f"expected {out_f}")
    # (.., in1) @ (in1, out*in2) -> (.., out, in2), then contract in2 against x2
    w_mat = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = input1.matmul(w_mat).reshape(*a.shape[:-1], out_f, in2)
    out = (t * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _c_name(np_dtype) -> str:
    return _C_NAMES.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)
