"""What most training tests train: a tiny two-layer classifier on the built-in two-moons data, so that a
whole run takes a fraction of a second."""

from collections.abc import Callable
from typing import Any

import pytest

from studio.graph.model import Graph
from studio.training.datasets import open_dataset


def _classifier(hidden: int = 8, dropout: float | None = None) -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (2,)}, node_id="x")
    g.add_node("Linear", {"in_features": 2, "out_features": hidden}, node_id="fc1")
    g.add_node("ReLU", node_id="act")
    chain = ["x", "fc1", "act"]
    if dropout is not None:
        g.add_node("Dropout", {"p": dropout}, node_id="drop")
        chain.append("drop")
    g.add_node("Linear", {"in_features": hidden, "out_features": 2}, node_id="fc2")
    g.add_node("Output", node_id="out")
    chain += ["fc2", "out"]
    for src, dst in zip(chain, chain[1:]):
        g.connect(src, "out", dst, "in")
    g.add_node("Target", {"shape": ()}, node_id="y")
    g.add_node("CrossEntropy", node_id="ce")
    g.connect("fc2", "out", "ce", "input")
    g.connect("y", "out", "ce", "target")
    return g


def _moons(count: int = 100, seed: int | None = None) -> Any:
    spec: dict[str, Any] = {"name": "moons", "options": {"count": count}}
    if seed is not None:
        spec["seed"] = seed
    return open_dataset(spec)


@pytest.fixture
def tiny_classifier() -> Callable[..., Graph]:
    """tiny_classifier(hidden=8, dropout=None) -> a new Graph: x (2 features) -> fc1 -> act (ReLU)
    [-> drop (Dropout)] -> fc2 (2 classes) -> out, and a CrossEntropy `ce` of fc2 against the Target y."""
    return _classifier


@pytest.fixture
def moons() -> Callable[..., Any]:
    """moons(count=100, seed=None) -> the built-in two-moons dataset (80 % of the samples train)."""
    return _moons
