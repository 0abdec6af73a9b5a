"""The open document: a project, its live inference and a QUndoStack over the Qt-free commands.

Undo commands change the model (studio.graph), never the scene; the canvas and docks listen to the graph's
signals and to the signals here. Every edit a widget makes goes through `execute(command)`, so it is one
undo step, refused edits leave no trace, and the title's "*" follows QUndoStack's clean state.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.graph.commands import Command
from studio.graph.errors import GraphError
from studio.graph.inference import Inference
from studio.graph.project import Project


class _UndoCommand(QUndoCommand):
    """Adapts a Qt-free command: the first redo() is the push itself (the command already ran)."""

    def __init__(self, document: Document, command: Command) -> None:
        super().__init__(command.text)
        self.command = command
        self._document = document
        self._pushed = False

    def redo(self) -> None:
        if self._pushed:
            self.command.do(self._document.graph)
        self._pushed = True
        self._document._after_edit()

    def undo(self) -> None:
        self.command.undo(self._document.graph)
        self._document._after_edit()

    def id(self) -> int:
        return 1  # one id for all: merge_with decides (consecutive moves of the same nodes merge)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        return isinstance(other, _UndoCommand) and self.command.merge_with(other.command)


class Document(QObject):
    """Project + inference + undo history + selection, shared by the window, canvas and docks."""

    changed = Signal()  # after any edit, undo or redo (inference is current when it fires)
    selection_changed = Signal(list)  # node ids
    project_replaced = Signal()  # a different project was loaded (widgets rebuild)
    message = Signal(str)  # something to tell the user (a refused edit's reason, a save)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.project = project or Project()
        self.inference = Inference(self.project.graph)
        self.inference.infer()
        self._selection: list[str] = []

    # -------------------------------------------------------------------------------- the project ---
    @property
    def graph(self):
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self.project.path

    def replace_project(self, project: Project) -> None:
        """Show another project (New, Open, template, recovery); its history starts empty and clean."""
        self.inference.detach()
        self.project = project
        self.inference = Inference(project.graph)
        self.inference.infer()
        self.undo_stack.clear()
        self._selection = []
        self.project_replaced.emit()
        self.selection_changed.emit([])
        self.changed.emit()

    def save(self, path: Path | None = None) -> Path:
        """Save atomically (to `path`, else where it came from) and mark the history clean."""
        target = Path(path) if path is not None else self.project.path
        if target is None:
            raise ValueError("this project has no file yet: use Save As")
        self.project.save(target)
        self.undo_stack.setClean()
        self.message.emit(f"Saved {target}")
        return target

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # ------------------------------------------------------------------------------------- edits ---
    def execute(self, command: Command) -> bool:
        """Run an edit as one undo step. A refused edit (GraphError) changes nothing; its reason goes
        out through `message` and False is returned."""
        try:
            command.do(self.graph)
        except GraphError as error:
            self.message.emit(error.message)
            return False
        self.undo_stack.push(_UndoCommand(self, command))
        return True

    def _after_edit(self) -> None:
        self.inference.infer()
        kept = [n for n in self._selection if n in self.graph.nodes]
        if kept != self._selection:  # a selected node went away (delete, undo of its addition)
            self._selection = kept
            self.selection_changed.emit(list(kept))
        self.changed.emit()

    # --------------------------------------------------------------------------------- selection ---
    def selection(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, node_ids: list[str]) -> None:
        ids = [n for n in node_ids if n in self.graph.nodes]
        if ids != self._selection:
            self._selection = ids
            self.selection_changed.emit(list(ids))
