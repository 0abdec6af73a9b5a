"""scaled_dot_product_attention and MultiheadAttention: torch's values, gradients, masks, reprs and errors."""

import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import assert_close, check_against_torch


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def f64(rng, *shape, grad=True):
    return engine.tensor(rng.standard_normal(shape), requires_grad=grad)


def load_from_torch(em, tm):
    em.load_state_dict({k: engine.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})


# ------------------------------------------------------------------------- scaled_dot_product_attention ---
def test_sdpa_gradcheck(rng):
    q, k, v = f64(rng, 2, 3, 4), f64(rng, 2, 5, 4), f64(rng, 2, 5, 3)
    assert gradcheck(F.scaled_dot_product_attention, (q, k, v))
    mask = f64(rng, 3, 5)
    assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
                     (q, k, v, mask))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))
    bool_mask = engine.tensor(rng.random((2, 3, 5)) > 0.3)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=bool_mask), (q, k, v))


def test_sdpa_gradgradcheck(rng):
    q, k, v = f64(rng, 1, 2, 3), f64(rng, 1, 3, 3), f64(rng, 1, 3, 2)
    assert gradgradcheck(F.scaled_dot_product_attention, (q, k, v))


@pytest.mark.parity
@pytest.mark.parametrize("shapes", [((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)), ((4, 8), (5, 8), (5, 6)),
                                    ((3, 4, 8), (3, 5, 8), (3, 5, 8))])
def test_sdpa_parity_shapes(rng, shapes):
    arrays = [f32(rng, *s) for s in shapes]
    check_against_torch(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v), *arrays,
                        atol=1e-5)


@pytest.mark.parity
def test_sdpa_parity_masks_causal_scale_gqa(rng):
    q, k, v = f32(rng, 2, 4, 3, 8), f32(rng, 2, 4, 5, 8), f32(rng, 2, 4, 5, 6)
    bool_mask = rng.random((3, 5)) > 0.4
    bool_mask[1] = False  # a row with no allowed key: torch gives zeros there, not NaN
    float_mask = f32(rng, 2, 1, 3, 5)

    def run(lib, q, k, v, m):
        sdpa = lib.nn.functional.scaled_dot_product_attention
        return (sdpa(q, k, v, attn_mask=lib.tensor(bool_mask)), sdpa(q, k, v, attn_mask=m, scale=0.5),
                sdpa(q, k, v, is_causal=True), sdpa(k, q, q, is_causal=True))

    check_against_torch(run, q, k, v, float_mask, atol=1e-5)
    kv_heads = f32(rng, 2, 2, 5, 8), f32(rng, 2, 2, 5, 6)
    check_against_torch(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, enable_gqa=True), q, *kv_heads, atol=1e-5)


def test_sdpa_fully_masked_row_is_zero(rng):
    q = engine.tensor(f32(rng, 1, 2, 4), requires_grad=True)
    mask = engine.tensor([[True, True, False], [False, False, False]])
    out = F.scaled_dot_product_attention(q, engine.randn(1, 3, 4), engine.randn(1, 3, 5), attn_mask=mask)
    assert np.all(out[0, 1].detach().numpy() == 0) and np.isfinite(out.detach().numpy()).all()
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and np.all(q.grad.numpy()[0, 1] == 0)


def test_sdpa_dropout():
    q, k, v = engine.randn(2, 6, 4), engine.randn(2, 6, 4), engine.randn(2, 6, 4)
    engine.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    engine.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert_close(a, b)
    assert not np.allclose(a.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)


def _sdpa(q_shape, k_shape, **kw):
    q, k, v = engine.randn(*q_shape), engine.randn(*k_shape), engine.randn(*k_shape[:-1], 4)
    return lambda: F.scaled_dot_product_attention(q, k, v, **kw)


