"""RemovableHandle: what every register_*hook returns."""

from __future__ import annotations

import itertools
import weakref

_ids = itertools.count()


class RemovableHandle:
    """Removes the hook it was returned for; usable as a context manager."""

    def __init__(self, hooks_dict: dict, *extra_dicts: dict) -> None:
        self.id = next(_ids)
        self._refs = [weakref.ref(d) if _weakrefable(d) else (lambda d=d: d) for d in (hooks_dict, *extra_dicts)]

    def remove(self) -> None:
        for ref in self._refs:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _weakrefable(obj: object) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True
