"""Padding layers: Constant/Zero/Reflection/Replication/Circular Pad 1d/2d/3d (values, gradients, reprs)."""

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.autograd import gradcheck
from engine.testing import check_against_torch

CASES = [
    ("ReflectionPad1d", (2,), (2, 3, 5)),
    ("ReflectionPad2d", ((1, 2, 0, 3),), (2, 3, 5, 6)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 3)),
    ("ReplicationPad1d", ((3, 1),), (3, 5)),
    ("ReplicationPad2d", (2,), (2, 3, 4, 4)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), (1, 2, 3, 4, 3)),
    ("ZeroPad1d", (2,), (2, 3, 5)),
    ("ZeroPad2d", ((1, -1, 2, 0),), (2, 3, 5, 6)),
    ("ZeroPad3d", (1,), (1, 2, 3, 4, 3)),
    ("ConstantPad1d", (2, 3.5), (2, 3, 5)),
    ("ConstantPad2d", ((1, 0, 2, 3), -1.0), (3, 4, 4)),
    ("ConstantPad3d", (1, 2), (1, 2, 3, 4, 3)),
    ("CircularPad1d", (2,), (2, 3, 5)),
    ("CircularPad2d", (1,), (2, 3, 4, 4)),
    ("CircularPad3d", ((1, 0, 0, 1, 1, 1),), (1, 2, 3, 4, 3)),
]


@pytest.mark.parity
@pytest.mark.parametrize("name, args, shape", CASES)
def test_padding_modules_match_torch(rng, name, args, shape):
    import torch

    e, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e) == repr(t)
    assert e.padding == t.padding
    x = rng.standard_normal(shape).astype(np.float32)
    check_against_torch(lambda L, x: (e if L is engine else t)(x), x)


def test_padding_modules_gradcheck_and_attributes(rng):
    x = engine.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    for layer in (nn.ReflectionPad2d(2), nn.ReplicationPad2d((1, 0, 2, 1)), nn.CircularPad2d(1),
                  nn.ConstantPad2d(1, 2.0)):
        assert gradcheck(layer, (x,))
    assert nn.ZeroPad2d(1).value == 0.0 and nn.ZeroPad2d(1).padding == (1, 1, 1, 1)
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ReflectionPad1d(2)) == "ReflectionPad1d((2, 2))"
    assert list(nn.ZeroPad2d(1).parameters()) == []


def test_reflection_pad_too_large_raises():
    with pytest.raises(RuntimeError):
        nn.ReflectionPad2d(4)(engine.zeros(1, 1, 3, 3))
