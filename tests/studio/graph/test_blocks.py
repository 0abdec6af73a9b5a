"""Blocks: grouping a selection into a reusable sub-graph, ungrouping it back exactly, expanding repeats
for compile, and the user's block library."""

from __future__ import annotations

import pytest

from studio.graph import blocks
from studio.graph.blocks import (
    Block,
    BlockLibrary,
    block_caption,
    expand_blocks,
    expanded_source,
    group_into_block,
    install_blocks,
    place_nodes,
    ungroup,
    user_block_dir,
)
from studio.graph.errors import CycleError, GraphError, ProjectFormatError
from studio.graph.model import Graph
from studio.graph.project import Project
from studio.graph.serialize import dumps, graph_to_dict


def chain(*types: str) -> Graph:
    """Input -> types... -> Output, linked through "out"/"in", at increasing x."""
    g = Graph()
    ids = [g.add_node("Input", {"shape": (8,)}, position=(0.0, 0.0)).id]
    for i, layer in enumerate(types, 1):
        params = {"in_features": 8, "out_features": 8} if layer == "Linear" else {}
        ids.append(g.add_node(layer, params, position=(100.0 * i, 10.0 * i)).id)
    ids.append(g.add_node("Output", position=(100.0 * (len(types) + 1), 0.0)).id)
    for a, b in zip(ids, ids[1:]):
        g.connect(a, "out", b, "in")
    return g


def residual(x_first: bool = False) -> Graph:
    """x -> linear1 -> relu1 -> concat1(relu1, x) -> output: a variadic port fed from inside and outside
    (concat1(x, relu1) with x_first)."""
    g = Graph()
    g.add_node("Input", {"shape": (8,)})
    g.add_node("Linear", {"in_features": 8, "out_features": 8}, position=(100.0, 0.0))
    g.add_node("ReLU", position=(200.0, 0.0))
    g.add_node("Concat", {"dim": 1}, position=(300.0, 50.0))
    g.add_node("Output", position=(400.0, 0.0))
    into_concat = [("relu1", "concat1"), ("input1", "concat1")]
    into_concat = into_concat[::-1] if x_first else into_concat
    for src, dst in [("input1", "linear1"), ("linear1", "relu1"), *into_concat, ("concat1", "output1")]:
        g.connect(src, "out", dst, "in")
    return g


def text(graph: Graph) -> str:
    return Project(graph, created="t").to_json()


def test_group_replaces_selection_by_one_block_node_with_boundary_ports():
    g = chain("Linear", "ReLU", "Linear")
    block, node = group_into_block(g, ["linear1", "relu1"], "Encoder")
    assert list(g.nodes) == ["input1", "encoder1", "linear2", "output1"]  # in the selection's place
    assert node.params == {"block": "Encoder", "repeat": 1}
    assert [p.name for p in g.input_ports(node)] == ["in"]
    assert [p.name for p in g.output_ports(node)] == ["out"]
    assert block.input_map == {"in": [("linear1", "in")]} and block.output_map == {"out": ("relu1", "out")}
    assert [str(l) for l in g.links] == ["input1.out -> encoder1.in", "encoder1.out -> linear2.in",
                                         "linear2.out -> output1.in"]
    assert [str(l) for l in block.graph.links] == ["linear1.out -> relu1.in"]
    assert node.position == (150.0, 15.0)  # centre of the grouped nodes
    assert g.blocks["Encoder"] is block and block_caption(node) == "Encoder"


def test_group_then_ungroup_restores_the_exact_graph_json():
    for graph_fn, selection in ((lambda: chain("Linear", "ReLU", "Linear"), ["linear1", "relu1"]),
                                (residual, ["linear1", "relu1", "concat1"]),
                                (lambda: residual(x_first=True), ["linear1", "relu1", "concat1"])):
        g = graph_fn()
        before = dumps(graph_to_dict(g))
        _, node = group_into_block(g, selection, "B")
        assert dumps(graph_to_dict(g)) != before
        assert ungroup(g, node.id) == selection
        assert dumps(graph_to_dict(g)) == before


def test_ungroup_of_a_scattered_selection_gives_an_equivalent_graph():
    g = residual()
    g.add_node("Identity", node_id="middle")  # between the selected nodes in graph order
    order = ["input1", "linear1", "middle", "relu1", "concat1", "output1"]
    place_nodes(g, ["middle"], 2)
    assert list(g.nodes) == order
    links = list(g.links)
    _, node = group_into_block(g, ["linear1", "relu1", "concat1"], "B")
    ungroup(g, node.id)
    assert set(g.nodes) == set(order) and set(g.links) == set(links)
    assert g.links_into("concat1") == [l for l in links if l.dst == "concat1"]


