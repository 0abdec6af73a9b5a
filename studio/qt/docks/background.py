"""One function at a time off the event loop, for the dataset previews and checks: reading a dataset can
take seconds (a folder of images, 10,000 generated shapes), and the UI must stay responsive meanwhile.

Only the answer to the latest call is delivered; an answer to a call made before it is dropped, so a
preview never shows a dataset the user already changed away from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.training.datasets import DatasetError


def describe_error(exc: BaseException) -> str:
    """The text to show for a failure: DatasetError and GraphError messages are written for users."""
    if isinstance(exc, DatasetError):
        return str(exc)
    message = getattr(exc, "message", None) or str(exc)
    return message if message else type(exc).__name__


class _Run(QRunnable):
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
        self._token += 1
        self._waiting = True
        self.pool.start(_Run(self, self._token, function, args))

    def forget(self) -> None:
        """Drop the answer of the call under way (its result no longer matters)."""
        self._token += 1
        self._waiting = False

    @property
    def busy(self) -> bool:
        return self._waiting

    def _deliver(self, token: int, ok: bool, result: Any) -> None:
        if token != self._token:
            return
        self._waiting = False
        if ok:
            self.done.emit(result)
        else:
            self.failed.emit(result)
