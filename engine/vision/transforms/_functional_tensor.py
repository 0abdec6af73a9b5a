"""Image ops on tensors (..., C, H, W), computed with numpy the way torchvision computes them with torch."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as dt
from ...backend import to_numpy
from ...tensor import Tensor


def arr(img: Tensor) -> np.ndarray:
    return to_numpy(img._data)


def wrap(a: np.ndarray) -> Tensor:
    return Tensor._make(np.ascontiguousarray(a))


def is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


def max_value(np_dtype) -> float:
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "b":
        return 1
    if np_dtype.kind in "iu":
        return int(np.iinfo(np_dtype).max)
    return 1.0


def work_dtype(a: np.ndarray):
    """Floating inputs keep their dtype; integer images are processed in float32 (as torchvision does)."""
    return a.dtype if is_float(a) else np.dtype(np.float32)


def cast_out(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Back to the input dtype: integer images are rounded (half to even, like torch.round) and clamped."""
    if like.dtype.kind in "iu":
        info = np.iinfo(like.dtype)
        return np.clip(np.round(result), info.min, info.max).astype(like.dtype)
    return result.astype(like.dtype, copy=False)


def get_dimensions(img: Tensor) -> list[int]:
    shape = img._data.shape
    if len(shape) < 2:
        raise TypeError(f"Tensor is not a torch image. Got tensor with {len(shape)} dimensions.")
    channels = 1 if len(shape) == 2 else shape[-3]
    return [channels, shape[-2], shape[-1]]


def check_channels(img: Tensor, permitted: tuple) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, but found {c}")


# -------------------------------------------------------------------------------- geometry -------
def hflip(img: Tensor) -> Tensor:
    return wrap(arr(img)[..., ::-1])


def vflip(img: Tensor) -> Tensor:
    return wrap(arr(img)[..., ::-1, :])


