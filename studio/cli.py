"""The `studio` command: the GUI, and train / export / info / templates from a terminal. Qt-free here:
the GUI is imported only when it is started.

Exit codes: 0 done, 1 the work failed (a graph error, a diverged or failed run), 2 bad usage or a project
that cannot be read (one "studio: error: ..." line, never a traceback), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from . import __version__

EXPORT_TARGETS = ("engine", "torch", "torch-ddp")
DEVICES = ("cpu", "cuda", "auto")


class CliError(Exception):
    """One line for the user; main() prints it as 'studio: error: <message>' and exits with `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------- parser ---
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio", description="Model Studio: design, train and understand neural networks. "
                                   "Without a command it starts the editor.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    project_help = "a .msproj file, or the name of a template (see `studio templates`)"

    train = sub.add_parser("train", help="train a project and save the run",
                           description="Train a project; the run (checkpoints, history) goes to "
                                       "<project folder>/runs/<time>[-name]/ (./runs/ for a template).")
    train.add_argument("project", metavar="PROJECT", help=project_help)
    train.add_argument("--epochs", type=_positive_int, help="epochs to train (default: the project's)")
    train.add_argument("--device", choices=DEVICES, help="where to train (default: the project's setting)")
    train.add_argument("--run-name", metavar="NAME", help="appended to the run folder's name")
    train.add_argument("--quiet", action="store_true",
                       help="no progress bar or messages: epoch summaries and the result only")
    train.set_defaults(func=_cmd_train)

    export = sub.add_parser("export", help="write the model as a standalone Python script",
                            description="Write the project as a training script for a target.")
    export.add_argument("project", metavar="PROJECT", help=project_help)
    export.add_argument("--target", choices=EXPORT_TARGETS, required=True, help="the script's framework")
    export.add_argument("-o", "--output", metavar="FILE", required=True, type=Path,
                        help="the script to write")
    export.set_defaults(func=_cmd_export)

    info = sub.add_parser("info", help="show each node's output shape, parameters and FLOPs",
                          description="Show the graph's shapes and costs; exits 1 if the graph has errors.")
    info.add_argument("project", metavar="PROJECT", help=project_help)
    info.set_defaults(func=_cmd_info)

    templates = sub.add_parser("templates", help="list the example projects",
                               description="List the example projects that PROJECT may name.")
    templates.set_defaults(func=_cmd_templates)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] not in SUBCOMMANDS and _names_a_project(argv[0]):
        return _start_gui(argv)  # `studio model.msproj` opens that project in the editor
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _start_gui([])
    try:
        return args.func(args)
    except CliError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return exc.code


SUBCOMMANDS = ("train", "export", "info", "templates")


def _names_a_project(arg: str) -> bool:
    """A .msproj path, an existing file, or a template name (anything else is a usage error)."""
    from .graph.project import PROJECT_SUFFIX
    from .templates import list_templates

    path = Path(arg)
    return path.suffix == PROJECT_SUFFIX or path.is_file() or arg in {t.name for t in list_templates()}


def _start_gui(argv: list[str]) -> int:
    try:
        from .qt.app import main as gui_main  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name == "PySide6":
            print("studio: error: the editor needs PySide6 (pip install 'PySide6-Essentials>=6.9,<6.12')",
                  file=sys.stderr)
            return 2
        if exc.name != "studio.qt.app":
            raise  # a real bug inside the GUI must not pass for "not built"
        print("Model Studio: the editor is not available in this build yet.\n"
              "Meanwhile try `studio templates`, `studio info lenet5` or `studio train lenet5`.")
        return 0
    return int(gui_main(argv) or 0)


# ------------------------------------------------------------------------------------ loading ---
def load_project(spec: str) -> Any:
    """A project from a file path, or else from a template of that name; CliError if neither works."""
    from .graph.errors import GraphError
    from .graph.project import PROJECT_SUFFIX, Project
    from .templates import load_template

    path = Path(spec)
    looks_like_path = path.suffix == PROJECT_SUFFIX or len(path.parts) > 1
    try:
        if path.is_file() or looks_like_path:
            return Project.load(path)
        return load_template(spec)
    except GraphError as exc:
        if path.is_file() or looks_like_path:
            message = exc.message
            raise CliError(message if str(path) in message else f"{path}: {message}") from None
        raise CliError(exc.message) from None


# -------------------------------------------------------------------------------------- info ---
def _cmd_info(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from .graph.inference import ERROR, Inference
    from .graph.shapes import format_shape

    out = out or sys.stdout
    project = load_project(args.project)
    graph = project.graph
    inference = Inference(graph, attach=False)
    try:
        totals = inference.totals()
        order = graph.topological_order()
    except Exception as exc:  # a cycle in a hand-edited file
        raise CliError(str(getattr(exc, "message", exc)), 1) from None
    rows = [("node", "type", "output shape", "params", "FLOPs")]
    for node_id in order:
        node, info = graph.nodes[node_id], inference.infos[node_id]
        shapes = {port: shape for port, shape in info.outputs.items()}
        if len(shapes) == 1:
            shape_text = format_shape(next(iter(shapes.values())))
        else:
            shape_text = ", ".join(f"{port} {format_shape(s)}" for port, s in shapes.items()) or "-"
        if info.status == ERROR:
            shape_text = "error"
        cost = info.cost
        rows.append((node_id, node.type, shape_text, _count(cost.params) if cost else "-",
                     _si(cost.flops).strip() if cost else "-"))
    _table(rows, out, right=(3, 4))
    print(f"\n{project.name}: {len(graph)} nodes, {totals.params:,} parameters, "
          f"{_si(totals.flops)}FLOPs and {_si(totals.activations)} activations per sample", file=out)
    errors = [(nid, info) for nid, info in inference.infos.items() if info.status == ERROR]
    unknown = [(nid, info) for nid, info in inference.infos.items() if info.status not in (ERROR, "ok")]
    for nid, info in unknown:
        print(f"note: {nid}: {info.message}", file=out)
    if errors:
        print(f"\n{len(errors)} error{'s' if len(errors) > 1 else ''}:", file=out)
        for nid, info in errors:
            port = f" (input {info.error.port!r})" if info.error is not None and info.error.port else ""
            print(f"  {nid}{port}: {info.message}", file=out)
        return 1
    return 0


def _count(n: int) -> str:
    return f"{n:,}"


def _si(n: float) -> str:
    """1234567 -> '1.23 M', 870 -> '870 '; the trailing unit prefix reads well before 'FLOPs'."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= factor:
            return f"{n / factor:.3g} {prefix}"
    return f"{n:g} "


def _table(rows: list[tuple[str, ...]], out: TextIO, right: tuple[int, ...] = ()) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for r, row in enumerate(rows):
        cells = [cell.rjust(w) if i in right and r else cell.ljust(w) for i, (cell, w) in
                 enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip(), file=out)
        if r == 0:
            print("  ".join("-" * w for w in widths), file=out)


# --------------------------------------------------------------------------------- templates ---
def _cmd_templates(args: argparse.Namespace) -> int:
    from .templates import list_templates

    templates = list_templates()
    if not templates:
        print("no templates are installed")
        return 0
    width = max(len(t.name) for t in templates)
    for t in templates:
        print(f"{t.name.ljust(width)}  {t.title}")
        if t.description:
            print(textwrap.fill(t.description, width=100, initial_indent=" " * (width + 2),
                                subsequent_indent=" " * (width + 2)))
    return 0


# ------------------------------------------------------------------------------------ export ---
def _cmd_export(args: argparse.Namespace) -> int:
    from .graph.errors import GraphError

    project = load_project(args.project)
    try:
        from .export import write_export
    except ImportError as exc:
        raise CliError(f"export is not available in this build ({exc})", 1) from None
    try:
        path = write_export(project, args.target, args.output)
    except GraphError as exc:
        raise CliError(f"cannot export {project.name}: {exc.message}", 1) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}", 1) from None
    print(path)
    return 0


# ------------------------------------------------------------------------------------- train ---
def _cmd_train(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    if args.device:
        project.settings["device"] = args.device
    from .graph.errors import GraphError
    from .training.runs import new_run_dir
    from .training.trainer import Trainer

    progress = Progress(sys.stderr, quiet=args.quiet)
    try:
        trainer = Trainer(project, callbacks=progress, run_name=args.run_name)
    except GraphError as exc:  # the graph does not compile
        raise CliError(f"cannot train {project.name}: {exc.message}", 1) from None
    except Exception as exc:  # a setting or dataset the trainer refuses: one line, never a traceback
        raise CliError(str(exc), 1) from None
    if project.path is None:  # a template: its run goes to ./runs/, never into the installed files
        trainer.run_dir = new_run_dir(Path.cwd() / "runs", args.run_name)
    with _stop_on_interrupt(trainer, progress) as interrupted:
        try:
            result = trainer.run(epochs=args.epochs)
        except KeyboardInterrupt:
            progress.end_line()
            print("studio: interrupted", file=sys.stderr)
            return 130
    progress.end_line()
    if result.status in ("finished", "stopped"):
        if result.message:
            print(result.message, file=sys.stderr, flush=True)
        code = 130 if interrupted.is_set() else 0
    else:
        print(f"studio: training {result.status}: {result.message}", file=sys.stderr, flush=True)
        code = 1
    if result.run_dir is not None:
        print(f"run saved in {result.run_dir}", flush=True)
    return code


@contextmanager
def _stop_on_interrupt(trainer: Any, progress: Progress) -> Iterator[threading.Event]:
    """The first Ctrl-C asks the trainer to stop after its current batch (it saves what it has); a
    second one interrupts at once."""
    interrupted = threading.Event()
    stop = getattr(trainer, "stop", None)
    if threading.current_thread() is not threading.main_thread() or stop is None:
        yield interrupted
        return

    def handler(signum: int, frame: Any) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()
        progress.end_line()
        print("stopping after this batch (Ctrl-C again to quit at once)...", file=sys.stderr)
        stop()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


class Progress:
    """Trainer callbacks drawing a progress bar redrawn in place (\\r), and one line per epoch."""

    BAR = 24

    def __init__(self, stream: TextIO, *, quiet: bool = False, min_interval: float = 0.1) -> None:
        self.stream = stream
        self.quiet = quiet
        self.min_interval = min_interval
        self._last_draw = 0.0
        self._width = 0
        self._epoch_start = time.perf_counter()
        self._epoch = 0
        self._loss_sum = 0.0
        self._loss_count = 0
        self._pending: str | None = None

    def on_batch(self, info: Any) -> None:
        self._flush_message()
        if info.epoch != self._epoch:
            self._epoch, self._epoch_start = info.epoch, time.perf_counter()
            self._loss_sum, self._loss_count = 0.0, 0
        self._loss_sum += info.loss
        self._loss_count += 1
        if self.quiet:
            return
        now = time.perf_counter()
        batches = getattr(info, "batches", 0) or 0
        batch = getattr(info, "batch", 0) or self._loss_count
        if now - self._last_draw < self.min_interval and batch != batches:
            return
        self._last_draw = now
        self._draw(self._bar_text(info, batch, batches, now))

    def _bar_text(self, info: Any, batch: int, batches: int, now: float) -> str:
        parts = [f"epoch {info.epoch}"]
        if batches:
            filled = int(self.BAR * batch / batches)
            parts.append(f"[{'#' * filled}{'.' * (self.BAR - filled)}] {batch}/{batches}")
        else:
            parts.append(f"batch {batch}")
        parts.append(f"loss {self._loss_sum / self._loss_count:.4f}")
        accuracy = (getattr(info, "metrics", None) or {}).get("accuracy")
        if accuracy is not None:
            parts.append(f"acc {accuracy:.1%}")
        parts.append(f"{info.samples_per_s:,.0f} samples/s")
        if batches and batch:
            eta = (now - self._epoch_start) / batch * (batches - batch)
            parts.append(f"ETA {_duration(eta)}")
        return "  ".join(parts)

    def on_epoch(self, info: Any) -> None:
        parts = [f"epoch {info.epoch}: train loss {info.train_loss:.4f}"]
        if info.val_loss is not None:
            parts.append(f"val loss {info.val_loss:.4f}")
        for name, value in info.metrics.items():
            if value is None:
                continue
            label = name.replace("_", " ")
            shown = f"{value:.1%}" if "accuracy" in name or name.startswith("top") else f"{value:.4g}"
            parts.append(f"{label} {shown}")
        seconds = getattr(info, "seconds", 0.0)
        if seconds:
            parts.append(_duration(seconds))
        self._flush_message()
        self.end_line()
        print(", ".join(parts), file=self.stream, flush=True)

    def on_message(self, text: str) -> None:
        # the trainer also reports a failure's traceback (kept in the run folder) and repeats the result's
        # message; the command prints the result itself, so the last message waits for on_finished
        if text.startswith("Traceback (most recent call last)"):
            return
        self._flush_message()
        self._pending = text

    def on_finished(self, result: Any) -> None:
        if self._pending is not None and self._pending != result.message:
            self._flush_message()
        self._pending = None

    def _flush_message(self) -> None:
        if self._pending is not None and not self.quiet:
            self.end_line()
            print(self._pending, file=self.stream, flush=True)
        self._pending = None

    def _draw(self, text: str) -> None:
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def end_line(self) -> None:
        """Finish a bar being drawn, so the next line starts clean."""
        if self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


if __name__ == "__main__":
    raise SystemExit(main())
