"""nn activations: functional forward/backward vs torch, gradcheck/gradgradcheck, in-place forms, modules."""

import warnings

import numpy as np
import pytest

import engine as torch
import engine.nn as nn
import engine.nn.functional as F
from engine.autograd import gradcheck, gradgradcheck
from engine.testing import check_against_torch

R = np.random.default_rng(0)


def f32(*shape, scale=2.0):
    return (R.standard_normal(shape) * scale).astype(np.float32)


def f64(*shape, scale=2.0):
    return torch.tensor(R.standard_normal(shape) * scale, requires_grad=True)


# values at and around every kink, plus the extremes
EDGES = np.array([-np.inf, -100.0, -20.5, -6.0, -3.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 6.0, 20.5,
                  100.0, np.inf], np.float32)

UNARY = [
    ("relu", lambda F_, x: F_.relu(x)),
    ("relu6", lambda F_, x: F_.relu6(x)),
    ("leaky_relu", lambda F_, x: F_.leaky_relu(x, 0.2)),
    ("elu", lambda F_, x: F_.elu(x, 1.5)),
    ("selu", lambda F_, x: F_.selu(x)),
    ("celu", lambda F_, x: F_.celu(x, 0.7)),
    ("gelu", lambda F_, x: F_.gelu(x)),
    ("gelu_tanh", lambda F_, x: F_.gelu(x, approximate="tanh")),
    ("silu", lambda F_, x: F_.silu(x)),
    ("mish", lambda F_, x: F_.mish(x)),
    ("sigmoid", lambda F_, x: F_.sigmoid(x)),
    ("tanh", lambda F_, x: F_.tanh(x)),
    ("hardtanh", lambda F_, x: F_.hardtanh(x, -2.0, 1.5)),
    ("hardswish", lambda F_, x: F_.hardswish(x)),
    ("hardsigmoid", lambda F_, x: F_.hardsigmoid(x)),
    ("softplus", lambda F_, x: F_.softplus(x)),
    ("softplus_beta", lambda F_, x: F_.softplus(x, beta=2.0, threshold=5.0)),
    ("softsign", lambda F_, x: F_.softsign(x)),
    ("tanhshrink", lambda F_, x: F_.tanhshrink(x)),
    ("threshold", lambda F_, x: F_.threshold(x, 0.5, -3.0)),
    ("hardshrink", lambda F_, x: F_.hardshrink(x, 1.0)),
    ("softshrink", lambda F_, x: F_.softshrink(x, 1.0)),
    ("logsigmoid", lambda F_, x: F_.logsigmoid(x)),
    ("rrelu_eval", lambda F_, x: F_.rrelu(x, 0.1, 0.3)),
]


def _f(lib):
    return lib.nn.functional


@pytest.mark.parity
@pytest.mark.parametrize("name,fn", UNARY, ids=[u[0] for u in UNARY])
def test_unary_parity(name, fn):
    check_against_torch(lambda L, x: fn(_f(L), x), f32(4, 5))
    check_against_torch(lambda L, x: fn(_f(L), x.t()), f32(5, 3))  # non-contiguous


@pytest.mark.parity
@pytest.mark.parametrize("name,fn", UNARY, ids=[u[0] for u in UNARY])
def test_unary_edges_parity(name, fn):
    # tanhshrink/softsign/mish at +-inf give NaN gradients in both libraries; compare values there
    check_against_torch(lambda L, x: fn(_f(L), x), EDGES, rtol=1e-5, atol=1e-6)
    check_against_torch(lambda L, x: fn(_f(L), x), np.array([np.nan, 1.0], np.float32))


