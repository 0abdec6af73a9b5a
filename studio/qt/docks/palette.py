"""The layer palette: every layer type by category (and the presets such as SN-Conv2d), a search box,
drag onto the canvas or double-click to add."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, Qt, Signal
from PySide6.QtGui import QDrag, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.graph import registry
from studio.graph.commands import AddNode
from studio.qt.document import Document

MIME_TYPE = "application/x-model-studio-layer"
KEY_ROLE = Qt.ItemDataRole.UserRole  # a leaf's layer type or preset label
DATA_CATEGORY = "Data"
_DATA_ROLES = (registry.ROLE_INPUT, registry.ROLE_TARGET, registry.ROLE_OUTPUT)
# A Block node needs a block definition (made by grouping nodes), so it cannot come from the palette.
_HIDDEN_ROLES = (registry.ROLE_BLOCK,)


def layer_mime_data(name: str) -> QMimeData:
    """What a palette drag carries: the layer type or preset label as UTF-8 under MIME_TYPE."""
    data = QMimeData()
    data.setData(MIME_TYPE, QByteArray(name.encode("utf-8")))
    return data


def resolve_layer(name: str) -> tuple[str, dict[str, Any]]:
    """(layer type, preset parameters) for a palette entry: a preset label or a plain layer type."""
    preset = registry.presets().get(name)
    if preset is not None:
        return preset[0], dict(preset[1])
    return name, {}


def doc_line(doc: str) -> str:
    return doc.strip().splitlines()[0] if doc.strip() else ""


def palette_entries() -> dict[str, list[tuple[str, str]]]:
    """category -> [(key, tooltip)] in palette order: Data first, each preset after its layer type."""
    grouped: dict[str, list[tuple[str, str]]] = {DATA_CATEGORY: []}
    by_type: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for label, (layer_type, params) in registry.presets().items():
        by_type.setdefault(layer_type, []).append((label, params))
    for category, specs in registry.categories().items():
        for spec in specs:
            if spec.role in _HIDDEN_ROLES:
                continue
            group = DATA_CATEGORY if spec.role in _DATA_ROLES else category
            entries = grouped.setdefault(group, [])
            entries.append((spec.type, doc_line(spec.doc)))
            for label, params in by_type.get(spec.type, ()):
                preset = ", ".join(f"{k}={v!r}" for k, v in params.items())
                entries.append((label, f"{doc_line(spec.doc)}\n{spec.type} with {preset}"))
    return {category: entries for category, entries in grouped.items() if entries}


class PaletteTree(QTreeWidget):
    """Categories -> entries; dragging an entry starts a QDrag carrying `layer_mime_data(key)`."""

    activated_key = Signal(str)  # Enter on an entry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paletteTree")
        self.setHeaderHidden(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt's name
        return [MIME_TYPE]

    def mimeData(self, items: Any) -> QMimeData:  # noqa: N802 - Qt's name
        keys = [item.data(0, KEY_ROLE) for item in items if item.data(0, KEY_ROLE)]
        return layer_mime_data(keys[0]) if keys else QMimeData()

    def startDrag(self, supported_actions: Qt.DropAction) -> None:  # noqa: N802 - Qt's name
        # Not QAbstractItemView's: a drop the target accepts as a move would remove the palette entry.
        item = self.currentItem()
        key = item.data(0, KEY_ROLE) if item is not None else None
        if not key:
            return
        drag = QDrag(self)
        drag.setMimeData(layer_mime_data(key))
        drag.setPixmap(self.viewport().grab(self.visualItemRect(item)))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None \
                and item.data(0, KEY_ROLE):
            self.activated_key.emit(item.data(0, KEY_ROLE))
            return
        super().keyPressEvent(event)


class PaletteDock(QDockWidget):
    """Layers to add. `add_requested(key)` asks the window to add an entry at the view centre."""

    add_requested = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__("Layers", parent)
        self.setObjectName("paletteDock")
        self.document = document
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit(body)
        self.search.setObjectName("paletteSearch")
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = PaletteTree(body)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._populate()
        self.search.textChanged.connect(self.set_filter)
        self.search.returnPressed.connect(self._add_first_match)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.tree.activated_key.connect(self.add_requested)

    def _populate(self) -> None:
        self.tree.clear()
        for category, entries in palette_entries().items():
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setData(0, KEY_ROLE, "")
            for key, tooltip in entries:
                item = QTreeWidgetItem(group, [key])
                item.setData(0, KEY_ROLE, key)
                item.setToolTip(0, tooltip)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
        self.tree.expandAll()

    # ----------------------------------------------------------------------------------- queries ---
    def categories(self) -> list[str]:
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]

    def item(self, key: str) -> QTreeWidgetItem | None:
        for group in self._groups():
            for i in range(group.childCount()):
                if group.child(i).data(0, KEY_ROLE) == key:
                    return group.child(i)
        return None

    def visible_keys(self) -> list[str]:
        return [group.child(i).data(0, KEY_ROLE) for group in self._groups() if not group.isHidden()
                for i in range(group.childCount()) if not group.child(i).isHidden()]

    def _groups(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]

    # ----------------------------------------------------------------------------------- actions ---
    def set_filter(self, text: str) -> None:
        """Show the entries whose name (or category) contains `text`, ignoring case."""
        needle = text.strip().lower()
        for group in self._groups():
            whole_group = bool(needle) and needle in group.text(0).lower()
            shown = 0
            for i in range(group.childCount()):
                child = group.child(i)
                match = not needle or whole_group or needle in child.text(0).lower()
                child.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)
            group.setExpanded(True)

    def add_layer(self, key: str, position: tuple[float, float] = (0.0, 0.0)) -> str | None:
        """Add a layer type or preset at `position` as one undo step and select it; the new node's id,
        or None when the document refused (it says why through `message`)."""
        layer_type, params = resolve_layer(key)
        command = AddNode(layer_type, params, position=position)
        if not self.document.execute(command):
            return None
        assert command.node_id is not None
        self.document.set_selection([command.node_id])
        return command.node_id

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, KEY_ROLE)
        if key:
            self.add_requested.emit(key)

    def _add_first_match(self) -> None:
        keys = self.visible_keys()
        if self.search.text().strip() and keys:
            self.add_requested.emit(keys[0])
