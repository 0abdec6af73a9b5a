"""Arrays to pictures for the feature-map dock: colormap lookup tables, per-map normalisation and the
grid of channel tiles (numpy only; `rgb_image` wraps the result in a QImage), and the label that shows
the grid enlarged to fill the dock."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

TILE_MIN = 48  # small maps are enlarged (nearest neighbour) to at least this many pixels a side
_VIRIDIS_ANCHORS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
                            dtype=np.float64)


def colormap_lut(name: str) -> np.ndarray:
    """A 256 x 3 uint8 lookup table: "gray" or "viridis" (a viridis-like ramp through five anchors)."""
    ramp = np.linspace(0.0, 1.0, 256)
    if name == "viridis":
        stops = np.linspace(0.0, 1.0, len(_VIRIDIS_ANCHORS))
        lut = np.stack([np.interp(ramp, stops, _VIRIDIS_ANCHORS[:, c]) for c in range(3)], axis=1)
    else:
        lut = np.repeat(ramp[:, None] * 255.0, 3, axis=1)
    return np.clip(np.rint(lut), 0, 255).astype(np.uint8)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Normalise to 0..255 over the finite values (a constant map becomes mid-gray)."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if high <= low:
        return np.full(v.shape, 128, dtype=np.uint8)
    return np.clip((v - low) / (high - low) * 255.0, 0, 255).astype(np.uint8)


def channel_grid(maps: np.ndarray, lut: np.ndarray, pad: int = 2) -> np.ndarray:
    """Channels (C, H, W), each normalised on its own, tiled into one RGB image (rows, cols, 3) uint8."""
    count, height, width = maps.shape
    scale = max(1, math.ceil(TILE_MIN / max(1, min(height, width))))
    tile_h, tile_w = height * scale, width * scale
    cols = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / cols))
    grid = np.full((rows * (tile_h + pad) + pad, cols * (tile_w + pad) + pad, 3), 40, dtype=np.uint8)
    for i in range(count):
        tile = lut[to_uint8(maps[i])]
        tile = np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1)
        r, c = divmod(i, cols)
        y, x = pad + r * (tile_h + pad), pad + c * (tile_w + pad)
        grid[y:y + tile_h, x:x + tile_w] = tile
    return grid


def vector_strip(vector: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """A 1-D vector as a heatmap strip TILE_MIN // 2 pixels tall."""
    rgb = lut[to_uint8(np.asarray(vector).reshape(1, -1))]
    return np.repeat(rgb, max(1, math.ceil(TILE_MIN / 2)), axis=0)


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (H, W, 3) uint8 array."""
    data = np.ascontiguousarray(rgb)
    height, width = data.shape[:2]
    return QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class FitImageLabel(QLabel):
    """Shows an image enlarged by the largest whole factor that fits the label (nearest neighbour, so each
    value stays a crisp block), never shrunk below its own size; pixmap() is the image at that zoom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(1, 1)

    def set_image(self, image: QImage | None) -> None:
        self._source = image
        self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self._source.size() if self._source is not None and not self._source.isNull() else QSize(1, 1)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name: the zoomed pixmap must not pin the size
        return QSize(1, 1)

    def zoom(self) -> int:
        if self._source is None or self._source.isNull():
            return 1
        return max(1, min(self.width() // self._source.width(), self.height() // self._source.height()))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._source is None or self._source.isNull():
            self.clear()
            return
        zoom = self.zoom()
        size = self._source.size() * zoom
        self.setPixmap(QPixmap.fromImage(self._source.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                                             Qt.TransformationMode.FastTransformation)))
