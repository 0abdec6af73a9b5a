"""nn normalization: batch/instance/layer/group norm (fused primitives), rms_norm, local_response_norm,
normalize, and their modules (running stats, momentum, state dicts, reprs)."""

import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import assert_close, check_against_torch

rng = np.random.default_rng(1)


def t64(*shape):
    return engine.tensor(rng.standard_normal(shape), requires_grad=True)


def arr(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def module_parity(make, x, *, train=True, steps=1, rtol=1e-4, atol=1e-5):
    """torch's state_dict loads into the engine module; outputs, grads and buffers match over `steps`."""
    import torch

    tm, em = make(torch), make(engine)
    assert repr(em) == repr(tm)
    sd = tm.state_dict()
    assert list(em.state_dict()) == list(sd)
    with torch.no_grad():  # non-trivial affine parameters
        for p in tm.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    em.load_state_dict({k: engine.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tm.train(train)
    em.train(train)
    for _ in range(steps):
        xt, xe = torch.tensor(x, requires_grad=True), engine.tensor(x, requires_grad=True)
        to, eo = tm(xt), em(xe)
        assert_close(eo, to, rtol=rtol, atol=atol)
        g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
        to.backward(torch.tensor(g))
        eo.backward(engine.tensor(g))
        assert_close(xe.grad, xt.grad, rtol=rtol, atol=atol)
    tp = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, tp[name].grad, rtol=rtol, atol=atol, msg=name + ": ")
    for name, b in tm.state_dict().items():
        assert_close(em.state_dict()[name], b, rtol=rtol, atol=atol, msg=name + ": ")
    return em, tm


# ------------------------------------------------------------------------------------------ gradcheck ---
RUNNING = (engine.tensor(rng.standard_normal(3)), engine.tensor(rng.random(3) + 0.5))


GRADCHECK_CASES = {
    "bn_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3, 5), (3,), (3,)]),
    "bn_train_2d": (lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [(5, 3), (3,), (3,)]),
    "bn_eval": (lambda x, w, b: F.batch_norm(x, *RUNNING, w, b, training=False), [(4, 3, 2), (3,), (3,)]),
    "bn_plain": (lambda x: F.batch_norm(x, None, None, training=True), [(4, 3, 2, 2)]),
    "in": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [(2, 3, 5), (3,), (3,)]),
    "in_eval": (lambda x: F.instance_norm(x, *RUNNING, use_input_stats=False), [(2, 3, 5)]),
    "ln": (lambda x, w, b: F.layer_norm(x, (3, 2), w, b), [(2, 3, 2), (3, 2), (3, 2)]),
    "ln_plain": (lambda x: F.layer_norm(x, (4,)), [(3, 4)]),
    "gn": (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    "gn_one_group": (lambda x: F.group_norm(x, 1), [(2, 4, 2, 2)]),
    "rms": (lambda x, w: F.rms_norm(x, (4,), w, eps=1e-6), [(3, 4), (4,)]),
    "lrn": (lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.7, k=1.5), [(2, 4, 3)]),
    "normalize": (lambda x: F.normalize(x, p=3, dim=0), [(3, 4)]),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_gradcheck_and_double_backward(name):
    fn, shapes = GRADCHECK_CASES[name]
    inputs = [t64(*s) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_fused_nodes_are_named_like_torch():
    x, w, b = t64(4, 3, 2), t64(3), t64(3)
    assert F.batch_norm(x, None, None, w, b, True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.layer_norm(x, (2,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.group_norm(x, 3).grad_fn.name() == "NativeGroupNormBackward0"
    assert F.instance_norm(x).grad_fn.name() == "ViewBackward0"
    with engine.no_grad():
        assert F.batch_norm(x, None, None, w, b, True).grad_fn is None


# --------------------------------------------------------------------------------------- torch parity ---
@pytest.mark.parity
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_parity(shape):
    c = shape[1]
    rm, rv = arr(c), np.abs(arr(c)) + 0.5
    check_against_torch(lambda L, x, w, b: L.nn.functional.batch_norm(x, None, None, w, b, True, 0.1, 1e-3),
                        arr(*shape), arr(c), arr(c))
    check_against_torch(lambda L, x, w, b: L.nn.functional.batch_norm(x, L.tensor(rm), L.tensor(rv), w, b),
                        arr(*shape), arr(c), arr(c))
    check_against_torch(lambda L, x: L.nn.functional.batch_norm(x, None, None, training=True), arr(*shape))


@pytest.mark.parity
def test_running_stats_update_parity():
    import torch

    x = arr(6, 3, 4)
    res = []
    for lib in (engine, torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        lib.nn.functional.batch_norm(lib.tensor(x), rm, rv, training=True, momentum=0.3)
        im, iv = lib.zeros(3), lib.ones(3)
        lib.nn.functional.instance_norm(lib.tensor(x), im, iv, momentum=0.2)
        res.append([rm, rv, im, iv])
    for e, t in zip(*res):
        assert_close(e, t)


@pytest.mark.parity
def test_other_norms_parity():
    x4, c = arr(2, 4, 3, 2), 4
    check_against_torch(lambda L, x, w, b: L.nn.functional.instance_norm(x, weight=w, bias=b),
                        x4, arr(c), arr(c))
    check_against_torch(lambda L, x, w, b: L.nn.functional.group_norm(x, 2, w, b, 1e-3), x4, arr(c), arr(c))
    check_against_torch(lambda L, x: L.nn.functional.group_norm(x, 4), x4)
    check_against_torch(lambda L, x, w, b: L.nn.functional.layer_norm(x, (3, 2), w, b),
                        x4, arr(3, 2), arr(3, 2))
    check_against_torch(lambda L, x, w: L.nn.functional.layer_norm(x, [2], w), x4, arr(2))
    check_against_torch(lambda L, x, w: L.nn.functional.rms_norm(x, (3, 2), w), x4, arr(3, 2))
    check_against_torch(lambda L, x: L.nn.functional.rms_norm(x, (2,), eps=0.1), x4)
    check_against_torch(lambda L, x: L.nn.functional.local_response_norm(x, 3), x4)
    check_against_torch(lambda L, x: L.nn.functional.local_response_norm(x, 2, 0.3, 0.5, 2.0), arr(2, 5, 3))
    check_against_torch(lambda L, x: L.nn.functional.normalize(x), x4)
    check_against_torch(lambda L, x: L.nn.functional.normalize(x, p=1.0, dim=-1), x4)
    z = x4.copy()
    z[0, :, 0, 0] = 0
    check_against_torch(lambda L, x: L.nn.functional.normalize(x), z)


@pytest.mark.parity
def test_empty_and_half_inputs():
    check_against_torch(lambda L, x: L.nn.functional.layer_norm(x, (3,)), arr(0, 4, 3))
    check_against_torch(lambda L, x: L.nn.functional.group_norm(x, 2), arr(0, 4, 3))
    check_against_torch(lambda L, x: L.nn.functional.batch_norm(x, None, None, training=True), arr(0, 3))
    check_against_torch(lambda L, x: L.nn.functional.layer_norm(x, (8,)), arr(4, 8).astype(np.float16),
                        grad=False, rtol=1e-2, atol=1e-2)


# ------------------------------------------------------------------------------------------- errors ---
ERRORS = [
    (lambda: F.batch_norm(engine.randn(4, 3), engine.zeros(4), engine.ones(3), training=True),
     RuntimeError, "running_mean should contain 3 elements not 4"),
    (lambda: F.batch_norm(engine.randn(4, 3), None, None, engine.ones(4), training=True),
     RuntimeError, "weight should contain 3 elements not 4"),
    (lambda: F.batch_norm(engine.randn(1, 3), None, None, training=True),
     ValueError, r"more than 1 value per channel when training, got input size torch.Size\(\[1, 3\]\)"),
    (lambda: F.batch_norm(engine.randn(4, 3), None, None), RuntimeError, "running_mean must be defined"),
    (lambda: F.batch_norm(engine.randn(4, 3).double(), engine.zeros(3), engine.ones(3), training=True),
     RuntimeError, r"mixed dtype \(CPU\): all inputs must share same datatype."),
    (lambda: F.instance_norm(engine.randn(2, 3, 1)), ValueError, "Expected more than 1 spatial element"),
    (lambda: F.instance_norm(engine.randn(2, 3, 4), weight=engine.ones(4)),
     RuntimeError, "weight should contain 6 elements not 8"),
    (lambda: F.instance_norm(engine.randn(2, 3, 4), use_input_stats=False),
     RuntimeError, "Expected running_mean and running_var to be defined when use_input_stats is false"),
    (lambda: F.layer_norm(engine.randn(4, 3, 5), (4,)), RuntimeError,
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size\[4, 3, 5\]"),
    (lambda: F.layer_norm(engine.randn(4, 3, 5), (3, 5), engine.ones(5)), RuntimeError,
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[5\] and "
     r"normalized_shape = \[3, 5\]"),
    (lambda: F.layer_norm(engine.randn(4, 5), 5), TypeError, "must be tuple of ints, not int"),
    (lambda: F.group_norm(engine.randn(4, 3, 5), 2), RuntimeError,
     r"divisible by num_groups, but got input of shape \[4, 3, 5\] and num_groups=2"),
    (lambda: F.group_norm(engine.randn(1, 3), 3), ValueError, r"got input size \[1, 3\]"),
    (lambda: F.group_norm(engine.randn(3), 3), RuntimeError, "Expected at least 2 dimensions"),
    (lambda: F.rms_norm(engine.randn(4, 5), (4,)), RuntimeError, r"expected input with shape \[\*4\]"),
    (lambda: F.local_response_norm(engine.randn(2, 3), 2), ValueError, "Expected 3D or higher dimensional"),
    (lambda: nn.BatchNorm1d(3)(engine.randn(2, 3, 4, 5)), ValueError,
     r"expected 2D or 3D input \(got 4D input\)"),
    (lambda: nn.BatchNorm2d(3)(engine.randn(2, 3, 4)), ValueError, r"expected 4D input \(got 3D input\)"),
    (lambda: nn.BatchNorm3d(3)(engine.randn(2, 3, 4)), ValueError, r"expected 5D input \(got 3D input\)"),
    (lambda: nn.InstanceNorm1d(3)(engine.randn(2, 3, 4, 5)), ValueError, "expected 2D or 3D input"),
    (lambda: nn.InstanceNorm2d(3, affine=True)(engine.randn(2, 4, 4, 4)), ValueError,
     r"expected input's size at dim=1 to match num_features \(3\), but got: 4."),
    (lambda: nn.GroupNorm(2, 3), ValueError, r"num_channels \(3\) must be divisible by num_groups \(2\)"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_like_torch(i):
    fn, exc, msg = ERRORS[i]
    with pytest.raises(exc, match=msg):
        fn()


# ------------------------------------------------------------------------------------------ modules ---
@pytest.mark.parity
@pytest.mark.parametrize("expr,shape", [
    ("BatchNorm1d(3)", (5, 3)), ("BatchNorm1d(3, momentum=None)", (5, 3, 4)),
    ("BatchNorm2d(3, eps=1e-3, momentum=0.5)", (4, 3, 2, 2)), ("BatchNorm3d(2)", (2, 2, 2, 2, 3)),
    ("BatchNorm2d(3, affine=False)", (2, 3, 2, 2)), ("BatchNorm1d(3, track_running_stats=False)", (4, 3)),
    ("BatchNorm1d(3, bias=False)", (4, 3)), ("SyncBatchNorm(3)", (4, 3, 2)),
    ("InstanceNorm1d(3)", (2, 3, 4)),
    ("InstanceNorm2d(3, affine=True, track_running_stats=True)", (2, 3, 2, 2)),
    ("InstanceNorm1d(3, affine=True)", (3, 4)), ("InstanceNorm3d(2)", (2, 2, 2, 2, 2)),
    ("LayerNorm(4)", (3, 2, 4)), ("LayerNorm([2, 4], elementwise_affine=False)", (3, 2, 4)),
    ("LayerNorm(4, bias=False)", (3, 4)), ("GroupNorm(2, 4)", (3, 4, 5)),
    ("GroupNorm(1, 4, affine=False)", (3, 4)),
    ("LocalResponseNorm(2)", (2, 4, 3)), ("RMSNorm(4)", (3, 4)), ("RMSNorm([2, 4], eps=1e-3)", (3, 2, 4)),
])
@pytest.mark.parametrize("train", [True, False])
def test_module_parity(expr, shape, train):
    module_parity(lambda lib: eval("lib.nn." + expr, {"lib": lib}), arr(*shape), train=train, steps=3)


def test_batchnorm_buffers_and_momentum_none():
    m = nn.BatchNorm1d(3, momentum=None)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert m.num_batches_tracked.dtype == engine.int64 and m.num_batches_tracked.shape == ()
    batches = [rng.standard_normal((8, 3)).astype(np.float32) for _ in range(3)]
    for b in batches:
        m(engine.tensor(b))
    assert m.num_batches_tracked.item() == 3
    np.testing.assert_allclose(m.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(m.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], 0),
                               rtol=1e-5)
    m.eval()
    before = m.running_mean.numpy().copy()
    m(engine.tensor(batches[0]))
    assert np.array_equal(before, m.running_mean.numpy()) and m.num_batches_tracked.item() == 3
    m.reset_running_stats()
    assert m.running_var.tolist() == [1.0] * 3 and m.num_batches_tracked.item() == 0


def test_batchnorm_loads_checkpoint_without_num_batches_tracked():
    m = nn.BatchNorm1d(2)
    sd = {"weight": engine.ones(2), "bias": engine.zeros(2), "running_mean": engine.zeros(2),
          "running_var": engine.ones(2)}
    sd = type(m.state_dict())(sd)
    sd._metadata = {"": {"version": 1}}
    result = m.load_state_dict(sd)
    assert not result.missing_keys and not result.unexpected_keys
    nt = nn.BatchNorm1d(2, track_running_stats=False)
    assert nt.running_mean is None and list(nt.state_dict()) == ["weight", "bias"]


def test_instance_norm_unbatched_warning_and_defaults():
    m = nn.InstanceNorm1d(3)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = m(engine.randn(2, 5))
    assert out.shape == (2, 5)
    assert any("input's size at dim=0 does not match num_features" in str(w.message) for w in caught)


def test_layer_norm_module_attributes():
    m = nn.LayerNorm(5)
    assert m.normalized_shape == (5,) and m.weight.tolist() == [1.0] * 5 and m.bias.tolist() == [0.0] * 5
    assert nn.LayerNorm([2, 3]).weight.shape == (2, 3)
    assert nn.RMSNorm(4).eps is None and nn.RMSNorm(4).weight.tolist() == [1.0] * 4
    x = engine.randn(2, 5, requires_grad=True)
    y = m(x)
    np.testing.assert_allclose(y.detach().numpy().mean(-1), 0, atol=1e-6)
    np.testing.assert_allclose(y.detach().numpy().var(-1), 1, atol=1e-3)


def test_create_graph_through_batch_norm():
    x = t64(5, 3)
    w = t64(3)
    y = F.batch_norm(x, None, None, w, None, True)
    (gx,) = engine.autograd.grad((y ** 3).sum(), x, create_graph=True)
    gx.sum().backward()
    assert x.grad is not None and w.grad is not None


def test_saved_input_modified_in_place_raises():
    x = engine.randn(4, 3, requires_grad=True)
    h = x * 1
    y = F.layer_norm(h, (3,))
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
