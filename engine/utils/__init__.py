"""engine.utils: hooks helpers and data loading (`engine.utils.data`, imported on first use)."""

import importlib as _importlib


def __getattr__(name: str):
    # lazy, so that modules imported while engine itself initialises can use utils.hooks freely
    if name in ("data", "checkpoint"):
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
