"""torch.backends.cuda: matmul precision flags (accepted; cupy GEMMs follow cupy's own settings)."""

from __future__ import annotations

from .. import backend


class _MatmulFlags:
    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    """True when the CUDA backend (cupy) is importable."""
    return backend.cupy_module() is not None
