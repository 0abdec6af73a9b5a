"""parameters_to_vector / vector_to_parameters: a model's parameters as one flat vector and back."""

from __future__ import annotations

from collections.abc import Iterable

from ...ops.joining import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old_device: int | None) -> int:
    # -1 stands for CPU, else the CUDA device index; parameters must all be on one device.
    device = param.get_device() if param.device.type == "cuda" else -1
    if old_device is not None and device != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable w.r.t. them)."""
    device = None
    pieces = []
    for param in parameters:
        device = _check_param_device(param, device)
        pieces.append(param.view(-1))
    return cat(pieces)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the next slice of `vec` (viewed to its shape; memory is shared with vec)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    device = None
    offset = 0
    for param in parameters:
        device = _check_param_device(param, device)
        count = param.numel()
        param.data = vec[offset:offset + count].view_as(param).data
        offset += count


def _typename(obj: object) -> str:
    # torch.typename: the tensor type string for tensors, else the class's qualified name
    cls = type(obj)
    module = cls.__module__
    if module in ("", "builtins"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"
