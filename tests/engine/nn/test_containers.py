"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from collections import OrderedDict

import pytest

import engine
import engine.nn as nn


def make_classes(lib):
    class Affine(lib.nn.Module):
        def __init__(self, scale, shift=0.0):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.tensor([float(scale)]))
            self.shift = shift

        def forward(self, x):
            return x * self.scale + self.shift

        def extra_repr(self):
            return f"scale={self.scale.item()}, shift={self.shift}"

    class Pair(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Affine(1)
            self.b = Affine(2)

    return Affine, Pair


Affine, Pair = make_classes(engine)


# -------------------------------------------------------------------------------------- Sequential ---
def test_sequential_forward_indexing_and_slicing():
    seq = nn.Sequential(Affine(2), Affine(3, 1.0), Affine(-1))
    assert seq(engine.tensor([1.0, 2.0])).tolist() == [-7.0, -13.0]
    assert len(seq) == 3 and list(seq._modules) == ["0", "1", "2"]
    assert seq[-1] is seq[2] and list(seq) == [seq[0], seq[1], seq[2]]
    part = seq[1:]
    assert type(part) is nn.Sequential and list(part._modules) == ["1", "2"] and part[0] is seq[1]
    with pytest.raises(IndexError, match="^index 3 is out of range$"):
        seq[3]
    assert [n for n, _ in seq.named_parameters()] == ["0.scale", "1.scale", "2.scale"]


def test_sequential_from_ordered_dict():
    seq = nn.Sequential(OrderedDict([("first", Affine(2)), ("second", Affine(3))]))
    assert seq.first is seq[0] and list(seq.state_dict()) == ["first.scale", "second.scale"]
    assert repr(seq) == ("Sequential(\n  (first): Affine(scale=2.0, shift=0.0)\n"
                         "  (second): Affine(scale=3.0, shift=0.0)\n)")


def test_sequential_mutation():
    a, b, c, d = Affine(1), Affine(2), Affine(3), Affine(4)
    seq = nn.Sequential(a, b)
    assert seq.append(c) is seq and list(seq) == [a, b, c]
    seq.insert(0, d)
    assert list(seq) == [d, a, b, c] and list(seq._modules) == ["0", "1", "2", "3"]
    seq.insert(-1, d)
    assert list(seq) == [d, a, b, d, c]
    with pytest.raises(IndexError, match="^Index out of range: 9$"):
        seq.insert(9, a)
    del seq[0]
    assert list(seq) == [a, b, d, c] and list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1:3]
    assert list(seq) == [a, c] and list(seq._modules) == ["0", "1"]
    assert seq.pop(0) is a and list(seq) == [c]
    seq[0] = b
    assert list(seq) == [b]
    seq.extend([a, c])
    assert list(seq) == [b, a, c]
    joined = nn.Sequential(a) + nn.Sequential(b, c)
    assert list(joined) == [a, b, c]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        nn.Sequential(a) + [b]
    assert list(nn.Sequential(a, b) * 2) == [a, b, a, b]
    seq = nn.Sequential(a)
    seq += nn.Sequential(b)
    seq *= 2
    assert list(seq) == [a, b, a, b]
    assert "0" not in dir(seq)


def test_empty_sequential_passes_input_through():
    x = engine.ones(2)
    assert nn.Sequential()(x) is x and repr(nn.Sequential()) == "Sequential()"


# -------------------------------------------------------------------------------------- ModuleList ---
def test_module_list_operations():
    a, b, c = Affine(1), Affine(2), Affine(3)
    ml = nn.ModuleList([a, b])
    assert len(ml) == 2 and ml[-1] is b and list(ml) == [a, b]
    ml.append(c)
    ml.extend([a])
    ml += [b]
    assert list(ml) == [a, b, c, a, b]
    assert [n for n, _ in ml.named_parameters()] == ["0.scale", "1.scale", "2.scale"]  # shared once
    sub = ml[1:3]
    assert type(sub) is nn.ModuleList and list(sub) == [b, c] and list(sub._modules) == ["0", "1"]
    ml.insert(1, c)
    assert list(ml) == [a, c, b, c, a, b]
    del ml[0]
    assert list(ml) == [c, b, c, a, b] and list(ml._modules) == [str(i) for i in range(5)]
    assert ml.pop(-1) is b
    ml[0] = a
    assert list(ml) == [a, b, c, a]
    assert list(ml + nn.ModuleList([c])) == [a, b, c, a, c]
    with pytest.raises(IndexError, match="^index 10 is out of range$"):
        ml[10]
    with pytest.raises(TypeError, match="^ModuleList.extend should be called with an iterable, but got "
                                        "Affine$"):
        ml.extend(a)


