"""Test helpers: assert_close, and the torch-parity check used by the test-suite (tinygrad-style)."""

from __future__ import annotations

import numpy as np


def _np(x):
    from .backend import to_numpy
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return to_numpy(x._data)
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor
        if getattr(x, "_is_zerotensor", lambda: False)():
            return np.zeros(tuple(x.shape), dtype=str(x.dtype).replace("torch.", ""))
        return x.detach().cpu().resolve_conj().numpy() if hasattr(x, "resolve_conj") else x.detach().numpy()
    return np.asarray(x)


def assert_close(actual, expected, *, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = True, check_dtype: bool = True, msg: str = "") -> None:
    """Values (and dtypes, when both are tensors) match; tolerances default by dtype like torch's."""
    a, e = _np(actual), _np(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{msg}shape mismatch: {a.shape} vs {e.shape}")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(f"{msg}dtype mismatch: {a.dtype} vs {e.dtype}")
    if rtol is None or atol is None:
        default = {np.float16: (1e-3, 1e-5), np.float32: (1.3e-6, 1e-5), np.float64: (1e-7, 1e-7)}
        r, t = default.get(a.dtype.type, (0.0, 0.0) if a.dtype.kind in "iub" else (1.3e-6, 1e-5))
        rtol = r if rtol is None else rtol
        atol = t if atol is None else atol
    if a.dtype.kind in "iub":
        if not np.array_equal(a, e):
            raise AssertionError(f"{msg}values differ:\nactual={a}\nexpected={e}")
        return
    if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan):
        diff = np.nanmax(np.abs(a.astype(np.complex128) - e.astype(np.complex128))) if a.size else 0
        raise AssertionError(f"{msg}values differ (max abs diff {diff}):\nactual={a}\nexpected={e}")


def _flatten_outputs(out):
    if isinstance(out, (tuple, list)):
        result = []
        for o in out:
            result.extend(_flatten_outputs(o))
        return result
    return [out]


def check_against_torch(fn, *arrays, grad: bool = True, rtol: float = 1e-3, atol: float = 1e-6,
                        grad_rtol: float | None = None, grad_atol: float | None = None, seed: int = 0,
                        check_dtype: bool = True):
    """Run fn(lib, *tensors) with lib = engine and lib = torch on the same inputs and compare.

    Forward: shape, dtype and values of every tensor output. Backward (grad=True): float inputs require
    grad; a RANDOM upstream gradient is fed to every differentiable output (a .sum() would hide a backward
    that ignores its incoming gradient) and the input gradients are compared.
    Non-array arguments (ints, tuples) should be closed over by fn. Returns (engine_outputs, torch_outputs).
    """
    import torch

    import engine

    arrays = [np.asarray(a) for a in arrays]
    wants_grad = [grad and a.dtype.kind in "fc" for a in arrays]
    e_in = [engine.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants_grad)]
    t_in = [torch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants_grad)]
    e_out = _flatten_outputs(fn(engine, *e_in))
    t_out = _flatten_outputs(fn(torch, *t_in))
    assert len(e_out) == len(t_out), f"output count {len(e_out)} vs {len(t_out)}"
    for i, (eo, to) in enumerate(zip(e_out, t_out)):
        if isinstance(to, torch.Tensor):
            assert isinstance(eo, engine.Tensor), f"output {i}: engine returned {type(eo).__name__}"
            shapes = tuple(eo.shape), tuple(to.shape)
            assert shapes[0] == shapes[1], f"output {i}: shape {shapes[0]} vs {shapes[1]}"
            assert str(eo.dtype) == str(to.dtype), f"output {i}: dtype {eo.dtype} vs {to.dtype}"
            assert_close(eo, to, rtol=rtol, atol=atol, check_dtype=check_dtype, msg=f"output {i}: ")
        else:
            assert eo == to or (isinstance(to, float) and np.isclose(eo, to, rtol=rtol, atol=atol)), \
                f"output {i}: {eo!r} vs {to!r}"
    if not any(wants_grad):
        return e_out, t_out
    rng = np.random.default_rng(seed)
    e_roots, t_roots, e_grads, t_grads = [], [], [], []
    for eo, to in zip(e_out, t_out):
        if isinstance(to, torch.Tensor) and to.requires_grad:
            g = rng.standard_normal(tuple(to.shape)).astype(_np(to).dtype)
            if to.dtype.is_complex:
                g = g + 1j * rng.standard_normal(tuple(to.shape)).astype(g.dtype)
            e_roots.append(eo)
            t_roots.append(to)
            e_grads.append(engine.tensor(g))
            t_grads.append(torch.tensor(g))
    if not t_roots:
        return e_out, t_out
    t_in_grad = [t for t, w in zip(t_in, wants_grad) if w]
    e_in_grad = [t for t, w in zip(e_in, wants_grad) if w]
    tg = torch.autograd.grad(t_roots, t_in_grad, t_grads, allow_unused=True)
    eg = engine.autograd.grad(e_roots, e_in_grad, e_grads, allow_unused=True)
    for i, (a, b) in enumerate(zip(eg, tg)):
        if b is None:
            assert a is None or not np.any(_np(a)), f"grad {i}: engine has a gradient, torch has none"
            continue
        assert a is not None, f"grad {i}: engine has no gradient, torch has one"
        assert_close(a, b, rtol=grad_rtol or rtol, atol=grad_atol or max(atol, 1e-5), check_dtype=check_dtype,
                     msg=f"grad of input {i}: ")
    return e_out, t_out


