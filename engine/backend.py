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
    """torch's own message for why CUDA can't be used (user code may match on it)."""
    if _cupy is None:
        return "Torch not compiled with CUDA enabled"
    if cupy_device_count() == 0:
        return "No CUDA GPUs are available"
    return None


def cuda_help() -> str | None:
    """A longer explanation for people (the studio's device panel): what is missing and what CPU means."""
    if _cupy is None:
        return ("CUDA tensors need cupy and an NVIDIA GPU. Install the GPU extra (pip install "
                "'model-studio[gpu]', i.e. cupy-cuda12x) on a machine with a CUDA driver; until then "
                "everything runs on the CPU with numpy.")
    if cupy_device_count() == 0:
        return ("cupy is installed but sees no CUDA device (no NVIDIA GPU or driver); everything runs on the "
                "CPU with numpy.")
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
                raise RuntimeError(
                    "type (string) must not include an index because index was passed explicitly: " + type
                )
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


# ------------------------------------------------------------------------------ random streams ----
class NumpyRandomStream:
    """Seeded CPU random source (numpy PCG64); its state round-trips through bytes."""

    STATE_BYTES = 40

    def __init__(self, seed: int) -> None:
        self._gen = np.random.Generator(np.random.PCG64(seed))

    def uniform(self, shape, np_dtype):
        return self._gen.random(shape, dtype=np_dtype)

    def normal(self, shape, np_dtype):
        return self._gen.standard_normal(shape, dtype=np_dtype)

    def exponential(self, shape, np_dtype):
        return self._gen.standard_exponential(shape, dtype=np_dtype)

    def cauchy(self, shape):
        return self._gen.standard_cauchy(shape)

    def integers(self, low: int, high: int, shape):
        """int64 samples in [low, high)."""
        return self._gen.integers(low, high, shape, dtype=np.int64)

    def geometric(self, p: float, shape):
        return self._gen.geometric(p, shape)

    def poisson(self, lam):
        return self._gen.poisson(lam)

    def permutation(self, n: int):
        return self._gen.permutation(n)

    def get_state(self) -> bytes:
        st = self._gen.bit_generator.state
        words = (st["state"]["state"], st["state"]["inc"])
        raw = b"".join(w.to_bytes(16, "little") for w in words)
        return raw + int(st["has_uint32"]).to_bytes(4, "little") + int(st["uinteger"]).to_bytes(4, "little")

    def set_state(self, raw: bytes) -> None:
        self._gen.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[0:16], "little"),
                      "inc": int.from_bytes(raw[16:32], "little")},
            "has_uint32": int.from_bytes(raw[32:36], "little"),
            "uinteger": int.from_bytes(raw[36:40], "little"),
        }


class CupyRandomStream:
    """Seeded CUDA random source (cupy RandomState on one device).

    curand's state cannot be read back, so the state is (seed, epoch): get_state starts a new epoch
    (reseeding from (seed, epoch)) and set_state returns to that point; sequences stay reproducible.
    """

    STATE_BYTES = 16

    def __init__(self, seed: int, index: int) -> None:
        self._index = index
        self._seed = seed
        self._epoch = 0
        self._reseed()

    def _reseed(self) -> None:
        mixed = np.random.SeedSequence([self._seed, self._epoch]).generate_state(2, np.uint32)
        with _cupy.cuda.Device(self._index):
            self._rs = _cupy.random.RandomState(int(mixed[0]) << 32 | int(mixed[1]))

    def _run(self, name: str, *args, **kwargs):
        with _cupy.cuda.Device(self._index):
            return getattr(self._rs, name)(*args, **kwargs)

    def uniform(self, shape, np_dtype):
        return self._run("random_sample", shape, dtype=np_dtype)

    def normal(self, shape, np_dtype):
        return self._run("standard_normal", shape, dtype=np_dtype)

    def exponential(self, shape, np_dtype):
        return self._run("standard_exponential", shape, dtype=np_dtype)

    def cauchy(self, shape):
        return self._run("standard_cauchy", shape, dtype=np.float64)

    def integers(self, low: int, high: int, shape):
        return self._run("randint", low, high, shape, dtype=np.int64)

    def geometric(self, p: float, shape):
        return self._run("geometric", p, shape, dtype=np.int64)

    def poisson(self, lam):
        return self._run("poisson", lam, lam.shape, dtype=np.int64)

    def permutation(self, n: int):
        return self._run("permutation", n)

    def get_state(self) -> bytes:
        self._epoch += 1
        self._reseed()
        return self._seed.to_bytes(8, "little") + self._epoch.to_bytes(8, "little")

    def set_state(self, raw: bytes) -> None:
        self._seed = int.from_bytes(raw[0:8], "little")
        self._epoch = int.from_bytes(raw[8:16], "little")
        self._reseed()


def random_stream(dev: device, seed: int):
    """A seeded random source for arrays on `dev` (numpy on CPU, cupy on CUDA)."""
    if dev.type == "cpu":
        return NumpyRandomStream(seed)
    return CupyRandomStream(seed, dev.index or 0)


# ------------------------------------------------------------------------------- CUDA queries -----
def cuda_device_properties(index: int) -> dict:
    props = _cupy.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return {
        "name": name.decode() if isinstance(name, bytes) else str(name),
        "total_memory": int(props["totalGlobalMem"]),
        "major": int(props["major"]),
        "minor": int(props["minor"]),
        "multi_processor_count": int(props["multiProcessorCount"]),
    }


def cuda_synchronize(index: int) -> None:
    with _cupy.cuda.Device(index):
        _cupy.cuda.Device(index).synchronize()


def cuda_mem_get_info(index: int) -> tuple[int, int]:
    with _cupy.cuda.Device(index):
        free, total = _cupy.cuda.runtime.memGetInfo()
    return int(free), int(total)


def cuda_pool_bytes() -> tuple[int, int]:
    """(bytes in use, bytes held) by cupy's default memory pool; (0, 0) without cupy."""
    if _cupy is None:
        return 0, 0
    pool = _cupy.get_default_memory_pool()
    return int(pool.used_bytes()), int(pool.total_bytes())


def cuda_empty_cache() -> None:
    if _cupy is not None:
        _cupy.get_default_memory_pool().free_all_blocks()
        _cupy.get_default_pinned_memory_pool().free_all_blocks()


# ---------------------------------------------------------------------------------- DLPack --------
_DLPACK_CPU, _DLPACK_CUDA = 1, 2


def array_from_dlpack(obj):
    """Zero-copy array for an object speaking DLPack (__dlpack__ + __dlpack_device__)."""
    dev_type, _ = obj.__dlpack_device__()
    if dev_type == _DLPACK_CPU:
        return np.from_dlpack(obj)
    if dev_type == _DLPACK_CUDA and _cupy is not None:
        return _cupy.from_dlpack(obj)
    raise RuntimeError(f"Unsupported device type {dev_type} in DLPack (the engine takes CPU and CUDA arrays)")
