"""nn.utils.spectral_norm / remove_spectral_norm: structure, power iteration, gradients, state dicts, errors.

Parity tests build the same toy module in engine and torch, copy torch's random u and v into the engine's
buffers, then compare outputs, the updated u/v and the gradients of weight_orig over several steps.
"""

from collections import OrderedDict

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.nn.utils import remove_spectral_norm, spectral_norm


def toy(lib, weight):
    """A module holding `weight`; forward multiplies x by the weight viewed as (size(0), -1) matrix."""

    class Toy(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(weight))

        def forward(self, x):
            return x @ self.weight.reshape(self.weight.shape[0], -1).t()

    return Toy()


def as_engine_state(torch_state):
    out = OrderedDict((k, engine.tensor(v.detach().numpy())) for k, v in torch_state.items())
    if hasattr(torch_state, "_metadata"):
        out._metadata = OrderedDict((k, dict(v)) for k, v in torch_state._metadata.items())
    return out


def copy_uv(src, dst, name="weight"):
    with engine.no_grad():
        getattr(dst, name + "_u").copy_(engine.tensor(getattr(src, name + "_u").numpy()))
        getattr(dst, name + "_v").copy_(engine.tensor(getattr(src, name + "_v").numpy()))


def close(e, t, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


def test_structure_after_registration():
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    m = spectral_norm(toy(engine, w))
    assert [k for k, _ in m.named_parameters()] == ["weight_orig"]
    assert [k for k, _ in m.named_buffers()] == ["weight_u", "weight_v"]
    assert isinstance(m.weight_orig, nn.Parameter)
    assert m.weight_u.shape == (3,) and m.weight_v.shape == (4,)
    np.testing.assert_allclose(m.weight_u.norm().item(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(m.weight_v.norm().item(), 1.0, rtol=1e-6)
    # until the first forward `weight` is the raw data, a plain tensor without grad
    assert type(m.weight) is engine.Tensor and not m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.numpy(), w)
    sd = m.state_dict()
    assert list(sd) == ["weight_orig", "weight_u", "weight_v"]
    assert sd._metadata[""] == {"version": 1, "spectral_norm": {"weight.version": 1}}


def test_weight_is_normalised_and_not_a_parameter_after_forward():
    rng = np.random.default_rng(1)
    m = spectral_norm(toy(engine, rng.standard_normal((5, 3)).astype(np.float32)), n_power_iterations=30)
    m(engine.randn(2, 3))
    assert "weight" not in m._parameters and m.weight.grad_fn is not None
    top = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(top, 1.0, rtol=1e-4)


@pytest.mark.parity
@pytest.mark.parametrize("shape,dim,iters", [((3, 5), 0, 1), ((4, 2), 0, 3), ((3, 2, 2, 2), 0, 1),
                                             ((3, 2, 2, 2), 1, 2), ((2, 3, 4), 2, 1)])
def test_train_mode_parity_with_torch(shape, dim, iters):
    import torch

    rng = np.random.default_rng(sum(shape) + dim)
    w = rng.standard_normal(shape).astype(np.float32)
    tm = torch.nn.utils.spectral_norm(toy(torch, w), n_power_iterations=iters, dim=dim)
    em = spectral_norm(toy(engine, w), n_power_iterations=iters, dim=dim)
    assert em.weight_u.shape == tm.weight_u.shape and em.weight_v.shape == tm.weight_v.shape
    copy_uv(tm, em)
    fan_in = int(np.prod(shape[1:]))
    for _ in range(4):
        x = rng.standard_normal((3, fan_in)).astype(np.float32)
        g = rng.standard_normal((3, shape[0])).astype(np.float32)
        tm.weight_orig.grad = None
        em.weight_orig.grad = None
        to, eo = tm(torch.tensor(x)), em(engine.tensor(x))
        close(eo, to)
        close(em.weight_u, tm.weight_u)
        close(em.weight_v, tm.weight_v)
        close(em.weight, tm.weight)
        to.backward(torch.tensor(g))
        eo.backward(engine.tensor(g))
        close(em.weight_orig.grad, tm.weight_orig.grad, atol=1e-5)
        with torch.no_grad():  # a training step, so the next power iteration sees a new weight
            tm.weight_orig -= 0.1 * tm.weight_orig.grad
        with engine.no_grad():
            em.weight_orig -= 0.1 * em.weight_orig.grad


@pytest.mark.parity
def test_eval_mode_keeps_u_v_and_matches_torch():
    import torch

    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 6)).astype(np.float32)
    tm = torch.nn.utils.spectral_norm(toy(torch, w)).eval()
    em = spectral_norm(toy(engine, w)).eval()
    copy_uv(tm, em)
    u0, v0 = em.weight_u.clone(), em.weight_v.clone()
    x = rng.standard_normal((2, 6)).astype(np.float32)
    g = rng.standard_normal((2, 4)).astype(np.float32)
    for _ in range(2):
        to, eo = tm(torch.tensor(x)), em(engine.tensor(x))
        close(eo, to)
    assert engine.equal(em.weight_u, u0) and engine.equal(em.weight_v, v0)
    to.backward(torch.tensor(g))
    eo.backward(engine.tensor(g))
    close(em.weight_orig.grad, tm.weight_orig.grad, atol=1e-5)
    em.train()
    em(engine.tensor(x))
    assert not engine.equal(em.weight_u, u0)


