"""The properties form: generated from the schema, edits are one undo step each, and it follows the model."""

import pytest
from PySide6.QtCore import Qt

from studio.graph.commands import AddNode, Connect, SetLabel, SetParam
from studio.qt.docks.param_widgets import (
    BoolEditor,
    ChoiceEditor,
    FloatEditor,
    IntEditor,
    IntsEditor,
    OptionalEditor,
    SequenceEditor,
    parse_ints,
)
from studio.qt.docks.properties import PropertiesDock
from studio.qt.document import Document


@pytest.fixture
def document():
    doc = Document()
    doc.execute(AddNode("Input", {"shape": (1, 28, 28)}))
    doc.execute(AddNode("Conv2d"))
    doc.execute(AddNode("Linear"))
    doc.execute(AddNode("Reshape"))
    doc.execute(AddNode("MaxPool2d"))
    doc.execute(Connect("input1", "out", "conv2d1", "in"))
    doc.undo_stack.clear()
    return doc


@pytest.fixture
def dock(qtbot, document):
    dock = PropertiesDock(document)
    qtbot.addWidget(dock)
    dock.resize(360, 900)
    dock.show()
    qtbot.waitExposed(dock)
    return dock


def _type_into(qtbot, widget, text):
    """Replace the text of a spin box or line edit by typing, then press Enter."""
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_placeholder_unless_exactly_one_node_is_selected(dock, document):
    assert dock.stack.currentWidget() is dock.placeholder
    document.set_selection(["conv2d1", "linear1"])
    assert dock.stack.currentWidget() is dock.placeholder and "2 nodes" in dock.placeholder.text()
    document.set_selection(["conv2d1"])
    assert dock.stack.currentWidget() is not dock.placeholder
    document.set_selection([])
    assert dock.stack.currentWidget() is dock.placeholder


def test_the_form_is_generated_from_the_schema(dock, document):
    document.set_selection(["conv2d1"])
    assert dock.type_label.text().startswith("Conv2d")
    assert dock.doc_label.text().startswith("Slides learned filters")
    editors = dock.editors
    assert list(editors) == [p.name for p in document.graph.nodes["conv2d1"].spec.params]
    assert isinstance(editors["in_channels"], IntEditor)
    assert editors["in_channels"].spin.minimum() == 1
    assert isinstance(editors["kernel_size"], IntsEditor) and len(editors["kernel_size"].spins) == 2
    assert [s.value() for s in editors["kernel_size"].spins] == [3, 3]
    assert isinstance(editors["bias"], BoolEditor) and editors["bias"].check.isChecked()
    assert isinstance(editors["padding_mode"], ChoiceEditor)
    assert editors["padding_mode"].combo.currentText() == "zeros"
    assert editors["spectral_norm"].check.text() == "SpectralNorm"
    assert dock.findChild(IntEditor, "param_out_channels") is editors["out_channels"]
    assert "N×16×26×26" in dock.shape_label.text()
    assert "160" in dock.cost_label.text()  # 16·1·3·3 weights + 16 biases
    document.set_selection(["reshape1"])
    assert isinstance(dock.editors["shape"], SequenceEditor)
    assert dock.editors["shape"].edit.text() == "-1"
    document.set_selection(["maxpool2d1"])
    assert isinstance(dock.editors["stride"], OptionalEditor) and dock.editors["stride"].none.isChecked()


def test_typing_a_kernel_size_is_one_undo_step_and_updates_the_shape(dock, document, qtbot):
    document.set_selection(["conv2d1"])
    spin = dock.editors["kernel_size"].spins[0]
    _type_into(qtbot, spin, "5")
    assert document.graph.nodes["conv2d1"].params["kernel_size"] == (5, 3)
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Set kernel_size of conv2d1"
    assert "N×16×24×26" in dock.shape_label.text()
    document.undo_stack.undo()
    assert spin.value() == 3 and "N×16×26×26" in dock.shape_label.text()
    document.undo_stack.redo()
    assert spin.value() == 5


def test_typing_commits_once_on_enter_not_per_keystroke(dock, document, qtbot):
    document.set_selection(["conv2d1"])
    spin = dock.editors["out_channels"].spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "64")
    assert document.graph.nodes["conv2d1"].params["out_channels"] == 16
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert document.graph.nodes["conv2d1"].params["out_channels"] == 64
    assert document.undo_stack.count() == 1


def test_model_changes_show_in_the_form_without_edits_of_their_own(dock, document):
    document.set_selection(["conv2d1"])
    document.execute(SetParam("conv2d1", "out_channels", 32))
    document.execute(SetParam("conv2d1", "padding_mode", "reflect"))
    assert dock.editors["out_channels"].spin.value() == 32
    assert dock.editors["padding_mode"].combo.currentText() == "reflect"
    assert "N×32×26×26" in dock.shape_label.text()
    assert document.undo_stack.count() == 2  # showing the values pushed nothing


def test_an_out_of_range_value_is_refused_and_reverted(dock, document, qtbot):
    document.set_selection(["conv2d1"])
    spin = dock.editors["in_channels"].spin
    _type_into(qtbot, spin, "0")  # below the minimum of 1
    assert spin.value() == 1 and document.graph.nodes["conv2d1"].params["in_channels"] == 1
    document.set_selection(["linear1"])
    features = dock.editors["in_features"].spin
    _type_into(qtbot, features, "-")
    assert features.value() == 784
    assert document.undo_stack.count() == 0


