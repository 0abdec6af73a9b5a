"""Reshaping ops: views, layout copies, strided views (shape.py, layout.py, views.py)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch
from engine.testing import check_error_matches_torch as check_error

R = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    if np.dtype(dtype).kind == "b":
        return R.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return R.integers(-5, 6, size=shape).astype(dtype)
    return R.standard_normal(shape).astype(dtype)




# ------------------------------------------------------------------------------------------- parity ---
CASES = {
    "view": (lambda L, x: x.view(4, 6), [(2, 3, 4)]),
    "view_infer": (lambda L, x: x.view(-1, 3), [(2, 3, 4)]),
    "view_size": (lambda L, x: x.view(x.shape), [(2, 3)]),
    "reshape_nc": (lambda L, x: x.transpose(0, 1).reshape(12), [(3, 4)]),
    "reshape_tuple": (lambda L, x: L.reshape(x, (2, -1)), [(3, 4)]),
    "flatten": (lambda L, x: x.flatten(), [(2, 3, 4)]),
    "flatten_mid": (lambda L, x: L.flatten(x, 1, 2), [(2, 3, 4, 5)]),
    "flatten_0d": (lambda L, x: x.flatten(), [()]),
    "flatten_nc": (lambda L, x: x.permute(2, 0, 1).flatten(0, 1), [(2, 3, 4)]),
    "unflatten": (lambda L, x: x.unflatten(1, (2, -1)), [(3, 4, 2)]),
    "unflatten_nc": (lambda L, x: L.unflatten(x.t(), 0, (2, 2)), [(3, 4)]),
    "ravel": (lambda L, x: x.t().ravel(), [(3, 4)]),
    "squeeze_all": (lambda L, x: x.squeeze(), [(1, 3, 1, 4)]),
    "squeeze_dim": (lambda L, x: x.squeeze(-2), [(1, 3, 1, 4)]),
    "squeeze_noop": (lambda L, x: x.squeeze(1), [(1, 3, 1, 4)]),
    "squeeze_tuple": (lambda L, x: L.squeeze(x, (0, 1, 2)), [(1, 3, 1, 4)]),
    "squeeze_0d": (lambda L, x: x.squeeze(0), [()]),
    "unsqueeze": (lambda L, x: x.unsqueeze(-1).unsqueeze(1), [(3, 4)]),
    "unsqueeze_0d": (lambda L, x: x.unsqueeze(0), [()]),
    "transpose": (lambda L, x: x.transpose(0, 2), [(2, 3, 4)]),
    "swapaxes": (lambda L, x: L.swapaxes(x, -1, 0), [(2, 3, 4)]),
    "swapdims": (lambda L, x: x.swapdims(1, 2), [(2, 3, 4)]),
    "permute": (lambda L, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute_tuple": (lambda L, x: L.permute(x, (1, -1, 0)), [(2, 3, 4)]),
    "movedim": (lambda L, x: x.movedim(0, -1), [(2, 3, 4, 5)]),
    "movedim_multi": (lambda L, x: L.movedim(x, (0, 1), (3, 0)), [(2, 3, 4, 5)]),
    "moveaxis": (lambda L, x: L.moveaxis(x, -1, 1), [(2, 3, 4)]),
    "t": (lambda L, x: x.t(), [(3, 4)]),
    "t_1d": (lambda L, x: L.t(x), [(4,)]),
    "T": (lambda L, x: x.T, [(3, 4)]),
    "mT": (lambda L, x: x.mT, [(2, 3, 4)]),
    "adjoint": (lambda L, x: x.adjoint(), [(2, 3, 4)]),
    "expand": (lambda L, x: x.expand(2, 3, 4), [(3, 1)]),
    "expand_keep": (lambda L, x: x.expand(-1, 5), [(3, 1)]),
    "expand_as": (lambda L, x, y: x.expand_as(y), [(1, 4), (3, 4)]),
    "broadcast_to": (lambda L, x: L.broadcast_to(x, (2, 3, 4)), [(4,)]),
    "broadcast_tensors": (lambda L, x, y: L.broadcast_tensors(x, y), [(3, 1), (1, 4)]),
    "atleast_1d": (lambda L, x: L.atleast_1d(x), [()]),
    "atleast_2d": (lambda L, x, y: L.atleast_2d(x, y), [(4,), ()]),
    "atleast_3d": (lambda L, x, y, z: L.atleast_3d([x, y, z]), [(4,), (2, 3), ()]),
    "atleast_3d_4d": (lambda L, x: L.atleast_3d(x), [(1, 2, 3, 4)]),
    "view_as": (lambda L, x, y: x.view_as(y), [(2, 6), (3, 4)]),
    "reshape_as": (lambda L, x, y: x.t().reshape_as(y), [(4, 3), (2, 6)]),
    "repeat": (lambda L, x: x.repeat(2, 1, 3), [(3, 4)]),
    "repeat_same": (lambda L, x: x.repeat(1, 1), [(3, 4)]),
    "repeat_0d": (lambda L, x: x.repeat(2, 3), [()]),
    "repeat_zero": (lambda L, x: x.repeat(0, 2), [(3, 4)]),
    "tile": (lambda L, x: x.tile((2,)), [(3, 4)]),
    "tile_more": (lambda L, x: L.tile(x, (2, 1, 2)), [(3, 4)]),
    "flip": (lambda L, x: x.flip(0, 2), [(2, 3, 4)]),
    "flip_list": (lambda L, x: L.flip(x, [-1]), [(2, 3, 4)]),
    "flip_nc": (lambda L, x: x.t().flip(0), [(3, 4)]),
    "fliplr": (lambda L, x: L.fliplr(x), [(3, 4)]),
    "flipud": (lambda L, x: x.flipud(), [(3, 4)]),
    "roll_flat": (lambda L, x: x.roll(5), [(3, 4)]),
    "roll_dims": (lambda L, x: L.roll(x, (1, -2), (0, 1)), [(3, 4)]),
    "roll_dim": (lambda L, x: x.roll(-7, 1), [(3, 4)]),
    "rot90": (lambda L, x: x.rot90(), [(3, 4)]),
    "rot90_k2": (lambda L, x: L.rot90(x, 2, (1, 2)), [(2, 3, 4)]),
    "rot90_k3": (lambda L, x: x.rot90(-1, [0, 1]), [(3, 4)]),
    "rot90_k0": (lambda L, x: x.rot90(4), [(3, 4)]),
    "tril": (lambda L, x: x.tril(), [(3, 4)]),
    "tril_k": (lambda L, x: L.tril(x, -1), [(2, 4, 3)]),
    "triu": (lambda L, x: x.triu(1), [(3, 4)]),
    "triu_neg": (lambda L, x: L.triu(x, -2), [(4, 4)]),
    "diag_vec": (lambda L, x: L.diag(x), [(3,)]),
    "diag_vec_off": (lambda L, x: x.diag(-2), [(3,)]),
    "diag_mat": (lambda L, x: x.diag(), [(3, 4)]),
    "diag_mat_off": (lambda L, x: L.diag(x, 2), [(3, 4)]),
    "diagonal": (lambda L, x: x.diagonal(), [(3, 4)]),
    "diagonal_dims": (lambda L, x: L.diagonal(x, 1, 0, 2), [(3, 2, 4)]),
    "diagonal_neg": (lambda L, x: x.diagonal(-1, -1, -2), [(2, 3, 4)]),
    "diagonal_far": (lambda L, x: x.diagonal(7), [(3, 4)]),
    "diagonal_nc": (lambda L, x: x.t().diagonal(1), [(3, 4)]),
    "diag_embed": (lambda L, x: L.diag_embed(x), [(2, 3)]),
    "diag_embed_off": (lambda L, x: x.diag_embed(1, 0, 2), [(2, 3)]),
    "diag_embed_neg": (lambda L, x: x.diag_embed(-2, -1, 0), [(2, 3)]),
    "diagflat": (lambda L, x: L.diagflat(x), [(2, 2)]),
    "diagflat_off": (lambda L, x: x.diagflat(-1), [(3,)]),
    "narrow": (lambda L, x: x.narrow(1, 1, 2), [(3, 4)]),
    "narrow_neg": (lambda L, x: L.narrow(x, -1, -3, 3), [(3, 4)]),
    "narrow_tensor_start": (lambda L, x: x.narrow(0, L.tensor(1), 2), [(3, 4)]),
    "select": (lambda L, x: x.select(1, -1), [(3, 4)]),
    "select_0d": (lambda L, x: L.select(x, 0, 2), [(4,)]),
    "unfold": (lambda L, x: x.unfold(1, 3, 2), [(2, 7)]),
    "unfold_overlap": (lambda L, x: x.unfold(0, 3, 1), [(6, 2)]),
    "unfold_gap": (lambda L, x: x.unfold(-1, 2, 3), [(2, 8)]),
    "unfold_0d": (lambda L, x: x.unfold(0, 1, 1), [()]),
    "as_strided": (lambda L, x: x.as_strided((3, 3), (1, 2)), [(4, 4)]),
    "as_strided_overlap": (lambda L, x: L.as_strided(x, (4, 3), (2, 1), 1), [(12,)]),
    "meshgrid_ij": (lambda L, x, y: L.meshgrid(x, y, indexing="ij"), [(3,), (4,)]),
    "meshgrid_xy": (lambda L, x, y, z: L.meshgrid([x, y, z], indexing="xy"), [(2,), (3,), (4,)]),
    "meshgrid_0d": (lambda L, x, y: L.meshgrid(x, y, indexing="xy"), [(), (3,)]),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_parity(name):
    fn, shapes = CASES[name]
    check_against_torch(fn, *[arr(*s) for s in shapes])


@pytest.mark.parity
@pytest.mark.parametrize("name", ["view", "flatten", "squeeze_all", "permute", "repeat", "flip", "roll_dims",
                                  "rot90", "tril", "triu", "diag_vec", "diag_mat", "diagonal_dims",
                                  "diag_embed",
                                  "narrow", "select", "unfold", "meshgrid_xy", "expand", "movedim", "tile"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.float64])
def test_parity_dtypes(name, dtype):
    fn, shapes = CASES[name]
    check_against_torch(fn, *[arr(*s, dtype=dtype) for s in shapes])


EMPTY = {
    "reshape": (lambda L, x: x.reshape(-1, 3), (0, 3)),
    "flatten": (lambda L, x: x.flatten(), (2, 0, 3)),
    "repeat": (lambda L, x: x.repeat(2, 2), (0, 3)),
    "flip": (lambda L, x: x.flip(1), (2, 0)),
    "roll": (lambda L, x: x.roll(2, 0), (0, 3)),
    "rot90": (lambda L, x: x.rot90(), (0, 3)),
    "tril": (lambda L, x: x.tril(), (0, 3)),
    "diagonal": (lambda L, x: x.diagonal(), (0, 3)),
    "diag_embed": (lambda L, x: x.diag_embed(), (2, 0)),
    "narrow": (lambda L, x: x.narrow(1, 3, 0), (2, 3)),
    "unfold": (lambda L, x: x.unfold(1, 0, 1), (2, 3)),
    "expand": (lambda L, x: x.expand(0, 3), (1, 3)),
    "movedim": (lambda L, x: x.movedim(0, 1), (0, 3)),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(EMPTY))
def test_parity_empty(name):
    fn, shape = EMPTY[name]
    check_against_torch(fn, arr(*shape))


@pytest.mark.parity
def test_inf_nan_pass_through():
    x = np.array([[np.inf, -np.inf, np.nan], [1.0, np.nan, 2.0], [np.inf, 3.0, 4.0]], dtype=np.float32)
    for fn in (lambda L, t: t.tril(), lambda L, t: t.triu(1), lambda L, t: t.flip(0).roll(1, 1),
               lambda L, t: t.diag_embed(), lambda L, t: t.repeat(2, 1), lambda L, t: t.unfold(0, 2, 1)):
        check_against_torch(fn, x)


# ----------------------------------------------------------------------------------------- gradcheck ---
GRAD_CASES = [
    lambda x: x.reshape(6, 4), lambda x: x.transpose(0, 1).reshape(-1), lambda x: x.permute(2, 0, 1),
    lambda x: x.squeeze(), lambda x: x.unsqueeze(1).unsqueeze(-1), lambda x: x.flatten(1),
    lambda x: x.movedim(0, 2), lambda x: x.mT, lambda x: x.expand(2, 2, 3, 4),
    lambda x: x.repeat(2, 1, 1, 2), lambda x: x.tile((2,)), lambda x: x.flip(0, 2),
    lambda x: x.roll(3), lambda x: x.roll((1, 2), (1, 2)), lambda x: x.rot90(1, (1, 2)),
    lambda x: x.rot90(3, (2, 0)), lambda x: x.tril(), lambda x: x.triu(-1), lambda x: x.diagonal(1, 1, 2),
    lambda x: x.diag_embed(-1), lambda x: x.narrow(2, 1, 2), lambda x: x.select(1, 2),
    lambda x: x.unfold(2, 2, 1), lambda x: x.unfold(1, 2, 2), lambda x: x.as_strided((3, 3), (4, 3), 2),
    lambda x: x.diagflat(), lambda x: x.select(0, 0).diag(1), lambda x: x.select(0, 0).diag(-1),
]


@pytest.mark.parametrize("i", range(len(GRAD_CASES)))
def test_gradcheck(i):
    x = engine.tensor(arr(2, 3, 4, dtype=np.float64), requires_grad=True)
    assert gradcheck(GRAD_CASES[i], (x,))


@pytest.mark.parametrize("fn", [lambda x: x.diagonal(1, 1, 2) * 2, lambda x: x.unfold(2, 3, 1),
                                lambda x: x.narrow(1, 1, 1), lambda x: x.select(2, 0),
                                lambda x: x.repeat(1, 2, 1),
                                lambda x: x.as_strided((2, 3), (2, 5)), lambda x: x.diag_embed(1),
                                lambda x: x.rot90(), lambda x: x.tril(1), lambda x: x.roll(1, 0)])
def test_gradgradcheck(fn):
    x = engine.tensor(arr(2, 3, 4, dtype=np.float64), requires_grad=True)
    assert gradgradcheck(lambda t: fn(t) ** 2, (x,))


def test_meshgrid_gradcheck():
    a = engine.tensor(arr(3, dtype=np.float64), requires_grad=True)
    b = engine.tensor(arr(2, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda p, q: engine.meshgrid(p, q, indexing="xy"), (a, b))
    assert gradcheck(lambda p, q: engine.broadcast_tensors(p.unsqueeze(1), q), (a, b))


# ------------------------------------------------------------------------------------ memory sharing ---
@pytest.mark.parametrize("make", [
    lambda x: x.view(12), lambda x: x.reshape(2, 6), lambda x: x.t(), lambda x: x.permute(1, 0),
    lambda x: x.unsqueeze(0), lambda x: x.view(1, 3, 4).squeeze(0), lambda x: x.flatten(), lambda x: x.mT,
    lambda x: x.narrow(1, 1, 2), lambda x: x.select(0, 1), lambda x: x.diagonal(),
    lambda x: x.unfold(1, 2, 1),
    lambda x: x.as_strided((2, 2), (1, 4)), lambda x: x.movedim(0, 1), lambda x: x.unflatten(1, (2, 2)),
    lambda x: x.view(engine.int32), lambda x: x.expand(2, 3, 4), lambda x: x.view_as(x),
])
def test_views_share_memory(make):
    x = engine.zeros(3, 4)
    v = make(x)
    before = x._version_count
    v.add_(1) if v._data.flags.writeable else None
    if v._data.flags.writeable:
        assert x.numpy().sum() > 0
        assert x._version_count > before
    assert np.shares_memory(v.numpy(), x.numpy())


@pytest.mark.parametrize("make", [
    lambda x: x.flip(0), lambda x: x.roll(1), lambda x: x.rot90(), lambda x: x.repeat(1, 1),
    lambda x: x.tril(),
    lambda x: x.diag(), lambda x: x.t().reshape(12), lambda x: x.tile((1,)), lambda x: x.diag_embed(),
])
def test_copies_do_not_share(make):
    x = engine.zeros(3, 4)
    assert not np.shares_memory(make(x).numpy(), x.numpy())


def test_diagonal_view_is_writable():
    x = engine.zeros(3, 3)
    x.diagonal().add_(2)
    assert x.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]


def test_unfold_strides():
    x = engine.arange(10.0)
    u = x.unfold(0, 4, 3)
    assert u.shape == (3, 4) and u.stride() == (3, 1)
    assert u.tolist()[2] == [6.0, 7.0, 8.0, 9.0]


# --------------------------------------------------------------------------------------- grad_fn names -
@pytest.mark.parametrize("fn,name", [
    (lambda x: x.view(12), "ViewBackward0"), (lambda x: x.t().reshape(12), "UnsafeViewBackward0"),
    (lambda x: x.t(), "TBackward0"), (lambda x: x.T, "PermuteBackward0"), (lambda x: x.mT,
    "TransposeBackward0"),
    (lambda x: x.squeeze(), "SqueezeBackward0"), (lambda x: x.squeeze(0), "SqueezeBackward1"),
    (lambda x: x.squeeze((0, 1)), "SqueezeBackward2"), (lambda x: x.unsqueeze(0), "UnsqueezeBackward0"),
    (lambda x: x.expand(2, 3, 4), "ExpandBackward0"), (lambda x: x.movedim(0, 1), "PermuteBackward0"),
    (lambda x: x.repeat(2, 1), "RepeatBackward0"), (lambda x: x.flip(0), "FlipBackward0"),
    (lambda x: x.roll(1), "RollBackward0"), (lambda x: x.rot90(), "Rot90Backward0"),
    (lambda x: x.tril(), "TrilBackward0"), (lambda x: x.triu(), "TriuBackward0"),
    (lambda x: x.diag(), "DiagonalBackward0_copy"), (lambda x: x.diagonal(), "DiagonalBackward0"),
    (lambda x: x.diag_embed(), "DiagEmbedBackward0"), (lambda x: x.narrow(0, 1, 1), "SliceBackward0"),
    (lambda x: x.select(0, 1), "SelectBackward0"), (lambda x: x.unfold(1, 2, 1), "UnfoldBackward0"),
    (lambda x: x.as_strided((2,), (1,)), "AsStridedBackward0"), (lambda x: x.ravel(), "ViewBackward0"),
])
def test_grad_fn_names(fn, name):
    x = engine.randn(3, 4, requires_grad=True)
    assert type(fn(x).grad_fn).__name__ == name


def test_flatten_returns_input_when_nothing_to_merge():
    x = engine.randn(4, requires_grad=True)
    assert x.flatten() is x


def test_view_dtype():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    v = x.view(engine.int32)
    assert v.dtype == engine.int32 and not v.requires_grad
    assert v.tolist() == np.array([1.0, 2.0], np.float32).view(np.int32).tolist()
    assert engine.arange(4.0).view(engine.float64).shape == (2,)
    assert engine.arange(4.0).view(engine.float16).shape == (8,)


def test_resize_():
    x = engine.arange(6.0)
    assert x.resize_(2, 3).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert x.resize_(2).tolist() == [0, 1]
    assert x.resize_(4).shape == (4,)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        engine.zeros(2, requires_grad=True).resize_(3)


def test_broadcast_shapes_and_T_warnings():
    assert engine.broadcast_shapes((2, 1), (3,), 1) == engine.Size([2, 3])
    assert repr(engine.broadcast_shapes((5, 1, 4), (3, 1))) == "torch.Size([5, 3, 4])"
    with pytest.warns(UserWarning, match="on tensors of dimension other than 2"):
        _ = engine.zeros(2, 3, 4).T
    with pytest.warns(UserWarning, match="on tensors of dimension other than 2"):
        _ = engine.zeros(3).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _ = engine.zeros(3, 2).T
        engine.meshgrid(engine.zeros(2), indexing="ij")
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        engine.meshgrid(engine.zeros(2), engine.zeros(3))


def test_repeat_backward_with_create_graph():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x.repeat(3) ** 2).sum()
    (g,) = engine.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [6.0, 12.0]
    (g2,) = engine.autograd.grad(g.sum(), x)
    assert g2.tolist() == [6.0, 6.0]


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_permute_reshape_roundtrip(shape, data):
    x = engine.tensor(arr(*shape))
    perm = data.draw(st.permutations(range(len(shape))))
    y = x.permute(perm)
    back = y.permute(tuple(np.argsort(perm).tolist()))
    assert np.array_equal(back.numpy(), x.numpy())
    assert np.array_equal(y.reshape(-1).numpy(), np.transpose(x.numpy(), perm).reshape(-1))
    n = len(shape)
    dims = data.draw(st.lists(st.integers(-n, n - 1), max_size=n, unique_by=lambda d: d % n))
    assert np.array_equal(x.flip(dims).numpy(), np.flip(x.numpy(), [d % len(shape) for d in dims]))


# -------------------------------------------------------------------------------------------- errors ---
ERRORS = [
    lambda L, x: x.view(5), lambda L, x: x.view(-1, -1), lambda L, x: x.reshape(5, -1),
    lambda L, x: L.zeros(0, 3).reshape(0, -1), lambda L, x: x.t().view(12), lambda L, x: x.expand(2, 4),
    lambda L, x: x.expand(4), lambda L, x: x.expand(-1, 3, 4), lambda L, x: x.squeeze(2),
    lambda L, x: x.squeeze((0, 0)), lambda L, x: x.unsqueeze(3), lambda L, x: x.transpose(0, 2),
    lambda L, x: x.permute(0), lambda L, x: x.permute(0, 0), lambda L, x: x.flatten(1, 0),
    lambda L, x: x.unflatten(1, (3, 2)), lambda L, x: x.movedim((0, 1), (0,)),
    lambda L, x: x.movedim((0, 0), (0, 1)), lambda L, x: L.zeros(2, 2, 2).t(),
    lambda L, x: x.select(0, 0).adjoint(),
    lambda L, x: x.select(0, 0).mT, lambda L, x: L.zeros(3, 2, 2).H, lambda L, x: x.repeat(2),
    lambda L, x: x.repeat(2, -1), lambda L, x: x.flip(0, 0), lambda L, x: x.select(0, 0).fliplr(),
    lambda L, x: L.tensor(1.0).flipud(), lambda L, x: x.roll((1, 2), (0,)), lambda L, x: x.roll((1, 2)),
    lambda L, x: L.tensor(1.0).roll(1, 0), lambda L, x: x.rot90(1, [0]), lambda L, x: x.rot90(1, [0, 0]),
    lambda L, x: x.rot90(1, [-1, 1]), lambda L, x: x.rot90(1, [0, 2]), lambda L, x: x.select(0, 0).rot90(),
    lambda L, x: x.select(0, 0).tril(), lambda L, x: x.select(0, 0).triu(),
    lambda L, x: L.zeros(2, 2, 2).diag(),
    lambda L, x: L.tensor(1.0).diag(), lambda L, x: x.diagonal(0, 0, 0),
    lambda L, x: x.select(0, 0).diag_embed(0, 0, 0),
    lambda L, x: x.narrow(0, 2, 2), lambda L, x: x.narrow(0, 4, 0), lambda L, x: x.narrow(0, -4, 0),
    lambda L, x: x.narrow(0, 0, -1), lambda L, x: L.tensor(1.0).narrow(0, 0, 1), lambda L, x: x.select(0, 3),
    lambda L, x: x.select(0, -4), lambda L, x: L.tensor(1.0).select(0, 0), lambda L, x: x.unfold(1, 5, 1),
    lambda L, x: x.unfold(1, 2, 0), lambda L, x: x.as_strided((4, 4), (4, 1)),
    lambda L, x: x.as_strided((4,), (-1,)), lambda L, x: L.broadcast_shapes((2, 3), (3, 2)),
    lambda L, x: L.broadcast_tensors(L.zeros(2, 3), L.zeros(3, 2)), lambda L, x: L.meshgrid(indexing="ij"),
    lambda L, x: L.meshgrid(x.select(0, 0), x.select(0, 0), indexing="foo"),
    lambda L, x: L.meshgrid(L.zeros(2), L.zeros(2, dtype=L.int64), indexing="ij"),
    lambda L, x: x.narrow(1, 0, 3).view(L.float64), lambda L, x: x.t().view(L.int16),
    lambda L, x: L.tensor(1.0).view(L.int8),
    lambda L, x: L.zeros(2, requires_grad=True).resize_(3),
]


@pytest.mark.parity
@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    check_error(ERRORS[i], arr(3, 4))


@pytest.mark.parity
@pytest.mark.parametrize("fn", [lambda L, x: (x * 2).squeeze_(), lambda L, x: (x * 2).squeeze_(0),
                                lambda L, x: (x * 2).squeeze_((0, 2)), lambda L, x: (x * 2).unsqueeze_(1),
                                lambda L, x: (x * 2).squeeze_().unsqueeze_(0).t_(),
                                lambda L, x: (x * 2).transpose_(0, 2), lambda L, x: (x * 2).swapaxes_(1, 2)])
def test_inplace_shape_ops(fn):
    import torch

    check_against_torch(fn, arr(1, 3, 1))
    e = fn(engine, engine.randn(1, 3, 1, requires_grad=True))
    t = fn(torch, torch.randn(1, 3, 1, requires_grad=True))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


def test_inplace_shape_ops_keep_identity_and_memory():
    x = engine.zeros(1, 3)
    y = x.view(3, 1)
    assert y.squeeze_() is y and y.shape == (3,) and np.shares_memory(y.numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        engine.zeros(1, 3, requires_grad=True).squeeze_()
