"""Indexing, gathering and scattering: the public names (implemented in getitem, scatter, index_dim and
masked)."""

from __future__ import annotations

from .getitem import *  # noqa: F403
from .getitem import __all__ as _getitem_all
from .index_dim import *  # noqa: F403
from .index_dim import __all__ as _index_dim_all
from .masked import *  # noqa: F403
from .masked import __all__ as _masked_all
from .scatter import *  # noqa: F403
from .scatter import __all__ as _scatter_all

__all__ = [*_getitem_all, *_scatter_all, *_index_dim_all, *_masked_all]