def test_ports_are_deduplicated_and_one_outside_source_feeding_two_inner_ports_is_one_port():
    g = residual()
    block, node = group_into_block(g, ["linear1", "relu1", "concat1"], "Res")
    assert block.input_map == {"in": [("linear1", "in"), ("concat1", "in")]}
    assert block.order == {"concat1.in": ["relu1.out", "@in"]}  # Concat's order survives the boundary
    g2 = chain("Linear", "ReLU")
    g2.add_node("Input", {"shape": (8,)}, node_id="other")
    g2.add_node("Add", node_id="add1")
    g2.connect("relu1", "out", "add1", "in")
    g2.connect("other", "out", "add1", "in")
    block2, _ = group_into_block(g2, ["linear1", "relu1", "add1"], "Two")
    assert [p.name for p in block2.inputs] == ["in", "in_2"]
    assert block2.output_map == {"out": ("relu1", "out")}  # add1's output is not read outside
    assert block2.order == {"add1.in": ["relu1.out", "@in_2"]}


def test_expand_repeat_three_chains_copies_with_prefixed_ids():
    g = chain("Linear", "ReLU")
    _, node = group_into_block(g, ["linear1", "relu1"], "Encoder")
    g.set_param(node.id, "repeat", 3)
    assert block_caption(node) == "Encoder × 3"
    plain = expand_blocks(g)
    assert "Block" not in {n.type for n in plain}
    assert len(plain) == 2 + 3 * 2
    links = {str(l) for l in plain.links}
    assert len(plain.links) == 3 + 2 + 2  # 3 inner, 2 between copies, 2 to the outside
    assert "input1.out -> encoder1__0__linear1.in" in links
    assert "encoder1__0__relu1.out -> encoder1__1__linear1.in" in links
    assert "encoder1__1__relu1.out -> encoder1__2__linear1.in" in links
    assert "encoder1__2__relu1.out -> output1.in" in links
    assert expanded_source(g, node.id, "out") == ("encoder1__2__relu1", "out")
    plain.topological_order()


def test_expand_keeps_concat_input_order_and_nests():
    g = residual()
    _, inner_node = group_into_block(g, ["linear1", "relu1", "concat1"], "Res")
    _, outer_node = group_into_block(g, [inner_node.id], "Outer")
    plain = expand_blocks(g)
    prefix = f"{outer_node.id}__0__{inner_node.id}__0__"
    into_concat = [l.src for l in plain.links if l.dst == prefix + "concat1"]
    assert into_concat == [prefix + "relu1", "input1"]
    assert len(plain) == 5


def test_repeat_needs_matching_ports():
    g = residual()
    g.add_node("Input", {"shape": (8,)}, node_id="y")
    g.disconnect(g.links_into("concat1")[1])
    g.connect("y", "out", "concat1", "in")
    _, node = group_into_block(g, ["linear1", "relu1", "concat1"], "TwoIn")
    g.set_param(node.id, "repeat", 2)
    with pytest.raises(GraphError, match="Block 'TwoIn' can repeat only if its outputs match its inputs"):
        expand_blocks(g)


@pytest.mark.parametrize("selection, error, match", [
    ([], GraphError, "select the nodes"),
    (["input1", "linear1"], GraphError, "can't go inside a block"),
    (["nope"], GraphError, "no node 'nope'"),
    (["linear1", "linear2"], CycleError, "relu1 lies between selected nodes"),
])
def test_group_refusals_leave_the_graph_unchanged(selection, error, match):
    g = chain("Linear", "ReLU", "Linear")
    before = text(g)
    with pytest.raises(error, match=match):
        group_into_block(g, selection, "Enc")
    assert text(g) == before


def test_group_refuses_bad_or_taken_names():
    g = chain("Linear", "ReLU", "Linear")
    with pytest.raises(GraphError, match="can't name a block"):
        group_into_block(g, ["linear1"], "a/b")
    group_into_block(g, ["linear1"], "Enc")
    with pytest.raises(GraphError, match="already exists"):
        group_into_block(g, ["relu1"], "Enc")


def test_ungroup_renames_ids_already_taken_and_refuses_repeats():
    g = chain("Linear", "ReLU")
    block, node = group_into_block(g, ["linear1", "relu1"], "Enc")
    g.add_node("Block", {"block": "Enc"}, node_id="second")
    g.add_node("Linear", node_id="linear1")
    assert ungroup(g, "second") == ["linear2", "relu1"]
    g.set_param(node.id, "repeat", 2)
    with pytest.raises(GraphError, match="set repeat to 1"):
        ungroup(g, node.id)
    with pytest.raises(GraphError, match="is not a block"):
        ungroup(g, "linear1")


def test_project_carries_the_definitions_it_uses_and_loads_them(tmp_path):
    g = residual()
    _, inner = group_into_block(g, ["linear1", "relu1", "concat1"], "Res")
    group_into_block(g, [inner.id], "Outer")
    Project(g).save(tmp_path / "p.msproj")
    loaded = Project.load(tmp_path / "p.msproj")
    assert set(loaded.graph.blocks) == {"Res", "Outer"}
    assert loaded.graph.blocks["Outer"].graph.blocks is loaded.graph.blocks
    assert dumps(graph_to_dict(expand_blocks(loaded.graph))) == dumps(graph_to_dict(expand_blocks(g)))


