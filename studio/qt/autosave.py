"""Autosave: every 60 s a modified document is written to a recovery file; after a crash the next start
offers it back.

Recovery files live in <AppDataLocation>/recovery/, one per project file (named after a hash of its path)
and one for projects that have no file yet. A clean save, or closing the document (saved or discarded),
deletes the file; only a crash leaves one behind. It is offered when it is newer than the project file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from studio.graph.errors import GraphError
from studio.graph.project import PROJECT_SUFFIX, Project
from studio.graph.serialize import atomic_write, read_text

from .document import Document

INTERVAL_MS = 60_000


def recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "recovery"


def recovery_file(project_path: Path | None) -> Path:
    """Where the document saved at `project_path` (None: not saved yet) is autosaved."""
    if project_path is None:
        return recovery_dir() / f"untitled{PROJECT_SUFFIX}"
    key = hashlib.sha1(str(Path(project_path).resolve()).encode("utf-8")).hexdigest()[:16]
    return recovery_dir() / f"{Path(project_path).stem}-{key}{PROJECT_SUFFIX}"


def ask_recover(parent: QWidget | None, recovery: Path, project: Path | None) -> bool:
    what = project.name if project is not None else "an unsaved project"
    box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved changes",
                      f"Model Studio did not close normally. Recover the changes to {what} "
                      f"saved automatically at {_time_of(recovery)}?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setObjectName("recoverBox")
    box.setInformativeText("No discards the recovered changes.")
    return box.exec() == QMessageBox.StandardButton.Yes


def _time_of(path: Path) -> str:
    from datetime import datetime

    try:
        return datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return "an unknown time"


class Autosave(QObject):
    """Writes `document` to its recovery file on a timer while it has unsaved changes."""

    written = Signal(Path)

    def __init__(self, document: Document, parent: QObject | None = None,
                 interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.document = document
        self._written: Path | None = None  # the recovery file this session wrote (or recovered from)
        self.timer = QTimer(self)
        self.timer.setObjectName("autosaveTimer")
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.write_now)
        self.timer.start()
        document.undo_stack.cleanChanged.connect(self._clean_changed)
        document.project_replaced.connect(self._forget_written)

    def current_file(self) -> Path:
        return recovery_file(self.document.path)

    def write_now(self) -> Path | None:
        """Write the recovery file if the document has unsaved changes; returns it (None: nothing to do)."""
        if not self.document.is_modified():
            return None
        target = self.current_file()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, self.document.project.to_json())
        except (OSError, GraphError) as exc:  # autosave must never interrupt editing
            self.document.message.emit(f"Autosave failed: {getattr(exc, 'strerror', None) or exc}")
            return None
        if self._written is not None and self._written != target:
            self._written.unlink(missing_ok=True)  # the project was saved elsewhere since
        self._written = target
        self.written.emit(target)
        return target

    def discard(self) -> None:
        """Delete this document's recovery files (on closing: its changes were saved or discarded)."""
        for path in {self._written, self.current_file()} - {None}:
            path.unlink(missing_ok=True)
        self._written = None

    def _forget_written(self) -> None:
        # the old project was saved or its changes discarded before it was replaced; a recovery file
        # of the new project is left alone: it is the one to offer
        if self._written is not None:
            self._written.unlink(missing_ok=True)
        self._written = None

    def _clean_changed(self, clean: bool) -> None:
        if clean:  # saved (or undone back to the saved state): nothing left to recover
            self._forget_written()

    def pending(self) -> tuple[Path, Path | None] | None:
        """A recovery file to offer and the project file it belongs to (None: a project never saved):
        the current document's when it is newer than the project file, else, while the document is
        unchanged, that of a never-saved project (a crash in a template opened from another project)."""
        candidates = [(self.current_file(), self.document.path)]
        if self.document.path is not None and not self.document.is_modified():
            candidates.append((recovery_file(None), None))
        for candidate, project in candidates:
            if not candidate.is_file() or candidate == self._written:
                continue
            if project is not None and project.is_file() and \
                    project.stat().st_mtime >= candidate.stat().st_mtime:
                candidate.unlink(missing_ok=True)  # stale: the project was saved after it
                continue
            return candidate, project
        return None

    def offer(self, parent: QWidget | None, ask: Callable[[QWidget | None, Path, Path | None], bool]) -> bool:
        """Offer a pending recovery file; on yes the document shows it, unsaved. Returns whether it did."""
        found = self.pending()
        if found is None:
            return False
        candidate, path = found
        if not ask(parent, candidate, path):
            candidate.unlink(missing_ok=True)
            return False
        try:
            project = Project.from_json(read_text(candidate), path=str(candidate))
        except GraphError as exc:
            self.document.message.emit(f"The recovery file cannot be read: {exc.message}")
            candidate.unlink(missing_ok=True)
            return False
        project.path = path
        self.document.replace_project(project)
        self.document.undo_stack.resetClean()  # recovered changes are unsaved changes
        self.write_now()  # keep them recoverable until the next save
        self.document.message.emit("Recovered the unsaved changes")
        return True
