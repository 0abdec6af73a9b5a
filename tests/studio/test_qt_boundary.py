"""Qt lives only under studio/qt: the graph model, trainer and CLI import (and test) without it."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6")


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_qt_import_outside_studio_qt():
    offenders = []
    for folder in ("studio", "engine"):
        for path in (ROOT / folder).rglob("*.py"):
            if (ROOT / "studio" / "qt") in path.parents:
                continue
            found = _imports(path) & set(QT_MODULES)
            if found:
                offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(found))}")
    assert not offenders, "Qt imported outside studio/qt:\n" + "\n".join(offenders)


def test_studio_core_imports_without_loading_qt():
    code = ("import sys, studio.graph.model, studio.graph.registry, studio.cli, engine; "
            "studio.graph.registry.all_specs(); "
            f"print([m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