def test_module_list_repr_collapses_repeats():
    ml = nn.ModuleList([Affine(1), Affine(1), Affine(1), Pair(), Affine(2), Affine(2)])
    assert repr(ml) == (
        "ModuleList(\n"
        "  (0-2): 3 x Affine(scale=1.0, shift=0.0)\n"
        "  (3): Pair(\n"
        "    (a): Affine(scale=1.0, shift=0.0)\n"
        "    (b): Affine(scale=2.0, shift=0.0)\n"
        "  )\n"
        "  (4-5): 2 x Affine(scale=2.0, shift=0.0)\n"
        ")")
    assert repr(nn.ModuleList()) == "ModuleList()"


@pytest.mark.parity
def test_container_reprs_match_torch():
    import torch

    def build(lib):
        affine, pair = make_classes(lib)
        root = lib.nn.Sequential(OrderedDict([
            ("blocks", lib.nn.ModuleList([affine(1), affine(1), pair(), pair(), affine(3)])),
            ("heads", lib.nn.ModuleDict({"x": affine(1), "y": lib.nn.Sequential(affine(2), pair())})),
            ("plist", lib.nn.ParameterList([lib.ones(2, 3), lib.nn.Parameter(lib.zeros(4).double())])),
            ("pdict", lib.nn.ParameterDict({"w": lib.ones(2), "a": lib.zeros(1, 2, 3)})),
            ("empty", lib.nn.ModuleList()),
        ]))
        return root

    assert repr(build(engine)) == repr(build(torch))


# -------------------------------------------------------------------------------------- ModuleDict ---
def test_module_dict():
    a, b = Affine(1), Affine(2)
    md = nn.ModuleDict({"b": b, "a": a})
    assert list(md) == ["b", "a"] and md["a"] is a and "a" in md and len(md) == 2
    assert list(md.keys()) == ["b", "a"] and list(md.values()) == [b, a] and list(md.items())[0] == ("b", b)
    md.update([("c", Affine(3))])
    md["d"] = Affine(4)
    assert list(md) == ["b", "a", "c", "d"]
    del md["b"]
    assert md.pop("a") is a and list(md) == ["c", "d"]
    assert [n for n, _ in md.named_parameters()] == ["c.scale", "d.scale"]
    with pytest.raises(ValueError, match="^ModuleDict update sequence element #0 has length 1; 2 is "
                                         "required$"):
        md.update([("x",)])
    md.clear()
    assert len(md) == 0 and repr(md) == "ModuleDict()"


# ---------------------------------------------------------------------------------- ParameterList ---
def test_parameter_list():
    p = nn.Parameter(engine.ones(2, 3))
    plist = nn.ParameterList([p, engine.zeros(4)])
    assert len(plist) == 2 and plist[0] is p and isinstance(plist[1], nn.Parameter)
    assert plist[1].requires_grad and list(plist) == [plist[0], plist[1]]
    assert [n for n, _ in plist.named_parameters()] == ["0", "1"]
    plist.append(engine.ones(1, dtype=engine.float64))
    plist.extend([nn.Parameter(engine.ones(5))])
    assert len(plist) == 4 and len(list(plist.parameters())) == 4
    sub = plist[1:3]
    assert type(sub) is nn.ParameterList and sub[0] is plist[1]
    plist[0] = engine.full((2,), 7.0)
    assert isinstance(plist[0], nn.Parameter) and plist[0].tolist() == [7.0, 7.0]
    assert repr(plist) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 2]\n"
        "    (1): Parameter containing: [torch.float32 of size 4]\n"
        "    (2): Parameter containing: [torch.float64 of size 1]\n"
        "    (3): Parameter containing: [torch.float32 of size 5]\n"
        ")")
    with pytest.raises(TypeError, match="^ParameterList.extend should be called with an iterable, but got "
                                        "Tensor$"):
        plist.extend(engine.ones(2))
    with pytest.raises(RuntimeError, match="^ParameterList should not be called.$"):
        plist(engine.ones(1))


