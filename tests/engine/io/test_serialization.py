"""engine.save / engine.load: safetensors + JSON structure, no pickle."""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import nn
from engine import serialization as ser
from engine.serialization import SerializationError

ALL_DTYPES = [engine.bool, engine.uint8, engine.int8, engine.int16, engine.int32, engine.int64,
              engine.float16, engine.float32, engine.float64, engine.complex64, engine.complex128]


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    ser.save(obj, buf)
    buf.seek(0)
    return ser.load(buf, **load_kwargs)


def same(a, b) -> None:
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(engine.randn(3, 4))
        self.bias = nn.Parameter(engine.zeros(3))
        self.register_buffer("running_mean", engine.arange(3.0))
        self.register_buffer("steps", engine.tensor(7))
        self.register_buffer("scratch", engine.ones(2), persistent=False)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_every_dtype_round_trips(dtype) -> None:
    data = np.arange(-3, 9).reshape(3, 4)
    t = engine.tensor(data).to(dtype)
    if dtype.is_complex:
        t = t + engine.tensor(np.full((3, 4), 0.5)).to(dtype) * 1j
    same(roundtrip(t), t)


def test_empty_and_zero_dim_and_non_contiguous() -> None:
    base = engine.arange(12.0).reshape(3, 4)
    obj = [engine.zeros(0, 5), engine.tensor(3.5), base.t(), base[:, 1::2]]
    out = roundtrip(obj)
    for a, b in zip(out, obj):
        same(a, b)
    assert out[2].is_contiguous()


def test_nested_containers_and_scalars() -> None:
    t = engine.randn(2)
    obj = {
        "list": [1, 2.5, "x", None, True, False, (3, (4, [5]))],
        "floats": [math.inf, -math.inf, 1e-300, -0.0],
        "size": engine.Size([2, 3]),
        "dtype": engine.float16,
        "device": engine.device("cpu"),
        "complex": 1 + 2j,
        "bytes": b"\x00\xff",
        "od": OrderedDict([("b", 1), ("a", t)]),
        5: "int key",
        (1, "t"): "tuple key",
        2.5: "float key",
    }
    out = roundtrip(obj)
    assert out["list"] == [1, 2.5, "x", None, True, False, (3, (4, [5]))]
    assert type(out["list"][0]) is int and type(out["list"][1]) is float and out["list"][4] is True
    assert out["floats"][:3] == [math.inf, -math.inf, 1e-300] and math.copysign(1, out["floats"][3]) == -1
    assert isinstance(out["size"], engine.Size) and out["size"] == (2, 3)
    assert out["dtype"] is engine.float16 and out["device"] == engine.device("cpu")
    assert out["complex"] == 1 + 2j and out["bytes"] == b"\x00\xff"
    assert type(out["od"]) is OrderedDict and list(out["od"]) == ["b", "a"]
    same(out["od"]["a"], t)
    assert out[5] == "int key" and out[(1, "t")] == "tuple key" and out[2.5] == "float key"
    assert list(out) == list(obj)
    assert math.isnan(roundtrip([math.nan])[0])


def test_model_state_dict_round_trip(tmp_path: Path) -> None:
    model = Toy()
    sd = model.state_dict()
    path = tmp_path / "model.pt"
    ser.save(sd, path)
    loaded = ser.load(path)
    assert type(loaded) is OrderedDict
    assert list(loaded) == ["weight", "bias", "running_mean", "steps"]
    for k in sd:
        same(loaded[k], sd[k])
    assert loaded._metadata == sd._metadata
    other = Toy()
    result = other.load_state_dict(loaded)
    assert not result.missing_keys and not result.unexpected_keys
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())


def test_parameters_come_back_as_parameters_with_requires_grad() -> None:
    p = nn.Parameter(engine.randn(2, 2))
    frozen = nn.Parameter(engine.randn(2), requires_grad=False)
    leaf = engine.randn(3, requires_grad=True)
    out = roundtrip({"p": p, "frozen": frozen, "leaf": leaf, "computed": leaf * 2})
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], nn.Parameter) and not out["frozen"].requires_grad
    assert type(out["leaf"]) is engine.Tensor and out["leaf"].requires_grad and out["leaf"].is_leaf
    assert out["computed"].is_leaf and out["computed"].requires_grad
    same(out["p"], p)


