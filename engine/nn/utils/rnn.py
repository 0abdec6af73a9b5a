"""nn.utils.rnn: PackedSequence and packing/padding of variable-length sequences (all differentiable).

Packed data is time-major: step t holds the first batch_sizes[t] sequences (sorted by decreasing length).
Packing and unpacking are each one gather (index_select) with an index computed in numpy.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ...backend import to_numpy
from ...ops.creation import tensor
from ...ops.joining import cat, stack
from ...ops.padding import pad
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequenceBase = namedtuple("PackedSequence_",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the data and batch_sizes of a packed batch of sequences (and, when the batch was sorted by
    length, the permutation to undo). Build it with pack_padded_sequence or pack_sequence."""

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)): torch's legacy form
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device
        sorted_i = None if self.sorted_indices is None else self.sorted_indices.to(device)
        unsorted_i = None if self.unsorted_indices is None else self.unsorted_indices.to(device)
        return type(self)(data, self.batch_sizes, sorted_i, unsorted_i)

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self._cast("double")

    def float(self) -> PackedSequence:
        return self._cast("float")

    def half(self) -> PackedSequence:
        return self._cast("half")

    def long(self) -> PackedSequence:
        return self._cast("long")

    def int(self) -> PackedSequence:
        return self._cast("int")

    def _cast(self, name: str) -> PackedSequence:
        return type(self)(getattr(self.data, name)(), self.batch_sizes, self.sorted_indices,
                          self.unsorted_indices)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    inverse = np.argsort(to_numpy(permutation._data), kind="stable")
    return tensor(inverse.astype(np.int64), device=permutation.device)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return to_numpy(lengths._data).astype(np.int64).reshape(-1)
    return np.asarray(list(lengths), dtype=np.int64).reshape(-1)


def pack_padded_sequence(input: Tensor, lengths: Tensor | Sequence[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) batch (B, T, * with batch_first) of sequences of the given lengths."""
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = tensor(order.astype(np.int64), device=input.device)
    batch = input.shape[batch_dim]
    if lens.shape[0] != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                           f"(batch_size={batch})")
    if batch and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in "
                           "'lengths' that is <= 0")
    if np.any(np.diff(lens) > 0):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                           "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                           "pack_sequence to sidestep this requirement if you do not need ONNX "
                           "exportability.")
    steps = input.shape[1 - batch_dim]
    if batch and lens[0] > steps:
        raise RuntimeError(f"Expected the padded input to have at least {lens[0]} time steps, but it has "
                           f"{steps}")
    max_len = int(lens[0]) if batch else 0
    t, b = np.nonzero(np.arange(max_len)[:, None] < lens[None, :])  # time-major order
    src_b = b if sorted_indices is None else order[b]
    flat = src_b * steps + t if batch_first else t * batch + src_b
    rows = input.reshape((-1,) + tuple(input.shape[2:]))
    data = rows.index_select(0, tensor(flat.astype(np.int64), device=input.device))
    batch_sizes = tensor(np.bincount(t, minlength=max_len).astype(np.int64))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Inverse of pack_padded_sequence: (padded, lengths) with lengths in the original batch order."""
    data, batch_sizes = sequence.data, sequence.batch_sizes
    sizes = _lengths_array(batch_sizes)
    steps = sizes.shape[0]
    batch = int(sizes[0]) if steps else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being "
                             f"{steps}")
        steps = total_length
    lens = (sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    # gather index: every padded slot reads a packed row, or the padding row appended at the end
    n = data.shape[0]
    packed_pos = np.full((steps, batch), n, dtype=np.int64)
    t, b = np.nonzero(np.arange(batch)[None, :] < sizes[:, None])
    packed_pos[t, b] = np.arange(n)
    if sequence.unsorted_indices is not None:
        unsorted = to_numpy(sequence.unsorted_indices._data)
        packed_pos = packed_pos[:, unsorted]
        lens = lens[unsorted]
    if batch_first:
        packed_pos = packed_pos.T
    fill = data.new_full((1,) + tuple(data.shape[1:]), padding_value)
    rows = cat([data, fill]).index_select(0, tensor(packed_pos.reshape(-1), device=data.device))
    padded = rows.reshape(packed_pos.shape + tuple(data.shape[1:]))
    return padded, tensor(lens.astype(np.int64))


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack variable-length (L_i, *) tensors into (T, B, *) (or (B, T, *)), padding with padding_value."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        missing = longest - s.shape[0]
        if missing:
            side = (0, missing) if padding_side == "right" else (missing, 0)
            s = pad(s, (0, 0) * (s.dim() - 1) + side, value=padding_value)
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into a list of its sequences, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of variable-length tensors (longest first unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Inverse of pack_sequence: the list of sequences, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
