"""nn.functional distances: pairwise_distance, and cosine_similarity (an engine op, re-exported)."""

from __future__ import annotations

from ...ops.blas_misc import cosine_similarity
from ...tensor import Tensor

__all__ = ["pairwise_distance", "cosine_similarity"]


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """p-norm of x1 - x2 + eps over the last dimension of the broadcast inputs."""
    dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, dim if dim >= 0 else None, keepdim)
