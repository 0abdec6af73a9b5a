"""nn.utils.parameters_to_vector / vector_to_parameters: order, memory sharing, gradients, errors."""

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.nn.utils import parameters_to_vector, vector_to_parameters


def params(lib):
    return [lib.nn.Parameter(lib.arange(12.0).reshape(3, 4)), lib.nn.Parameter(lib.tensor([-1.0, -2.0]))]


def test_parameters_to_vector_order_and_grad():
    ps = params(engine)
    vec = parameters_to_vector(ps)
    assert vec.shape == (14,) and type(vec) is engine.Tensor
    np.testing.assert_array_equal(vec.detach().numpy(), np.r_[np.arange(12.0), -1.0, -2.0].astype(np.float32))
    assert type(vec.grad_fn).__name__ == "CatBackward0"
    (vec * engine.arange(14.0)).sum().backward()
    np.testing.assert_array_equal(ps[0].grad.numpy(), np.arange(12.0, dtype=np.float32).reshape(3, 4))
    np.testing.assert_array_equal(ps[1].grad.numpy(), np.array([12.0, 13.0], np.float32))


def test_vector_to_parameters_round_trip_and_sharing():
    ps = params(engine)
    ids = [id(p) for p in ps]
    vec = engine.arange(100.0, 114.0)
    assert vector_to_parameters(vec, ps) is None
    assert [id(p) for p in ps] == ids and all(isinstance(p, nn.Parameter) for p in ps)
    assert ps[0].shape == (3, 4) and ps[1].shape == (2,)
    np.testing.assert_array_equal(parameters_to_vector(ps).detach().numpy(), vec.numpy())
    vec[0] = -5.0  # the parameters view the vector's memory, like torch
    assert ps[0][0, 0].item() == -5.0
    assert ps[0].requires_grad
    # a longer vector is fine: only the first numel values are used
    vector_to_parameters(engine.zeros(20), ps)
    assert parameters_to_vector(ps).abs().sum().item() == 0.0


def test_module_parameters_round_trip():
    m = nn.Module()
    m.a = nn.Parameter(engine.randn(2, 3))
    m.b = nn.Parameter(engine.randn(4))
    vec = parameters_to_vector(m.parameters()).detach().clone()
    with engine.no_grad():
        for p in m.parameters():
            p.zero_()
    vector_to_parameters(vec, m.parameters())
    np.testing.assert_array_equal(parameters_to_vector(m.parameters()).detach().numpy(), vec.numpy())


def test_errors():
    ps = params(engine)
    with pytest.raises(RuntimeError, match=r"^shape '\[3, 4\]' is invalid for input of size 5$"):
        vector_to_parameters(engine.zeros(5), ps)
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: numpy.ndarray$"):
        vector_to_parameters(np.zeros(14), ps)
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: list$"):
        vector_to_parameters([1.0], ps)
    with pytest.raises(ValueError, match=r"^torch.cat\(\): expected a non-empty list of Tensors$"):
        parameters_to_vector([])
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        parameters_to_vector([engine.ones(3, 4).t()])


@pytest.mark.parity
def test_parity_with_torch():
    import torch

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    tps = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    eps = [nn.Parameter(engine.tensor(a)) for a in arrays]
    tv, ev = torch.nn.utils.parameters_to_vector(tps), parameters_to_vector(eps)
    np.testing.assert_array_equal(ev.detach().numpy(), tv.detach().numpy())
    g = rng.standard_normal(11).astype(np.float32)
    tv.backward(torch.tensor(g))
    ev.backward(engine.tensor(g))
    for e, t in zip(eps, tps):
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    new = rng.standard_normal(11).astype(np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tps)
    vector_to_parameters(engine.tensor(new), eps)
    for e, t in zip(eps, tps):
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
