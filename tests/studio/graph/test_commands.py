"""Undoable commands and the undo stack: every edit undoes to the exact previous state (JSON byte for
byte), refused edits change nothing, and the stack tracks texts and the saved ("clean") state."""

from __future__ import annotations

import pytest

from studio.graph.commands import (
    AddNode,
    Connect,
    Disconnect,
    GroupIntoBlock,
    MacroCommand,
    MoveNodes,
    Paste,
    RemoveNode,
    RemoveNodes,
    SetLabel,
    SetParam,
    UndoStack,
    Ungroup,
    copy_selection,
)
from studio.graph.errors import CycleError, GraphError, ParamError, PortOccupiedError
from studio.graph.model import Graph, Link
from studio.graph.project import Project


def text(graph: Graph) -> str:
    return Project(graph, created="t").to_json()


@pytest.fixture
def graph() -> Graph:
    """input1 -> linear1 -> relu1 -> add1(relu1, input2 ... ) -> output1, add1 fed by two links."""
    g = Graph()
    g.add_node("Input", {"shape": (8,)})
    g.add_node("Linear", {"in_features": 8, "out_features": 8}, position=(100.0, 0.0))
    g.add_node("ReLU", position=(200.0, 0.0))
    g.add_node("Add", position=(300.0, 0.0))
    g.add_node("Output", position=(400.0, 0.0))
    for src, dst in (("input1", "linear1"), ("linear1", "relu1"), ("relu1", "add1"), ("input1", "add1"),
                     ("add1", "output1")):
        g.connect(src, "out", dst, "in")
    return g


def run(graph: Graph, command) -> UndoStack:
    """Push, check undo restores the exact JSON and redo the exact result; return the stack."""
    stack = UndoStack(graph)
    before = text(graph)
    stack.push(command)
    after = text(graph)
    stack.undo()
    assert text(graph) == before
    stack.redo()
    assert text(graph) == after
    return stack


def test_add_node_redo_reuses_the_id(graph):
    stack = run(graph, AddNode("Linear", {"out_features": 3}, position=(5.0, 6.0)))
    assert stack.undo_text == "Add Linear"
    node = graph.nodes["linear2"]
    assert node.params["out_features"] == 3 and node.position == (5.0, 6.0)
    stack.push(SetParam("linear2", "out_features", 4))
    stack.undo()
    stack.undo()
    stack.redo()
    stack.redo()
    assert graph.nodes["linear2"].params["out_features"] == 4


def test_remove_node_restores_links_in_their_original_positions(graph):
    links = list(graph.links)
    stack = run(graph, RemoveNode("relu1"))
    assert "relu1" not in graph.nodes and stack.undo_text == "Remove relu1"
    stack.undo()
    assert graph.links == links  # add1 still receives relu1 first, then input1
    run(graph, RemoveNodes(["input1", "add1"]))


def test_connect_and_disconnect(graph):
    graph.add_node("ReLU", node_id="extra")
    stack = run(graph, Connect("relu1", "out", "extra", "in"))
    assert stack.undo_text == "Connect relu1 → extra"
    first = graph.links_into("add1")[0]
    stack = run(graph, Disconnect(first))
    assert stack.undo_text == "Disconnect relu1 → add1"
    stack.undo()
    assert graph.links_into("add1")[0] == first


def test_set_param_label_and_texts(graph):
    stack = run(graph, SetParam("linear1", "out_features", 16))
    assert stack.undo_text == "Set out_features of linear1"
    assert graph.nodes["linear1"].params["out_features"] == 16
    stack = run(graph, SetLabel("linear1", "encoder"))
    assert stack.undo_text == "Rename linear1" and graph.nodes["linear1"].title == "encoder"


@pytest.mark.parametrize("command, error", [
    (Connect("relu1", "out", "linear1", "in"), PortOccupiedError),
    (Connect("add1", "out", "linear1", "in"), PortOccupiedError),
    (Connect("output1", "out", "add1", "in"), GraphError),
    (Connect("add1", "out", "add1", "in"), CycleError),
    (SetParam("linear1", "out_features", "10"), ParamError),
    (RemoveNode("nope"), GraphError),
    (RemoveNodes(["relu1", "nope"]), GraphError),
    (Disconnect(Link("relu1", "out", "output1", "in")), GraphError),
    (MoveNodes({"relu1": (1.0, 1.0), "nope": (2.0, 2.0)}), GraphError),
    (AddNode("Conv9d"), GraphError),
    (Paste({"nodes": [{"id": "a", "type": "Conv9d"}], "links": []}), GraphError),
    (GroupIntoBlock(["input1"], "B"), GraphError),
    (Ungroup("relu1"), GraphError),
    (MacroCommand("Two", [SetParam("linear1", "out_features", 3), SetParam("relu1", "nope", 1)]), GraphError),
])
def test_refused_commands_change_nothing_and_push_nothing(graph, command, error):
    stack = UndoStack(graph)
    before = text(graph)
    with pytest.raises(error):
        stack.push(command)
    assert text(graph) == before
    assert len(stack) == 0 and not stack.can_undo


def test_consecutive_moves_of_the_same_nodes_merge(graph):
    stack = UndoStack(graph)
    stack.push(MoveNodes({"relu1": (1.0, 1.0)}))
    stack.push(MoveNodes({"relu1": (2.0, 2.0)}))
    assert len(stack) == 1 and stack.undo_text == "Move relu1"
    stack.push(MoveNodes({"relu1": (3.0, 3.0), "add1": (4.0, 4.0)}))
    assert len(stack) == 2 and stack.undo_text == "Move 2 nodes"
    stack.undo()
    stack.undo()
    assert graph.nodes["relu1"].position == (200.0, 0.0)


