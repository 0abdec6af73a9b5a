"""Activation checkpointing: keep no intermediate activations in forward, recompute them in backward."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from .. import random_state
from ..autograd import backward as autograd_backward
from ..autograd import grad as autograd_grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..autograd.graph import AccumulateGrad
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction"]

_USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch "
    "2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
    "recommended, but if you need to preserve the current default behavior, you can pass use_reentrant=True. "
    "Refer to docs for more details on the differences between the two variants."
)
_NO_INPUT_GRAD_WARNING = "None of the inputs have requires_grad=True. Gradients will be None"


# ------------------------------------------------------------------------------------------- RNG ---
class _RngState:
    """The CPU generator's state (and the CUDA generators' where inputs live on CUDA) before forward."""

    def __init__(self, args: tuple) -> None:
        self.cpu = random_state.get_rng_state()
        self.cuda = {}
        for a in args:
            if isinstance(a, Tensor) and a.is_cuda:
                index = a.device.index or 0
                self.cuda[index] = random_state.cuda_generator(index).get_state()

    @contextlib.contextmanager
    def restored(self) -> Iterator[None]:
        """Replay the saved state for the recomputation, then put the current state back."""
        now = _RngState(())
        now.cuda = {i: random_state.cuda_generator(i).get_state() for i in self.cuda}
        random_state.set_rng_state(self.cpu)
        for i, state in self.cuda.items():
            random_state.cuda_generator(i).set_state(state)
        try:
            yield
        finally:
            random_state.set_rng_state(now.cpu)
            for i, state in now.cuda.items():
                random_state.cuda_generator(i).set_state(state)


def _replay(rng: _RngState | None):
    return rng.restored() if rng is not None else contextlib.nullcontext()


def _detached(args) -> list:
    """Inputs for the recomputation: tensors cut from the outer graph, requiring grad as before."""
    out = []
    for a in args:
        if isinstance(a, Tensor):
            d = a.detach()
            d._requires_grad = a._requires_grad
            out.append(d)
        else:
            out.append(a)
    return out


def _as_tuple(outputs) -> tuple:
    return outputs if isinstance(outputs, tuple) else (outputs,)


# ------------------------------------------------------------------------------------- reentrant ---
class CheckpointFunction(Function):
    """Reentrant checkpoint: forward under no_grad; backward recomputes and runs a nested backward."""

    @staticmethod
    def forward(ctx, run_function: Callable, preserve_rng_state: bool, *args):
        ctx.run_function = run_function
        ctx.rng = _RngState(args) if preserve_rng_state else None
        ctx.template = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        tensors = iter(_detached(ctx.saved_tensors))
        inputs = [next(tensors) if a is None else a for a in ctx.template]
        with _replay(ctx.rng), enable_grad():
            outputs = _as_tuple(ctx.run_function(*inputs))
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o._requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        autograd_backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in inputs)


# --------------------------------------------------------------------------------- non-reentrant ---
class _Recompute:
    """What backward needs to run the function again (the function, non-tensor args, kwargs, RNG)."""

    def __init__(self, function: Callable, args: tuple, kwargs: dict, rng: _RngState | None) -> None:
        self.function = function
        self.template = [None if isinstance(a, Tensor) else a for a in args]
        self.n_args = sum(1 for a in args if isinstance(a, Tensor))
        self.kwargs = kwargs
        self.rng = rng
        self.outputs: tuple | None = None


class CheckpointNonReentrant(Function):
    """Inputs: the explicit tensor args, then the leaves the function reached (captured parameters)."""

    @staticmethod
    def forward(ctx, state: _Recompute, *tensors):
        ctx.state = state
        ctx.save_for_backward(*tensors)
        outputs, state.outputs = state.outputs, None
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        saved = ctx.saved_tensors
        create_graph = is_grad_enabled()  # the engine runs backward with grad mode on only for create_graph
        # With create_graph the recomputation reads the real inputs, so the gradients it returns are
        # themselves differentiable with respect to them (higher-order gradients).
        args = list(saved[:state.n_args]) if create_graph else _detached(saved[:state.n_args])
        leaves = saved[state.n_args:]
        it = iter(args)
        inputs = [next(it) if a is None else a for a in state.template]
        with _replay(state.rng), enable_grad():
            outputs = _as_tuple(state.function(*inputs, **state.kwargs))
        tensor_outputs = [o for o in outputs if isinstance(o, Tensor)]
        pairs = [(o, g) for o, g in zip(tensor_outputs, grads) if o._requires_grad and g is not None]
        targets = [a for a in args if a._requires_grad] + list(leaves)
        results = iter(())
        if pairs and targets:
            # retain_graph: the recomputed graph may reach nodes of the outer graph (captured non-leaves)
            results = iter(autograd_grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                                         retain_graph=True, create_graph=create_graph, allow_unused=True))
        arg_grads = [next(results) if a._requires_grad else None for a in args]
        return (None, *arg_grads, *results)


def _reached_leaves(outputs: tuple, exclude: set[int]) -> list[Tensor]:
    """Leaf tensors requiring grad that the outputs' graph reaches (parameters used by the function)."""
    leaves: list[Tensor] = []
    found: set[int] = set()
    seen: set = set()
    stack = []
    for o in outputs:
        if not isinstance(o, Tensor) or not o._requires_grad:
            continue
        if o._grad_fn is None:
            if id(o) not in exclude and id(o) not in found:
                found.add(id(o))
                leaves.append(o)
        else:
            stack.append(o._grad_fn)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            var = node.variable
            if id(var) not in exclude and id(var) not in found:
                found.add(id(var))
                leaves.append(var)
            continue
        stack.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
    return leaves


