"""autograd.Function: user-defined forward/backward pairs with a ctx."""

from __future__ import annotations

import functools

from .grad_mode import STATE, no_grad
from .graph import Node


class FunctionCtx:
    """What forward() and backward() receive as ctx (the backward node itself, like torch)."""

    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of a custom Function; also serves as its ctx."""

    _forward_cls = None

    def __init__(self) -> None:  # the graph edges are filled in by Function.apply
        self.next_functions = ()
        self._saved = None
        self._pre_hooks = None
        self._retained = None
        self._hooks = None
        self._freed = False
        self._shapes = ()
        self._dtypes = ()
        self.materialize_grads = True
        self._to_save = ()
        self._non_differentiable = set()
        self._dirty = set()
        self.needs_input_grad = ()

    def name(self) -> str:
        return type(self).__name__

    @property
    def saved_variables(self):
        return self.saved_tensors

    def apply(self, grads: list) -> tuple:
        from ..ops.creation import zeros

        if self.materialize_grads:
            grads = [
                g if g is not None else zeros(shape, dtype=_engine_dtype(dtype))
                for g, shape, dtype in zip(grads, self._shapes, self._dtypes)
            ]
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_inputs = len(self.next_functions)
        if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
            result = result[:n_inputs]  # trailing Nones are allowed, like torch
        if len(result) != n_inputs:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n_inputs}, "
                f"got {len(result)})"
            )
        return result


def _engine_dtype(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs) -> None:
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        backward_cls.__module__ = "torch.autograd.function"
        backward_cls.__qualname__ = name + "Backward"
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(metaclass=_FunctionMeta):
    """Subclass with static forward(ctx, *args) and backward(ctx, *grads); call Cls.apply(*args)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor

        ctx = cls._backward_cls()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        needs_graph = STATE.enabled and any(t._requires_grad for t in tensor_args)
        if not needs_graph:
            return outputs
        wrapped = []
        for o in outs:
            if isinstance(o, Tensor) and any(o is a for a in tensor_args) and id(o) not in ctx._dirty:
                o = o.view_as(o)  # an input returned as-is becomes a new node's output
                o._grad_fn = None
                o._requires_grad = False
            wrapped.append(o)
        tensor_outs = [o for o in wrapped if isinstance(o, Tensor)]
        # Edges are per positional argument so that backward returns one grad per forward input.
        Node.__init__(ctx, tensor_outs, *[a if isinstance(a, Tensor) else None for a in args])
        for o in tensor_outs:
            if id(o) in ctx._non_differentiable or o._data.dtype.kind not in "fc":
                o._requires_grad = False
                o._grad_fn = None
        ctx.save(*ctx._to_save) if ctx._to_save else None
        if not any(isinstance(o, Tensor) for o in wrapped):
            return outputs
        return tuple(wrapped) if is_tuple else wrapped[0]


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
