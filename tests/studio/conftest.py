"""Graphs several studio test files build the same way."""

import pytest

from studio.graph.model import Graph


@pytest.fixture
def two_input_branches() -> Graph:
    """Inputs a (4) and b (6): proj(a) + b -> sum_out, concat(b, sum) -> cat_out (link order matters)."""
    g = Graph()
    g.add_node("Input", {"shape": (4,)}, node_id="a")
    g.add_node("Input", {"shape": (6,)}, node_id="b")
    g.add_node("Linear", {"in_features": 4, "out_features": 6}, node_id="proj")
    g.add_node("Add", node_id="add")
    g.add_node("Concat", {"dim": 1}, node_id="cat")
    g.add_node("Output", node_id="sum_out")
    g.add_node("Output", node_id="cat_out")
    g.connect("a", "out", "proj", "in")
    g.connect("proj", "out", "add", "in")
    g.connect("b", "out", "add", "in")
    g.connect("b", "out", "cat", "in")
    g.connect("add", "out", "cat", "in")
    g.connect("add", "out", "sum_out", "in")
    g.connect("cat", "out", "cat_out", "in")
    return g
