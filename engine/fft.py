"""engine.fft: torch.fft's discrete Fourier transforms on numpy/cupy's pocketfft, differentiable.

Three primitives carry a backward: c2c (complex-to-complex), r2c (real-to-onesided) and c2r
(onesided-to-real); the other transforms are compositions. Gradients follow torch's convention (adjoint
transforms with the dual normalisation; c2r doubles the bins standing for two conjugate-symmetric halves).
"""

from __future__ import annotations

import numpy as np

from . import _dtype as dt
from .autograd.graph import Node
from .ops._helpers import _scalar_type_name, new, wrap_dim, xp
from .ops.blas_misc import narrow, pad
from .tensor import Tensor, grad_needed

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "hfft2",
           "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftshift", "ifftshift",
           "fftfreq", "rfftfreq"]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _fft_mod(t: Tensor):
    return xp(t).fft


def _as_fft_input(x: Tensor, complex_only: bool = False) -> Tensor:
    """Ints/bools become the default complex (or float) dtype; float16 is refused like torch's CPU."""
    kind = x._data.dtype.kind
    if x._data.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    if kind in "biu":
        base = dt.get_default_dtype()
        return x.to(base.to_complex() if complex_only else base)
    return x


def _resize_back(g: Tensor, dims: tuple, shape: tuple) -> Tensor:
    """Undo the forward's zero-padding / truncation to `s` along dims (narrow or pad back to `shape`)."""
    for d in dims:
        have, want = g._data.shape[d], shape[d]
        if have > want:
            g = narrow(g, d, 0, want)
        elif have < want:
            g = pad(g, d, 0, want)
    return g


# -------------------------------------------------------------------------------------------- c2c -----
class FftC2CBackward0(Node):
    __slots__ = ("dims", "norm", "inverse", "in_shape")

    def backward(self, g):
        grad = _c2c(g, self.dims, None, _DUAL[self.norm], not self.inverse)
        return (_resize_back(grad, self.dims, self.in_shape),)


class FftR2CBackward0(FftC2CBackward0):
    """c2c applied directly to a real input: the engine keeps the real part of the gradient."""

    __slots__ = ()


def _c2c(x: Tensor, dims: tuple, s: tuple | None, norm: str, inverse: bool) -> Tensor:
    a = x._data
    mod = _fft_mod(x)
    fn = mod.ifftn if inverse else mod.fftn
    data = fn(a, s=s, axes=dims, norm=norm)
    if a.dtype == np.float32 and data.dtype != np.complex64:
        data = data.astype(np.complex64)
    result = new(data)
    if grad_needed(x):
        node = (FftC2CBackward0 if a.dtype.kind == "c" else FftR2CBackward0)(result, x)
        node.dims, node.norm, node.inverse, node.in_shape = dims, norm, inverse, a.shape
    return result


# -------------------------------------------------------------------------------------------- r2c -----
class FftR2CBackward1(Node):
    __slots__ = ("dims", "norm", "in_shape", "full_last")

    def name(self) -> str:
        return "FftR2CBackward0"

    def backward(self, g):
        full = pad(g, self.dims[-1], 0, self.full_last)
        grad = _c2c(full, self.dims, None, _DUAL[self.norm], True).real
        return (_resize_back(grad, self.dims, self.in_shape),)


def _r2c(x: Tensor, dims: tuple, s: tuple | None, norm: str) -> Tensor:
    a = x._data
    data = _fft_mod(x).rfftn(a, s=s, axes=dims, norm=norm)
    if a.dtype == np.float32 and data.dtype != np.complex64:
        data = data.astype(np.complex64)
    result = new(data)
    if grad_needed(x):
        node = FftR2CBackward1(result, x)
        node.dims, node.norm, node.in_shape = dims, norm, a.shape
        node.full_last = s[-1] if s is not None else a.shape[dims[-1]]
    return result


# -------------------------------------------------------------------------------------------- c2r -----
class FftC2RBackward0(Node):
    __slots__ = ("dims", "norm", "in_shape", "half")

    def backward(self, g):
        grad = _r2c(g, self.dims, None, _DUAL[self.norm])
        last = self.dims[-1]
        n_out = g._data.shape[last]
        doubled = n_out - grad._data.shape[last]
        if doubled > 0:  # bins 1..doubled stand for two conjugate-symmetric halves of the full spectrum
            scale = np.ones(grad._data.shape[last], dtype=g._data.dtype)
            scale[1:1 + doubled] = 2
            shape = [1] * grad.ndim
            shape[last] = scale.size
            grad = grad * new(xp(g).asarray(scale.reshape(shape)))
        return (_resize_back(grad, self.dims, self.in_shape),)


def _c2r(x: Tensor, dims: tuple, s: tuple, norm: str) -> Tensor:
    a = x._data
    data = _fft_mod(x).irfftn(a, s=s, axes=dims, norm=norm)
    if a.dtype == np.complex64 and data.dtype != np.float32:
        data = data.astype(np.float32)
    result = new(data)
    if grad_needed(x):
        node = FftC2RBackward0(result, x)
        node.dims, node.norm, node.in_shape = dims, norm, a.shape
    return result


# ------------------------------------------------------------------------------------ argument rules --
def _check_points(n: int) -> None:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(x: Tensor, n: int | None, dim: int) -> tuple[tuple, tuple | None]:
    if x._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, x._data.ndim)
    if n is not None:
        _check_points(n)
        return (d,), (n,)
    _check_points(x._data.shape[d])
    return (d,), None