def test_optimizer_style_state_with_int_keys() -> None:
    state = {
        "state": {0: {"step": engine.tensor(3.0), "exp_avg": engine.randn(3)}, 1: {"momentum_buffer": None}},
        "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}],
    }
    out = roundtrip(state)
    assert set(out["state"]) == {0, 1} and all(type(k) is int for k in out["state"])
    same(out["state"][0]["exp_avg"], state["state"][0]["exp_avg"])
    assert out["state"][1] == {"momentum_buffer": None}
    assert out["param_groups"] == state["param_groups"]


def test_shared_tensors_saved_once_and_loaded_as_one_object() -> None:
    t = engine.randn(4)
    tied = nn.Parameter(engine.randn(2, 2))
    obj = {"a": t, "b": t, "nested": [t], "p1": tied, "alias1": tied.detach(), "alias2": tied.detach()}
    buf = io.BytesIO()
    ser.save(obj, buf)
    raw = buf.getvalue()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert len([k for k in header if k != "__metadata__"]) == 2  # one buffer per storage view
    out = ser.load(io.BytesIO(raw))
    assert out["a"] is out["b"] is out["nested"][0]
    assert out["alias1"] is not out["alias2"]
    out["alias1"].add_(1.0)  # detach()ed aliases still share memory after loading
    same(out["alias2"], out["alias1"])
    assert isinstance(out["p1"], nn.Parameter)


def test_file_is_plain_safetensors() -> None:
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    sd = Toy().state_dict()
    buf = io.BytesIO()
    ser.save(sd, buf)
    arrays = safetensors_numpy.load(buf.getvalue())
    assert set(arrays) == {"weight", "bias", "running_mean", "steps"}
    np.testing.assert_array_equal(arrays["weight"], sd["weight"].numpy())
    # and a file written by safetensors itself loads as a dict of tensors
    plain = safetensors_numpy.save({"x": np.arange(6, dtype=np.int32).reshape(2, 3)})
    loaded = ser.load(io.BytesIO(plain))
    assert list(loaded) == ["x"] and loaded["x"].dtype == engine.int32 and loaded["x"].shape == (2, 3)


def _cuda_file() -> bytes:
    """A file whose tensors were recorded on cuda:0 (edited structure; this machine has no CUDA)."""
    buf = io.BytesIO()
    ser.save({"w": engine.arange(3.0), "n": 1}, buf)
    raw = buf.getvalue()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    structure = json.loads(header["__metadata__"][ser.STRUCTURE_KEY])
    for entry in structure["tensors"]:
        entry["device"] = "cuda:0"
    header["__metadata__"][ser.STRUCTURE_KEY] = json.dumps(structure)
    new_header = json.dumps(header).encode()
    new_header += b" " * (-len(new_header) % 8)
    return struct.pack("<Q", len(new_header)) + new_header + raw[8 + n:]


@pytest.mark.parametrize("map_location", ["cpu", engine.device("cpu"), {"cuda:0": "cpu"},
                                          lambda storage, loc: storage])
def test_map_location_maps_cuda_tensors_to_cpu(map_location) -> None:
    out = ser.load(io.BytesIO(_cuda_file()), map_location=map_location)
    assert out["w"].device == engine.device("cpu") and out["w"].tolist() == [0.0, 1.0, 2.0]


def test_cuda_tensors_without_cuda_need_map_location() -> None:
    if engine.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
        ser.load(io.BytesIO(_cuda_file()))


def test_map_location_callable_sees_location() -> None:
    seen = []

    def fn(storage, location):
        seen.append(location)
        return None

    out = ser.load(io.BytesIO(_cuda_file()), map_location=lambda s, loc: fn(s, loc) or s)
    assert seen == ["cuda:0"] and out["w"].device.type == "cpu"


def test_load_options_accepted(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    ser.save({"x": engine.arange(4.0)}, str(path))
    assert ser.load(path, weights_only=False)["x"].tolist() == [0, 1, 2, 3]
    mapped = ser.load(path, mmap=True)["x"]
    assert mapped.tolist() == [0, 1, 2, 3]
    mapped.add_(1)  # copy-on-write: the file is untouched
    assert ser.load(path)["x"].tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------------------------- hostile files ---
def _file(header: dict | bytes, body: bytes = b"") -> io.BytesIO:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(raw)) + raw + body)


