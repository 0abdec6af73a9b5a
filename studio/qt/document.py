"""The open document: a project, its live inference and a QUndoStack over the Qt-free commands.

Undo commands change the model (studio.graph), never the scene; the canvas and docks listen to the graph's
signals and to the signals here. Every edit a widget makes goes through `execute(command)`, so it is one
undo step, refused edits leave no trace, and the title's "*" follows QUndoStack's clean state.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.graph.blocks import expand_blocks
from studio.graph.commands import Command
from studio.graph.errors import GraphError
from studio.graph.inference import Inference, NodeInfo
from studio.graph.model import Graph
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
    """Project + inference + undo history + selection, shared by the window, canvas and docks.

    `block_path` (Block node ids, outermost first) is the graph being edited: the project's, or a block's
    inner graph (the canvas sets it on entering/leaving a block). The selection names nodes of that graph.
    """

    changed = Signal()  # after any edit, undo or redo (inference is current when it fires)
    selection_changed = Signal(list)  # node ids of the current graph
    block_path_changed = Signal(list)  # Block node ids, outermost first ([] = the top-level graph)
    project_replaced = Signal()  # a different project was loaded (widgets rebuild)
    message = Signal(str)  # something to tell the user (a refused edit's reason, a save)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.project = project or Project()
        self.inference = Inference(self.project.graph)
        self.inference.infer()
        self._selection: list[str] = []
        self._block_path: list[str] = []
        self._block_infos: dict[str, NodeInfo] | None = None

    # -------------------------------------------------------------------------------- the project ---
    @property
    def graph(self) -> Graph:
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
        self._block_infos = None
        left_block = bool(self._block_path)
        self._block_path = []
        if left_block:
            self.block_path_changed.emit([])
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
        self._block_infos = None
        if self._block_path and self._resolve() is None:  # the block went away (e.g. undo of grouping)
            self._block_path = []
            self.block_path_changed.emit([])
        nodes = self.current_graph().nodes
        kept = [n for n in self._selection if n in nodes]
        if kept != self._selection:  # a selected node went away (delete, undo of its addition)
            self._selection = kept
            self.selection_changed.emit(list(kept))
        self.changed.emit()

    # --------------------------------------------------------------------------------- selection ---
    def selection(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, node_ids: list[str]) -> None:
        """Select nodes of the current graph (ids not in it are dropped)."""
        nodes = self.current_graph().nodes
        ids = [n for n in node_ids if n in nodes]
        if ids != self._selection:
            self._selection = ids
            self.selection_changed.emit(list(ids))

    # ---------------------------------------------------------------------------- inside blocks ---
    @property
    def block_path(self) -> list[str]:
        return list(self._block_path)

    def set_block_path(self, path: list[str]) -> None:
        """Edit the inner graph of the block reached by `path` ([] = the top-level graph); the selection
        is cleared. A path that does not resolve is refused with GraphError."""
        path = list(path)
        if path == self._block_path:
            return
        if path:
            from studio.qt.canvas.inside import resolve  # late: the canvas package imports this module

            resolve(self.graph, path)
        self._block_path = path
        self._block_infos = None
        if self._selection:
            self._selection = []
            self.selection_changed.emit([])
        self.block_path_changed.emit(list(path))

    def _resolve(self) -> Graph | None:
        from studio.qt.canvas.inside import resolve

        try:
            return resolve(self.graph, self._block_path)[0]
        except GraphError:
            return None

    def current_graph(self) -> Graph:
        """The graph being edited: the inner graph of the block at `block_path`, else the project's."""
        if not self._block_path:
            return self.graph
        return self._resolve() or self.graph

    def in_current_graph(self, command: Command) -> Command:
        """`command` as it must go to execute(): wrapped in InBlock while editing inside a block."""
        if not self._block_path:
            return command
        from studio.qt.canvas.inside import InBlock

        return InBlock(self._block_path, command)

    def node_info(self, node_id: str) -> NodeInfo | None:
        """Inferred shapes/status of a node of the current graph; inside a block, of its first copy in
        the expanded graph (None when the graph cannot be expanded)."""
        if not self._block_path:
            self.inference.infer()
            return self.inference.infos.get(node_id)
        return self.block_infos().get(node_id)

    def block_infos(self) -> dict[str, NodeInfo]:
        """NodeInfo per node of the current block's inner graph (first copy), computed once per change."""
        if self._block_infos is None:
            infos: dict[str, NodeInfo] = {}
            try:
                expanded = expand_blocks(self.graph)
                inference = Inference(expanded, attach=False)
                inference.infer()
            except GraphError:
                expanded = None
            if expanded is not None:
                prefix = "".join(f"{node_id}__0__" for node_id in self._block_path)
                for node_id in self.current_graph().nodes:
                    info = inference.infos.get(prefix + node_id)
                    if info is not None:
                        infos[node_id] = info
            self._block_infos = infos
        return self._block_infos
