"""The code dock: the PyTorch `Model` class of the current graph, read-only and highlighted, kept live.

Regenerating is debounced (a burst of edits, e.g. a drag of several nodes, regenerates once) and skipped
while the dock is hidden; the text is replaced only when it changed, keeping the scroll position.
"""

from __future__ import annotations

import keyword
import re

from PySide6.QtCore import QRegularExpression, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QDockWidget, QPlainTextEdit, QWidget

from studio.export.codegen import model_code
from studio.graph.errors import GraphError
from studio.qt.document import Document

DEBOUNCE_MS = 150
HEADER = "import torch\nfrom torch import nn\n\n\n"


def _format(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, builtins/self, def/class names, numbers, strings (triple-quoted across lines), comments."""

    IN_TRIPLE_DOUBLE, IN_TRIPLE_SINGLE = 1, 2

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.formats = {
            "keyword": _format("#0033b3", bold=True),
            "builtin": _format("#871094"),
            "name": _format("#00627a", bold=True),
            "number": _format("#1750eb"),
            "string": _format("#067d17"),
            "comment": _format("#8c8c8c", italic=True),
            "decorator": _format("#9e880d"),
        }
        words = "|".join(sorted(keyword.kwlist, key=len, reverse=True))
        self.rules: list[tuple[QRegularExpression, str, int]] = [
            (QRegularExpression(rf"\b({words})\b"), "keyword", 0),
            (QRegularExpression(r"\b(self|super|print|len|range|isinstance|tuple|list|dict|int|float)\b"),
             "builtin", 0),
            (QRegularExpression(r"\b(?:def|class)\s+(\w+)"), "name", 1),
            (QRegularExpression(r"\b(?:0[xX][0-9a-fA-F_]+|\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|\.\d+)\b"),
             "number", 0),
            (QRegularExpression(r"^\s*@[\w.]+"), "decorator", 0),
        ]
        # Strings and comments: one left-to-right scan, so '#' inside a string is not a comment.
        self.strings = re.compile(r"""("{3}|'{3})|"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|#.*""")

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        for pattern, kind, group in self.rules:
            matches = pattern.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(group), match.capturedLength(group), self.formats[kind])
        self.setCurrentBlockState(0)
        start = 0
        previous = self.previousBlockState()
        if previous in (self.IN_TRIPLE_DOUBLE, self.IN_TRIPLE_SINGLE):
            start = self._triple(text, 0, '"""' if previous == self.IN_TRIPLE_DOUBLE else "'''", 0)
        while 0 <= start < len(text):
            match = self.strings.search(text, start)
            if match is None:
                break
            if match.group(1):
                start = self._triple(text, match.end(), match.group(1), match.start())
            elif match.group().startswith("#"):
                self.setFormat(match.start(), len(text) - match.start(), self.formats["comment"])
                break
            else:
                self.setFormat(match.start(), match.end() - match.start(), self.formats["string"])
                start = match.end()

    def _triple(self, text: str, search_from: int, quote: str, string_start: int) -> int:
        """Format a triple-quoted string from `string_start`; the index after it, or -1 if it goes on."""
        end = text.find(quote, search_from)
        if end < 0:
            self.setFormat(string_start, len(text) - string_start, self.formats["string"])
            self.setCurrentBlockState(self.IN_TRIPLE_DOUBLE if quote == '"""' else self.IN_TRIPLE_SINGLE)
            return -1
        end += len(quote)
        self.setFormat(string_start, end - string_start, self.formats["string"])
        return end


def graph_code(document: Document) -> str:
    """The code for the document's graph, or comments saying why there is none yet."""
    try:
        code = model_code(document.graph)
    except GraphError as error:
        return _explain(document, error.message)
    except Exception as error:  # a generator bug must not take the editor down with it
        return _explain(document, f"code generation failed: {type(error).__name__}: {error}")
    helpers = code.helper_source()
    return HEADER + (helpers + "\n\n" if helpers else "") + code.source


def _explain(document: Document, reason: str) -> str:
    lines = ["# No model code yet: the graph cannot be exported as it is.", "#", f"# {reason}"]
    others = [e for e in document.inference.errors() if e.message != reason]
    if others:
        lines += ["#", "# Other problems:"]
        for error in others:
            where = f"{error.node_id}: " if error.node_id else ""
            lines.append(f"#   - {where}{error.message}")
    return "\n".join(line.replace("\n", "\n# ") for line in lines) + "\n"


class CodeDock(QDockWidget):
    """Read-only, highlighted `Model` code of the graph, regenerated after edits while it is visible."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__("Code", parent)
        self.setObjectName("codeDock")
        self.document = document
        self.view = QPlainTextEdit(self)
        self.view.setObjectName("codeView")
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.highlighter = PythonHighlighter(self.view.document())
        self.setWidget(self.view)
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._regenerate_if_visible)
        document.changed.connect(self.schedule)
        document.project_replaced.connect(self.schedule)
        self.visibilityChanged.connect(self._visibility_changed)
        self.refresh()

    def text(self) -> str:
        return self.view.toPlainText()

    def schedule(self) -> None:
        """Mark the code stale and regenerate after a short quiet period."""
        self._stale = True
        self._timer.start()

    def refresh(self) -> None:
        """Regenerate now, keeping the scroll position."""
        self._stale = False
        text = graph_code(self.document)
        if text == self.view.toPlainText():
            return
        vertical, horizontal = self.view.verticalScrollBar(), self.view.horizontalScrollBar()
        v, h = vertical.value(), horizontal.value()
        self.view.setPlainText(text)
        vertical.setValue(min(v, vertical.maximum()))
        horizontal.setValue(min(h, horizontal.maximum()))

    def _regenerate_if_visible(self) -> None:
        if self._stale and self.isVisible():
            self.refresh()

    def _visibility_changed(self, visible: bool) -> None:
        if visible and self._stale:
            self._timer.start()