@pytest.mark.parametrize("name,fn", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradcheck(name, fn):
    x = f64(2, 5)
    assert gradcheck(lambda t: fn(F, t), (x,))
    assert gradgradcheck(lambda t: fn(F, t), (x,))


@pytest.mark.parity
@pytest.mark.parametrize("name,fn", UNARY[:4] + UNARY[12:14], ids=[u[0] for u in UNARY[:4] + UNARY[12:14]])
def test_grad_fn_names(name, fn):
    import torch as real

    x = f32(3)
    a = fn(F, torch.tensor(x, requires_grad=True)).grad_fn.name()
    b = fn(real.nn.functional, real.tensor(x, requires_grad=True)).grad_fn.name()
    assert a == b


def test_relu_gradient_zero_at_zero():
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    assert F.relu(x).grad_fn.name() == "ReluBackward0"


def test_relu_int_and_bool():
    assert F.relu(torch.tensor([1, -2])).tolist() == [1, 0]
    assert F.relu6(torch.tensor([1, -2, 8])).tolist() == [1, 0, 6]
    assert F.relu(torch.tensor([1, -2], dtype=torch.int32)).dtype == torch.int32
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        F.relu(torch.tensor([True]))
    with pytest.raises(NotImplementedError, match="\"elu_cpu\" not implemented for 'Long'"):
        F.elu(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="\"GeluKernelImpl\" not implemented for 'Long'"):
        F.gelu(torch.tensor([1, 2]))


# -------------------------------------------------------------------------------------------- in-place --
INPLACE = [
    ("relu_", lambda F_, x: F_.relu_(x)),
    ("relu_inplace", lambda F_, x: F_.relu(x, inplace=True)),
    ("relu6_inplace", lambda F_, x: F_.relu6(x, inplace=True)),
    ("leaky_relu_", lambda F_, x: F_.leaky_relu_(x, 0.1)),
    ("elu_", lambda F_, x: F_.elu_(x)),
    ("selu_", lambda F_, x: F_.selu_(x)),
    ("celu_", lambda F_, x: F_.celu_(x, 2.0)),
    ("hardtanh_", lambda F_, x: F_.hardtanh_(x)),
    ("threshold_", lambda F_, x: F_.threshold_(x, 0.1, 5.0)),
    ("silu_inplace", lambda F_, x: F_.silu(x, inplace=True)),
    ("hardswish_inplace", lambda F_, x: F_.hardswish(x, inplace=True)),
    ("rrelu_eval_", lambda F_, x: F_.rrelu_(x)),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn", INPLACE, ids=[u[0] for u in INPLACE])
def test_inplace_parity(name, fn):
    def run(L, x):
        y = x * 1.0
        out = fn(_f(L), y)
        assert out is y
        return out

    check_against_torch(run, f32(3, 4))


def test_inplace_no_grad_writes_and_bumps_version():
    x = torch.tensor([-1.0, 2.0])
    v = x._version[0]
    assert F.relu_(x) is x
    assert x.tolist() == [0.0, 2.0] and x._version[0] == v + 1
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu_(x)


def test_tensor_methods():
    x = torch.tensor([[-1.0, 2.0], [3.0, -4.0]])
    assert x.relu().tolist() == [[0.0, 2.0], [3.0, 0.0]]
    y = x.clone()
    assert y.relu_() is y and y.tolist() == [[0.0, 2.0], [3.0, 0.0]]
    np.testing.assert_allclose(x.softmax(1).sum(1).numpy(), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax(0, dtype=torch.float64).exp().sum(0).numpy(), [1.0, 1.0])
    assert x.log_softmax(0, dtype=torch.float64).dtype == torch.float64
    assert x.hardshrink(1.5).tolist() == [[0.0, 2.0], [3.0, -4.0]]


# ----------------------------------------------------------------------------------------- softmax -----
SOFTMAX = [
    ("softmax1", lambda L, x: L.nn.functional.softmax(x, 1)),
    ("softmax0", lambda L, x: L.nn.functional.softmax(x, dim=0)),
    ("softmax_neg", lambda L, x: L.nn.functional.softmax(x, -1)),
    ("log_softmax1", lambda L, x: L.nn.functional.log_softmax(x, 1)),
    ("log_softmax0", lambda L, x: L.nn.functional.log_softmax(x, 0)),
    ("softmin", lambda L, x: L.nn.functional.softmin(x, 1)),
    ("log_softmax_3d", lambda L, x: L.nn.functional.log_softmax(x.reshape(2, 3, 2), 1)),
    ("glu", lambda L, x: L.nn.functional.glu(x, 1)),
    ("glu0", lambda L, x: L.nn.functional.glu(x.t(), 0)),
    ("softmax_dtype", lambda L, x: L.nn.functional.softmax(x, 1, dtype=L.float64)),
    ("softmin_dtype", lambda L, x: L.nn.functional.softmin(x, 0, dtype=L.float64)),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,fn", SOFTMAX, ids=[s[0] for s in SOFTMAX])
def test_softmax_parity(name, fn):
    check_against_torch(fn, f32(3, 4, scale=3.0))


@pytest.mark.parity
def test_softmax_large_and_inf_logits():
    big = np.array([[1000.0, 0.0, -1000.0], [50.0, 50.0, 50.0]], np.float32)
    check_against_torch(lambda L, x: L.nn.functional.softmax(x, 1), big)
    check_against_torch(lambda L, x: L.nn.functional.log_softmax(x, 1), big)
    inf = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [-np.inf, 1.0]], np.float32)
    check_against_torch(lambda L, x: L.nn.functional.softmax(x, 1), inf, grad=False)
    check_against_torch(lambda L, x: L.nn.functional.log_softmax(x, 1), inf, grad=False)


@pytest.mark.parametrize("name,fn", SOFTMAX[:-2], ids=[s[0] for s in SOFTMAX[:-2]])
def test_softmax_gradcheck(name, fn):
    x = f64(3, 4)
    assert gradcheck(lambda t: fn(torch, t), (x,))
    assert gradgradcheck(lambda t: fn(torch, t), (x,))


def test_softmax_implicit_dim_warning():
    x = torch.zeros(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.numpy(), np.full((2, 3), 1 / 3), rtol=1e-6)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        assert F.log_softmax(torch.zeros(3)).shape == (3,)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(x)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(torch.zeros(2, 2, 2))


def test_softmax_errors_and_edge_shapes():
    with pytest.raises(NotImplementedError, match="\"softmax_kernel_impl\" not implemented for 'Long'"):
        F.softmax(torch.tensor([[1, 2]]), 0)
    with pytest.raises(NotImplementedError, match="softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        F.softmax(torch.tensor([[1, 2]]), 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(torch.zeros(3, 4), 2)
    assert F.softmax(torch.tensor(3.0), 0).item() == 1.0
    assert F.softmax(torch.zeros(0, 3), 1).shape == (0, 3)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(torch.zeros(3, 5))
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(torch.tensor(1.0))


def test_softmax2d():
    x = torch.randn(2, 3, 4, 4)
    np.testing.assert_allclose(nn.Softmax2d()(x).sum(1).numpy(), np.ones((2, 4, 4)), rtol=1e-5)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(torch.zeros(2, 3))


# ---------------------------------------------------------------------------------------- prelu, rrelu --
@pytest.mark.parity
def test_prelu_parity():
    w = np.array([0.1, 0.2, 0.3], np.float32)
    check_against_torch(lambda L, x, a: L.nn.functional.prelu(x, a), f32(2, 3, 4), w)
    check_against_torch(lambda L, x, a: L.nn.functional.prelu(x, a), f32(2, 3), w)
    check_against_torch(lambda L, x, a: L.nn.functional.prelu(x, a), f32(4, 5), np.array([0.25], np.float32))


def test_prelu_gradcheck_and_errors():
    x, w = f64(2, 3, 2), torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64, requires_grad=True)
    assert gradcheck(F.prelu, (x, w))
    assert gradgradcheck(F.prelu, (x, w))
    with pytest.raises(RuntimeError, match="Found parameter numbers = 3 and channel size = 4"):
        F.prelu(torch.zeros(3, 4), torch.ones(3))
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor, but got: ndim = "):
        F.prelu(torch.zeros(3, 4), torch.ones(4, 1))


def test_prelu_module():
    m = nn.PReLU(3, init=0.1)
    assert m.weight.shape == (3,) and np.allclose(m.weight.detach().numpy(), 0.1)
    assert list(m.state_dict()) == ["weight"]
    out = m(torch.tensor([[-1.0, -2.0, 3.0]]))
    out.sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-1.0, -2.0, 0.0])


