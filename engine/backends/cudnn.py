"""torch.backends.cudnn: settable flags. The engine has no cuDNN path (cupy 14 removed it): is_available()
is False and the flags change nothing."""

from __future__ import annotations

enabled: bool = True
benchmark: bool = False
deterministic: bool = False
allow_tf32: bool = True
benchmark_limit: int = 10


def is_available() -> bool:
    return False


def version() -> int | None:
    return None
