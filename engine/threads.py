"""Thread controls: set_num_threads drives the BLAS thread pools (via threadpoolctl)."""

from __future__ import annotations

import os

_num_threads: int | None = None
_num_interop_threads: int | None = None
_controller = None


def _blas_controller():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # threadpoolctl is a dependency, but stay usable without it
            return None
        _controller = ThreadpoolController()
    return _controller


def _check(n, fn: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return n


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """Threads used for intra-op parallelism (the BLAS pools): the value set, else what BLAS reports."""
    global _default_threads
    if _num_threads is not None:
        return _num_threads
    if _default_threads is None:  # querying threadpoolctl costs milliseconds: ask once
        controller = _blas_controller()
        counts = [info["num_threads"] for info in controller.info() if info.get("user_api") == "blas"] \
            if controller is not None else []
        _default_threads = max(counts) if counts else _cpu_count()
    return _default_threads


_default_threads: int | None = None


def set_num_threads(n: int) -> None:
    global _num_threads
    n = _check(n, "set_num_threads")
    controller = _blas_controller()
    if controller is not None:
        controller.limit(limits=n, user_api="blas")
        controller.limit(limits=n, user_api="openmp")
    _num_threads = n


def get_num_interop_threads() -> int:
    return _num_interop_threads if _num_interop_threads is not None else _cpu_count()


def set_num_interop_threads(n: int) -> None:
    """Accepted for compatibility (the engine runs ops on the calling thread)."""
    global _num_interop_threads
    _num_interop_threads = _check(n, "set_num_interop_threads")