def test_rrelu_training_samples_slopes():
    torch.manual_seed(0)
    x = torch.full((2000,), -1.0, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    pos = F.rrelu(torch.tensor([2.0]), training=True)
    assert pos.tolist() == [2.0]
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(m(torch.tensor([-1.0])).numpy(), [-0.2], rtol=1e-6)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.5, 0.1)


def test_activation_argument_errors():
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(torch.zeros(2), 2.0, 1.0)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(torch.zeros(2), approximate="foo")
    msg = r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1"
    with pytest.raises(RuntimeError, match=msg):
        F.softshrink(torch.zeros(2), -1)


# --------------------------------------------------------------------------------------------- modules --
MODULES = ["ReLU()", "ReLU(True)", "ReLU6()", "ReLU6(inplace=True)", "LeakyReLU()", "LeakyReLU(0.2, True)",
           "PReLU()", "PReLU(3, 0.1)", "RReLU()", "RReLU(0.1, 0.3, True)", "ELU()", "ELU(2, True)",
           "SELU()", "SELU(True)", "CELU()", "CELU(0.5, True)", "GELU()", "GELU('tanh')", "SiLU()",
           "SiLU(True)", "Mish()", "Mish(True)", "Sigmoid()", "Tanh()", "Hardtanh()",
           "Hardtanh(-2, 2, True)", "Hardtanh(-2.5, 2)", "Hardswish()", "Hardswish(True)", "Hardsigmoid()",
           "Hardsigmoid(True)", "Softplus()", "Softplus(2, 10)", "Softsign()", "Tanhshrink()",
           "Threshold(0.1, 20)", "Threshold(0.1, 20.0, True)", "Hardshrink()", "Hardshrink(0.3)",
           "Softshrink()", "LogSigmoid()", "GLU()", "GLU(1)", "Softmax()", "Softmax(1)", "Softmax(dim=-1)",
           "LogSoftmax()", "LogSoftmax(1)", "Softmin()", "Softmin(0)", "Softmax2d()"]


