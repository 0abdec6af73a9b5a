"""nn.utils.rnn: packing, padding and their gradients, against torch."""

import numpy as np
import pytest

import engine
from engine.autograd import gradcheck
from engine.nn.utils import rnn as er
from engine.testing import assert_close, check_against_torch


def _utils(lib):
    return lib.nn.utils.rnn if lib is not engine else er


def test_packed_sequence_is_a_namedtuple():
    x = engine.arange(12.0).view(4, 3)
    p = er.pack_padded_sequence(x, [4, 2, 1])
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_i, unsorted_i = p
    assert data.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0]
    assert batch_sizes.tolist() == [3, 2, 1, 1] and batch_sizes.dtype == engine.int64
    assert sorted_i is None and unsorted_i is None
    assert repr(p) == ("PackedSequence(data=tensor([0., 1., 2., 3., 4., 6., 9.]), "
                       "batch_sizes=tensor([3, 2, 1, 1]), sorted_indices=None, unsorted_indices=None)")
    assert p.double().data.dtype == engine.float64 and not p.is_cuda
    assert p.to(engine.float64).batch_sizes is batch_sizes
    assert er.invert_permutation(engine.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert er.invert_permutation(None) is None


@pytest.mark.parity
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted, lengths", [(True, [4, 2, 2, 1]), (False, [2, 4, 1, 3])])
def test_pack_pad_roundtrip_parity(rng, batch_first, enforce_sorted, lengths):
    shape = (4, 4, 2) if not batch_first else (4, 4, 2)
    x = rng.standard_normal(shape).astype(np.float32)

    def run(lib, x):
        u = _utils(lib)
        packed = u.pack_padded_sequence(x * 2, lib.tensor(lengths), batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
        padded, lens = u.pad_packed_sequence(packed, batch_first=batch_first, padding_value=-1.0,
                                             total_length=6)
        return packed.data, packed.batch_sizes, padded, lens

    e_out, t_out = check_against_torch(run, x)
    p_e = er.pack_padded_sequence(engine.tensor(x), lengths, batch_first=batch_first,
                                  enforce_sorted=enforce_sorted)
    import torch

    p_t = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first=batch_first,
                                                  enforce_sorted=enforce_sorted)
    for a, b in ((p_e.sorted_indices, p_t.sorted_indices), (p_e.unsorted_indices, p_t.unsorted_indices)):
        assert (a is None and b is None) or a.tolist() == b.tolist()


@pytest.mark.parity
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_parity(rng, batch_first, side):
    seqs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (2, 5, 3)]

    def run(lib, a, b, c):
        return _utils(lib).pad_sequence([a, b, c], batch_first=batch_first, padding_value=7.0,
                                        padding_side=side)

    check_against_torch(run, *seqs)


@pytest.mark.parity
def test_pack_unpack_sequence_parity(rng):
    seqs = [rng.standard_normal(n).astype(np.float32) for n in (2, 5, 3)]

    def run(lib, a, b, c):
        u = _utils(lib)
        packed = u.pack_sequence([a, b, c], enforce_sorted=False)
        return (packed.data, *u.unpack_sequence(packed),
                *u.unpad_sequence(u.pad_sequence([a, b, c]), lib.tensor([2, 5, 3])))

    check_against_torch(run, *seqs)


def test_packing_gradcheck(rng):
    x = engine.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)

    def roundtrip(x):
        packed = er.pack_padded_sequence(x, [1, 3], enforce_sorted=False)
        return er.pad_packed_sequence(packed, padding_value=0.5)[0]

    assert gradcheck(roundtrip, (x,))
    assert gradcheck(lambda a, b: er.pad_sequence([a, b], padding_side="left"),
                     (x[0].detach().clone().requires_grad_(), x[:, 0].detach().clone().requires_grad_()))


def test_errors():
    x = engine.zeros(4, 3)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order when "
                                           "`enforce_sorted` is True. You can pass `enforce_sorted=False`"):
        er.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        er.pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                                           r"\(batch_size=3\)"):
        er.pack_padded_sequence(x, [4, 2])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest "
                                         "sequence in input, but got total_length=3 and max sequence length "
                                         "being 4"):
        er.pad_packed_sequence(er.pack_padded_sequence(x, [4, 2, 1]), total_length=3)
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got mid."):
        er.pad_sequence([x], padding_side="mid")
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        er.pad_sequence([])


def test_padded_values_and_lengths():
    a, b = engine.ones(3, 2), engine.ones(1, 2) * 2
    packed = er.pack_sequence([a, b])
    padded, lengths = er.pad_packed_sequence(packed, batch_first=True)
    assert lengths.tolist() == [3, 1] and lengths.dtype == engine.int64
    assert_close(padded, engine.tensor([[[1.0, 1.0]] * 3, [[2.0, 2.0], [0.0, 0.0], [0.0, 0.0]]]))
