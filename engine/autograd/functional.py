"""autograd.functional: jacobian and hessian built on autograd.grad."""

from __future__ import annotations


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False):
    from ..ops.creation import zeros_like
    from ..tensor import Tensor
    from . import grad

    single_input = isinstance(inputs, Tensor)
    ins = (inputs,) if single_input else tuple(inputs)
    ins = tuple(t.detach().requires_grad_(True) for t in ins)
    out = func(*ins)
    single_output = isinstance(out, Tensor)
    outs = (out,) if single_output else tuple(out)
    result = []
    for o in outs:
        rows = [[] for _ in ins]
        flat = o.reshape(-1)
        for m in range(flat.numel()):
            grads = grad(flat[m], ins, retain_graph=True, create_graph=create_graph, allow_unused=True)
            for i, g in enumerate(grads):
                rows[i].append(g if g is not None else zeros_like(ins[i]))
        from ..ops import stack

        per_input = tuple(
            stack(r).reshape(tuple(o.shape) + tuple(ins[i].shape)) if r else zeros_like(ins[i]).reshape(
                tuple(o.shape) + tuple(ins[i].shape))
            for i, r in enumerate(rows)
        )
        result.append(per_input[0] if single_input else per_input)
    return result[0] if single_output else tuple(result)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False):
    from ..tensor import Tensor

    single_input = isinstance(inputs, Tensor)

    def gradient(*args):
        from . import grad

        out = func(*args)
        grads = grad(out, args, create_graph=True, allow_unused=True)
        return grads[0] if single_input else grads

    return jacobian(gradient, inputs, create_graph=create_graph)
