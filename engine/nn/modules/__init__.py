"""Layers. Each file lists its public classes in __all__; a new file needs one star-import line here."""

from __future__ import annotations

import types as _types

from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .container import *  # noqa: F403
from .conv import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .fold import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import *  # noqa: F403
from .normalization import *  # noqa: F403
from .padding import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403
from .upsampling import *  # noqa: F403

# Collected from the imported files, so adding a file takes no second edit.
__all__ = sorted({name for key, value in list(globals().items())
                  if isinstance(value, _types.ModuleType) and not key.startswith("_")
                  and value.__name__.startswith(__name__ + ".") for name in getattr(value, "__all__", ())})
