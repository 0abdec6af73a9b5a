"""engine: a PyTorch-compatible tensor and autograd library on numpy (CPU) and cupy (GPU).

`import engine as torch` runs PyTorch code unchanged; see shared ENGINE_API.md for the surface.
"""

from __future__ import annotations

from . import _allocator, _dtype, threads
from ._dtype import (
    bool, complex64, complex128, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32,
    int64, promote_types, set_default_dtype, uint8,
)
from .backend import device
from .tensor import Size, Tensor
from .ops import *
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .printing import get_printoptions, set_printoptions
from . import backends, cuda, fft, linalg, nn, optim
from . import distributions, profiler, utils
from .serialization import load, save
from ._finfo import finfo, iinfo
from .nn._functional.activation import TORCH_FUNCTIONS as _nn_functions

globals().update(_nn_functions)  # torch.relu, torch.softmax, ... with torch-level signatures
from .ops import random
from .threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads

_allocator.keep_freed_memory_for_reuse()
threads.keep_blas_single_threaded()
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
strided = "torch.strided"
__version__ = "2.13.0+engine"


def result_type(tensor1, tensor2):
    from .ops._helpers import result_dtype, to_tensor

    t1 = tensor1 if isinstance(tensor1, Tensor) else to_tensor(tensor1)
    if not isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
        t1, tensor2 = tensor2, tensor1
    return _dtype.from_numpy_dtype(result_dtype(t1, tensor2))


def can_cast(from_: dtype, to: dtype) -> builtins_bool:
    import numpy as _np

    if from_.is_complex and not to.is_complex:
        return False
    if from_.is_floating_point and not (to.is_floating_point or to.is_complex):
        return False
    if from_ is not bool and to is bool:
        return False
    return _np.can_cast(from_.np, to.np, "same_kind") or True


def is_floating_point(input: Tensor) -> builtins_bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> builtins_bool:
    return input.is_complex()


def numel(input: Tensor) -> builtins_int:
    return input.numel()


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
builtins_int = _builtins.int
