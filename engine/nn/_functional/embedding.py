"""nn.functional: embedding (row lookup with a scatter-add backward), embedding_bag, one_hot."""

from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...ops._helpers import new, xp
from ...tensor import Tensor

__all__ = ["embedding", "embedding_bag", "one_hot"]


class EmbeddingBackward0(Node):
    """Scatter-adds the output gradient into the looked-up rows (none into padding_idx's row)."""

    __slots__ = ("indices", "num_weights", "padding_idx", "scale_grad_by_freq")

    def backward(self, g):
        idx = self.indices.reshape(-1)
        dim = g._data.shape[-1]
        if STATE.enabled:  # create_graph: a differentiable scatter-add
            g2 = g.reshape(-1, dim)
            scale = self._row_scale(idx, xp(g))
            if scale is not None:
                g2 = g2 * new(scale.astype(g._data.dtype)[:, None])
            zeros = new(xp(g).zeros((self.num_weights, dim), dtype=g._data.dtype))
            return (zeros.index_add(0, new(idx), g2),)
        m = xp(g)
        g2 = g._data.reshape(-1, dim)
        scale = self._row_scale(idx, m)
        if scale is not None:
            g2 = g2 * scale.astype(g2.dtype)[:, None]
        out = m.zeros((self.num_weights, dim), dtype=g2.dtype)
        m.add.at(out, idx, g2)
        if self.padding_idx >= 0:
            out[self.padding_idx] = 0
        return (new(out),)

    def _row_scale(self, idx, m):
        """Per looked-up row: 0 for padding_idx, 1 / (its count in the batch) with scale_grad_by_freq."""
        if self.padding_idx < 0 and not self.scale_grad_by_freq:
            return None
        scale = m.ones(idx.shape, dtype=np.float64)
        if self.scale_grad_by_freq:
            counts = m.bincount(idx, minlength=self.num_weights)
            scale = scale / counts[idx]
        if self.padding_idx >= 0:
            scale[idx == self.padding_idx] = 0
        return scale


def _resolve_padding_idx(padding_idx: int | None, num: int) -> int:
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        if padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num + padding_idx
    return padding_idx


def _check_indices(input: Tensor, fn: str) -> None:
    if input._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
                           f"{fn})")


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale, in place and without history, the referenced rows whose p-norm exceeds max_norm."""
    m = xp(weight)
    rows = m.unique(idx.reshape(-1))
    w = weight._data
    sel = w[rows]
    if norm_type == float("inf"):
        norms = m.abs(sel).max(axis=1)
    else:
        norms = (m.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        factor = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sel[over] * factor[:, None]
        weight._version[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight at the integer positions in input: output shape input.shape + (embedding_dim,).

    sparse=True is accepted but the gradient is dense.
    """
    pad = _resolve_padding_idx(padding_idx, weight._data.shape[0]) if weight._data.ndim else -1
    _check_indices(input, "embedding")
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    num = weight._data.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    result = new(weight._data[idx])
    if STATE.enabled and weight._requires_grad:
        node = EmbeddingBackward0(result, weight)
        node.indices, node.num_weights, node.padding_idx = idx.astype(np.int64, copy=False), num, pad
        node.scale_grad_by_freq = scale_grad_by_freq
        node.save()
    return result


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each value's position."""
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    m = xp(tensor)
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size:
        if int(data.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(data.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return new((data[..., None] == m.arange(num_classes)).astype(np.int64))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sum / mean / max of the embeddings of each bag (2-D input: one bag per row; 1-D: bags by offsets)."""
    from ._embedding_bag import embedding_bag_impl

    return embedding_bag_impl(input, weight, offsets, max_norm, norm_type, scale_grad_by_freq, mode,
                              per_sample_weights, include_last_offset, padding_idx)
