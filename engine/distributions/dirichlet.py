"""Dirichlet(concentration): samples through gamma variates, log_prob, entropy, moments."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random_state
from ..autograd.grad_mode import no_grad
from ..backend import move_array, to_numpy
from ..ops import arange, where, xlogy
from ..ops._helpers import new
from ..ops.special import digamma, lgamma
from ..tensor import Size, Tensor
from . import constraints
from .distribution import Distribution

__all__ = ["Dirichlet", "standard_gamma"]

_NO_RSAMPLE = ("reparameterised samples of {name} need the gradient of gamma variates with respect to their "
               "concentration, which the engine does not implement; use sample() (no gradient) instead")


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) variates drawn from a stream seeded by the engine's default generator."""
    seed = int(random_state.default_generator._stream.integers(0, 1 << 62, ()))
    rng = np.random.Generator(np.random.PCG64(seed))
    values = rng.standard_gamma(to_numpy(concentration._data).astype(np.float64))
    dtype = concentration._data.dtype
    values = np.maximum(values, np.finfo(dtype).tiny).astype(dtype)
    return new(move_array(values, concentration.device) if concentration.is_cuda else values)


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = False  # torch: True (see _NO_RSAMPLE)

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: tuple, _instance: Any = None) -> Dirichlet:
        new_dist = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new_dist.concentration = self.concentration.expand(tuple(batch_shape) + tuple(self.event_shape))
        Distribution.__init__(new_dist, batch_shape, self.event_shape, validate_args=False)
        new_dist._validate_args = self._validate_args
        return new_dist

    def sample(self, sample_shape: tuple = Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            gammas = standard_gamma(self.concentration.expand(shape))
            return gammas / gammas.sum(-1, keepdim=True)

    def rsample(self, sample_shape: tuple = Size()) -> Tensor:
        raise NotImplementedError(_NO_RSAMPLE.format(name=type(self).__name__))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        concm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concm1 / concm1.sum(-1, keepdim=True)
        mask = (self.concentration < 1).all(-1)
        if bool(mask.any()):  # no interior mode: a vertex of the simplex, as torch picks it
            k = self.concentration.size(-1)
            one_hot = (mode.argmax(-1, keepdim=True) == arange(k, device=mode.device)).to(mode.dtype)
            mode = where(mask.unsqueeze(-1), one_hot, mode)
        return mode

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.size(-1)
        a0 = c.sum(-1)
        return lgamma(c).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0) - ((c - 1.0) * digamma(c)).sum(-1)

