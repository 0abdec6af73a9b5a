"""Autograd graph nodes and the backward walk (iterative, topological; no recursion limit)."""

from __future__ import annotations

import re
import weakref

from .grad_mode import STATE, no_grad

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)


_NO_EDGE = (None, 0)

_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


class Node:
    """One backward function. Subclasses implement `backward(grad) -> tuple` (one entry per input).

    `next_functions[i]` is `(node, output_nr)` for input i, or `(None, 0)` when input i needs no grad.
    Multi-output nodes override `apply(grads)` instead.
    """

    __slots__ = ("next_functions", "_shapes", "_dtypes", "_saved", "_pre_hooks", "_retained", "_hooks",
                 "_freed", "__weakref__")

    def __init__(self, output, *inputs) -> None:
        nexts = []
        for t in inputs:
            if t is not None and t._requires_grad:
                fn = t._grad_fn
                nexts.append((fn, t._output_nr) if fn is not None else (t._accumulator(), 0))
            else:
                nexts.append(_NO_EDGE)
        self.next_functions = tuple(nexts)
        self._saved = None
        self._pre_hooks = None
        self._retained = None
        self._hooks = None
        self._freed = False
        if output.__class__ is tuple or output.__class__ is list:
            self._shapes = tuple([o._data.shape for o in output])
            self._dtypes = tuple([o._data.dtype for o in output])
            for nr, o in enumerate(output):
                o._grad_fn = self
                o._output_nr = nr
                o._requires_grad = True
        else:
            data = output._data
            self._shapes = (data.shape,)
            self._dtypes = (data.dtype,)
            output._grad_fn = self
            output._requires_grad = True

    # -- saved tensors ---------------------------------------------------------------------------------
    def save(self, *tensors) -> None:
        """Save inputs for backward; their version is checked when they are unpacked."""
        self._saved = tuple((t, t._version[0], False) if t is not None else None for t in tensors)

    def save_if_needed(self, *entries) -> None:
        """Save (tensor, needed) pairs; a tensor no gradient needs is kept without a version check, so
        modifying it in place later is allowed (torch does not save it at all)."""
        self._saved = tuple((t, t._version[0] if needed else None, False) for t, needed in entries)

    def save_with_output(self, *tensors) -> None:
        """Like save, where the LAST tensor is this node's own output (kept without a reference cycle)."""
        *inputs, out = tensors
        saved = [(t, t._version[0], False) if t is not None else None for t in inputs]
        saved.append((out._alias(), out._version[0], True))
        self._saved = tuple(saved)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        if self._saved is None:
            return ()
        result = []
        for entry in self._saved:
            if entry is None:
                result.append(None)
                continue
            t, version, is_output = entry
            if version is not None and t._version[0] != version:
                raise RuntimeError(self._modified_message(t, version, is_output))
            if is_output and STATE.enabled:
                t = t._alias()
                t._grad_fn, t._output_nr, t._requires_grad = self, 0, True
            result.append(t)
        return tuple(result)

    def _modified_message(self, t, version: int, is_output: bool) -> str:
        """PyTorch's error for a saved tensor changed in place (names the tensor's producer, if any)."""
        producer, nr = (self, 0) if is_output else (t._grad_fn, t._output_nr)
        where = ""
        if producer is not None:
            where = f", which is output {nr} of {_BACKWARD_SUFFIX.sub('', producer.name())},"
        return (
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"[{t._type_name()} {list(t._data.shape)}]{where} is at version {t._version[0]}; expected "
            f"version {version} instead. Hint: enable anomaly detection to find the operation that failed to "
            "compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )

    def release(self) -> None:
        if self._saved is not None:
            self._saved = None
            self._freed = True

    # -- identity --------------------------------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def needs(self, i: int) -> bool:
        return self.next_functions[i][0] is not None

    # -- hooks on the node (nn full-backward hooks use these) ------------------------------------------
    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; it may return replacement grad_inputs."""
        from ..utils.hooks import RemovableHandle

        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; it may return replacement grad_outputs."""
        from ..utils.hooks import RemovableHandle

        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = ("node", fn)
        return handle

    # -- evaluation ------------------------------------------------------------------------------------
    def apply(self, grads: list) -> tuple:
        return self.backward(grads[0])

    def backward(self, grad):  # pragma: no cover - every subclass overrides apply or backward
        raise NotImplementedError(f"{self.name()} has no backward")


class AccumulateGrad(Node):
    """The sink of a leaf tensor: runs the leaf's hooks and adds into `.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        self.next_functions = ()
        self._saved = None
        self._pre_hooks = None
        self._retained = None
        self._hooks = None
        self._freed = False
        self._shapes = (variable._data.shape,)
        self._dtypes = (variable._data.dtype,)
        self.variable = variable

    def run_leaf_hooks(self, grad):
        hooks = self.variable._hooks
        if hooks:
            for fn in list(hooks.values()):
                replaced = fn(grad)
                if replaced is not None:
                    grad = replaced
        return grad

    def accumulate(self, grad, create_graph: bool, claimed: set | None = None) -> None:
        """Add grad into the leaf's .grad. `claimed` holds ids of arrays someone else may still hold: an
        array outside it that owns its memory is taken over instead of copied (torch steals it too)."""
        var = self.variable
        hooked = bool(var._hooks)
        grad = self.run_leaf_hooks(grad)
        if var._grad is None:
            if create_graph:
                var._grad = grad
            elif (claimed is not None and not hooked and _owns_memory(grad._data)
                  and id(grad._data) not in claimed):
                claimed.add(id(grad._data))
                var._grad = type(grad)._make(grad._data)
            else:
                var._grad = grad._fresh_copy()
        elif create_graph or STATE.enabled:
            var._grad = var._grad + grad
        else:
            var._grad._data += grad._data.astype(var._grad._data.dtype, copy=False)
            var._grad._version[0] += 1


def _owns_memory(array) -> bool:
    return array.base is None and array.flags.owndata


def _shape_dtype_fix(grad, shape, np_dtype):
    if grad._data.shape != shape:
        from ..ops._helpers import sum_to

        grad = sum_to(grad, shape)
    if grad._data.dtype != np_dtype:
        if np_dtype.kind != "c" and grad._data.dtype.kind == "c":
            grad = grad.real
        grad = grad.to(np_dtype_to_engine(np_dtype))
    return grad


def np_dtype_to_engine(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def _run_pre_hooks(node, grads: list) -> list:
    for key, (nr_or_kind, fn) in list(node._pre_hooks.items()):
        if nr_or_kind == "node":
            replaced = fn(tuple(grads))
            if replaced is not None:
                grads = list(replaced)
        elif grads[nr_or_kind] is not None:
            replaced = fn(grads[nr_or_kind])
            if replaced is not None:
                grads[nr_or_kind] = replaced
        del key
    return grads


def _topological_order(roots) -> list:
    """Nodes reachable from roots, each before every node it sends a gradient to.

    Reverse post-order of an iterative depth-first walk (no recursion, so 10,000-op chains are fine).
    """
    order = []
    visited = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, edges = stack[-1]
            for nxt, _ in edges:
                if nxt is not None and nxt not in visited:
                    visited.add(nxt)
                    stack.append((nxt, iter(nxt.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _nodes_leading_to(order: list, targets: set) -> set:
    needed = set()
    for node in reversed(order):
        if node in targets or any(n in needed for n, _ in node.next_functions if n is not None):
            needed.add(node)
    return needed


def grad_edge(t):
    """(node, output_nr) through which the gradient w.r.t. tensor t flows."""
    if t._grad_fn is not None:
        return t._grad_fn, t._output_nr
    if not t._requires_grad:
        return None, 0
    return t._accumulator(), 0


def run_backward(outputs, grad_outputs, retain_graph: bool, create_graph: bool, inputs=None,
                 accumulate: bool = True) -> list | None:
    """Propagate grad_outputs from outputs back through the graph.

    accumulate=True (Tensor.backward): add into `.grad` of leaves (only of `inputs` when given).
    accumulate=False (autograd.grad): return the gradients w.r.t. `inputs` instead.
    """
    roots = []
    buffers: dict = {}
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        node, nr = grad_edge(t)
        if node is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(node)
        slot = buffers.setdefault(node, [None] * len(node._shapes))
        slot[nr] = g if slot[nr] is None else slot[nr] + g

    # arrays the caller or hooks may still hold: never taken over as a leaf's .grad
    claimed = {id(g._data) for g in grad_outputs}
    capture: dict = {}
    if inputs is not None:
        for idx, t in enumerate(inputs):
            node, nr = grad_edge(t)
            if node is not None:
                capture.setdefault((node, nr), []).append(idx)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    order = _topological_order(roots)
    needed = _nodes_leading_to(order, {n for n, _ in capture}) if inputs is not None else None

    with no_grad() if not create_graph else _keep_mode():
        for node in order:
            if needed is not None and node not in needed:
                continue
            grads = buffers.pop(node, None)
            if grads is None:
                continue
            if node._pre_hooks or node._retained:
                claimed.update(id(g._data) for g in grads if g is not None)
            if node._pre_hooks:
                grads = _run_pre_hooks(node, grads)
                claimed.update(id(g._data) for g in grads if g is not None)
            if node._retained:
                for nr, ref in node._retained:
                    tensor = ref()
                    if tensor is not None and grads[nr] is not None:
                        g = grads[nr] if create_graph else grads[nr].detach()
                        tensor._grad = g._fresh_copy() if tensor._grad is None else tensor._grad + g
            is_leaf_sink = type(node) is AccumulateGrad
            if capture:
                for nr, g in enumerate(grads):
                    slots = capture.get((node, nr))
                    if slots is None or g is None:
                        continue
                    if is_leaf_sink and not accumulate:
                        g = node.run_leaf_hooks(g)
                    for idx in slots:
                        captured[idx] = g
                    if accumulate and not is_leaf_sink:
                        tensor = inputs[slots[0]]
                        tensor._grad = g._fresh_copy() if tensor._grad is None else tensor._grad + g
            if is_leaf_sink:
                if accumulate and grads[0] is not None:
                    node.accumulate(grads[0], create_graph, claimed)
                continue
            if len(grads) == 1:
                if grads[0] is None:
                    continue
            elif all(g is None for g in grads):
                continue
            if node._freed:
                raise RuntimeError(FREED_MESSAGE)
            results = node.apply(grads)
            edges = node.next_functions
            fixed = []
            for (nxt, nr), g in zip(edges, results):
                if nxt is not None and g is not None:
                    data = g._data
                    if data.shape != nxt._shapes[nr] or data.dtype != nxt._dtypes[nr]:
                        g = _shape_dtype_fix(g, nxt._shapes[nr], nxt._dtypes[nr])
                fixed.append(g)
            if node._hooks:
                for fn in list(node._hooks.values()):
                    replaced = fn(tuple(fixed), tuple(grads))
                    if replaced is not None:
                        fixed = list(replaced)
            if not retain_graph:
                node.release()
            for (nxt, nr), g in zip(edges, fixed):
                if nxt is None or g is None:
                    continue
                if needed is not None and nxt not in needed:
                    continue
                slot = buffers.get(nxt)
                if slot is None:
                    buffers[nxt] = [g] if len(nxt._shapes) == 1 else [g if i == nr else None
                                                                      for i in range(len(nxt._shapes))]
                elif slot[nr] is None:
                    slot[nr] = g
                else:
                    slot[nr] = slot[nr] + g
    return captured if inputs is not None else None


class _keep_mode:  # noqa: N801 - create_graph: backward formulas record a graph
    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self._prev


def weak(t):
    return weakref.ref(t)