def _non_reentrant(function: Callable, preserve_rng_state: bool, args: tuple, kwargs: dict):
    if not is_grad_enabled():
        return function(*args, **kwargs)
    rng = _RngState(args) if preserve_rng_state else None
    inputs = _detached(args)
    # The forward runs with grad so that the graph shows which parameters the function reads; that graph
    # (and every activation it holds) is dropped right below, and rebuilt in backward.
    with enable_grad():
        outputs = function(*inputs, **kwargs)
    outs = _as_tuple(outputs)
    leaves = _reached_leaves(outs, {id(a) for a in inputs if isinstance(a, Tensor)})
    state = _Recompute(function, args, kwargs, rng)
    detached_outs = tuple(o.detach() if isinstance(o, Tensor) else o for o in outs)
    del outs
    state.outputs = detached_outs if isinstance(outputs, tuple) else detached_outs[0]
    del outputs
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    return CheckpointNonReentrant.apply(state, *tensor_args, *leaves)


# ---------------------------------------------------------------------------------------- public ---
def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None, context_fn: Any = None,
               determinism_check: str = "default", debug: bool = False, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """Run function(*args) without keeping activations; recompute them during backward.

    use_reentrant=False (recommended) gives gradients to inputs and to parameters the function uses, also
    through autograd.grad; use_reentrant=True (torch's default when not given, with a warning) only
    accumulates into parameters through .backward().
    """
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if is_grad_enabled() and not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            warnings.warn(_NO_INPUT_GRAD_WARNING, UserWarning, stacklevel=2)
        return CheckpointFunction.apply(function, preserve_rng_state, *args)
    return _non_reentrant(function, preserve_rng_state, args, kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,
                          **kwargs: Any) -> Any:
    """Split a sequence of modules/functions into `segments` chunks and checkpoint all but the last."""
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)

    def run_segment(start: int, stop: int) -> Callable:
        def run(x):
            for fn in functions[start:stop]:
                x = fn(x)
            return x

        return run

    size = max(len(functions) // segments, 1)
    stop = 0
    for start in range(0, size * (segments - 1), size):
        stop = start + size
        input = checkpoint(run_segment(start, stop), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_segment(stop, len(functions))(input)
