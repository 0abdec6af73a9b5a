"""FakeData: random images, reproducible per index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import random_state
from ...ops.random import randint, randn
from ..transforms import functional as F
from .vision import VisionDataset


class FakeData(VisionDataset):
    """`size` random PIL images of `image_size` (C, H, W) with random targets; item i is seeded by i."""

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        state = random_state.get_rng_state()
        random_state.manual_seed(index + self.random_offset)
        img = randn(*self.image_size)
        target = randint(0, self.num_classes, size=(1,))[0]
        random_state.set_rng_state(state)
        img = F.to_pil_image(img)
        target = target.item()
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.size
