"""engine.nn.functional: the functional form of every layer and loss (torch.nn.functional)."""

from __future__ import annotations

from ..ops.padding import pad  # noqa: F401 - torch.nn.functional.pad
from ._functional.activation import *  # noqa: F403
from ._functional.attention import *  # noqa: F403
from ._functional.conv import *  # noqa: F403
from ._functional.distance import *  # noqa: F403
from ._functional.dropout import *  # noqa: F403
from ._functional.embedding import *  # noqa: F403
from ._functional.linear import *  # noqa: F403
from ._functional.loss import *  # noqa: F403
from ._functional.normalization import *  # noqa: F403
from ._functional.pooling import *  # noqa: F403
from ._functional.sampling import *  # noqa: F403
