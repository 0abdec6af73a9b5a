"""``repr``/``str`` of engine tensors, laid out exactly like PyTorch 2.x prints them.

The module only relies on the small tensor contract described in ``tensor_repr``: a numpy (or cupy) array
in ``_data``, plus ``dtype``, ``device``, ``requires_grad`` and ``grad_fn``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]

_DEFAULTS: dict[str, Any] = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES: dict[str, dict[str, Any]] = {
    "default": dict(_DEFAULTS),
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_OPTS: dict[str, Any] = {**_DEFAULTS, "sci_mode": None}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change the print options. A ``profile`` ("default", "short", "full") is applied first, then the
    explicit values. ``sci_mode`` is always overwritten (``None`` means "chosen automatically")."""
    if profile is not None and profile in _PROFILES:
        _OPTS.update(_PROFILES[profile])
    for key, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            _OPTS[key] = value
    _OPTS["sci_mode"] = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments accepted by ``set_printoptions``."""
    return {k: _OPTS[k] for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options inside a ``with`` block."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


def _default_dtype_name() -> str:
    try:
        from engine._dtype import get_default_dtype
    except ImportError:
        return "torch.float32"
    return str(get_default_dtype())


class _Formatter:
    """Decides how every element of one (real-valued) array is written, and at what common width."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        values = values.ravel()
        if values.size == 0:
            return
        if not floating:
            if values.dtype == np.bool_:
                self.width = 5 if not values.all() else 4
            else:
                self.width = max(len(str(values.min().item())), len(str(values.max().item())))
            return
        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        magnitude = np.abs(finite)
        lo, hi = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        sci = _OPTS["sci_mode"]
        if sci is None:
            sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.sci_mode = bool(sci)
        # Lengths only grow with the magnitude (or, in exponent form, with |exponent|), so the widest
        # string comes from an extreme of the positive or of the negative values.
        pos, neg = finite[finite > 0], finite[finite < 0]
        candidates = [float(f(a)) for a in (pos, neg) if a.size for f in (np.min, np.max)]
        if self.sci_mode:
            spec = f".{_OPTS['precision']}e"
        elif self.int_mode:
            spec = ".0f"
        else:
            spec = f".{_OPTS['precision']}f"
        extra = 1 if self.int_mode and not self.sci_mode else 0
        self.width = max(len(format(v, spec)) + extra for v in candidates)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{_OPTS['precision']}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{_OPTS['precision']}f}"
        return text.rjust(self.width)


def _summarized_values(arr: np.ndarray) -> np.ndarray:
    """The elements that are actually displayed when the array is summarised, as a flat array."""
    edge = _OPTS["edgeitems"]
    if arr.ndim == 0:
        return arr.ravel()
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edge:
            return np.concatenate((arr[:edge], arr[-edge:] if edge else arr))
        return arr
    if not edge:
        return arr.ravel()[:0]
    rows = range(arr.shape[0])
    if arr.shape[0] > 2 * edge:
        rows = [*range(edge), *range(arr.shape[0] - edge, arr.shape[0])]
    return np.concatenate([_summarized_values(arr[i]) for i in rows])


class _Printer:
    def __init__(self, arr: np.ndarray, summarize: bool) -> None:
        self.summarize = summarize
        self.complex = arr.dtype.kind == "c"
        pick = _summarized_values if summarize else (lambda a: a)
        if self.complex:
            self.fmt1 = _Formatter(pick(arr.real).astype(np.float64), True)
            self.fmt2: _Formatter | None = _Formatter(pick(arr.imag).astype(np.float64), True)
        else:
            floating = arr.dtype.kind not in "biu"
            self.fmt1 = _Formatter(pick(arr).astype(np.float64) if floating else pick(arr), floating)
            self.fmt2 = None

    def element(self, value: Any) -> str:
        if self.fmt2 is None:
            return self.fmt1.format(value)
        real = self.fmt1.format(value.real)
        imag = (self.fmt2.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag

    def _values(self, arr: np.ndarray) -> list[Any]:
        if not self.complex and arr.dtype.kind not in "biuf":
            arr = arr.astype(np.float64)
        return arr.tolist()

    def vector(self, arr: np.ndarray, indent: int) -> str:
        edge = _OPTS["edgeitems"]
        element_length = self.fmt1.width + 2
        if self.fmt2 is not None:
            element_length += self.fmt2.width + 1
        per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / element_length))
        if self.summarize and not edge:
            items = ["..."]
        elif self.summarize and arr.shape[0] > 2 * edge:
            items = [self.element(v) for v in self._values(arr[:edge])] + [" ..."]
            items += [self.element(v) for v in self._values(arr[-edge:])]
        else:
            items = [self.element(v) for v in self._values(arr)]
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    def render(self, arr: np.ndarray, indent: int) -> str:
        if arr.ndim == 0:
            return self.element(self._values(arr))
        if arr.ndim == 1:
            return self.vector(arr, indent)
        edge = _OPTS["edgeitems"]
        n = arr.shape[0]
        if self.summarize and n > 2 * edge:
            parts = [self.render(arr[i], indent + 1) for i in range(edge)] + ["..."]
            parts += [self.render(arr[i], indent + 1) for i in range(n - edge, n)]
        else:
            parts = [self.render(arr[i], indent + 1) for i in range(n)]
        return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _contents(arr: np.ndarray, indent: int) -> str:
    if arr.size == 0:
        return "[]"
    return _Printer(arr, arr.size > _OPTS["threshold"]).render(arr, indent)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    out = [text]
    # Mirrors PyTorch's (slightly generous) estimate of the current line's length.
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def _grad_fn_name(grad_fn: Any) -> str:
    name_fn = getattr(grad_fn, "name", None)
    name = name_fn() if callable(name_fn) else type(grad_fn).__name__
    return str(name).rsplit("::", 1)[-1]


def _as_numpy(data: Any) -> np.ndarray:
    if hasattr(data, "get") and not isinstance(data, np.ndarray):
        data = data.get()
    return np.asarray(data)


def tensor_repr(t: Any, *, tensor_contents: str | None = None) -> str:
    """PyTorch's ``repr(tensor)`` for an engine tensor ``t``.

    ``t`` needs ``_data`` (numpy/cupy array), ``dtype`` (``str()`` like ``"torch.float32"``), ``device``
    (``.type`` and ``str()``), ``requires_grad`` and ``grad_fn`` (``None`` or an object with ``name()``).
    ``tensor_contents`` replaces the bracketed element text, as in ``torch._tensor_str._str``.
    """
    prefix = "tensor("
    indent = len(prefix)
    arr = _as_numpy(t._data)
    dtype_name = str(t.dtype)
    default_name = _default_dtype_name()
    default_complex = "torch.complex128" if default_name == "torch.float64" else "torch.complex64"
    suffixes: list[str] = []

    device = t.device
    if getattr(device, "type", str(device)) != "cpu":
        suffixes.append(f"device='{device}'")

    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype_name != default_name:
            suffixes.append(f"dtype={dtype_name}")
        text = "[]"
    else:
        if not _OPTS["edgeitems"]:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype_name not in (default_name, default_complex, "torch.int64", "torch.bool"):
            suffixes.append(f"dtype={dtype_name}")
        text = _contents(arr, indent) if tensor_contents is None else ""
    if tensor_contents is not None:
        text = tensor_contents

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(grad_fn)}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + text, suffixes, indent)
