"""Samplers: order, lengths, reproducibility and argument errors."""

import pytest

import engine as torch
from engine.utils.data import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

DATA = list(range(10))


def test_sequential_sampler():
    assert list(SequentialSampler(DATA)) == DATA and len(SequentialSampler(DATA)) == 10


def test_random_sampler_is_a_permutation_and_reproducible():
    s = RandomSampler(DATA, generator=torch.Generator().manual_seed(3))
    first = list(s)
    assert sorted(first) == DATA and len(s) == 10
    assert list(RandomSampler(DATA, generator=torch.Generator().manual_seed(3))) == first
    torch.manual_seed(5)
    a = list(RandomSampler(DATA))
    torch.manual_seed(5)
    assert list(RandomSampler(DATA)) == a


def test_random_sampler_num_samples_and_replacement():
    s = RandomSampler(DATA, num_samples=25, generator=torch.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == 25 and len(s) == 25
    assert sorted(out[:10]) == DATA and sorted(out[10:20]) == DATA
    g = torch.Generator().manual_seed(0)
    r = list(RandomSampler(DATA, replacement=True, num_samples=70, generator=g))
    assert len(r) == 70 and all(0 <= i < 10 for i in r)


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(DATA, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got "
                                         "num_samples=0"):
        RandomSampler(DATA, num_samples=0)


def test_subset_random_sampler():
    s = SubsetRandomSampler([3, 5, 7], generator=torch.Generator().manual_seed(0))
    assert sorted(s) == [3, 5, 7] and len(s) == 3


def test_weighted_random_sampler():
    s = WeightedRandomSampler([0.0, 0.0, 1.0, 0.0], 6, generator=torch.Generator().manual_seed(0))
    assert list(s) == [2] * 6 and len(s) == 6
    no_rep = list(WeightedRandomSampler([1, 1, 1], 3, replacement=False))
    assert sorted(no_rep) == [0, 1, 2]
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape "
                                         "\\(1, 2\\)"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], 0)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    assert list(BatchSampler(range(6), 3, False)) == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got "
                                         "batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(range(3), 1, 1)


def test_distributed_sampler_splits_and_pads():
    shards = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    dropped = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False, drop_last=True))
               for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    s = DistributedSampler(range(10), num_replicas=2, rank=0, seed=1)
    e0 = list(s)
    s.set_epoch(1)
    assert list(s) != e0 and len(s) == 5
    both = [i for rank in (0, 1) for i in DistributedSampler(range(10), 2, rank, seed=4)]
    assert sorted(both) == list(range(10))
    with pytest.raises(ValueError, match="Invalid rank 2, rank should be in the interval \\[0, 1\\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler(range(4))
