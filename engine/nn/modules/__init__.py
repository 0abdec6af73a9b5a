"""Layers. Each file lists its public classes in __all__; a new file needs one star-import line here."""

from __future__ import annotations

import types as _types

from .container import *  # noqa: F403
from .module import *  # noqa: F403

# Collected from the imported files, so adding a file takes no second edit.
__all__ = sorted({name for key, value in list(globals().items())
                  if isinstance(value, _types.ModuleType) and not key.startswith("_")
                  and value.__name__.startswith(__name__ + ".") for name in getattr(value, "__all__", ())})
