"""The Runs dock: the current project's training runs (`<project folder>/runs/`, studio.training.runs) as a
table, one row per run folder: name, status, start, epochs, final losses and metrics, optimizer, learning
rate and batch size. A run folder that cannot be read shows the reason in its row.

Select runs, then:
  Overlay (a toggle)  the selected runs' curves join the live run in the Training Curves dock
                      (`overlays_changed`); they follow the selection while the toggle is on
  Compare             a table of their final metrics and the settings that differ (compare_runs)
  Open graph          the run's graph.msproj snapshot, after the usual save-changes question, as an
                      unsaved copy named after the run: Save asks for a new file, the snapshot stays as it is

The list reloads when a run finishes, when another project is opened or this one saved (its folder may have
changed), and from Refresh. Reading run folders happens on a worker thread. The trainer writes run folders
only for a project that has a file, so an unsaved project shows a line saying so instead of a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.graph.errors import GraphError
from studio.graph.project import Project
from studio.qt.docks.background import BackgroundCall
from studio.qt.docks.curves import Overlay
from studio.qt.document import Document
from studio.training.runs import (
    FIXED_COLUMNS,
    RunError,
    RunInfo,
    compare_runs,
    format_cell,
    list_runs,
    runs_dir,
)

UNSAVED_TEXT = ("Save the project to keep its training runs: training a project that has no file yet "
                "writes no run folder.")
LEADING_COLUMNS = ["Run", "Status", "Started", "Epochs", "Train loss", "Val loss"]
TRAILING_COLUMNS = ["Optimizer", "LR", "Batch size"]
BROKEN_COLOR = QColor(200, 50, 50)


def metric_names(runs: list[RunInfo]) -> list[str]:
    """The validation metrics any run reports in its last epoch (accuracy, ...), sorted."""
    names = {k for run in runs for k in run.metrics if k not in FIXED_COLUMNS and not k.startswith("train_")}
    return sorted(names)


class _Item(QTableWidgetItem):
    """A cell that sorts by its value (numbers as numbers, missing values first), not by its text."""

    def __init__(self, text: str, key: Any = None) -> None:
        super().__init__(text)
        self.key = (0, 0.0) if key is None else (1, key) if isinstance(key, (int, float)) else (2, repr(key))
        self.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _Item):
            return self.key < other.key
        return super().__lt__(other)


def _read_overlays(runs: list[RunInfo]) -> tuple[list[tuple[Path, Overlay]], list[str]]:
    read, problems = [], []
    for run in runs:
        try:
            read.append((run.path, Overlay.from_run(run)))
        except RunError as exc:
            problems.append(f"{run.name}: {exc}")
    return read, problems


class RunsDock(QDockWidget):
    runs_loaded = Signal(list)  # list[RunInfo], after every (re)load
    overlays_changed = Signal(list)  # list[Overlay] to draw beside the live run ([] = none)

    def __init__(self, document: Document, parent: QWidget | None = None, *, runner: Any = None,
                 files: Any = None) -> None:
        super().__init__("Runs", parent)
        self.setObjectName("runsDock")
        self.document = document
        self.files = files  # ProjectFiles: the save-changes question and "opened" for Open graph
        self.runs: list[RunInfo] = []
        self.loader = BackgroundCall(self)  # the run list
        self.loader.done.connect(self._loaded)
        self.overlay_reader = BackgroundCall(self)  # the selected runs' curves
        self.overlay_reader.done.connect(self._overlays_read)
        for worker in (self.loader, self.overlay_reader):
            worker.failed.connect(lambda message: self.notice.setText(f"Cannot read the runs: {message}"))
        self._overlay_cache: dict[Path, Overlay] = {}

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("refreshRunsButton")
        self.overlay_button = QPushButton("Overlay")
        self.overlay_button.setObjectName("overlayRunsButton")
        self.overlay_button.setCheckable(True)
        self.overlay_button.setToolTip("Show the selected runs' curves in the Training Curves dock")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareRunsButton")
        self.compare_button.setToolTip("Final metrics and differing settings of the selected runs")
        self.open_button = QPushButton("Open graph")
        self.open_button.setObjectName("openRunGraphButton")
        self.open_button.setToolTip("Open the graph this run trained, as an unsaved copy")
        controls = QHBoxLayout()
        for button in (self.refresh_button, self.overlay_button, self.compare_button, self.open_button):
            controls.addWidget(button)
        controls.addStretch(1)
        self.notice = QLabel()
        self.notice.setObjectName("runsNotice")
        self.notice.setWordWrap(True)
        self.table = QTableWidget(0, len(LEADING_COLUMNS) + len(TRAILING_COLUMNS))
        self.table.setObjectName("runsTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(LEADING_COLUMNS.index("Started"), Qt.SortOrder.DescendingOrder)  # newest 1st

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        self.setWidget(body)

        self.refresh_button.clicked.connect(self.refresh)
        self.overlay_button.toggled.connect(lambda _on: self.update_overlays())
        self.compare_button.clicked.connect(lambda: self.compare())
        self.open_button.clicked.connect(lambda: self.open_graph())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.open_graph())
        document.project_replaced.connect(self.refresh)
        if runner is not None:
            runner.finished.connect(lambda _result: self.refresh())
        if files is not None:
            files.saved.connect(lambda _path: self.refresh())
        self.refresh()

    # ------------------------------------------------------------------------------------ loading ---
    def refresh(self) -> bool:
        """Reload the project's runs off the event loop; False when the project has no file (no runs)."""
        self._overlay_cache.clear()
        path = self.document.path
        if path is None:
            self.loader.forget()
            self._show_runs([])
            self.notice.setText(UNSAVED_TEXT)
            return False
        self.notice.setText("Loading runs…")
        self.loader.call(list_runs, path)
        return True

    def _loaded(self, runs: list[RunInfo]) -> None:
        if self.document.path is None:  # the project lost its file while loading (New)
            return
        selected = {run.path for run in self.selected_runs()}
        self._show_runs(runs, selected)
        folder = runs_dir(self.document.path)
        self.notice.setText(f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {folder}" if runs else
                            f"No runs yet: training this project keeps each run in {folder}")
        self.runs_loaded.emit(list(runs))

    # ------------------------------------------------------------------------------------ the table ---
    def _show_runs(self, runs: list[RunInfo], selected: set[Path] | None = None) -> None:
        self.runs = list(runs)
        metrics = metric_names(self.runs)
        columns = [*LEADING_COLUMNS, *metrics, *TRAILING_COLUMNS]
        table = self.table
        table.blockSignals(True)
        table.setSortingEnabled(False)
        table.clearContents()
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels(columns)
        table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            for column, item in enumerate(self._row_items(run, metrics)):
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, row)
                table.setItem(row, column, item)
        table.setSortingEnabled(True)
        self._select_rows([r for r in range(table.rowCount()) if self._run_at(r).path in (selected or set())])
        table.blockSignals(False)
        table.resizeColumnsToContents()
        self._update_buttons()

    def _row_items(self, run: RunInfo, metrics: list[str]) -> list[_Item]:
        settings, last = run.settings, run.metrics
        options = settings.get("optimizer_options")
        lr = options.get("lr") if isinstance(options, dict) else None
        status = f"broken: {run.error}" if run.error else run.status
        values = [run.epochs_done, last.get("train_loss"), last.get("val_loss"),
                  *(last.get(m) for m in metrics)]
        items = [_Item(run.name, run.name), _Item(status, status),
                 _Item(run.started.replace("T", " "), (run.started, run.name)),
                 *(_Item(format_cell(v), v) for v in values),
                 _Item(str(settings.get("optimizer", "-")), settings.get("optimizer")),
                 *(_Item(format_cell(v), v) for v in (lr, settings.get("batch_size")))]
        tip = "\n".join(t for t in (str(run.path), run.message, run.error) if t)
        for item in items:
            item.setToolTip(tip)
        if run.error:
            items[1].setForeground(QBrush(BROKEN_COLOR))
        return items

    def _run_at(self, row: int) -> RunInfo:
        return self.runs[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)]

    def selected_runs(self) -> list[RunInfo]:
        """The selected runs, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._run_at(row) for row in rows if self.table.item(row, 0) is not None]

    def select_runs(self, names: list[str]) -> None:
        """Select the runs with these folder names (the others are deselected)."""
        self._select_rows([r for r in range(self.table.rowCount()) if self._run_at(r).name in names])

    def _select_rows(self, rows: list[int]) -> None:
        selection = QItemSelection()
        model = self.table.model()
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        flag = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().select(selection, flag.ClearAndSelect | flag.Rows)

    def _selection_changed(self) -> None:
        self._update_buttons()
        self.update_overlays()

    def _update_buttons(self) -> None:
        count = len(self.selected_runs())
        self.compare_button.setEnabled(count >= 2)
        self.open_button.setEnabled(count == 1 and self.files is not None)

    # ----------------------------------------------------------------------------------- overlays ---
    def update_overlays(self) -> None:
        """Overlay on: read the selected runs' curves (worker) and send them; off or nothing selected: []."""
        runs = self.selected_runs() if self.overlay_button.isChecked() else []
        cached = [(run.path, self._overlay_cache.get(run.path)) for run in runs]
        if all(overlay is not None for _, overlay in cached):  # also nothing selected: no overlays
            self.overlay_reader.forget()
            self._overlays_read((cached, []))
            return
        self.overlay_reader.call(_read_overlays, runs)

    def _overlays_read(self, result: tuple[list[tuple[Path, Overlay]], list[str]]) -> None:
        read, problems = result
        self._overlay_cache.update(read)
        if problems:
            self.notice.setText("Cannot overlay " + "; ".join(problems))
        self.overlays_changed.emit([overlay for _, overlay in read])

    # ----------------------------------------------------------------------------------- compare ---
    def compare(self) -> QDialog | None:
        """A window with the selected runs' final metrics and differing settings; None under two runs."""
        runs = self.selected_runs()
        if len(runs) < 2:
            self.notice.setText("Select two or more runs to compare them.")
            return None
        result = compare_runs(runs)
        dialog = QDialog(self)
        dialog.setObjectName("runsCompareDialog")
        dialog.setWindowTitle(f"Compare {len(runs)} runs")
        table = QTableWidget(len(result.rows), len(result.columns), dialog)
        table.setObjectName("runsCompareTable")
        table.setHorizontalHeaderLabels(result.columns)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        for r, values in enumerate(result.rows):
            for c, value in enumerate(values):
                table.setItem(r, c, _Item(format_cell(value), value))
        table.resizeColumnsToContents()
        copy = QPushButton("Copy as text")
        copy.setObjectName("copyComparisonButton")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(result.to_text()))
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(copy, 0, Qt.AlignmentFlag.AlignRight)
        dialog.resize(720, 240)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -------------------------------------------------------------------------------- open graph ---
    def open_graph(self, run: RunInfo | None = None) -> bool:
        """Show the graph a run trained as an unsaved copy named after it (the current project may be
        saved first); False when cancelled or unreadable (the error is shown)."""
        if run is None:
            runs = self.selected_runs()
            if len(runs) != 1 or self.files is None:
                return False
            run = runs[0]
        if not self.files.maybe_save():
            return False
        snapshot = run.path / "graph.msproj"
        try:
            project = Project.load(snapshot)
        except GraphError as exc:
            text = exc.message if str(snapshot) in exc.message else f"{snapshot}: {exc.message}"
            self.files.dialogs.error(self.files.window, "Cannot open the run's graph", text)
            return False
        project.path = None  # Save asks for a new file: the snapshot is never overwritten
        project.name = run.name
        self.document.replace_project(project)
        self.files.opened.emit()
        self.document.message.emit(f"Opened the graph of run {run.name} as an unsaved copy")
        return True
