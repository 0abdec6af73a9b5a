"""RNN, GRU, LSTM and their cells: torch's parameters, reprs, errors, outputs, hidden states and gradients."""

import warnings

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.autograd import gradcheck, gradgradcheck
from engine.nn.utils import rnn as er
from engine.testing import assert_close


def load_from_torch(em, tm):
    em.load_state_dict({k: engine.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})


def flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def _parity(cls, kw, x, hx=None, packed=None, input_size=3, hidden=5):
    """Same weights in engine and torch: outputs, final states, and input/state/parameter gradients for a
    random upstream gradient on every output."""
    import torch

    tm = getattr(torch.nn, cls)(input_size, hidden, **kw)
    em = getattr(nn, cls)(input_size, hidden, **kw)
    load_from_torch(em, tm)
    assert repr(em) == repr(tm)
    results = []
    for lib, m in ((engine, em), (torch, tm)):
        utils = er if lib is engine else torch.nn.utils.rnn
        xi = lib.tensor(x, requires_grad=True)
        inp = xi
        if packed is not None:
            inp = utils.pack_padded_sequence(xi, packed, batch_first=kw.get("batch_first", False),
                                             enforce_sorted=False)
        states = [lib.tensor(h, requires_grad=True) for h in (hx or [])]
        args = [inp] + ([tuple(states) if cls in ("LSTM", "LSTMCell") else states[0]] if states else [])
        out = m(*args)
        if packed is not None:
            out = (utils.pad_packed_sequence(out[0], batch_first=kw.get("batch_first", False))[0], out[1])
        outs = flat(out)
        g = np.random.default_rng(1)
        grads = [lib.tensor(g.standard_normal(tuple(o.shape)).astype(np.float32)) for o in outs]
        lib.autograd.backward(outs, grads)
        results.append((outs, [xi.grad] + [s.grad for s in states] + [p.grad for p in m.parameters()]))
    (eo, eg), (to, tg) = results
    assert len(eo) == len(to)
    for a, b in zip(eo, to):
        assert_close(a, b, atol=1e-5, rtol=1e-4)
    for a, b in zip(eg, tg):
        assert_close(a, b, atol=1e-5, rtol=1e-4)


CONFIGS = [("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}), ("RNN", {"bias": False}),
           ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True}), ("GRU", {"batch_first": True}),
           ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
           ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}), ("LSTM", {"bias": False})]


def _states(rng, cls, kw, batch):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = [rng.standard_normal((layers, batch, kw.get("proj_size") or 5)).astype(np.float32)]
    if cls == "LSTM":
        h.append(rng.standard_normal((layers, batch, 5)).astype(np.float32))
    return h


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("cls, kw", CONFIGS, ids=[f"{c}-{','.join(k) or 'default'}" for c, k in CONFIGS])
def test_module_parity(rng, cls, kw):
    x = rng.standard_normal((3, 4, 3) if kw.get("batch_first") else (4, 3, 3)).astype(np.float32)
    hx = _states(rng, cls, kw, 3)
    _parity(cls, kw, x)
    _parity(cls, kw, x, hx)
    _parity(cls, kw, x, hx, packed=[2, 4, 1])  # unsorted lengths: hidden states follow the original order
    _parity(cls, kw, x, None, packed=[4, 4, 1])
    xu = rng.standard_normal((4, 3)).astype(np.float32)
    _parity(cls, kw, xu)
    _parity(cls, kw, xu, [h[:, 0] for h in hx])


CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("GRUCell", {}),
         ("LSTMCell", {}), ("LSTMCell", {"bias": False})]


@pytest.mark.parity
@pytest.mark.parametrize("cls, kw", CELLS, ids=[f"{c}-{','.join(k) or 'default'}" for c, k in CELLS])
def test_cell_parity(rng, cls, kw):
    x = rng.standard_normal((3, 3)).astype(np.float32)
    hx = [rng.standard_normal((3, 5)).astype(np.float32)] * (2 if cls == "LSTMCell" else 1)
    _parity(cls, kw, x)
    _parity(cls, kw, x, hx)
    _parity(cls, kw, x[0], [h[0] for h in hx])


@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
def test_two_step_cell_gradcheck(rng, cls):
    """float64 gradcheck of two recurrent steps w.r.t. inputs, initial state and all four weights."""
    weights = [engine.tensor(p.detach().numpy().astype(np.float64), requires_grad=True)
               for p in getattr(nn, cls)(3, 2).parameters()]
    xs = engine.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    h0 = engine.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(lambda xs, h0, *w: _functional_steps(cls, xs, h0, w), (xs, h0, *weights))


def _functional_steps(cls, xs, h0, weights):
    from engine.nn._functional.linear import linear
    from engine.nn._functional.rnn_steps import gru_step, lstm_step, rnn_tanh_step

    w_ih, w_hh, b_ih, b_hh = weights
    h, c = h0, h0 * 0.5
    for t in range(2):
        xp = linear(xs[t], w_ih, b_ih)
        if cls == "LSTMCell":
            h, c = lstm_step(xp, h, c, w_hh, b_hh, None)
        else:
            h = (gru_step if cls == "GRUCell" else rnn_tanh_step)(xp, h, w_hh, b_hh)
    return (h, c) if cls == "LSTMCell" else h


