"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm), against PyTorch."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.nn.utils import parametrizations, parametrize


def close(e, t, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


def toy(lib, weight):
    class Toy(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(weight))

        def forward(self, x):
            return x @ self.weight.reshape(self.weight.shape[0], -1).t()

    return Toy()


def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).t()

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def test_register_property_and_remove():
    m = toy(engine, np.arange(9, dtype=np.float32).reshape(3, 3))
    original = m.weight
    parametrize.register_parametrization(m, "weight", symmetric(engine))
    assert type(m).__name__ == "ParametrizedToy"
    assert parametrize.type_before_parametrizations(m).__name__ == "Toy"
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert m.parametrizations.weight.original is original  # same Parameter object, values from right_inverse
    assert [k for k, _ in m.named_parameters()] == ["parametrizations.weight.original"]
    w = m.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    m.weight = engine.eye(3) * 2  # assignment goes through right_inverse
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.eye(3) * 2)
    with parametrize.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    copied = copy.deepcopy(m)
    assert engine.equal(copied.weight, m.weight)
    with pytest.raises(RuntimeError, match="^Serialization of parametrized modules is only supported"):
        pickle.dumps(m)
    parametrize.remove_parametrizations(m, "weight")
    assert type(m).__name__ == "Toy" and isinstance(m.weight, nn.Parameter) and m.weight is original
    assert not hasattr(m, "parametrizations")
    with pytest.raises(ValueError, match=r"^Module Toy\(\) does not have a parametrization on weight$"):
        parametrize.remove_parametrizations(m, "weight")
    with pytest.raises(ValueError, match=r"^Module 'Toy\(\)' does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'nope'$"):
        parametrize.register_parametrization(m, "nope", symmetric(engine))


def test_shape_change_refused_unless_unsafe():
    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        parametrize.register_parametrization(toy(engine, np.ones((2, 2), np.float32)), "weight", Flat())
    m = parametrize.register_parametrization(toy(engine, np.ones((2, 2), np.float32)), "weight", Flat(),
                                             unsafe=True)
    assert m.weight.shape == (4,)


@pytest.mark.parity
def test_spectral_norm_parametrization_parity():
    import torch

    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 2, 3)).astype(np.float32)
    tm = torch.nn.utils.parametrizations.spectral_norm(toy(torch, w), n_power_iterations=2)
    em = parametrizations.spectral_norm(toy(engine, w), n_power_iterations=2)
    t_state = tm.state_dict()
    assert list(em.state_dict()) == list(t_state)
    em.load_state_dict({k: engine.tensor(v.numpy()) for k, v in t_state.items()})
    for _ in range(3):
        x = rng.standard_normal((3, 6)).astype(np.float32)
        g = rng.standard_normal((3, 4)).astype(np.float32)
        tm.zero_grad()
        em.zero_grad()
        to, eo = tm(torch.tensor(x)), em(engine.tensor(x))
        close(eo, to)
        close(em.parametrizations.weight[0]._u, tm.parametrizations.weight[0]._u)
        to.backward(torch.tensor(g))
        eo.backward(engine.tensor(g))
        close(em.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad, atol=1e-5)
    # the registration ran 15 power iterations: sigma is close to the top singular value
    fresh = parametrizations.spectral_norm(toy(engine, w[:, :, 0].copy()))
    top = np.linalg.svd(fresh.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(top - 1.0) < 0.05


@pytest.mark.parity
def test_weight_norm_parametrization_parity_and_old_checkpoint():
    import torch

    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 5)).astype(np.float32)
    tm = torch.nn.utils.parametrizations.weight_norm(toy(torch, w), dim=None)
    em = parametrizations.weight_norm(toy(engine, w), dim=None)
    assert em.parametrizations.weight.original0.shape == tm.parametrizations.weight.original0.shape == ()
    x = rng.standard_normal((2, 5)).astype(np.float32)
    g = rng.standard_normal((2, 3)).astype(np.float32)
    to, eo = tm(torch.tensor(x)), em(engine.tensor(x))
    close(eo, to)
    to.backward(torch.tensor(g))
    eo.backward(engine.tensor(g))
    close(em.parametrizations.weight.original1.grad, tm.parametrizations.weight.original1.grad, atol=1e-5)
    # a state dict of the old hook-based weight_norm loads into the parametrized module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = engine.nn.utils.weight_norm(toy(engine, w * 3))
    new = parametrizations.weight_norm(toy(engine, w))
    assert str(new.load_state_dict(old.state_dict())) == "<All keys matched successfully>"
    close(new.weight, old.weight)
