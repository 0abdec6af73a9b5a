"""Whole nn.Module objects in engine.save/load, without pickle.

A module is stored as its class's import path plus its attributes (parameters, buffers, submodules and
plain settings such as in_features). Loading it must import that class, i.e. run code named by the file,
so, exactly like torch, it needs an explicit `weights_only=False`; the default refuses with torch's
UnpicklingError wording. Hooks are not stored (torch drops unpicklable ones too).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

_HOOK_ATTRIBUTES = frozenset({
    "_backward_pre_hooks", "_backward_hooks", "_is_full_backward_hook", "_forward_hooks",
    "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs", "_state_dict_hooks", "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
})


def is_module(obj: Any) -> bool:
    from .nn.modules.module import Module

    return isinstance(obj, Module)


def class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def module_attributes(module: Any) -> dict[str, Any]:
    """The attributes worth storing: everything but hook registries (which hold arbitrary callables)."""
    return {k: v for k, v in vars(module).items() if k not in _HOOK_ATTRIBUTES}


def callable_reference(obj: Any) -> str | None:
    """'package.module:qualname' for a function or class that can be imported back, else None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<locals>" in qualname or "<lambda>" in qualname:
        return None
    try:
        found = resolve(f"{module}:{qualname}")
    except ImportError:
        return None
    return f"{module}:{qualname}" if found is obj else None


def resolve(reference: str) -> Any:
    """Import 'package.module:qualname' (the code-running step weights_only=False allows)."""
    module_name, _, qualname = reference.partition(":")
    module = sys.modules.get(module_name)
    if module is None:
        module = importlib.import_module(module_name)
    target: Any = module
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImportError(f"cannot find {qualname} in module {module_name}") from None
    return target


def rebuild_module(reference: str, attributes: dict[str, Any]) -> Any:
    from .nn.modules.module import Module

    cls = resolve(reference)
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"{reference} is not an nn.Module class")
    module = cls.__new__(cls)
    Module.__init__(module)  # fresh hook registries and internal dicts
    for key, value in attributes.items():
        module.__dict__[key] = value
    return module


_safe_globals: set[str] = set()


def add_safe_globals(objects: list) -> None:
    """Allow these classes/functions to be loaded with weights_only=True (torch.serialization's API)."""
    for obj in objects:
        _safe_globals.add(f"{obj.__module__}:{obj.__qualname__}")


def get_safe_globals() -> list[str]:
    return sorted(_safe_globals)


def clear_safe_globals() -> None:
    _safe_globals.clear()


class safe_globals:  # noqa: N801 - torch.serialization.safe_globals
    def __init__(self, objects: list) -> None:
        self._objects = objects

    def __enter__(self) -> None:
        self._before = set(_safe_globals)
        add_safe_globals(self._objects)

    def __exit__(self, *exc: object) -> None:
        _safe_globals.intersection_update(self._before)


def is_safe(reference: str) -> bool:
    return reference in _safe_globals


def weights_only_message(reference: str) -> str:
    """torch's wording, so that code and people recognise it."""
    dotted = reference.replace(":", ".")
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo "
        "those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In PyTorch 2.6, we "
        "changed the default value of the `weights_only` argument in `torch.load` from `False` to `True`. "
        "Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can "
        "result in arbitrary code execution. Do it only if you got the file from a trusted source.\n\t(2) "
        "Alternatively, to load with `weights_only=True` please check the recommended steps in the "
        "following error message.\n\t"
        f"WeightsUnpickler error: Unsupported global: GLOBAL {dotted} was not an allowed global by default. "
        f"Please use `torch.serialization.add_safe_globals([{dotted}])` or the "
        f"`torch.serialization.safe_globals([{dotted}])` context manager to allowlist this global if you "
        "trust this class/function.\n\nCheck the documentation of torch.load to learn more about types "
        "accepted by default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
    )

Importer = Callable[[str], Any]