@pytest.mark.parity
@pytest.mark.parametrize("expr", MODULES)
def test_module_repr_parity(expr):
    real = pytest.importorskip("torch")
    assert repr(eval("nn." + expr)) == repr(eval("real.nn." + expr, {"real": real}))


def test_module_reprs_documented():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.Threshold(0.1, 20.0)) == "Threshold(threshold=0.1, value=20.0)"


MODULE_CALLS = [
    ("ReLU()", (3, 4)), ("ReLU6()", (3, 4)), ("LeakyReLU(0.3)", (3, 4)), ("ELU(0.5)", (3, 4)),
    ("SELU()", (3, 4)), ("CELU(2.0)", (3, 4)), ("GELU('tanh')", (3, 4)), ("SiLU()", (3, 4)),
    ("Mish()", (3, 4)), ("Sigmoid()", (3, 4)), ("Tanh()", (3, 4)), ("Hardtanh(-0.5, 0.5)", (3, 4)),
    ("Hardswish()", (3, 4)), ("Hardsigmoid()", (3, 4)), ("Softplus(2.0)", (3, 4)), ("Softsign()", (3, 4)),
    ("Tanhshrink()", (3, 4)), ("Threshold(0.1, 20.0)", (3, 4)), ("Hardshrink()", (3, 4)),
    ("Softshrink()", (3, 4)), ("LogSigmoid()", (3, 4)), ("GLU()", (3, 4)), ("Softmax(1)", (3, 4)),
    ("LogSoftmax(0)", (3, 4)), ("Softmin(1)", (3, 4)), ("Softmax2d()", (2, 3, 2, 2)),
]


@pytest.mark.parity
@pytest.mark.parametrize("expr,shape", MODULE_CALLS, ids=[m[0] for m in MODULE_CALLS])
def test_module_forward_parity(expr, shape):
    check_against_torch(lambda L, x: eval("L.nn." + expr)(x), f32(*shape))


def test_inplace_module_modifies_input():
    x = torch.tensor([-1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.ReLU(inplace=True)(x)
    assert x.tolist() == [0.0, 1.0]
    y = torch.tensor([-1.0, 1.0])
    nn.ELU(inplace=True)(y)
    np.testing.assert_allclose(y.numpy(), [np.expm1(-1.0), 1.0], rtol=1e-6)


@pytest.mark.parity
def test_torch_level_function_table():
    from engine.nn._functional.activation import TORCH_FUNCTIONS as T

    real = pytest.importorskip("torch")
    x = f32(3, 4)
    for name in ("relu", "selu", "celu", "hardshrink"):
        expected = getattr(real, name)(real.tensor(x)).numpy()
        np.testing.assert_allclose(T[name](torch.tensor(x)).numpy(), expected, rtol=1e-6)
    a = T["log_softmax"](torch.tensor(x), 1, torch.float64)
    b = real.log_softmax(real.tensor(x), 1, real.float64)
    assert a.dtype == torch.float64
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    np.testing.assert_allclose(T["threshold"](torch.tensor(x), 0.5, 9.0).numpy(),
                               real.threshold(real.tensor(x), 0.5, 9.0).numpy())
