"""What capture costs during training: mean step time with capture off vs on (target: < 5 % at the default
interval), and what one capture step costs on its own.

The model is a small CNN on the built-in "shapes" images (1×28×28): Conv(8) -> ReLU -> MaxPool ->
Conv(16) -> ReLU -> MaxPool -> Flatten -> Linear(64) -> ReLU -> Linear(3), CrossEntropy, batch 64. Step
times come from the trainer's on_batch timestamps (data loading and the optimizer included). The first
figure is robust to machine load: one run captures every other step, and the median capture step minus
the median plain step, spread over `--every` steps, is the amortized overhead. The second compares
whole runs with capture off and on (alternating; their medians), which a busy machine makes noisy.

    python bench/capture_overhead.py [--steps 200] [--every 50] [--repeats 3] [--device auto] [--threads N]

On a machine busy with other work, BLAS threads that wait for each other can make single steps 30x
slower (seen: 13 ms -> 450 ms with 2 threads on 2 busy cores, capture on or off); --threads 1 avoids it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import engine
from studio.graph.model import Graph
from studio.graph.project import DEFAULT_SETTINGS, Project
from studio.training.datasets import open_dataset
from studio.training.trainer import Trainer


def cnn() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (1, 28, 28)}, node_id="x")
    g.add_node("Conv2d", {"in_channels": 1, "out_channels": 8, "padding": 1}, node_id="conv1")
    g.add_node("ReLU", node_id="act1")
    g.add_node("MaxPool2d", node_id="pool1")
    g.add_node("Conv2d", {"in_channels": 8, "out_channels": 16, "padding": 1}, node_id="conv2")
    g.add_node("ReLU", node_id="act2")
    g.add_node("MaxPool2d", node_id="pool2")
    g.add_node("Flatten", node_id="flat")
    g.add_node("Linear", {"in_features": 16 * 7 * 7, "out_features": 64}, node_id="fc1")
    g.add_node("ReLU", node_id="act3")
    g.add_node("Linear", {"in_features": 64, "out_features": 3}, node_id="fc2")
    g.add_node("Output", node_id="out")
    chain = ["x", "conv1", "act1", "pool1", "conv2", "act2", "pool2", "flat", "fc1", "act3", "fc2", "out"]
    for src, dst in zip(chain, chain[1:]):
        g.connect(src, "out", dst, "in")
    g.add_node("Target", {"shape": ()}, node_id="y")
    g.add_node("CrossEntropy", node_id="ce")
    g.connect("fc2", "out", "ce", "input")
    g.connect("y", "out", "ce", "target")
    return g


class Clock:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.captured: list[int] = []

    def on_batch(self, info) -> None:
        self.times.append(time.perf_counter())

    def on_capture(self, info) -> None:
        self.captured.append(info.step)


def run(data, steps: int, capture: dict, device: str) -> Clock:
    samples = len(data.train)
    epochs = max(1, -(-steps * 64 // samples))
    project = Project(graph=cnn(), settings={"epochs": epochs, "batch_size": 64, "device": device,
                                             "capture": capture, "metrics": []})
    clock = Clock()
    trainer = Trainer(project, callbacks=clock, data=data)
    trainer.run()
    return clock


def step_times(clock: Clock, steps: int) -> list[float]:
    """Step durations (gap to the previous on_batch), the first step's warm-up left out."""
    return [b - a for a, b in zip(clock.times, clock.times[1:])][:steps - 1]


def interleaved(data, steps: int, device: str) -> tuple[float, float]:
    """Median plain step and median capture step from ONE run capturing every other step: both see the
    same machine load, so their difference is the capture's own cost even on a busy machine."""
    clock = run(data, steps, {"enabled": True, "every_n_steps": 2, "nodes": ["conv1", "act2"]}, device)
    deltas = step_times(clock, steps)  # deltas[i] is the duration of step i + 2
    captured = set(clock.captured)
    plain = [d for i, d in enumerate(deltas) if i + 2 not in captured]
    capturing = [d for i, d in enumerate(deltas) if i + 2 in captured]
    return statistics.median(plain), statistics.median(capturing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--every", type=int, default=DEFAULT_SETTINGS["capture"]["every_n_steps"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="engine.set_num_threads (default: as is)")
    args = parser.parse_args()
    if args.threads:
        engine.set_num_threads(args.threads)
    data = open_dataset({"name": "shapes", "options": {"count": 2000}})
    run(data, 20, {"enabled": False}, args.device)  # warm-up: allocator, BLAS threads

    plain, capturing = interleaved(data, args.steps, args.device)
    extra = capturing - plain
    print(f"device {args.device}, {engine.get_num_threads()} threads; small CNN on shapes, batch 64; "
          f"{args.steps} steps per run")
    print(f"{'plain step (median)':<40}{plain * 1e3:9.2f} ms")
    print(f"{'capture step (median)':<40}{capturing * 1e3:9.2f} ms")
    print(f"{'overhead at every_n_steps=' + str(args.every) + ' (amortized)':<40}"
          f"{extra / (args.every * plain) * 100:9.2f} %")

    means: dict[str, list[float]] = {"off": [], "on": []}
    on = {"enabled": True, "every_n_steps": args.every, "nodes": ["conv1", "act2"]}
    for _ in range(args.repeats):
        for label, capture in (("off", {"enabled": False}), ("on", on)):
            means[label].append(statistics.median(step_times(run(data, args.steps, capture, args.device),
                                                             args.steps)))
    off, with_capture = statistics.median(means["off"]), statistics.median(means["on"])
    print(f"{'median step, whole run, capture off':<40}{off * 1e3:9.2f} ms")
    print(f"{'median step, whole run, capture on':<40}{with_capture * 1e3:9.2f} ms")
    print(f"{'difference (noisy on a busy machine)':<40}{(with_capture / off - 1) * 100:9.2f} %")


if __name__ == "__main__":
    main()
