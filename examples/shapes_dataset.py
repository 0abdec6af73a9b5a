"""A deterministic synthetic image dataset: 1x28x28 grayscale pictures of four filled shapes.

Classes: 0 circle, 1 square, 2 triangle, 3 cross. Each image has one shape at a random position and size,
a random brightness, a dim random background level and Gaussian pixel noise. The same seed always gives the
same images. A copy (2000 images, 500 per class) is bundled as assets/datasets/shapes_small.npz with the
arrays `images` (uint8, N x 28 x 28) and `labels` (int64, N); regenerate it with
    .venv/bin/python examples/shapes_dataset.py --out assets/datasets/shapes_small.npz
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np

import engine as torch
from engine.utils.data import Dataset

CLASSES = ("circle", "square", "triangle", "cross")
SIZE = 28
BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "datasets" / "shapes_small.npz"


def _shape_mask(kind: int, cy: float, cx: float, r: float, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    dy, dx = yy - cy, xx - cx
    if kind == 0:  # circle
        return dy * dy + dx * dx <= r * r
    if kind == 1:  # square (axis-aligned, side 2r * 0.85 so its area is close to the circle's)
        h = 0.85 * r
        return (np.abs(dy) <= h) & (np.abs(dx) <= h)
    if kind == 2:  # triangle pointing up: apex at cy - r, base at cy + r
        rows = (dy >= -r) & (dy <= r)
        return rows & (np.abs(dx) <= (dy + r) * 0.6)
    t = max(1.2, 0.3 * r)  # cross: two bars of half-width t
    return ((np.abs(dx) <= t) & (np.abs(dy) <= r)) | ((np.abs(dy) <= t) & (np.abs(dx) <= r))


def generate_shapes(n: int = 2000, seed: int = 0, noise: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """`n` images (uint8, n x 28 x 28) and labels (int64), classes balanced and shuffled, deterministic."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.int64) % len(CLASSES)
    rng.shuffle(labels)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    images = np.empty((n, SIZE, SIZE), dtype=np.uint8)
    for i, kind in enumerate(labels):
        r = rng.uniform(5.0, 10.0)
        cy, cx = rng.uniform(r + 1, SIZE - 2 - r, size=2)
        background = rng.uniform(0.0, 0.25)
        brightness = rng.uniform(0.6, 1.0)
        img = np.full((SIZE, SIZE), background, dtype=np.float32)
        img[_shape_mask(int(kind), cy, cx, r, yy, xx)] = brightness
        img += rng.normal(0.0, noise, size=img.shape).astype(np.float32)
        images[i] = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return images, labels


def load_bundled(path: str | Path = BUNDLED) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as data:
        return data["images"], data["labels"]


def save_npz(path: str | Path, n: int = 2000, seed: int = 0) -> None:
    images, labels = generate_shapes(n, seed)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=images, labels=labels)


class ShapesDataset(Dataset):
    """Map-style Dataset of (1x28x28 float tensor, int label) pairs.

    Give `images`/`labels` arrays (e.g. from load_bundled), or a `seed` (and `n`) to generate them.
    Images are scaled to [0, 1] and normalized with mean 0.5, std 0.5 unless a `transform` is given.
    """

    def __init__(self, images: np.ndarray | None = None, labels: np.ndarray | None = None, *,
                 n: int = 2000, seed: int = 0,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        if images is None or labels is None:
            images, labels = generate_shapes(n, seed)
        self.images = images
        self.labels = labels
        self.transform = transform
        # the whole set as one float tensor: __getitem__ then only slices
        self._data = torch.from_numpy((images.astype(np.float32) / 255.0 - 0.5) / 0.5).unsqueeze(1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if self.transform is not None:
            img = torch.from_numpy(self.images[index].astype(np.float32) / 255.0).unsqueeze(0)
            return self.transform(img), int(self.labels[index])
        return self._data[index], int(self.labels[index])


def main() -> None:
    parser = argparse.ArgumentParser(description="write the synthetic shapes dataset as an .npz file")
    parser.add_argument("--out", default=str(BUNDLED))
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    save_npz(args.out, args.n, args.seed)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
