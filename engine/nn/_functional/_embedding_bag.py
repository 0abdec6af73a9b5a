"""embedding_bag composed from embedding + segment reductions (differentiable engine ops)."""

from __future__ import annotations

import numpy as np

from ...ops._helpers import new, xp
from ...tensor import Tensor


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool):
    """(flat indices tensor, bag start positions as a numpy int array, number of bags)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a "
                             "mini-batch of fixed length sequences. However, found offsets of type "
                             "<class 'torch.Tensor'>")
        b, length = input._data.shape
        return input.reshape(-1), np.arange(0, b * length, length, dtype=np.int64) if length else \
            np.zeros(b, np.int64), b
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    starts = np.asarray(offsets._data if xp(offsets) is np else offsets._data.get(), dtype=np.int64)
    if starts.size and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                           f"from position 0. However, got {starts[0]}")
    if include_last_offset:
        starts = starts[:-1]
    return input, starts, starts.size


def embedding_bag_impl(input, weight, offsets, max_norm, norm_type, scale_grad_by_freq, mode,
                       per_sample_weights, include_last_offset, padding_idx) -> Tensor:
    from .embedding import _resolve_padding_idx, embedding

    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is "
                                  f"only supported for mode='sum' (got mode='{mode}'). Please open a feature "
                                  "request on GitHub.")
    flat, starts, nbags = _bags(input, offsets, include_last_offset)
    n = flat._data.shape[0]
    ends = np.append(starts[1:], n) if nbags else starts
    pad = _resolve_padding_idx(padding_idx, weight._data.shape[0])
    emb = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    idx = np.asarray(flat._data if xp(flat) is np else flat._data.get())
    valid = idx != pad if pad >= 0 else np.ones(n, dtype=bool)
    if per_sample_weights is not None:
        emb = emb * per_sample_weights.reshape(-1, 1)
    dim = weight._data.shape[1]
    m = xp(weight)
    if mode == "max":
        rows = []
        for s, e in zip(starts, ends):
            keep = np.nonzero(valid[s:e])[0] + s
            if keep.size:
                rows.append(emb[new(m.asarray(keep))].max(0).values)
            else:
                rows.append(new(m.zeros(dim, dtype=weight._data.dtype)))
        from ...ops.joining import stack

        return stack(rows) if rows else new(m.zeros((0, dim), dtype=weight._data.dtype))
    bag_of = np.repeat(np.arange(nbags, dtype=np.int64), ends - starts)
    if pad >= 0:
        emb = emb * new(m.asarray(valid.astype(weight._data.dtype))[:, None])
    total = new(m.zeros((nbags, dim), dtype=weight._data.dtype)).index_add(0, new(m.asarray(bag_of)), emb)
    if mode == "sum":
        return total
    counts = np.bincount(bag_of[valid[: bag_of.size]], minlength=nbags).astype(weight._data.dtype)
    return total / new(m.asarray(np.maximum(counts, 1))[:, None])
