"""Recording ranges: per-thread stacks of open ranges, and the wrappers installed while a profile records.

Nothing is wrapped while no profile records, so the engine runs at full speed outside profiling: the
wrappers are installed when the first profile starts recording and the original callables are put back
(the very same objects) when the last one stops.
"""

from __future__ import annotations

import functools
import threading
import time
import types
from typing import Any

_LOCK = threading.RLock()
_SINKS: list = []  # profile sessions now recording (each has ._raw, .record_shapes, .profile_memory)
_LOCAL = threading.local()
_PATCHES: list[tuple[Any, str, Any]] = []  # (owner, attribute, original)
_next_id = [0]

_SKIP = {"manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "get_default_dtype",
         "set_default_dtype", "is_tensor", "is_grad_enabled", "set_printoptions", "get_printoptions"}
_DUNDER_OPS = {
    "add": "add", "sub": "sub", "mul": "mul", "truediv": "div", "floordiv": "floor_divide",
    "mod": "remainder", "pow": "pow", "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
    "xor": "bitwise_xor", "lshift": "__lshift__", "rshift": "__rshift__", "neg": "neg", "pos": "positive",
    "invert": "bitwise_not", "abs": "abs", "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt",
    "ge": "ge", "getitem": "index", "setitem": "index_put_",
}


class RangeEvent:
    """One recorded range (an op call, a module call, a backward node or a user range)."""

    __slots__ = ("id", "name", "start_ns", "end_ns", "thread", "parent", "children", "input_shapes",
                 "memory", "category")

    def __init__(self, name: str, category: str, input_shapes: list | None) -> None:
        _next_id[0] += 1
        self.id = _next_id[0]
        self.name = name
        self.category = category
        self.input_shapes = input_shapes
        self.thread = threading.get_ident()
        self.children: list[RangeEvent] = []
        self.memory = 0
        self.end_ns = 0
        stack = _stack()
        self.parent = stack[-1] if stack else None
        if self.parent is not None:
            self.parent.children.append(self)
        stack.append(self)
        self.start_ns = time.perf_counter_ns()


def _stack() -> list:
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


def recording() -> bool:
    return bool(_SINKS)


def open_range(name: str, category: str = "cpu_op", args: tuple | None = None) -> RangeEvent | None:
    if not _SINKS:
        return None
    shapes = _shapes(args) if args is not None and any(s.record_shapes for s in _SINKS) else None
    return RangeEvent(name, category, shapes)


def close_range(event: RangeEvent | None, result: Any = None) -> None:
    if event is None:
        return
    event.end_ns = time.perf_counter_ns()
    stack = _stack()
    if event in stack:  # ranges closed out of order (a leaked record_function) close their inner ones too
        while stack and stack.pop() is not event:
            pass
    # ops own the memory of their outputs; other ranges (user ranges, modules, nodes) that of their children
    event.memory = _nbytes(result) if result is not None else sum(c.memory for c in event.children)
    for sink in list(_SINKS):
        sink._raw.append(event)


def _shapes(args: tuple) -> list:
    from ..tensor import Tensor

    return [list(a._data.shape) if isinstance(a, Tensor) else [] for a in args]


def _nbytes(result: Any) -> int:
    from ..tensor import Tensor

    if isinstance(result, Tensor):
        return int(result._data.nbytes)
    if isinstance(result, (tuple, list)):
        return sum(int(r._data.nbytes) for r in result if isinstance(r, Tensor))
    return 0


# ---------------------------------------------------------------------------------------- wrapping ---
def _op_wrapper(fn: Any, name: str) -> Any:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not _SINKS:
            return fn(*args, **kwargs)
        event = open_range(name, "cpu_op", args)
        result = None
        try:
            result = fn(*args, **kwargs)
            return result
        finally:
            close_range(event, result)

    return wrapper


