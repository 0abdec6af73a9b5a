"""The main window's actions: one table of objectName, text, shortcut, tip and icon.

Shortcuts use QKeySequence.StandardKey where the platform has one (Ctrl+S, Ctrl+Z, ...) and fall back to
a fixed sequence where the platform theme defines none (the offscreen platform has no Quit binding).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QStyle, QWidget

K = QKeySequence.StandardKey
P = QStyle.StandardPixmap


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the objectName tests and scripts find the action by
    text: str
    standard: QKeySequence.StandardKey | None = None
    keys: str = ""  # used when there is no standard key, or the platform binds none to it
    tip: str = ""
    icon: QStyle.StandardPixmap | None = None
    checkable: bool = False


SPECS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("actionNew", "&New", K.New, "Ctrl+N", "Start an empty project", P.SP_FileIcon),
    ActionSpec("actionNewFromTemplate", "New from &Template…", None, "Ctrl+Shift+N",
               "Start from one of the example projects"),
    ActionSpec("actionOpen", "&Open…", K.Open, "Ctrl+O", "Open a project", P.SP_DialogOpenButton),
    ActionSpec("actionSave", "&Save", K.Save, "Ctrl+S", "Save the project", P.SP_DialogSaveButton),
    ActionSpec("actionSaveAs", "Save &As…", K.SaveAs, "Ctrl+Shift+S", "Save the project under a new name"),
    ActionSpec("actionExportEngine", "&Engine Script…", None, "Ctrl+E",
               "Write a standalone training script for the built-in engine"),
    ActionSpec("actionExportTorch", "&PyTorch Script…", None, "Ctrl+Shift+E",
               "Write a standalone PyTorch training script"),
    ActionSpec("actionExportDdp", "PyTorch &DDP Script…", None, "Ctrl+Alt+E",
               "Write a multi-GPU PyTorch (DistributedDataParallel) training script"),
    ActionSpec("actionExportWeights", "&Weights…", None, "Ctrl+Alt+W",
               "Save the trained weights as a safetensors file"),
    ActionSpec("actionQuit", "&Quit", K.Quit, "Ctrl+Q", "Close Model Studio"),
    # Edit
    ActionSpec("actionUndo", "&Undo", K.Undo, "Ctrl+Z", "Undo the last edit", P.SP_ArrowBack),
    ActionSpec("actionRedo", "&Redo", K.Redo, "Ctrl+Shift+Z", "Redo the edit undone last", P.SP_ArrowForward),
    ActionSpec("actionCut", "Cu&t", K.Cut, "Ctrl+X", "Cut the selected nodes"),
    ActionSpec("actionCopy", "&Copy", K.Copy, "Ctrl+C", "Copy the selected nodes"),
    ActionSpec("actionPaste", "&Paste", K.Paste, "Ctrl+V", "Paste nodes"),
    ActionSpec("actionDelete", "&Delete", K.Delete, "Del", "Delete the selected nodes and links"),
    ActionSpec("actionSelectAll", "Select &All", K.SelectAll, "Ctrl+A", "Select every node"),
    ActionSpec("actionGroup", "&Group into Block", None, "Ctrl+G", "Make the selected nodes one block"),
    ActionSpec("actionUngroup", "U&ngroup", None, "Ctrl+Shift+G", "Replace a block by its nodes"),
    # View
    ActionSpec("actionZoomIn", "Zoom &In", K.ZoomIn, "Ctrl++", "Zoom in", P.SP_ArrowUp),
    ActionSpec("actionZoomOut", "Zoom &Out", K.ZoomOut, "Ctrl+-", "Zoom out", P.SP_ArrowDown),
    ActionSpec("actionFit", "&Fit to Window", None, "Ctrl+0", "Show the whole graph",
               P.SP_TitleBarMaxButton),
    ActionSpec("actionAutoLayout", "Auto-&layout", None, "Ctrl+L", "Arrange the nodes in layers",
               P.SP_BrowserReload),
    ActionSpec("actionThemeLight", "&Light Theme", None, "Ctrl+Alt+L", "Light colours", checkable=True),
    ActionSpec("actionThemeDark", "&Dark Theme", None, "Ctrl+Alt+D", "Dark colours", checkable=True),
    # Run
    ActionSpec("actionTrain", "&Train", None, "F5", "Train the model (resumes a paused run)",
               P.SP_MediaPlay),
    ActionSpec("actionPause", "&Pause", None, "F6", "Pause training after the current batch",
               P.SP_MediaPause, checkable=True),
    ActionSpec("actionStop", "&Stop", None, "Shift+F5", "Stop training after the current batch",
               P.SP_MediaStop),
    # Help
    ActionSpec("actionShortcuts", "&Keyboard Shortcuts", K.HelpContents, "F1", "List every shortcut"),
    ActionSpec("actionAbout", "&About Model Studio", None, "Ctrl+F1", "Version and credits"),
)


def shortcut_for(spec: ActionSpec) -> QKeySequence:
    if spec.standard is not None and QKeySequence.keyBindings(spec.standard):
        return QKeySequence(spec.standard)
    return QKeySequence(spec.keys)


def configure(action: QAction, spec: ActionSpec, widget: QWidget) -> QAction:
    action.setObjectName(spec.name)
    action.setShortcut(shortcut_for(spec))
    shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    tip = spec.tip or spec.text.replace("&", "").rstrip("…")
    action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
    action.setStatusTip(tip)
    action.setCheckable(spec.checkable)
    if spec.icon is not None:
        action.setIcon(widget.style().standardIcon(spec.icon))
    return action


def create_actions(window: QWidget, undo_stack: QUndoStack) -> dict[str, QAction]:
    """Every action of the table, keyed by objectName; Undo and Redo come from the undo stack, so their
    text names the edit ("Undo Add Conv2d") and they are enabled only when there is one."""
    actions: dict[str, QAction] = {}
    for spec in SPECS:
        if spec.name == "actionUndo":
            action = undo_stack.createUndoAction(window)
        elif spec.name == "actionRedo":
            action = undo_stack.createRedoAction(window)
        else:
            action = QAction(spec.text, window)
        actions[spec.name] = configure(action, spec, window)
    return actions
