"""DataLoader in the main process: batching, shuffling, sampler options, argument errors."""

import numpy as np
import pytest

import engine as torch
from engine.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], np.float32), "y": i}

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _data():
    return TensorDataset(torch.arange(10, dtype=torch.float32).reshape(10, 1), torch.arange(10))


def test_tensor_dataset_end_to_end():
    loader = DataLoader(_data(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 1) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert y.tolist() == [0, 1, 2, 3] and batches[-1][1].tolist() == [8, 9]


def test_drop_last():
    loader = DataLoader(_data(), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_reproducible_with_generator_and_manual_seed():
    def order(**kw):
        return [b[1].tolist() for b in DataLoader(_data(), batch_size=3, shuffle=True, **kw)]

    a = order(generator=torch.Generator().manual_seed(7))
    assert a == order(generator=torch.Generator().manual_seed(7))
    assert sorted(sum(a, [])) == list(range(10))
    assert a != order(generator=torch.Generator().manual_seed(8))
    torch.manual_seed(1)
    b = order()
    torch.manual_seed(1)
    assert b == order()


def test_epochs_differ_when_shuffling():
    loader = DataLoader(_data(), batch_size=10, shuffle=True, generator=torch.Generator().manual_seed(0))
    assert next(iter(loader))[1].tolist() != next(iter(loader))[1].tolist()


def test_dict_samples_and_batch_size_none():
    batch = next(iter(DataLoader(Squares(5), batch_size=2)))
    assert batch["x"].tolist() == [[0, 0], [1, 1]] and batch["y"].tolist() == [0, 1]
    single = list(DataLoader(Squares(3), batch_size=None))
    assert len(single) == 3 and single[2]["x"].shape == (2,) and single[2]["y"] == 2


def test_custom_collate_fn_and_batch_sampler():
    loader = DataLoader(_data(), batch_sampler=BatchSampler(SequentialSampler(range(10)), 5, False),
                        collate_fn=lambda items: len(items))
    assert list(loader) == [5, 5] and len(loader) == 2


def test_iterable_dataset():
    loader = DataLoader(Count(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert [b.tolist() for b in DataLoader(Count(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Count(7), batch_size=3, drop_last=True)) == 2
    assert [int(x) for x in DataLoader(Count(3), batch_size=None)] == [0, 1, 2]


@pytest.mark.parametrize("kwargs, message", [
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"timeout": -1}, "timeout option should be non-negative"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiprocessing"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ({"shuffle": True, "sampler": [0, 1]}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive with batch_size, "
                                                "shuffle, sampler, and drop_last"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching and is mutually "
                                              "exclusive with drop_last"),
    ({"multiprocessing_context": "fork"}, "multiprocessing_context can only be used with multi-process "
                                          "loading"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(_data(), **kwargs)


def test_iterable_dataset_rejects_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Count(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Count(3), sampler=[0])


def test_attributes_frozen_after_init():
    loader = DataLoader(_data())
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is "
                                         "initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen


def test_single_process_timeout_rejected():
    with pytest.raises(AssertionError, match="requires timeout == 0"):
        iter(DataLoader(_data(), timeout=1))


def test_worker_info_is_none_in_main_process():
    assert torch.utils.data.get_worker_info() is None