@pytest.mark.parametrize("call, message", [
    (_sdpa((2, 3, 4), (2, 5, 4), attn_mask=engine.ones(3, 5, dtype=engine.bool), is_causal=True),
     "Explicit attn_mask should not be set when is_causal=True"),
    (lambda: F.scaled_dot_product_attention(engine.randn(3, 4), engine.randn(5, 4).double(),
                                            engine.randn(5, 4)),
     "Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: double"),
    (_sdpa((3, 4), (5, 4), attn_mask=engine.zeros(3, 5, dtype=engine.int64)),
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: long"),
    (_sdpa((4,), (4,)), "at least 2 dimensional, but got query.dim: 1"),
])
def test_sdpa_errors(call, message):
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call()


# ------------------------------------------------------------------------------------- MultiheadAttention ---
def test_mha_parameters_repr_and_errors():
    m = nn.MultiheadAttention(8, 2)
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                     "out_proj.bias"]
    assert m.in_proj_weight.shape == (24, 8) and m.q_proj_weight is None and m.bias_k is None
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    bound = np.sqrt(6 / (24 + 8))  # xavier_uniform_ on the packed (3E, E) weight
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
                       "out_features=8, bias=True)\n)")
    sep = nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=4, vdim=6)
    assert list(sep.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                      "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]
    assert sep.k_proj_weight.shape == (8, 4) and sep.v_proj_weight.shape == (8, 6)
    assert sep.in_proj_weight is None
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 2)
    x = engine.randn(4, 3, 8)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor"):
        m(engine.randn(2, 4, 3, 8), x, x)
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D but found 2-D and 3-D"):
        m(x, engine.randn(4, 8), x)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[2, 2\]\), "
                                           r"but should be \(4, 4\)\."):
        m(x, x, x, attn_mask=engine.zeros(2, 2))
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask are"):
        m(x, x, x, key_padding_mask=engine.zeros(3, 4, dtype=engine.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is"):
        m(x, x, x, key_padding_mask=engine.zeros(3, 4, dtype=engine.bool), attn_mask=engine.zeros(4, 4))


def test_mha_need_weights_and_unbatched_shapes():
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    x = engine.randn(3, 5, 8)
    out, w = m(x, x, x)
    assert out.shape == (3, 5, 8) and w.shape == (3, 5, 5)
    assert_close(w.sum(-1), engine.ones(3, 5), atol=1e-5, rtol=1e-5)
    out, w = m(x, x, x, average_attn_weights=False)
    assert w.shape == (3, 2, 5, 5)
    assert m(x, x, x, need_weights=False)[1] is None
    out, w = m(x[0], x[0], x[0])
    assert out.shape == (5, 8) and w.shape == (5, 5)
    m.train()
    m.dropout = 0.5
    out, _ = m(x, x, x)
    assert np.isfinite(out.detach().numpy()).all()


MHA_CONFIGS = [{}, {"batch_first": True}, {"add_bias_kv": True}, {"add_zero_attn": True},
               {"kdim": 5, "vdim": 3}, {"bias": False}]
KPM = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]], bool)
MASKS = {"none": {}, "kpm": {"key_padding_mask": KPM},
         "float": {"attn_mask": np.random.default_rng(5).standard_normal((4, 5)).astype(np.float32)},
         "causal_bool+kpm": {"attn_mask": np.triu(np.ones((4, 5), bool), 1), "key_padding_mask": KPM},
         "3d": {"attn_mask": np.random.default_rng(6).standard_normal((6, 4, 5)).astype(np.float32)},
         "float_kpm": {"key_padding_mask": np.where(KPM, -1e4, 0.0).astype(np.float32)}}


