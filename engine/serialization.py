"""engine.save / engine.load without pickle: one safetensors file, the object's structure as JSON.

File layout (the safetensors format): 8-byte little-endian header length, a JSON header mapping tensor
keys to {"dtype", "shape", "data_offsets"} plus "__metadata__" (str -> str), then the raw little-endian
buffers. The saved object's structure (containers, Python scalars, tensor references with their
dtype/device/requires_grad) is one JSON string under __metadata__["engine.structure"]. Loading never
executes code: the structure is plain JSON whose tagged values come from a closed set.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import _dtype as dt
from . import _module_state
from .backend import device as Device
from .backend import to_numpy
from .tensor import Size, Tensor

__all__ = ["save", "load", "SerializationError"]

STRUCTURE_KEY = "engine.structure"
FORMAT_NAME = "engine.save"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the limit safetensors readers use too

# engine dtype name -> (safetensors dtype, storage numpy dtype); complex is stored as float pairs
_ST_DTYPES = {
    "bool": ("BOOL", np.bool_), "uint8": ("U8", np.uint8), "int8": ("I8", np.int8),
    "int16": ("I16", np.int16), "int32": ("I32", np.int32), "int64": ("I64", np.int64),
    "float16": ("F16", np.float16), "float32": ("F32", np.float32), "float64": ("F64", np.float64),
    "complex64": ("F32", np.float32), "complex128": ("F64", np.float64),
}
_NP_OF_ST = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
             "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64, "U16": np.uint16,
             "U32": np.uint32, "U64": np.uint64}
_TORCH_PICKLE_HINT = (
    "this file was written by torch.save (pickle); the engine only reads its own safetensors-based format "
    "— re-save it with PyTorch as safetensors (e.g. `safetensors.torch.save_file(model.state_dict(), path)`) "
    "and load that file with engine.load"
)


class SerializationError(RuntimeError):
    """A file engine.load cannot read: not an engine checkpoint, truncated, or with unknown content."""


class UnpicklingError(SerializationError):
    """The file names code to import (a whole Module, a function) and weights_only=True forbids it.

    Named like torch's error so code that catches it by name keeps working; nothing is unpickled."""


