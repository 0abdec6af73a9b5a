"""Live inference on a 500-node graph: full inference and single-edit re-inference (targets: full < 200 ms,
one edit < 50 ms).

The graph is a residual MLP: Input -> 166 × (Linear -> ReLU -> Add(with the unit's input)) -> Output.

    python bench/graph_inference.py [--units 166] [--repeats 21]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from studio.graph.compile import compile_graph
from studio.graph.inference import Inference
from studio.graph.model import Graph


def build(units: int, width: int = 64) -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (width,)}, node_id="x")
    previous = "x"
    for i in range(units):
        g.add_node("Linear", {"in_features": width, "out_features": width}, node_id=f"fc{i}")
        g.add_node("ReLU", node_id=f"act{i}")
        g.add_node("Add", node_id=f"add{i}")
        g.connect(previous, "out", f"fc{i}", "in")
        g.connect(f"fc{i}", "out", f"act{i}", "in")
        g.connect(f"act{i}", "out", f"add{i}", "in")
        g.connect(previous, "out", f"add{i}", "in")
        previous = f"add{i}"
    g.add_node("Output", node_id="out")
    g.connect(previous, "out", "out", "in")
    return g


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=166)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    repeats = args.repeats

    build(1)  # loads the layer registry
    start = time.perf_counter()
    graph = build(args.units)
    build_ms = (time.perf_counter() - start) * 1e3
    live = Inference(graph)
    live.infer()
    rows: list[tuple[str, float, str]] = [(f"build graph ({len(graph)} nodes, {len(graph.links)} links)",
                                           build_ms, "")]

    rows.append(("full inference", median_ms(lambda: Inference(graph, attach=False).infer(), repeats),
                 "< 200"))

    def edit(node: str, name: str, values: tuple) -> Callable[[], object]:
        state = {"i": 0}

        def run() -> object:
            state["i"] += 1
            graph.set_param(node, name, values[state["i"] % len(values)])
            return live.infer()

        return run

    rows.append(("edit: bias of the first Linear (outputs unchanged)",
                 median_ms(edit("fc0", "bias", (False, True)), repeats), "< 50"))
    rows.append(("edit: width of the first Linear (error/recovery ripples to the end)",
                 median_ms(edit("fc0", "out_features", (65, 64)), repeats), "< 50"))
    last = f"fc{args.units - 1}"
    rows.append(("edit: bias of the last Linear",
                 median_ms(edit(last, "bias", (False, True)), repeats), "< 50"))
    graph.move_node("fc0", (0, 0))
    rows.append(("move a node + infer", median_ms(lambda: (graph.move_node("fc0", (time.time(), 0)),
                                                           live.infer()), repeats), ""))
    rows.append(("totals()", median_ms(live.totals, repeats), ""))
    rows.append(("compile to a GraphModule", median_ms(lambda: compile_graph(graph, inference=live),
                                                       max(3, repeats // 4)), ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'median ms':>10}  target ms")
    for name, ms, target in rows:
        print(f"{name:<{width}}  {ms:>10.2f}  {target}")


if __name__ == "__main__":
    main()
