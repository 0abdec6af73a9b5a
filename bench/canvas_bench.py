"""The canvas on a 500-node graph (target: build + connect + full repaint < 1 s).

Measures, on a chain Input -> (Linear -> ReLU)* of N nodes (N-1 links):
  edit    - N AddNode + N-1 Connect through Document.execute with the scene and view live (each is an
            undo step with live inference, like a user building it),
  load    - Document.replace_project with a ready graph: the scene rebuilds every item,
  repaint - view.viewport().grab() zoomed to fit (level of detail: boxes only), with every text forced
            on at that zoom, and at 100 % zoom.

    QT_QPA_PLATFORM=offscreen python bench/canvas_bench.py [--nodes 500]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.graph.commands import AddNode, Connect  # noqa: E402
from studio.graph.model import Graph  # noqa: E402
from studio.graph.project import Project  # noqa: E402
from studio.qt.canvas import GraphScene, GraphView, link_item, node_item  # noqa: E402
from studio.qt.document import Document  # noqa: E402

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
    print(f"load + full repaint (all texts):                  {t_load + t_detail:8.1f} ms  (target < 1000)")
    print(f"edit + full repaint (all texts):                  {t_edit + t_detail:8.1f} ms  (target < 1000)")


if __name__ == "__main__":
    main()
