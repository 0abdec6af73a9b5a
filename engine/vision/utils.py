"""make_grid / save_image: tile a batch of images into one image, torchvision's layout."""

from __future__ import annotations

import math
import os
from typing import IO, Any

import numpy as np
from PIL import Image

from ..backend import to_numpy
from ..tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _normalize_(a: np.ndarray, low: float, high: float) -> None:
    np.clip(a, low, high, out=a)
    a -= low
    a /= max(high - low, 1e-5)


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0, **kwargs: Any) -> Tensor:
    """Images (B, C, H, W) or a list of (C, H, W) -> one (C, H', W') grid, `nrow` images per row."""
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        shapes = {t._data.shape for t in tensor}
        if len(shapes) != 1:
            from ..ops.joining import stack

            stack(tensor, 0)  # raises torch's size-mismatch error
        a = np.stack([to_numpy(t._data) for t in tensor])
    else:
        a = to_numpy(tensor._data)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = np.concatenate([a, a, a], 0)
        a = a[None]
    if a.ndim == 4 and a.shape[1] == 1:
        a = np.concatenate([a, a, a], 1)
    if normalize is True:
        a = a.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_range(t: np.ndarray) -> None:
            if value_range is not None:
                _normalize_(t, value_range[0], value_range[1])
            else:
                _normalize_(t, float(t.min()), float(t.max()))

        if scale_each is True:
            for t in a:
                norm_range(t)
        else:
            norm_range(a)
    if a.shape[0] == 1:
        return Tensor._make(np.ascontiguousarray(a[0]))
    nmaps = a.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(a.shape[2] + padding), int(a.shape[3] + padding)
    grid = np.full((a.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=a.dtype)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            top, left = y * height + padding, x * width + padding
            grid[:, top:top + height - padding, left:left + width - padding] = a[k]
            k += 1
    return Tensor._make(grid)


def save_image(tensor: Tensor | list[Tensor], fp: str | os.PathLike | IO[bytes], format: str | None = None,
               **kwargs: Any) -> None:
    """Save a tensor (or a batch, as a make_grid of it) with values in [0, 1] as an image file."""
    grid = to_numpy(make_grid(tensor, **kwargs)._data)
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    if ndarr.shape[2] == 1:
        ndarr = ndarr[:, :, 0]
    Image.fromarray(ndarr).save(fp, format=format)
