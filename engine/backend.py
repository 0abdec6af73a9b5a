"""The one place that chooses numpy or cupy, and the device objects that name them."""

from __future__ import annotations

import numpy as np

try:  # cupy is optional: CUDA tensors exist only where it imports and sees a device
    import cupy as _cupy
except Exception:  # noqa: BLE001 - any import failure means "no GPU path"
    _cupy = None


def cupy_device_count() -> int:
    if _cupy is None:
        return 0
    try:
        return int(_cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - no driver or no device
        return 0


def cuda_unavailable_reason() -> str | None:
    if _cupy is None:
        return "Torch not compiled with CUDA enabled (the engine's CUDA backend needs cupy: pip install cupy-cuda12x)"
    if cupy_device_count() == 0:
        return "No CUDA GPUs are available"
    return None


class device:  # noqa: N801 - mirrors torch.device
    __slots__ = ("type", "index")

    def __init__(self, type: str | device | int, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            self.type, self.index = "cuda", type
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        name, sep, idx = type.partition(":")
        if name not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type
            )
        if sep:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed explicitly: " + type)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if name == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be -1 or zero, got {index}")
        self.type, self.index = name, index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


CPU = device("cpu")
_current_cuda_index = 0


def current_cuda_index() -> int:
    return _current_cuda_index


def set_current_cuda_index(index: int) -> None:
    global _current_cuda_index
    _current_cuda_index = index


def canonical_device(dev: object) -> device:
    """Resolve user input ('cuda', 0, device) to the device a tensor lives on; raises if CUDA is missing."""
    if dev is None:
        return CPU
    if not isinstance(dev, device):
        dev = device(dev)
    if dev.type == "cpu":
        return CPU
    if dev.type == "meta":
        raise NotImplementedError("the engine has no 'meta' device")
    reason = cuda_unavailable_reason()
    if reason is not None:
        raise AssertionError(reason) if _cupy is None else RuntimeError(reason)
    index = _current_cuda_index if dev.index is None else dev.index
    if index >= cupy_device_count():
        raise RuntimeError("CUDA error: invalid device ordinal")
    return device("cuda", index)


def xp_for(dev: device):
    """Array module for a device: numpy for CPU, cupy for CUDA."""
    return np if dev.type == "cpu" else _cupy


def array_module(array) -> object:
    """Array module that owns an array (numpy unless it is a cupy array)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def device_of_array(array) -> device:
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return device("cuda", array.device.id)
    return CPU


def move_array(array, dev: device):
    """Copy an array to a device (no copy when it is already there)."""
    if dev.type == "cpu":
        return array.get() if _cupy is not None and isinstance(array, _cupy.ndarray) else array
    with _cupy.cuda.Device(dev.index):
        if isinstance(array, _cupy.ndarray) and array.device.id == dev.index:
            return array
        return _cupy.asarray(array)


def to_numpy(array) -> np.ndarray:
    return array.get() if _cupy is not None and isinstance(array, _cupy.ndarray) else array


def cupy_module():
    return _cupy
