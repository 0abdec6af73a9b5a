"""DataLoader with num_workers > 0: parallel, ordered, seeded, errors re-raised, workers cleaned up."""

import gc
import os
import time

import numpy as np
import pytest

import engine as torch
from engine.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


class Slow(Dataset):
    def __init__(self, n, delay=0.05):
        self.n, self.delay = n, delay

    def __getitem__(self, i):
        time.sleep(self.delay)
        return torch.tensor([float(i)]), i

    def __len__(self):
        return self.n


class WhoAmI(Dataset):
    def __getitem__(self, i):
        info = get_worker_info()
        return {"worker": info.id, "pid": os.getpid(), "seed": info.seed, "rand": torch.rand(1).item(),
                "np": float(np.random.rand())}

    def __len__(self):
        return 8


class Boom(Dataset):
    def __getitem__(self, i):
        if i == 3:
            raise ValueError("bad sample 3")
        return i

    def __len__(self):
        return 6


class Shards(IterableDataset):
    """Each worker yields its own interleaved share of range(n)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def _alive_children(pids):
    alive = []
    for pid in pids:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue  # already reaped
        if waited == 0:
            alive.append(pid)
    return alive


class Stamped(Slow):
    """Each sample also says which process loaded it and when (wall clock)."""

    def __getitem__(self, i):
        start = time.time()
        x, y = super().__getitem__(i)
        return x, y, os.getpid(), start, time.time()


def test_workers_run_in_parallel_and_match_single_process():
    serial = [(x.tolist(), y.tolist()) for x, y in DataLoader(Slow(8), batch_size=1)]
    loaded = list(DataLoader(Stamped(8), batch_size=1, num_workers=4))
    assert [(x.tolist(), y.tolist()) for x, y, *_ in loaded] == serial
    spans = [(int(pid), float(start), float(end)) for _, _, pid, start, end in loaded]
    assert len({pid for pid, _, _ in spans}) > 1 and os.getpid() not in {pid for pid, _, _ in spans}
    # real parallelism: two worker processes were inside __getitem__ at the same time
    assert any(p1 != p2 and s1 < e2 and s2 < e1
               for p1, s1, e1 in spans for p2, s2, e2 in spans), spans


def test_shuffle_order_independent_of_num_workers():
    ds = TensorDataset(torch.arange(20))

    def order(workers):
        loader = DataLoader(ds, batch_size=3, shuffle=True, num_workers=workers,
                            generator=torch.Generator().manual_seed(11))
        return [b[0].tolist() for b in loader]

    assert order(0) == order(2) == order(3)


def test_worker_seeds_and_worker_info():
    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2, generator=torch.Generator().manual_seed(3))
    batches = list(loader)
    assert [b["worker"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    pids = {p for b in batches for p in b["pid"].tolist()}
    assert len(pids) == 2 and os.getpid() not in pids
    seeds = sorted({s for b in batches for s in b["seed"].tolist()})
    assert seeds[1] == seeds[0] + 1
    g = torch.Generator().manual_seed(3)
    again = list(DataLoader(WhoAmI(), batch_size=2, num_workers=2, generator=g))
    assert [b["rand"].tolist() for b in again] == [b["rand"].tolist() for b in batches]
    assert [b["np"].tolist() for b in again] == [b["np"].tolist() for b in batches]
    assert batches[0]["rand"].tolist() != batches[1]["rand"].tolist()


def test_worker_exception_is_reraised_naming_the_worker():
    loader = DataLoader(Boom(), batch_size=1, num_workers=2)
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 1") as info:
        list(loader)
    assert "bad sample 3" in str(info.value)


def test_worker_init_fn_runs_in_each_worker():
    class Tagged(Dataset):
        def __getitem__(self, i):
            return np.random.get_state()[1][0] if False else TAG.get("id", -1)

        def __len__(self):
            return 4

    loader = DataLoader(Tagged(), batch_size=1, num_workers=2, worker_init_fn=lambda wid: TAG.update(id=wid))
    assert [b.item() for b in loader] == [0, 1, 0, 1]
    assert "id" not in TAG  # the main process is untouched


TAG: dict = {}


def test_iterable_dataset_with_workers():
    loader = DataLoader(Shards(10), batch_size=2, num_workers=2)
    out = [b.tolist() for b in loader]
    assert out == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]


def test_workers_exit_after_iteration_and_on_garbage_collection():
    loader = DataLoader(Slow(6, 0.0), batch_size=2, num_workers=2)
    it = iter(loader)
    pids = [w.pid for w in it._workers]
    assert list(it) and not _alive_children(pids)
    it = iter(loader)
    next(it)
    pids = [w.pid for w in it._workers]
    del it
    gc.collect()
    assert not _alive_children(pids)


def test_persistent_workers_are_reused_across_epochs():
    loader = DataLoader(Slow(4, 0.0), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b[1].tolist() for b in loader]
    pids = [w.pid for w in loader._iterator._workers]
    second = [b[1].tolist() for b in loader]
    assert first == second == [[0, 1], [2, 3]]
    workers = loader._iterator._workers
    assert [w.pid for w in workers] == pids and all(w.is_alive() for w in workers)
    del workers
    del loader
    gc.collect()
    assert not _alive_children(pids)


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.1 seconds"):
        list(DataLoader(Slow(2, 0.4), num_workers=1, timeout=0.1))


def test_thread_workers_where_fork_is_unavailable(monkeypatch):
    import engine.utils.data.dataloader as dl

    monkeypatch.setattr(dl, "_fork_context", lambda: None)
    ds = Slow(8, 0.02)
    loader = DataLoader(ds, batch_size=2, num_workers=3)
    assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    info = list(DataLoader(WhoAmI(), batch_size=4, num_workers=2))
    assert [b["worker"].tolist() for b in info] == [[0, 0, 0, 0], [1, 1, 1, 1]]
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 1"):
        list(DataLoader(Boom(), batch_size=1, num_workers=2))
