"""MNIST and FashionMNIST from local IDX files (root/<Name>/raw/...); nothing is downloaded."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from ...tensor import Tensor
from .vision import VisionDataset

# IDX type codes -> big-endian numpy dtypes
_IDX_TYPES = {8: np.dtype(np.uint8), 9: np.dtype(np.int8), 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """An IDX file (optionally gzip-compressed) as a native-endian numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (bad magic number)")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise RuntimeError(f"{path}: the header promises shape {shape} but the file holds {data.size} values")
    return data.reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """Handwritten digits: `data` (N, 28, 28) uint8 tensor, `targets` (N,) int64 tensor."""

    resources = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(os.fspath(root), transform=transform, target_transform=target_transform)
        self.train = train
        if not self._check_exists():
            if download:
                raise RuntimeError(
                    f"Downloading is not available (the engine works offline). Put the IDX files "
                    f"{', '.join(self._file_names())} (optionally .gz) into {self.raw_folder} and try again.")
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    def _file_names(self) -> list[str]:
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find(self, name: str) -> str | None:
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(name) is not None for name in self._file_names())

    def _load_data(self) -> tuple[Tensor, Tensor]:
        images_file, labels_file = self._file_names()
        images = read_idx(self._find(images_file))
        labels = read_idx(self._find(labels_file))
        if images.dtype != np.uint8 or images.ndim != 3:
            raise RuntimeError(f"{images_file}: expected a 3-d uint8 IDX array, got {images.ndim}-d "
                               f"{images.dtype}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise RuntimeError(f"{labels_file}: expected a 1-d uint8 IDX array, got {labels.ndim}-d "
                               f"{labels.dtype}")
        return Tensor._make(images), Tensor._make(labels.astype(np.int64))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], int(self.targets[index])
        img = Image.fromarray(img.numpy(), mode="L")
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's clothing images in MNIST's format (root/FashionMNIST/raw/...)."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
