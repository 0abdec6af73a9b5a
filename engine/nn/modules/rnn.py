"""nn layers: RNN, GRU, LSTM (multi-layer, bidirectional, packed sequences) and RNNCell, GRUCell, LSTMCell."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ...ops.creation import empty, zeros
from ...ops.joining import cat, stack
from ...tensor import Tensor
from .. import init
from .._functional.attention import _dropout
from .._functional.linear import linear
from .._functional.rnn_steps import gru_step, lstm_step, rnn_relu_step, rnn_tanh_step, run_direction
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "GRU", "LSTM", "RNNCellBase", "RNNCell", "GRUCell", "LSTMCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _torch_dtype(t: Tensor) -> str:
    return str(t.dtype)


class RNNBase(Module):
    """Parameters and the layer/direction loop shared by RNN, GRU and LSTM."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                          f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        gate_size = _GATES[mode] * hidden_size
        kw = {"device": device, "dtype": dtype}
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                params = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for name, shape in params:
                    setattr(self, name + suffix, Parameter(empty(shape, **kw)))
                    names.append(name + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op: there is no fused (cuDNN) weight buffer to compact."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward -------------------------------------------------------------------------------------
    def _dim_error(self, ndim: int) -> ValueError:
        name = type(self).__name__
        tail = " tensor" if self.mode.startswith("RNN") else ""
        return ValueError(f"{name}: Expected input to be 2D or 3D, got {ndim}D{tail} instead")

    def _check_input(self, input: Tensor) -> None:
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({_torch_dtype(input)}) does not match weight dtype "
                             f"({_torch_dtype(weight)}). Convert input: input.to({_torch_dtype(weight)}), "
                             f"or convert model: model.to({_torch_dtype(input)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def _expected_hidden(self, batch: int, cell: bool = False) -> tuple[int, int, int]:
        size = self.hidden_size if cell or self.proj_size == 0 else self.proj_size
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    def _check_hidden(self, hx: Tensor, expected: tuple, msg: str) -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _prepare(self, input, hx):
        """Normalise the input to packed rows: (rows (N, in), sizes, batch, sorted/unsorted indices, ...)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_i, unsorted_i = input
            sizes = [int(s) for s in batch_sizes.tolist()]
            batch = sizes[0] if sizes else 0
            self._check_input(data)
            return data, sizes, batch, sorted_i, unsorted_i, True, True
        if input.dim() not in (2, 3):
            raise self._dim_error(input.dim())
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        self._check_input(input)
        steps, batch = input.shape[0], input.shape[1]
        rows = input.reshape(steps * batch, input.shape[2])
        return rows, [batch] * steps, batch, None, None, batched, False

    def _hidden_dims(self, hx: Tensor, batched: bool, lstm: bool) -> None:
        want = 3 if batched else 2
        h, c = hx if lstm else (hx, None)
        if h.dim() != want or (c is not None and c.dim() != want):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if lstm:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({h.dim()}-D, {c.dim()}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {h.dim()}-D tensor")

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        rows, sizes, batch, sorted_i, unsorted_i, batched, packed = self._prepare(input, hx)
        if hx is not None and not packed:
            self._hidden_dims(hx, batched, lstm)
            if not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if lstm else hx.unsqueeze(1)
        h0, c0 = self._initial_state(hx, rows, batch, sorted_i, lstm)
        directions = 2 if self.bidirectional else 1
        layer_input = rows
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            dir_outs = []
            for d in range(directions):
                idx = layer * directions + d
                names = self._all_weights[idx]
                w_ih, w_hh = getattr(self, names[0]), getattr(self, names[1])
                b_ih, b_hh = (getattr(self, names[2]), getattr(self, names[3])) if self.bias else (None, None)
                w_hr = getattr(self, names[-1]) if self.proj_size > 0 else None
                if b_ih is not None and self.mode != "GRU":  # GRU needs b_hn apart: r * (W_hn h + b_hn)
                    b_ih, b_hh = b_ih + b_hh, None
                xs = linear(layer_input, w_ih, b_ih).split(sizes) if sizes else []
                c_init = None if c0 is None else c0[idx]
                outs, h, c = run_direction(self.mode, list(xs), sizes, h0[idx], c_init, w_hh, b_hh, w_hr,
                                           reverse=d == 1)
                dir_outs.append(cat(outs) if outs else layer_input.new_zeros((0, h.shape[-1])))
                h_n.append(h)
                c_n.append(c)
            layer_input = dir_outs[0] if directions == 1 else cat(dir_outs, dim=1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout)
        h_out = stack(h_n)
        c_out = stack(c_n) if lstm else None
        if unsorted_i is not None:
            h_out = h_out.index_select(1, unsorted_i)
            c_out = c_out.index_select(1, unsorted_i) if lstm else None
        hidden = (h_out, c_out) if lstm else h_out
        if packed:
            return PackedSequence(layer_input, input.batch_sizes, sorted_i, unsorted_i), hidden
        output = layer_input.reshape(len(sizes), batch, layer_input.shape[-1])
        if not batched:
            output = output.squeeze(1)
            hidden = (h_out.squeeze(1), c_out.squeeze(1)) if lstm else h_out.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, hidden

    def _initial_state(self, hx, rows: Tensor, batch: int, sorted_i, lstm: bool):
        if hx is None:
            kw = {"dtype": rows.dtype, "device": rows.device}
            h0 = zeros(self._expected_hidden(batch), **kw)
            c0 = zeros(self._expected_hidden(batch, True), **kw) if lstm else None
            return h0, c0
        if lstm:
            h0, c0 = hx
            self._check_hidden(h0, self._expected_hidden(batch), "Expected hidden[0] size {}, got {}")
            self._check_hidden(c0, self._expected_hidden(batch, True), "Expected hidden[1] size {}, got {}")
        else:
            h0, c0 = hx, None
            self._check_hidden(h0, self._expected_hidden(batch), "Expected hidden size {}, got {}")
        if sorted_i is not None:
            h0 = h0.index_select(1, sorted_i)
            c0 = c0.index_select(1, sorted_i) if lstm else None
        return h0, c0


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # torch's positional order: input_size, hidden_size, num_layers, nonlinearity, ...
            self_nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self_nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self_nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self_nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self_nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = self_nonlinearity


class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o); proj_size > 0 projects h with weight_hr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


# ------------------------------------------------------------------------------------------------ cells ---
class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input: Tensor, states: tuple) -> tuple[Tensor, tuple, bool]:
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for h in states:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                               f"{self.input_size}")
        out = []
        for i, h in enumerate(states):
            if h is None:
                h = zeros((input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device)
            elif not batched:
                h = h.unsqueeze(0)
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} batch size "
                                   f"{h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")
            out.append(h)
        return input, tuple(out), batched

    def _xp(self, input: Tensor) -> Tensor:
        return linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, (hx,))
        if self.nonlinearity == "tanh":
            step = rnn_tanh_step
        elif self.nonlinearity == "relu":
            step = rnn_relu_step
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = step(self._xp(input), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), batched = self._prepare(input, (hx,))
        h = gru_step(self._xp(input), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        states = (None, None) if hx is None else tuple(hx)
        input, (h, c), batched = self._prepare(input, states)
        h, c = lstm_step(self._xp(input), h, c, self.weight_hh, self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
