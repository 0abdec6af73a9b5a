"""default_collate / default_convert: torch's batching rules."""

import collections

import numpy as np
import pytest

import engine as torch
from engine.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def test_tensors_are_stacked():
    out = default_collate([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])])
    assert out.shape == (2, 2) and out.dtype == torch.float32 and out.tolist() == [[1, 2], [3, 4]]


def test_stack_size_mismatch_error():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at "
                                           r"entry 0 and \[3\] at entry 1"):
        default_collate([torch.ones(2), torch.ones(3)])


def test_numbers():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == torch.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([1.5, 2.5])
    assert floats.dtype == torch.float64
    bools = default_collate([True, False])
    assert bools.dtype == torch.bool and bools.tolist() == [True, False]


def test_numpy_arrays_and_scalars():
    arrs = default_collate([np.zeros((2,), np.float32), np.ones((2,), np.float32)])
    assert arrs.shape == (2, 2) and arrs.dtype == torch.float32
    assert default_collate([np.float32(1), np.float32(2)]).dtype == torch.float32
    assert default_collate([np.int32(1)]).dtype == torch.int32
    assert default_collate([np.float64(2)]).dtype == torch.float64
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, "
                                        "dicts or lists; found <U1"):
        default_collate([np.array(["a"])])


def test_strings_kept_and_containers_recursed():
    assert default_collate(["a", "b"]) == ["a", "b"]
    pairs = default_collate([(1, "a"), (2, "b")])
    assert isinstance(pairs, list) and pairs[0].tolist() == [1, 2] and pairs[1] == ("a", "b")
    d = default_collate([{"x": torch.zeros(3), "y": 0}, {"x": torch.ones(3), "y": 1}])
    assert set(d) == {"x", "y"} and d["x"].shape == (2, 3) and d["y"].tolist() == [0, 1]
    lists = default_collate([[1, 2], [3, 4]])
    assert isinstance(lists, list) and [t.tolist() for t in lists] == [[1, 3], [2, 4]]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == torch.float64


def test_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object()])


def test_default_convert():
    out = default_convert((np.zeros(2), 3, "s"))
    assert isinstance(out, list) and out[0].dtype == torch.float64 and out[1] == 3 and out[2] == "s"
    assert default_convert({"a": np.float32(3)})["a"].dtype == torch.float32
    t = torch.ones(2)
    assert default_convert(t) is t


@pytest.mark.parity
def test_collate_matches_torch_on_nested_batch():
    import torch as real

    batch = [{"img": np.full((2, 2), i, np.float32), "label": i, "w": 0.5 * i, "name": f"n{i}",
              "pair": (i, np.int16(i))} for i in range(3)]
    got, want = default_collate(batch), real.utils.data.default_collate(batch)
    assert got["name"] == want["name"]
    for key in ("img", "label", "w"):
        assert str(got[key].dtype) == str(want[key].dtype)
        np.testing.assert_array_equal(got[key].numpy(), want[key].numpy())
    for g, w in zip(got["pair"], want["pair"]):
        assert str(g.dtype) == str(w.dtype) and g.tolist() == w.tolist()
