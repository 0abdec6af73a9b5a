"""The README stays true to the program: its images exist (and stay small), every `studio` command and option
is in its command table, and every dock of the window is named in it."""

import argparse
import ast
import pathlib
import re

from studio import cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAX_IMAGE_BYTES = 400_000


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _command_rows() -> dict[str, str]:
    """README command-table rows by the command they start with: "| `studio train PROJECT ...` | ..."."""
    rows = {}
    for line in README.splitlines():
        match = re.match(r"\| `studio ([a-z-]+)", line)
        if match:
            rows[match.group(1)] = line
    return rows


def _dock_titles() -> list[str]:
    """The title of every QDockWidget subclass in studio/qt/docks (the first argument of its
    super().__init__), read from the source so this test needs no Qt."""
    titles = []
    for path in sorted((ROOT / "studio" / "qt" / "docks").glob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(cls, ast.ClassDef) or "QDockWidget" not in {ast.unparse(b) for b in cls.bases}:
                continue
            for call in ast.walk(cls):
                if (isinstance(call, ast.Call) and ast.unparse(call.func) == "super().__init__" and call.args
                        and isinstance(call.args[0], ast.Constant)):
                    titles.append(call.args[0].value)
    return titles


def test_readme_images_exist_and_stay_small():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert images, "the README shows no screenshot"
    for name in images:
        path = ROOT / name
        assert path.is_file(), f"README shows {name}, which does not exist"
        assert path.stat().st_size < MAX_IMAGE_BYTES, f"{name} is {path.stat().st_size} bytes"


def test_every_command_and_option_is_in_the_readme_table():
    rows = _command_rows()
    for name, parser in _subcommands().items():
        assert name in rows, f"`studio {name}` has no row in the README's command table"
        for action in parser._actions:
            flags = [f for f in action.option_strings if f not in ("-h", "--help")]
            if flags:  # either spelling will do: `-o FILE` documents --output
                assert any(re.search(rf"(?<![\w-]){re.escape(f)}\b", rows[name]) for f in flags), \
                    f"`studio {name}` option {flags} is missing from its README row"
            for choice in action.choices or ():
                assert str(choice) in rows[name], f"`studio {name}` {flags}: {choice!r} is not in the README"


def test_every_dock_is_named_in_the_readme():
    titles = _dock_titles()
    assert {"Training", "Training Curves", "Feature Maps", "Runs"} <= set(titles)
    missing = [title for title in titles if not re.search(rf"\b{re.escape(title)}\b", README)]
    assert not missing, f"the README never names the docks {missing}"
