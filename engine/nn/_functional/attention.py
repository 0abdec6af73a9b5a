"""nn.functional: scaled_dot_product_attention and multi_head_attention_forward (MultiheadAttention's core).

The attention core works on (batch*heads, L, E) arrays: the weights softmax(Q K^T * scale + mask) are one
fused node (attention_core.py), then one batched matmul with V; no Python loop over batch or heads.
"""

from __future__ import annotations

import math
import warnings

from ...ops._helpers import new, xp
from ...ops.joining import cat
from ...ops.padding import pad
from ...ops.random import rand_like
from ...tensor import Tensor
from .attention_core import attention_weights, packed_heads
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _cpp(t: Tensor) -> str:
    name = t._data.dtype.name
    return _CPP_NAMES.get(name, name)


def _dropout(x: Tensor, p: float) -> Tensor:
    if p <= 0:
        return x
    if p >= 1:
        return x * 0.0
    keep = rand_like(x)._data >= p
    return x * new((keep / (1.0 - p)).astype(x._data.dtype))


def _bool_to_additive(mask: Tensor, dtype) -> Tensor:
    """A bool mask (True = masked out) as a float mask: -inf where True, 0 elsewhere."""
    mod = xp(mask)
    data = mod.zeros(mask._data.shape, dtype=dtype)
    data[mask._data] = -mod.inf
    return new(data)


# -------------------------------------------------------------------------- scaled_dot_product_attention ---
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V. A bool attn_mask marks the positions that TAKE PART (True);
    a float mask is added to the scores. Rows with no allowed position give zeros."""
    qd, kd, vd = query._data, key._data, value._data
    if qd.ndim < 2 or kd.ndim < 2 or vd.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got "
                           f"query.dim: {qd.ndim} key.dim: {kd.ndim} and value.dim: {vd.ndim} instead.")
    if not qd.dtype == kd.dtype == vd.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_cpp(query)} key.dtype: {_cpp(key)} and value.dtype: {_cpp(value)} instead.")
    if attn_mask is not None and attn_mask._data.dtype.kind != "b" and attn_mask._data.dtype != qd.dtype:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_cpp(attn_mask)} and  query.dtype: {_cpp(query)} instead.")
    L, S = qd.shape[-2], kd.shape[-2]
    sc = 1.0 / math.sqrt(qd.shape[-1]) if scale is None else scale
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        mod = xp(query)
        mask = _bool_to_additive(new(~mod.tril(mod.ones((L, S), dtype=bool))), qd.dtype)
    elif attn_mask is not None:
        mask = _bool_to_additive(attn_mask.logical_not(), qd.dtype) if attn_mask._data.dtype.kind == "b" \
            else attn_mask
    if enable_gqa and qd.ndim >= 3:
        hq, hk, hv = qd.shape[-3], kd.shape[-3], vd.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        if hk != hq:
            key = key.repeat_interleave(hq // hk, -3)
        if hv != hq:
            value = value.repeat_interleave(hq // hv, -3)
    attn = attention_weights(query, key, mask, sc, safe=True)
    attn = _dropout(attn, dropout_p)
    return attn.matmul(value)


# --------------------------------------------------------------------------- multi_head_attention_forward ---
def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    qn, kn, vn = query.dim(), key.dim(), value.dim()
    if qn == 3:
        if kn != 3 or vn != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{kn}-D and {vn}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D"
                                 f" but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                                 f" but found {attn_mask.dim()}-D tensor instead")
        return True
    if qn == 2:
        if kn != 2 or vn != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but "
                                 f"found {kn}-D and {vn}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or "
                                 f"1-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                                     f"3-D but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{qn}-D query tensor")


def canonical_mask(mask: Tensor | None, name: str, other: Tensor | None, other_name: str,
                   dtype, check_other: bool = True) -> Tensor | None:
    """Bool masks (True = masked out) become float masks with -inf; float masks pass through."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if check_other and other is not None and other._data.dtype != mask._data.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for "
                      "both instead.", stacklevel=2)
    return _bool_to_additive(mask, dtype) if kind == "b" else mask


def _project(query, key, value, w, b, wq=None, wk=None, wv=None):
    """q, k, v projections, (L|S, N, E) each. Packed weights: self-attention takes ONE GEMM."""
    E = query.shape[-1]
    if w is not None:
        if key is value and query is key:
            return linear(query, w, b).unflatten(-1, (3, E)).unbind(-2)
        wq, wk, wv = w.split(E)
        bq, bk, bv = (None, None, None) if b is None else b.split(E)
        if key is value:
            kv = linear(key, w[E:], None if b is None else b[E:])
            return (linear(query, wq, bq), *kv.unflatten(-1, (2, E)).unbind(-2))
    else:
        bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def _heads(x: Tensor, n_heads: int) -> Tensor:
    """(S, N, E) -> (N*heads, S, E/heads), contiguous."""
    S, N, E = x.shape
    return x.reshape(S, N * n_heads, E // n_heads).transpose(0, 1).contiguous()


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True, key_padding_mask: Tensor | None = None,
        need_weights: bool = True, attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None, static_v: Tensor | None = None,
        average_attn_weights: bool = True, is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on (L, N, E) inputs (or unbatched (L, E)); returns (output, weights or None)."""
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    dtype = query._data.dtype
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    # self-attention with the packed in_proj_weight and nothing appended to k and v: one GEMM, one copy
    heads_packed = (not use_separate_proj_weight and query is key and key is value and bias_k is None
                    and bias_v is None and static_k is None and static_v is None)
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        q, k, v = _project(query, key, value, None, in_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        if heads_packed:
            q, k, v = packed_heads(linear(query, in_proj_weight, in_proj_bias), num_heads)
        else:
            q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    if not heads_packed:
        q = _heads(q, num_heads)
        k = _heads(k, num_heads) if static_k is None else _static(static_k, "k", bsz * num_heads, head_dim)
        v = _heads(v, num_heads) if static_v is None else _static(static_v, "v", bsz * num_heads, head_dim)
    if add_zero_attn:
        k = cat([k, k.new_zeros((bsz * num_heads, 1, head_dim))], dim=1)
        v = cat([v, v.new_zeros((bsz * num_heads, 1, head_dim))], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if is_causal and attn_mask is None:
        if need_weights:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        mod = xp(q)
        attn_mask = _bool_to_additive(new(~mod.tril(mod.ones((tgt_len, src_len), dtype=bool))), dtype)

    # need_weights=False is torch's scaled_dot_product_attention path: fully masked rows give 0, not NaN
    weights = attention_weights(q, k, attn_mask, 1.0 / math.sqrt(head_dim), safe=not need_weights)
    weights = _dropout(weights, dropout_p)
    out = weights.matmul(v)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if not need_weights:
        return (out if batched else out.squeeze(1)), None
    weights = weights.view(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights


def _static(t: Tensor, name: str, rows: int, head_dim: int) -> Tensor:
    if t.size(0) != rows:
        raise AssertionError(f"expecting static_{name}.size(0) of {rows}, but got {t.size(0)}")
    if t.size(2) != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got {t.size(2)}")
    return t