def test_move_after_a_live_drag_uses_the_given_old_positions(graph):
    graph.move_node("relu1", (50.0, 50.0))  # the canvas moved it while dragging
    stack = UndoStack(graph)
    stack.push(MoveNodes({"relu1": (50.0, 50.0)}, old={"relu1": (200.0, 0.0)}))
    stack.undo()
    assert graph.nodes["relu1"].position == (200.0, 0.0)


def test_clean_state_and_signals(graph):
    stack = UndoStack(graph)
    changes = []
    stack.changed.connect(lambda: changes.append(stack.index))
    assert stack.is_clean and stack.undo_text == stack.redo_text == ""
    stack.push(SetParam("linear1", "out_features", 3))
    assert not stack.is_clean
    stack.set_clean()
    assert stack.is_clean
    stack.undo()
    assert not stack.is_clean and stack.redo_text == "Set out_features of linear1"
    stack.redo()
    assert stack.is_clean
    stack.undo()
    stack.push(SetLabel("relu1", "r"))  # the saved state is gone from history
    assert not stack.is_clean and not stack.can_redo
    stack.undo()
    assert not stack.is_clean
    assert changes == [1, 1, 0, 1, 0, 1, 0]
    stack.clear()
    assert stack.is_clean and len(stack) == 0


def test_moves_do_not_merge_into_the_saved_state(graph):
    stack = UndoStack(graph)
    stack.push(MoveNodes({"relu1": (1.0, 1.0)}))
    stack.set_clean()
    stack.push(MoveNodes({"relu1": (2.0, 2.0)}))
    assert len(stack) == 2
    stack.undo()
    assert stack.is_clean


def test_macro_is_one_step(graph):
    macro = MacroCommand("Insert ReLU", [AddNode("ReLU"), Connect("linear1", "out", "relu2", "in")])
    stack = run(graph, macro)
    assert stack.undo_text == "Insert ReLU" and len(stack) == 1


def test_paste_gives_new_ids_keeps_internal_links_and_offsets(graph):
    clipboard = copy_selection(graph, ["linear1", "relu1"])
    assert [n["id"] for n in clipboard["nodes"]] == ["linear1", "relu1"] and len(clipboard["links"]) == 1
    paste = Paste(clipboard, offset=(10.0, 20.0))
    stack = run(graph, paste)
    assert paste.pasted_ids == ["linear2", "relu2"] and stack.undo_text == "Paste 2 nodes"
    assert graph.nodes["linear2"].position == (110.0, 20.0)
    assert Link("linear2", "out", "relu2", "in") in graph.links
    assert len(graph.links) == 6  # no links to the outside come along


def test_paste_of_a_block_node_brings_its_definition(graph):
    UndoStack(graph).push(GroupIntoBlock(["linear1", "relu1"], "Enc"))
    clipboard = copy_selection(graph, ["enc1"])
    assert set(clipboard["blocks"]) == {"Enc"}
    other = Graph()
    run(other, Paste(clipboard))
    assert other.nodes["enc1"].params["block"] == "Enc" and "Enc" in other.blocks
    run(graph, Paste(clipboard))
    assert graph.nodes["enc2"].params["block"] == "Enc" and list(graph.blocks) == ["Enc"]


def test_group_and_ungroup_commands_undo_exactly(graph):
    stack = run(graph, GroupIntoBlock(["relu1", "linear1"], "Enc"))
    assert stack.undo_text == "Group into block Enc" and "enc1" in graph.nodes
    assert [p.name for p in graph.input_ports(graph.nodes["enc1"])] == ["in"]
    stack.push(Ungroup("enc1"))
    assert "linear1" in graph.nodes
    stack.undo()
    stack.undo()
    assert "Enc" not in graph.blocks and "enc1" not in graph.nodes


def test_block_params_are_checked(graph):
    stack = UndoStack(graph)
    stack.push(GroupIntoBlock(["linear1", "relu1"], "Enc"))
    stack.push(SetParam("enc1", "repeat", 6))
    with pytest.raises(GraphError, match="there is no block named 'Nope'"):
        stack.push(SetParam("enc1", "block", "Nope"))
    stack.push(GroupIntoBlock(["add1"], "Sum"))  # add1 has two inputs: 'in', 'in_2'
    with pytest.raises(GraphError, match="can repeat only if its outputs match its inputs"):
        stack.push(SetParam("sum1", "repeat", 2))
    with pytest.raises(GraphError, match="can repeat only"):
        stack.push(SetParam("enc1", "block", "Sum"))
    with pytest.raises(GraphError, match="block 'Enc' has no port for input1.out -> sum1.in_2"):
        stack.push(SetParam("sum1", "block", "Enc"))
    assert graph.nodes["enc1"].params == {"block": "Enc", "repeat": 6}


def test_paste_renames_a_different_block_with_the_same_name(graph):
    source = Graph()
    source.add_node("ReLU")
    UndoStack(source).push(GroupIntoBlock(["relu1"], "Enc"))
    UndoStack(graph).push(GroupIntoBlock(["linear1", "relu1"], "Enc"))
    before = text(graph)
    stack = run(graph, Paste(copy_selection(source, ["enc1"])))
    assert graph.nodes["enc2"].params["block"] == "Enc_2" and set(graph.blocks) == {"Enc", "Enc_2"}
    stack.undo()
    assert text(graph) == before and set(graph.blocks) == {"Enc"}