def test_gradcheck_bidirectional_gru_module(rng):
    gru = nn.GRU(2, 2, bidirectional=True).double()
    x = engine.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    packed_lengths = [3, 1]

    def run(x):
        out, h = gru(er.pack_padded_sequence(x, packed_lengths))
        return er.pad_packed_sequence(out)[0], h

    assert gradcheck(run, (x,))


def test_parameters_and_repr():
    lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    assert repr(lstm) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False, dropout=0.5, num_layers=2, bidirectional=True)
    assert repr(rnn) == "RNN(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True)"
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    cell = nn.RNNCell(3, 4, bias=False, nonlinearity="relu")
    assert repr(cell) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)" and repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    names = [n for n, _ in nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2).named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert names[5] == "weight_ih_l0_reverse" and names[-1] == "weight_hr_l1_reverse" and len(names) == 20
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    assert gru.weight_ih_l0.shape == (12, 3) and gru.weight_ih_l1.shape == (12, 8)
    assert gru.weight_hh_l1.shape == (12, 4)
    assert gru.mode == "GRU" and nn.RNN(3, 4, nonlinearity="relu").mode == "RNN_RELU"
    assert all(np.abs(p.detach().numpy()).max() <= 0.5 for p in gru.parameters())  # U(-1/sqrt(4), 1/sqrt(4))
    assert gru._flat_weights_names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert len(gru.all_weights) == 4 and gru.all_weights[0][0] is gru.weight_ih_l0
    gru.flatten_parameters()
    assert repr(nn.RNN(3, 4, 2, "relu", False)) == "RNN(3, 4, num_layers=2, bias=False)"


def test_constructor_errors_and_warning():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.RNN(3, 4, dropout=2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.RNN(3, 4, num_layers=0)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, but got "
                                         "dropout=0.2 and num_layers=1"):
        nn.RNN(3, 4, dropout=0.2)


def test_forward_errors():
    lstm, gru = nn.LSTM(3, 4), nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size. Expected 3, got"):
        lstm(engine.randn(5, 2, 4))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(engine.randn(2, 5, 2, 3))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        nn.RNN(3, 4)(engine.randn(2, 5, 2, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"):
        lstm(engine.randn(5, 2, 3), (engine.randn(1, 3, 4), engine.randn(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[2, 2, 4\]"):
        gru(engine.randn(5, 2, 3), engine.randn(2, 2, 4))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D"):
        gru(engine.randn(5, 3), engine.randn(1, 2, 4))
    with pytest.raises(RuntimeError, match=r"For batched 3-D input, hx and cx should also be 3-D but got"):
        lstm(engine.randn(5, 2, 3), (engine.randn(2, 4), engine.randn(2, 4)))
    with pytest.raises(ValueError, match=r"RNN input dtype \(torch.float64\) does not match weight dtype"):
        gru(engine.randn(5, 2, 3).double())
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        cell(engine.randn(5, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 4 expected 3"):
        cell(engine.randn(2, 4))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(engine.randn(2, 3), (engine.randn(3, 4), engine.randn(3, 4)))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5, expected 4"):
        nn.GRUCell(3, 4)(engine.randn(2, 3), engine.randn(2, 5))


def test_shapes_and_dropout_between_layers():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5, bidirectional=True, batch_first=True)
    x = engine.randn(2, 6, 3)
    out, (h, c) = lstm(x)
    assert out.shape == (2, 6, 8) and h.shape == (4, 2, 4) and c.shape == (4, 2, 4)
    engine.manual_seed(0)
    a = lstm(x)[0]
    engine.manual_seed(1)
    b = lstm(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # training: dropout between the layers
    lstm.eval()
    assert_close(lstm(x)[0], lstm(x)[0])
    out, h = nn.GRU(3, 4)(engine.randn(5, 3))
    assert out.shape == (5, 4) and h.shape == (1, 4)
    packed_out, h = nn.RNN(3, 4)(er.pack_sequence([engine.randn(3, 3), engine.randn(2, 3)]))
    assert isinstance(packed_out, er.PackedSequence) and packed_out.data.shape == (5, 4)
    assert packed_out.batch_sizes.tolist() == [2, 2, 1]


def test_no_warning_in_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.1)(engine.randn(2, 1, 3))


def test_lstm_pointwise_gradcheck_and_gradgradcheck(rng):
    from engine.nn._functional.rnn_steps import lstm_pointwise

    gates = engine.tensor(rng.standard_normal((2, 8)), requires_grad=True)
    c = engine.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(lstm_pointwise, (gates, c))
    assert gradcheck(lambda g, c: lstm_pointwise(g, c)[0], (gates, c))  # no gradient reaches c'
    assert gradcheck(lambda g, c: lstm_pointwise(g, c)[1], (gates, c))  # no gradient reaches h'
    assert gradgradcheck(lstm_pointwise, (gates, c))