def _many_dims(x: Tensor, s, dim, default_dims=None) -> tuple[tuple, tuple | None]:
    ndim = x._data.ndim
    if dim is None and default_dims is not None:
        dim = default_dims
    if isinstance(dim, int):
        dim = (dim,)
    if s is not None:
        s = tuple(int(v) for v in ([s] if isinstance(s, int) else s))
        if dim is None:
            dim = tuple(range(ndim - len(s), ndim))
        elif len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    if dim is None:
        dim = tuple(range(ndim))
    if ndim == 0 and dim:
        raise IndexError(f"Dimension specified as {dim[0]} but tensor has no dimensions")
    dims = tuple(wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = tuple(x._data.shape[d] if v == -1 else v for d, v in zip(dims, s))
        for v in s:
            _check_points(v)
    else:
        for d in dims:
            _check_points(x._data.shape[d])
    return dims, s


def _real_last_size(x: Tensor, dims: tuple, s: tuple | None) -> tuple:
    """The `s` of a c2r transform: the last dim defaults to 2 * (m - 1)."""
    sizes = list(s) if s is not None else [x._data.shape[d] for d in dims]
    if s is None:
        sizes[-1] = 2 * (x._data.shape[dims[-1]] - 1)
        _check_points(sizes[-1])
    return tuple(sizes)


def _require_real(x: Tensor, name: str) -> None:
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got {_scalar_type_name(x._data.dtype)}")


# ---------------------------------------------------------------------------------- public transforms --
def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _one_dim(x, n, dim)
    return _c2c(x, dims, s, _norm(norm), False)


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _one_dim(x, n, dim)
    return _c2c(x, dims, s, _norm(norm), True)


def fftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _many_dims(x, s, dim)
    return _c2c(x, dims, s, _norm(norm), False)


def ifftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _many_dims(x, s, dim)
    return _c2c(x, dims, s, _norm(norm), True)


def fft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return fftn(input, s, dim, norm)


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return ifftn(input, s, dim, norm)


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    _require_real(input, "rfft")
    x = _as_fft_input(input)
    dims, s = _one_dim(x, n, dim)
    return _r2c(x, dims, s, _norm(norm))


def rfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    _require_real(input, "rfftn")
    x = _as_fft_input(input)
    dims, s = _many_dims(x, s, dim)
    return _r2c(x, dims, s, _norm(norm))


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return rfftn(input, s, dim, norm)


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _one_dim(x, n, dim)
    return _c2r(x, dims, _real_last_size(x, dims, s), _norm(norm))


def irfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _many_dims(x, s, dim)
    return _c2r(x, dims, _real_last_size(x, dims, s), _norm(norm))


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return irfftn(input, s, dim, norm)


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _one_dim(x, n, dim)
    return _c2r(x.conj(), dims, _real_last_size(x, dims, s), _DUAL[_norm(norm)])


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    x = _as_fft_input(input, complex_only=True)
    dims, s = _many_dims(x, s, dim)
    return _c2r(x.conj(), dims, _real_last_size(x, dims, s), _DUAL[_norm(norm)])


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return hfftn(input, s, dim, norm)


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    _require_real(input, "ihfft")
    x = _as_fft_input(input)
    dims, s = _one_dim(x, n, dim)
    return _r2c(x, dims, s, _DUAL[_norm(norm)]).conj()


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    _require_real(input, "ihfftn")
    x = _as_fft_input(input)
    dims, s = _many_dims(x, s, dim)
    return _r2c(x, dims, s, _DUAL[_norm(norm)]).conj()


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return ihfftn(input, s, dim, norm)


# ------------------------------------------------------------------------------------ shifts and freqs --
class RollBackward0(Node):
    __slots__ = ("shifts", "dims")

    def backward(self, g):
        return (_roll(g, tuple(-s for s in self.shifts), self.dims),)


def _roll(x: Tensor, shifts: tuple, dims: tuple) -> Tensor:
    result = new(xp(x).roll(x._data, shifts, dims) if dims else x._data.copy())
    if grad_needed(x):
        node = RollBackward0(result, x)
        node.shifts, node.dims = shifts, dims
    return result


def _shift_dims(x: Tensor, dim) -> tuple:
    if dim is None:
        return tuple(range(x._data.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(wrap_dim(d, x._data.ndim) for d in dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    dims = _shift_dims(input, dim)
    if not dims:
        raise RuntimeError("`shifts` required")
    return _roll(input, tuple(input._data.shape[d] // 2 for d in dims), dims)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    dims = _shift_dims(input, dim)
    if not dims:
        raise RuntimeError("`shifts` required")
    return _roll(input, tuple(-(input._data.shape[d] // 2) for d in dims), dims)


def _freq_tensor(ints: np.ndarray, scale: float, dtype, device, requires_grad: bool) -> Tensor:
    target = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    data = ints.astype(target.np) * np.asarray(scale, dtype=target.np)
    from .ops.creation import tensor

    return tensor(data, dtype=target, device=device, requires_grad=requires_grad)


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, layout=None,
            requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    ints = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _freq_tensor(ints, 1.0 / (n * d), dtype, device, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, layout=None,
             requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    return _freq_tensor(np.arange(0, n // 2 + 1), 1.0 / (n * d), dtype, device, requires_grad)
