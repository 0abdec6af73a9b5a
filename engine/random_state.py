"""Random number generators: Generator objects, the default generators, seeding and RNG state."""

from __future__ import annotations

import contextlib
import os

import numpy as np

from . import backend

DEFAULT_SEED = 67280421310721
_UINT64 = 1 << 64
_SEED_BYTES = 8


def _seed_value(seed) -> int:
    """torch's seed rule: any int in [-2**63, 2**64), negative values wrap around to uint64."""
    seed = int(seed)
    if not -(1 << 63) <= seed < _UINT64:
        raise ValueError("Overflow when unpacking long long")
    return seed % _UINT64


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)


class Generator:
    """A seeded random source for one device; pass it as `generator=` to sampling functions."""

    def __init__(self, device="cpu") -> None:
        dev = backend.device(device)
        if dev.type == "cuda":
            try:
                dev = backend.canonical_device(dev)
            except (AssertionError, RuntimeError):
                raise RuntimeError(
                    "Cannot get CUDA generator without ATen_cuda library. (the engine's CUDA backend needs "
                    "cupy and a CUDA device)"
                ) from None
        elif dev.type != "cpu":
            raise RuntimeError(f"Generator for device type '{dev.type}' is not supported")
        else:
            dev = backend.CPU
        self._device = dev
        self._seed = DEFAULT_SEED
        self._stream = backend.random_stream(dev, DEFAULT_SEED)

    @property
    def device(self) -> backend.device:
        return self._device

    def manual_seed(self, seed) -> Generator:
        self._seed = _seed_value(seed)
        self._stream = backend.random_stream(self._device, self._seed)
        return self

    def seed(self) -> int:
        value = _fresh_seed()
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The full state as a uint8 CPU tensor (initial seed + stream state); set_state restores it."""
        from .ops._helpers import new

        raw = self._seed.to_bytes(_SEED_BYTES, "little") + self._stream.get_state()
        return new(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        from .tensor import Tensor

        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        expected = _SEED_BYTES + type(self._stream).STATE_BYTES
        raw = backend.to_numpy(new_state._data).tobytes()
        if len(raw) != expected:
            kind = "CPU" if self._device.type == "cpu" else "CUDA"
            raise RuntimeError(f"Expected a {kind}GeneratorImplState of size {expected} but found the input "
                               f"RNG state size to be {len(raw)}")
        self._seed = int.from_bytes(raw[:_SEED_BYTES], "little")
        self._stream.set_state(raw[_SEED_BYTES:])
        return self

    def __repr__(self) -> str:
        return f"<engine.Generator object at {hex(id(self))}>"


default_generator = Generator()
_cuda_generators: dict[int, Generator] = {}
_cuda_pending_seeds: dict[int | None, int] = {}  # seeds given before a device's generator existed


def cuda_generator(index: int) -> Generator:
    """The default generator of CUDA device `index` (created on first use, so seeding never touches a GPU
    that is not used)."""
    gen = _cuda_generators.get(index)
    if gen is None:
        gen = Generator(f"cuda:{index}")
        pending = _cuda_pending_seeds.pop(index, _cuda_pending_seeds.get(None))
        if pending is not None:
            gen.manual_seed(pending)
        _cuda_generators[index] = gen
    return gen


def seed_cuda(seed, index: int | None = None) -> None:
    """Seed CUDA device `index`'s generator (all devices when None), now or when it is first used."""
    seed = _seed_value(seed)
    if index is None:
        _cuda_pending_seeds.clear()
        _cuda_pending_seeds[None] = seed
        for gen in _cuda_generators.values():
            gen.manual_seed(seed)
    elif index in _cuda_generators:
        _cuda_generators[index].manual_seed(seed)
    else:
        _cuda_pending_seeds[index] = seed


def generator_for(generator: Generator | None, dev: backend.device) -> Generator:
    """The generator a sampling call on `dev` uses: the given one (device-checked) or the default."""
    if generator is None:
        return default_generator if dev.type == "cpu" else cuda_generator(dev.index or 0)
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator, not {type(generator).__name__}")
    if generator._device.type != dev.type:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                           f"'{generator._device.type}'")
    return generator


def manual_seed(seed) -> Generator:
    """Seed the CPU generator and every CUDA generator; returns the CPU default generator."""
    seed = _seed_value(seed)
    default_generator.manual_seed(seed)
    seed_cuda(seed)
    return default_generator


def seed() -> int:
    """Seed all generators with a non-deterministic number and return it."""
    value = _fresh_seed()
    manual_seed(value)
    return value


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, **_ignored):
    """Restore the CPU (and the listed CUDA devices') RNG state on exit."""
    if not enabled:
        yield
        return
    if devices is None:
        devices = range(backend.cupy_device_count())
    cpu_state = get_rng_state()
    indices = [d if isinstance(d, int) else (backend.device(d).index or 0) for d in devices]
    cuda_states = [(i, cuda_generator(i).get_state()) for i in indices]
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for index, state in cuda_states:
            cuda_generator(index).set_state(state)
