"""Graph.links keeps a per-node index; every query must agree with a plain scan of the list."""

from __future__ import annotations

import copy
import random

import pytest

from studio.graph.errors import CycleError, DuplicateLinkError, PortOccupiedError
from studio.graph.inference import Inference
from studio.graph.model import Graph, Link, LinkList


def _check(graph: Graph) -> None:
    links = list(graph.links)
    for node_id in graph.nodes:
        assert graph.links_into(node_id) == [l for l in links if l.dst == node_id]
        assert graph.links_from(node_id) == [l for l in links if l.src == node_id]
        assert graph.successors(node_id) == list(dict.fromkeys(l.dst for l in links if l.src == node_id))


def _chain(n: int) -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (8,)}, node_id="n0")
    for i in range(1, n):
        g.add_node("Linear", {"in_features": 8, "out_features": 8}, node_id=f"n{i}")
        g.connect(f"n{i - 1}", "out", f"n{i}", "in")
    return g


def test_index_follows_every_kind_of_list_change() -> None:
    g = _chain(6)
    g.add_node("Add", node_id="add")
    g.connect("n1", "out", "add", "in")
    g.connect("n3", "out", "add", "in")
    _check(g)
    removed = g.links.pop(2)
    _check(g)
    g.links.insert(2, removed)
    _check(g)
    index = g.disconnect(Link("n1", "out", "add", "in"))
    _check(g)
    g.links.insert(index, Link("n1", "out", "add", "in"))
    assert g.links_into("add") == [Link("n1", "out", "add", "in"), Link("n3", "out", "add", "in")]
    saved = list(g.links)
    g.links[:] = saved[:3]
    _check(g)
    g.links.extend(saved[3:])
    _check(g)
    del g.links[1:3]
    _check(g)
    g.links += saved[1:3]
    _check(g)
    g.links.reverse()
    _check(g)
    g.links.clear()
    _check(g)
    g.links = saved  # a plain list assigned: indexed too
    assert isinstance(g.links, LinkList)
    _check(g)


def test_copies_keep_a_correct_index() -> None:
    g = _chain(4)
    _check(g)
    clone = copy.deepcopy(g.links)
    assert clone == g.links and isinstance(clone, LinkList)
    assert [l for l in clone.index_into()["n1"]] == [Link("n0", "out", "n1", "in")]
    other = Graph(nodes=dict(g.nodes), links=list(g.links))
    _check(other)


def test_cycle_check_and_occupied_port_use_the_index() -> None:
    g = _chain(5)
    with pytest.raises(PortOccupiedError):
        g.check_connect("n0", "out", "n3", "in")
    g.disconnect(Link("n0", "out", "n1", "in"))
    with pytest.raises(CycleError):
        g.check_connect("n4", "out", "n1", "in")
    g.disconnect(Link("n2", "out", "n3", "in"))
    g.check_connect("n0", "out", "n3", "in")  # the port is free again
    with pytest.raises(DuplicateLinkError):
        g.check_connect("n3", "out", "n4", "in")


def test_partial_order_is_valid_and_full_order_unchanged() -> None:
    rng = random.Random(3)
    g = Graph()
    g.add_node("Input", {"shape": (4,)}, node_id="i0")
    for k in range(40):
        g.add_node("Add", node_id=f"a{k}")
        for src in rng.sample(list(g.nodes)[:-1], min(2, len(g.nodes) - 1)):
            g.connect(src, "out", f"a{k}", "in")
    order = g.topological_order()
    position = {n: i for i, n in enumerate(order)}
    assert all(position[l.src] < position[l.dst] for l in g.links)
    among = g.downstream({"a20"})
    part = g.topological_order(among=among)
    assert set(part) == among
    where = {n: i for i, n in enumerate(part)}
    assert all(where[l.src] < where[l.dst] for l in g.links if l.src in among)


def test_incremental_inference_matches_a_fresh_one() -> None:
    g = _chain(30)
    inference = Inference(g)
    inference.infer()
    g.set_param("n10", "out_features", 5)  # n11 breaks: in_features 8
    inference.infer()
    g.disconnect(Link("n20", "out", "n21", "in"))
    g.add_node("ReLU", node_id="r")
    g.connect("n5", "out", "r", "in")
    inference.infer()
    fresh = Inference(g, attach=False)
    fresh.infer()
    assert inference.infos == fresh.infos
    assert inference.infos["n11"].status == "error"