def pad_array(a: np.ndarray, ltrb: list[int], fill=0, mode: str = "constant") -> np.ndarray:
    left, top, right, bottom = ltrb
    h, w = a.shape[-2:]
    # negative padding crops
    a = a[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    widths = [(0, 0)] * (a.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if mode == "constant":
        return np.pad(a, widths, mode="constant", constant_values=0 if fill is None else fill)
    return np.pad(a, widths, mode={"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode])


def pad(img: Tensor, ltrb: list[int], fill=0, mode: str = "constant") -> Tensor:
    if fill is not None and not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    return wrap(pad_array(arr(img), ltrb, fill, mode))


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    a = arr(img)
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return wrap(pad_array(a[..., max(top, 0):bottom, max(left, 0):right], ltrb, 0))
    return wrap(a[..., top:bottom, left:right])


# -------------------------------------------------------------------------------- resizing -------
def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    return np.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))


def _interp_matrix(n_in: int, n_out: int, mode: str, antialias: bool) -> np.ndarray:
    """(n_out, n_in) weights of a 1-d resampling along one axis (separable bilinear/bicubic)."""
    scale = n_in / n_out
    m = np.zeros((n_out, n_in), dtype=np.float64)
    out_idx = np.arange(n_out)
    if antialias:  # PIL-style filter whose support widens when downsampling
        support = (1.0 if mode == "bilinear" else 2.0) * max(scale, 1.0)
        inv = 1.0 / scale if scale >= 1.0 else 1.0
        for i in out_idx:
            center = (i + 0.5) * scale
            lo = max(int(center - support + 0.5), 0)
            hi = min(int(center + support + 0.5), n_in)
            x = (np.arange(lo, hi) - center + 0.5) * inv
            w = np.maximum(0.0, 1.0 - np.abs(x)) if mode == "bilinear" else _cubic(x, -0.5)
            total = w.sum()
            m[i, lo:hi] = w / total if total != 0 else w
        return m
    src = (out_idx + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)
        i0 = np.floor(src).astype(np.int64)
        lam = src - i0
        i1 = np.minimum(i0 + 1, n_in - 1)
        np.add.at(m, (out_idx, i0), 1.0 - lam)
        np.add.at(m, (out_idx, i1), lam)
        return m
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    for k in range(-1, 3):
        np.add.at(m, (out_idx, np.clip(i0 + k, 0, n_in - 1)), _cubic(t - k, -0.75))
    return m


def _nearest_index(n_in: int, n_out: int, exact: bool) -> np.ndarray:
    scale = np.float32(n_in / n_out)
    pos = np.arange(n_out, dtype=np.float32)
    if exact:
        pos = pos + np.float32(0.5)
    return np.minimum(np.floor(pos * scale).astype(np.int64), n_in - 1)


def resize(img: Tensor, size: list[int], interpolation: str, antialias: bool) -> Tensor:
    a = arr(img)
    h, w = a.shape[-2:]
    oh, ow = size
    if interpolation in ("nearest", "nearest-exact"):
        exact = interpolation == "nearest-exact"
        rows, cols = _nearest_index(h, oh, exact), _nearest_index(w, ow, exact)
        return wrap(a[..., rows[:, None], cols[None, :]])
    if interpolation not in ("bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    wd = work_dtype(a)
    mh = _interp_matrix(h, oh, interpolation, antialias).astype(wd)
    mw = _interp_matrix(w, ow, interpolation, antialias).astype(wd)
    out = np.matmul(np.matmul(mh, a.astype(wd)), mw.T)
    if interpolation == "bicubic" and a.dtype == np.uint8:
        out = np.clip(out, 0, 255)
    return wrap(cast_out(out, a))


# ------------------------------------------------------------------------ affine / rotation -------
def inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list[float]:
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.array(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    shift = np.array([w * 0.5, h * 0.5], dtype=np.float32)  # corners in [0, w] x [0, h], as Pillow counts
    tol = np.float32(1e-4)  # so that 1e-7 rounding noise does not add a pixel
    cmax = np.ceil(np.trunc((new_pts.max(0) + shift) / tol) * tol)
    cmin = np.floor(np.trunc((new_pts.min(0) + shift) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _grid(matrix: list[float], w: int, h: int, ow: int, oh: int, np_dtype) -> tuple[np.ndarray, np.ndarray]:
    """Source pixel coordinates (x, y) of every output pixel (grid_sample, align_corners=False)."""
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, ow, dtype=np_dtype)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, oh, dtype=np_dtype)[:, None]
    th = np.array(matrix, dtype=np_dtype).reshape(2, 3)
    half_w, half_h = np_dtype(0.5 * w), np_dtype(0.5 * h)
    gx = (xs * th[0, 0] + ys * th[0, 1] + th[0, 2]) / half_w
    gy = (xs * th[1, 0] + ys * th[1, 1] + th[1, 2]) / half_h
    return ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2


def _sample(a: np.ndarray, x: np.ndarray, y: np.ndarray, mode: str) -> np.ndarray:
    h, w = a.shape[-2:]

    def tap(ix, iy):
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        vals = a[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        return vals * inside

    if mode == "nearest":
        return tap(np.rint(x).astype(np.int64), np.rint(y).astype(np.int64))
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0).astype(a.dtype), (y - y0).astype(a.dtype)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (tap(x0, y0) * (1 - fx) * (1 - fy) + tap(x0 + 1, y0) * fx * (1 - fy)
            + tap(x0, y0 + 1) * (1 - fx) * fy + tap(x0 + 1, y0 + 1) * fx * fy)


def apply_affine(img: Tensor, matrix: list[float], mode: str, expand: bool, fill) -> Tensor:
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    a = arr(img)
    h, w = a.shape[-2:]
    ow, oh = affine_output_size(matrix, w, h) if expand else (w, h)
    wd = work_dtype(a)
    x, y = _grid(matrix, w, h, ow, oh, wd.type)
    src = a.astype(wd)
    if fill is None:
        return wrap(cast_out(_sample(src, x, y, mode), a))
    # sample a validity mask alongside, then blend the fill in where the source was outside
    with_mask = np.concatenate([src, np.ones_like(src[..., :1, :, :])], axis=-3)
    out = _sample(with_mask, x, y, mode)
    img_out, mask = out[..., :-1, :, :], out[..., -1:, :, :]
    fills = np.asarray(fill, dtype=wd).reshape(-1, 1, 1)
    if mode == "nearest":
        img_out = np.where(mask < 0.5, np.broadcast_to(fills, img_out.shape), img_out)
    else:
        img_out = img_out * mask + (1.0 - mask) * fills
    return wrap(cast_out(img_out.astype(wd), a))


# ---------------------------------------------------------------------------------- colour -------
def blend(a: np.ndarray, b: np.ndarray, ratio: float) -> np.ndarray:
    wd = work_dtype(a)
    out = np.clip(wd.type(ratio) * a.astype(wd) + wd.type(1.0 - ratio) * b.astype(wd), 0, max_value(a.dtype))
    return out.astype(a.dtype)


def grayscale_array(a: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, one channel kept (..., 1, H, W), in the input dtype (integers truncate)."""
    wd = work_dtype(a)
    r, g, b = (a[..., i, :, :].astype(wd) for i in range(3))
    gray = (wd.type(0.2989) * r + wd.type(0.587) * g + wd.type(0.114) * b).astype(a.dtype)
    return gray[..., None, :, :]


def rgb_to_grayscale(img: Tensor, num_output_channels: int) -> Tensor:
    if img._data.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img._data.ndim}")
    check_channels(img, (1, 3))
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    a = arr(img)
    gray = grayscale_array(a) if a.shape[-3] == 3 else a.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:])
    return wrap(gray)


def adjust_brightness(img: Tensor, factor: float) -> Tensor:
    check_channels(img, (1, 3))
    a = arr(img)
    return wrap(blend(a, np.zeros_like(a), factor))


def adjust_contrast(img: Tensor, factor: float) -> Tensor:
    check_channels(img, (1, 3))
    a = arr(img)
    wd = work_dtype(a)
    base = grayscale_array(a) if a.shape[-3] == 3 else a
    mean = base.astype(wd).mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(wd)
    return wrap(blend(a, mean, factor))


def adjust_saturation(img: Tensor, factor: float) -> Tensor:
    check_channels(img, (1, 3))
    a = arr(img)
    if a.shape[-3] == 1:
        return img
    return wrap(blend(a, grayscale_array(a), factor))


def _rgb2hsv(a: np.ndarray) -> np.ndarray:
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    maxc, minc = a.max(axis=-3), a.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    div = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3).astype(a.dtype)


def _hsv2rgb(a: np.ndarray) -> np.ndarray:
    h, s, v = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = np.stack([np.stack(c, axis=0) for c in ((v, q, p, p, t, v), (t, v, v, q, p, p),
                                                     (p, p, t, v, v, q))], axis=0)  # (3, 6, ...)
    chosen = np.take_along_axis(table, i[None, None], axis=1)[:, 0]  # (3, ..., H, W)
    return np.moveaxis(chosen, 0, -3).astype(a.dtype)


def convert_dtype_array(a: np.ndarray, np_dtype: np.dtype) -> np.ndarray:
    np_dtype = np.dtype(np_dtype)
    if a.dtype == np_dtype:
        return a
    if is_float(a):
        if np_dtype.kind == "f":
            return a.astype(np_dtype)
        if (a.dtype == np.float32 and np_dtype in (np.int32, np.int64)) or (
                a.dtype == np.float64 and np_dtype == np.int64):
            src, dst = dt.from_numpy_dtype(a.dtype), dt.from_numpy_dtype(np_dtype)
            raise RuntimeError(f"The cast from {src} to {dst} cannot be performed safely.")
        return (a * a.dtype.type(max_value(np_dtype) + 1.0 - 1e-3)).astype(np_dtype)
    in_max = float(max_value(a.dtype))
    if np_dtype.kind == "f":
        return (a.astype(np_dtype) / np_dtype.type(in_max)).astype(np_dtype)
    out_max = float(max_value(np_dtype))
    if in_max > out_max:
        return (a // int((in_max + 1) // (out_max + 1))).astype(np_dtype)
    return a.astype(np_dtype) * np_dtype.type(int((out_max + 1) // (in_max + 1)))


def adjust_hue(img: Tensor, factor: float) -> Tensor:
    check_channels(img, (1, 3))
    a = arr(img)
    if a.shape[-3] == 1:
        return img
    f = convert_dtype_array(a, np.float32) if not is_float(a) else a
    hsv = _rgb2hsv(f)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + f.dtype.type(factor), 1.0)
    return wrap(convert_dtype_array(_hsv2rgb(hsv), a.dtype))


# ------------------------------------------------------------------------------------ blur -------
def gaussian_kernel1d(size: int, sigma: float, np_dtype) -> np.ndarray:
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size, dtype=np_dtype)
    pdf = np.exp(np_dtype.type(-0.5) * (x / np_dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Tensor, kernel_size: list[int], sigma: list[float]) -> Tensor:
    a = arr(img)
    wd = work_dtype(a)
    kx = gaussian_kernel1d(kernel_size[0], sigma[0], wd)
    ky = gaussian_kernel1d(kernel_size[1], sigma[1], wd)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    p = pad_array(a.astype(wd), [px, py, px, py], mode="reflect")
    h, w = a.shape[-2:]
    rows = sum(ky[i] * p[..., i:i + h, :] for i in range(len(ky)))
    out = sum(kx[j] * rows[..., :, j:j + w] for j in range(len(kx)))
    return wrap(cast_out(np.asarray(out, dtype=wd), a))
