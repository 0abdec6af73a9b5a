"""Module hooks: global hook registries, the hooked call path, and full / legacy backward hooks.

A full backward hook wraps the module's tensor inputs and outputs in identity autograd nodes
(`BackwardHookFunctionBackward`, the name torch prints in grad_fn). The output-side node sees the gradients
w.r.t. the outputs (runs the backward pre-hooks, which may replace them); the input-side node sees the
gradients w.r.t. the inputs and calls the user hooks, which may replace them.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ... import _dtype as dt
from ...autograd.grad_mode import STATE
from ...autograd.graph import Node
from ...tensor import Tensor
from ...utils.hooks import RemovableHandle

if TYPE_CHECKING:
    from .module import Module

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]

_global_forward_pre_hooks: dict = OrderedDict()
_global_forward_hooks: dict = OrderedDict()
_global_forward_hooks_always_called: dict = OrderedDict()
_global_backward_pre_hooks: dict = OrderedDict()
_global_backward_hooks: dict = OrderedDict()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """hook(module, args) for every module, run before the module's own forward pre-hooks."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook: Callable, *, always_call: bool = False) -> RemovableHandle:
    """hook(module, args, output) for every module, run before the module's own forward hooks."""
    handle = RemovableHandle(_global_forward_hooks, _global_forward_hooks_always_called)
    _global_forward_hooks[handle.id] = hook
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    handle = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


def has_global_hooks() -> bool:
    return bool(_global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks
                or _global_backward_pre_hooks)


# ------------------------------------------------------------------------------------ hooked call -----
def call_with_hooks(module: Module, args: tuple, kwargs: dict) -> Any:
    """Module.__call__ when some hook is registered: pre-hooks, forward, forward hooks, backward hooks."""
    called: set = set()
    result = None
    try:
        full_hooks = list(_global_backward_hooks.values())
        legacy_hooks = []
        if module._is_full_backward_hook is True:
            full_hooks += module._backward_hooks.values()
        elif module._is_full_backward_hook is False:
            legacy_hooks += module._backward_hooks.values()
        pre_hooks = [*_global_backward_pre_hooks.values(), *module._backward_pre_hooks.values()]
        for hook_id, hook in itertools.chain(_global_forward_pre_hooks.items(),
                                             module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                out = hook(module, args, kwargs)
                if out is not None:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {out}.")
                    args, kwargs = out
            else:
                out = hook(module, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        bw_hook = None
        if full_hooks or pre_hooks:
            bw_hook = _BackwardHook(module, full_hooks, pre_hooks)
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in _forward_hooks(module):
            if _always_called(module, hook_id):
                called.add(hook_id)
            if hook_id in module._forward_hooks_with_kwargs:
                out = hook(module, args, kwargs, result)
            else:
                out = hook(module, args, result)
            if out is not None:
                result = out
        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple "
                              f"of Tensors but received {type(result)}", stacklevel=4)
            result = bw_hook.setup_output_hook(result)
        if legacy_hooks:
            _attach_legacy_hooks(module, legacy_hooks, args, result)
        return result
    except Exception:
        _run_always_called_hooks(module, called, args, kwargs, result)
        raise


def _forward_hooks(module: Module):
    return itertools.chain(_global_forward_hooks.items(), module._forward_hooks.items())


def _always_called(module: Module, hook_id: int) -> bool:
    return hook_id in module._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called


def _run_always_called_hooks(module: Module, called: set, args: tuple, kwargs: dict, result: Any) -> None:
    for hook_id, hook in _forward_hooks(module):
        if hook_id in called or not _always_called(module, hook_id):
            continue
        try:
            if hook_id in module._forward_hooks_with_kwargs:
                out = hook(module, args, kwargs, result)
            else:
                out = hook(module, args, result)
            if out is not None:
                result = out
        except Exception as e:
            warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                          f"silenced as another error was raised in forward: {e}", stacklevel=5)


# ------------------------------------------------------------------------------ full backward hooks ---
class BackwardHookFunctionBackward(Node):
    """Identity node; its hooks observe (and may replace) the gradients flowing through."""

    __slots__ = ("_devices",)

    def apply(self, grads: list) -> tuple:
        from ...ops.creation import zeros

        # Absent gradients are materialised, as a custom autograd.Function's backward would see them.
        return tuple(g if g is not None else zeros(shape, dtype=dt.from_numpy_dtype(dtype), device=device)
                     for g, shape, dtype, device in zip(grads, self._shapes, self._dtypes, self._devices))


def _identity(tensors: list[Tensor]) -> tuple[list[Tensor], Node]:
    outputs = [t._alias() for t in tensors]
    node = BackwardHookFunctionBackward(outputs, *tensors)
    node._devices = tuple(t.device for t in tensors)
    for t, out in zip(tensors, outputs):
        if not t._requires_grad:
            out._grad_fn = None
            out._requires_grad = False
    return outputs, node


def _pack_with_none(indices: list[int], values: tuple, size: int) -> tuple:
    packed = [None] * size
    for i, v in zip(indices, values):
        packed[i] = v
    return tuple(packed)


