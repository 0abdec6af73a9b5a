"""Image ops on PIL images (what torchvision does with Pillow)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

PIL_MODES = {"nearest": Image.NEAREST, "nearest-exact": Image.NEAREST, "bilinear": Image.BILINEAR,
             "bicubic": Image.BICUBIC, "box": Image.BOX, "hamming": Image.HAMMING, "lanczos": Image.LANCZOS}


def is_pil_image(img) -> bool:
    return isinstance(img, Image.Image)


def check(img) -> None:
    if not isinstance(img, Image.Image):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img: Image.Image) -> list[int]:
    check(img)
    width, height = img.size
    return [len(img.getbands()), height, width]


def parse_fill(fill, img: Image.Image, name: str = "fillcolor") -> dict:
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * channels
        elif len(fill) != channels:
            raise ValueError(f"The number of elements in 'fill' does not match the number of channels of the "
                             f"image ({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def hflip(img: Image.Image) -> Image.Image:
    check(img)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    check(img)
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    check(img)
    return img.crop((left, top, left + width, top + height))


def pad(img: Image.Image, ltrb: list[int], fill=0, mode: str = "constant") -> Image.Image:
    check(img)
    left, top, right, bottom = ltrb
    if min(ltrb) < 0:  # negative padding crops
        box = (max(-left, 0), max(-top, 0), img.width - max(-right, 0), img.height - max(-bottom, 0))
        img = img.crop(box)
        left, top, right, bottom = (max(p, 0) for p in ltrb)
    if mode == "constant":
        palette = img.getpalette() if img.mode == "P" else None
        out = ImageOps.expand(img, border=(left, top, right, bottom), **parse_fill(fill, img, "fill"))
        if palette is not None:
            out.putpalette(palette)
        return out
    np_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
    a = np.asarray(img)
    widths = [(top, bottom), (left, right)] + ([(0, 0)] if a.ndim == 3 else [])
    out = Image.fromarray(np.pad(a, widths, mode=np_mode))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def resize(img: Image.Image, size: list[int], interpolation: str) -> Image.Image:
    check(img)
    return img.resize((size[1], size[0]), PIL_MODES[interpolation])


def rotate(img: Image.Image, angle: float, interpolation: str, expand: bool, center, fill) -> Image.Image:
    check(img)
    return img.rotate(angle, PIL_MODES[interpolation], expand, center, **parse_fill(fill, img))


def adjust_brightness(img: Image.Image, factor: float) -> Image.Image:
    check(img)
    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img: Image.Image, factor: float) -> Image.Image:
    check(img)
    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img: Image.Image, factor: float) -> Image.Image:
    check(img)
    return ImageEnhance.Color(img).enhance(factor)


def adjust_hue(img: Image.Image, factor: float) -> Image.Image:
    check(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    # hue is an angle: adding in uint8 wraps around, which is the rotation wanted
    np_h = (np_h.astype(np.int16) + int(np.int8(factor * 255))).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(mode)


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    check(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return Image.fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")
