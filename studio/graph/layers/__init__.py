"""Layer families; importing this package registers them all."""

from .. import blocks  # noqa: F401 - registers the "Block" container node
from .. import modules as _modules
from . import activation, conv, core, loss, merge, norm, pool, resample, sequence, shape_ops  # noqa: F401

# helper class name -> plain source (torch and engine alike) that exported scripts paste (code_helpers)
HELPER_SOURCES: dict[str, str] = {**merge.HELPER_SOURCES, **shape_ops.HELPER_SOURCES,
                                  **_modules.HELPER_SOURCES}
