"""The three convolution primitives (each one Node with a numpy backward) and their argument checks.

conv(x, w, b)          ConvolutionBackward0: forward GEMM over im2col columns (kept for grad_weight)
conv_transpose(x, w, b) ConvolutionBackward0 (the adjoint in x of conv)
conv_weight_grad(x, g)  the adjoint in w; only built when create_graph differentiates a convolution

Under create_graph each backward is written with these same primitives (the gradient of a convolution in x
is a transposed convolution, in w a conv_weight_grad), so higher-order gradients work.
"""

from __future__ import annotations

import math

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor, grad_needed
from . import conv_kernels as K
from .conv_kernels import Geometry

# Column buffers above this many bytes are recomputed in backward instead of kept from forward.
KEEP_COLUMNS_BYTES = 512 * 2**20


def _needs(*tensors) -> bool:
    return grad_needed(*[t for t in tensors if t is not None])


def _bias_grad(g: Tensor) -> Tensor:
    return g.sum(dim=(0, *range(2, g.ndim)))


class ConvolutionBackward0(Node):
    __slots__ = ("geo", "cols", "size", "out")

    def backward(self, g):
        x, w = self.saved_tensors
        gx = gw = gb = None
        if STATE.enabled:  # create_graph: differentiable formulas
            if self.needs(0):
                gx = conv_transpose(g, w, None, self.geo, self.size)
            if self.needs(1):
                gw = conv_weight_grad(x, g, self.geo, tuple(w.shape))
        else:
            m = xp(g)
            gcm = K.channel_major(m, g._data, self.geo.groups)
            if self.needs(0):
                gx = new(K.adjoint_x_cm(m, gcm, w._data, self.size, g.shape[0], self.out, self.geo))
            if self.needs(1):
                cols = self.cols
                if cols is None:
                    cols = K.columns(m, x._data, tuple(w.shape[2:]), self.geo, self.out)
                gw = new(K.adjoint_w_cm(m, gcm, cols, tuple(w.shape)))
        if self.needs(2):
            gb = _bias_grad(g)
        return gx, gw, gb

    def release(self) -> None:
        super().release()
        self.cols = None


class ConvolutionTransposeBackward(Node):
    __slots__ = ("geo", "size")

    def name(self) -> str:
        return "ConvolutionBackward0"

    def backward(self, g):
        x, w = self.saved_tensors
        gx = gw = gb = None
        if STATE.enabled:
            if self.needs(0):
                gx = conv(g, w, None, self.geo, self.size)
            if self.needs(1):
                gw = conv_weight_grad(g, x, self.geo, tuple(w.shape))
        else:
            m = xp(g)
            cols = K.columns(m, g._data, tuple(w.shape[2:]), self.geo, self.size)
            wd = w._data
            if self.needs(0):
                wg = wd.reshape(self.geo.groups, wd.shape[0] // self.geo.groups, -1)
                prod = K._bmm(m, wg, cols)
                gx = new(K._to_batch_major(m, prod, g.shape[0], self.size, None, g._data.dtype))
            if self.needs(1):
                gw = new(K.adjoint_w_cm(m, K.channel_major(m, x._data, self.geo.groups), cols, wd.shape))
        if self.needs(2):
            gb = _bias_grad(g)
        return gx, gw, gb


class ConvolutionWeightGradBackward(Node):
    __slots__ = ("geo", "size", "out")

    def name(self) -> str:
        return "ConvolutionBackwardBackward0"

    def backward(self, h):
        x, g = self.saved_tensors
        gx = conv_transpose(g, h, None, self.geo, self.size) if self.needs(0) else None
        gg = conv(x, h, None, self.geo, self.out) if self.needs(1) else None
        return gx, gg


def _columns_bytes(x: Tensor, w: Tensor, geo: Geometry, out: tuple | None) -> int:
    kernel = tuple(w.shape[2:])
    if out is None:
        out = geo.out_size(tuple(x.shape[2:]), kernel)
    return x.shape[0] * x.shape[1] * math.prod(kernel) * math.prod(out) * x._data.dtype.itemsize


def conv(x: Tensor, w: Tensor, b: Tensor | None, geo: Geometry, out: tuple | None = None) -> Tensor:
    """Batched N-d convolution on checked arguments: x (N, C, *S), w (O, C/groups, *K)."""
    m = xp(x)
    needs = _needs(x, w, b)
    keep = needs and w._requires_grad and _columns_bytes(x, w, geo, out) <= KEEP_COLUMNS_BYTES
    data, cols = K.forward(m, x._data, w._data, None if b is None else b._data, geo, out, keep)
    result = new(data)
    if needs:
        node = ConvolutionBackward0(result, x, w, b)
        node.save(x, w)
        node.geo = geo
        node.size = tuple(x.shape[2:])
        node.out = tuple(data.shape[2:])
        node.cols = cols if keep else None
    return result


def conv_transpose(x: Tensor, w: Tensor, b: Tensor | None, geo: Geometry, size: tuple) -> Tensor:
    """Adjoint in x of conv: x (N, O, *L), w (O, C/groups, *K) -> (N, C, *size)."""
    m = xp(x)
    result = new(K.adjoint_x(m, x._data, w._data, size, geo, None if b is None else b._data))
    if _needs(x, w, b):
        node = ConvolutionTransposeBackward(result, x, w, b)
        node.save(x, w)
        node.geo = geo
        node.size = tuple(x.shape[2:])
    return result


def conv_weight_grad(x: Tensor, g: Tensor, geo: Geometry, wshape: tuple) -> Tensor:
    """Adjoint in w of conv: sum over the batch of output gradient g times the input windows of x."""
    m = xp(x)
    result = new(K.adjoint_w(m, x._data, g._data, wshape, geo))
    if _needs(x, g):
        node = ConvolutionWeightGradBackward(result, x, g)
        node.save(x, g)
        node.geo = geo
        node.size = tuple(x.shape[2:])
        node.out = tuple(g.shape[2:])
    return result


# ---------------------------------------------------------------------------------- argument checks ---
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
               "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int"}


