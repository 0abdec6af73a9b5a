"""New / Open / Save / Save As / recent files / export, and the prompt before losing changes.

Every question to the user goes through a `Dialogs` object whose functions tests replace (an injected
path, an injected answer); the defaults use Qt's own (non-native) dialogs, which also work offscreen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from studio.graph.errors import GraphError
from studio.graph.project import PROJECT_SUFFIX, Project
from studio.graph.serialize import atomic_write
from studio.templates import load_template

from .document import Document

PROJECT_FILTER = f"Model Studio projects (*{PROJECT_SUFFIX});;All files (*)"
SCRIPT_FILTER = "Python scripts (*.py)"
WEIGHTS_FILTER = "safetensors weights (*.safetensors)"
MAX_RECENT = 10
EXPORT_TITLES = {"engine": "Export Engine Script", "torch": "Export PyTorch Script",
                 "torch-ddp": "Export PyTorch DDP Script"}

Button = QMessageBox.StandardButton


# -------------------------------------------------------------------------------- dialogs ---
def ask_open_path(parent: QWidget, caption: str, directory: str, filters: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, caption, directory, filters,
                                          options=QFileDialog.Option.DontUseNativeDialog)
    return path


def ask_save_path(parent: QWidget, caption: str, directory: str, filters: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, caption, directory, filters,
                                          options=QFileDialog.Option.DontUseNativeDialog)
    return path


def ask_save_changes(parent: QWidget, name: str) -> Button:
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"Save the changes to {name} before closing it?",
                      Button.Save | Button.Discard | Button.Cancel, parent)
    box.setObjectName("saveChangesBox")
    box.setDefaultButton(Button.Save)
    return Button(box.exec())


def show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def show_info(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.about(parent, title, text)


def _ask_recover(parent: QWidget, recovery: Path, project: Path | None) -> bool:
    from .autosave import ask_recover

    return ask_recover(parent, recovery, project)


def _choose_template(parent: QWidget) -> str | None:
    from .start_page import choose_template

    return choose_template(parent)


@dataclass
class Dialogs:
    """The questions the window asks; replace any of them (tests inject answers)."""

    open_path: Callable[[QWidget, str, str, str], str] = ask_open_path  # "" = cancelled
    save_path: Callable[[QWidget, str, str, str], str] = ask_save_path
    save_changes: Callable[[QWidget, str], Button] = ask_save_changes  # Save, Discard or Cancel
    recover: Callable[[QWidget, Path, Path | None], bool] = _ask_recover
    choose_template: Callable[[QWidget], str | None] = _choose_template  # name, "" empty, None cancel
    error: Callable[[QWidget, str, str], None] = show_error
    info: Callable[[QWidget, str, str], None] = show_info


# ---------------------------------------------------------------------------- recent files ---
class RecentFiles:
    """The most recently opened or saved projects, newest first, kept in QSettings."""

    KEY = "recentFiles"

    def paths(self) -> list[Path]:
        values = QSettings().value(self.KEY, [], type=list) or []
        return [Path(v) for v in values if isinstance(v, str) and v]

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        paths = [path] + [p for p in self.paths() if p != path]
        QSettings().setValue(self.KEY, [str(p) for p in paths[:MAX_RECENT]])

    def remove(self, path: Path) -> None:
        QSettings().setValue(self.KEY, [str(p) for p in self.paths() if p != Path(path)])

    def clear(self) -> None:
        QSettings().setValue(self.KEY, [])


def last_directory() -> str:
    saved = QSettings().value("lastDirectory", "", type=str)
    if saved and Path(saved).is_dir():
        return saved
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)


def _remember_directory(path: Path) -> None:
    QSettings().setValue("lastDirectory", str(Path(path).parent))


def _with_suffix(path: str, suffix: str) -> Path:
    return Path(path) if path.endswith(suffix) else Path(path + suffix)


# ---------------------------------------------------------------------------------- files ---
class ProjectFiles(QObject):
    """The file operations of one window's document. Each returns whether it went through."""

    opened = Signal()  # another project is shown (New, Open, template)
    saved = Signal(Path)
    recent_changed = Signal()

    def __init__(self, window: QWidget, document: Document, dialogs: Dialogs) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.dialogs = dialogs
        self.recent = RecentFiles()

    def display_name(self) -> str:
        path = self.document.path
        return path.name if path is not None else self.document.project.name

    def maybe_save(self) -> bool:
        """Before the document is replaced or closed: True when it may go (saved, discarded, unchanged)."""
        if not self.document.is_modified():
            return True
        answer = self.dialogs.save_changes(self.window, self.display_name())
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.document.replace_project(Project())
        self.opened.emit()
        return True

    def new_from_template(self, name: str | None = None) -> bool:
        if not self.maybe_save():
            return False
        if name is None:
            name = self.dialogs.choose_template(self.window)
            if name is None:
                return False
        try:
            project = load_template(name) if name else Project()
        except GraphError as exc:
            self.dialogs.error(self.window, "Cannot open the template", exc.message)
            return False
        self.document.replace_project(project)
        self.opened.emit()
        return True

    def open(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            chosen = self.dialogs.open_path(self.window, "Open Project", last_directory(), PROJECT_FILTER)
            if not chosen:
                return False
            path = chosen
        return self.load(Path(path))

    def load(self, path: Path) -> bool:
        """Show the project at `path` without asking about the current one."""
        try:
            project = Project.load(path)
        except GraphError as exc:
            text = exc.message if str(path) in exc.message else f"{path}: {exc.message}"
            self.dialogs.error(self.window, "Cannot open the project", text)
            if not path.exists():
                self.recent.remove(path)
                self.recent_changed.emit()
            return False
        self.document.replace_project(project)
        self._remember(path)
        self.opened.emit()
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        start = Path(last_directory()) / f"{self.document.project.name}{PROJECT_SUFFIX}"
        if self.document.path is not None:
            start = self.document.path
        chosen = self.dialogs.save_path(self.window, "Save Project As", str(start), PROJECT_FILTER)
        if not chosen:
            return False
        return self._save_to(_with_suffix(chosen, PROJECT_SUFFIX))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            self.dialogs.error(self.window, "Cannot save the project", f"{path}: {exc.strerror or exc}")
            return False
        self._remember(path)
        self.saved.emit(path)
        return True

    def _remember(self, path: Path) -> None:
        self.recent.add(path)
        QSettings().setValue("lastProject", str(Path(path).resolve()))
        _remember_directory(path)
        self.recent_changed.emit()

    # ----------------------------------------------------------------------------- export ---
    def export_script(self, target: str, weights: Mapping[str, Any] | None = None) -> Path | None:
        """Ask where, then write the script for `target` with its data (and weights) beside it."""
        from studio.export import ExportError, write_export

        title = EXPORT_TITLES[target]
        stem = "".join(c if c.isalnum() else "_" for c in self.document.project.name.lower()) or "model"
        suffix = {"engine": "_engine", "torch": "_torch", "torch-ddp": "_ddp"}[target]
        start = str(Path(last_directory()) / f"{stem}{suffix}.py")
        chosen = self.dialogs.save_path(self.window, title, start, SCRIPT_FILTER)
        if not chosen:
            return None
        path = _with_suffix(chosen, ".py")
        try:
            written = write_export(self.document.project, target, path, weights=weights)
        except (GraphError, ExportError) as exc:
            self.dialogs.error(self.window, title, f"Cannot export: {getattr(exc, 'message', exc)}")
            return None
        except OSError as exc:
            self.dialogs.error(self.window, title, f"Cannot write {path}: {exc.strerror or exc}")
            return None
        _remember_directory(written)
        self.document.message.emit(f"Exported {written}")
        return written

    def export_weights(self, state: Mapping[str, Any] | None) -> Path | None:
        """Save `state` (the last training's weights) or else the project's weights file, if any."""
        title = "Export Weights"
        source = self.document.project.weights_path
        if state is None and (source is None or not source.is_file()):
            self.dialogs.error(self.window, title, "There are no trained weights yet: train the model first.")
            return None
        start = str(Path(last_directory()) / f"{self.document.project.name}.safetensors")
        chosen = self.dialogs.save_path(self.window, title, start, WEIGHTS_FILTER)
        if not chosen:
            return None
        path = _with_suffix(chosen, ".safetensors")
        try:
            if state is not None:
                atomic_write(path, _safetensors_bytes(state))
            else:
                atomic_write(path, source.read_bytes())
        except OSError as exc:
            self.dialogs.error(self.window, title, f"Cannot write {path}: {exc.strerror or exc}")
            return None
        _remember_directory(path)
        self.document.message.emit(f"Exported weights to {path}")
        return path


def _safetensors_bytes(state: Mapping[str, Any]) -> bytes:
    from safetensors.numpy import save

    arrays = {}
    for name, value in state.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arrays[name] = np.ascontiguousarray(value)
    return save(arrays)
