"""DataLoader: batches from a dataset through a sampler, in the main process or in parallel workers."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import multiprocessing.connection
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ... import _dtype as dt
from ...ops.creation import empty
from ...random_state import Generator
from . import _worker
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
_JOIN_S = 2.0  # how long shutdown waits for a worker to leave before terminating it
_CHECK_S = 5.0  # how often a waiting main process checks that its workers are alive


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: None forever (the dataset decides what comes next)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


def _fork_context():
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


class DataLoader:
    """Iterates over `dataset` in batches; `num_workers > 0` loads batches in worker processes."""

    __initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                             "None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.in_order = in_order

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                                 f"got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but "
                                 f"got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator: _BaseIter | None = None
        self.__initialized = True

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a "
                                "string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__initialized and attr in _FROZEN:
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is "
                             "initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _BaseIter:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiWorkerIter(self)
        if self._iterator is None:
            self._iterator = _MultiWorkerIter(self)
        else:
            self._iterator.reset(self)
        return self._iterator

    def __len__(self) -> int:
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        pass


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        # a weak reference: a persistent iterator is owned by its loader, and no cycle keeps either alive
        self._loader_ref = weakref.ref(loader)
        self._dataset = loader.dataset
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._sampler_iter = iter(self._index_sampler)
        # drawn from the loader's generator before the sampler draws, as torch does
        self._base_seed = int(empty((), dtype=dt.int64).random_(generator=loader.generator).item())
        self._num_yielded = 0

    def __iter__(self) -> _BaseIter:
        return self

    def __len__(self) -> int:
        loader = self._loader_ref()
        if loader is None:
            raise TypeError("the DataLoader of this iterator no longer exists")
        return len(loader)

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        return data

    def _next_data(self) -> Any:
        raise NotImplementedError


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = _worker.Fetcher(loader.dataset, loader._is_iterable, loader._auto_collation,
                                        loader.collate_fn, loader.drop_last)

    def _next_data(self) -> Any:
        index = self._next_index()
        return self._fetcher.fetch(index)


class _MultiWorkerIter(_BaseIter):
    """In-order prefetching over worker processes (forked) or, without fork, worker threads."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch = loader.prefetch_factor * self._num_workers
        self._persistent = loader.persistent_workers
        self._owner_pid = os.getpid()
        self._shutdown = False
        self._epoch = 0
        cfg = {"dataset": loader.dataset, "num_workers": self._num_workers, "base_seed": self._base_seed,
               "worker_init_fn": loader.worker_init_fn, "is_iterable": loader._is_iterable,
               "auto_collation": loader._auto_collation, "collate_fn": loader.collate_fn,
               "drop_last": loader.drop_last}
        ctx = _fork_context()
        self._in_process = ctx is not None
        self._workers: list = []
        self._task_queues: list = []
        self._conns: list = []
        if self._in_process:
            self._done = ctx.Event()
            for i in range(self._num_workers):
                tq = ctx.Queue()
                recv, send = ctx.Pipe(duplex=False)
                # the child closes every read end it inherited, so a send after the main process stopped
                # listening fails at once instead of filling a pipe nobody reads
                p = ctx.Process(target=_worker.process_main,
                                args=(cfg, i, tq, send, self._owner_pid, self._done, [*self._conns, recv]),
                                daemon=True)
                p.start()
                send.close()
                self._workers.append(p)
                self._task_queues.append(tq)
                self._conns.append(recv)
        else:
            self._results: queue.Queue = queue.Queue()
            for i in range(self._num_workers):
                tq = queue.Queue()
                t = threading.Thread(target=_worker.thread_main, args=(cfg, i, tq, self._results),
                                     daemon=True)
                t.start()
                self._workers.append(t)
                self._task_queues.append(tq)
        self._start_epoch(first=True)

    def reset(self, loader: DataLoader) -> None:
        """Start a new epoch on the same (persistent) workers."""
        self._sampler_iter = iter(loader._index_sampler)
        self._num_yielded = 0
        self._start_epoch(first=False)

    def _start_epoch(self, first: bool) -> None:
        if not first:
            # drain what the previous (abandoned) epoch still has in flight
            while self._outstanding > 0:
                self._receive()
                self._outstanding -= 1
        self._epoch += 1
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._task_queues[worker_id].put((self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._outstanding += 1
        self._send_idx += 1

    def _next_data(self) -> Any:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(data)
            idx, data = self._receive()
            self._outstanding -= 1
            if isinstance(data, _worker.IterableStop):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                self._rcvd_idx += 1
                return self._process(data)

    def _process(self, data) -> Any:
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return _worker.from_wire(data) if self._in_process else data

    def _receive(self):
        """The next (send_idx, data) from any worker; raises if workers died or the timeout passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait_s = _CHECK_S if deadline is None else min(_CHECK_S, max(0.0, deadline - time.monotonic()))
            if self._in_process:
                ready = multiprocessing.connection.wait(self._conns, timeout=wait_s)
                for conn in ready:
                    try:
                        return conn.recv()
                    except (EOFError, OSError):
                        self._raise_if_workers_died(force=True)
            else:
                try:
                    return self._results.get(timeout=wait_s)
                except queue.Empty:
                    pass
            self._raise_if_workers_died()
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _raise_if_workers_died(self, force: bool = False) -> None:
        if not self._in_process:
            return
        for _ in range(20 if force else 1):  # a closed pipe can be seen before the exit status
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                self._shutdown_workers()
                pids = ", ".join(str(w.pid) for w in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            time.sleep(0.05 if force else 0)
        if force:
            raise RuntimeError("DataLoader worker closed its connection unexpectedly")

    def _shutdown_workers(self) -> None:
        if self._shutdown or os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        if self._in_process:
            self._done.set()
        for conn in self._conns:  # a worker blocked sending a batch wakes up with a broken pipe
            with contextlib.suppress(OSError):
                conn.close()
        for tq in self._task_queues:
            with contextlib.suppress(OSError, ValueError):
                tq.put(None)
        if self._in_process:
            for w in self._workers:
                w.join(timeout=_JOIN_S)
                if w.is_alive():
                    w.terminate()
                    w.join()
            for tq in self._task_queues:
                tq.cancel_join_thread()
                with contextlib.suppress(OSError, ValueError):
                    tq.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._shutdown_workers()
