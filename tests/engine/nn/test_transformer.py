"""Transformer encoder/decoder layers and stacks: torch's structure, reprs, masks, values and gradients."""

import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.testing import assert_close

# mixing a float causal mask with a bool padding mask is deliberate here (torch warns about it too)
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched", "ignore:The PyTorch API of nested")


def load_from_torch(em, tm):
    em.load_state_dict({k: engine.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})


def _pair(name, *args, **kwargs):
    """The same module built in torch and engine, engine loaded with torch's weights, both in eval mode."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, name)(*args, **kwargs)
        em = getattr(nn, name)(*args, **kwargs)
    load_from_torch(em, tm)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    return em.eval(), tm.eval()


def _compare(em, tm, arrays, masks=None, **kw):
    """Outputs, input gradients and parameter gradients for a random upstream gradient."""
    import torch

    results = []
    for lib, m in ((engine, em), (torch, tm)):
        ins = [lib.tensor(a, requires_grad=True) for a in arrays]
        mk = {k: lib.tensor(v) for k, v in (masks or {}).items()}
        out = m(*ins, **mk, **kw)
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(lib.tensor(g))
        results.append((out, [i.grad for i in ins] + [p.grad for p in m.parameters()]))
    (eo, eg), (to, tg) = results
    assert_close(eo, to, atol=2e-5, rtol=1e-4)
    for a, b in zip(eg, tg):
        assert_close(a, b, atol=2e-5, rtol=1e-4)


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


KPM = np.array([[False, False, False, True, True], [False] * 5])
CAUSAL = np.triu(np.full((5, 5), -np.inf, np.float32), 1)


@pytest.mark.parity
@pytest.mark.parametrize("kw", [{}, {"norm_first": True}, {"activation": "gelu", "batch_first": True},
                                {"bias": False, "layer_norm_eps": 1e-3}],
                         ids=["post", "pre", "gelu-bf", "nobias"])
@pytest.mark.parametrize("masks", [{}, {"src_key_padding_mask": KPM}, {"src_mask": CAUSAL},
                                   {"src_mask": CAUSAL, "src_key_padding_mask": KPM}],
                         ids=["none", "kpm", "causal", "both"])
def test_encoder_layer_parity(rng, kw, masks):
    em, tm = _pair("TransformerEncoderLayer", 8, 2, 16, **kw)
    x = f32(rng, 2, 5, 8) if kw.get("batch_first") else f32(rng, 5, 2, 8)
    _compare(em, tm, [x], masks)


@pytest.mark.parity
def test_encoder_layer_unbatched_and_is_causal(rng):
    em, tm = _pair("TransformerEncoderLayer", 8, 2, 16)
    _compare(em, tm, [f32(rng, 5, 8)], {"src_mask": CAUSAL}, is_causal=True)
    _compare(em, tm, [f32(rng, 5, 8)], {"src_key_padding_mask": KPM[0]})


@pytest.mark.parity
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_parity(rng, batch_first):
    import torch

    layer_t = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(8))
        em = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first), 2,
                                   norm=nn.LayerNorm(8))
    load_from_torch(em, tm)
    assert repr(em) == repr(tm)
    em.eval(), tm.eval()
    x = f32(rng, 2, 5, 8) if batch_first else f32(rng, 5, 2, 8)
    _compare(em, tm, [x], {"mask": CAUSAL})  # detected as causal
    _compare(em, tm, [x], {"src_key_padding_mask": KPM})


@pytest.mark.parity
def test_encoder_inference_zeroes_padding_like_torch(rng):
    """torch's inference path runs on nested tensors and pads the output back with zeros."""
    import torch

    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2)
    em = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2)
    load_from_torch(em, tm)
    em.eval(), tm.eval()
    x = f32(rng, 2, 5, 8)
    with torch.no_grad(), engine.no_grad():
        eo = em(engine.tensor(x), src_key_padding_mask=engine.tensor(KPM))
        to = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(KPM))
    assert_close(eo, to, atol=2e-5, rtol=1e-4)
    assert np.all(eo.numpy()[0, 3:] == 0)


@pytest.mark.parity
@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "batch_first": True}], ids=["post", "pre-bf"])
def test_decoder_layer_and_decoder_parity(rng, kw):
    em, tm = _pair("TransformerDecoderLayer", 8, 2, 16, **kw)
    bf = kw.get("batch_first")
    tgt = f32(rng, 2, 4, 8) if bf else f32(rng, 4, 2, 8)
    mem = f32(rng, 2, 5, 8) if bf else f32(rng, 5, 2, 8)
    masks = {"tgt_mask": CAUSAL[:4, :4], "memory_key_padding_mask": KPM, "tgt_key_padding_mask": KPM[:, :4]}
    _compare(em, tm, [tgt, mem], masks)
    _compare(em, tm, [tgt, mem], {"tgt_mask": CAUSAL[:4, :4]}, tgt_is_causal=True)
    import torch

    em.zero_grad(), tm.zero_grad()  # the stacks deep-copy the layers (torch's copies drop .grad)
    td = torch.nn.TransformerDecoder(tm, 2, norm=torch.nn.LayerNorm(8))
    ed = nn.TransformerDecoder(em, 2, norm=nn.LayerNorm(8))
    load_from_torch(ed, td)
    assert repr(ed) == repr(td)
    _compare(ed.eval(), td.eval(), [tgt, mem], masks)


@pytest.mark.parity
def test_transformer_parity(rng):
    em, tm = _pair("Transformer", d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                   dim_feedforward=16, batch_first=True)
    src, tgt = f32(rng, 2, 5, 8), f32(rng, 2, 4, 8)
    masks = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(4).numpy(),
             "src_key_padding_mask": KPM, "memory_key_padding_mask": KPM}
    _compare(em, tm, [src, tgt], masks)


def test_structure_and_repr():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.2)
    assert [n for n, _ in layer.named_children()] == ["self_attn", "linear1", "dropout", "linear2", "norm1",
                                                       "norm2", "dropout1", "dropout2"]
    assert layer.activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    module_act = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.GELU())
    assert "(activation): GELU(approximate='none')" in repr(module_act)
    assert nn.TransformerEncoderLayer(8, 2, activation=lambda x: x).activation_relu_or_gelu == 0
    dec = nn.TransformerDecoderLayer(8, 2, 16)
    assert [n for n, _ in dec.named_children()] == ["self_attn", "multihead_attn", "linear1", "dropout",
                                                     "linear2", "norm1", "norm2", "norm3", "dropout1",
                                                     "dropout2", "dropout3"]
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 3)
    assert len(enc.layers) == 3 and enc.layers[0] is not enc.layers[1]
    assert_close(enc.layers[0].linear1.weight, enc.layers[2].linear1.weight)  # deep copies of one layer
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.tolist() == [[0.0, -np.inf, -np.inf], [0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]]
    assert mask.dtype == engine.float32


def test_nested_tensor_warning():
    with pytest.warns(UserWarning, match=r"enable_nested_tensor is True, but self.use_nested_tensor is False "
                                         r"because encoder_layer.self_attn.batch_first was not True\(use"):
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
    assert enc.use_nested_tensor is False and enc.enable_nested_tensor is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1, enable_nested_tensor=False)
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
    with pytest.warns(UserWarning, match="encoder_layer.norm_first was True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True), 1)


def test_transformer_errors_and_training_mode():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(engine.randn(5, 2, 8), engine.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(engine.randn(5, 2, 8), engine.randn(4, 2, 6))
    out = model(engine.randn(5, 2, 8), engine.randn(4, 2, 8))  # training mode: dropout on
    assert out.shape == (4, 2, 8)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
