"""engine.cuda: device queries, memory statistics and seeding for the cupy-backed CUDA devices.

Everything imports and answers without cupy: is_available() is False, device_count() 0, memory counters 0,
and calls that need a GPU raise torch's errors.
"""

from __future__ import annotations

from . import backend, random_state

_peak_allocated = 0


def is_available() -> bool:
    return backend.cuda_unavailable_reason() is None


def device_count() -> int:
    return backend.cupy_device_count()


def is_initialized() -> bool:
    return is_available()


def init() -> None:
    _require()


def _require() -> None:
    reason = backend.cuda_unavailable_reason()
    if reason is not None:
        raise AssertionError(reason) if backend.cupy_module() is None else RuntimeError(reason)


def _index(device=None) -> int:
    """Device argument (None, int, 'cuda:1', device) -> CUDA index; None means the current device."""
    _require()
    if device is None:
        return backend.current_cuda_index()
    if isinstance(device, int) and not isinstance(device, bool):
        index = device
    else:
        dev = backend.device(device)
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        index = backend.current_cuda_index() if dev.index is None else dev.index
    if not 0 <= index < device_count():
        raise AssertionError("Invalid device id")
    return index


def current_device() -> int:
    _require()
    return backend.current_cuda_index()


def set_device(device) -> None:
    index = device if isinstance(device, int) else backend.device(device).index
    if index is None or index < 0:
        return
    backend.set_current_cuda_index(_index(index))


class device:  # noqa: N801 - mirrors torch.cuda.device
    """Context manager that makes a CUDA device current; index -1 or None does nothing (like torch)."""

    def __init__(self, device) -> None:
        if device is None:
            self.idx = -1
        elif isinstance(device, int):
            self.idx = device
        else:
            dev = backend.device(device)
            self.idx = -1 if dev.type != "cuda" else (0 if dev.index is None else dev.index)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx == -1:
            return self
        if backend.cupy_module() is None:
            raise RuntimeError("PyTorch was compiled without CUDA support")
        self.prev_idx = backend.current_cuda_index()
        backend.set_current_cuda_index(_index(self.idx))
        return self

    def __exit__(self, *exc) -> bool:
        if self.prev_idx != -1:
            backend.set_current_cuda_index(self.prev_idx)
        return False


class _CudaDeviceProperties:
    __slots__ = ("name", "total_memory", "major", "minor", "multi_processor_count")

    def __init__(self, props: dict) -> None:
        for key in self.__slots__:
            setattr(self, key, props[key])

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None) -> _CudaDeviceProperties:
    return _CudaDeviceProperties(backend.cuda_device_properties(_index(device)))


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple[int, int]:
    props = get_device_properties(device)
    return props.major, props.minor


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False  # the engine has no bfloat16 dtype


def synchronize(device=None) -> None:
    backend.cuda_synchronize(_index(device))


def mem_get_info(device=None) -> tuple[int, int]:
    return backend.cuda_mem_get_info(_index(device))


# ------------------------------------------------------------------------------------- memory -------
# cupy's default pool serves every device; its counters stand in for torch's caching allocator.
def memory_allocated(device=None) -> int:
    global _peak_allocated
    used = backend.cuda_pool_bytes()[0]
    _peak_allocated = max(_peak_allocated, used)
    return used


def max_memory_allocated(device=None) -> int:
    """Peak of the pool's used bytes as observed by the memory_* calls (cupy keeps no peak counter)."""
    return max(_peak_allocated, memory_allocated(device))


def memory_reserved(device=None) -> int:
    return backend.cuda_pool_bytes()[1]


def max_memory_reserved(device=None) -> int:
    return memory_reserved(device)


def reset_peak_memory_stats(device=None) -> None:
    global _peak_allocated
    _require()
    _peak_allocated = backend.cuda_pool_bytes()[0]


def reset_max_memory_allocated(device=None) -> None:
    reset_peak_memory_stats(device)


def memory_stats(device=None) -> dict:
    used, held = backend.cuda_pool_bytes()
    return {"allocated_bytes.all.current": used, "allocated_bytes.all.peak": max_memory_allocated(device),
            "reserved_bytes.all.current": held}


def empty_cache() -> None:
    backend.cuda_empty_cache()


# -------------------------------------------------------------------------------------- seeding ------
def manual_seed(seed) -> None:
    """Seed the current device's generator; silently nothing without CUDA (torch seeds lazily)."""
    random_state.seed_cuda(int(seed), backend.current_cuda_index())


def manual_seed_all(seed) -> None:
    random_state.seed_cuda(int(seed))


def seed() -> None:
    manual_seed(random_state._fresh_seed())


def seed_all() -> None:
    manual_seed_all(random_state._fresh_seed())


def initial_seed() -> int:
    return random_state.cuda_generator(_index()).initial_seed()


def get_rng_state(device="cuda"):
    return random_state.cuda_generator(_index(device)).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    random_state.cuda_generator(_index(device)).set_state(new_state)


def get_rng_state_all() -> list:
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    for index, state in enumerate(new_states):
        set_rng_state(state, index)
