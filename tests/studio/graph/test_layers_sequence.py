"""Sequence/attention entries: the shapes and costs the canvas shows match the modules compile builds."""

import numpy as np
import pytest

import engine
from engine import nn
from studio.graph import modules, registry
from studio.graph.errors import ShapeError
from studio.graph.layers import HELPER_SOURCES
from studio.graph.shapes import Incoming, concrete


def _np(tensor):
    return tensor.detach().numpy()


# (type, params, {port: input shape}) with the batch symbol N
CASES = [
    ("Embedding", {"num_embeddings": 50, "embedding_dim": 8}, {"in": ("N", 7)}),
    ("MultiheadAttention", {"embed_dim": 16, "num_heads": 4}, {"q": ("N", 5, 16)}),
    ("MultiheadAttention", {"embed_dim": 16, "num_heads": 2, "kdim": 6, "vdim": 10, "bias": False},
     {"q": ("N", 5, 16), "k": ("N", 3, 6), "v": ("N", 3, 10)}),
    ("SelfAttention2d", {"in_dim": 16}, {"in": ("N", 16, 5, 4)}),
    ("TransformerEncoderLayer", {"d_model": 16, "nhead": 4, "dim_feedforward": 32, "dropout": 0.0},
     {"in": ("N", 6, 16)}),
    ("RNN", {"input_size": 6, "hidden_size": 5, "num_layers": 2}, {"in": ("N", 7, 6)}),
    ("GRU", {"input_size": 6, "hidden_size": 5, "bidirectional": True}, {"in": ("N", 7, 6)}),
    ("LSTM", {"input_size": 6, "hidden_size": 5, "num_layers": 2, "bidirectional": True, "bias": False},
     {"in": ("N", 7, 6)}),
]


def _infer(layer, params, inputs):
    spec = registry.get(layer)
    params = spec.validate_params(params)
    return spec, params, spec.infer(params, {k: Incoming(v, "from prev") for k, v in inputs.items()})


