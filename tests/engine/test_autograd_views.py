"""In-place writes into views must show up in the gradients that flow through the base (CopySlices)."""

import numpy as np
import pytest

import engine

SCENARIOS = {
    "setitem on a row of a non-leaf": lambda lib, x, w: _set_row(lib, x, w),
    "mul_ on a column view": lambda lib, x, w: _scale_column(lib, x, w),
    "add_ a tensor into a transposed view": lambda lib, x, w: _add_into_transposed(lib, x, w),
    "copy_ a grad-requiring value into a plain buffer": lambda lib, x, w: _copy_into_buffer(lib, x, w),
    "two successive writes": lambda lib, x, w: _two_writes(lib, x, w),
}


def _set_row(lib, x, w):
    y = x * 2
    y[0][1] = 5.0
    return y * y


def _scale_column(lib, x, w):
    y = x * 1
    y[:, 1].mul_(3)
    return y * x


def _add_into_transposed(lib, x, w):
    y = x * 2  # (exp would save its output, which torch refuses to modify in place)
    y.t()[0].add_(w)
    return y.sin()


def _copy_into_buffer(lib, x, w):
    buffer = lib.zeros(2, 3, dtype=lib.float64)
    buffer[1].copy_(x[0] * w.sum())
    return buffer * 3


def _two_writes(lib, x, w):
    y = x + 0
    y[0].mul_(w[0])
    y[:, 2] = w.sum()
    return y.pow(2)


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_inplace_on_view_gradients_match_torch(name):
    from engine.testing import check_against_torch

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3))
    w = rng.standard_normal(2)
    check_against_torch(SCENARIOS[name], x, w)


def test_row_write_zeroes_the_overwritten_gradient_without_torch():
    x = engine.ones(2, 3, requires_grad=True)
    y = x * 2
    y[0][1] = 5.0
    (y * y).sum().backward()
    assert x.grad.tolist() == [[8.0, 0.0, 8.0], [8.0, 8.0, 8.0]]
    assert y.grad_fn.name() == "CopySlices"


def test_inplace_on_a_view_of_a_leaf_is_refused():
    x = engine.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].mul_(2)