class _BackwardHook:
    """One module call's full backward hooks (see the module docstring)."""

    def __init__(self, module: Module, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = self.n_outputs = -1
        self.input_index: list[int] | None = None
        self.output_index: list[int] | None = None

    @staticmethod
    def _wrap(values: tuple) -> tuple[tuple, list[int] | None, Node | None]:
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        tensors = [values[i] for i in index]
        if not (STATE.enabled and any(t._requires_grad for t in tensors)):
            return values, None, None
        outputs, node = _identity(tensors)
        new = list(values)
        for i, out in zip(index, outputs):
            new[i] = out
        return tuple(new), index, node

    def setup_input_hook(self, args: tuple) -> tuple:
        new_args, self.input_index, node = self._wrap(args)
        self.n_inputs = len(args)
        if node is not None:
            node.register_hook(self._input_hook)
        return new_args

    def setup_output_hook(self, result: Any) -> Any:
        is_tuple = isinstance(result, tuple)
        values = result if is_tuple else (result,)
        new, self.output_index, node = self._wrap(values)
        self.n_outputs = len(values)
        if node is not None:
            node.register_hook(self._output_hook)
        return new if is_tuple else new[0]

    def _input_hook(self, grad_inputs: tuple, _grad_outputs: tuple) -> tuple | None:
        if self.grad_outputs is None:  # the gradient reached the inputs without passing the outputs
            return None
        res = _pack_with_none(self.input_index, grad_inputs, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, "
                                   f"but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)

    def _output_hook(self, _grad_inputs: tuple, grad_outputs: tuple) -> tuple:
        self.grad_outputs = _pack_with_none(self.output_index, grad_outputs, self.n_outputs)
        for pre_hook in self.user_pre_hooks:
            out = pre_hook(self.module, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                   f"{len(out)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = out
        local = self.grad_outputs
        if self.input_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                          "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                          "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for "
                          "more details.", stacklevel=5)
            no_grads = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, no_grads, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                       "always return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_index)


# ------------------------------------------------------------------------- legacy backward hooks -----
def _attach_legacy_hooks(module: Module, hooks: list, args: tuple, result: Any) -> None:
    """register_backward_hook: the hooks see the input/output gradients of the node that made the output."""
    var = result
    while not isinstance(var, Tensor):
        var = next(v for v in var.values() if isinstance(v, Tensor)) if isinstance(var, dict) else var[0]
    node = var.grad_fn
    if node is None:
        return
    for hook in hooks:
        node.register_hook(_legacy_hook_call(module, node, hook))
    _warn_legacy_hook(args, result, node)


def _legacy_hook_call(module: Module, node: Node, hook):
    """Show the hook the node's input gradients in torch's order (fused nodes translate), and translate a
    replacement back."""
    to_torch = getattr(node, "torch_input_grads", None)
    from_torch = getattr(node, "from_torch_input_grads", None)

    def call(grad_in: tuple, grad_out: tuple):
        shown = _reduced(node, grad_in)
        if to_torch is not None:
            shown = to_torch(shown)
        replaced = hook(module, shown, grad_out)
        if replaced is not None and from_torch is not None:
            replaced = from_torch(replaced)
        return replaced

    return call


def _reduced(node: Node, grads: tuple) -> tuple:
    """A node's input gradients summed to the inputs' shapes (torch reduces broadcasts before node hooks)."""
    from ...ops._helpers import sum_to

    fixed = []
    for g, (nxt, nr) in zip(grads, node.next_functions):
        if g is not None and nxt is not None and g._data.shape != nxt._shapes[nr]:
            g = sum_to(g, nxt._shapes[nr])
        fixed.append(g)
    return tuple(fixed)


def _warn_legacy_hook(inputs: Any, result: Any, node: Node) -> None:
    use_full = "Please use register_full_backward_hook to get the documented behavior."
    outputs = (result,) if isinstance(result, Tensor) else result
    if not (isinstance(outputs, tuple) and all(isinstance(r, Tensor) for r in outputs)):
        _future("Using non-full backward hooks on a Module that does not return a single Tensor or a tuple "
                "of Tensors is deprecated and will be removed in future versions. This hook will be missing "
                f"some of the grad_output. {use_full}")
        return
    inputs = (inputs,) if isinstance(inputs, Tensor) else inputs
    if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
        _future("Using non-full backward hooks on a Module that does not take as input a single Tensor or a "
                "tuple of Tensors is deprecated and will be removed in future versions. This hook will be "
                f"missing some of the grad_input. {use_full}")
        return
    out_nodes = {r.grad_fn for r in outputs if r.grad_fn is not None}
    if not out_nodes or (len(out_nodes) == 1 and node not in out_nodes):
        _future("Using a non-full backward hook when outputs are nested in python data structure is "
                "deprecated and will be removed in future versions. This hook will be missing some "
                "grad_output.")
    elif len(out_nodes) > 1:
        _future("Using a non-full backward hook when outputs are generated by different autograd Nodes is "
                "deprecated and will be removed in future versions. This hook will be missing some "
                f"grad_output. {use_full}")
    elif {i.grad_fn for i in inputs if i.grad_fn is not None} != {n for n, _ in node.next_functions}:
        _future("Using a non-full backward hook when the forward contains multiple autograd Nodes is "
                "deprecated and will be removed in future versions. This hook will be missing some "
                f"grad_input. {use_full}")


def _future(message: str) -> None:
    warnings.warn(message, FutureWarning, stacklevel=7)  # points at the user's module call
