"""Datasets: TensorDataset, ConcatDataset, Subset, ChainDataset, StackDataset, random_split."""

import warnings

import pytest

import engine as torch
from engine.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Range(Dataset):
    def __init__(self, start, n):
        self.start, self.n = start, n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.start + i

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_engine_utils_data_is_reachable_from_the_package():
    assert torch.utils.data.DataLoader is not None
    assert torch.utils.data.TensorDataset is TensorDataset


def test_tensor_dataset_rows_and_length():
    x, y = torch.arange(12).reshape(4, 3), torch.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    assert xi.tolist() == [6, 7, 8] and yi.item() == 0
    assert ds[1:3][0].shape == (2, 3)


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(torch.zeros(3), torch.zeros(4))


def test_concat_dataset_indices_and_add():
    ds = Range(0, 3) + Range(10, 2)
    assert isinstance(ds, ConcatDataset)
    assert ds.cumulative_sizes == [3, 5]
    assert [ds[i] for i in range(5)] == [0, 1, 2, 10, 11]
    assert ds[-1] == 11 and ds[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ds[-6]
    with pytest.raises(IndexError):
        ds[5]


def test_concat_dataset_errors():
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Range(0, 1), Stream([1])])


def test_chain_dataset_and_iterable_add():
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [1, 2, 3] and len(chained) == 3


def test_subset_and_stack_dataset():
    sub = Subset(Range(100, 10), [7, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [107, 102, 105]
    assert sub.__getitems__([0, 2]) == [107, 105]
    st = StackDataset(Range(0, 2), Range(5, 2))
    assert st[1] == (1, 6)
    assert StackDataset(a=Range(0, 2), b=Range(5, 2))[0] == {"a": 0, "b": 5}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Range(0, 2), Range(0, 3))


def test_random_split_lengths_partition_and_reproducible():
    ds = Range(0, 10)
    a, b = random_split(ds, [7, 3], generator=torch.Generator().manual_seed(1))
    assert len(a) == 7 and len(b) == 3
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    a2, _ = random_split(ds, [7, 3], generator=torch.Generator().manual_seed(1))
    assert a2.indices == a.indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input "
                                         "dataset!"):
        random_split(ds, [5, 4])


def test_random_split_fractions_round_robin_remainder():
    # floor(0.3*11)=3, floor(0.3*11)=3, floor(0.4*11)=4 -> remainder 1 goes to the first split
    parts = random_split(Range(0, 11), [0.3, 0.3, 0.4], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 3, 4]
    parts = random_split(Range(0, 5), [0.5, 0.5], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 2]


def test_random_split_zero_length_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = random_split(Range(0, 2), [0.9, 0.1, 0.0], generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [2, 0, 0]
    assert any("Length of split at index 1 is 0" in str(w.message) for w in caught)


@pytest.mark.parity
def test_random_split_lengths_match_torch():
    import torch as real

    for n, fr in [(11, [0.3, 0.3, 0.4]), (7, [0.5, 0.25, 0.25]), (100, [0.8, 0.2]), (3, [0.1, 0.9])]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = [len(p) for p in real.utils.data.random_split(list(range(n)), fr)]
            got = [len(p) for p in random_split(Range(0, n), fr)]
        assert got == want
