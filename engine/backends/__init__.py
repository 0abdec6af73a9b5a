"""engine.backends: torch.backends' flags (cudnn, cuda, mps), accepted for compatibility."""

from __future__ import annotations

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
