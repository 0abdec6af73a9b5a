"""The canvas on a 500-node graph (target: build + connect + full repaint < 1 s).

Measures, on a chain Input -> (Linear -> ReLU)* of N nodes (N-1 links):
  edit    - N AddNode + N-1 Connect through Document.execute with the scene and view live (each is an
            undo step with live inference, like a user building it),
  load    - Document.replace_project with a ready graph: the scene rebuilds every item,
  repaint - view.viewport().grab() zoomed to fit (level of detail: boxes only), with every text forced
            on at that zoom, and at 100 % zoom,
  health  - GraphScene.set_health plus the repaint it causes, zoomed to fit, for training captures of
            every node whose gradient norms jitter by ~20 % (lognormal) from one capture to the next
            (median over 30 captures; target well under 50 ms: captures arrive up to 10 times a second).

    QT_QPA_PLATFORM=offscreen python bench/canvas_bench.py [--nodes 500]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.graph.commands import AddNode, Connect  # noqa: E402
from studio.graph.model import Graph  # noqa: E402
from studio.graph.project import Project  # noqa: E402
from studio.qt.canvas import GraphScene, GraphView, link_item, node_item  # noqa: E402
from studio.qt.document import Document  # noqa: E402
from studio.training.callbacks import CaptureInfo  # noqa: E402
from studio.training.health import node_health  # noqa: E402

WIDTH = 64


def layer(i: int) -> tuple[str, dict]:
    if i == 0:
        return "Input", {"shape": (WIDTH,)}
    return ("Linear", {"in_features": WIDTH, "out_features": WIDTH}) if i % 2 else ("ReLU", {})


def position(i: int) -> tuple[float, float]:
    return (i % 25) * 240.0, (i // 25) * 160.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def health_captures(n: int, count: int) -> list:
    """node_health of `count` captures of the chain: every node's output, every Linear's gradients."""
    rng = random.Random(0)
    stats = {"mean": 0.2, "std": 0.5, "min": 0.0, "max": 2.0, "zeros": 0.5}
    captures = []
    for step in range(1, count + 1):
        grads = {f"n{i}.{p}": 0.02 * math.exp(rng.gauss(0.0, 0.2)) for i in range(1, n, 2)
                 for p in ("weight", "bias")}
        captures.append(node_health(CaptureInfo(step * 20, {f"n{i}": stats for i in range(1, n)}, grads, {})))
    return captures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    n = parser.parse_args().nodes
    app = QApplication.instance() or QApplication([])
    doc = Document()
    view = GraphView(GraphScene(doc))
    view.resize(1600, 1000)
    view.show()
    app.processEvents()

    ids: list[str] = []

    def edit() -> None:
        for i in range(n):
            layer_type, params = layer(i)
            command = AddNode(layer_type, params, position=position(i))
            doc.execute(command)
            ids.append(command.node_id)
        for a, b in zip(ids, ids[1:]):
            doc.execute(Connect(a, "out", b, "in"))

    t_edit = timed(edit)
    scene = view.graph_scene()
    assert len(scene.nodes) == n and len(scene.links) == n - 1

    graph = Graph()
    for i in range(n):
        layer_type, params = layer(i)
        graph.add_node(layer_type, params, position=position(i), node_id=f"n{i}")
    for i in range(n - 1):
        graph.connect(f"n{i}", "out", f"n{i + 1}", "in")
    t_load = timed(lambda: doc.replace_project(Project(graph=graph)))
    assert len(scene.nodes) == n and len(scene.links) == n - 1

    view.fit_to_view()
    fit_scale = view.transform().m11()
    app.processEvents()
    t_fit = timed(lambda: view.viewport().grab())
    node_lod, link_lod = node_item.DETAIL_LOD, link_item.DETAIL_LOD
    node_item.DETAIL_LOD = link_item.DETAIL_LOD = 0.0
    t_detail = timed(lambda: view.viewport().grab())
    node_item.DETAIL_LOD, link_item.DETAIL_LOD = node_lod, link_lod
    captures = health_captures(n, 31)
    scene.set_health(captures[0])
    app.processEvents()

    def show_capture(health) -> float:
        return timed(lambda: (scene.set_health(health), app.processEvents()))

    t_health = statistics.median(show_capture(health) for health in captures[1:])
    view.resetTransform()
    view.centerOn(scene.node_item("n0"))
    app.processEvents()
    t_full = timed(lambda: view.viewport().grab())

    print(f"{n} nodes, {n - 1} links, viewport 1600x1000, fit-to-view scale {fit_scale:.2f}")
    print(f"edit   (AddNode + Connect via Document.execute): {t_edit:8.1f} ms")
    print(f"load   (replace_project, scene rebuild):           {t_load:8.1f} ms")
    print(f"repaint fit-to-view, level of detail:             {t_fit:8.1f} ms")
    print(f"repaint fit-to-view, all texts forced:            {t_detail:8.1f} ms")
    print(f"repaint 100 % zoom:                                {t_full:8.1f} ms")
    print(f"set_health + repaint per capture (fit-to-view):   {t_health:8.1f} ms  (median)")
    print(f"load + full repaint (all texts):                  {t_load + t_detail:8.1f} ms  (target < 1000)")
    print(f"edit + full repaint (all texts):                  {t_edit + t_detail:8.1f} ms  (target < 1000)")


if __name__ == "__main__":
    main()
