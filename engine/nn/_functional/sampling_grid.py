"""affine_grid and grid_sample (2-D: 4-D inputs), composed from differentiable engine ops, so gradients
w.r.t. both the input and the grid (and higher orders) come from the ops' own backward formulas."""

from __future__ import annotations

import warnings

import numpy as np

from ...ops._helpers import new, xp
from ...tensor import Tensor

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                  "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                  "documentation of grid_sample for details.")


def _linspace(m, n: int, align_corners: bool, dtype):
    if n <= 1:
        return m.zeros((max(n, 0),), dtype)
    base = np.linspace(-1.0, 1.0, n)
    if not align_corners:
        base = base * (n - 1) / n
    return m.asarray(base.astype(dtype))


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) for a batch of 2x3 affine matrices (x, y in [-1, 1])."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) == 5:
        raise NotImplementedError("affine_grid for 5D sizes (3D affine transforms) is not supported here")
    if len(size) != 4:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                  f"transforms, respectively. Got size {size}.")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                         f"{theta.shape}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n, _, h, w = size
    if theta.shape[0] != n:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{theta.shape[0]}, 3] but got: [{n}, 3].")
    m = xp(theta)
    dtype = theta._data.dtype
    base = m.empty((h, w, 3), dtype)
    base[..., 0] = _linspace(m, w, align_corners, dtype)[None, :]
    base[..., 1] = _linspace(m, h, align_corners, dtype)[:, None]
    base[..., 2] = 1
    grid = new(base.reshape(1, h * w, 3)) @ theta.transpose(1, 2)
    return grid.reshape(n, h, w, 2)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, low2: int, high2: int) -> Tensor:
    """Reflect coordinates into [low2 / 2, high2 / 2] (PyTorch's grid_sampler reflection)."""
    if low2 == high2:
        return coord * 0
    lo = low2 / 2
    span = (high2 - low2) / 2
    dist = (coord - lo).abs()
    extra = dist.fmod(span)
    flips = (dist / span).floor().detach()
    even = new((flips._data % 2) == 0)
    from ...ops.pointwise_binary import where

    return where(even, extra + lo, span - extra + lo)


def _source(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = coord.clamp(0, size - 1)
    elif padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        coord = coord.clamp(0, size - 1)
    return coord


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample input (N, C, H, W) at grid (N, Ho, Wo, 2) locations ((x, y) in [-1, 1])."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if input.ndim != grid.ndim or input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input "
                           f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.ndim != 4:
        raise NotImplementedError("grid_sample supports 4-D inputs only in this engine")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample mode 'bicubic' is not supported by this engine")
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]
    ix = _source(grid[..., 0], w, padding_mode, align_corners)
    iy = _source(grid[..., 1], h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)

    def corner(xc: Tensor, yc: Tensor) -> tuple:
        xd, yd = xc._data, yc._data
        valid = (xd >= 0) & (xd <= w - 1) & (yd >= 0) & (yd <= h - 1)
        idx = (np.clip(yd, 0, h - 1) * w + np.clip(xd, 0, w - 1)).astype(np.int64) if xp(xc) is np else \
            (xp(xc).clip(yd, 0, h - 1) * w + xp(xc).clip(xd, 0, w - 1)).astype(np.int64)
        idx = new(idx.reshape(n, 1, ho * wo)).expand(n, c, ho * wo)
        vals = flat.gather(2, idx).reshape(n, c, ho, wo)
        return vals, new(valid.astype(input._data.dtype)).unsqueeze(1)

    if mode == "nearest":
        xr, yr = ix.detach().round(), iy.detach().round()
        vals, valid = corner(xr, yr)
        # torch reports a (zero) gradient for the grid in nearest mode: keep the grid in the graph
        zero = ((ix - ix.detach()) * 0 + (iy - iy.detach()) * 0).unsqueeze(1)
        return vals * valid + zero
    x0, y0 = ix.detach().floor(), iy.detach().floor()
    x1, y1 = x0 + 1, y0 + 1
    wx1, wy1 = ix - x0, iy - y0
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = None
    for xc, yc, wgt in ((x0, y0, wx0 * wy0), (x1, y0, wx1 * wy0), (x0, y1, wx0 * wy1), (x1, y1, wx1 * wy1)):
        vals, valid = corner(xc, yc)
        term = vals * (wgt.unsqueeze(1) * valid)
        out = term if out is None else out + term
    return out