def test_a_value_the_model_refuses_is_marked_and_reverted(dock, document, qtbot):
    document.set_selection(["reshape1"])
    editor = dock.editors["shape"]
    with qtbot.waitSignal(document.message) as said:
        _type_into(qtbot, editor.edit, "2, -3")
    assert "at least -1" in said.args[0]
    assert editor.edit.text() == "-1" and editor.property("invalid") and "at least -1" in editor.toolTip()
    assert document.undo_stack.count() == 0
    _type_into(qtbot, editor.edit, "4, -")
    assert editor.edit.text() == "-1" and "whole numbers" in editor.error
    _type_into(qtbot, editor.edit, "(7, 112)")
    assert document.graph.nodes["reshape1"].params["shape"] == (7, 112)
    assert not editor.property("invalid")
    assert document.undo_stack.count() == 1


def test_a_model_side_error_is_shown(dock, document, qtbot):
    document.set_selection(["conv2d1"])
    assert not dock.error_label.isVisibleTo(dock)
    _type_into(qtbot, dock.editors["in_channels"].spin, "3")
    assert dock.error_label.isVisibleTo(dock) and dock.error_label.text().startswith("Error:")
    assert dock.cost_label.text().startswith("Parameters: ?")


def test_label_edit_is_a_rename_and_follows_the_model(dock, document, qtbot):
    document.set_selection(["conv2d1"])
    _type_into(qtbot, dock.label_edit, "stem")
    assert document.graph.nodes["conv2d1"].label == "stem"
    assert document.undo_stack.undoText() == "Rename conv2d1"
    document.execute(SetLabel("conv2d1", "features"))
    assert dock.label_edit.text() == "features"
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert dock.label_edit.text() == ""
    qtbot.keyClick(dock.label_edit, Qt.Key.Key_Return)  # nothing typed: no empty undo step
    assert document.undo_stack.index() == 0


def test_spectral_norm_check_box_toggles_the_wrapper(dock, document, qtbot):
    document.set_selection(["linear1"])
    check = dock.editors["spectral_norm"].check
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=check.rect().center())
    assert document.graph.nodes["linear1"].params["spectral_norm"] is True
    assert document.undo_stack.undoText() == "Set spectral_norm of linear1"
    document.undo_stack.undo()
    assert not check.isChecked()


def test_float_choice_and_optional_editors_commit_single_steps(dock, document, qtbot):
    document.execute(AddNode("Dropout"))
    document.set_selection(["dropout1"])
    p = dock.editors["p"]
    assert isinstance(p, FloatEditor)
    _type_into(qtbot, p.spin, "0.25")
    assert document.graph.nodes["dropout1"].params["p"] == 0.25
    _type_into(qtbot, p.spin, "1.5")  # above the maximum of 1: the spin box keeps 0.25
    assert p.spin.value() == 0.25 and document.graph.nodes["dropout1"].params["p"] == 0.25

    document.set_selection(["conv2d1"])
    qtbot.keyClick(dock.editors["padding_mode"].combo, Qt.Key.Key_Down)
    assert document.graph.nodes["conv2d1"].params["padding_mode"] == "reflect"

    document.set_selection(["maxpool2d1"])
    stride = dock.editors["stride"]
    qtbot.mouseClick(stride.none, Qt.MouseButton.LeftButton, pos=stride.none.rect().center())
    assert document.graph.nodes["maxpool2d1"].params["stride"] == (1, 1)
    _type_into(qtbot, stride.inner.spins[1], "2")
    assert document.graph.nodes["maxpool2d1"].params["stride"] == (1, 2)
    qtbot.mouseClick(stride.none, Qt.MouseButton.LeftButton, pos=stride.none.rect().center())
    assert document.graph.nodes["maxpool2d1"].params["stride"] is None
    assert not stride.inner.isEnabled()
    assert document.undo_stack.count() == 1 + 2 + 3  # AddNode, p, padding_mode, stride ×3


def test_the_form_follows_undo_of_the_node_itself(dock, document):
    document.execute(AddNode("ReLU"))
    document.set_selection(["relu1"])
    assert dock.type_label.text().startswith("ReLU")
    document.undo_stack.undo()
    assert dock.stack.currentWidget() is dock.placeholder


def test_parse_ints_accepts_common_spellings():
    assert parse_ints("3, 3") == (3, 3)
    assert parse_ints("(1, 28, 28)") == (1, 28, 28)
    assert parse_ints("3x3") == (3, 3)
    assert parse_ints(" ") == ()
    with pytest.raises(ValueError):
        parse_ints("3, -")


def test_an_output_node_shows_what_it_receives(dock, document):
    document.execute(AddNode("Output"))
    document.execute(Connect("conv2d1", "out", "output1", "in"))
    document.set_selection(["output1"])
    assert "No parameters" in dock.params_box.findChild(type(dock.type_label)).text()
    assert dock.shape_label.text() == "Input: N×16×26×26"
