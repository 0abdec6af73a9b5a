"""engine.fft: transforms (values, dtypes, n/s/dim/norm), gradients (torch's convention), shifts, freqs."""

import numpy as np
import pytest

import engine as torch
import engine.fft  # noqa: F401  (until engine/__init__ imports it)
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(0)




NORMS = [None, "backward", "ortho", "forward"]


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def c64(*shape):
    return (R.standard_normal(shape) + 1j * R.standard_normal(shape)).astype(np.complex64)


def f64(*shape):
    return torch.tensor(R.standard_normal(shape), requires_grad=True)


CASES = [
    ("fft_real", lambda L, x, nm: L.fft.fft(x, norm=nm), f32(8)),
    ("fft_complex", lambda L, x, nm: L.fft.fft(x, norm=nm), c64(2, 7)),
    ("fft_n_pad", lambda L, x, nm: L.fft.fft(x, n=10, dim=0, norm=nm), c64(6, 3)),
    ("fft_n_trunc", lambda L, x, nm: L.fft.fft(x, n=4, norm=nm), f32(3, 7)),
    ("ifft", lambda L, x, nm: L.fft.ifft(x, norm=nm), c64(3, 5)),
    ("ifft_real_n", lambda L, x, nm: L.fft.ifft(x, n=6, norm=nm), f32(5)),
    ("rfft", lambda L, x, nm: L.fft.rfft(x, norm=nm), f32(2, 8)),
    ("rfft_odd_n", lambda L, x, nm: L.fft.rfft(x, n=7, dim=0, norm=nm), f32(5, 3)),
    ("irfft", lambda L, x, nm: L.fft.irfft(x, norm=nm), c64(2, 5)),
    ("irfft_odd_n", lambda L, x, nm: L.fft.irfft(x, n=9, norm=nm), c64(5)),
    ("irfft_n_short", lambda L, x, nm: L.fft.irfft(x, n=4, norm=nm), c64(6)),
    ("irfft_real_input", lambda L, x, nm: L.fft.irfft(x, norm=nm), f32(4)),
    ("hfft", lambda L, x, nm: L.fft.hfft(x, norm=nm), c64(5)),
    ("hfft_n", lambda L, x, nm: L.fft.hfft(x, n=7, norm=nm), c64(3, 4)),
    ("ihfft", lambda L, x, nm: L.fft.ihfft(x, norm=nm), f32(7)),
    ("fft2", lambda L, x, nm: L.fft.fft2(x, norm=nm), c64(2, 3, 4)),
    ("fft2_s", lambda L, x, nm: L.fft.fft2(x, s=(4, 3), norm=nm), f32(3, 5)),
    ("ifft2", lambda L, x, nm: L.fft.ifft2(x, norm=nm), c64(3, 4)),
    ("fftn_all", lambda L, x, nm: L.fft.fftn(x, norm=nm), f32(2, 3, 4)),
    ("fftn_s_only", lambda L, x, nm: L.fft.fftn(x, s=(5, 6), norm=nm), c64(2, 3, 4)),
    ("fftn_dims", lambda L, x, nm: L.fft.fftn(x, s=(5, -1), dim=(0, 2), norm=nm), c64(2, 3, 4)),
    ("ifftn", lambda L, x, nm: L.fft.ifftn(x, dim=(1,), norm=nm), c64(2, 3)),
    ("rfft2", lambda L, x, nm: L.fft.rfft2(x, norm=nm), f32(4, 6)),
    ("rfftn_s", lambda L, x, nm: L.fft.rfftn(x, s=(3, 5), norm=nm), f32(2, 4, 6)),
    ("irfft2", lambda L, x, nm: L.fft.irfft2(x, norm=nm), c64(4, 4)),
    ("irfftn_s", lambda L, x, nm: L.fft.irfftn(x, s=(5, 6), norm=nm), c64(2, 3, 4)),
    ("irfftn_dims", lambda L, x, nm: L.fft.irfftn(x, dim=(0, 1), norm=nm), c64(3, 4, 2)),
    ("hfft2", lambda L, x, nm: L.fft.hfft2(x, norm=nm), c64(3, 4)),
    ("hfftn_s", lambda L, x, nm: L.fft.hfftn(x, s=(4, 5), norm=nm), c64(3, 4)),
    ("ihfft2", lambda L, x, nm: L.fft.ihfft2(x, norm=nm), f32(4, 5)),
    ("ihfftn", lambda L, x, nm: L.fft.ihfftn(x, norm=nm), f32(2, 3, 4)),
    ("fft_noncontiguous", lambda L, x, nm: L.fft.fft(x.t(), norm=nm), c64(4, 3)),
    ("rfft_sliced", lambda L, x, nm: L.fft.rfft(x[:, ::2], norm=nm), f32(3, 8)),
]


@pytest.mark.parity
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,fn,array", CASES, ids=[c[0] for c in CASES])
def test_fft_parity(name, fn, array, norm):
    check_against_torch(lambda L, x: fn(L, x, norm), array, atol=1e-5, rtol=1e-4, grad_atol=1e-4)


