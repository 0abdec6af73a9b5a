"""Engine vs torch wall time on small training / layer workloads, both measured in this one process.

Both libraries run with the same intra-op thread count (set on each with set_num_threads); the table is
printed for 1 thread and for torch's default count. Times are the median of several timed repetitions
after a warm-up. Run: .venv/bin/python bench/engine_vs_torch.py [--threads 1,2] [--repeats 7] [--case mlp]
(torch required.) Add --profile to print a cProfile summary of the engine side of every case over target.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time
from collections.abc import Callable

import numpy as np

import engine

try:
    import torch
except ImportError:  # pragma: no cover - the comparison needs torch
    torch = None


def _data(lib, shape: tuple[int, ...], seed: int = 0, classes: int = 0):
    rng = np.random.default_rng(seed)
    if classes:
        return lib.tensor(rng.integers(0, classes, size=shape).astype(np.int64))
    return lib.tensor(rng.standard_normal(shape).astype(np.float32))


def mlp_sgd(lib) -> Callable[[], None]:
    """(a) MLP 784-256-10, batch 128: forward, CrossEntropyLoss, backward, SGD step, zero_grad."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = _data(lib, (128, 784)), _data(lib, (128,), classes=10)

    def step() -> None:
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return step


def lenet_adam(lib) -> Callable[[], None]:
    """(b) LeNet-style CNN on 1x28x28, batch 64, Adam step (28 -c5-> 24 -p2-> 12 -c5-> 8 -p2-> 4)."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 10),
    )
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = _data(lib, (64, 1, 28, 28)), _data(lib, (64,), classes=10)

    def step() -> None:
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return step


def conv_forward(lib) -> Callable[[], None]:
    """(c) Conv2d(32, 64, 3, padding=1) forward on (32, 32, 32, 32), no grad."""
    conv = lib.nn.Conv2d(32, 64, 3, padding=1)
    x = _data(lib, (32, 32, 32, 32))

    def step() -> None:
        with lib.no_grad():
            conv(x)
    return step


def mha_fwd_bwd(lib) -> Callable[[], None]:
    """(d) MultiheadAttention(64, 4 heads), seq 64, batch 16 (seq-first): forward + backward."""
    mha = lib.nn.MultiheadAttention(embed_dim=64, num_heads=4)
    x = _data(lib, (64, 16, 64))

    def step() -> None:
        out, _ = mha(x, x, x)
        out.sum().backward()
        mha.zero_grad()
    return step


CASES = {
    "mlp": ("(a) MLP 784-256-10 b128 SGD step", mlp_sgd, 1.0),
    "lenet": ("(b) LeNet CNN b64 Adam step", lenet_adam, 1.5),
    "conv": ("(c) Conv2d 32->64 k3 fwd (32,32,32,32)", conv_forward, 2.0),
    "mha": ("(d) MHA e64 h4 s64 b16 fwd+bwd", mha_fwd_bwd, 1.5),
}


def _median_ms(step: Callable[[], None], repeats: int, min_time: float = 0.2) -> float:
    for _ in range(2):  # warm-up (first calls allocate, pick kernels, fill caches)
        step()
    start = time.perf_counter()
    step()
    once = time.perf_counter() - start
    number = max(1, int(min_time / max(once, 1e-6)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples) * 1e3


def _set_threads(n: int) -> None:
    torch.set_num_threads(n)
    engine.set_num_threads(n)


def _profile(step: Callable[[], None], top: int = 18) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        step()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("tottime")
    total = sum(v[2] for v in stats.stats.values()) or 1.0
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    lines = [f"    {'tottime%':>8} {'cumtime%':>8}  function"]
    for (path, line, name), (_cc, _nc, tt, ct, _callers) in rows:
        short = "/".join(path.split("/")[-3:])
        lines.append(f"    {100 * tt / total:7.1f}% {100 * ct / total:7.1f}%  {name} ({short}:{line})")
    return "\n".join(lines)


def run(threads: list[int], repeats: int, names: list[str], profile: bool) -> list[tuple]:
    rows = []
    for n in threads:
        _set_threads(n)
        print(f"\nthreads = {n} (torch {torch.get_num_threads()}, engine {engine.get_num_threads()})")
        print(f"{'case':<40} {'engine ms':>10} {'torch ms':>10} {'ratio':>7} {'target':>7}  ok/over")
        for name in names:
            label, factory, target = CASES[name]
            engine.manual_seed(0)
            torch.manual_seed(0)
            e_ms = _median_ms(factory(engine), repeats)
            t_ms = _median_ms(factory(torch), repeats)
            ratio = e_ms / t_ms
            verdict = "ok" if ratio <= target else "over"
            rows.append((n, name, e_ms, t_ms, ratio, target, verdict))
            print(f"{label:<40} {e_ms:10.2f} {t_ms:10.2f} {ratio:6.2f}x {target:6.1f}x  {verdict}",
                  flush=True)
            if profile and verdict == "over":
                print(f"  cProfile of the engine side ({name}, 10 steps, by own time):")
                print(_profile(factory(engine)))
    return rows


def main(argv: list[str] | None = None) -> None:
    if torch is None:
        raise SystemExit("bench/engine_vs_torch.py needs torch (make parity installs it)")
    default = torch.get_num_threads()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default=f"1,{default}", help="comma-separated thread counts")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--profile", action="store_true", help="cProfile the engine side of slow cases")
    args = parser.parse_args(argv)
    threads = list(dict.fromkeys(int(t) for t in args.threads.split(",")))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"engine vs torch {torch.__version__}; torch default threads = {default}; median of {args.repeats};"
          f" cpus {os.cpu_count()}, load average {load} (other load skews multi-thread numbers)")
    run(threads, args.repeats, args.case or list(CASES), args.profile)


if __name__ == "__main__":
    main()
