"""The templates gallery: every shipped example project with its title and description; Open starts from
the chosen one, New empty from nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.templates import TemplateInfo, list_templates

NAME_ROLE = Qt.ItemDataRole.UserRole


class StartPage(QDialog):
    """After exec(): `choice` is a template name, "" for an empty project, or None when cancelled."""

    def __init__(self, parent: QWidget | None = None, templates: list[TemplateInfo] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        self.setWindowTitle("New from Template")
        self.resize(640, 480)
        self.choice: str | None = None

        heading = QLabel("<h2>Start from an example</h2>Each template is a complete project, "
                         "dataset and training settings included: open one and press Train.")
        heading.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("templateList")
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        self.list.setAlternatingRowColors(True)
        for info in templates if templates is not None else list_templates():
            item = QListWidgetItem(f"{info.title}\n{info.description}" if info.description else info.title)
            item.setData(NAME_ROLE, info.name)
            item.setToolTip(info.description)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.open_selected())

        buttons = QDialogButtonBox(self)
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("openTemplateButton")
        self.open_button.setDefault(True)
        self.empty_button = QPushButton("New empty", self)
        self.empty_button.setObjectName("newEmptyButton")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.empty_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button.clicked.connect(self.open_selected)
        self.empty_button.clicked.connect(self.new_empty)
        buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(lambda cur, _prev: self.open_button.setEnabled(cur is not None))
        self.open_button.setEnabled(self.list.currentItem() is not None)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def selected_template(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def open_selected(self) -> None:
        name = self.selected_template()
        if name is not None:
            self.choice = name
            self.accept()

    def new_empty(self) -> None:
        self.choice = ""
        self.accept()


def choose_template(parent: QWidget | None = None) -> str | None:
    """Show the gallery: a template name, "" for an empty project, None when cancelled."""
    page = StartPage(parent)
    page.exec()
    return page.choice
