"""Layered auto-layout (Qt-free math): columns by longest path from the sources, rows ordered by the
average row of each node's inputs (one barycenter sweep keeps most wires from crossing)."""

from __future__ import annotations

from collections.abc import Callable

from studio.graph.model import Graph


def layer_depths(graph: Graph) -> dict[str, int]:
    """Each node's column: 0 for nodes without inputs, else one more than its deepest input."""
    depth: dict[str, int] = {}
    incoming: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for link in graph.links:
        incoming[link.dst].append(link.src)
    for node_id in graph.topological_order():
        depth[node_id] = max((depth[s] + 1 for s in incoming[node_id]), default=0)
    return depth


def layered_positions(graph: Graph, size: Callable[[str], tuple[float, float]], *,
                      origin: tuple[float, float] = (0.0, 0.0), gap_x: float = 110.0,
                      gap_y: float = 40.0) -> dict[str, tuple[float, float]]:
    """Top-left positions: columns left to right by depth, each column centred on the tallest one."""
    if not graph.nodes:
        return {}
    depth = layer_depths(graph)
    incoming: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for link in graph.links:
        incoming[link.dst].append(link.src)
    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:  # graph order breaks ties, so the layout is stable
        columns.setdefault(depth[node_id], []).append(node_id)
    row: dict[str, float] = {}
    for d in sorted(columns):
        members = columns[d]
        for i, node_id in enumerate(members):
            sources = [row[s] for s in incoming[node_id] if s in row]
            row[node_id] = sum(sources) / len(sources) if sources else float(i)
        members.sort(key=lambda n: row[n])
        for i, node_id in enumerate(members):
            row[node_id] = float(i)
    widths = {d: max(size(n)[0] for n in members) for d, members in columns.items()}
    heights = {d: sum(size(n)[1] for n in members) + gap_y * (len(members) - 1)
               for d, members in columns.items()}
    tallest = max(heights.values())
    positions: dict[str, tuple[float, float]] = {}
    x = origin[0]
    for d in sorted(columns):
        y = origin[1] + (tallest - heights[d]) / 2
        for node_id in columns[d]:
            positions[node_id] = (x, y)
            y += size(node_id)[1] + gap_y
        x += widths[d] + gap_x
    return positions
