"""The engine's intra-op threading: numpy work split across a pool of engine.get_num_threads() threads.

numpy releases the GIL inside copies, ufunc loops and matmul, so chunks on disjoint ranges run in parallel:
memory-bound loops (im2col/col2im, pooling, softmax rows) over their batch axis and batched matmuls over
the batch. BLAS is held at one thread (threads.py says why). A single large GEMM goes to BLAS's own
threads while no chunked work ran lately (a plain MLP: BLAS partitions one GEMM better than a split does),
and is split here otherwise (over columns, rows or the reduction), where BLAS's busy-waiting workers
would take the core the chunks need.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import threads as _threads

# Below this many elements per call the thread hand-off costs more than it saves.
MIN_PARALLEL_ELEMENTS = 1 << 17
# The same for matrix products, in multiply-adds: a batch of independent small products pays off from a few
# million; one GEMM split in two (both halves re-reading the shared operand) only from about eight million.
MIN_PARALLEL_MACS = 1 << 21
MIN_SPLIT_GEMM_MACS = 1 << 23
ROWS_PER_THREAD = 8  # a GEMM is split over rows only when each thread gets at least this many

# Single GEMMs use BLAS's own threads while no chunked work ran for this long (see gemm).
CHUNKS_QUIET_SECONDS = 1.0
_last_chunks = float("-inf")
_executor: ThreadPoolExecutor | None = None
_executor_size = 0


def num_threads() -> int:
    """engine.get_num_threads(), inlined: it is asked on every op that may split."""
    if _threads._num_threads is not None:
        return _threads._num_threads
    return _threads.get_num_threads()


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
    global _last_chunks
    _last_chunks = time.monotonic()
    _split(fn, n, threads)


def pool_busy_lately() -> bool:
    """Whether the engine's own chunks ran in the last CHUNKS_QUIET_SECONDS."""
    return time.monotonic() - _last_chunks <= CHUNKS_QUIET_SECONDS


def _blas_threaded(a, b, threads: int):
    """a @ b on BLAS's own threads (see gemm), or None when BLAS's threads cannot be set."""
    libs = _threads.blas_libraries()
    if not libs:
        return None
    for lib in libs:
        lib.set_num_threads(threads)
    try:
        return a @ b
    finally:
        for lib in libs:
            lib.set_num_threads(1)


def batched_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """a @ b for same-batch stacks of float matrices, the batch split across threads (BLAS sees one small
    matrix at a time and runs single-threaded); None when the split cannot pay off (one thread, broadcast
    batch dims, little work)."""
    batch = a.shape[:-2]
    if batch != b.shape[:-2] or a.dtype.kind not in "fc" or num_threads() < 2:
        return None
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    if k != b.shape[-2]:
        raise ValueError
    count = int(np.prod(batch))
    if count < 2 or count * m * n * k < MIN_PARALLEL_MACS:
        return None
    a3, b3 = a.reshape(count, m, k), b.reshape(count, k, n)
    out = np.empty((count, m, n), dtype=a.dtype)

    def chunk(lo: int, hi: int) -> None:
        np.matmul(a3[lo:hi], b3[lo:hi], out=out[lo:hi])

    run_chunks(np, chunk, count, MIN_PARALLEL_ELEMENTS)
    return out.reshape(batch + (m, n))


def gemm(a, b):
    """a @ b for 2-D matrices, split across the engine's threads when it is large enough to pay off: over
    b's columns or a's rows, whichever belongs to the larger operand, else over the reduction."""
    m, k = a.shape
    n = b.shape[1]
    threads = num_threads()
    if (threads < 2 or m * n * k < MIN_SPLIT_GEMM_MACS or type(a) is not np.ndarray
            or type(b) is not np.ndarray):
        return a @ b
    if not pool_busy_lately():
        # no chunked work lately (a plain MLP): BLAS's own threads partition one GEMM better than a split
        # here; their busy-waiting afterwards only hurts when the engine's chunks want that core
        out = _blas_threaded(a, b, threads)
        if out is not None:
            return out
    if n >= max(m, ROWS_PER_THREAD * threads):
        # split b's columns: each thread reads (and BLAS packs) only its part of the larger operand
        out = np.empty((m, n), dtype=np.result_type(a, b))

        def columns(lo: int, hi: int) -> None:
            np.matmul(a, b[:, lo:hi], out=out[:, lo:hi])

        _split(columns, n, threads)
        return out
    if m >= ROWS_PER_THREAD * threads:
        out = np.empty((m, n), dtype=np.result_type(a, b))

        def rows(lo: int, hi: int) -> None:
            np.matmul(a[lo:hi], b, out=out[lo:hi])

        _split(rows, m, threads)
        return out
    if k >= ROWS_PER_THREAD * threads:  # few rows, a long reduction (weight gradients): partial products
        parts: list = [None] * threads
        bounds = _bounds(k, threads)

        def reduction(i: int, _unused: int) -> None:
            parts[i] = a[:, bounds[i]:bounds[i + 1]] @ b[bounds[i]:bounds[i + 1]]

        _split(reduction, threads, threads, by_index=True)
        total = parts[0]
        for part in parts[1:]:
            total += part
        return total
    return a @ b


def gemm_pair(a1, b1, a2, b2) -> tuple:
    """(a1 @ b1, a2 @ b2): two independent products (a layer's input and weight gradients) side by side,
    each whole on its own thread, which costs one hand-off instead of splitting both."""
    work1 = a1.shape[0] * a1.shape[1] * b1.shape[1]
    work2 = a2.shape[0] * a2.shape[1] * b2.shape[1]
    balanced = max(work1, work2) <= 4 * min(work1, work2)
    if (num_threads() < 2 or min(work1, work2) < MIN_PARALLEL_MACS or not balanced
            or type(a1) is not np.ndarray or type(a2) is not np.ndarray or not pool_busy_lately()):
        return gemm(a1, b1), gemm(a2, b2)
    second = _pool(1).submit(np.matmul, a2, b2)
    first = a1 @ b1
    return first, second.result()


def _bounds(n: int, parts: int) -> list[int]:
    return [n * i // parts for i in range(parts + 1)]


def _split(fn: Callable[[int, int], None], n: int, threads: int, by_index: bool = False) -> None:
    """fn on `threads` ranges of [0, n) (or fn(i, i + 1) for each part index when by_index), in parallel."""
    bounds = list(range(threads + 1)) if by_index else _bounds(n, threads)
    pool = _pool(threads - 1)
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    fn(bounds[0], bounds[1])
    for f in futures:
        f.result()
