"""vision.transforms on PIL images: values against Pillow/numpy, randomness, errors, reprs."""

import numpy as np
import pytest
from PIL import Image, ImageEnhance

import engine as torch
from engine.vision import transforms as T
from engine.vision.transforms import functional as F


@pytest.fixture
def rgb():
    a = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    return Image.fromarray(a), a


def test_to_tensor_pil_and_ndarray(rgb):
    img, a = rgb
    t = T.ToTensor()(img)
    assert t.shape == (3, 20, 30) and t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / 255.0, rtol=0, atol=1e-7)
    assert T.ToTensor()(a).shape == (3, 20, 30)
    gray = T.ToTensor()(img.convert("L"))
    assert gray.shape == (1, 20, 30)
    f = np.full((2, 3, 1), 7.0, np.float32)
    out = T.ToTensor()(f)
    assert out.dtype == torch.float32 and out.max().item() == 7.0  # non-uint8 arrays are not scaled
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        T.ToTensor()([1])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_pil_to_tensor_and_back(rgb):
    img, a = rgb
    t = T.PILToTensor()(img)
    assert t.dtype == torch.uint8 and np.array_equal(t.numpy(), a.transpose(2, 0, 1))
    back = T.ToPILImage()(t)
    assert back.mode == "RGB" and np.array_equal(np.asarray(back), a)
    assert T.ToPILImage()(T.ToTensor()(img)).mode == "RGB"
    assert T.ToPILImage()(torch.zeros(1, 4, 4)).mode == "L"
    assert T.ToPILImage()(torch.zeros(4, 4, 4, dtype=torch.uint8)).mode == "RGBA"
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        T.ToPILImage()(torch.zeros(5, 2, 2))
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported for 3D inputs"):
        T.ToPILImage(mode="RGBA")(torch.zeros(3, 2, 2))