def test_a_block_that_contains_itself_is_refused():
    g = chain("Linear")
    group_into_block(g, ["linear1"], "A")
    data = Project(g).to_dict()
    data["blocks"]["A"]["nodes"].append({"id": "loop", "type": "Block", "params": {"block": "A"}})
    with pytest.raises(ProjectFormatError, match=r"block 'A' contains itself \(A -> A\)") as info:
        Project.from_dict(data)
    assert info.value.location == "blocks.A.nodes[1].params.block"


def test_library_save_list_load_remove(tmp_path):
    g = residual()
    _, inner = group_into_block(g, ["linear1", "relu1", "concat1"], "Res")
    outer, _ = group_into_block(g, [inner.id], "Outer")
    lib = BlockLibrary(tmp_path / "lib")
    assert lib.names() == []
    path = lib.save(outer)
    assert path.name == "Outer.msblock" and path.read_text().endswith("}\n")
    lib.save(g.blocks["Res"])
    assert lib.names() == ["Outer", "Res"]
    loaded = lib.load("Outer")
    assert isinstance(loaded, Block) and set(loaded.graph.blocks) == {"Res", "Outer"}
    assert blocks.block_to_dict(loaded) == blocks.block_to_dict(outer)
    lib.remove("Res")
    assert lib.names() == ["Outer"]
    (tmp_path / "lib" / "Bad.msblock").write_text('{"format_version": 1, "name": "Bad", "blocks": {"Bad": 3')
    with pytest.raises(ProjectFormatError, match="not valid JSON") as info:
        lib.load("Bad")
    assert info.value.path.endswith("Bad.msblock")


def test_installing_library_blocks_shares_identical_and_renames_different(tmp_path):
    g = chain("Linear", "ReLU")
    block, _ = group_into_block(g, ["linear1", "relu1"], "Enc")
    lib = BlockLibrary(tmp_path)
    lib.save(block)
    assert install_blocks(g, lib.definitions("Enc")) == {"Enc": "Enc"}
    other = chain("ReLU")
    different, _ = group_into_block(other, ["relu1"], "Enc")
    lib.save(different)
    assert install_blocks(g, lib.definitions("Enc")) == {"Enc": "Enc_2"}
    assert [p.name for p in g.blocks["Enc_2"].inputs] == ["in"]


def test_user_block_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_block_dir() == tmp_path / "model-studio" / "blocks"
    assert BlockLibrary().directory == tmp_path / "model-studio" / "blocks"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert str(user_block_dir()).endswith(".local/share/model-studio/blocks")


def test_a_grouped_concat_computes_the_same_as_before():
    compile_graph = pytest.importorskip("studio.graph.compile").compile_graph
    import numpy as np

    import engine

    g = residual(x_first=True)
    engine.manual_seed(0)
    before = compile_graph(g)
    group_into_block(g, ["linear1", "relu1", "concat1"], "Res")
    after = compile_graph(g)
    state = before.state_dict()
    after.load_state_dict({k.replace("linear1.", "res1__0__linear1."): v for k, v in state.items()})
    x = engine.randn(3, 8)
    with engine.no_grad():
        np.testing.assert_allclose(after(x).numpy(), before(x).numpy(), rtol=1e-6)  # Concat order kept


@pytest.mark.parametrize("change, message, location", [
    (lambda b: b["inputs"][0]["targets"].append("ghost.in"), "node 'ghost' which does not exist",
     "blocks.Res.inputs[0].targets[2]"),
    (lambda b: b["inputs"][0]["targets"].append("relu1.in"), "input 'in' of relu1 is fed twice",
     "blocks.Res.inputs[0].targets[2]"),
    (lambda b: b["outputs"][0].update(source="concat1"), "expected 'node.port'",
     "blocks.Res.outputs[0].source"),
    (lambda b: b["outputs"][0].update(source="concat1.x"), "concat1 has no port 'x'",
     "blocks.Res.outputs[0].source"),
    (lambda b: b["outputs"].append({"name": "out", "source": "relu1.out"}), "not a valid, unique port name",
     "blocks.Res.outputs[1]"),
    (lambda b: b["nodes"][0].update(type="Conv9d"), "unknown layer type 'Conv9d'",
     "blocks.Res.nodes[0].type"),
    (lambda b: b.pop("inputs"), "missing 'inputs'", "blocks.Res"),
])
def test_bad_block_definitions_in_a_project(change, message, location):
    g = residual()
    group_into_block(g, ["linear1", "relu1", "concat1"], "Res")
    data = Project(g).to_dict()
    change(data["blocks"]["Res"])
    with pytest.raises(ProjectFormatError, match=message) as info:
        Project.from_dict(data)
    assert info.value.location == location
