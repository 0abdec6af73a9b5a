"""engine.distributions: Normal, Uniform, Bernoulli, Categorical, Beta, Dirichlet (torch API)."""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Normal", "Uniform",
           "constraints", "kl_divergence", "register_kl"]
