"""Per-op overhead of the engine vs torch on tiny grad-tracked tensors (where overhead dominates).

Prints microseconds per op (forward, and forward+backward of a chain) and the engine/torch ratio.
Run: .venv/bin/python bench/op_overhead.py   (torch optional; without it only engine numbers print)
"""

from __future__ import annotations

import time

import numpy as np

import engine

try:
    import torch
except ImportError:  # the engine numbers alone are still useful
    torch = None

CHAIN = 50


def _chain(lib, x, w):
    y = x
    for _ in range(CHAIN // 5):
        y = y * w
        y = y + 1.0
        y = y - x
        y = y / 2.0
        y = y.sum(0, keepdim=True) + y
    return y


CASES = {
    "add": lambda lib, x, w: x + w,
    "mul": lambda lib, x, w: x * w,
    "div scalar": lambda lib, x, w: x / 2.0,
    "sum": lambda lib, x, w: x.sum(),
    "reshape": lambda lib, x, w: x.reshape(-1),
    "transpose": lambda lib, x, w: x.t(),
    "matmul": lambda lib, x, w: x @ w,
}


def _time(fn, repeat: int = 7, number: int = 200) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def _inputs(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal((4, 4)).astype(np.float32), requires_grad=True)
    return x, w


def _measure(lib) -> dict[str, float]:
    x, w = _inputs(lib)
    results = {}
    for name, fn in CASES.items():
        try:
            fn(lib, x, w)
        except (TypeError, AttributeError, NotImplementedError) as err:
            print(f"skipping {name} on {lib.__name__}: {err}")
            continue
        results[name] = _time(lambda f=fn: f(lib, x, w))

    def step():
        _chain(lib, x, w).sum().backward()

    results["chain fwd+bwd (per op)"] = _time(step, number=20) / CHAIN
    return results


def main() -> None:
    if torch is not None:
        torch.set_num_threads(1)
    engine.set_num_threads(1) if hasattr(engine, "set_num_threads") else None
    ours = _measure(engine)
    theirs = _measure(torch) if torch is not None else {}
    print(f"{'op (4x4 float32, requires_grad)':34} {'engine us':>10} {'torch us':>10} {'ratio':>7}")
    for name, value in ours.items():
        ref = theirs.get(name)
        ratio = f"{value / ref:7.2f}" if ref else "      -"
        ref_text = f"{ref:10.2f}" if ref else "         -"
        print(f"{name:34} {value:10.2f} {ref_text} {ratio}")


if __name__ == "__main__":
    main()
