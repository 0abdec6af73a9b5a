"""torch.finfo / torch.iinfo: numeric limits of engine dtypes."""

from __future__ import annotations

import numpy as np

from . import _dtype as dt


class finfo:  # noqa: N801 - mirrors torch.finfo
    def __init__(self, type: dt.dtype | None = None) -> None:  # noqa: A002
        d = dt.get_default_dtype() if type is None else dt.to_dtype(type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{d.name}'")
        info = np.finfo(d.to_real().np)
        self.dtype = d.to_real().name
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:  # noqa: N801 - mirrors torch.iinfo
    def __init__(self, type: dt.dtype) -> None:  # noqa: A002
        d = dt.to_dtype(type)
        if d.is_floating_point or d.is_complex or d is dt.bool:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            f"'{d.name}'")
        info = np.iinfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
