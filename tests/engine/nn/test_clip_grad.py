"""nn.utils.clip_grad_norm_ / clip_grad_value_ / get_total_norm / clip_grads_with_norm_, against PyTorch."""

import types
import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.nn.utils import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)


def make_params(lib, arrays, grads):
    params = []
    for a, g in zip(arrays, grads):
        p = lib.nn.Parameter(lib.tensor(a))
        if g is not None:
            p.grad = lib.tensor(g)
        params.append(p)
    return params


def random_case(seed, shapes=((3, 4), (5,), (2, 2, 2)), scale=1.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    return arrays, grads


def assert_grads_equal(eps, tps, rtol=1e-6):
    for e, t in zip(eps, tps):
        if t.grad is None:
            assert e.grad is None
        else:
            assert e.grad.dtype == getattr(engine, str(t.grad.dtype).split(".")[1])
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parity
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 1e-3), (2, 10.0)])
def test_clip_grad_norm_parity(norm_type, max_norm, scale):
    import torch

    arrays, grads = random_case(0, scale=scale)
    eps, tps = make_params(engine, arrays, grads), make_params(torch, arrays, grads)
    e_total = clip_grad_norm_(eps, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    assert e_total.shape == () and e_total.dtype == engine.float32
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=1e-6)
    assert_grads_equal(eps, tps)


@pytest.mark.parity
def test_single_tensor_none_grads_generator_and_double():
    import torch

    arrays, grads = random_case(1, dtype=np.float64)
    grads[1] = None
    eps, tps = make_params(engine, arrays, grads), make_params(torch, arrays, grads)
    e_total = clip_grad_norm_((p for p in eps), 0.3)
    t_total = torch.nn.utils.clip_grad_norm_((p for p in tps), 0.3)
    assert e_total.dtype == engine.float64
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=1e-12)
    assert_grads_equal(eps, tps)
    e_total = clip_grad_norm_(eps[0], 0.1, norm_type=1)
    t_total = torch.nn.utils.clip_grad_norm_(tps[0], 0.1, norm_type=1)
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=1e-12)
    assert_grads_equal(eps, tps)


@pytest.mark.parity
def test_mixed_dtypes_promote_total_norm():
    import torch

    arrays = [np.ones(3, np.float32), np.ones(2, np.float64)]
    grads = [np.full(3, 2.0, np.float32), np.full(2, 3.0, np.float64)]
    eps, tps = make_params(engine, arrays, grads), make_params(torch, arrays, grads)
    e_total, t_total = clip_grad_norm_(eps, 1.0), torch.nn.utils.clip_grad_norm_(tps, 1.0)
    assert str(e_total.dtype) == str(t_total.dtype)
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=1e-7)
    assert_grads_equal(eps, tps)


def test_returns_tensor_no_grad_and_values():
    p = nn.Parameter(engine.tensor([3.0, 4.0]))
    p.grad = engine.tensor([3.0, 4.0])
    total = clip_grad_norm_([p], 1.0)
    assert repr(total) == "tensor(5.)" and not total.requires_grad
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, 4.0]) / (5 + 1e-6), rtol=1e-6)
    p.grad = engine.tensor([0.3, 0.4])
    clip_grad_norm_(p, 1.0)  # below max_norm: the coefficient clamps to 1, grads unchanged
    np.testing.assert_array_equal(p.grad.numpy(), np.array([0.3, 0.4], np.float32))


def test_grads_modified_in_place():
    p = nn.Parameter(engine.ones(3))
    p.grad = engine.full((3,), 10.0)
    grad = p.grad
    clip_grad_norm_([p], 1.0)
    clip_grad_value_([p], 0.1)
    assert p.grad is grad
    np.testing.assert_allclose(grad.numpy(), np.full(3, 0.1, np.float32))


def test_empty_inputs():
    total = clip_grad_norm_([], 1.0)
    assert repr(total) == "tensor(0.)"
    p = nn.Parameter(engine.ones(2))
    assert repr(clip_grad_norm_([p], 1.0)) == "tensor(0.)"  # no grads at all
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clip_grad_norm_((q for q in []), 1.0)
    assert [str(w.message) for w in caught] == [
        "`parameters` is an empty generator, no gradient clipping will occur."]
    assert isinstance((q for q in []), types.GeneratorType)


@pytest.mark.parity
@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_nonfinite(bad):
    import torch

    arrays, grads = random_case(2)
    grads[0][0, 0] = bad
    eps, tps = make_params(engine, arrays, grads), make_params(torch, arrays, grads)
    with pytest.raises(RuntimeError) as e_err:
        clip_grad_norm_(eps, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.utils.clip_grad_norm_(tps, 1.0, error_if_nonfinite=True)
    assert str(e_err.value) == str(t_err.value)
    assert "The total norm of order 2.0 for gradients from `parameters` is non-finite" in str(e_err.value)
    # without the flag the gradients are scaled by the non-finite norm anyway, like torch
    e_total = clip_grad_norm_(eps, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(tps, 1.0)
    assert str(e_total.item()) == str(t_total.item())
    for e, t in zip(eps, tps):
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


@pytest.mark.parity
def test_get_total_norm_and_clip_grads_with_norm_():
    import torch

    arrays, grads = random_case(3, scale=5.0)
    eps, tps = make_params(engine, arrays, grads), make_params(torch, arrays, grads)
    e_total = get_total_norm([p.grad for p in eps], 3.0)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in tps], 3.0)
    np.testing.assert_allclose(e_total.item(), t_total.item(), rtol=1e-6)
    clip_grads_with_norm_(eps, 2.0, e_total)
    torch.nn.utils.clip_grads_with_norm_(tps, 2.0, t_total)
    assert_grads_equal(eps, tps)
    assert repr(get_total_norm([])) == "tensor(0.)"
    assert get_total_norm(engine.tensor([3.0, 4.0])).item() == 5.0


def test_clip_grad_norm_deprecated_alias():
    p = nn.Parameter(engine.ones(2))
    p.grad = engine.full((2,), 3.0)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated in favor of"):
        total = clip_grad_norm([p], 1.0)
    np.testing.assert_allclose(total.item(), np.sqrt(18), rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("clip", [0.5, 2, 0.0])
def test_clip_grad_value_parity(clip):
    import torch

    arrays, grads = random_case(4)
    grads[2] = None
    eps, tps = make_params(engine, arrays, grads), make_params(torch, arrays, grads)
    assert clip_grad_value_(eps, clip) is None
    torch.nn.utils.clip_grad_value_(tps, clip)
    assert_grads_equal(eps, tps)
    clip_grad_value_(eps[0], 0.1, foreach=True)
    torch.nn.utils.clip_grad_value_(tps[0], 0.1, foreach=True)
    assert_grads_equal(eps, tps)


def test_training_step_with_clipping():
    # the typical loop: backward, clip, step; the parameter moves by at most lr * max_norm
    w = nn.Parameter(engine.tensor([1.0, -2.0, 3.0]))
    loss = (w * engine.tensor([100.0, 200.0, -300.0])).sum()
    loss.backward()
    total = clip_grad_norm_([w], max_norm=1.0)
    np.testing.assert_allclose(total.item(), np.sqrt(100**2 + 200**2 + 300**2), rtol=1e-6)
    np.testing.assert_allclose(w.grad.norm().item(), 1.0, rtol=1e-5)
