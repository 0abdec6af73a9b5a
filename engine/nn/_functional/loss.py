"""nn.functional losses (reduction 'none' | 'mean' | 'sum', plus the legacy size_average/reduce flags)."""

from __future__ import annotations

from .loss_margin import *  # noqa: F403
from .loss_margin import __all__ as _margin_all
from .loss_nll import *  # noqa: F403
from .loss_nll import __all__ as _nll_all
from .loss_regression import *  # noqa: F403
from .loss_regression import __all__ as _regression_all

__all__ = [*_nll_all, *_regression_all, *_margin_all]
