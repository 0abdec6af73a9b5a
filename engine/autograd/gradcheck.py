"""gradcheck / gradgradcheck: analytical gradients vs central finite differences (float64)."""

from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    pass


def _tensors(inputs):
    from ..tensor import Tensor

    return [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]


def _flat_outputs(fn, inputs):
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor)]


def _numerical_jacobian(fn, inputs, targets, eps: float):
    """J[i][k]: d outputs_k / d target_i as arrays (target.numel x output.numel)."""
    from .grad_mode import no_grad

    with no_grad():
        base = _flat_outputs(fn, inputs)
        jac = [[np.zeros((t.numel(), o.numel())) for o in base] for t in targets]
        for i, t in enumerate(targets):
            flat = t._data.reshape(-1) if t._data.flags.c_contiguous else None
            if flat is None:
                raise GradcheckError("gradcheck needs contiguous inputs")
            for j in range(flat.size):
                orig = flat[j].copy()
                flat[j] = orig + eps
                plus = [o._data.astype(np.float64).reshape(-1).copy() for o in _flat_outputs(fn, inputs)]
                flat[j] = orig - eps
                minus = [o._data.astype(np.float64).reshape(-1).copy() for o in _flat_outputs(fn, inputs)]
                flat[j] = orig
                for k in range(len(base)):
                    jac[i][k][j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical_jacobian(fn, inputs, targets):
    from ..ops.creation import zeros_like
    from . import grad

    outs = _flat_outputs(fn, inputs)
    jac = [[np.zeros((t.numel(), o.numel())) for o in outs] for t in targets]
    for k, out in enumerate(outs):
        if not out._requires_grad:
            continue
        for m in range(out.numel()):
            g = zeros_like(out)
            g._data.reshape(-1)[m] = 1
            grads = grad(out, targets, grad_outputs=g, retain_graph=True, allow_unused=True)
            for i, gi in enumerate(grads):
                if gi is not None:
                    jac[i][k][:, m] = np.asarray(gi._data, dtype=np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              fast_mode: bool = False, **_ignored) -> bool:
    """Compare analytical and numerical Jacobians of func at inputs (which should be float64)."""
    from ..tensor import Tensor

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    targets = _tensors(inputs)
    if not targets:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    for t in targets:
        if t._data.dtype not in (np.float64, np.complex128):
            import warnings

            index = next(i for i, a in enumerate(inputs) if a is t)
            warnings.warn(f"Input #{index} requires gradient and is not a double precision floating point "
                          "or complex. This check will likely fail if all the inputs are not of double "
                          "precision floating point or complex. ", UserWarning, stacklevel=2)
    numerical = _numerical_jacobian(func, inputs, targets, eps)
    analytical = _analytical_jacobian(func, inputs, targets)
    for i, (num_row, ana_row) in enumerate(zip(numerical, analytical)):
        for k, (num, ana) in enumerate(zip(num_row, ana_row)):
            if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {k} with respect to input {i},\n"
                    f"numerical:{num}\nanalytical:{ana}\n"
                )
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  **_ignored) -> bool:
    """gradcheck of the function inputs -> d(func)/d(inputs) . grad_outputs (second derivatives)."""
    from ..ops.creation import tensor
    from ..tensor import Tensor
    from . import grad

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outs = _flat_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            tensor(rng.standard_normal(o._data.shape), dtype=o.dtype, requires_grad=True) for o in outs
        )
    grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n_inputs = len(inputs)

    def first_derivative(*args):
        ins, gos = args[:n_inputs], args[n_inputs:]
        targets = _tensors(ins)
        outputs = _flat_outputs(func, ins)
        diff = [(o, g) for o, g in zip(outputs, gos) if o._requires_grad]
        grads = grad([o for o, _ in diff], targets, grad_outputs=[g for _, g in diff], create_graph=True,
                     allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
