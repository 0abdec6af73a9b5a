"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold/fold and the Conv*/ConvTranspose* modules."""

import re

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch


def arr(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def t64(rng, *shape):
    return engine.tensor(rng.standard_normal(shape), requires_grad=True)


# --------------------------------------------------------------------------------------- functional ---
CONV2D_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding="same", dilation=2),
    dict(padding="valid"),
    dict(groups=2, padding=1),
]


@pytest.mark.parity
@pytest.mark.parametrize("kw", CONV2D_CASES)
def test_conv2d_matches_torch(rng, kw):
    groups = kw.get("groups", 1)
    x, w, b = arr(rng, 2, 4, 7, 8), arr(rng, 6, 4 // groups, 3, 2), arr(rng, 6)
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, **kw), x, w, b)


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_conv2d_even_kernel_same_padding_and_no_bias(rng):
    x, w = arr(rng, 2, 3, 6, 5), arr(rng, 4, 3, 4, 2)
    check_against_torch(lambda L, x, w: L.nn.functional.conv2d(x, w, padding="same"), x, w)


@pytest.mark.parity
def test_conv2d_unbatched_depthwise_and_pointwise(rng):
    check_against_torch(lambda L, x, w: L.nn.functional.conv2d(x, w, groups=3, padding=1),
                        arr(rng, 3, 5, 5), arr(rng, 6, 1, 3, 3))
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b),
                        arr(rng, 2, 3, 4, 5), arr(rng, 5, 3, 1, 1), arr(rng, 5))


@pytest.mark.parity
def test_conv1d_and_conv3d_match_torch(rng):
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv1d(x, w, b, stride=2, padding=2, dilation=2),
                        arr(rng, 2, 3, 11), arr(rng, 4, 3, 3), arr(rng, 4))
    check_against_torch(lambda L, x, w: L.nn.functional.conv1d(x, w, padding="same"),
                        arr(rng, 3, 9), arr(rng, 2, 3, 4))
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv3d(x, w, b, stride=(1, 2, 1), padding=1),
                        arr(rng, 2, 2, 4, 5, 3), arr(rng, 3, 2, 2, 3, 2), arr(rng, 3))


@pytest.mark.parity
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), output_padding=(0, 2), dilation=(2, 1)),
                                dict(groups=2, stride=2), dict(dilation=2, output_padding=1)])
def test_conv_transpose2d_matches_torch(rng, kw):
    g = kw.get("groups", 1)
    x, w, b = arr(rng, 2, 4, 5, 4), arr(rng, 4, 6 // g, 3, 3), arr(rng, 6)
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv_transpose2d(x, w, b, **kw), x, w, b)


@pytest.mark.parity
def test_conv_transpose1d_and_3d_match_torch(rng):
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv_transpose1d(x, w, b, stride=3, padding=1),
                        arr(rng, 2, 3, 6), arr(rng, 3, 2, 4), arr(rng, 2))
    check_against_torch(lambda L, x, w: L.nn.functional.conv_transpose1d(x, w),
                        arr(rng, 3, 6), arr(rng, 3, 2, 2))
    check_against_torch(lambda L, x, w: L.nn.functional.conv_transpose3d(x, w, stride=2),
                        arr(rng, 1, 2, 2, 3, 2), arr(rng, 2, 3, 2, 2, 2))


@pytest.mark.parity
def test_unfold_fold_match_torch(rng):
    check_against_torch(lambda L, x: L.nn.functional.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2),
                        arr(rng, 2, 3, 6, 7))
    check_against_torch(lambda L, x: L.nn.functional.unfold(x, 2), arr(rng, 3, 4, 4))
    check_against_torch(lambda L, x: L.nn.functional.fold(x, (6, 7), (2, 3), dilation=(1, 2), padding=1,
                                                          stride=2), arr(rng, 2, 18, 12))
    check_against_torch(lambda L, x: L.nn.functional.fold(x, 4, 2, stride=1), arr(rng, 8, 9))


