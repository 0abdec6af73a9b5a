"""RemovableHandle: what every register_*hook returns."""

from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Removes the hook it was returned for from every dict it was registered in; a context manager too."""

    def __init__(self, hooks_dict: dict, *extra_dicts: dict) -> None:
        self.id = next(_ids)
        self._dicts = (hooks_dict, *extra_dicts)

    def remove(self) -> None:
        for hooks in self._dicts:
            hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
