"""The one app fixture of the GUI tests: Qt's test-mode standard paths (settings and recovery files go to
~/.qttest, never the user's own), test organisation/application names, and settings and recovery files
cleared before and after every test.

HOME points at a fresh folder for the whole session, so two test runs at once (or a developer's own
studio) never share ~/.qttest's settings and recovery files."""

import os
import shutil
import tempfile
from pathlib import Path

os.environ["HOME"] = tempfile.mkdtemp(prefix="studio-qt-tests-")

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths

from studio.graph.project import Project
from studio.qt.document import Document
from studio.qt.files import Dialogs
from studio.templates import load_template

TEST_ORGANIZATION = "Model Studio Tests"
TEST_APPLICATION = "Model Studio Tests"


def _reset() -> None:
    QSettings().clear()
    QSettings().sync()
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    shutil.rmtree(Path(base) / "recovery", ignore_errors=True)


@pytest.fixture(autouse=True)
def studio_app(qapp):
    QStandardPaths.setTestModeEnabled(True)
    QCoreApplication.setOrganizationName(TEST_ORGANIZATION)
    QCoreApplication.setApplicationName(TEST_APPLICATION)
    _reset()
    yield qapp
    _reset()
    # A QMimeData still on the clipboard when the interpreter exits crashes PySide's teardown (segfault
    # after the last test); the app releases it the same way when it quits.
    from studio.qt.app import release_clipboard

    release_clipboard(qapp)


class Answers(Dialogs):
    """Dialogs that answer from queues instead of asking; an unexpected question fails the test."""

    def __init__(self) -> None:
        super().__init__(open_path=self._open, save_path=self._save, save_changes=self._changes,
                         recover=self._recover, choose_template=self._template, error=self._error,
                         info=self._info)
        self.open_paths: list[str] = []
        self.save_paths: list[str] = []
        self.save_changes_answers: list = []
        self.recover_answers: list[bool] = []
        self.templates: list[str | None] = []
        self.asked: list[str] = []  # every question, in order
        self.errors: list[str] = []

    def _pop(self, queue: list, what: str):
        self.asked.append(what)
        assert queue, f"the window asked {what!r} unexpectedly"
        return queue.pop(0)

    def _open(self, parent, caption, directory, filters):
        return self._pop(self.open_paths, caption)

    def _save(self, parent, caption, directory, filters):
        return self._pop(self.save_paths, caption)

    def _changes(self, parent, name):
        return self._pop(self.save_changes_answers, f"save changes to {name}")

    def _recover(self, parent, recovery, project):
        return self._pop(self.recover_answers, "recover")

    def _template(self, parent):
        return self._pop(self.templates, "template")

    def _error(self, parent, title, text):
        self.errors.append(f"{title}: {text}")

    def _info(self, parent, title, text):
        self.asked.append(title)


@pytest.fixture
def answers():
    return Answers()


@pytest.fixture
def make_window(qtbot, answers):
    """make_window(project=None) -> a shown MainWindow with the injected `answers` dialogs."""
    from studio.qt.main_window import MainWindow

    def make(project: Project | str | None = None, *, show: bool = True):
        if isinstance(project, str):
            project = load_template(project)
        window = MainWindow(Document(project or Project()), dialogs=answers)
        # a test may end with unsaved edits: closing then must not stop to ask about them
        qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    return make
