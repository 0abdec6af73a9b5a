"""Op families. Each module exports its functions in __all__ and attaches Tensor methods on import."""

from __future__ import annotations

from .arith import *  # noqa: F403
from .blas import *  # noqa: F403
from .complex_ops import *  # noqa: F403
from .copying import *  # noqa: F403
from .creation import *  # noqa: F403
from .index import *  # noqa: F403
from .joining import *  # noqa: F403
from .pointwise import *  # noqa: F403
from .random import *  # noqa: F403
from .reduce import *  # noqa: F403
from .shape import *  # noqa: F403
from .special import *  # noqa: F403
