"""Random sampling: rand/randn/randint/randperm/normal/bernoulli/multinomial/poisson, *_like, and the
in-place initialisers (uniform_, normal_, random_, ...). Generators and seeding live in random_state."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..autograd.grad_mode import STATE
from ..autograd.graph import Node
from ..backend import canonical_device
from ..random_state import (
    Generator,
    default_generator,
    fork_rng,
    generator_for,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ..tensor import Tensor, grad_needed
from ._helpers import _scalar_type_name, check_inplace, commit_inplace, new, tensor_method, xp
from .creation import _place, int_bounds_name, resolve_dtype, size_args, zeros_like

__all__ = ["rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson",
           "rand_like", "randn_like", "randint_like", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "Generator", "default_generator"]
_ = fork_rng  # torch.random.fork_rng: reachable as engine.random.fork_rng


def _stream(generator, dev):
    return generator_for(generator, dev)._stream


def _float_sample(stream, kind: str, shape, np_dtype: np.dtype):
    """Uniform [0, 1) or standard normal samples of a float/complex dtype (half via float32)."""
    draw = stream.uniform if kind == "uniform" else stream.normal
    if np_dtype.kind == "c":
        part = np.float32 if np_dtype == np.complex64 else np.float64
        re, im = draw(shape, part), draw(shape, part)
        if kind == "normal":  # torch's complex normal has variance 1 overall: 1/2 per component
            re, im = re * part(np.sqrt(0.5)), im * part(np.sqrt(0.5))
        out = re.astype(np_dtype)
        out.imag = im
        return out
    if np_dtype == np.float16:
        return draw(shape, np.float32).astype(np.float16)
    return draw(shape, np_dtype)


def _kernel_error(name: str, np_dtype, dev) -> NotImplementedError:
    suffix = "cpu" if dev.type == "cpu" else "cuda"
    name = name.replace("{dev}", suffix)
    return NotImplementedError(f"\"{name}\" not implemented for '{_scalar_type_name(np_dtype)}'")


def _sample_fresh(kind: str, size, generator, dtype, device, requires_grad, fn: str) -> Tensor:
    shape = size_args(size, fn)
    d = resolve_dtype(dtype)
    dev = canonical_device(device)
    if d.np.kind not in "fc":
        raise _kernel_error("check_uniform_bounds" if kind == "uniform" else "normal_kernel_{dev}", d.np, dev)
    array = _float_sample(_stream(generator, dev), kind, shape, d.np)
    return _place(array, None, requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    return _sample_fresh("uniform", size, generator, dtype, device, requires_grad, "rand")


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    return _sample_fresh("normal", size, generator, dtype, device, requires_grad, "randn")


def _like_args(input: Tensor, dtype, device):
    return (input.dtype if dtype is None else dtype), (input.device if device is None else device)


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None, generator=None) -> Tensor:
    dtype, device = _like_args(input, dtype, device)
    return _sample_fresh("uniform", (input._data.shape,), generator, dtype, device, requires_grad,
                         "rand_like")


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None, generator=None) -> Tensor:
    dtype, device = _like_args(input, dtype, device)
    return _sample_fresh("normal", (input._data.shape,), generator, dtype, device, requires_grad,
                         "randn_like")


# ----------------------------------------------------------------------------- integer sampling ----
def _check_int_range(low: int, high: int, np_dtype) -> None:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        if low < info.min:
            raise RuntimeError(f"from is out of bounds for {int_bounds_name(np_dtype)}")
        if high - 1 > info.max:
            raise RuntimeError(f"to - 1 is out of bounds for {int_bounds_name(np_dtype)}")


def _integers(stream, low: int, high: int, shape, np_dtype):
    values = stream.integers(int(low), int(high), shape)
    return values if np_dtype == np.int64 else values.astype(np_dtype)


def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False, pin_memory: bool = False, low=None, high=None, size=None) -> Tensor:
    """randint(high, size) or randint(low, high, size) -> int64 samples in [low, high)."""
    if high is not None:
        args = (0 if low is None else low, high, *args)
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError(f"randint() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)}), but expected one of: (int high, "
                        "tuple of ints size) or (int low, int high, tuple of ints size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {len(args)}) must be tuple of ints, not "
                        f"{type(size).__name__}")
    d = dt.int64 if dtype is None else dt.to_dtype(dtype)
    low, high = int(low), int(high)
    _check_int_range(low, high, d.np)
    dev = canonical_device(device)
    array = _integers(_stream(generator, dev), low, high, size_args((tuple(size),), "randint"), d.np)
    return _place(array, None, requires_grad)


def randint_like(input: Tensor, low_or_high, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None, generator=None) -> Tensor:
    low, high = (0, low_or_high) if high is None else (low_or_high, high)
    dtype, device = _like_args(input, dtype, device)
    return randint(low, high, tuple(input._data.shape), generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = dt.int64 if dtype is None else dt.to_dtype(dtype)
    dev = canonical_device(device)
    array = _stream(generator, dev).permutation(n)
    return _place(array.astype(d.np, copy=False), None, requires_grad)


# ------------------------------------------------------------------------------------- normal -------
class NormalBackward1(Node):  # normal(Tensor mean, float std): no reparameterised gradient, as in torch
    __slots__ = ()

    def backward(self, g):
        return (zeros_like(g),)


class NormalBackward2(NormalBackward1):  # normal(float mean, Tensor std)
    __slots__ = ()


class NormalBackward3(Node):  # normal(Tensor mean, Tensor std)
    __slots__ = ()

    def backward(self, g):
        return zeros_like(g), zeros_like(g)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float), "
                            "but expected one of: (Tensor mean, Tensor std), (Tensor mean, float std), "
                            "(float mean, Tensor std), (float mean, float std, tuple of ints size)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        t = randn(size_args((tuple(size),) if isinstance(size, (tuple, list)) else (size,), "normal"),
                  generator=generator, dtype=dtype, device=device)
        t._data = t._data * t._data.dtype.type(std) + t._data.dtype.type(mean)
        if requires_grad:
            t.requires_grad_(True)
        return t
    ref = mean if mt else std
    lib = xp(ref)
    if st:
        if bool(lib.any(std._data < 0)):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    m = mean._data if mt else mean
    s = std._data if st else std
    if mt and st:
        shape = _broadcast_shape(mean, std)
        np_dtype = np.result_type(mean._data.dtype, std._data.dtype)
    else:
        shape, np_dtype = ref._data.shape, ref._data.dtype
    if np_dtype.kind not in "fc":
        raise _kernel_error("normal_kernel_{dev}", np_dtype, ref.device)
    z = _float_sample(_stream(generator, ref.device), "normal", shape, np_dtype)
    result = new((z * s + m).astype(np_dtype, copy=False))
    if mt and st and grad_needed(mean, std):
        NormalBackward3(result, mean, std)
    elif mt and not st and grad_needed(mean):
        NormalBackward1(result, mean)
    elif st and not mt and grad_needed(std):
        NormalBackward2(result, std)
    return result


def _broadcast_shape(a: Tensor, b: Tensor) -> tuple:
    sa, sb = a._data.shape, b._data.shape
    out = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {dim}")
        out.append(max(x, y) if x != 1 and y != 1 else x * y)
    return tuple(reversed(out))


# ----------------------------------------------------------------------------- bernoulli etc. ----
class BernoulliBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (zeros_like(g),)


def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    if input._data.dtype.kind not in "fc":
        raise _kernel_error("bernoulli_tensor_{dev}_p_", input._data.dtype, input.device)
    lib = xp(input)
    probs = input._data if p is None else p
    if p is None and not bool(lib.all((probs >= 0) & (probs <= 1))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                           "message be improved?  If so, please report an enhancement request to PyTorch.)")
    if p is not None and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    u = _stream(generator, input.device).uniform(input._data.shape, np.float64)
    result = new((u < probs).astype(input._data.dtype))
    if p is None and grad_needed(input):
        BernoulliBackward0(result, input)
    return result


def poisson(input: Tensor, generator=None) -> Tensor:
    if input._data.dtype.kind != "f":
        raise _kernel_error("poisson_{dev}", input._data.dtype, input.device)
    lib = xp(input)
    if bool(lib.any(input._data < 0)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    samples = _stream(generator, input.device).poisson(input._data.astype(np.float64))
    return new(samples.astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    data = input._data
    if data.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if data.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_scalar_type_name(data.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = data.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    lib = xp(input)
    probs = data.reshape(-1, k).astype(np.float64)
    if not bool(lib.all(lib.isfinite(probs) & (probs >= 0))):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = probs.sum(axis=1)
    if not bool(lib.all(totals > 0)):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = probs.shape[0]
    stream = _stream(generator, input.device)
    if replacement:
        # One searchsorted over all rows: row r's normalised CDF is shifted into (r, r + 1].
        offsets = lib.arange(rows, dtype=np.float64)[:, None]
        cdf = lib.cumsum(probs, axis=1) / totals[:, None] + offsets
        u = stream.uniform((rows, num_samples), np.float64) + offsets
        idx = lib.searchsorted(cdf.ravel(), u.ravel(), side="right").reshape(rows, num_samples)
        idx = lib.minimum(idx - (offsets.astype(np.int64) * k), k - 1)
    else:
        # Exponential race: category i wins with key p_i / E_i; the top num_samples keys are a sample
        # without replacement (zero-probability categories come last).
        keys = probs / stream.exponential((rows, k), np.float64)
        idx = lib.argsort(-keys, axis=1)[:, :num_samples]
    idx = idx.astype(np.int64)
    return new(idx.reshape(num_samples) if data.ndim == 1 else idx)


tensor_method("bernoulli")(bernoulli)
tensor_method("multinomial")(multinomial)


# --------------------------------------------------------------------------- in-place sampling ----
class _ZeroGrad(Node):
    __slots__ = ()

    def backward(self, g):
        return (zeros_like(g),)


_NODES = {name: type(name, (_ZeroGrad,), {"__slots__": ()}) for name in (
    "UniformBackward0", "NormalBackward0", "RandomBackward0", "RandomBackward1", "RandomBackward2",
    "BernoulliBackward1", "BernoulliBackward2", "ExponentialBackward0", "GeometricBackward0",
    "LogNormalBackward0", "CauchyBackward0")}


def _affine(fresh, scale, shift):
    """scale * fresh + shift, in place on a freshly sampled array."""
    if scale != 1:
        fresh *= scale
    if shift != 0:
        fresh += shift
    return fresh


def _write(self: Tensor, values, node_name: str) -> Tensor:
    """Store sampled values into self (cast to its dtype); non-leaf history gets a zero-gradient node."""
    if STATE.enabled and self._requires_grad:
        result = new(values.astype(self._data.dtype, copy=False))
        _NODES[node_name](result, self)
        return commit_inplace(self, result)
    self._data[...] = values
    self._version[0] += 1
    return self


def _prep(self: Tensor, generator, float_only: str | None = None):
    check_inplace(self)
    if float_only is not None and self._data.dtype.kind not in "fc":
        raise _kernel_error(float_only, self._data.dtype, self.device)
    return _stream(generator, self.device)


@tensor_method("uniform_")
def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    from_ = kwargs.pop("from", from_)
    stream = _prep(self, generator, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(from_)} > "
                           f"to={_fmt(to)}")
    np_dtype = self._data.dtype
    u = _float_sample(stream, "uniform", self._data.shape, np_dtype if np_dtype != np.float16 else np.float32)
    return _write(self, _affine(u, to - from_, from_), "UniformBackward0")


@tensor_method("normal_")
def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    stream = _prep(self, generator, "normal_kernel_{dev}")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    z = _float_sample(stream, "normal", self._data.shape, self._data.dtype)
    return _write(self, _affine(z, std, mean), "NormalBackward0")


def _random_bound(np_dtype) -> int:
    """Exclusive upper bound of random_() without `to`: every integer the dtype represents exactly."""
    if np_dtype.kind == "b":
        return 2
    if np_dtype.kind == "f":
        return 2 ** (np.finfo(np_dtype).nmant + 1) + 1
    return int(np.iinfo(np_dtype).max) + 1


@tensor_method("random_")
def random_(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """random_() -> [0, 2**mantissa] or the int range; random_(to) -> [0, to); random_(from, to)."""
    if len(args) == 1 and not kwargs:
        low, to, node = 0, args[0], "RandomBackward1"
    else:
        low = args[0] if args else kwargs.pop("from", 0)
        to = args[1] if len(args) > 1 else kwargs.pop("to", None)
        node = "RandomBackward0" if to is None and low == 0 else "RandomBackward2"
    stream = _prep(self, generator)
    np_dtype = self._data.dtype
    if np_dtype.kind == "c":
        raise _kernel_error("random_from_to_range_{dev}", np_dtype, self.device)
    low, high = int(low), (_random_bound(np_dtype) if to is None else int(to))
    _check_int_range(low, high, np_dtype)
    return _write(self, _integers(stream, low, high, self._data.shape, np.int64), node)


@tensor_method("bernoulli_")
def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    stream = _prep(self, generator)
    if isinstance(p, Tensor):
        if self._data.dtype.kind not in "fc":
            raise _kernel_error("bernoulli_tensor_{dev}_p_", self._data.dtype, self.device)
        probs = p._data
        node = "BernoulliBackward2"
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
        probs = p
        node = "BernoulliBackward1"
    u = stream.uniform(self._data.shape, np.float64)
    return _write(self, u < probs, node)


@tensor_method("exponential_")
def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    stream = _prep(self, generator, "exponential_{dev}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    e = stream.exponential(self._data.shape, np.float64)
    return _write(self, e / lambd, "ExponentialBackward0")


@tensor_method("geometric_")
def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    stream = _prep(self, generator)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    return _write(self, stream.geometric(p, self._data.shape), "GeometricBackward0")


@tensor_method("log_normal_")
def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    stream = _prep(self, generator, "log_normal_{dev}")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    z = stream.normal(self._data.shape, np.float64)
    return _write(self, xp(self).exp(z * std + mean), "LogNormalBackward0")


@tensor_method("cauchy_")
def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    stream = _prep(self, generator, "cauchy_{dev}")
    return _write(self, stream.cauchy(self._data.shape) * sigma + median, "CauchyBackward0")
