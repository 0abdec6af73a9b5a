"""vision.transforms on tensor images (C, H, W) and batches (B, C, H, W): numpy references, torch parity."""

import colorsys
import math

import numpy as np
import pytest
from PIL import Image

import engine as torch
from engine.vision import transforms as T
from engine.vision.transforms import functional as F


@pytest.fixture
def img():
    return np.random.default_rng(1).random((3, 9, 12)).astype(np.float32)


def test_batched_geometry(img):
    batch = torch.tensor(np.stack([img, img[:, ::-1].copy()]))
    assert T.Resize((5, 6))(batch).shape == (2, 3, 5, 6)
    assert T.CenterCrop(4)(batch).shape == (2, 3, 4, 4)
    assert T.RandomHorizontalFlip(1.0)(batch).shape == (2, 3, 9, 12)
    assert T.Resize(4)(torch.tensor(img)).shape == (3, 4, 5)  # smaller edge 9 -> 4, 12 -> int(4 * 12 / 9)


def test_resize_same_size_returns_input(img):
    t = torch.tensor(img)
    assert F.resize(t, [9, 12]) is t


def test_resize_uint8_rounds_and_stays_uint8():
    a = np.arange(16, dtype=np.uint8).reshape(1, 4, 4) * 15
    out = F.resize(torch.tensor(a), [2, 2])
    assert out.dtype == torch.uint8
    ref = F.resize(torch.tensor(a.astype(np.float32)), [2, 2]).numpy()  # computed in float32, then rounded
    np.testing.assert_array_equal(out.numpy(), np.round(ref).astype(np.uint8))


def test_pad_modes_match_numpy(img):
    t = torch.tensor(img)
    for mode, np_mode in [("constant", "constant"), ("edge", "edge"), ("reflect", "reflect"),
                          ("symmetric", "symmetric")]:
        out = F.pad(t, [1, 2, 3, 4], padding_mode=mode)
        np.testing.assert_array_equal(out.numpy(), np.pad(img, ((0, 0), (2, 4), (1, 3)), mode=np_mode))
    assert F.pad(t, [-1, 0, -2, 0]).shape == (3, 9, 9)  # negative padding crops


def test_crop_out_of_bounds_pads_with_zeros(img):
    out = F.crop(torch.tensor(img), -1, -2, 4, 5)
    assert out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out.numpy()[:, 1:, 2:], img[:, :3, :3])
    assert out.numpy()[:, 0].sum() == 0 and out.numpy()[:, :, :2].sum() == 0


