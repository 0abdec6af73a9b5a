"""The main window: the canvas in the middle, the docks around it, menus, toolbar and status bar.

Everything the user does goes through the shared Document (one undo step per edit); file questions go
through `Dialogs` (injectable), file work through ProjectFiles, recovery through Autosave.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.graph.project import Project
from studio.training.callbacks import CaptureInfo, RunResult
from studio.training.health import node_health

from .actions import create_actions
from .autosave import Autosave
from .canvas import GraphScene, GraphView
from .docks import CodeDock, PaletteDock, PropertiesDock
from .docks.curves import CurvesDock
from .docks.devices import DevicesDock
from .docks.feature_maps import FeatureMapsDock
from .docks.inspector import InspectorDock
from .docks.runs import RunsDock
from .docks.training import TrainingDock
from .document import Document
from .files import Dialogs, ProjectFiles
from .status import StatusWidgets
from .theme import apply_theme, current_theme
from .train_runner import IDLE, PAUSED, RUNNING, TrainRunner

APP_TITLE = "Model Studio"
CLIPBOARD_MIME = "application/x-model-studio-nodes"
DOCK_SHORTCUTS = {"paletteDock": "Ctrl+1", "propertiesDock": "Ctrl+2", "codeDock": "Ctrl+3"}


class MainWindow(QMainWindow):
    def __init__(self, document: Document | None = None, *, dialogs: Dialogs | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setDockNestingEnabled(True)
        self.document = document or Document(Project())
        self.dialogs = dialogs or Dialogs()
        self.files = ProjectFiles(self, self.document, self.dialogs)
        self.autosave = Autosave(self.document, self)
        self.runner = TrainRunner(self)
        self._health_project: Project | None = None  # the project the running run's captures describe
        self._offered_recovery = False

        self.scene = GraphScene(self.document)
        self.view = GraphView(self.scene)
        self.view.setObjectName("graphView")
        self.setCentralWidget(self.view)
        self.palette_dock = PaletteDock(self.document, self)
        self.properties_dock = PropertiesDock(self.document, self)
        self.code_dock = CodeDock(self.document, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.palette_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.properties_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.code_dock)
        self.splitDockWidget(self.properties_dock, self.code_dock, Qt.Orientation.Vertical)
        self.training_dock = TrainingDock(self.document, self, runner=self.runner)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.training_dock)
        self.tabifyDockWidget(self.properties_dock, self.training_dock)
        self.properties_dock.raise_()  # the node editor's form stays in front; the Training tab beside it
        self.feature_maps_dock = FeatureMapsDock(self.document, self, runner=self.runner)
        self.inspector_dock = InspectorDock(self.document, self, runner=self.runner)
        self.devices_dock = DevicesDock(self.document, self, runner=self.runner)
        self.curves_dock = CurvesDock(self.document, self, runner=self.runner)
        self.feature_maps_dock.output_ready.connect(self.inspector_dock.show_output)
        for dock in (self.feature_maps_dock, self.inspector_dock, self.devices_dock, self.curves_dock):
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.hide()  # opened from the View menu
        self.runs_dock = RunsDock(self.document, self, runner=self.runner, files=self.files)
        self.runs_dock.overlays_changed.connect(self._show_overlays)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.runs_dock)
        self.runs_dock.hide()  # opened from the View menu

        self.named_actions = create_actions(self, self.document.undo_stack)
        self._build_menus()
        self._build_toolbar()
        self.status = StatusWidgets(self.statusBar())
        self._connect()
        self._restore_settings()
        self._refresh()
        self._runner_state(IDLE)

    # ---------------------------------------------------------------------------------- building ---
    def action(self, name: str) -> QAction:
        return self.named_actions[name]

    def _menu(self, title: str, name: str, parent: Any = None) -> QMenu:
        menu = (parent or self.menuBar()).addMenu(title)
        menu.setObjectName(name)
        return menu

    def _build_menus(self) -> None:
        a = self.named_actions
        file = self._menu("&File", "menuFile")
        file.addActions([a["actionNew"], a["actionNewFromTemplate"], a["actionOpen"]])
        self.recent_menu = self._menu("Open &Recent", "menuOpenRecent", file)
        file.addSeparator()
        file.addActions([a["actionSave"], a["actionSaveAs"]])
        export = self._menu("&Export", "menuExport", file)
        export.addActions([a["actionExportEngine"], a["actionExportTorch"], a["actionExportDdp"]])
        export.addSeparator()
        export.addAction(a["actionExportWeights"])
        file.addSeparator()
        file.addAction(a["actionQuit"])

        edit = self._menu("&Edit", "menuEdit")
        edit.addActions([a["actionUndo"], a["actionRedo"]])
        edit.addSeparator()
        edit.addActions([a[n] for n in ("actionCut", "actionCopy", "actionPaste", "actionDelete")])
        edit.addSeparator()
        edit.addActions([a["actionSelectAll"], a["actionGroup"], a["actionUngroup"]])

        view = self._menu("&View", "menuView")
        for dock in (self.palette_dock, self.properties_dock, self.code_dock):
            toggle = dock.toggleViewAction()
            name = dock.objectName()
            toggle.setObjectName(f"actionShow{name[0].upper()}{name[1:]}")  # actionShowPaletteDock
            toggle.setShortcut(QKeySequence(DOCK_SHORTCUTS.get(name, "")))
            self.named_actions[toggle.objectName()] = toggle
            view.addAction(toggle)
        for dock in (self.feature_maps_dock, self.inspector_dock, self.devices_dock, self.curves_dock,
                     self.training_dock):
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"actionShow{dock.objectName()[0].upper()}{dock.objectName()[1:]}")
            self.named_actions[toggle.objectName()] = toggle
            view.addAction(toggle)
        runs_toggle = self.runs_dock.toggleViewAction()
        runs_toggle.setObjectName("actionShowRunsDock")
        self.named_actions["actionShowRunsDock"] = runs_toggle
        view.addAction(runs_toggle)
        view.addSeparator()
        view.addActions([a[n] for n in ("actionZoomIn", "actionZoomOut", "actionFit", "actionAutoLayout")])
        view.addSeparator()
        self.theme_group = QActionGroup(self)
        self.theme_group.setObjectName("themeGroup")
        for name in ("actionThemeLight", "actionThemeDark"):
            self.theme_group.addAction(a[name])
            view.addAction(a[name])

        run = self._menu("&Run", "menuRun")
        run.addActions([a["actionTrain"], a["actionPause"], a["actionStop"]])

        help_menu = self._menu("&Help", "menuHelp")
        help_menu.addActions([a["actionShortcuts"], a["actionAbout"]])

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        groups = (("actionNew", "actionOpen", "actionSave"), ("actionUndo", "actionRedo"),
                  ("actionZoomIn", "actionZoomOut", "actionFit", "actionAutoLayout"),
                  ("actionTrain", "actionPause", "actionStop"))
        for i, names in enumerate(groups):
            if i:
                bar.addSeparator()
            bar.addActions([self.named_actions[n] for n in names])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _connect(self) -> None:
        a, doc, files = self.named_actions, self.document, self.files
        a["actionNew"].triggered.connect(files.new)
        a["actionNewFromTemplate"].triggered.connect(lambda: files.new_from_template())
        a["actionOpen"].triggered.connect(lambda: files.open())
        a["actionSave"].triggered.connect(files.save)
        a["actionSaveAs"].triggered.connect(files.save_as)
        a["actionExportEngine"].triggered.connect(lambda: self.export_script("engine"))
        a["actionExportTorch"].triggered.connect(lambda: self.export_script("torch"))
        a["actionExportDdp"].triggered.connect(lambda: self.export_script("torch-ddp"))
        a["actionExportWeights"].triggered.connect(lambda: files.export_weights(self.runner.last_state_dict))
        a["actionQuit"].triggered.connect(self.close)

        a["actionCut"].triggered.connect(self.cut)
        a["actionCopy"].triggered.connect(self.copy)
        a["actionPaste"].triggered.connect(self.paste)
        a["actionDelete"].triggered.connect(self.view.delete_selection)
        a["actionSelectAll"].triggered.connect(self.view.select_all)
        a["actionGroup"].triggered.connect(lambda: self.view.group_selection())
        a["actionUngroup"].triggered.connect(self.view.ungroup_selection)

        a["actionZoomIn"].triggered.connect(self.view.zoom_in)
        a["actionZoomOut"].triggered.connect(self.view.zoom_out)
        a["actionFit"].triggered.connect(self.view.fit_to_view)
        a["actionAutoLayout"].triggered.connect(self.view.auto_layout)
        a["actionThemeLight"].triggered.connect(lambda: self.set_theme("light"))
        a["actionThemeDark"].triggered.connect(lambda: self.set_theme("dark"))

        a["actionTrain"].triggered.connect(self.train)
        a["actionPause"].triggered.connect(self._pause_toggled)
        a["actionStop"].triggered.connect(self.runner.stop)
        a["actionShortcuts"].triggered.connect(self.show_shortcuts)
        a["actionAbout"].triggered.connect(self.show_about)

        doc.changed.connect(self._refresh)
        doc.project_replaced.connect(self._refresh)
        self.scene.selectionChanged.connect(self._selection_changed)  # inside a block too
        doc.undo_stack.cleanChanged.connect(lambda _clean: self._update_title())
        doc.message.connect(self.show_message)
        files.saved.connect(lambda _path: self._update_title())
        files.opened.connect(self._opened)
        files.recent_changed.connect(self._rebuild_recent_menu)
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self.palette_dock.add_requested.connect(self._add_from_palette)
        self.runner.message.connect(self.show_message)
        self.runner.state_changed.connect(self._runner_state)
        self.runner.finished.connect(self._run_finished)
        self.runner.run_started.connect(self._health_for_new_run)
        self.runner.capture.connect(self._show_health)

    # ----------------------------------------------------------------------------------- updates ---
    def _refresh(self) -> None:
        self.status.show_totals(self.document.inference.totals())
        self._update_title()
        self._selection_changed()

    def _update_title(self) -> None:
        star = "*" if self.document.is_modified() else ""
        self.setWindowTitle(f"{self.files.display_name()}{star} — {APP_TITLE}")

    def _selection_changed(self) -> None:
        has = bool(self.view.selected_ids())
        for name in ("actionCut", "actionCopy", "actionDelete", "actionGroup"):
            self.named_actions[name].setEnabled(has)

    def _opened(self) -> None:
        self._refresh()
        QTimer.singleShot(0, self.view.fit_to_view)
        self.offer_recovery()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.files.recent.paths()
        for i, path in enumerate(paths):
            action = self.recent_menu.addAction(f"&{i + 1} {path.name}" if i < 9 else path.name)
            action.setObjectName(f"actionRecent{i}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+Alt+{i + 1}"))
            action.triggered.connect(lambda _checked=False, p=path: self.files.open(p))
        if paths:
            self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear Recent Files")
        clear.setObjectName("actionClearRecent")
        clear.setShortcut(QKeySequence("Ctrl+Alt+0"))
        clear.setEnabled(bool(paths))
        clear.triggered.connect(lambda: (self.files.recent.clear(), self._rebuild_recent_menu()))

    # ------------------------------------------------------------------------------------- edits ---
    def copy(self) -> dict[str, Any] | None:
        data = self.view.copy_selection()
        if not data:
            return None
        mime = QMimeData()
        text = json.dumps(data)
        mime.setData(CLIPBOARD_MIME, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QApplication.clipboard().setMimeData(mime)
        return data

    def cut(self) -> None:
        if self.copy():
            self.view.delete_selection()

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(CLIPBOARD_MIME):
            return
        try:
            data = json.loads(bytes(mime.data(CLIPBOARD_MIME).data()).decode("utf-8"))
        except ValueError:
            return
        self.view.paste(data)

    def _add_from_palette(self, key: str) -> None:
        # through the view: centred like a drop, and into the block being edited when inside one
        self.view.add_layer(key, self.view.center_point())

    # ------------------------------------------------------------------------------------- files ---
    def export_script(self, target: str) -> Any:
        return self.files.export_script(target, weights=self.runner.last_state_dict)

    def offer_recovery(self) -> bool:
        return self.autosave.offer(self, self.dialogs.recover)

    # --------------------------------------------------------------------------------------- run ---
    def train(self) -> bool:
        return self.runner.start(self.document.project)

    def _pause_toggled(self, checked: bool) -> None:
        if checked:
            self.runner.pause()
        else:
            self.runner.start(self.document.project)  # resumes the paused run

    def _health_for_new_run(self) -> None:
        self._health_project = self.document.project  # captures of this run describe this project
        self.scene.clear_health()

    def _show_health(self, info: CaptureInfo) -> None:
        """Badges on the canvas from a capture, unless another project was opened since the run began
        (the scene clears its badges itself then); after the run the last ones stay."""
        if self.document.project is self._health_project:
            self.scene.set_health(node_health(info))

    def _runner_state(self, state: str) -> None:
        a = self.named_actions
        a["actionTrain"].setEnabled(state in (IDLE, PAUSED))
        a["actionTrain"].setText("&Resume" if state == PAUSED else "&Train")
        a["actionPause"].setEnabled(state in (RUNNING, PAUSED))
        a["actionPause"].setChecked(state == PAUSED)
        a["actionStop"].setEnabled(state in (RUNNING, PAUSED))

    def _run_finished(self, result: RunResult) -> None:
        """A failed or diverged run is reported in a dialog too: the status bar message fades in seconds."""
        if result.status not in ("failed", "diverged"):
            return
        title = "Training failed" if result.status == "failed" else "Training diverged"
        text = result.message[:1].upper() + result.message[1:].rstrip(".") + "."
        if result.run_dir is not None:
            text += f"\n\nThe run was saved in {result.run_dir}."
        # after the other slots of `finished` have run: a modal dialog would hold them back until closed
        QTimer.singleShot(0, self, lambda: self.dialogs.error(self, title, text))

    def _show_overlays(self, overlays: list[Any]) -> None:
        """Runs picked in the Runs dock join the live curves (the curves dock opens to show them)."""
        self.curves_dock.set_overlays(overlays)
        if overlays:
            self.curves_dock.show()
            self.curves_dock.raise_()

    # -------------------------------------------------------------------------------------- help ---
    def show_shortcuts(self) -> QDialog:
        dialog = QDialog(self)
        dialog.setObjectName("shortcutsDialog")
        dialog.setWindowTitle("Keyboard Shortcuts")
        native = QKeySequence.SequenceFormat.NativeText
        rows = [(act.text().replace("&", "").rstrip("…"), act.shortcut().toString(native))
                for act in self.named_actions.values() if not act.shortcut().isEmpty()]
        table = QTableWidget(len(rows), 2, dialog)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for r, (text, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(text))
            table.setItem(r, 1, QTableWidgetItem(keys))
        QVBoxLayout(dialog).addWidget(table)
        dialog.resize(440, 560)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_about(self) -> None:
        self.dialogs.info(self, f"About {APP_TITLE}",
                          f"<h3>{APP_TITLE} {__version__}</h3><p>Design, train and understand neural "
                          "networks on an embedded PyTorch-compatible engine.</p>")

    # ----------------------------------------------------------------------------- theme, settings ---
    def set_theme(self, name: str) -> None:
        name = apply_theme(name)
        self.named_actions["actionThemeDark" if name == "dark" else "actionThemeLight"].setChecked(True)
        QSettings().setValue("theme", name)

    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        theme = settings.value("theme", current_theme(), type=str)
        self.set_theme(theme)

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("theme", current_theme())
        settings.sync()

    # ---------------------------------------------------------------------------------- lifetime ---
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._offered_recovery:
            self._offered_recovery = True
            QTimer.singleShot(0, self.offer_recovery)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.files.maybe_save():
            event.ignore()
            return
        if self.runner.state != IDLE:
            self.runner.stop()
            self.runner.wait()
        self.autosave.timer.stop()
        self.autosave.discard()
        self.save_settings()
        event.accept()
