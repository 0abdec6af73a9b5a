"""nn.functional activations (relu family, gelu, softmax family, glu, prelu, rrelu) and Tensor methods."""

from __future__ import annotations

from ...ops._helpers import tensor_method
from ...ops.pointwise import sigmoid, tanh
from ...tensor import Tensor
from .act_pointwise import *  # noqa: F403
from .act_pointwise import __all__ as _pointwise_all
from .act_pointwise import celu, celu_, hardshrink, relu, relu_, selu, selu_, threshold, threshold_
from .act_softmax import *  # noqa: F403
from .act_softmax import __all__ as _softmax_all
from .act_softmax import log_softmax, prelu, rrelu, rrelu_, softmax
from .distance import pairwise_distance

__all__ = [*_pointwise_all, *_softmax_all, "sigmoid", "tanh"]


@tensor_method("relu")
def _relu_method(self: Tensor) -> Tensor:
    return relu(self)


@tensor_method("relu_")
def _relu_inplace_method(self: Tensor) -> Tensor:
    return relu_(self)


@tensor_method("softmax")
def _softmax_method(self: Tensor, dim: int, dtype=None) -> Tensor:
    return softmax(self, dim, dtype=dtype)


@tensor_method("log_softmax")
def _log_softmax_method(self: Tensor, dim: int, dtype=None) -> Tensor:
    return log_softmax(self, dim, dtype=dtype)


@tensor_method("hardshrink")
def _hardshrink_method(self: Tensor, lambd: float = 0.5) -> Tensor:
    return hardshrink(self, lambd)


@tensor_method("prelu")
def _prelu_method(self: Tensor, weight: Tensor) -> Tensor:
    return prelu(self, weight)


def _rrelu_torch(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
                 generator=None) -> Tensor:
    return rrelu(input, lower, upper, training)


def _rrelu_torch_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
                  generator=None) -> Tensor:
    return rrelu_(input, lower, upper, training)


# torch.<name> forms of these ops (softmax/log_softmax take dtype as their third argument there); for
# engine/__init__.py to export.
TORCH_FUNCTIONS = {
    "relu": relu, "relu_": relu_, "softmax": _softmax_method, "log_softmax": _log_softmax_method,
    "selu": selu, "selu_": selu_, "celu": celu, "celu_": celu_, "rrelu": _rrelu_torch,
    "rrelu_": _rrelu_torch_, "prelu": prelu, "threshold": threshold, "threshold_": threshold_,
    "hardshrink": hardshrink, "pairwise_distance": pairwise_distance,
}