# ------------------------------------------------------------------------------------------- saving ---
class _Encoder:
    """Walks the object, encoding its structure as JSON and collecting each distinct tensor buffer once."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}  # safetensors key -> array to write
        self.entries: list[dict] = []  # one per distinct tensor object
        self._entry_of_object: dict[int, int] = {}
        self._key_of_view: dict[tuple, str] = {}
        self._keep_alive: list = []
        self._active: set[int] = set()

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"$t": "float", "v": repr(obj)}
        if isinstance(obj, Tensor):
            return {"$t": "tensor", "i": self._tensor(obj, path)}
        if isinstance(obj, dt.dtype):
            return {"$t": "dtype", "v": obj.name}
        if isinstance(obj, Device):
            return {"$t": "device", "v": str(obj)}
        if isinstance(obj, complex):
            return {"$t": "complex", "re": self.encode(obj.real, path), "im": self.encode(obj.imag, path)}
        if isinstance(obj, (np.generic,)) and obj.dtype.kind in "biuf":
            return self.encode(obj.item(), path)
        if isinstance(obj, np.ndarray):
            return {"$t": "ndarray", "i": self._tensor(Tensor._make(obj), path)}
        if isinstance(obj, bytes):
            return {"$t": "bytes", "v": obj.hex()}
        if id(obj) in self._active:
            raise ValueError("engine.save: the object contains a reference cycle")
        self._active.add(id(obj))
        try:
            return self._container(obj, path)
        finally:
            self._active.discard(id(obj))

    def _container(self, obj: Any, path: str) -> Any:
        if isinstance(obj, Size):
            return {"$t": "size", "v": [int(s) for s in obj]}
        if type(obj) is list:
            return [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]
        if type(obj) is tuple:
            return {"$t": "tuple", "v": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        if isinstance(obj, dict) and type(obj) in (dict, OrderedDict):
            items = [[self._key(k), self.encode(v, _join(path, k))] for k, v in obj.items()]
            out = {"$t": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
            meta = getattr(obj, "_metadata", None)
            if meta is not None:
                with contextlib.suppress(TypeError):  # optional metadata: drop what cannot be stored
                    out["meta"] = self.encode(meta, _join(path, "_metadata"))
            return out
        if _module_state.is_module(obj):
            attributes = {k: self.encode(v, _join(path, k))
                          for k, v in _module_state.module_attributes(obj).items()}
            return {"$t": "module", "cls": _module_state.class_path(type(obj)), "attrs": attributes}
        if isinstance(obj, (set, frozenset)):
            members = sorted(obj, key=repr)
            return {"$t": "set", "v": [self.encode(v, _join(path, i)) for i, v in enumerate(members)]}
        reference = _module_state.callable_reference(obj) if callable(obj) else None
        if reference is not None:
            return {"$t": "callable", "v": reference}
        raise TypeError(
            f"engine.save cannot store an object of type {type(obj).__module__}.{type(obj).__qualname__} "
            "(no pickle by design): supported are tensors, Parameters, dict/OrderedDict, list, tuple, "
            "None, bool, int, float, complex, str, bytes, torch.Size, dtypes, devices and numpy arrays"
        )

    def _key(self, key: Any) -> Any:
        if key is None or isinstance(key, (bool, int, float, str)):
            return self.encode(key, "")
        if isinstance(key, tuple):
            return {"$t": "tuple", "v": [self._key(k) for k in key]}
        raise TypeError(f"engine.save: dict keys must be str, int, float, bool, None or tuples of them, got "
                        f"{type(key).__name__}")

    def _tensor(self, t: Tensor, path: str) -> int:
        index = self._entry_of_object.get(id(t))
        if index is not None:
            return index
        data = t._data
        name = data.dtype.name
        if name not in _ST_DTYPES:
            raise TypeError(f"engine.save: unsupported tensor dtype {name}")
        view = _view_identity(data)
        key = self._key_of_view.get(view)
        if key is None:
            key = self._unique_key(path or "tensor")
            array = to_numpy(data)
            if not array.flags.c_contiguous:
                array = array.copy(order="C")  # (np.ascontiguousarray turns 0-d into 1-d)
            if array.dtype.kind == "c":
                array = array.view(_ST_DTYPES[name][1]).reshape(*array.shape, 2)
            self.buffers[key] = array.astype(array.dtype.newbyteorder("<"), copy=False)
            self._key_of_view[view] = key
        self._keep_alive.append(t)  # ids stay unique while the walk runs
        self.entries.append({
            "key": key, "dtype": name, "shape": list(data.shape), "device": str(t.device),
            "requires_grad": bool(t._requires_grad), "parameter": _is_parameter(t),
        })
        index = self._entry_of_object[id(t)] = len(self.entries) - 1
        return index

    def _unique_key(self, path: str) -> str:
        key, n = path, 1
        while key in self.buffers or key == "__metadata__":
            key, n = f"{path}#{n}", n + 1
        return key


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _view_identity(data) -> tuple:
    """Same memory, layout and dtype: two tensors that would save identical bytes from one storage."""
    if isinstance(data, np.ndarray):
        address = data.__array_interface__["data"][0]
    else:  # cupy
        address = int(data.data.ptr)
    return (address, data.shape, data.strides, data.dtype.str) if data.size else (id(data),)


def _is_parameter(t: Tensor) -> bool:
    from .nn.parameter import Parameter

    return isinstance(t, Parameter)


def _serialize(obj: Any) -> bytes:
    enc = _Encoder()
    root = enc.encode(obj, "")
    structure = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root, "tensors": enc.entries}
    header: dict[str, Any] = {"__metadata__": {STRUCTURE_KEY: json.dumps(structure, allow_nan=False,
                                                                       separators=(",", ":"))}}
    # Widest items first keeps every buffer aligned to its itemsize (the header is padded to 8 bytes).
    order = sorted(enc.buffers, key=lambda k: -enc.buffers[k].dtype.itemsize)
    offset = 0
    for key in order:
        array = enc.buffers[key]
        header[key] = {"dtype": _st_name(array.dtype), "shape": list(array.shape),
                       "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    raw_header = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw_header += b" " * (-len(raw_header) % 8)
    parts = [struct.pack("<Q", len(raw_header)), raw_header]
    parts.extend(enc.buffers[key].tobytes() for key in order)
    return b"".join(parts)


def _st_name(np_dtype: np.dtype) -> str:
    for name, value in _NP_OF_ST.items():
        if np.dtype(value) == np_dtype.newbyteorder("="):
            return name
    raise TypeError(f"engine.save: unsupported array dtype {np_dtype}")  # pragma: no cover


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save tensors and nested containers of them; a path is written atomically (temp file + rename)."""
    data = _serialize(obj)
    if isinstance(f, (str, os.PathLike)):
        _atomic_write(Path(f), data)
    elif hasattr(f, "write"):
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise TypeError(f"engine.save: f must be a path or a writable binary file object, got "
                        f"{type(f).__name__}")