@pytest.mark.parity
def test_fft_dtypes_and_float64():
    check_against_torch(lambda L, x: L.fft.fft(x), np.arange(4))
    check_against_torch(lambda L, x: L.fft.rfft(x), np.arange(5, dtype=np.int32))
    check_against_torch(lambda L, x: L.fft.fft(x), np.array([True, False, True]))
    check_against_torch(lambda L, x: L.fft.fft(x), f32(5).astype(np.float64))
    check_against_torch(lambda L, x: L.fft.irfft(x), c64(5).astype(np.complex128))
    check_against_torch(lambda L, x: L.fft.fftn(x), np.arange(6.0).reshape(2, 3).astype(np.float64))


@pytest.mark.parity
def test_fft_inf_nan_and_shifts():
    x = np.array([1.0, np.inf, 2.0, 3.0], np.float32)
    check_against_torch(lambda L, x: L.fft.rfft(x), x, grad=False)
    check_against_torch(lambda L, x: L.fft.fftshift(x), f32(5, 4))
    check_against_torch(lambda L, x: L.fft.ifftshift(x, dim=0), f32(5, 4))
    check_against_torch(lambda L, x: L.fft.fftshift(x, dim=(-1,)), c64(3, 7))
    check_against_torch(lambda L, x: L.fft.ifftshift(L.fft.fftshift(x)), f32(3, 5))


@pytest.mark.parity
def test_fft_freqs():
    import torch as real

    for n, d in ((5, 1.0), (8, 0.1), (1, 2.0)):
        for fn in ("fftfreq", "rfftfreq"):
            e = getattr(torch.fft, fn)(n, d)
            t = getattr(real.fft, fn)(n, d)
            assert e.dtype == torch.float32 and e.tolist() == t.tolist()
    e = torch.fft.fftfreq(4, dtype=torch.float64)
    assert e.dtype == torch.float64 and e.tolist() == [0.0, 0.25, -0.5, -0.25]
    assert torch.fft.rfftfreq(4, requires_grad=True).requires_grad


def _split(out):
    return (out.real, out.imag) if out.is_complex() else out


def cplx(fn):
    """gradcheck only sees real numbers: feed z = re + i*im and check real and imaginary parts of fn(z)."""
    return lambda re, im: _split(fn(re.to(torch.complex128) + im.to(torch.complex128) * torch.tensor(1j)))


def test_fft_gradcheck():
    assert gradcheck(cplx(lambda z: torch.fft.fft(z, n=5, norm="ortho")), (f64(4), f64(4)))
    assert gradcheck(cplx(lambda z: torch.fft.ifftn(z, s=(3, 2))), (f64(2, 3), f64(2, 3)))
    assert gradcheck(lambda x: _split(torch.fft.fft(x)), (f64(4),))
    assert gradcheck(lambda x: _split(torch.fft.rfft(x, n=6)), (f64(5),))
    assert gradcheck(lambda x: _split(torch.fft.rfft2(x, norm="ortho")), (f64(3, 4),))
    assert gradcheck(cplx(lambda z: torch.fft.irfft(z, n=7, norm="forward")), (f64(4), f64(4)))
    assert gradcheck(cplx(lambda z: torch.fft.irfftn(z, s=(3, 4))), (f64(2, 3), f64(2, 3)))
    assert gradcheck(cplx(torch.fft.hfft), (f64(4), f64(4)))
    assert gradcheck(lambda x: _split(torch.fft.ihfft(x)), (f64(5),))
    assert gradcheck(torch.fft.fftshift, (f64(3, 4),))
    assert gradgradcheck(lambda x: _split(torch.fft.rfft(x)), (f64(4),))
    assert gradgradcheck(cplx(torch.fft.irfft), (f64(3), f64(3)))


def test_fft_grad_fn_names():
    x = torch.randn(8, requires_grad=True)
    assert torch.fft.fft(x).grad_fn.name() == "FftR2CBackward0"
    assert torch.fft.rfft(x).grad_fn.name() == "FftR2CBackward0"
    assert torch.fft.irfft(torch.fft.rfft(x)).grad_fn.name() == "FftC2RBackward0"
    assert torch.fft.fft(torch.fft.fft(x)).grad_fn.name() == "FftC2CBackward0"
    assert torch.fft.fftshift(x).grad_fn.name() == "RollBackward0"


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda: torch.fft.fft(torch.randn(4), norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"'),
    (lambda: torch.fft.fft(torch.randn(4), n=0), RuntimeError, "Invalid number of data points (0) specified"),
    (lambda: torch.fft.fft(torch.randn(0)), RuntimeError, "Invalid number of data points (0) specified"),
    (lambda: torch.fft.irfft(torch.randn(1, dtype=torch.complex64)), RuntimeError,
     "Invalid number of data points (0) specified"),
    (lambda: torch.fft.fft(torch.randn(4), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 2)"),
    (lambda: torch.fft.fft(torch.tensor(1.0)), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    (lambda: torch.fft.rfft(torch.randn(4, dtype=torch.complex64)), RuntimeError,
     "rfft expects a real input tensor, but got ComplexFloat"),
    (lambda: torch.fft.fftn(torch.randn(2, 3, 4), s=(5, 6), dim=(0,)), RuntimeError,
     "When given, dim and shape arguments must have the same length"),
    (lambda: torch.fft.fftn(torch.randn(2, 3), dim=(0, 0)), RuntimeError, "FFT dims must be unique"),
    (lambda: torch.fft.fft(torch.ones(3, dtype=torch.float16)), RuntimeError, "Unsupported dtype Half"),
    (lambda: torch.fft.fftshift(torch.tensor(1.0)), RuntimeError, "`shifts` required"),
])
def test_fft_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)
