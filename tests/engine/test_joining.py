"""Joining, splitting and padding (joining.py, padding.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch
from engine.testing import check_error_matches_torch as check_error

R = np.random.default_rng(1)


def arr(*shape, dtype=np.float32):
    if np.dtype(dtype).kind == "b":
        return R.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return R.integers(-5, 6, size=shape).astype(dtype)
    return R.standard_normal(shape).astype(dtype)




def F(lib):
    return lib.nn.functional if hasattr(lib, "nn") and hasattr(lib.nn, "functional") else lib


def pad(lib, *args, **kwargs):
    return (lib.nn.functional.pad if lib.__name__ == "torch" else engine.pad)(*args, **kwargs)


# ------------------------------------------------------------------------------------------- parity ---
CASES = {
    "cat0": (lambda L, a, b: L.cat([a, b]), [(2, 3), (4, 3)]),
    "cat1": (lambda L, a, b: L.cat((a, b), dim=1), [(2, 3), (2, 1)]),
    "cat_neg": (lambda L, a, b, c: L.cat([a, b, c], -1), [(2, 3, 1), (2, 3, 2), (2, 3, 0)]),
    "cat_nc": (lambda L, a, b: L.cat([a.t(), b], 0), [(3, 2), (1, 3)]),
    "cat_skip_legacy": (lambda L, a, b: L.cat([a, b, a], 1), [(2, 2), (0,)]),
    "cat_single": (lambda L, a: L.cat([a]), [(2, 3)]),
    "concat": (lambda L, a, b: L.concat([a, b], 1), [(2, 1), (2, 2)]),
    "concatenate": (lambda L, a, b: L.concatenate([a, b], axis=0) if False else L.concatenate([a, b]),
                    [(2, 1), (3, 1)]),
    "stack": (lambda L, a, b: L.stack([a, b]), [(2, 3), (2, 3)]),
    "stack_last": (lambda L, a, b, c: L.stack((a, b, c), -1), [(2, 3), (2, 3), (2, 3)]),
    "stack_nc": (lambda L, a, b: L.stack([a.t(), b], 1), [(3, 2), (2, 3)]),
    "hstack_1d": (lambda L, a, b: L.hstack([a, b]), [(2,), (3,)]),
    "hstack_2d": (lambda L, a, b: L.hstack([a, b]), [(2, 1), (2, 3)]),
    "hstack_0d": (lambda L, a, b: L.hstack([a, b]), [(), (2,)]),
    "vstack": (lambda L, a, b: L.vstack([a, b]), [(3,), (2, 3)]),
    "row_stack": (lambda L, a, b: L.row_stack((a, b)), [(3,), (3,)]),
    "dstack": (lambda L, a, b, c: L.dstack([a, b, c]), [(3,), (1, 3), (1, 3, 2)]),
    "column_stack": (lambda L, a, b, c: L.column_stack([a, b, c]), [(3,), (3, 2), (3,)]),
    "column_stack_0d": (lambda L, a, b: L.column_stack([a, b]), [(), ()]),
    "split_int": (lambda L, a: a.split(2), [(5, 3)]),
    "split_int_dim": (lambda L, a: L.split(a, 3, dim=-1), [(2, 7)]),
    "split_big": (lambda L, a: a.split(10, 1), [(2, 7)]),
    "split_list": (lambda L, a: a.split([1, 0, 4], 1), [(2, 5)]),
    "split_with_sizes": (lambda L, a: a.split_with_sizes([3, 2]), [(5, 2)]),
    "split_partial_grad": (lambda L, a: a.split(2)[1], [(5, 3)]),
    "chunk": (lambda L, a: a.chunk(3), [(5, 2)]),
    "chunk_fewer": (lambda L, a: L.chunk(a, 4, 1), [(2, 6)]),
    "chunk_more_than_size": (lambda L, a: a.chunk(5), [(3,)]),
    "chunk_partial_grad": (lambda L, a: a.chunk(3, 1)[2], [(2, 7)]),
    "tensor_split_n": (lambda L, a: a.tensor_split(3), [(7, 2)]),
    "tensor_split_many": (lambda L, a: L.tensor_split(a, 5, dim=1), [(2, 3)]),
    "tensor_split_idx": (lambda L, a: a.tensor_split([1, 4], 1), [(2, 6)]),
    "tensor_split_idx_odd": (lambda L, a: a.tensor_split((-2, 9, 1)), [(5,)]),
    "tensor_split_tensor": (lambda L, a: a.tensor_split(L.tensor([2, 3])), [(5, 2)]),
    "tensor_split_tensor0d": (lambda L, a: a.tensor_split(L.tensor(2)), [(5, 2)]),
    "hsplit": (lambda L, a: a.hsplit(2), [(3, 4)]),
    "hsplit_1d": (lambda L, a: L.hsplit(a, [1, 3]), [(5,)]),
    "vsplit": (lambda L, a: L.vsplit(a, 2), [(4, 3)]),
    "dsplit": (lambda L, a: a.dsplit([1]), [(2, 2, 3)]),
    "unbind": (lambda L, a: a.unbind(), [(3, 2)]),
    "unbind_dim": (lambda L, a: L.unbind(a, -1), [(2, 3, 4)]),
    "unbind_partial_grad": (lambda L, a: a.unbind(1)[1], [(2, 3)]),
    "pad_const": (lambda L, a: pad(L, a, (1, 2)), [(2, 3)]),
    "pad_const_2d": (lambda L, a: pad(L, a, [1, 0, 2, 1], value=3.5), [(2, 3, 4)]),
    "pad_const_all": (lambda L, a: pad(L, a, (1, 1, 0, 2, 3, 0)), [(2, 3, 4)]),
    "pad_const_neg": (lambda L, a: pad(L, a, (-1, 2, 0, -2)), [(3, 4)]),
    "pad_const_crop": (lambda L, a: pad(L, a, (-1, -2)), [(3, 4)]),
    "pad_const_nc": (lambda L, a: pad(L, a.t(), (1, 1)), [(3, 4)]),
    "pad_reflect1": (lambda L, a: pad(L, a, (2, 3), mode="reflect"), [(2, 4)]),
    "pad_reflect1_b": (lambda L, a: pad(L, a, (3, 0), mode="reflect"), [(2, 3, 4)]),
    "pad_reflect2": (lambda L, a: pad(L, a, (1, 2, 2, 1), mode="reflect"), [(2, 3, 4)]),
    "pad_reflect2_b": (lambda L, a: pad(L, a, (3, 3, 2, 0), mode="reflect"), [(2, 1, 3, 4)]),
    "pad_reflect3": (lambda L, a: pad(L, a, (1, 1, 2, 0, 1, 1), mode="reflect"), [(1, 2, 3, 4, 3)]),
    "pad_reflect_neg": (lambda L, a: pad(L, a, (4, -3), mode="reflect"), [(1, 5)]),
    "pad_reflect_nc": (lambda L, a: pad(L, a.transpose(1, 2), (1, 1), mode="reflect"), [(2, 4, 3)]),
    "pad_replicate1": (lambda L, a: pad(L, a, (5, 2), mode="replicate"), [(2, 3)]),
    "pad_replicate2": (lambda L, a: pad(L, a, (1, 0, 3, 2), mode="replicate"), [(2, 2, 3, 3)]),
    "pad_replicate3": (lambda L, a: pad(L, a, (1, 2, 0, 1, 2, 1), mode="replicate"), [(2, 2, 3, 2)]),
    "pad_replicate_neg": (lambda L, a: pad(L, a, (-1, 2), mode="replicate"), [(2, 4)]),
    "pad_circular1": (lambda L, a: pad(L, a, (2, 1), mode="circular"), [(2, 3)]),
    "pad_circular2": (lambda L, a: pad(L, a, (1, 1, 3, 0), mode="circular"), [(2, 2, 3, 4)]),
    "pad_circular3": (lambda L, a: pad(L, a, (1, 0, 1, 1, 2, 2), mode="circular"), [(2, 2, 3, 2)]),
    "pad_circular_full": (lambda L, a: pad(L, a, (4, 4), mode="circular"), [(1, 4)]),
    "pad_circular_neg": (lambda L, a: pad(L, a, (2, -1), mode="circular"), [(1, 5)]),
    "pad_circular_neg2": (lambda L, a: pad(L, a, (-1, 2), mode="circular"), [(1, 5)]),
    "pad_reflect_batch0": (lambda L, a: pad(L, a, (1, 1), mode="reflect"), [(0, 2, 3)]),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_parity(name):
    fn, shapes = CASES[name]
    check_against_torch(fn, *[arr(*s) for s in shapes])


@pytest.mark.parity
@pytest.mark.parametrize("name", ["cat0", "stack", "hstack_2d", "dstack", "split_list", "chunk", "unbind",
                                  "tensor_split_idx", "pad_const", "pad_reflect2", "pad_replicate1",
                                  "pad_circular1", "pad_const_neg"])
@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.uint8, np.bool_, np.float64])
def test_parity_dtypes(name, dtype):
    if dtype == np.bool_ and name in ("pad_reflect2", "pad_replicate1"):
        return  # torch has no bool kernels for these (the error is checked in test_errors_match_torch)
    fn, shapes = CASES[name]
    check_against_torch(fn, *[arr(*s, dtype=dtype) for s in shapes])


@pytest.mark.parity
@pytest.mark.parametrize("dtypes", [(np.int64, np.float16), (np.bool_, np.uint8, np.int8),
(np.int32, np.float64),
                                    (np.float32, np.float64), (np.bool_, np.bool_, np.float32)])
def test_cat_stack_promote(dtypes):
    arrays = [arr(2, 3, dtype=d) for d in dtypes]
    check_against_torch(lambda L, *ts: L.cat(ts, 1), *arrays)
    check_against_torch(lambda L, *ts: L.stack(ts, 2), *arrays)
    check_against_torch(lambda L, *ts: L.cat([*ts, L.zeros(0, dtype=L.float64)]), *arrays)


@pytest.mark.parity
@pytest.mark.parametrize("value", [2.5, -2.5, 0.5, 7])
@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float32])
def test_pad_value_cast(value, dtype):
    check_against_torch(lambda L, a: pad(L, a, (1, 2), value=value), arr(2, 2, dtype=dtype))


@pytest.mark.parity
def test_empty_and_special_values():
    check_against_torch(lambda L, a, b: L.cat([a, b]), arr(0, 3), arr(2, 3))
    check_against_torch(lambda L, a: L.cat([a, a]), arr(0))
    check_against_torch(lambda L, a: L.stack([a, a], 1), arr(0, 2))
    check_against_torch(lambda L, a: a.split(2, 1), arr(3, 0))
    check_against_torch(lambda L, a: a.chunk(3), arr(0))
    check_against_torch(lambda L, a: a.unbind(1), arr(3, 0))
    check_against_torch(lambda L, a: pad(L, a, (1, 1, 1, 1)), arr(0, 3))
    special = np.array([[np.inf, np.nan, -np.inf], [1.0, 2.0, np.nan]], dtype=np.float32)
    check_against_torch(lambda L, a: pad(L, a, (2, 2), mode="reflect"), special)
    check_against_torch(lambda L, a: pad(L, a, (2, 2), mode="replicate"), special)
    check_against_torch(lambda L, a: L.cat([a, a], 1).split([1, 4, 1], 1), special)


# ----------------------------------------------------------------------------------------- gradcheck ---
def f64(*shape):
    return engine.tensor(arr(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: engine.cat([a, b], 1), [(2, 3), (2, 2)]),
    (lambda a, b: engine.cat([a, engine.zeros(0, dtype=engine.float64), b]), [(2, 3), (1, 3)]),
    (lambda a, b: engine.stack([a, b], 2), [(2, 3), (2, 3)]),
    (lambda a, b: engine.hstack([a, b]), [(3,), (2,)]),
    (lambda a, b: engine.dstack([a, b]), [(2, 3), (2, 3)]),
    (lambda a, b: engine.column_stack([a, b]), [(3,), (3, 2)]),
    (lambda a: a.split(2, 1), [(2, 5)]),
    (lambda a: a.split([1, 3], 0)[1], [(4, 2)]),
    (lambda a: a.chunk(3, 1)[0], [(2, 5)]),
    (lambda a: a.tensor_split([1, 3], 1), [(2, 5)]),
    (lambda a: a.unbind(1)[2], [(2, 3)]),
    (lambda a: a.unbind(0), [(2, 3)]),
    (lambda a: engine.pad(a, (1, -1, 2, 0), value=1.5), [(2, 3, 4)]),
    (lambda a: engine.pad(a, (2, 3), mode="reflect"), [(2, 4)]),
    (lambda a: engine.pad(a, (2, 1, 1, 2), mode="reflect"), [(1, 3, 4)]),
    (lambda a: engine.pad(a, (1, 1, 1, 0, 1, 1), mode="reflect"), [(1, 2, 3, 2)]),
    (lambda a: engine.pad(a, (3, 1, 0, 2), mode="replicate"), [(2, 3, 2)]),
    (lambda a: engine.pad(a, (2, -1), mode="replicate"), [(2, 3)]),
    (lambda a: engine.pad(a, (3, 2, 1, 1), mode="circular"), [(1, 2, 3, 3)]),
    (lambda a: engine.pad(a, (2, -1), mode="circular"), [(1, 4)]),
])
def test_gradcheck(fn, shapes):
    assert gradcheck(fn, tuple(f64(*s) for s in shapes))


@pytest.mark.parametrize("fn", [
    lambda a: engine.cat([a, a * 2], 1), lambda a: engine.stack([a, a]), lambda a: a.split(1, 1)[0],
    lambda a: a.unbind(0)[1], lambda a: engine.pad(a, (1, 2)),
    lambda a: engine.pad(a, (2, 1), mode="reflect"),
    lambda a: engine.pad(a, (2, 1), mode="replicate"), lambda a: engine.pad(a, (2, 1), mode="circular"),
])
def test_gradgradcheck(fn):
    assert gradgradcheck(lambda a: fn(a) ** 2, (f64(2, 3),))


def test_split_outputs_are_views_with_one_node():
    x = engine.randn(4, 3, requires_grad=True)
    parts = x.split(2)
    assert parts[0].grad_fn is parts[1].grad_fn and type(parts[0].grad_fn).__name__ == "SplitBackward0"
    assert [p.output_nr for p in parts] == [0, 1]
    assert type(x.split([1, 3])[0].grad_fn).__name__ == "SplitWithSizesBackward0"
    assert type(x.unbind()[0].grad_fn).__name__ == "UnbindBackward0"
    assert type(x.tensor_split(2)[0].grad_fn).__name__ == "SliceBackward0"
    base = engine.zeros(4, 3)
    for piece in (*base.split(2), *base.chunk(2, 1), *base.unbind(1), *base.tensor_split(3), *base.hsplit(3)):
        assert np.shares_memory(piece.numpy(), base.numpy())
    base.unbind(0)[2].add_(1)
    assert base.numpy()[2].tolist() == [1, 1, 1]


@pytest.mark.parametrize("fn,name", [
    (lambda x: engine.cat([x, x]), "CatBackward0"), (lambda x: engine.stack([x, x]), "StackBackward0"),
    (lambda x: engine.hstack([x, x]), "CatBackward0"), (lambda x: engine.pad(x, (1, 1)),
    "ConstantPadNdBackward0"),
    (lambda x: engine.pad(x, (1, 1), mode="reflect"), "ReflectionPad1DBackward0"),
    (lambda x: engine.pad(x.unsqueeze(0), (1, 1, 1, 1), mode="reflect"), "ReflectionPad2DBackward0"),
    (lambda x: engine.pad(x, (1, 1), mode="replicate"), "ReplicationPad1DBackward0"),
    (lambda x: engine.pad(x, (1, 1), mode="circular"), "CopySlices"),
])
def test_grad_fn_names(fn, name):
    assert type(fn(engine.randn(3, 4, requires_grad=True)).grad_fn).__name__ == name


def test_cat_out_and_iteration():
    out = engine.empty(4, 2)
    a = engine.ones(2, 2)
    assert engine.cat([a, a * 2], out=out) is out
    assert out.tolist() == [[1, 1], [1, 1], [2, 2], [2, 2]]
    assert [row.tolist() for row in engine.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_pad_result_owns_memory():
    x = engine.zeros(3, 4)
    assert not np.shares_memory(engine.pad(x, (-1, -1)).numpy(), x.numpy())


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(0, 4), min_size=1, max_size=4), dim=st.integers(0, 1), data=st.data())
def test_cat_split_roundtrip(sizes, dim, data):
    other = data.draw(st.integers(1, 3))
    parts = [engine.tensor(arr(*((s, other) if dim == 0 else (other, s)))) for s in sizes]
    whole = engine.cat(parts, dim)
    assert whole.shape[dim] == sum(sizes)
    back = whole.split(sizes, dim)
    assert all(np.array_equal(p.numpy(), b.numpy()) for p, b in zip(parts, back))
    chunks = data.draw(st.integers(1, 6))
    pieces = whole.chunk(chunks, dim) if whole.shape[dim] else ()
    if pieces:
        step = -(-whole.shape[dim] // chunks)
        assert [p.shape[dim] for p in pieces][:-1] == [step] * (len(pieces) - 1)
        assert np.array_equal(engine.cat(pieces, dim).numpy(), whole.numpy())


# -------------------------------------------------------------------------------------------- errors ---
ERRORS = [
    lambda L, x: L.cat([L.zeros(2, 2), L.zeros(3, 3)], 1),
    lambda L, x: L.cat([L.zeros(2, 2), L.zeros(3, 3)], 0),
    lambda L, x: L.cat([L.zeros(2, 2), L.zeros(3)]), lambda L, x: L.cat([L.zeros(2, 2), L.zeros(2, 2, 2)]),
    lambda L, x: L.cat([]), lambda L, x: L.cat([L.tensor(1.0), L.tensor(2.0)]), lambda L, x: L.cat([x, x], 2),
    lambda L, x: L.cat(x), lambda L, x: L.cat([x, 1]), lambda L, x: L.stack([L.zeros(2, 2), L.zeros(2, 3)]),
    lambda L, x: L.stack([]), lambda L, x: L.stack([x], 3), lambda L, x: L.stack([x], -4),
    lambda L, x: x.chunk(0), lambda L, x: x.split(0), lambda L, x: x.split(-1),
    lambda L, x: x.split([1, 1], 0),
    lambda L, x: x.tensor_split(0), lambda L, x: x.tensor_split(L.tensor([1.0])), lambda L, x: x.hsplit(3),
    lambda L, x: L.tensor(1.0).hsplit(1), lambda L, x: x.select(0, 0).vsplit(2), lambda L, x: x.dsplit(2),
    lambda L, x: L.tensor(1.0).unbind(),
    lambda L, x: pad(L, x, (1,)), lambda L, x: pad(L, x, (1, 1, 1, 1, 1, 1)),
    lambda L, x: pad(L, x, (-3, -2)),
    lambda L, x: pad(L, x, (4, 0), mode="reflect"),
    lambda L, x: pad(L, x.unsqueeze(0), (1, 1, 3, 0), mode="reflect"),
    lambda L, x: pad(L, L.zeros(1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 3), mode="reflect"),
    lambda L, x: pad(L, x.select(0, 0), (1, 1), mode="reflect"),
    lambda L, x: pad(L, x, (1, 1, 1, 1), mode="replicate"),
    lambda L, x: pad(L, L.zeros(3, 0), (1, 1), mode="reflect"),
    lambda L, x: pad(L, L.zeros(2, 0, 3), (1, 1, 1, 1), mode="replicate"),
    lambda L, x: pad(L, x, (5, 0), mode="circular"),
    lambda L, x: pad(L, x.narrow(1, 0, 3), (-2, -2), mode="circular"),
    lambda L, x: pad(L, x, (1, 1), mode="foo"), lambda L, x: pad(L, x, (1, 1), mode="reflect", value=1.0),
    lambda L, x: pad(L, x, (1.0, 1)), lambda L, x: pad(L, x, (-2, -2), mode="reflect"),
    lambda L, x: pad(L, L.tensor(1.0), (1, 1)), lambda L, x: pad(L, x > 0, (1, 1, 1, 1), mode="reflect"),
    lambda L, x: pad(L, x > 0, (1, 1), mode="replicate"),
]


@pytest.mark.parity
@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    check_error(ERRORS[i], arr(3, 4))


@pytest.mark.parity
def test_axis_alias():
    check_against_torch(lambda L, a, b: (L.cat([a, b], axis=1), L.stack([a, b], axis=-1),
                                         L.concatenate([a, b], axis=0)), arr(2, 3), arr(2, 3))