# ---------------------------------------------------------------------------------- ParameterDict ---
def test_parameter_dict():
    pd = nn.ParameterDict({"b": engine.ones(2, 3), "a": nn.Parameter(engine.zeros(4))})
    assert list(pd) == ["a", "b"]  # a plain dict is loaded in sorted order
    assert isinstance(pd["b"], nn.Parameter) and "a" in pd and len(pd) == 2
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    pd["c"] = engine.ones(1)
    assert list(pd.keys()) == ["a", "b", "c"] and pd.get("zz") is None
    assert repr(pd) == (
        "ParameterDict(\n"
        "    (a): Parameter containing: [torch.FloatTensor of size 4]\n"
        "    (b): Parameter containing: [torch.FloatTensor of size 2x3]\n"
        "    (c): Parameter containing: [torch.FloatTensor of size 1]\n"
        ")")
    key, value = pd.popitem()
    assert key == "c" and list(pd) == ["a", "b"] and value.shape == (1,)
    merged = pd | nn.ParameterDict(OrderedDict([("z", engine.ones(1)), ("y", engine.ones(1))]))
    assert list(merged) == ["a", "b", "z", "y"] and merged["a"] is pd["a"]
    assert pd.pop("a").shape == (4,) and list(pd) == ["b"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key as it is not a "
                                        "string \\(type is 'int'\\)"):
        pd[1] = engine.ones(1)


def test_containers_inside_a_model_state_dict_round_trip():
    def model():
        net = nn.Module()
        net.layers = nn.Sequential(Affine(2), nn.ModuleList([Affine(3), Affine(4)]))
        net.extra = nn.ParameterDict({"gain": engine.ones(2)})
        return net

    src, dst = model(), model()
    with engine.no_grad():
        src.layers[1][0].scale.mul_(10.0)
    assert list(src.state_dict()) == ["layers.0.scale", "layers.1.0.scale", "layers.1.1.scale", "extra.gain"]
    dst.load_state_dict(src.state_dict())
    assert dst.layers[1][0].scale.tolist() == [30.0]


# ------------------------------------------------------------------------------- printing modules ---
class WithExtra(nn.Module):
    def __init__(self, lines):
        super().__init__()
        self.lines = lines

    def extra_repr(self):
        return self.lines


def test_repr_nesting_and_extra_repr():
    outer = nn.Module()
    outer.a = WithExtra("one=1")
    outer.b = WithExtra("x=1\ny=2")
    inner = nn.Module()
    inner.c = WithExtra("")
    outer.inner = inner
    assert repr(nn.Module()) == "Module()"
    assert repr(WithExtra("k=3")) == "WithExtra(k=3)"
    assert repr(outer) == (
        "Module(\n  (a): WithExtra(one=1)\n  (b): WithExtra(\n    x=1\n    y=2\n  )\n"
        "  (inner): Module(\n    (c): WithExtra()\n  )\n)")
    mixed = WithExtra("top=1")
    mixed.child = WithExtra("")
    assert repr(mixed) == "WithExtra(\n  top=1\n  (child): WithExtra()\n)"


@pytest.mark.parity
def test_repr_matches_torch():
    import torch

    def build(lib):
        class Extra(lib.nn.Module):
            def __init__(self, text):
                super().__init__()
                self.text = text

            def extra_repr(self):
                return self.text

        root = lib.nn.Module()
        root.a = Extra("in=3, out=4")
        root.b = Extra("multi\nline")
        root.c = lib.nn.Module()
        root.c.d = Extra("")
        root.c.e = Extra("deep=1")
        return root

    assert repr(build(engine)) == repr(build(torch))
