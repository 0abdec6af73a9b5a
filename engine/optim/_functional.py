"""Array-level helpers shared by the optimizers' update loops (numpy or cupy arrays, updated in place)."""

from __future__ import annotations

from ..tensor import Tensor


def atleast_1d(a):
    """A 0-d array as a 1-element view (ufuncs turn 0-d results into scalars, which cannot be `out`)."""
    return a[None] if a.ndim == 0 else a


def real(a):
    """A view to update in place: at least 1-d (ufuncs turn 0-d results into scalars), and complex arrays
    as interleaved (real, imag) pairs, like torch.view_as_real."""
    if a.ndim == 0:
        a = a[None]
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


def grad_of(p: Tensor, maximize: bool):
    """The parameter's gradient array (negated copy under maximize; never modified in place)."""
    g = p._grad._data
    return -g if maximize else g


# torch's CPU (and CUDA) kernels for add(alpha=), addcmul and lerp use fused multiply-add: one rounding
# instead of two. numpy has no fma; computing a*b + c in float64 and rounding once would reproduce float32
# updates bit for bit, but costs as much as a linear layer's backward (measured in bench/). Updates therefore
# round twice: within an ulp of torch per operation ("equal to float32 rounding"). EXACT_FMA switches the
# bit-exact path back on.
EXACT_FMA = False


def _narrow(a) -> bool:
    return EXACT_FMA and a.dtype.itemsize <= 4


def fma(m, c, a, b, out):
    """out <- c + a * b with a single rounding where possible (a or b may be a Python scalar)."""
    if isinstance(a, (int, float)) and abs(a) == 1:  # the product is exact: one rounding either way
        return m.add(c, b, out=out) if a > 0 else m.subtract(c, b, out=out)
    if _narrow(c):
        if not isinstance(a, float):
            a, b = b, a
        if isinstance(a, float):
            a = float(c.dtype.type(a))  # torch rounds the scalar to the tensor's dtype first
        wide = m.multiply(b, a, dtype=m.float64)
        return m.add(c, wide, out=out, dtype=m.float64, casting="same_kind")
    return m.add(c, m.multiply(a, b), out=out)


def add_scaled_(m, d, u, alpha: float) -> None:
    """d <- d + alpha * u (torch's add_(u, alpha=alpha))."""
    fma(m, d, u, alpha, out=d)


def with_weight_decay(m, g, d, weight_decay: float):
    """grad + weight_decay * param as a new array."""
    return fma(m, g, d, weight_decay, out=m.empty_like(g))


def lerp_(m, a, b, weight: float) -> None:
    """a <- a + weight * (b - a), rounded like torch's lerp_ (a second formula from weight 0.5 on)."""
    diff = m.subtract(b, a)
    if abs(weight) < 0.5:
        fma(m, a, diff, weight, out=a)
    else:
        fma(m, b, diff, -float(1 - a.dtype.type(weight)), out=a)


def ema_sq_(m, avg, g, decay: float) -> None:
    """avg <- avg * decay + (1 - decay) * g * g (torch's mul_ then addcmul_)."""
    m.multiply(avg, decay, out=avg)
    fma(m, avg, m.multiply(g, 1 - decay), g, out=avg)


def addcdiv_(m, d, num, den, value: float) -> None:
    """d <- d + (value * num) / den (torch's addcdiv_ rounding order; not fused); overwrites den."""
    m.divide(m.multiply(num, value), den, out=den)
    m.add(d, den, out=d)


def centered_second_moment(m, square_avg, grad_avg):
    """sqrt(square_avg - grad_avg^2) as a new array."""
    avg = fma(m, square_avg, m.negative(grad_avg), grad_avg, out=m.empty_like(square_avg))
    return m.sqrt(avg, out=avg)


def state_like(m, d, fill: float = 0.0) -> Tensor:
    arr = m.zeros_like(d) if fill == 0 else m.full_like(d, fill)
    return Tensor._make(arr)
