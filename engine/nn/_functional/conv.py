"""nn.functional: convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d) and unfold/fold (im2col/col2im)."""

from __future__ import annotations

from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor, grad_needed
from . import conv_kernels as K
from .conv_kernels import Geometry
from .conv_ops import (
    check_common,
    check_kernel_fits,
    check_rank,
    check_shapes,
    check_types,
    conv,
    conv_transpose,
    expand_param,
    resolve_padding,
)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold"]


def _convnd(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, groups: int,
            nd: int, fn: str) -> Tensor:
    batched = check_rank(input, nd, fn)
    check_types(input, weight, bias)
    if not batched:
        input = input.unsqueeze(0)
    stride = expand_param(stride, nd, "stride")
    dilation = expand_param(dilation, nd, "dilation")
    if not isinstance(padding, str):
        padding = expand_param(padding, nd, "padding")
    check_common(stride, padding, dilation, groups)
    check_shapes(input, weight, bias, groups, transposed=False)
    kernel = tuple(weight.shape[2:])
    pads = resolve_padding(padding, kernel, stride, dilation)
    check_kernel_fits(tuple(input.shape[2:]), kernel, pads, dilation)
    out = conv(input, weight, bias, Geometry(stride, pads, dilation, groups))
    return out if batched else out.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def transposed_size(in_size: tuple, kernel: tuple, stride: tuple, padding: tuple, output_padding: tuple,
                    dilation: tuple) -> tuple:
    return tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for i, k, s, p, op, d in zip(in_size, kernel, stride, padding, output_padding, dilation))


def _conv_transposend(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, output_padding,
                      groups: int, dilation, nd: int, fn: str) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    batched = check_rank(input, nd, fn)
    check_types(input, weight, bias)
    if not batched:
        input = input.unsqueeze(0)
    stride = expand_param(stride, nd, "stride")
    dilation = expand_param(dilation, nd, "dilation")
    padding = expand_param(padding, nd, "padding")
    output_padding = expand_param(output_padding, nd, "output_padding")
    check_common(stride, padding, dilation, groups)
    if any(op < 0 for op in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        axes = ["height", "width"] if nd == 2 else (["width"] if nd == 1 else ["depth", "height", "width"])
        parts = [" ".join(f"{name}_{a}: {v}" for a, v in zip(axes, vals))
                 for name, vals in (("output_padding", output_padding), ("stride", stride),
                                    ("dilation", dilation))]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(parts))
    check_shapes(input, weight, bias, groups, transposed=True)
    kernel = tuple(weight.shape[2:])
    size = transposed_size(tuple(input.shape[2:]), kernel, stride, padding, output_padding, dilation)
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, size))}). "
                           "Output size is too small")
    geo = Geometry(stride, tuple((p, p) for p in padding), dilation, groups)
    out = conv_transpose(input, weight, bias, geo, size)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                             "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                             "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")


# ------------------------------------------------------------------------------------ unfold / fold ---
class Im2ColBackward0(Node):
    __slots__ = ("geo", "kernel", "size")

    def backward(self, g):
        return (_col2im(g, self.size, self.kernel, self.geo),)


class Col2ImBackward0(Node):
    __slots__ = ("geo", "kernel")

    def backward(self, g):
        return (_im2col(g, self.kernel, self.geo),)


def _im2col(x: Tensor, kernel: tuple, geo: Geometry) -> Tensor:
    m = xp(x)
    n, c = x.shape[:2]
    out = geo.out_size(tuple(x.shape[2:]), kernel)
    cols = K.im2col(m, K.padded_channel_major(m, x._data, geo.pads), kernel, geo, out)
    ck = c * kernel[0] * kernel[1]
    data = m.ascontiguousarray(cols.reshape(ck, n, -1).swapaxes(0, 1))
    result = new(data)
    if grad_needed(x):
        node = Im2ColBackward0(result, x)
        node.geo, node.kernel, node.size = geo, kernel, tuple(x.shape[2:])
    return result


def _col2im(x: Tensor, size: tuple, kernel: tuple, geo: Geometry) -> Tensor:
    m = xp(x)
    n, ck = x.shape[:2]
    c = ck // (kernel[0] * kernel[1])
    out = geo.out_size(size, kernel)
    cols = x._data.swapaxes(0, 1).reshape(c, *kernel, n, *out)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, geo.pads))
    data = K._crop_batch_major(m, K.col2im(m, cols, padded, geo), size, geo.pads)
    result = new(data)
    if grad_needed(x):
        node = Col2ImBackward0(result, x)
        node.geo, node.kernel = geo, kernel
    return result


def _pair(value, name: str) -> tuple:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
    return value


def _fold_params(kernel_size, dilation, padding, stride) -> tuple:
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    for name, vals, low in (("kernel size", kernel, 1), ("stride", stride, 1), ("dilation", dilation, 1),
                            ("padding", padding, 0)):
        if any(v < low for v in vals):
            what = "non-negative" if low == 0 else "greater than zero"
            key = {"kernel size": "kernel", "padding": "pad"}.get(name, name)
            raise RuntimeError(f"{name} should be {what}, but got {key}_height: {vals[0]} "
                               f"{key}_width: {vals[1]}")
    return kernel, Geometry(stride, tuple((p, p) for p in padding), dilation, 1)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks: (N, C, H, W) -> (N, C * prod(kernel_size), L)."""
    kernel, geo = _fold_params(kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    out = geo.out_size(tuple(x.shape[2:]), kernel)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={kernel}, "
                           f"dilation={geo.dilation}, padding={tuple(p for p, _ in geo.pads)}, calculated "
                           f"shape of the array of sliding blocks as {out}, but its components must be at "
                           "least one.")
    result = _im2col(x, kernel, geo)
    return result if batched else result.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sums sliding local blocks back into an image: (N, C * prod(kernel_size), L) -> (N, C, *output_size)."""
    kernel, geo = _fold_params(kernel_size, dilation, padding, stride)
    size = _pair(output_size, "output_size")
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                                  f"supported (got {input.ndim}D)")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    kprod = kernel[0] * kernel[1]
    if x.shape[1] % kprod:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={kernel}.")
    out = geo.out_size(size, kernel)
    if any(o < 1 for o in out) or out[0] * out[1] != x.shape[2]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={geo.dilation}, "
                           f"padding={tuple(p for p, _ in geo.pads)}, stride={geo.stride}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding blocks "
                           f"{out[0]} * {out[1]} = {out[0] * out[1]}, but got input.size(2)={x.shape[2]}.")
    result = _col2im(x, size, kernel, geo)
    return result if batched else result.squeeze(0)

