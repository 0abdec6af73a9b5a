"""The document: edits are undo steps on the model, refusals leave no trace, inference stays current."""

from studio.graph.commands import AddNode, Connect, SetParam
from studio.graph.project import Project
from studio.qt.document import Document


def _mlp(doc: Document) -> None:
    doc.execute(AddNode("Input", {"shape": (1, 8, 8)}))
    doc.execute(AddNode("Flatten"))
    doc.execute(AddNode("Linear", {"in_features": 64, "out_features": 10}))
    doc.execute(Connect("input1", "out", "flatten1", "in"))
    doc.execute(Connect("flatten1", "out", "linear1", "in"))


def test_edits_are_undo_steps_named_after_the_action(qtbot):
    doc = Document()
    _mlp(doc)
    assert doc.undo_stack.count() == 5
    assert doc.undo_stack.undoText() == "Connect flatten1 → linear1"
    doc.undo_stack.undo()
    assert doc.graph.links_into("linear1") == []
    doc.undo_stack.redo()
    assert len(doc.graph.links_into("linear1")) == 1


def test_a_refused_edit_changes_nothing_and_says_why(qtbot):
    doc = Document()
    _mlp(doc)
    with qtbot.waitSignal(doc.message) as said:
        assert not doc.execute(Connect("linear1", "out", "input1", "in"))
    assert "no input" in said.args[0]
    assert doc.undo_stack.count() == 5


def test_inference_is_current_after_edits_undo_and_redo(qtbot):
    doc = Document()
    _mlp(doc)
    assert doc.inference.info("linear1").outputs["out"] == ("N", 10)
    doc.execute(SetParam("linear1", "out_features", 3))
    assert doc.inference.info("linear1").outputs["out"] == ("N", 3)
    doc.undo_stack.undo()
    assert doc.inference.info("linear1").outputs["out"] == ("N", 10)


def test_saving_marks_clean_and_replacing_the_project_resets_history(qtbot, tmp_path):
    doc = Document()
    _mlp(doc)
    assert doc.is_modified()
    doc.save(tmp_path / "m.msproj")
    assert not doc.is_modified() and doc.path == tmp_path / "m.msproj"
    doc.replace_project(Project.load(tmp_path / "m.msproj"))
    assert doc.undo_stack.count() == 0 and sorted(doc.graph.nodes) == ["flatten1", "input1", "linear1"]
