"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and decorators)."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    """Per thread, as in torch: no_grad on one thread (a GUI probe) leaves another's training alone."""

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _GradModeContext:
    """Base for grad-mode switches: usable as `with`, as a decorator, and (set_grad_enabled) as a call."""

    _target = True

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._target

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)

        return wrapper

    def _clone(self):
        return self.__class__()

    def clone(self):
        return self._clone()


class _NoParamContext(_GradModeContext):
    """Also usable as a bare decorator (`@no_grad` without parentheses), like torch."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamContext):  # noqa: N801
    _target = False


class enable_grad(_NoParamContext):  # noqa: N801
    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Sets the mode immediately when called (like torch), and restores it when used as a context."""

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.enabled
        self._target = bool(mode)
        STATE.enabled = self._target

    def __enter__(self) -> None:
        STATE.enabled = self._target

    def _clone(self):
        return set_grad_enabled(self._target)

    def __call__(self, fn):
        STATE.enabled = self._prev  # used as a decorator: undo the immediate switch
        return super().__call__(fn)

    def __repr__(self) -> str:
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self._target})"


class inference_mode(_GradModeContext):  # noqa: N801
    def __new__(cls, mode=True):
        if callable(mode):  # bare decorator: @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self._target = not mode
        self._mode = mode

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        self._prev_inference = STATE.inference
        STATE.enabled = self._target
        STATE.inference = self._mode

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev
        STATE.inference = self._prev_inference

    def _clone(self):
        return inference_mode(self._mode)