def test_truncated_file_is_reported() -> None:
    buf = io.BytesIO()
    ser.save({"x": engine.randn(100)}, buf)
    raw = buf.getvalue()
    with pytest.raises(SerializationError, match="truncated file: expected 400 bytes of tensor data"):
        ser.load(io.BytesIO(raw[:-10]))
    with pytest.raises(SerializationError, match="bad header length"):
        ser.load(io.BytesIO(raw[:50]))


@pytest.mark.parametrize("raw", [b"", b"abc", os.urandom(64), struct.pack("<Q", 1 << 62) + b"{}",
                                 struct.pack("<Q", 10) + b"{}"])
def test_garbage_and_huge_headers(raw: bytes) -> None:
    with pytest.raises(SerializationError, match="not an engine checkpoint"):
        ser.load(io.BytesIO(raw))


def test_torch_pickle_files_get_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(SerializationError, match="written by torch.save \\(pickle\\)"):
        ser.load(io.BytesIO(b"PK\x03\x04" + b"\x00" * 100))
    with pytest.raises(SerializationError, match="written by torch.save"):
        ser.load(io.BytesIO(b"\x80\x02\x8a\x0alz\xfc\x9cF\xf9 j\xa8P\x19." + b"\x00" * 40))
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"x": torch.ones(2)}, path)
    with pytest.raises(SerializationError, match="re-save it"):
        ser.load(path)


def _with_structure(structure: dict, tensors: dict | None = None) -> io.BytesIO:
    header = {"__metadata__": {ser.STRUCTURE_KEY: json.dumps(structure)}}
    header.update(tensors or {})
    return _file(header, b"\x00" * 8)


@pytest.mark.parametrize("root, message", [
    ({"$t": "pickle", "v": "cos\nsystem\n"}, "unknown tagged value 'pickle'"),
    ({"$t": "__import__"}, "unknown tagged value"),
    ({"no_tag": 1}, "unknown tagged value"),
    ({"$t": "float", "v": "1e999"}, "unknown tagged value float"),
    ({"$t": "dtype", "v": "object"}, "unknown tagged value dtype"),
    ({"$t": "tensor", "i": 5}, "out of range"),
    ({"$t": "dict", "items": [[[1], 2]]}, "malformed dict key"),
])
def test_crafted_structures_are_rejected(root, message) -> None:
    structure = {"format": ser.FORMAT_NAME, "version": ser.FORMAT_VERSION, "root": root, "tensors": []}
    with pytest.raises(SerializationError, match=message):
        ser.load(_with_structure(structure))


def test_crafted_tensor_entries_are_rejected() -> None:
    bad_shape = {"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}
    with pytest.raises(SerializationError, match="does not match"):
        ser.load(_with_structure({}, bad_shape))
    bad_dtype = {"x": {"dtype": "OBJ", "shape": [1], "data_offsets": [0, 8]}}
    with pytest.raises(SerializationError, match="unknown dtype"):
        ser.load(_with_structure({}, bad_dtype))
    structure = {"format": ser.FORMAT_NAME, "version": 99, "root": None, "tensors": []}
    with pytest.raises(SerializationError, match="version 99"):
        ser.load(_with_structure(structure))
    with pytest.raises(SerializationError, match="not valid JSON"):
        ser.load(_file(b"{not json"))


def test_unsupported_objects_raise_type_error_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    with pytest.raises(TypeError, match="no pickle by design"):
        ser.save({"f": lambda: 0}, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="cycle"):
        ser.save(cycle, io.BytesIO())


def test_failed_write_leaves_old_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ckpt.pt"
    ser.save({"v": engine.tensor([1.0])}, path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(ser.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        ser.save({"v": engine.tensor([2.0])}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]  # no temp file left behind
    assert ser.load(path)["v"].tolist() == [1.0]


def test_module_never_uses_pickle_or_eval() -> None:
    source = Path(ser.__file__).read_text()
    for word in ("import pickle", "pickle.", "eval(", "exec(", "marshal", "__import__"):
        assert word not in source