def test_power_iteration_updates_buffers_in_place():
    m = spectral_norm(toy(engine, np.random.default_rng(3).standard_normal((3, 3)).astype(np.float32)))
    u, v = m.weight_u, m.weight_v
    before = u.clone()
    m(engine.randn(1, 3))
    assert m.weight_u is u and m.weight_v is v and not engine.equal(u, before)


def test_graph_survives_a_later_training_forward():
    m = spectral_norm(toy(engine, np.eye(3, dtype=np.float32) * 2))
    out1 = m(engine.ones(1, 3)).sum()
    m(engine.ones(1, 3))  # updates u and v in place; out1's graph holds clones
    out1.backward()
    assert m.weight_orig.grad is not None


@pytest.mark.parity
def test_remove_spectral_norm_matches_torch():
    import torch

    rng = np.random.default_rng(11)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    tm = torch.nn.utils.spectral_norm(toy(torch, w))
    em = spectral_norm(toy(engine, w))
    copy_uv(tm, em)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    tm(torch.tensor(x))
    em(engine.tensor(x))
    assert remove_spectral_norm(em) is em
    torch.nn.utils.remove_spectral_norm(tm)
    assert isinstance(em.weight, nn.Parameter) and em.weight.requires_grad
    assert [k for k, _ in em.named_parameters()] == ["weight"] and not list(em.buffers())
    close(em.weight, tm.weight)
    assert not em._forward_pre_hooks and not em._state_dict_hooks
    assert list(em.state_dict()) == ["weight"]
    # a removed spectral norm leaves nothing behind: the module loads its own plain state dict
    # (torch 2.x keeps a stale load hook here and fails with missing weight_orig/weight_u)
    assert str(em.load_state_dict(em.state_dict())) == "<All keys matched successfully>"


def test_errors():
    m = spectral_norm(toy(engine, np.ones((2, 2), np.float32)))
    with pytest.raises(RuntimeError, match="^Cannot register two spectral_norm hooks on the same parameter "
                                           "weight$"):
        spectral_norm(m)
    with pytest.raises(ValueError, match=r"^spectral_norm of 'bias' not found in Toy\(\)$"):
        remove_spectral_norm(m, "bias")
    remove_spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        remove_spectral_norm(m)
    with pytest.raises(ValueError, match="^Expected n_power_iterations to be positive, but got "
                                         "n_power_iterations=0$"):
        spectral_norm(toy(engine, np.ones((2, 2), np.float32)), n_power_iterations=0)
    with pytest.raises(KeyError):
        spectral_norm(toy(engine, np.ones((2, 2), np.float32)), name="nope")
    none_mod = toy(engine, np.ones((2, 2), np.float32))
    none_mod.weight = None
    with pytest.raises(ValueError, match="^`SpectralNorm` cannot be applied as parameter `weight` is None$"):
        spectral_norm(none_mod)


def test_two_names_on_one_module():
    m = toy(engine, np.ones((2, 3), np.float32))
    m.other = nn.Parameter(engine.ones(4, 2))
    spectral_norm(m)
    spectral_norm(m, "other")
    assert sorted(m._buffers) == ["other_u", "other_v", "weight_u", "weight_v"]
    assert m.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1, "other.version": 1}
    remove_spectral_norm(m, "other")
    assert isinstance(m.other, nn.Parameter) and "weight_orig" in m._parameters


