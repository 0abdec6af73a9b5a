"""autograd.functional: jacobian and hessian built on autograd.grad."""

from __future__ import annotations


def _rows(out, ins, create_graph: bool) -> list:
    """For each input, the list of d out.flatten()[m] / d input (one tensor per output element m)."""
    from ..ops.creation import zeros_like
    from . import grad

    rows = [[] for _ in ins]
    if not out._requires_grad:
        for i, t in enumerate(ins):
            rows[i] = [zeros_like(t) for _ in range(out.numel())]
        return rows
    for m in range(out.numel()):
        onehot = zeros_like(out)
        onehot._data.reshape(-1)[m] = 1  # a fresh contiguous array: reshape is a view
        grads = grad(out, ins, grad_outputs=onehot, retain_graph=True, create_graph=create_graph,
                     allow_unused=True)
        for i, g in enumerate(grads):
            rows[i].append(g if g is not None else zeros_like(ins[i]))
    return rows


def _assemble(rows: list, out_shape: tuple, in_tensor, create_graph: bool):
    from ..backend import array_module
    from ..ops._helpers import new

    shape = tuple(out_shape) + tuple(in_tensor.shape)
    if not create_graph:
        xp = array_module(in_tensor._data)
        data = xp.stack([r._data for r in rows]) if rows else xp.zeros(shape, dtype=in_tensor._data.dtype)
        return new(data.astype(in_tensor._data.dtype, copy=False).reshape(shape))
    from ..ops import stack

    return stack(rows).reshape(shape)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """d func(inputs) / d inputs; result[i][j] has shape output_i.shape + input_j.shape (like torch)."""
    from ..tensor import Tensor

    single_input = isinstance(inputs, Tensor)
    ins = (inputs,) if single_input else tuple(inputs)
    ins = tuple(t.detach().requires_grad_(True) for t in ins)
    from .grad_mode import enable_grad

    with enable_grad():
        out = func(*ins)
    single_output = isinstance(out, Tensor)
    outs = (out,) if single_output else tuple(out)
    result = []
    for o in outs:
        rows = _rows(o, ins, create_graph)
        per_input = tuple(_assemble(rows[i], o.shape, t, create_graph) for i, t in enumerate(ins))
        result.append(per_input[0] if single_input else per_input)
    return result[0] if single_output else tuple(result)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """Second derivatives of a scalar func: result[i][j] has shape input_i.shape + input_j.shape."""
    from ..tensor import Tensor

    single_input = isinstance(inputs, Tensor)

    def gradient(*args):
        from . import grad

        out = func(*args)
        if out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor containing a "
                               "single element")
        grads = grad(out.reshape(()) if out.dim() else out, args, create_graph=True, allow_unused=True)
        from ..ops.creation import zeros_like

        grads = tuple(g if g is not None else zeros_like(a) for g, a in zip(grads, args))
        return grads[0] if single_input else grads

    return jacobian(gradient, inputs, create_graph=create_graph)
