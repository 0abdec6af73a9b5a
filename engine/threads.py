"""Thread controls. The engine does its own intra-op threading (engine/_parallel.py splits batched matmuls,
memory-bound loops and, when those run, large GEMMs across a pool of get_num_threads() threads) and keeps
BLAS single-threaded, except for single large GEMMs while none of that chunked work runs.

Why not BLAS threads: OpenBLAS workers busy-wait for a while after each threaded call, so on a machine with
few cores they took the very cores the engine's own chunks needed next (MultiheadAttention and a LeNet step
ran no faster on 2 threads than on 1). With BLAS at one thread while the pool works, nothing spins against
it. The cost: BLAS and LAPACK calls the engine does not split (linalg) run on one core, and numpy's own
BLAS calls in the same process do too once the engine is imported.
"""

from __future__ import annotations

import os

_num_threads: int | None = None
_num_interop_threads: int | None = None
_default_threads: int | None = None
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


def keep_blas_single_threaded() -> None:
    """Record BLAS's own thread count as the engine's default (it honours OMP_NUM_THREADS and
    OPENBLAS_NUM_THREADS), then hold BLAS at one thread. Called once at import."""
    global _default_threads
    controller = _blas_controller()
    if controller is None:
        _default_threads = _cpu_count()
        return
    counts = [info["num_threads"] for info in controller.info() if info.get("user_api") == "blas"]
    _default_threads = max(counts) if counts else _cpu_count()
    controller.limit(limits=1, user_api="blas")  # OpenMP (torch's, scikit-learn's) is not ours to limit


_blas_libraries: list | None = None


def blas_libraries() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded (found once; setting one costs ~1 us)."""
    global _blas_libraries
    if _blas_libraries is None:
        controller = _blas_controller()
        _blas_libraries = [] if controller is None else [
            lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    return _blas_libraries


def get_num_threads() -> int:
    """Threads used for intra-op parallelism: the value set, else BLAS's count when the engine loaded."""
    if _num_threads is not None:
        return _num_threads
    return _default_threads if _default_threads is not None else _cpu_count()


def set_num_threads(n: int) -> None:
    global _num_threads
    _num_threads = _check(n, "set_num_threads")


def get_num_interop_threads() -> int:
    return _num_interop_threads if _num_interop_threads is not None else _cpu_count()


def set_num_interop_threads(n: int) -> None:
    """Accepted for compatibility (the engine runs ops on the calling thread)."""
    global _num_interop_threads
    _num_interop_threads = _check(n, "set_num_interop_threads")