def expand_param(value, nd: int, name: str) -> tuple:
    if isinstance(value, int):
        return (value,) * nd
    value = tuple(value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match "
                           f"the convolution dimensions, but got {name}={list(value)}")
    return value


def check_rank(input: Tensor, nd: int, fn: str) -> bool:
    """Raise torch's error for a wrong rank; True when the input is batched."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got "
                           f"input of size: {list(input.shape)}")
    return input.ndim == nd + 2


def check_types(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    di, dw = input._data.dtype.name, weight._data.dtype.name
    if di != dw:
        if di == "float64":
            raise RuntimeError(f"expected scalar type Double but found {_TYPE_NAMES.get(dw, dw)}")
        raise RuntimeError(f"Input type (torch.{_TYPE_NAMES.get(di, di)}Tensor) and weight type "
                           f"(torch.{_TYPE_NAMES.get(dw, dw)}Tensor) should be the same or input should be "
                           "a MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias._data.dtype.name != di:
        db = bias._data.dtype.name
        raise RuntimeError(f"Input type ({_C_NAMES.get(di, di)}) and bias type ({_C_NAMES.get(db, db)}) "
                           "should be the same")


def check_common(stride: tuple, padding, dilation: tuple, groups: int) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def check_shapes(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int, transposed: bool) -> None:
    ws = list(weight.shape)
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{ws}, but got {input.ndim}-dimensional input of size {list(input.shape)} "
                           "instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
                           f"0, but got weight of size [{ws}] instead")
    c = input.shape[1]
    if transposed:
        if c != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected input{list(input.shape)} "
                               f"to have {ws[0]} channels, but got {c} channels instead")
        out_channels = ws[1] * groups
    else:
        if c != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input"
                               f"{list(input.shape)} to have {ws[1] * groups} channels, but got {c} channels "
                               "instead")
        out_channels = ws[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")


def resolve_padding(padding, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """Padding argument -> ((lo, hi), ...) per spatial dim; 'same' puts an odd extra pad on the right."""
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    return tuple((p, p) for p in padding)


def check_kernel_fits(size: tuple, kernel: tuple, pads: tuple, dilation: tuple) -> None:
    padded = [s + lo + hi for s, (lo, hi) in zip(size, pads)]
    dk = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < k for p, k in zip(padded, dk)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, dk))}). Kernel size can't be greater than "
                           "actual input size")


def numel(shape) -> int:
    return math.prod(shape)
