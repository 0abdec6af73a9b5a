"""Work off the event loop for the docks and dialogs: a BackgroundCall runs one function at a time on its
own worker thread (a dataset preview, a probe of a node, gradients on a batch, reading run folders can
each take seconds) and hands the answer back on the event loop.

Each call is tagged with a token; only the answer to the latest call is delivered, so a dock never shows
the result of a request the user already changed away from (a call still queued is dropped outright).
A failure arrives as text for the user (`describe_error`), never as an exception in the pool's thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.training.checkpoints import CheckpointError
from studio.training.datasets import DatasetError
from studio.training.optim_factory import SetupError
from studio.training.runs import RunError

USER_ERRORS = (DatasetError, SetupError, RunError, CheckpointError)  # their text is written for users


def describe_error(exc: BaseException) -> str:
    """The text to show for a failure: a GraphError's message and the text of the errors written for
    users as they are; any other exception (a bug, an OS error) with its type name, which says more."""
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    text = str(exc)
    if isinstance(exc, USER_ERRORS) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Call(QRunnable):
    def __init__(self, owner: BackgroundCall, token: int, function: Callable[..., Any], args: tuple) -> None:
        super().__init__()
        self.owner, self.token, self.function, self.args = owner, token, function, args

    def run(self) -> None:
        try:
            answer = (True, self.function(*self.args))
        except Exception as exc:  # any failure is reported to the UI, never raised in the pool's thread
            answer = (False, describe_error(exc))
        with contextlib.suppress(RuntimeError):  # the widget that asked was closed meanwhile
            self.owner._answered.emit(self.token, *answer)


class BackgroundCall(QObject):
    """`call(function, *args)` runs it on the worker; `done(result)` or `failed(message)` follows for the
    latest call only. `forget()` drops the answer of the call under way."""

    done = Signal(object)  # the latest call's result
    failed = Signal(str)  # the latest call's error, as a message for the user
    _answered = Signal(int, bool, object)  # emitted on the worker thread, delivered on the event loop

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._token = 0
        self._waiting = False
        self._answered.connect(self._deliver)

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        self.forget()
        self._waiting = True
        self.pool.start(_Call(self, self._token, function, args))

    def forget(self) -> None:
        """Drop the answer of the call under way (its result no longer matters) and any call queued."""
        self._token += 1
        self._waiting = False
        self.pool.clear()

    @property
    def busy(self) -> bool:
        """Whether an answer is still to come."""
        return self._waiting

    def wait(self, msecs: int = -1) -> bool:
        """Block until the worker is idle (tests, closing); False on timeout. The answer still arrives
        through the event loop."""
        return self.pool.waitForDone(msecs)

    def _deliver(self, token: int, ok: bool, result: Any) -> None:
        if token != self._token:
            return
        self._waiting = False
        if ok:
            self.done.emit(result)
        else:
            self.failed.emit(result)