def test_grayscale_and_color_ops_follow_formulas(img):
    t = torch.tensor(img)
    gray = 0.2989 * img[0] + 0.587 * img[1] + 0.114 * img[2]
    np.testing.assert_allclose(T.Grayscale()(t).numpy()[0], gray, rtol=1e-6)
    assert T.Grayscale(3)(t).shape == (3, 9, 12)
    np.testing.assert_allclose(F.adjust_brightness(t, 1.5).numpy(), np.clip(img * 1.5, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(F.adjust_contrast(t, 0.5).numpy(),
                               np.clip(0.5 * img + 0.5 * gray.mean(), 0, 1), rtol=1e-5)
    desaturated = F.adjust_saturation(t, 0.0).numpy()
    np.testing.assert_allclose(desaturated, np.broadcast_to(gray, img.shape), rtol=1e-5)
    u8 = torch.tensor((img * 255).astype(np.uint8))
    out = F.adjust_brightness(u8, 1.7)
    assert out.dtype == torch.uint8
    ref = np.clip(np.float32(1.7) * u8.numpy().astype(np.float32), 0, 255).astype(np.uint8)  # truncates
    np.testing.assert_array_equal(out.numpy(), ref)
    with pytest.raises(TypeError, match="Input image tensor permitted channel values are \\[1, 3\\], but "
                                        "found 2"):
        F.adjust_brightness(torch.zeros(2, 3, 3), 1.0)


def test_adjust_hue_matches_colorsys(img):
    out = F.adjust_hue(torch.tensor(img), 0.25).numpy()
    for (y, x) in [(0, 0), (4, 7), (8, 11)]:
        h, s, v = colorsys.rgb_to_hsv(*img[:, y, x])
        ref = colorsys.hsv_to_rgb((h + 0.25) % 1.0, s, v)
        np.testing.assert_allclose(out[:, y, x], ref, atol=1e-5)
    np.testing.assert_allclose(F.adjust_hue(torch.tensor(img), 0.0).numpy(), img, atol=1e-6)


def test_convert_image_dtype():
    f = torch.tensor([[[0.0, 0.5, 1.0]]])
    assert T.ConvertImageDtype(torch.uint8)(f).tolist() == [[[0, 127, 255]]]
    u = torch.tensor([[[0, 255]]], dtype=torch.uint8)
    assert T.ConvertImageDtype(torch.float32)(u).tolist() == [[[0.0, 1.0]]]
    assert F.convert_image_dtype(u, torch.int32).tolist() == [[[0, 255 * 2**23]]]  # scaled by (2**31) // 256
    with pytest.raises(RuntimeError, match="The cast from torch.float32 to torch.int64 cannot be performed "
                                           "safely."):
        F.convert_image_dtype(f, torch.int64)


def test_gaussian_blur_matches_direct_convolution(img):
    out = F.gaussian_blur(torch.tensor(img), [3, 5], [0.8, 1.3]).numpy()

    def k1d(n, s):
        x = np.linspace(-(n - 1) / 2, (n - 1) / 2, n)
        p = np.exp(-0.5 * (x / s) ** 2)
        return p / p.sum()

    k2 = np.outer(k1d(5, 1.3), k1d(3, 0.8))  # rows: y (size 5), cols: x (size 3)
    padded = np.pad(img, ((0, 0), (2, 2), (1, 1)), mode="reflect")
    ref = np.zeros_like(img, dtype=np.float64)
    for dy in range(5):
        for dx in range(3):
            ref += k2[dy, dx] * padded[:, dy:dy + 9, dx:dx + 12]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_rotate_tensor_quarter_turn_and_expand():
    a = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    sq = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    np.testing.assert_array_equal(F.rotate(torch.tensor(sq), 90.0).numpy(), np.rot90(sq, 1, axes=(1, 2)))
    for angle in (30.0, -50.0, 75.0):  # expanded sizes follow Pillow's bounding box
        pil = Image.fromarray(np.zeros((3, 4), np.uint8)).rotate(angle, expand=True)
        assert F.rotate(torch.tensor(a), angle, expand=True).shape == (1, pil.height, pil.width)
    torch.manual_seed(0)
    r = T.RandomRotation(45, fill=1.0)(torch.tensor(sq))
    assert r.shape == (1, 4, 4) and (r.numpy() == 1.0).any()


def test_tensor_transforms_reproducible_with_manual_seed(img):
    aug = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.1),
                     T.RandomRotation(20), T.GaussianBlur(3)])
    torch.manual_seed(123)
    a = aug(torch.tensor(img)).numpy()
    torch.manual_seed(123)
    np.testing.assert_array_equal(aug(torch.tensor(img)).numpy(), a)


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest", "nearest-exact"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(4, 5), (13, 20), (9, 5)])
def test_resize_matches_torch_interpolate(img, mode, antialias, size):
    import torch as real

    got = F.resize(torch.tensor(img), list(size), F.InterpolationMode(mode), antialias=antialias).numpy()
    aa = antialias and mode in ("bilinear", "bicubic")
    kwargs = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    want = real.nn.functional.interpolate(real.tensor(img)[None], size=size, mode=mode, antialias=aa,
                                          **kwargs)[0]
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle", [0.0, 30.0, -71.5, 90.0, 180.0])
def test_rotate_matches_grid_sample(img, mode, angle):
    """torchvision rotates by sampling a centred, pixel-unit affine grid (align_corners=False) with zero
    padding and blending a sampled validity mask with the fill; reproduce that with torch's grid_sample."""
    import torch as real

    got = F.rotate(torch.tensor(img), angle, F.InterpolationMode(mode), fill=[0.0, 0.0, 0.0]).numpy()
    c, h, w = img.shape
    r = math.radians(angle)
    inv = real.tensor([[math.cos(r), -math.sin(r), 0.0], [math.sin(r), math.cos(r), 0.0]], dtype=real.float32)
    xs = real.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w)
    ys = real.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h)
    base = real.stack([xs.expand(h, w), ys[:, None].expand(h, w), real.ones(h, w)], dim=-1)
    grid = (base.reshape(-1, 3) @ (inv.T / real.tensor([0.5 * w, 0.5 * h]))).reshape(1, h, w, 2)
    with_mask = real.cat([real.tensor(img), real.ones(1, h, w)])[None]
    s = real.nn.functional.grid_sample(with_mask, grid, mode=mode, padding_mode="zeros",
                                       align_corners=False)[0]
    out, mask = s[:-1], s[-1:].expand(c, h, w)
    want = real.where(mask < 0.5, 0.0, out) if mode == "nearest" else out * mask
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parity
def test_to_tensor_and_normalize_match_torch_ops():
    import torch as real

    a = np.random.default_rng(2).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    got = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])(a)
    x = real.from_numpy(a).permute(2, 0, 1).float().div(255)
    mean, std = real.tensor([0.485, 0.456, 0.406]), real.tensor([0.229, 0.224, 0.225])
    want = (x - mean[:, None, None]) / std[:, None, None]
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
