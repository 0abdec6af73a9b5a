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


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_torch():
    """torch is the reference in parity tests; on a busy 2-core box its multi-threaded kernels crawl."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