def test_gradcheck_conv_family(rng):
    x, w, b = t64(rng, 2, 2, 5, 4), t64(rng, 4, 1, 3, 2), t64(rng, 4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2), (x, w, b))
    xt, wt = t64(rng, 1, 4, 3, 3), t64(rng, 4, 2, 2, 3)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1, dilation=(1, 2)),
                     (xt, wt))
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same"), (t64(rng, 2, 2, 5), t64(rng, 3, 2, 2)))
    assert gradcheck(lambda x: F.unfold(x, 2, padding=1, stride=2), (t64(rng, 1, 2, 3, 4),))
    assert gradcheck(lambda x: F.fold(x, (3, 4), 2, padding=1, stride=2), (t64(rng, 1, 8, 6),))


def test_double_backward_of_conv_and_conv_transpose(rng):
    x, w, b = t64(rng, 1, 2, 4, 4), t64(rng, 3, 2, 2, 2), t64(rng, 3)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1),
                         (t64(rng, 1, 3, 2, 3), t64(rng, 3, 2, 2, 2)))


def test_grad_fn_names_and_saved_columns_released(rng):
    x = engine.tensor(arr(rng, 1, 2, 5, 5), requires_grad=True)
    w = engine.tensor(arr(rng, 3, 2, 3, 3), requires_grad=True)
    y = F.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert F.conv_transpose2d(y, w).grad_fn.name() == "ConvolutionBackward0"
    assert F.unfold(x, 2).grad_fn.name() == "Im2ColBackward0"
    assert y.grad_fn.cols is not None
    y.sum().backward()
    assert y.grad_fn.cols is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_conv_of_integer_tensors_and_empty_batch():
    x = engine.arange(32).reshape(1, 2, 4, 4)
    w = engine.ones(1, 2, 2, 2, dtype=engine.int64)
    out = F.conv2d(x, w)
    assert out.dtype == engine.int64 and out[0, 0, 0, 0].item() == 0 + 1 + 4 + 5 + 16 + 17 + 20 + 21
    assert F.conv2d(engine.zeros(0, 2, 4, 4), engine.zeros(3, 2, 3, 3)).shape == (0, 3, 2, 2)


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(engine.zeros(2, 3), engine.zeros(4, 3, 3, 3)),
     re.escape("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]")),
    (lambda: F.conv1d(engine.zeros(2, 3, 4, 5), engine.zeros(4, 3, 3)),
     re.escape("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
               "[2, 3, 4, 5]")),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8), engine.zeros(4, 2, 3, 3)),
     r"Given groups=1, weight of size \[4, 2, 3, 3\], expected input\[2, 3, 8, 8\] to have 2 channels, "
     "but got 3 channels instead"),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8), engine.zeros(4, 3, 9, 9)),
     r"Calculated padded input size per channel: \(8 x 8\). Kernel size: \(9 x 9\). Kernel size can't be "
     "greater than actual input size"),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8), engine.zeros(4, 3, 3, 3), engine.zeros(5)),
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[5\] instead"),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8), engine.zeros(4, 3, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8), engine.zeros(4, 3, 3, 3), padding=-1),
     "negative padding is not supported"),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8), engine.zeros(4, 3, 3, 3), stride=(1, 1, 1)),
     "expected stride to be a single integer value or a list of 2 values"),
    (lambda: F.conv2d(engine.zeros(2, 3, 8, 8, dtype=engine.float64), engine.zeros(4, 3, 3, 3)),
     "expected scalar type Double but found Float"),
    (lambda: F.conv_transpose2d(engine.zeros(2, 3, 8, 8), engine.zeros(3, 4, 3, 3), output_padding=2,
                                stride=2),
     "output padding must be smaller than either stride or dilation"),
    (lambda: F.unfold(engine.zeros(2, 3, 8, 8), 9),
     r"calculated shape of the array of sliding blocks as \(0, 0\)"),
])
def test_conv_errors_match_torch(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


# ------------------------------------------------------------------------------------------ modules ---
def _module_parity(e_mod, t_mod, x, *, forward=lambda m, x: m(x), rtol=1e-4, atol=1e-5):
    """Load torch's state_dict into the engine module; compare repr, output and input/param gradients."""
    import torch

    assert repr(e_mod) == repr(t_mod)
    e_mod.load_state_dict({k: engine.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})
    ex, tx = engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo, to = forward(e_mod, ex), forward(t_mod, tx)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(0).standard_normal(tuple(to.shape)).astype(np.float32)
    eo.backward(engine.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    for (name, ep), (_, tp) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parity
@pytest.mark.parametrize("nd, args, kw, shape", [
    (1, (3, 4, 3), dict(), (2, 3, 9)),
    (2, (4, 6, (3, 2)), dict(stride=2, padding=1, dilation=(2, 1), groups=2, bias=False), (2, 4, 9, 8)),
    (2, (3, 4, 3), dict(padding="same", padding_mode="reflect"), (2, 3, 6, 7)),
    (2, (3, 4, (2, 3)), dict(padding=(1, 2), padding_mode="replicate"), (2, 3, 6, 7)),
    (2, (3, 4, 3), dict(padding=2, padding_mode="circular", stride=2), (3, 6, 7)),
    (3, (2, 3, 2), dict(padding=1), (1, 2, 3, 4, 3)),
])
def test_conv_modules_match_torch(rng, nd, args, kw, shape):
    import torch

    name = f"Conv{nd}d"
    _module_parity(getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw), arr(rng, *shape))


@pytest.mark.parity
def test_conv_transpose_modules_match_torch(rng):
    import torch

    kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    _module_parity(nn.ConvTranspose2d(4, 6, 3, **kw), torch.nn.ConvTranspose2d(4, 6, 3, **kw),
                   arr(rng, 2, 4, 3, 5))
    _module_parity(nn.ConvTranspose1d(3, 2, 4, stride=3, bias=False),
                   torch.nn.ConvTranspose1d(3, 2, 4, stride=3, bias=False), arr(rng, 2, 3, 5))
    size_fwd = lambda m, x: m(x, output_size=[9, 12])  # noqa: E731
    _module_parity(nn.ConvTranspose2d(3, 2, 3, stride=2), torch.nn.ConvTranspose2d(3, 2, 3, stride=2),
                   arr(rng, 1, 3, 4, 5), forward=size_fwd)


def test_conv_module_init_shapes_and_bounds():
    engine.manual_seed(0)
    m = nn.Conv2d(4, 8, (3, 5), groups=2)
    assert m.weight.shape == (8, 2, 3, 5) and m.bias.shape == (8,)
    bound = 1 / np.sqrt(2 * 3 * 5)
    assert np.abs(m.weight.detach().numpy()).max() <= bound and np.abs(m.bias.detach().numpy()).max() <= bound
    assert m.weight.detach().numpy().std() > bound / 3
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)
    assert [k for k, _ in m.named_parameters()] == ["weight", "bias"]


def test_conv_module_errors_and_output_size():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    m = nn.ConvTranspose2d(3, 2, 3, stride=2)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(engine.zeros(1, 3, 4, 5), output_size=(20, 20))
    assert m(engine.zeros(1, 3, 4, 5), output_size=(1, 2, 10, 12)).shape == (1, 2, 10, 12)


@pytest.mark.parity
def test_threaded_kernels_give_the_same_results(rng, monkeypatch):
    from engine import _parallel, threads

    monkeypatch.setattr(_parallel, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(threads, "_num_threads", 3)
    check_against_torch(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, padding=1), arr(rng, 5, 3, 6, 7),
                        arr(rng, 4, 3, 3, 3), arr(rng, 4))
    check_against_torch(lambda L, x, w: L.nn.functional.conv2d(x, w, stride=2, padding=(1, 2)),
                        arr(rng, 4, 2, 7, 6), arr(rng, 3, 2, 3, 2))
    check_against_torch(lambda L, x: L.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True),
                        arr(rng, 5, 2, 7, 7))
    check_against_torch(lambda L, x: L.nn.functional.avg_pool2d(x, 2), arr(rng, 5, 2, 6, 6))
