"""Convolution / pooling speed: engine vs torch (CPU fp32), 1 thread and the default thread count.

Rows: Conv2d 32->64 k3 pad1 on a 32x32x32x32 input (forward, forward+backward), MaxPool2d(2) on the conv
output (forward+backward), and one LeNet-style training step (conv-relu-pool x2, three linear layers, SGD)
on a batch of 64 MNIST-sized images. Targets: conv forward <= 2.0x torch, LeNet step <= 1.5x.
Run: .venv/bin/python bench/conv_bench.py [--repeat N] [--cpu-time] [--mallopt]
  --cpu-time  time with process CPU time instead of wall time (robust on a busy machine; meaningful for the
              1-thread rows only)
  --mallopt   keep freed memory in glibc's heap (no page faults on numpy's large temporaries; torch has its
              own caching allocator), to show what that allocator setting is worth
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time

import numpy as np


def _time(step, repeat: int) -> float:
    for _ in range(2):
        step()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return best


def conv_forward(lib, x: np.ndarray, repeat: int) -> float:
    lib.manual_seed(0)
    conv = lib.nn.Conv2d(32, 64, 3, padding=1)
    xt = lib.tensor(x)

    def step():
        with lib.no_grad():
            conv(xt)

    return _time(step, repeat)


def conv_train(lib, x: np.ndarray, repeat: int) -> float:
    lib.manual_seed(0)
    conv = lib.nn.Conv2d(32, 64, 3, padding=1)
    xt = lib.tensor(x, requires_grad=True)
    g = lib.tensor(np.ones((x.shape[0], 64, *x.shape[2:]), np.float32))

    def step():
        conv(xt).backward(g)

    return _time(step, repeat)


def pool_train(lib, x: np.ndarray, repeat: int) -> float:
    xt = lib.tensor(x, requires_grad=True)
    g = lib.tensor(np.ones((x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2), np.float32))

    def step():
        lib.nn.functional.max_pool2d(xt, 2).backward(g)

    return _time(step, repeat)


def lenet_step(lib, x: np.ndarray, y: np.ndarray, repeat: int) -> float:
    lib.manual_seed(0)
    rng = np.random.default_rng(0)

    def param(*shape):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        arr = (rng.uniform(-1, 1, shape) / np.sqrt(fan_in)).astype(np.float32)
        return lib.tensor(arr, requires_grad=True)

    c1w, c1b = param(6, 1, 5, 5), param(6)
    c2w, c2b = param(16, 6, 5, 5), param(16)
    f1w, f1b = param(120, 400), param(120)
    f2w, f2b = param(84, 120), param(84)
    f3w, f3b = param(10, 84), param(10)
    params = [c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b]
    F = lib.nn.functional
    xt = lib.tensor(x)
    onehot = np.zeros((x.shape[0], 10), np.float32)
    onehot[np.arange(x.shape[0]), y] = 1
    target = lib.tensor(onehot)

    def step():
        h = F.max_pool2d(F.conv2d(xt, c1w, c1b, padding=2).relu(), 2)
        h = F.max_pool2d(F.conv2d(h, c2w, c2b).relu(), 2)
        h = h.flatten(1)
        h = (h @ f1w.t() + f1b).relu()
        h = (h @ f2w.t() + f2b).relu()
        logits = h @ f3w.t() + f3b
        loss = (logits.logsumexp(1) - (logits * target).sum(1)).mean()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    return _time(step, repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--cpu-time", action="store_true")
    parser.add_argument("--mallopt", action="store_true")
    args = parser.parse_args()
    if args.cpu_time:
        time.perf_counter = time.process_time
    if args.mallopt and sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: heap-allocate blocks up to 32 MiB
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
    import torch

    import engine

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 32, 32, 32)).astype(np.float32)
    mnist = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 64)
    rows = [("Conv2d 32->64 k3 fwd", lambda lib: conv_forward(lib, x, args.repeat)),
            ("Conv2d 32->64 k3 fwd+bwd", lambda lib: conv_train(lib, x, args.repeat)),
            ("MaxPool2d(2) fwd+bwd", lambda lib: pool_train(lib, x, args.repeat)),
            ("LeNet step (batch 64)", lambda lib: lenet_step(lib, mnist, labels, args.repeat))]
    default = torch.get_num_threads()
    print(f"{'case':28s} {'threads':>7s} {'engine ms':>10s} {'torch ms':>9s} {'ratio':>6s}")
    for threads in [1] if args.cpu_time else sorted({1, default}):
        torch.set_num_threads(threads)
        engine.set_num_threads(threads)
        for name, fn in rows:
            te, tt = fn(engine), fn(torch)
            print(f"{name:28s} {threads:7d} {te * 1e3:10.2f} {tt * 1e3:9.2f} {te / tt:6.2f}")


if __name__ == "__main__":
    main()
