"""The editor's entry point: `studio` (no command) and `make run` land here.

    main([])                  the last project, else the LeNet-5 template (ready to train)
    main(["model.msproj"])    that project
    main(["mlp"])             a template by name
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from studio.graph.errors import GraphError
from studio.graph.project import PROJECT_SUFFIX, Project
from studio.templates import load_template

ORGANIZATION = "Model Studio"
APPLICATION = "Model Studio"
DEFAULT_TEMPLATE = "lenet5"


def configure_application(app: QCoreApplication | None = None) -> None:
    """The names QSettings and QStandardPaths use (settings file, recovery folder)."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    from studio import __version__

    QCoreApplication.setApplicationVersion(__version__)


def load_spec(spec: str) -> Project:
    """A project from a file path, else a template of that name (GraphError when neither works)."""
    path = Path(spec)
    if path.is_file() or path.suffix == PROJECT_SUFFIX or len(path.parts) > 1:
        return Project.load(path)
    return load_template(spec)


def initial_project() -> Project:
    """The project the window opened last, when it still loads; else the default template."""
    last = QSettings().value("lastProject", "", type=str)
    if last and Path(last).is_file():
        try:
            return Project.load(last)
        except GraphError:
            pass
    return load_template(DEFAULT_TEMPLATE)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="studio", description="The Model Studio editor.")
    parser.add_argument("project", nargs="?", metavar="PROJECT",
                        help="a .msproj file or a template name (default: the last project, or LeNet-5)")
    options, qt_args = parser.parse_known_args(args)

    if QApplication.instance() is None:
        from .platform_check import platform_problem

        problem = platform_problem()
        if problem is not None:
            print(f"studio: error: {problem}", file=sys.stderr)
            return 2
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    configure_application(app)
    try:
        project = load_spec(options.project) if options.project else initial_project()
    except GraphError as exc:
        print(f"studio: error: {exc.message}", file=sys.stderr)
        return 2

    from .document import Document
    from .main_window import MainWindow

    window = MainWindow(Document(project))
    if project.path is not None:
        window.files.recent.add(project.path)
    window.show()
    code = int(app.exec())
    release_clipboard(app)
    return code


def release_clipboard(app: QApplication) -> None:
    """Drop our own data from the clipboard before exit: PySide crashes tearing down a clipboard that
    still holds a Python-created QMimeData."""
    clipboard = app.clipboard()
    from .main_window import CLIPBOARD_MIME

    data = clipboard.mimeData()
    if data is not None and data.hasFormat(CLIPBOARD_MIME):
        clipboard.clear()


if __name__ == "__main__":
    raise SystemExit(main())
