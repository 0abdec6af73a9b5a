"""Sequence and attention layers: Embedding, MultiheadAttention, SelfAttention2d, TransformerEncoderLayer,
RNN, GRU, LSTM.

The studio feeds batches with the batch first, so batch_first defaults to True here (torch's default is
False); exported code writes batch_first=True explicitly. Turning it off means the input is L×N×F, which
only a recurrent layer's hidden state (layers×N×H) gives: a batch where the layer expects the sequence is
refused, since the layer would mix every sample into one sequence.
Attention costs count the attention matrix as activation memory: it is what dominates for long inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..registry import Cost, LayerSpec, ParamSpec, PortSpec, call_code, register
from ..shapes import BATCH, Shape, came_from, format_shape, numel

Params = Mapping[str, Any]

_DROPOUT = ParamSpec("dropout", "float", 0.0, minimum=0.0, maximum=1.0, doc="dropout probability")
_BATCH_FIRST = ParamSpec("batch_first", "bool", True,
                         doc="inputs are N×L×F (the studio's layout); off: L×N×F")


def _engine_nn():
    from engine import nn

    return nn


def _modules():
    from .. import modules

    return modules


def _expect_dims(layer: str, x: Shape, ndim: int, layout: str, port: str | None = None) -> None:
    if len(x) != ndim:
        raise ShapeError(f"{layer} expects a {ndim}-D input ({layout}) but receives "
                         f"{format_shape(x)}{came_from(x)}", port=port)


def _check_batch_axis(layer: str, x: Shape, batch_first: bool, port: str | None = None) -> None:
    """The batch (N) must sit where batch_first says: reading it as the sequence would mix samples."""
    if not batch_first and x[0] == BATCH:
        raise ShapeError(f"{layer} has batch_first off, so it reads {format_shape(x)}{came_from(x)} as "
                         "L×N×F, but axis 0 is the batch (N): every sample would be mixed into one sequence. "
                         "Turn batch_first on (the studio's batches are N first).", port=port)
    if batch_first and x[1] == BATCH:
        raise ShapeError(f"{layer} has batch_first on, so it reads {format_shape(x)}{came_from(x)} as N×L×F, "
                         "but axis 1 is the batch (N): turn batch_first off for this input.", port=port)


def _split_sequence(x: Shape, batch_first: bool) -> tuple[Any, Any]:
    """(batch, length) of a 3-D sequence tensor."""
    return (x[0], x[1]) if batch_first else (x[1], x[0])


def _join_sequence(batch: Any, length: Any, features: int, batch_first: bool) -> Shape:
    return (batch, length, features) if batch_first else (length, batch, features)


# ------------------------------------------------------------------------------------------ Embedding ---
def _embedding_infer(params: Params, inputs: Mapping[str, Any]) -> dict:
    x, num = inputs["in"], params["num_embeddings"]
    pad = params["padding_idx"]
    if pad is not None and not -num <= pad < num:
        raise ShapeError(f"padding_idx {pad} is outside the {num} embeddings")
    return {"out": (*x, params["embedding_dim"])}


register(LayerSpec(
    type="Embedding", category="Sequence",
    doc="Looks up a learned vector for each integer index (int64 input N×L -> N×L×embedding_dim).",
    params=(ParamSpec("num_embeddings", "int", 1000, minimum=1, doc="vocabulary size"),
            ParamSpec("embedding_dim", "int", 64, minimum=1),
            ParamSpec("padding_idx", "int", None, optional=True, doc="index whose vector stays zero")),
    infer=_embedding_infer,
    cost=lambda p, i, o: Cost(params=p["num_embeddings"] * p["embedding_dim"],
                              activations=numel(o["out"][1:])),
    build=lambda p, i: _engine_nn().Embedding(p["num_embeddings"], p["embedding_dim"],
                                              padding_idx=p["padding_idx"]),
    code=lambda p, i: call_code("nn.Embedding", p["num_embeddings"], p["embedding_dim"],
                                padding_idx=p["padding_idx"], defaults={"padding_idx": None}),
    weighted=True,
))


# ------------------------------------------------------------------------------- MultiheadAttention ---
def _check_heads(layer: str, dim_name: str, dim: int, heads_name: str, heads: int) -> None:
    if dim % heads:
        raise ShapeError(f"{layer} {dim_name} {dim} is not divisible by {heads_name} {heads}")


def _mha_infer(params: Params, inputs: Mapping[str, Any]) -> dict:
    embed, heads, bf = params["embed_dim"], params["num_heads"], params["batch_first"]
    layout = "N×L×E" if bf else "L×N×E"
    _check_heads("MultiheadAttention", "embed_dim", embed, "num_heads", heads)
    k_port = "k" if "k" in inputs else "q"  # unconnected k is q, unconnected v is k
    v_port = "v" if "v" in inputs else k_port
    q, k, v = inputs["q"], inputs[k_port], inputs[v_port]
    kdim, vdim = params["kdim"] or embed, params["vdim"] or embed
    checks = (("embed_dim", "q", q, embed), ("kdim", k_port, k, kdim), ("vdim", v_port, v, vdim))
    for what, port, x, dim in checks:
        _expect_dims("MultiheadAttention", x, 3, layout, port)
        _check_batch_axis("MultiheadAttention", x, bf, port)
        if x[-1] != dim:
            raise ShapeError(f"MultiheadAttention expects {dim} features ({what}) on '{port}' but receives "
                             f"{x[-1]}{came_from(x)}", port=port)
    batch, length = _split_sequence(q, bf)
    k_batch, source = _split_sequence(k, bf)
    v_batch, v_source = _split_sequence(v, bf)
    if k_batch != batch or v_batch != batch:
        raise ShapeError("MultiheadAttention needs the same batch size on q, k and v, got "
                         f"{format_shape(q)}, {format_shape(k)} and {format_shape(v)}")
    if source != v_source:
        raise ShapeError(f"MultiheadAttention needs k and v of the same length, got {source} and {v_source}")
    return {"out": _join_sequence(batch, length, embed, bf), "weights": (batch, length, source)}


def _mha_cost(params: Params, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Cost:
    e, heads, bias = params["embed_dim"], params["num_heads"], params["bias"]
    kdim, vdim = params["kdim"] or e, params["vdim"] or e
    _, length, source = outputs["weights"]
    weights = e * (e + kdim + vdim) + e * e
    projections = 2 * (length * e * e + source * kdim * e + source * vdim * e + length * e * e)
    attention = 4 * length * source * e + 5 * heads * length * source  # QK^T, softmax, AV
    return Cost(params=weights + (4 * e if bias else 0), flops=projections + attention,
                activations=numel(outputs["out"][1:]) + heads * length * source)


def _mha_build(params: Params, inputs: Mapping[str, Any]):
    return _modules().MultiheadAttentionQKV(
        params["embed_dim"], params["num_heads"], dropout=params["dropout"], bias=params["bias"],
        kdim=params["kdim"], vdim=params["vdim"], batch_first=params["batch_first"])


def _mha_code(params: Params, inputs: Mapping[str, Any]) -> str:
    return call_code("MultiheadAttentionQKV", params["embed_dim"], params["num_heads"],
                     dropout=params["dropout"], bias=params["bias"], kdim=params["kdim"],
                     vdim=params["vdim"], batch_first=params["batch_first"],
                     defaults={"dropout": 0.0, "bias": True, "kdim": None, "vdim": None})


register(LayerSpec(
    type="MultiheadAttention", category="Attention",
    doc="Multi-head attention softmax(QKᵀ/√d)V. Leave k and v unconnected for self-attention (k defaults "
        "to q, v to k). 'weights' are the attention weights averaged over heads (N×L×S).",
    params=(ParamSpec("embed_dim", "int", 64, minimum=1), ParamSpec("num_heads", "int", 8, minimum=1),
            _DROPOUT, ParamSpec("bias", "bool", True),
            ParamSpec("kdim", "int", None, minimum=1, optional=True, doc="k features (None: embed_dim)"),
            ParamSpec("vdim", "int", None, minimum=1, optional=True, doc="v features (None: embed_dim)"),
            _BATCH_FIRST),
    inputs=(PortSpec("q"), PortSpec("k", optional=True), PortSpec("v", optional=True)),
    outputs=(PortSpec("out"), PortSpec("weights")),
    infer=_mha_infer, cost=_mha_cost, build=_mha_build, code=_mha_code,
    code_helpers=("MultiheadAttentionQKV",),
))


# ---------------------------------------------------------------------------------- SelfAttention2d ---
def _sagan_infer(params: Params, inputs: Mapping[str, Any]) -> dict:
    x, dim = inputs["in"], params["in_dim"]
    _expect_dims("SelfAttention2d", x, 4, "N×C×H×W")
    if x[1] != dim:
        raise ShapeError(f"SelfAttention2d expects {dim} channels (in_dim) but receives {x[1]}{came_from(x)}")
    return {"out": tuple(x)}


def _sagan_cost(params: Params, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Cost:
    c = params["in_dim"]
    c8 = c // 8
    hw = numel(outputs["out"][2:])
    weights = 2 * (c * c8 + c8) + c * c + c + 1
    flops = 2 * hw * c * (2 * c8 + c) + 2 * hw * hw * c8 + 5 * hw * hw + 2 * hw * hw * c + 2 * c * hw
    return Cost(params=weights, flops=flops, activations=hw * (2 * c8 + 2 * c) + 2 * hw * hw)


register(LayerSpec(
    type="SelfAttention2d", category="Attention",
    doc="SAGAN self-attention over the positions of a feature map (N×C×H×W -> same): gamma·attention + x, "
        "gamma starting at 0. Query/key use in_dim // 8 channels.",
    params=(ParamSpec("in_dim", "int", 64, minimum=8, doc="channels of the input (C); at least 8"),),
    infer=_sagan_infer, cost=_sagan_cost,
    build=lambda p, i: _modules().SelfAttention2d(p["in_dim"]),
    code=lambda p, i: call_code("SelfAttention2d", p["in_dim"]),
    code_helpers=("SelfAttention2d",),
))


# -------------------------------------------------------------------------- TransformerEncoderLayer ---
def _encoder_infer(params: Params, inputs: Mapping[str, Any]) -> dict:
    x, d = inputs["in"], params["d_model"]
    _check_heads("TransformerEncoderLayer", "d_model", d, "nhead", params["nhead"])
    _expect_dims("TransformerEncoderLayer", x, 3, "N×L×d_model" if params["batch_first"] else "L×N×d_model")
    _check_batch_axis("TransformerEncoderLayer", x, params["batch_first"])
    if x[-1] != d:
        raise ShapeError(f"TransformerEncoderLayer expects {d} features (d_model) but receives "
                         f"{x[-1]}{came_from(x)}")
    return {"out": tuple(x)}


def _encoder_cost(params: Params, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Cost:
    d, ff, heads = params["d_model"], params["dim_feedforward"], params["nhead"]
    _, length = _split_sequence(outputs["out"], params["batch_first"])
    weights = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    flops = 8 * length * d * d + 4 * length * length * d + 5 * heads * length * length + 4 * length * d * ff
    activations = length * (6 * d + ff) + heads * length * length
    return Cost(params=weights, flops=flops, activations=activations)


def _encoder_kwargs(params: Params) -> dict[str, Any]:
    return {"dim_feedforward": params["dim_feedforward"], "dropout": params["dropout"],
            "activation": params["activation"], "batch_first": params["batch_first"],
            "norm_first": params["norm_first"]}


register(LayerSpec(
    type="TransformerEncoderLayer", category="Attention",
    doc="Self-attention followed by a feed-forward block, each with a residual and LayerNorm "
        "(norm_first: normalise before each block). N×L×d_model -> same.",
    params=(ParamSpec("d_model", "int", 512, minimum=1), ParamSpec("nhead", "int", 8, minimum=1),
            ParamSpec("dim_feedforward", "int", 2048, minimum=1),
            ParamSpec("dropout", "float", 0.1, minimum=0.0, maximum=1.0),
            ParamSpec("activation", "choice", "relu", choices=("relu", "gelu")),
            _BATCH_FIRST, ParamSpec("norm_first", "bool", False)),
    infer=_encoder_infer, cost=_encoder_cost,
    build=lambda p, i: _engine_nn().TransformerEncoderLayer(p["d_model"], p["nhead"], **_encoder_kwargs(p)),
    code=lambda p, i: call_code("nn.TransformerEncoderLayer", p["d_model"], p["nhead"], **_encoder_kwargs(p),
                                defaults={"dim_feedforward": 2048, "dropout": 0.1, "activation": "relu",
                                          "norm_first": False}),
))


# ------------------------------------------------------------------------------------ RNN, GRU, LSTM ---
_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _recurrent_infer(kind: str):
    def infer(params: Params, inputs: Mapping[str, Any]) -> dict:
        x, bf = inputs["in"], params["batch_first"]
        _expect_dims(kind, x, 3, "N×L×F" if bf else "L×N×F")
        _check_batch_axis(kind, x, bf)
        if x[-1] != params["input_size"]:
            raise ShapeError(f"{kind} expects {params['input_size']} input features (input_size) but "
                             f"receives {x[-1]}{came_from(x)}")
        batch, length = _split_sequence(x, bf)
        dirs, hidden = 2 if params["bidirectional"] else 1, params["hidden_size"]
        return {"out": _join_sequence(batch, length, hidden * dirs, bf),
                "hidden": (params["num_layers"] * dirs, batch, hidden)}

    return infer


def _recurrent_cost(kind: str):
    gates = _GATES[kind]

    def cost(params: Params, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Cost:
        hidden, dirs = params["hidden_size"], 2 if params["bidirectional"] else 1
        _, length = _split_sequence(outputs["out"], params["batch_first"])
        weights = flops = 0
        features = params["input_size"]
        for _ in range(params["num_layers"]):
            per_dir = gates * hidden * (features + hidden) + (2 * gates * hidden if params["bias"] else 0)
            weights += dirs * per_dir
            flops += dirs * length * (2 * gates * hidden * (features + hidden) + 4 * gates * hidden)
            features = hidden * dirs
        states = params["num_layers"] * dirs * length * hidden * gates  # gate values kept for backward
        return Cost(params=weights, flops=flops,
                    activations=numel(outputs["out"][1:]) + numel(outputs["hidden"]) + states)

    return cost


def _recurrent_kwargs(kind: str, params: Params) -> dict[str, Any]:
    kwargs = {"num_layers": params["num_layers"], "bias": params["bias"],
              "batch_first": params["batch_first"], "dropout": params["dropout"],
              "bidirectional": params["bidirectional"]}
    if kind == "RNN":
        kwargs["nonlinearity"] = params["nonlinearity"]
    return kwargs


_RECURRENT_DEFAULTS = {"num_layers": 1, "bias": True, "dropout": 0.0, "bidirectional": False,
                       "nonlinearity": "tanh"}


def _recurrent_build(kind: str):
    def build(params: Params, inputs: Mapping[str, Any]):
        cls = _modules().LSTMLayer if kind == "LSTM" else getattr(_engine_nn(), kind)
        return cls(params["input_size"], params["hidden_size"], **_recurrent_kwargs(kind, params))

    return build


def _recurrent_code(kind: str):
    name = "LSTMLayer" if kind == "LSTM" else f"nn.{kind}"

    def code(params: Params, inputs: Mapping[str, Any]) -> str:
        return call_code(name, params["input_size"], params["hidden_size"], **_recurrent_kwargs(kind, params),
                         defaults=_RECURRENT_DEFAULTS)

    return code


_RECURRENT_DOCS = {
    "RNN": "Elman recurrent layer h_t = tanh(W x_t + U h_(t-1) + b).",
    "GRU": "Gated recurrent unit layer.",
    "LSTM": "Long short-term memory layer ('hidden' is h_n; the cell state is not exposed).",
}

for _kind in ("RNN", "GRU", "LSTM"):
    _extra = (ParamSpec("nonlinearity", "choice", "tanh", choices=("tanh", "relu")),) if _kind == "RNN" \
        else ()
    register(LayerSpec(
        type=_kind, category="Recurrent",
        doc=_RECURRENT_DOCS[_kind] + " Input N×L×input_size; 'out' N×L×(hidden_size·directions), "
                                     "'hidden' (num_layers·directions)×N×hidden_size.",
        params=(ParamSpec("input_size", "int", 64, minimum=1),
                ParamSpec("hidden_size", "int", 128, minimum=1),
                ParamSpec("num_layers", "int", 1, minimum=1), ParamSpec("bias", "bool", True), _BATCH_FIRST,
                _DROPOUT, ParamSpec("bidirectional", "bool", False), *_extra),
        outputs=(PortSpec("out"), PortSpec("hidden")),
        infer=_recurrent_infer(_kind), cost=_recurrent_cost(_kind), build=_recurrent_build(_kind),
        code=_recurrent_code(_kind), code_helpers=("LSTMLayer",) if _kind == "LSTM" else (),
    ))
