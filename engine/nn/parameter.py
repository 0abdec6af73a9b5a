"""nn.Parameter (a Tensor that modules register as a parameter) and nn.Buffer (a marker for buffers)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..tensor import Tensor, _init_fields

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, is registered among the module's parameters.

    It shares the memory (and version counter) of `data`, is always a leaf, and requires grad by default.
    Ops on a Parameter return plain Tensors.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        self = object.__new__(cls)
        if data is None:
            _init_fields(self, np.empty((0,), dt.get_default_dtype().np))
        else:
            if not isinstance(data, Tensor):
                raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
            _init_fields(self, data._data)
            self._version = data._version
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self, *, tensor_contents: str | None = None) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self, tensor_contents=tensor_contents)

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A new Parameter with copied data and the same requires_grad; like torch, .grad is not copied."""
        if id(self) in memo:
            return memo[id(self)]
        import copy

        result = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        for key, value in getattr(self, "__dict__", {}).items():
            result.__dict__[key] = copy.deepcopy(value, memo)
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    # Buffer(...) returns a plain Tensor carrying a flag; isinstance(t, Buffer) reads that flag.
    def __instancecheck__(cls, instance: object) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned as a Module attribute."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        if data is None:
            data = Tensor._make(np.empty((0,), dt.get_default_dtype().np))
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