def _atomic_write(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ------------------------------------------------------------------------------------------ loading ---
def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Load what engine.save wrote (or a plain safetensors file, as a dict of tensors); never runs code."""
    if isinstance(f, (str, os.PathLike)):
        if mmap and os.path.getsize(f):  # copy-on-write mapping: tensors read the file lazily
            data = np.memmap(f, dtype=np.uint8, mode="c")
        else:
            with open(f, "rb") as handle:
                data = handle.read()
    elif hasattr(f, "read"):
        data = f.read()
        if isinstance(data, str):
            raise TypeError("engine.load: the file object must be opened in binary mode")
    else:
        raise TypeError(f"engine.load: f must be a path or a readable binary file object, got "
                        f"{type(f).__name__}")
    header, body = _parse_header(data)
    arrays = _read_buffers(header, body)
    copy = not (mmap and isinstance(data, np.memmap))
    meta = header.get("__metadata__") or {}
    if STRUCTURE_KEY not in meta:  # a plain safetensors file: its tensors, by name
        return OrderedDict((k, _make_tensor(a, None, False, False, "cpu", map_location, copy=copy))
                           for k, a in arrays.items())
    try:
        structure = json.loads(meta[STRUCTURE_KEY])
    except ValueError as exc:
        raise SerializationError(f"not an engine checkpoint (bad structure JSON: {exc})") from None
    if not isinstance(structure, dict) or structure.get("format") != FORMAT_NAME:
        raise SerializationError("not an engine checkpoint (unknown structure format)")
    if structure.get("version") != FORMAT_VERSION:
        raise SerializationError(f"unsupported engine checkpoint version {structure.get('version')!r} "
                                 f"(this engine reads version {FORMAT_VERSION})")
    decoder = _Decoder(structure.get("tensors"), arrays, map_location, copy, weights_only is not False)
    return decoder.decode(structure.get("root"))


def _parse_header(data) -> tuple[dict, memoryview]:
    view = memoryview(data)
    if bytes(view[:4]) == b"PK\x03\x04":
        raise SerializationError(_TORCH_PICKLE_HINT)
    if len(view) < 8:
        raise SerializationError(f"not an engine checkpoint (file of {len(view)} bytes is too short)")
    (n,) = struct.unpack("<Q", view[:8])
    if n < 2 or n > MAX_HEADER_BYTES or n > len(view) - 8:
        if bytes(view[:1]) == b"\x80":  # a legacy (non-zip) torch.save file starts with a pickle opcode
            raise SerializationError(_TORCH_PICKLE_HINT)
        raise SerializationError(f"not an engine checkpoint (bad header length {n} for a file of {len(view)} "
                                 "bytes)")
    try:
        header = json.loads(bytes(view[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SerializationError("not an engine checkpoint (the header is not valid JSON)") from None
    if not isinstance(header, dict):
        raise SerializationError("not an engine checkpoint (the header is not a JSON object)")
    meta = header.get("__metadata__")
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise SerializationError("not an engine checkpoint (__metadata__ must map strings to strings)")
    return header, view[8 + n:]


def _read_buffers(header: dict, body: memoryview) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    needed = 0
    specs = []
    for key, spec in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(spec, dict) or spec.get("dtype") not in _NP_OF_ST:
            raise SerializationError(f"bad tensor entry {key!r} in the header (unknown dtype)")
        shape, offsets = spec.get("shape"), spec.get("data_offsets")
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)
                and isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int and o >= 0 for o in offsets) and offsets[0] <= offsets[1]):
            raise SerializationError(f"bad tensor entry {key!r} in the header (shape or data_offsets)")
        np_dtype = np.dtype(_NP_OF_ST[spec["dtype"]]).newbyteorder("<")
        if math.prod(shape) * np_dtype.itemsize != offsets[1] - offsets[0]:
            raise SerializationError(f"bad tensor entry {key!r}: shape {shape} does not match its "
                                     f"{offsets[1] - offsets[0]} bytes")
        needed = max(needed, offsets[1])
        specs.append((key, np_dtype, shape, offsets))
    if needed > len(body):
        raise SerializationError(f"truncated file: expected {needed} bytes of tensor data, found {len(body)}")
    for key, np_dtype, shape, (begin, end) in specs:
        arrays[key] = np.frombuffer(body[begin:end], dtype=np_dtype).reshape(shape)
    return arrays


class _Decoder:
    def __init__(self, entries: Any, arrays: dict[str, np.ndarray], map_location: Any, copy: bool,
                 weights_only: bool = True) -> None:
        self.weights_only = weights_only
        if not isinstance(entries, list):
            raise SerializationError("not an engine checkpoint (missing tensor table)")
        self.entries = entries
        self.arrays = arrays
        self.map_location = map_location
        self.copy = copy
        self.objects: dict[int, Tensor] = {}
        self.shared: dict[tuple, Any] = {}  # (key, device) -> array placed there: shared storage stays shared

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or not isinstance(node.get("$t"), str):
            raise SerializationError(f"unknown tagged value in the structure: {_short(node)}")
        tag = node["$t"]
        if tag == "dict" or tag == "odict":
            items = node.get("items")
            if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == 2 for i in items):
                raise SerializationError(f"malformed {tag} in the structure")
            out: dict = OrderedDict() if tag == "odict" else {}
            for k, v in items:
                out[self._key(k)] = self.decode(v)
            if "meta" in node and tag == "odict":
                out._metadata = self.decode(node["meta"])
            return out
        if tag == "tuple":
            return tuple(self.decode(v) for v in self._list(node))
        if tag == "tensor":
            return self._tensor(node.get("i"))
        if tag == "ndarray":
            return to_numpy(self._tensor(node.get("i"))._data)
        if tag == "size":
            values = self._list(node)
            if not all(type(v) is int for v in values):
                raise SerializationError("malformed torch.Size in the structure")
            return Size(values)
        if tag == "float":
            value = node.get("v")
            if value not in ("inf", "-inf", "nan"):
                raise SerializationError(f"unknown tagged value float {_short(value)}")
            return float(value)
        if tag == "complex":
            return complex(self.decode(node.get("re")), self.decode(node.get("im")))
        if tag == "dtype":
            name = node.get("v")
            if name not in _ST_DTYPES:
                raise SerializationError(f"unknown tagged value dtype {_short(name)}")
            return getattr(dt, name)
        if tag == "device":
            try:
                return Device(str(node.get("v")))
            except (RuntimeError, TypeError):
                raise SerializationError(f"unknown tagged value device {_short(node.get('v'))}") from None
        if tag == "bytes":
            try:
                return bytes.fromhex(node.get("v"))
            except (TypeError, ValueError):
                raise SerializationError("malformed bytes in the structure") from None
        if tag == "set":
            return set(self.decode(v) for v in self._list(node))
        if tag in ("module", "callable"):
            return self._code_object(node, tag)
        raise SerializationError(f"unknown tagged value {_short(tag)} in the structure")

    def _code_object(self, node: dict, tag: str) -> Any:
        reference = node.get("cls") if tag == "module" else node.get("v")
        if not isinstance(reference, str) or ":" not in reference:
            raise SerializationError(f"malformed {tag} reference in the structure")
        if self.weights_only and not _module_state.is_safe(reference):
            raise UnpicklingError(_module_state.weights_only_message(reference))
        try:
            if tag == "callable":
                return _module_state.resolve(reference)
            attributes = node.get("attrs")
            if not isinstance(attributes, dict):
                raise SerializationError("malformed module in the structure")
            return _module_state.rebuild_module(reference, {k: self.decode(v) for k, v in attributes.items()})
        except (ImportError, TypeError) as exc:
            raise SerializationError(f"cannot rebuild {reference}: {exc}") from None

    def _list(self, node: dict) -> list:
        values = node.get("v")
        if not isinstance(values, list):
            raise SerializationError(f"malformed {node['$t']} in the structure")
        return values

    def _key(self, k: Any) -> Any:
        key = self.decode(k)
        if isinstance(key, (list, dict)):
            raise SerializationError("malformed dict key in the structure")
        return key

    def _tensor(self, index: Any) -> Tensor:
        if type(index) is not int or not 0 <= index < len(self.entries):
            raise SerializationError(f"tensor reference {_short(index)} is out of range")
        if index in self.objects:
            return self.objects[index]
        e = self.entries[index]
        if not isinstance(e, dict) or e.get("key") not in self.arrays or e.get("dtype") not in _ST_DTYPES:
            raise SerializationError(f"tensor entry {index} refers to missing data")
        array = self.arrays[e["key"]]
        if e["dtype"] in ("complex64", "complex128"):
            if array.shape[-1:] != (2,):
                raise SerializationError(f"tensor entry {index}: complex data needs a last dimension of 2")
            array = array.copy(order="C").view(np.dtype(e["dtype"]).newbyteorder("<"))[..., 0]
        if list(array.shape) != e.get("shape") or array.dtype.name != e["dtype"]:
            raise SerializationError(f"tensor entry {index} does not match its data (shape or dtype)")
        t = _make_tensor(array, self, bool(e.get("requires_grad")), bool(e.get("parameter")),
                         str(e.get("device", "cpu")), self.map_location, e["key"], self.copy)
        self.objects[index] = t
        return t


def _make_tensor(array: np.ndarray, decoder: _Decoder | None, requires_grad: bool, parameter: bool,
                 location: str, map_location: Any, key: str | None = None, copy: bool = True) -> Tensor:
    target = _target_device(location, map_location)
    cache_key = (key, str(target))
    placed = decoder.shared.get(cache_key) if decoder is not None and key is not None else None
    if placed is None:
        placed = array.astype(array.dtype.newbyteorder("="), copy=copy or not array.flags.writeable)
        if callable(map_location) and not isinstance(map_location, (str, Device)):
            mapped = map_location(Tensor._make(placed), location)
            if isinstance(mapped, Tensor):
                placed = mapped._data
            elif mapped is not None:
                raise TypeError("map_location callable must return a Tensor or None")
            else:
                placed = _place(placed, target)
        else:
            placed = _place(placed, target)
        if decoder is not None and key is not None:
            decoder.shared[cache_key] = placed
    if parameter:
        from .nn.parameter import Parameter

        return Parameter(Tensor._make(placed), requires_grad=requires_grad)
    t = Tensor._make(placed)
    if requires_grad and placed.dtype.kind in "fc":
        t._requires_grad = True
    return t


def _target_device(location: str, map_location: Any) -> Device:
    if map_location is None or callable(map_location) and not isinstance(map_location, (str, Device)):
        return Device(location)
    if isinstance(map_location, dict):
        return Device(map_location.get(location, location))
    return Device(map_location)


def _place(array: np.ndarray, target: Device):
    if target.type == "cpu":
        return array
    if target.type == "cuda":
        from . import cuda

        if not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                "If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU."
            )
        from .backend import canonical_device, move_array

        return move_array(array, canonical_device(target))
    raise RuntimeError(f"engine.load: cannot place tensors on device {target}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."



add_safe_globals = _module_state.add_safe_globals
get_safe_globals = _module_state.get_safe_globals
clear_safe_globals = _module_state.clear_safe_globals
safe_globals = _module_state.safe_globals
