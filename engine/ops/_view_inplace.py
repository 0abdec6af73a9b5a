"""In-place writes into views: rebase the base tensor's autograd history (torch's CopySlices).

After `y = x * 2; y[0].mul_(3)`, the gradient through `y` must see the write. Every in-place op records a
node for the view whose input 0 is the view's old value; `rebase_view_history` then gives the base a
CopySlices node (the base's old history outside the view, the in-place op inside it) and makes the view a
view of the base's new value.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.grad_mode import STATE
from ..autograd.graph import Node, grad_edge
from ..backend import array_module, to_numpy
from ..tensor import Tensor


def _pointer(array) -> int:
    if isinstance(array, np.ndarray):
        return array.__array_interface__["data"][0]
    return int(array.data.ptr)


def view_positions(base, view) -> np.ndarray | None:
    """Flat C-order indices into `base` of every element of `view` (arrays sharing memory)."""
    item = base.itemsize
    if view.itemsize != item or any(s % item for s in (*base.strides, *view.strides)):
        return None
    low = sum(min(0, (n - 1) * s) for n, s in zip(base.shape, base.strides) if n)
    high = sum(max(0, (n - 1) * s) for n, s in zip(base.shape, base.strides) if n) + item
    buffer = np.full((high - low) // item, -1, dtype=np.int64)
    start = -low // item
    elem = np.int64().itemsize
    laid_out = as_strided(buffer[start:], base.shape, tuple(s // item * elem for s in base.strides))
    laid_out[...] = np.arange(base.size, dtype=np.int64).reshape(base.shape)
    offset = start + (_pointer(view) - _pointer(base)) // item
    if offset < 0 or offset >= buffer.size and view.size:
        return None
    positions = as_strided(buffer[offset:], view.shape, tuple(s // item * elem for s in view.strides)).copy()
    return None if (positions < 0).any() else positions


class CopySlices(Node):
    """Gradient of a base after an in-place op on one of its views."""

    __slots__ = ("positions", "op", "view_shape", "base_shape")

    def apply(self, grads: list) -> tuple:
        flat = grads[0].reshape(-1)
        region = flat[self.positions].reshape(self.view_shape)
        op_grads = self.op.apply([region])
        old_view_grad = op_grads[0]
        if old_view_grad is None:
            old_view_grad = region * 0
        elif tuple(old_view_grad.shape) != self.view_shape:
            from ._helpers import sum_to

            old_view_grad = sum_to(old_view_grad, self.view_shape)
        base_grad = flat.index_put((self.positions,), old_view_grad.reshape(-1).to(flat.dtype))
        return (base_grad.reshape(self.base_shape), *op_grads[1:])

    def release(self) -> None:
        self.op.release()
        self._freed = self.op._freed


class AsStridedBackward0(Node):
    """The view, re-expressed as a function of its base's new value."""

    __slots__ = ("positions", "base_shape", "base_numel")

    def backward(self, g):
        from .creation import zeros

        flat = zeros(self.base_numel, dtype=g.dtype, device=g.device)
        flat = flat.index_put((self.positions,), g.reshape(-1), accumulate=True)
        return (flat.reshape(self.base_shape),)


def rebase_view_history(view: Tensor) -> None:
    """Call after an in-place op set `view._grad_fn` (its input 0 being the view's old value)."""
    base = view._base
    op = view._grad_fn
    if base is None or op is None or not STATE.enabled or base._data.shape == () and view._data is base._data:
        return
    positions = view_positions(base._data, view._data)
    if positions is None:
        raise RuntimeError("in-place operation on a view whose layout the engine cannot relate to its base; "
                           "call .clone() on the view before modifying it")
    xp = array_module(base._data)
    positions_t = Tensor._make(xp.asarray(positions))
    node = object.__new__(CopySlices)
    base_edge = grad_edge(base) if base._requires_grad else (None, 0)
    _init_node(node, (base_edge, *op.next_functions[1:]), base)
    node.positions, node.op = positions_t, op
    node.view_shape, node.base_shape = tuple(view._data.shape), tuple(base._data.shape)
    base._grad_fn, base._output_nr, base._requires_grad = node, 0, True

    view_node = object.__new__(AsStridedBackward0)
    _init_node(view_node, ((node, 0),), view)
    view_node.positions, view_node.base_shape = positions_t, tuple(base._data.shape)
    view_node.base_numel = int(base._data.size)
    view._grad_fn, view._output_nr = view_node, 0


def _init_node(node: Node, edges: tuple, output: Tensor) -> None:
    node.next_functions = tuple(edges)
    node._saved = None
    node._pre_hooks = None
    node._retained = None
    node._hooks = None
    node._freed = False
    node._shapes = (output._data.shape,)
    node._dtypes = (output._data.dtype,)


_ = to_numpy
