"""A small Qt-free signal: the canvas (studio/qt) connects to these to mirror the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Signal:
    """connect(callback) / disconnect(callback) / emit(*args). Callbacks run in connection order."""

    __slots__ = ("_callbacks", "_blocked")

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []
        self._blocked = False

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        if self._blocked:
            return
        for callback in list(self._callbacks):
            callback(*args)

    def blocked(self) -> _Blocker:
        """`with signal.blocked():` suppresses emissions (bulk loads emit one summary event instead)."""
        return _Blocker(self)


class _Blocker:
    def __init__(self, signal: Signal) -> None:
        self._signal = signal

    def __enter__(self) -> None:
        self._previous = self._signal._blocked
        self._signal._blocked = True

    def __exit__(self, *exc: object) -> None:
        self._signal._blocked = self._previous
