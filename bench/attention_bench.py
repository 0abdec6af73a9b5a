"""MultiheadAttention forward+backward: engine vs torch (d_model=64, 4 heads, seq 64, batch 16, CPU fp32).

Engine and torch steps are interleaved and the best of many runs is kept, so load from other processes
on the machine biases neither side. Run: .venv/bin/python bench/attention_bench.py [--threads N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def make_step(lib, x: np.ndarray, need_weights: bool, batch_first: bool):
    lib.manual_seed(0)
    mha = lib.nn.MultiheadAttention(64, 4, batch_first=batch_first)
    xt = lib.tensor(x if batch_first else x.transpose(1, 0, 2).copy(), requires_grad=True)
    g = lib.tensor(np.ones(tuple(xt.shape), np.float32))

    def step():
        out, _ = mha(xt, xt, xt, need_weights=need_weights)
        out.backward(g)

    return step


def compare(steps, repeat: int) -> list[float]:
    for step in steps:
        for _ in range(3):
            step()
    best = [float("inf")] * len(steps)
    for _ in range(repeat):
        for i, step in enumerate(steps):
            t0 = time.perf_counter()
            step()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    import torch

    import engine

    if args.threads:
        torch.set_num_threads(args.threads)
        engine.set_num_threads(args.threads)
    x = np.random.default_rng(0).standard_normal((16, 64, 64)).astype(np.float32)
    for batch_first in (True, False):
        for need_weights in (True, False):
            steps = [make_step(lib, x, need_weights, batch_first) for lib in (engine, torch)]
            te, tt = compare(steps, args.repeat)
            print(f"batch_first={batch_first!s:5} need_weights={need_weights!s:5}  "
                  f"engine {te * 1e3:7.3f} ms  torch {tt * 1e3:7.3f} ms  ratio {te / tt:5.2f}x")


if __name__ == "__main__":
    main()