def _mha_parity(kw, masks, need_weights, rng, unbatched=False, self_attn=False, **fwd):
    import torch

    tm = torch.nn.MultiheadAttention(8, 2, **kw)
    em = nn.MultiheadAttention(8, 2, **kw)
    load_from_torch(em, tm)
    assert repr(em) == repr(tm)
    kd, vd = kw.get("kdim", 8), kw.get("vdim", 8)
    shapes = [(4, 3, 8), (5, 3, kd), (5, 3, vd)]
    if kw.get("batch_first"):
        shapes = [(s[1], s[0], s[2]) for s in shapes]
    if unbatched:
        shapes = [(s[0], s[2]) for s in shapes]
        masks = {k: (v[0] if k == "key_padding_mask" else v) for k, v in masks.items()}
    arrays = [f32(rng, *s) for s in shapes]
    results = []
    for lib, m in ((engine, em), (torch, tm)):
        ins = [lib.tensor(a, requires_grad=True) for a in arrays]
        if self_attn:
            ins = [ins[0]] * 3
        mk = {n: lib.tensor(a) for n, a in masks.items()}
        out, w = m(*ins, need_weights=need_weights, **mk, **fwd)
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(lib.tensor(g))
        results.append((out, w, [i.grad for i in ins] + [p.grad for p in m.parameters()]))
    (eo, ew, eg), (to, tw, tg) = results
    assert_close(eo, to, atol=1e-5, rtol=1e-4)
    if tw is None:
        assert ew is None
    else:
        assert_close(ew, tw, atol=1e-5, rtol=1e-4)
    for a, b in zip(eg, tg):
        assert_close(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parity
@pytest.mark.parametrize("kw", MHA_CONFIGS, ids=lambda kw: ",".join(kw) or "default")
@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_parity(rng, kw, mask_name, need_weights):
    _mha_parity(kw, MASKS[mask_name], need_weights, rng)


@pytest.mark.parity
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_parity_self_attention_unbatched_and_causal(rng, need_weights):
    _mha_parity({}, {}, need_weights, rng, self_attn=True)
    _mha_parity({"batch_first": True}, {"key_padding_mask": KPM[:, :4]}, need_weights, rng, self_attn=True,
                average_attn_weights=False)
    _mha_parity({}, {"key_padding_mask": KPM}, need_weights, rng, unbatched=True)
    causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    _mha_parity({}, {"attn_mask": causal}, need_weights, rng, self_attn=True, is_causal=True)


@pytest.mark.parity
def test_mha_fully_padded_row_like_torch(rng):
    """need_weights=True uses a plain softmax (NaN for a fully padded key row), need_weights=False the sdpa
    path (zeros)."""
    import torch

    tm = torch.nn.MultiheadAttention(4, 1)
    em = nn.MultiheadAttention(4, 1)
    load_from_torch(em, tm)
    x = f32(rng, 3, 2, 4)
    kpm = np.array([[True, True, True], [False, True, False]])
    for nw in (True, False):
        eo = em(*[engine.tensor(x)] * 3, key_padding_mask=engine.tensor(kpm), need_weights=nw)[0]
        to = tm(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=nw)[0]
        assert_close(eo, to, atol=1e-5, rtol=1e-4, equal_nan=True)


def test_mha_no_warning_for_bool_masks():
    m = nn.MultiheadAttention(4, 2)
    x = engine.randn(3, 2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m(x, x, x, key_padding_mask=engine.zeros(2, 3, dtype=engine.bool),
          attn_mask=engine.zeros(3, 3, dtype=engine.bool))


@pytest.fixture
def split_across_threads(monkeypatch):
    """Force the threaded attention kernels (batch split across 3 threads) even on tiny inputs."""
    from engine import _parallel, threads

    monkeypatch.setattr(_parallel, "MIN_PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_MACS", 0)
    monkeypatch.setattr(_parallel, "MIN_SPLIT_GEMM_MACS", 0)
    monkeypatch.setattr(_parallel, "CHUNKS_QUIET_SECONDS", float("inf"))
    monkeypatch.setattr(threads, "_num_threads", 3)


def test_threaded_attention_gradcheck(rng, split_across_threads):
    q, k, v = f64(rng, 5, 3, 4), f64(rng, 5, 6, 4), f64(rng, 5, 6, 3)
    assert gradcheck(F.scaled_dot_product_attention, (q, k, v))
    mask = engine.tensor(rng.standard_normal((1, 3, 6)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.3),
                     (q, k, v))
    assert gradgradcheck(F.scaled_dot_product_attention, (q, k, v))


@pytest.mark.parity
@pytest.mark.parametrize("mask_name", ["none", "float", "causal_bool+kpm", "3d"])
def test_threaded_mha_parity(rng, mask_name, split_across_threads):
    _mha_parity({}, MASKS[mask_name], True, rng)
    _mha_parity({"batch_first": True}, MASKS[mask_name], False, rng)


@pytest.mark.parametrize("threaded", [False, True])
def test_self_attention_packed_heads_gradcheck(rng, threaded, request):
    """Self-attention splits the packed projection into heads in one fused step: float64 gradients and
    second derivatives through it, single-threaded and split across threads."""
    if threaded:
        request.getfixturevalue("split_across_threads")
    engine.manual_seed(0)
    mha = nn.MultiheadAttention(6, 2, dtype=engine.float64)
    x = f64(rng, 4, 3, 6)

    def attend(x):
        out, weights = mha(x, x, x)
        return out, weights

    assert gradcheck(attend, (x,))
    assert gradgradcheck(lambda x: attend(x)[0], (x,))