@pytest.mark.parity
def test_state_dict_round_trip_and_torch_checkpoint():
    import torch

    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    tm = torch.nn.utils.spectral_norm(toy(torch, w))
    tm(torch.randn(1, 4))
    em = spectral_norm(toy(engine, rng.standard_normal((3, 4)).astype(np.float32)))
    em.load_state_dict(as_engine_state(tm.state_dict()))
    for key in ("weight_orig", "weight_u", "weight_v"):
        close(getattr(em, key), getattr(tm, key))
    em.eval()
    tm.eval()
    x = rng.standard_normal((2, 4)).astype(np.float32)
    close(em(engine.tensor(x)), tm(torch.tensor(x)))
    # a dict that lost its metadata (plain dict) still loads: the three current keys are present
    plain = dict(as_engine_state(tm.state_dict()))
    assert str(em.load_state_dict(plain)) == "<All keys matched successfully>"


@pytest.mark.parity
def test_loading_pre_version_1_state_dict_solves_v_like_torch():
    import torch

    rng = np.random.default_rng(9)
    # a tall weight: W^T W is invertible (for a wide one the pseudo-inverse amplifies rounding noise)
    w = rng.standard_normal((5, 3)).astype(np.float32)
    tm = torch.nn.utils.spectral_norm(toy(torch, w))
    tm(torch.randn(2, 3))
    old = OrderedDict((k, v.clone()) for k, v in tm.state_dict().items() if k != "weight_v")
    old["weight"] = tm.weight.detach().clone()
    old._metadata = OrderedDict({"": {"version": 1}})  # no spectral_norm version: the old format
    em = spectral_norm(toy(engine, w))
    result = em.load_state_dict(as_engine_state(old))
    assert str(result) == "<All keys matched successfully>"
    tm.load_state_dict(old)
    close(em.weight_v, tm.weight_v, atol=1e-4)
    # a key missing in the old format is reported by the hook and again by the loader, like torch
    del old["weight_u"]
    result = em.load_state_dict(as_engine_state(old), strict=False)
    assert result.missing_keys == ["weight_u", "weight_u", "weight_v"]
    assert result == tm.load_state_dict(old, strict=False)


def test_dtype_and_double_module():
    m = spectral_norm(toy(engine, np.ones((2, 3), np.float64)))
    assert m.weight_u.dtype == engine.float64 and m.weight_v.dtype == engine.float64
    assert m(engine.ones(1, 3, dtype=engine.float64)).dtype == engine.float64


@pytest.mark.parity
@pytest.mark.parametrize("cls_name,args,x_shape", [("Linear", (4, 3), (2, 4)),
                                                   ("Conv2d", (2, 3, 3), (1, 2, 5, 5)),
                                                   ("ConvTranspose2d", (2, 3, 3), (1, 2, 4, 4))])
def test_with_real_layers_default_dim_and_parity(cls_name, args, x_shape):
    import torch

    if not hasattr(nn, cls_name):
        pytest.skip(f"engine.nn.{cls_name} does not exist yet")
    tl = getattr(torch.nn, cls_name)(*args)
    el = getattr(nn, cls_name)(*args)
    with engine.no_grad():
        el.weight.copy_(engine.tensor(tl.weight.detach().numpy()))
        el.bias.copy_(engine.tensor(tl.bias.detach().numpy()))
    torch.nn.utils.spectral_norm(tl)
    spectral_norm(el)
    # dim defaults to 1 (the output channels) for transposed convolutions, else 0
    expected_h = tl.weight_orig.shape[1 if cls_name == "ConvTranspose2d" else 0]
    assert el.weight_u.shape == (expected_h,) == tl.weight_u.shape
    assert el.weight_v.shape == tl.weight_v.shape
    copy_uv(tl, el)
    x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    for _ in range(2):
        to, eo = tl(torch.tensor(x)), el(engine.tensor(x))
        close(eo, to, atol=1e-5)
    g = np.random.default_rng(1).standard_normal(to.shape).astype(np.float32)
    to.backward(torch.tensor(g))
    eo.backward(engine.tensor(g))
    close(el.weight_orig.grad, tl.weight_orig.grad, atol=1e-4)
    assert repr(el) == repr(tl)