def _module_call_wrapper(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        if not _SINKS:
            return fn(self, *args, **kwargs)
        event = open_range(type(self).__name__, "python_function", args)
        try:
            return fn(self, *args, **kwargs)
        finally:
            close_range(event)

    return wrapper


def _node_wrapper(fn: Any, fixed_name: str | None = None) -> Any:
    @functools.wraps(fn)
    def wrapper(node, *args, **kwargs):
        busy = getattr(_LOCAL, "nodes", None)
        if busy is None:
            busy = _LOCAL.nodes = set()
        if not _SINKS or id(node) in busy:  # a subclass's apply calling the base apply: record once
            return fn(node, *args, **kwargs)
        name = fixed_name or node.name()
        outer = open_range("autograd::engine::evaluate_function: " + name, "cpu_op")
        inner = open_range(name, "cpu_op")
        busy.add(id(node))
        try:
            return fn(node, *args, **kwargs)
        finally:
            busy.discard(id(node))
            close_range(inner)
            close_range(outer)

    return wrapper


def _patch(owner: Any, attribute: str, replacement: Any) -> None:
    _PATCHES.append((owner, attribute, owner.__dict__[attribute] if isinstance(owner, type)
                     else getattr(owner, attribute)))
    setattr(owner, attribute, replacement)


def _is_op(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) and (fn.__module__ or "").startswith("engine.ops")


def _tensor_method_name(attribute: str) -> str:
    if not (attribute.startswith("__") and attribute.endswith("__")):
        return "aten::" + attribute
    core = attribute[2:-2]
    if core in _DUNDER_OPS:
        return "aten::" + _DUNDER_OPS[core]
    if core[:1] == "i" and core[1:] in _DUNDER_OPS:
        return "aten::" + _DUNDER_OPS[core[1:]] + "_"
    if core[:1] == "r" and core[1:] in _DUNDER_OPS:
        return "aten::rsub" if core == "rsub" else "aten::" + _DUNDER_OPS[core[1:]]
    return "aten::" + core


def _node_classes() -> list:
    from ..autograd.graph import Node

    found, todo = [], [Node]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return list(dict.fromkeys(found))


def install() -> None:
    """Wrap engine functions, Tensor methods, Module.__call__ and the backward nodes."""
    import sys

    import engine

    from ..autograd.graph import AccumulateGrad
    from ..tensor import Tensor

    for name, fn in list(vars(engine).items()):
        if not name.startswith("_") and name not in _SKIP and _is_op(fn):
            _patch(engine, name, _op_wrapper(fn, "aten::" + name))
    functional = sys.modules.get("engine.nn.functional")
    if functional is not None:
        for name, fn in list(vars(functional).items()):
            if (not name.startswith("_") and isinstance(fn, types.FunctionType)
                    and (fn.__module__ or "").startswith("engine.")):
                _patch(functional, name, _op_wrapper(fn, "aten::" + name))
    for name, fn in list(Tensor.__dict__.items()):
        if _is_op(fn) and name not in _SKIP:
            _patch(Tensor, name, _op_wrapper(fn, _tensor_method_name(name)))
    module_cls = getattr(sys.modules.get("engine.nn.modules.module"), "Module", None)
    if module_cls is not None and "__call__" in module_cls.__dict__:
        _patch(module_cls, "__call__", _module_call_wrapper(module_cls.__dict__["__call__"]))
    for cls in _node_classes():
        if "apply" in cls.__dict__ and isinstance(cls.__dict__["apply"], types.FunctionType):
            _patch(cls, "apply", _node_wrapper(cls.__dict__["apply"]))
    _patch(AccumulateGrad, "accumulate", _node_wrapper(AccumulateGrad.__dict__["accumulate"],
                                                       "torch::autograd::AccumulateGrad"))


def uninstall() -> None:
    while _PATCHES:
        owner, attribute, original = _PATCHES.pop()
        setattr(owner, attribute, original)


def add_sink(sink: Any) -> None:
    with _LOCK:
        if not _SINKS:
            install()
        _SINKS.append(sink)


def remove_sink(sink: Any) -> None:
    with _LOCK:
        if sink in _SINKS:
            _SINKS.remove(sink)
        if not _SINKS:
            uninstall()
