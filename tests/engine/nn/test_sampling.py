"""Resampling: interpolate (all modes), pixel_shuffle/unshuffle, affine_grid/grid_sample and their modules."""

import re
import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch


def arr(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def t64(rng, *shape):
    return engine.tensor(rng.standard_normal(shape), requires_grad=True)


SIZES = [dict(scale_factor=2), dict(scale_factor=0.5), dict(size=(8, 3)), dict(scale_factor=(1.7, 2.3)),
         dict(scale_factor=1.7, recompute_scale_factor=True), dict(size=(1, 1))]


@pytest.mark.parity
@pytest.mark.parametrize("mode, align", [("nearest", None), ("nearest-exact", None), ("bilinear", False),
                                         ("bilinear", True), ("bicubic", False), ("bicubic", True),
                                         ("area", None)])
@pytest.mark.parametrize("kw", SIZES)
def test_interpolate_2d_matches_torch(rng, mode, align, kw):
    check_against_torch(lambda L, x: L.nn.functional.interpolate(x, mode=mode, align_corners=align, **kw),
                        arr(rng, 2, 3, 5, 7), atol=1e-5)


@pytest.mark.parity
def test_interpolate_1d_3d_match_torch(rng):
    x1, x3 = arr(rng, 2, 3, 5), arr(rng, 1, 2, 3, 4, 5)
    cases = [(x1, mode, align, kw) for mode, align in (("nearest", None), ("linear", True), ("linear", False),
                                                       ("nearest-exact", None))
             for kw in (dict(scale_factor=2.5), dict(size=3))]
    cases += [(x3, mode, align, dict(scale_factor=(2, 1.5, 0.6)))
              for mode, align in (("nearest", None), ("trilinear", False), ("trilinear", True),
                                  ("area", None))]
    for x, mode, align, kw in cases:
        def fn(L, x, mode=mode, align=align, kw=kw):
            return L.nn.functional.interpolate(x, mode=mode, align_corners=align, **kw)

        check_against_torch(fn, x, atol=1e-5)


def test_gradcheck_and_double_backward_of_interpolation(rng):
    x = t64(rng, 1, 2, 3, 4)
    for mode, align in (("nearest", None), ("bilinear", False), ("bicubic", True)):
        assert gradcheck(lambda x, mode=mode, align=align: F.interpolate(x, size=(5, 3), mode=mode,
                                                                         align_corners=align), (x,))
    assert gradgradcheck(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear") ** 2, (x,))
    assert F.interpolate(x, scale_factor=2, mode="bilinear").grad_fn.name() == "UpsampleBilinear2DBackward0"
    assert F.interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"


@pytest.mark.parametrize("kw, exc, message", [
    (dict(), ValueError, "either size or scale_factor should be defined"),
    (dict(size=4, scale_factor=2), ValueError, "only one of size or scale_factor should be defined"),
    (dict(size=4, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
     "trilinear"),
    (dict(size=4, mode="linear"), NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
    (dict(size=(4, 4, 4)), ValueError, "Input and output must have the same number of spatial dimensions"),
    (dict(size=4, mode="bilinear", recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size."),
    (dict(size=0), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (H: 8, W: 8) output (H: 0, W: 0)"),
])
def test_interpolate_errors_match_torch(kw, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        F.interpolate(engine.zeros(2, 3, 8, 8), **kw)


@pytest.mark.parity
def test_pixel_shuffle_unshuffle_match_torch(rng):
    check_against_torch(lambda L, x: L.nn.functional.pixel_shuffle(x, 3), arr(rng, 2, 18, 4, 5))
    check_against_torch(lambda L, x: L.nn.functional.pixel_shuffle(x, 2), arr(rng, 2, 5, 4, 3, 3))
    check_against_torch(lambda L, x: L.nn.functional.pixel_unshuffle(x, 2), arr(rng, 2, 3, 4, 6))
    check_against_torch(lambda L, x: L.nn.functional.pixel_unshuffle(x, 3), arr(rng, 2, 6, 9))


def test_pixel_shuffle_notes_example_and_errors():
    assert nn.PixelShuffle(3)(engine.randn(1, 9, 4, 4)).shape == (1, 1, 12, 12)
    x = engine.randn(1, 8, 2, 3, requires_grad=True)
    y = F.pixel_shuffle(x, 2)
    assert y.grad_fn.name() == "PixelShuffleBackward0"
    assert np.array_equal(F.pixel_unshuffle(y, 2).detach().numpy(), x.detach().numpy())
    with pytest.raises(RuntimeError, match=re.escape("input.size(-3)=3 is not divisible by 4")):
        F.pixel_shuffle(engine.zeros(2, 3, 4, 4), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle expects input to have at least 3 dimensions"):
        F.pixel_shuffle(engine.zeros(9, 4), 3)
    with pytest.raises(RuntimeError, match=re.escape("input.size(-2)=4 is not divisible by 3")):
        F.pixel_unshuffle(engine.zeros(1, 1, 4, 4), 3)


@pytest.mark.parity
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_matches_torch(rng, align, mode, padding_mode):
    grid = (rng.standard_normal((2, 6, 7, 2)) * 1.5).astype(np.float32)
    def fn(L, x, g):
        return L.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align)

    check_against_torch(fn, arr(rng, 2, 3, 4, 5), grid, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_matches_torch(rng, align):
    check_against_torch(lambda L, t: L.nn.functional.affine_grid(t, (2, 3, 4, 5), align_corners=align),
                        arr(rng, 2, 2, 3))


def test_grid_sample_gradcheck_and_warning(rng):
    x, grid = t64(rng, 1, 2, 3, 4), engine.tensor(rng.uniform(-1.1, 1.1, (1, 2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x, g: F.grid_sample(x, g, align_corners=False), (x, grid))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.affine_grid(engine.zeros(1, 2, 3), (1, 1, 2, 2))
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or 'reflection'"):
        F.grid_sample(x, grid, padding_mode="foo", align_corners=True)


# ------------------------------------------------------------------------------------------ modules ---
@pytest.mark.parity
@pytest.mark.parametrize("name, args, kw", [
    ("Upsample", (), dict(scale_factor=2)),
    ("Upsample", (), dict(size=(3, 4), mode="bilinear", align_corners=True)),
    ("Upsample", (), dict(scale_factor=(1.5, 2), mode="bicubic")),
    ("UpsamplingNearest2d", (), dict(scale_factor=2)),
    ("UpsamplingBilinear2d", (), dict(size=4)),
    ("PixelShuffle", (2,), dict()),
    ("PixelUnshuffle", (2,), dict()),
])
def test_resampling_modules_match_torch(rng, name, args, kw):
    import torch

    e, t = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e) == repr(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(lambda L, x: (e if L is engine else t)(x), arr(rng, 2, 4, 4, 6), atol=1e-5)


@pytest.mark.parity
def test_fold_unfold_modules_match_torch(rng):
    import torch

    pairs = [(nn.Unfold(3, padding=1), torch.nn.Unfold(3, padding=1), arr(rng, 2, 3, 5, 4)),
             (nn.Fold((4, 5), 2), torch.nn.Fold((4, 5), 2), arr(rng, 2, 12, 12))]
    for e, t, x in pairs:
        assert repr(e) == repr(t)
        check_against_torch(lambda L, x, e=e, t=t: (e if L is engine else t)(x), x)
