"""What runs inside a DataLoader worker: seeding, fetching + collating batches, shipping them back."""

from __future__ import annotations

import os
import queue
import random
import signal
import sys
import threading
import traceback
from typing import Any

import numpy as np

from ...tensor import Tensor

__all__ = ["WorkerInfo", "get_worker_info"]

# how often an idle worker checks the done event and that its parent lives; the None task that normally ends
# a worker never arrives when the loader is garbage collected (the queue's feeder thread is finalised first)
_POLL_S = 0.1


class WorkerInfo:
    """Facts about the current worker (id, num_workers, seed, dataset), for worker_init_fn / datasets."""

    __initialized = False

    def __init__(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key: str, val: Any) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


_process_worker_info: WorkerInfo | None = None  # set in a forked worker process
_thread_worker_info = threading.local()  # set in a worker thread (fallback without fork)


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the DataLoader worker this code runs in; None in the main process."""
    info = getattr(_thread_worker_info, "info", None)
    return info if info is not None else _process_worker_info


class ExceptionWrapper:
    """An exception caught in a worker, re-raised in the main process with the worker's traceback."""

    def __init__(self, exc_info, where: str) -> None:
        self.exc_type = exc_info[0]
        self.exc_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self) -> None:
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError shows repr() of its argument; this keeps the traceback text readable."""

    def __repr__(self) -> str:
        return str(self)


class IterableStop:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


# ------------------------------------------------------------------------------ wire format ------
class _WireTensor:
    """A tensor leaf travelling between processes as its numpy array (tensors are not picklable)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _map_leaves(obj, fn):
    if isinstance(obj, (Tensor, _WireTensor)):
        return fn(obj)
    if isinstance(obj, dict):
        out = {k: _map_leaves(v, fn) for k, v in obj.items()}
        if type(obj) is not dict:
            try:
                return type(obj)(out)
            except TypeError:
                return out
        return out
    if _is_namedtuple(obj):
        return type(obj)(*(_map_leaves(v, fn) for v in obj))
    if isinstance(obj, (list, tuple)):
        items = [_map_leaves(v, fn) for v in obj]
        return items if type(obj) is list else (tuple(items) if type(obj) is tuple else type(obj)(items))
    return obj


def _tensor_to_wire(t):
    from ...backend import to_numpy

    return _WireTensor(to_numpy(t._data))


def _wire_to_tensor(w):
    return Tensor._make(w.array)


def to_wire(obj):
    return _map_leaves(obj, _tensor_to_wire)


def from_wire(obj):
    return _map_leaves(obj, _wire_to_tensor)


# -------------------------------------------------------------------------------- fetching -------
class Fetcher:
    """Turns one index (or index batch) from the sampler into one collated batch."""

    def __init__(self, dataset, is_iterable: bool, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.is_iterable = is_iterable
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False
        self._it = iter(dataset) if is_iterable else None

    def fetch(self, index):
        if self.is_iterable:
            return self._fetch_iterable(index)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        return self.collate_fn(data)

    def _fetch_iterable(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self._it))
        data = []
        for _ in index:
            try:
                data.append(next(self._it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def seed_worker(seed: int, base_seed: int, worker_id: int) -> None:
    """Seed Python's, the engine's and numpy's global generators of this worker (torch's scheme)."""
    from ...random_state import manual_seed

    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed % (1 << 64)]).generate_state(4))


def run_worker(cfg: dict, worker_id: int, get_task, put_result, in_process: bool) -> None:
    """The worker loop: take (epoch, send_idx, index) tasks until a None task; answer each one."""
    global _process_worker_info
    seed = cfg["base_seed"] + worker_id
    info = WorkerInfo(id=worker_id, num_workers=cfg["num_workers"], seed=seed, dataset=cfg["dataset"])
    if in_process:
        _process_worker_info = info
        seed_worker(seed, cfg["base_seed"], worker_id)
    else:
        _thread_worker_info.info = info
    where = f"in DataLoader worker process {worker_id}"
    init_error = None
    try:
        if cfg["worker_init_fn"] is not None:
            cfg["worker_init_fn"](worker_id)
    except Exception:
        init_error = ExceptionWrapper(sys.exc_info(), where)

    def make_fetcher():
        return Fetcher(cfg["dataset"], cfg["is_iterable"], cfg["auto_collation"], cfg["collate_fn"],
                       cfg["drop_last"])

    fetcher, epoch = None, None
    while True:
        task = get_task()
        if task is None:
            return
        task_epoch, send_idx, index = task
        if init_error is not None:
            data, init_error = init_error, None
        else:
            try:
                if task_epoch != epoch:  # a new epoch (persistent workers): fresh iterator over the dataset
                    fetcher, epoch = make_fetcher(), task_epoch
                data = fetcher.fetch(index)
                if in_process:
                    data = to_wire(data)
            except StopIteration:
                data = IterableStop(worker_id)
            except Exception:
                data = ExceptionWrapper(sys.exc_info(), where)
        if not put_result((send_idx, data)):
            return


def process_main(cfg: dict, worker_id: int, task_queue, conn, parent_pid: int, done, inherited: list) -> None:
    """Entry point of a forked worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's business
    for c in inherited:
        c.close()

    def get_task():
        while not done.is_set():
            try:
                task = task_queue.get(timeout=_POLL_S)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    return None
                continue
            return None if done.is_set() else task
        return None

    def put_result(item) -> bool:
        try:
            conn.send(item)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            return False  # the main process stopped listening
        except Exception:
            payload = item[1]
            if isinstance(payload, ExceptionWrapper):
                payload.exc_type = RuntimeError  # its own class could not be sent (e.g. defined locally)
            else:  # the batch could not be sent: report why
                payload = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
            try:
                conn.send((item[0], payload))
            except Exception:
                return False
        return True

    try:
        run_worker(cfg, worker_id, get_task, put_result, in_process=True)
    finally:
        conn.close()


def thread_main(cfg: dict, worker_id: int, task_queue: queue.Queue, results: queue.Queue) -> None:
    """Entry point of a worker thread (used where fork is unavailable)."""

    def put_result(item) -> bool:
        results.put(item)
        return True

    run_worker(cfg, worker_id, task_queue.get, put_result, in_process=False)
