"""nn dropout family: masks, scaling, channel-wise variants, alpha dropout, seeding, in-place, modules."""

import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck


def test_dropout_mask_scaling_and_gradient():
    engine.manual_seed(0)
    x = engine.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = y.detach().numpy()
    np.testing.assert_allclose(np.unique(vals), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((vals == 0).mean() - 0.3) < 0.02
    y.backward(engine.full((200, 100), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), 2 * vals)  # the same mask scales the gradient
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_identity_cases_and_p_one():
    x = engine.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    z = F.dropout(x, 1.0)
    assert not z.detach().numpy().any() and z.grad_fn is not None
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {bad}"):
            F.dropout(x, bad)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.dropout(engine.ones(3, dtype=engine.int64), 0.5)


def test_dropout_seeded_reproducible():
    engine.manual_seed(7)
    a = F.dropout(engine.ones(50), 0.5).numpy()
    engine.manual_seed(7)
    b = F.dropout(engine.ones(50), 0.5).numpy()
    assert np.array_equal(a, b)


def test_dropout_inplace():
    x = engine.ones(10, 10)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and x._version[0] == 1
    leaf = engine.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        F.dropout(leaf, 0.5, inplace=True)
    h = leaf * 1
    F.dropout(h, 0.5, inplace=True).sum().backward()
    assert leaf.grad is not None


def test_dropout_gradcheck_with_fixed_mask():
    x = engine.randn(4, 5, dtype=engine.float64, requires_grad=True)

    def fn(t):
        engine.manual_seed(3)
        return F.dropout(t, 0.4)

    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("fn,shape,mask_shape", [
    (F.dropout1d, (4, 6, 30), (4, 6, 1)), (F.dropout1d, (6, 30), (6, 1)),
    (F.dropout2d, (4, 6, 5, 5), (4, 6, 1, 1)), (F.dropout2d, (4, 6, 30), (4, 6, 1)),
    (F.dropout3d, (2, 6, 3, 3, 3), (2, 6, 1, 1, 1)), (F.dropout3d, (6, 3, 3, 3), (6, 1, 1, 1)),
])
def test_channel_dropout_zeroes_whole_channels(fn, shape, mask_shape):
    engine.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(engine.ones(*shape), 0.5).numpy()
    reduced = tuple(i for i, s in enumerate(mask_shape) if s == 1)
    lo, hi = y.min(axis=reduced), y.max(axis=reduced)
    assert np.array_equal(lo, hi)  # constant within each channel
    assert set(np.unique(lo)) <= {0.0, 2.0} and 0.0 in lo and 2.0 in lo


def test_channel_dropout_errors_and_warnings():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(engine.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
        F.dropout2d(engine.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(engine.ones(2, 3))
    with pytest.warns(UserWarning, match=r"\(i.e. 4D or 5D inputs\)"):
        F.dropout3d(engine.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        F.feature_alpha_dropout(engine.ones(3), 0.5, True)


def test_alpha_dropout_statistics():
    engine.manual_seed(0)
    x = engine.randn(400, 500)
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02  # self-normalising: mean 0, variance 1 kept
    values, counts = np.unique(y, return_counts=True)
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    assert np.isclose(values[counts.argmax()], -1.7580993408473766 * a * 0.8, atol=1e-5)  # all dropped ones
    assert abs(counts.max() / y.size - 0.2) < 0.01
    z = F.alpha_dropout(engine.randn(3, requires_grad=True), 1.0, True)
    assert not z.detach().numpy().any()


def test_feature_alpha_dropout_channelwise_and_grad():
    engine.manual_seed(2)
    x = engine.ones(8, 16, 5, requires_grad=True)
    y = F.feature_alpha_dropout(x, 0.5, training=True)
    v = y.detach().numpy()
    assert np.array_equal(v.min(-1), v.max(-1))
    y.sum().backward()
    g = x.grad.numpy()
    assert np.array_equal(g.min(-1), g.max(-1)) and len(np.unique(g)) == 2 and g.min() == 0


@pytest.mark.parity
def test_dropout_module_reprs_match_torch():
    import torch

    for expr in ["Dropout()", "Dropout(0.2, True)", "Dropout1d(0.1)", "Dropout2d(p=0.3)", "Dropout3d()",
                 "AlphaDropout(0.1)", "FeatureAlphaDropout(0.25, inplace=True)"]:
        assert repr(eval("nn." + expr)) == repr(eval("lib.nn." + expr, {"lib": torch}))


def test_dropout_modules_train_eval():
    m = nn.Dropout(0.5)
    x = engine.ones(4, 5, 5)
    assert m.eval()(x) is x
    assert (m.train()(x).numpy() == 0).any()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3-D input to dropout2d/3d warns, as in torch
        for cls in (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout):
            assert cls(0.3).eval()(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 2"):
        nn.Dropout(2)
    with pytest.raises(RuntimeError, match="received a 1D input"):
        nn.Dropout1d().eval()(engine.ones(3))
    assert nn.Dropout2d(0.5).train()(engine.ones(2, 3, 4, 4)).shape == (2, 3, 4, 4)
