"""The code dock: the generated Model class, live, read-only, highlighted; a graph with errors explained."""

import pytest
from PySide6.QtWidgets import QPlainTextEdit

from studio.graph.commands import AddNode, Connect, Disconnect, SetParam
from studio.graph.model import Link
from studio.qt.docks.code_view import CodeDock, PythonHighlighter
from studio.qt.document import Document


def _mlp(doc):
    doc.execute(AddNode("Input", {"shape": (1, 8, 8)}))
    doc.execute(AddNode("Flatten"))
    doc.execute(AddNode("Linear", {"in_features": 64, "out_features": 10}))
    doc.execute(AddNode("Output"))
    doc.execute(Connect("input1", "out", "flatten1", "in"))
    doc.execute(Connect("flatten1", "out", "linear1", "in"))
    doc.execute(Connect("linear1", "out", "output1", "in"))


@pytest.fixture
def document():
    doc = Document()
    _mlp(doc)
    return doc


@pytest.fixture
def dock(qtbot, document):
    dock = CodeDock(document)
    qtbot.addWidget(dock)
    dock.resize(500, 300)
    dock.show()
    qtbot.waitExposed(dock)
    return dock


def test_shows_the_model_class_read_only_in_a_monospace_font(dock):
    view = dock.findChild(type(dock.view), "codeView")
    assert view is dock.view and view.isReadOnly()
    assert view.font().fixedPitch() or view.fontInfo().fixedPitch()
    text = view.toPlainText()
    assert "class Model(nn.Module):" in text
    assert "self.linear1 = nn.Linear(64, 10)" in text
    assert "return linear1" in text
    compile(text, "<code dock>", "exec")


def test_updates_after_edits(dock, document, qtbot):
    document.execute(Disconnect(Link("linear1", "out", "output1", "in")))
    document.execute(AddNode("ReLU"))
    document.execute(Connect("linear1", "out", "relu1", "in"))
    document.execute(Connect("relu1", "out", "output1", "in"))
    qtbot.waitUntil(lambda: "self.relu1 = nn.ReLU()" in dock.text())
    document.execute(SetParam("linear1", "spectral_norm", True))
    qtbot.waitUntil(lambda: "nn.utils.spectral_norm(nn.Linear(64, 10))" in dock.text())
    document.undo_stack.undo()
    qtbot.waitUntil(lambda: "spectral_norm" not in dock.text())


def test_a_graph_with_errors_gets_an_explanation_instead_of_code(dock, document, qtbot):
    document.execute(SetParam("linear1", "in_features", 10))
    qtbot.waitUntil(lambda: "class Model" not in dock.text())
    text = dock.text()
    assert all(line.startswith("#") for line in text.splitlines() if line)
    assert "linear1" in text and "10" in text and "64" in text
    empty = Document()
    other = CodeDock(empty)
    qtbot.addWidget(other)
    assert "no Input node" in other.text()


def test_regenerates_only_while_visible(dock, document, qtbot):
    dock.hide()
    document.execute(SetParam("linear1", "out_features", 3))
    qtbot.wait(300)
    assert "nn.Linear(64, 10)" in dock.text()
    dock.show()
    qtbot.waitUntil(lambda: "nn.Linear(64, 3)" in dock.text())


def test_keeps_the_scroll_position(dock, document, qtbot):
    dock.resize(300, 120)
    bar = dock.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 2)
    bar.setValue(2)
    document.execute(SetParam("linear1", "out_features", 3))
    qtbot.waitUntil(lambda: "nn.Linear(64, 3)" in dock.text())
    assert bar.value() == 2


def test_highlighter_marks_keywords_strings_comments_and_numbers(qtbot):
    view = QPlainTextEdit()
    qtbot.addWidget(view)
    text = view.document()
    highlighter = PythonHighlighter(text)
    view.setPlainText('class A:  # note "x"\n    s = """doc\n    more"""\n    n = 42\n')
    formats = {kind: fmt.foreground().color().name() for kind, fmt in highlighter.formats.items()}

    def format_at(block_number, column):
        ranges = text.findBlockByNumber(block_number).layout().formats()
        for fmt in ranges:
            if fmt.start <= column < fmt.start + fmt.length:
                return fmt.format.foreground().color().name()
        return None

    assert format_at(0, 0) == formats["keyword"]
    assert format_at(0, 6) == formats["name"]
    assert format_at(0, 10) == formats["comment"] and format_at(0, 17) == formats["comment"]
    assert format_at(1, 9) == formats["string"]
    assert format_at(2, 4) == formats["string"]  # the triple-quoted string goes on
    assert format_at(3, 8) == formats["number"]
