"""Split numpy work over a leading (batch) axis across threads: im2col/col2im, pooling passes, softmax rows,
and batched matmuls of small matrices.

numpy releases the GIL inside copies, ufunc loops and matmul, so chunks on disjoint batch ranges run in
parallel on engine.get_num_threads() cores. Large single GEMMs are threaded by BLAS already; a batch of
small ones is not (BLAS sees one small matrix at a time), nor are the memory-bound loops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import threads as _threads

# Below this many elements per call the thread hand-off costs more than it saves.
MIN_PARALLEL_ELEMENTS = 1 << 17

_executor: ThreadPoolExecutor | None = None
_executor_size = 0
_default_threads: int | None = None
_blas_libs: list | None = None
_blas_lock = threading.Lock()


def num_threads() -> int:
    """engine.set_num_threads' value, else the BLAS default (queried once: threadpoolctl is slow)."""
    global _default_threads
    if _threads._num_threads is not None:
        return _threads._num_threads
    if _default_threads is None:
        _default_threads = _threads.get_num_threads()
    return _default_threads


def _pool(workers: int) -> ThreadPoolExecutor:
    global _executor, _executor_size
    if _executor is None or _executor_size < workers:
        _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine-nn")
        _executor_size = workers
    return _executor


def run_chunks(m, fn: Callable[[int, int], None], n: int, work: int) -> None:
    """Call fn(lo, hi) on contiguous ranges covering [0, n); in parallel for large numpy work."""
    threads = min(num_threads(), n) if m is np and work >= MIN_PARALLEL_ELEMENTS else 1
    if threads <= 1:
        fn(0, n)
        return
    bounds = [n * i // threads for i in range(threads + 1)]
    pool = _pool(threads - 1)
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()


def _openblas_libs() -> list:
    """threadpoolctl controllers of the OpenBLAS libraries loaded (found once; setting them costs ~1 us)."""
    global _blas_libs
    if _blas_libs is None:
        controller = _threads._blas_controller()
        _blas_libs = [] if controller is None else [
            lib for lib in controller.lib_controllers if lib.internal_api == "openblas"]
    return _blas_libs


def run_chunks_gemm(fn: Callable[[int, int], None], n: int, work: int) -> None:
    """run_chunks for numpy chunks that also call BLAS: with several threads, each thread does its own
    chunk's GEMMs while OpenBLAS is held at 1 thread (no oversubscription, and the chunk's freshly written
    operands are still in that core's cache). Falls back to one call when the split cannot pay off."""
    threads = min(num_threads(), n) if work >= MIN_PARALLEL_ELEMENTS else 1
    libs = _openblas_libs() if threads > 1 else []
    if threads <= 1 or not libs or not _blas_lock.acquire(blocking=False):
        fn(0, n)
        return
    try:
        saved = [lib.get_num_threads() for lib in libs]
        for lib in libs:
            lib.set_num_threads(1)
        try:
            bounds = [n * i // threads for i in range(threads + 1)]
            pool = _pool(threads - 1)
            futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, threads)]
            fn(bounds[0], bounds[1])
            for f in futures:
                f.result()
        finally:
            for lib, count in zip(libs, saved):
                lib.set_num_threads(count)
    finally:
        _blas_lock.release()