def test_normalize():
    x = torch.rand(3, 4, 5)
    out = T.Normalize([0.5, 0.4, 0.3], [0.2, 0.5, 1.0])(x)
    ref = (x.numpy() - np.array([0.5, 0.4, 0.3])[:, None, None]) / np.array([0.2, 0.5, 1.0])[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-6)
    assert not np.allclose(x.numpy(), out.numpy())  # not in place by default
    y = x.clone()
    assert T.Normalize([0.5] * 3, [0.5] * 3, inplace=True)(y) is y
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torch.uint8."):
        T.Normalize([0.5], [0.5])(torch.zeros(1, 2, 2, dtype=torch.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to torch.float32"):
        T.Normalize([0.5], [0.0])(torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size \\(..., C, H, W\\)"):
        T.Normalize([0.5], [0.5])(torch.zeros(2, 2))


def test_resize_pil_matches_pillow_and_keeps_aspect(rgb):
    img, _ = rgb
    out = T.Resize(10)(img)
    assert out.size == (15, 10)  # smaller edge -> 10, width int(10 * 30 / 20)
    assert np.array_equal(np.asarray(out), np.asarray(img.resize((15, 10), Image.BILINEAR)))
    assert T.Resize((7, 9), interpolation=T.InterpolationMode.NEAREST)(img).size == (9, 7)
    assert T.Resize(10, max_size=12)(img).size == (12, 8)
    with pytest.raises(ValueError, match="max_size = 10 must be strictly greater than the requested size"):
        T.Resize(10, max_size=10)(img)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize([1, 2, 3])


def test_center_crop_and_padding_when_larger(rgb):
    img, a = rgb
    out = T.CenterCrop(8)(img)
    top, left = int(round((20 - 8) / 2)), int(round((30 - 8) / 2))
    assert np.array_equal(np.asarray(out), a[top:top + 8, left:left + 8])
    t = T.CenterCrop((4, 6))(T.PILToTensor()(img))
    assert np.array_equal(t.numpy(), a[8:12, 12:18].transpose(2, 0, 1))
    big = T.CenterCrop((24, 30))(T.PILToTensor()(img))
    assert big.shape == (3, 24, 30) and big[:, :2].sum().item() == 0 and big[:, -2:].sum().item() == 0


def test_random_crop_reproducible_and_padding(rgb):
    img, a = rgb
    torch.manual_seed(0)
    first = np.asarray(T.RandomCrop(8, padding=4)(img))
    torch.manual_seed(0)
    assert np.array_equal(first, np.asarray(T.RandomCrop(8, padding=4)(img)))
    assert T.RandomCrop((25, 35), pad_if_needed=True)(img).size == (35, 25)
    with pytest.raises(ValueError, match="Required crop size \\(25, 35\\) is larger than input image size"):
        T.RandomCrop((25, 35))(img)
    torch.manual_seed(3)
    i, j, h, w = T.RandomCrop.get_params(img, (5, 6))
    torch.manual_seed(3)
    assert np.array_equal(np.asarray(T.RandomCrop((5, 6))(img)), a[i:i + h, j:j + w])


def test_random_resized_crop(rgb):
    img, _ = rgb
    torch.manual_seed(1)
    for _ in range(20):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert min(i, j) >= 0 and i + h <= 20 and j + w <= 30 and h > 0 and w > 0
    assert T.RandomResizedCrop(16)(img).size == (16, 16)
    assert T.RandomResizedCrop((8, 12))(T.ToTensor()(img)).shape == (3, 8, 12)


def test_flips(rgb):
    img, a = rgb
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(img)), a[:, ::-1])
    assert np.array_equal(np.asarray(T.RandomVerticalFlip(p=1.0)(img)), a[::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    t = T.PILToTensor()(img)
    assert np.array_equal(T.RandomHorizontalFlip(1.0)(t).numpy(), a[:, ::-1].transpose(2, 0, 1))
    assert np.array_equal(F.vflip(t).numpy(), a[::-1].transpose(2, 0, 1))


def test_random_rotation_pil_uses_pillow(rgb):
    img, _ = rgb
    torch.manual_seed(2)
    angle = T.RandomRotation.get_params([-30.0, 30.0])
    torch.manual_seed(2)
    out = T.RandomRotation(30, fill=5)(img)
    assert np.array_equal(np.asarray(out), np.asarray(img.rotate(angle, Image.NEAREST, fillcolor=(5, 5, 5))))
    assert T.RandomRotation((90, 90), expand=True)(img).size == (20, 30)


def test_color_jitter_pil_brightness_matches_image_enhance(rgb):
    img, _ = rgb
    torch.manual_seed(4)
    _, b, _, _, _ = T.ColorJitter.get_params((0.5, 1.5), None, None, None)
    torch.manual_seed(4)
    out = T.ColorJitter(brightness=0.5)(img)
    assert np.array_equal(np.asarray(out), np.asarray(ImageEnhance.Brightness(img).enhance(b)))
    jittered = T.ColorJitter(0.4, 0.4, 0.4, 0.2)(img)
    assert jittered.size == img.size and jittered.mode == "RGB"
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non negative."):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="hue values should be between \\(-0.5, 0.5\\), but got \\[-0.6, "
                                         "0.6\\]."):
        T.ColorJitter(hue=0.6)


def test_adjust_hue_pil_zero_is_identity_up_to_hsv_rounding(rgb):
    img, a = rgb
    out = np.asarray(F.adjust_hue(img, 0.0)).astype(int)
    assert np.abs(out - np.asarray(img.convert("HSV").convert("RGB")).astype(int)).max() == 0
    with pytest.raises(ValueError, match="hue_factor \\(0.7\\) is not in \\[-0.5, 0.5\\]."):
        F.adjust_hue(img, 0.7)


def test_grayscale(rgb):
    img, _ = rgb
    g1 = T.Grayscale()(img)
    assert g1.mode == "L" and np.array_equal(np.asarray(g1), np.asarray(img.convert("L")))
    g3 = T.Grayscale(3)(img)
    assert g3.mode == "RGB" and np.array_equal(np.asarray(g3)[..., 1], np.asarray(g1))
    assert T.RandomGrayscale(p=1.0)(img).mode == "RGB"  # keeps the channel count
    assert T.RandomGrayscale(p=0.0)(img) is img


def test_pad_pil(rgb):
    img, a = rgb
    out = np.asarray(T.Pad((1, 2, 3, 4), fill=(9, 8, 7))(img))
    assert out.shape == (26, 34, 3) and tuple(out[0, 0]) == (9, 8, 7)
    assert np.array_equal(out[2:22, 1:31], a)
    for mode in ("edge", "reflect", "symmetric"):
        got = np.asarray(T.Pad(2, padding_mode=mode)(img))
        assert np.array_equal(got, np.pad(a, ((2, 2), (2, 2), (0, 0)), mode=mode))
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 "
                                         "element"):
        T.Pad((1, 2, 3))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or"):
        T.Pad(1, padding_mode="wrap")


def test_lambda_and_random_containers(rgb):
    img, _ = rgb
    assert T.Lambda(lambda x: 7)(img) == 7
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    add1 = T.Lambda(lambda x: x + 1)
    assert T.RandomApply([add1, add1], p=1.0)(0) == 2 and T.RandomApply([add1], p=0.0)(0) == 0
    assert T.RandomChoice([add1, T.Lambda(lambda x: x + 10)])(0) in (1, 10)
    assert T.RandomOrder([add1, add1])(0) == 2


def test_gaussian_blur_pil(rgb):
    img, _ = rgb
    out = T.GaussianBlur(3, sigma=1.0)(img)
    assert out.size == img.size and out.mode == "RGB"
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive number."):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="sigma values should be positive and of the form \\(min, max\\)."):
        T.GaussianBlur(3, (2.0, 1.0))


def test_reprs():
    c = T.Compose([T.ToTensor(), T.Normalize(mean=(0.5,), std=(0.5,))])
    assert repr(c) == "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"
    assert repr(T.Resize(256)) == "Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(T.CenterCrop(224)) == "CenterCrop(size=(224, 224))"
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(T.RandomResizedCrop(224)) == ("RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), "
                                              "ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)")
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.ColorJitter(brightness=0.5)) == ("ColorJitter(brightness=(0.5, 1.5), contrast=None, "
                                                   "saturation=None, hue=None)")
    assert repr(T.RandomRotation(10)) == ("RandomRotation(degrees=[-10, 10], interpolation=nearest, "
                                          "expand=False, fill=0)")
    assert repr(T.Grayscale(3)) == "Grayscale(num_output_channels=3)"
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    assert repr(T.ToPILImage()) == "ToPILImage()" and repr(T.Lambda(abs)) == "Lambda()"
    assert repr(T.RandomApply([T.ToTensor()], p=0.3)) == "RandomApply(\n    p=0.3\n    ToTensor()\n)"
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    assert repr(T.ConvertImageDtype(torch.float32)) == "ConvertImageDtype()"
    assert isinstance(T.Normalize([0.5], [0.5]), torch.nn.Module)
