"""Example projects shipped in assets/templates/ (built by tools/make_templates.py). Qt-free.

A template's title is its project name; its description is the file's "description" entry.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .graph.errors import ProjectFormatError
from .graph.project import PROJECT_SUFFIX, Project


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    title: str
    description: str
    path: Path


class UnknownTemplateError(ProjectFormatError):
    """No template has this name; the message lists the ones there are."""


def templates_dir() -> Path:
    """assets/templates of the source tree, or of a bundled app (PyInstaller unpacks into _MEIPASS)."""
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled is not None:
        candidate = Path(bundled) / "assets" / "templates"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parent.parent / "assets" / "templates"


def _info(path: Path) -> TemplateInfo:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    name = path.name[:-len(PROJECT_SUFFIX)]
    title = data.get("name") if isinstance(data.get("name"), str) else name
    description = data.get("description") if isinstance(data.get("description"), str) else ""
    return TemplateInfo(name, title, description, path)


def list_templates() -> list[TemplateInfo]:
    """The shipped templates, sorted by name."""
    folder = templates_dir()
    if not folder.is_dir():
        return []
    return [_info(path) for path in sorted(folder.glob(f"*{PROJECT_SUFFIX}"))]


def template_path(name: str) -> Path:
    """The file of template `name` (with or without the .msproj suffix)."""
    stem = name[:-len(PROJECT_SUFFIX)] if name.endswith(PROJECT_SUFFIX) else name
    path = templates_dir() / f"{stem}{PROJECT_SUFFIX}"
    if "/" in stem or "\\" in stem or not path.is_file():
        available = ", ".join(t.name for t in list_templates()) or "none are installed"
        raise UnknownTemplateError(f"there is no template {name!r} (available: {available})")
    return path


def load_template(name: str) -> Project:
    """A fresh Project from template `name`. It has no path: saving it asks where, so the shipped file
    is never overwritten."""
    project = Project.load(template_path(name))
    project.path = None
    return project