def _torch_aliases() -> dict[str, object]:
    import importlib
    import sys

    for name in ("engine.nn.functional", "engine.optim", "engine.utils.data", "engine.utils.checkpoint",
                 "engine.autograd", "engine.distributions.beta", "engine.profiler", "engine.backends.cudnn",
                 "engine.vision.transforms", "engine.vision.datasets", "engine.vision.utils"):
        importlib.import_module(name)
    aliases: dict[str, object] = {}
    for name, module in list(sys.modules.items()):
        if name == "engine" or name.startswith("engine."):
            aliases["torch" + name[len("engine"):]] = module
        if name == "engine.vision" or name.startswith("engine.vision."):
            aliases["torchvision" + name[len("engine.vision"):]] = module
    return aliases


class torch_is_engine:  # noqa: N801 - used as a context manager, like torch's own helpers
    """Inside `with torch_is_engine():`, `import torch` (torch.nn, torch.optim, ..., torchvision) gives the
    engine, so PyTorch code runs unchanged; sys.modules is restored afterwards."""

    def __enter__(self) -> None:
        import sys

        self._saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("torch", "torchvision")}
        for name in self._saved:
            del sys.modules[name]
        sys.modules.update(_torch_aliases())

    def __exit__(self, *exc: object) -> None:
        import sys

        for name in [n for n in sys.modules if n.split(".")[0] in ("torch", "torchvision")]:
            del sys.modules[name]
        sys.modules.update(self._saved)


def run_snippet(code: str) -> tuple[dict, str]:
    """exec PyTorch code against the engine; returns (namespace, captured stdout). Seeds the engine's RNG
    first so snippets with random numbers are reproducible."""
    import contextlib
    import io

    import engine

    engine.manual_seed(0)
    namespace: dict = {"torch": engine}
    out = io.StringIO()
    with torch_is_engine(), contextlib.redirect_stdout(out):
        exec(code, namespace)  # noqa: S102 - the caller's code, run on purpose
    return namespace, out.getvalue()


def check_error_matches_torch(fn, *arrays) -> None:
    """fn(lib, *tensors) raises the same exception type and message with the engine as with torch."""
    import pytest
    import torch

    import engine

    with pytest.raises(Exception) as expected:
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(type(expected.value)) as got:
        fn(engine, *[engine.tensor(a) for a in arrays])
    assert str(got.value) == str(expected.value)
