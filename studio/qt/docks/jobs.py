"""Work for a dock's QThreadPool: a function run off the event loop, its result or its error message sent
back through queued signals tagged with the request's token (the dock drops answers to older requests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal


class JobSignals(QObject):
    done = Signal(int, object)  # token, the function's result
    failed = Signal(int, str)  # token, what went wrong, in words


class FunctionJob(QRunnable):
    def __init__(self, token: int, signals: JobSignals, function: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        self.token, self.signals, self.function, self.args = token, signals, function, args

    def run(self) -> None:
        try:
            result = self.function(*self.args)
        except Exception as exc:  # a graph that cannot compile or run: report it, never crash the pool
            self.signals.failed.emit(self.token, error_text(exc))
            return
        self.signals.done.emit(self.token, result)


def error_text(exc: BaseException) -> str:
    """GraphError's message, else the exception's text (its type name when it has none)."""
    text = getattr(exc, "message", None) or str(exc)
    return text if text else type(exc).__name__
