import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


HAS_TORCH = _has_torch()


def pytest_collection_modifyitems(config, items):
    skip_torch = pytest.mark.skip(reason="torch is not installed (make parity installs it)")
    for item in items:
        if "parity" in item.keywords and not HAS_TORCH:
            item.add_marker(skip_torch)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _restore_engine_globals():
    import engine

    default = engine.get_default_dtype()
    yield
    engine.set_default_dtype(default)