@pytest.mark.parametrize("layer, params, inputs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_inferred_shapes_and_param_counts_match_the_built_module(layer, params, inputs):
    spec, params, outputs = _infer(layer, params, inputs)
    module = registry.build_module(spec, params, inputs)
    module.eval()
    batch = 3
    args = []
    for shape in inputs.values():
        shape = concrete(shape, batch)
        args.append(engine.randint(0, 50, shape) if layer == "Embedding" else engine.randn(*shape))
    result = module(*args)
    result = result if isinstance(result, tuple) else (result,)
    for port, value in zip((p.name for p in spec.outputs), result):
        assert tuple(value.shape) == concrete(outputs[port], batch), port
    cost = spec.cost(params, inputs, outputs)
    assert cost.params == sum(p.numel() for p in module.parameters())
    assert cost.flops >= 0 and cost.activations > 0


@pytest.mark.parametrize("layer, params, inputs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_exported_code_builds_the_same_module(layer, params, inputs):
    spec, params, _ = _infer(layer, params, inputs)
    code = registry.module_code(spec, params, inputs)
    namespace = {"nn": nn, "torch": engine}
    for name in spec.code_helpers:
        exec(HELPER_SOURCES[name], namespace)
    exported = eval(code, namespace)
    built = registry.build_module(spec, params, inputs)
    assert type(exported).__name__ == type(built).__name__
    assert {k: tuple(v.shape) for k, v in exported.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in built.state_dict().items()}


def test_batch_first_is_written_explicitly_because_the_studio_default_differs_from_torch():
    spec = registry.get("LSTM")
    code = registry.module_code(spec, spec.validate_params({}), {})
    assert code == "LSTMLayer(64, 128, batch_first=True)"


def test_multihead_attention_shapes():
    _, _, out = _infer("MultiheadAttention", {"embed_dim": 16, "num_heads": 4}, {"q": ("N", 5, 16)})
    assert out == {"out": ("N", 5, 16), "weights": ("N", 5, 5)}
    _, _, out = _infer("MultiheadAttention", {"embed_dim": 16, "num_heads": 4},
                       {"q": ("N", 5, 16), "k": ("N", 9, 16)})  # v defaults to k
    assert out == {"out": ("N", 5, 16), "weights": ("N", 5, 9)}


@pytest.mark.parametrize("layer, params, inputs, message", [
    ("MultiheadAttention", {"embed_dim": 16, "num_heads": 5}, {"q": ("N", 5, 16)},
     "MultiheadAttention embed_dim 16 is not divisible by num_heads 5"),
    ("MultiheadAttention", {"embed_dim": 16, "num_heads": 4}, {"q": ("N", 5, 12)},
     "MultiheadAttention expects 16 features (embed_dim) on 'q' but receives 12 (from prev)"),
    ("MultiheadAttention", {"embed_dim": 16, "num_heads": 4}, {"q": ("N", 5, 16), "k": ("N", 4, 16),
                                                               "v": ("N", 3, 16)},
     "MultiheadAttention needs k and v of the same length, got 4 and 3"),
    ("MultiheadAttention", {"embed_dim": 16, "num_heads": 4}, {"q": ("N", 16)},
     "MultiheadAttention expects a 3-D input (N×L×E) but receives N×16 (from prev)"),
    ("SelfAttention2d", {"in_dim": 32}, {"in": ("N", 16, 5, 5)},
     "SelfAttention2d expects 32 channels (in_dim) but receives 16 (from prev)"),
    ("TransformerEncoderLayer", {"d_model": 16, "nhead": 3}, {"in": ("N", 5, 16)},
     "TransformerEncoderLayer d_model 16 is not divisible by nhead 3"),
    ("LSTM", {"input_size": 6, "hidden_size": 5}, {"in": ("N", 7, 8)},
     "LSTM expects 6 input features (input_size) but receives 8 (from prev)"),
    ("GRU", {"input_size": 6, "hidden_size": 5}, {"in": ("N", 6)},
     "GRU expects a 3-D input (N×L×F) but receives N×6 (from prev)"),
    ("Embedding", {"num_embeddings": 10, "padding_idx": 10}, {"in": ("N", 4)},
     "padding_idx 10 is outside the 10 embeddings"),
])
def test_shape_errors_speak_the_users_language(layer, params, inputs, message):
    with pytest.raises(ShapeError) as info:
        _infer(layer, params, inputs)
    assert info.value.message == message


@pytest.mark.parametrize("layer,params,inputs,message", [
    ("GRU", {"input_size": 6, "hidden_size": 5, "batch_first": False}, {"in": ("N", 7, 6)},
     "GRU has batch_first off, so it reads N×7×6 (from prev) as L×N×F, but axis 0 is the batch (N)"),
    ("LSTM", {"input_size": 6, "hidden_size": 5}, {"in": (7, "N", 6)},
     "LSTM has batch_first on, so it reads 7×N×6 (from prev) as N×L×F, but axis 1 is the batch (N)"),
    ("MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "batch_first": False}, {"q": ("N", 4, 8)},
     "MultiheadAttention has batch_first off, so it reads N×4×8 (from prev) as L×N×F"),
    ("TransformerEncoderLayer", {"d_model": 8, "nhead": 2, "batch_first": False}, {"in": ("N", 4, 8)},
     "TransformerEncoderLayer has batch_first off"),
])
def test_a_batch_where_the_layer_expects_the_sequence_is_refused(layer, params, inputs, message):
    """Studio batches are N first: batch_first=False on them would mix every sample into one sequence."""
    with pytest.raises(ShapeError) as info:
        _infer(layer, params, inputs)
    assert info.value.message.startswith(message)


def test_recurrent_outputs_with_batch_first_off():
    _, _, out = _infer("GRU", {"input_size": 6, "hidden_size": 5, "batch_first": False, "num_layers": 3},
                       {"in": (7, "N", 6)})
    assert out == {"out": (7, "N", 5), "hidden": (3, "N", 5)}


def test_lstm_layer_returns_h_n_and_keeps_nn_lstm_state_dict():
    module = modules.LSTMLayer(6, 5, num_layers=2, batch_first=True)
    reference = nn.LSTM(6, 5, num_layers=2, batch_first=True)
    reference.load_state_dict(module.state_dict())
    x = engine.randn(3, 7, 6)
    out, h_n = module(x)
    ref_out, (ref_h, _) = reference(x)
    np.testing.assert_allclose(_np(out), _np(ref_out), rtol=1e-6)
    np.testing.assert_allclose(_np(h_n), _np(ref_h), rtol=1e-6)


def test_multihead_attention_qkv_defaults_k_and_v_to_q():
    module = modules.MultiheadAttentionQKV(8, 2, batch_first=True)
    q = engine.randn(2, 5, 8)
    out, weights = module(q)
    ref_out, ref_weights = nn.MultiheadAttention.forward(module, q, q, q)
    np.testing.assert_allclose(_np(out), _np(ref_out), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(weights), _np(ref_weights), rtol=1e-5, atol=1e-6)
    keys = ["in_proj_bias", "in_proj_weight", "out_proj.bias", "out_proj.weight"]
    assert sorted(module.state_dict()) == keys


def _sagan_reference(x, q_w, q_b, k_w, k_b, v_w, v_b, gamma):
    """The SAGAN block's math written out in numpy (1×1 convs are matmuls over channels)."""
    b, c, h, w = x.shape
    flat = x.reshape(b, c, h * w)
    query = np.einsum("oc,bcp->bop", q_w[:, :, 0, 0], flat) + q_b[None, :, None]
    key = np.einsum("oc,bcp->bop", k_w[:, :, 0, 0], flat) + k_b[None, :, None]
    value = np.einsum("oc,bcp->bop", v_w[:, :, 0, 0], flat) + v_b[None, :, None]
    energy = np.einsum("bcp,bcq->bpq", query, key)
    attention = np.exp(energy - energy.max(-1, keepdims=True))
    attention /= attention.sum(-1, keepdims=True)
    out = np.einsum("bcq,bpq->bcp", value, attention).reshape(b, c, h, w)
    return gamma * out + x


def test_self_attention_2d_matches_the_sagan_math_and_starts_as_identity():
    module = modules.SelfAttention2d(16)
    assert module.query_conv.out_channels == 2 and module.value_conv.out_channels == 16
    x = engine.randn(2, 16, 3, 5)
    np.testing.assert_allclose(_np(module(x)), x.numpy())  # gamma starts at 0
    with engine.no_grad():
        module.gamma.fill_(0.7)
    state = {k: _np(v) for k, v in module.state_dict().items()}
    expected = _sagan_reference(x.numpy(), state["query_conv.weight"], state["query_conv.bias"],
                                state["key_conv.weight"], state["key_conv.bias"], state["value_conv.weight"],
                                state["value_conv.bias"], 0.7)
    np.testing.assert_allclose(_np(module(x)), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("name, args, shape", [
    ("SelfAttention2d", (16,), (2, 16, 3, 5)),
    ("LSTMLayer", (6, 5), (2, 7, 6)),
    ("MultiheadAttentionQKV", (8, 2), (2, 5, 8)),
])
def test_helper_sources_run_on_torch_with_the_same_result(name, args, shape):
    import torch

    namespace = {"torch": torch, "nn": torch.nn}
    exec(HELPER_SOURCES[name], namespace)
    kwargs = {"batch_first": True} if name != "SelfAttention2d" else {}
    ours, theirs = getattr(modules, name)(*args, **kwargs), namespace[name](*args, **kwargs)
    ours.eval()
    theirs.eval()
    state = {k: torch.tensor(_np(v)) for k, v in ours.state_dict().items()}
    if name == "SelfAttention2d":
        state["gamma"] = torch.tensor([0.5])
        with engine.no_grad():
            ours.gamma.fill_(0.5)
    theirs.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out, ref = ours(engine.tensor(x)), theirs(torch.tensor(x))
    out = out if isinstance(out, tuple) else (out,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    for a, b in zip(out, ref):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_only_embedding_offers_spectral_norm():
    offered = {t for t in ("Embedding", "MultiheadAttention", "SelfAttention2d", "TransformerEncoderLayer",
                           "RNN", "GRU", "LSTM") if registry.get(t).weighted}
    assert offered == {"Embedding"}
    spec = registry.get("Embedding")
    module = registry.build_module(spec, spec.validate_params({"spectral_norm": True}), {"in": ("N", 4)})
    assert "weight_orig" in module.state_dict()
