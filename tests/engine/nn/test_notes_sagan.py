"""The study notes' SAGAN modules (/work/shared/notes/004: `Self_Attn` and the hand-written `SpectralNorm`
wrapper with `l2Normalize`), run VERBATIM with `torch`/`nn` bound to the engine and, for parity, to PyTorch.

The source below is copied from the notes unchanged except for the notes' 4-space indentation and trailing
blanks. The wrapper relies on `w.data.new(h).normal_(0, 1)`, `nn.Parameter(..., requires_grad=False)`,
assigning `.data` of a Parameter, `del module._parameters[name]`, `register_parameter` and `setattr` of a
plain tensor on the wrapped module; Self_Attn on Conv2d 1x1, view/permute, bmm, Softmax and a gamma Parameter.
"""

import numpy as np
import pytest

import engine

SELF_ATTN_SOURCE = """
class Self_Attn(nn.Module):
    def __init__(self, in_dim):
        super(Self_Attn, self).__init__()
        self.channel_in = in_dim

        self.query_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim//8, kernel_size=1)
        self.key_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim//8, kernel_size=1)
        self.value_conv = nn.Conv2d(in_channels=in_dim, out_channels=in_dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))

        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        '''
            inputs:
                x : input feature maps(B x C x W x H)
            returns:
                out: self attention value + input feature
                attention: B x N x N(N is Width*Height)
        '''
        m_batchsize, C, width, height = x.size()
        proj_query = self.query_conv(x).view(m_batchsize, -1, width*height).permute(0, 2, 1) # B x N x C
        proj_key = self.key_conv(x).view(m_batchsize, -1, width*height) # B x C x N
        energy = torch.bmm(proj_query, proj_key) # batch矩阵的乘法
        # dim=-1, 对列做softmax
        # B x N x N
        attention = self.softmax(energy)
        proj_value = self.value_conv(x).view(m_batchsize, -1, width*height) # B x C x N

        out = torch.bmm(proj_value, attention.permute(0, 2, 1))
        out = out.view(m_batchsize, C, width, height)

        out = self.gamma*out + x
        return out
"""

SPECTRAL_NORM_SOURCE = """
def l2Normalize(v, eps=1e-12):
    return v / (v.norm() + eps)



class SpectralNorm(nn.Module):
    def __init__(self, module, name='weight', power_iterations=1):
        super(SpectralNorm, self).__init__()
        self.module = module
        self.name = name
        self.power_iterations = power_iterations
        if not self._made_params():
            self._make_params()

    def _update_u_v(self):
        u = getattr(self.module, self.name + "_u")
        v = getattr(self.module, self.name + "_v")
        w = getattr(self.module, self.name + "_bar")

        height = w.data.shape[0]
        for _ in range(self.power_iterations):
            # w: width, hegiht
            # u: height, 1
            v.data = l2Normalize(torch.mv(torch.t(w.view(height, -1).data), u.data))
            # w: height width
            # v: width, 1
            u.data = l2Normalize(torch.mv(w.view(height, -1).data, v.data))

            # w: height, width
            # v: width, 1
            # u: height, 1
            # 内积就相当于转置再乘了, 小技巧get
            sigma = u.dot(w.view(height, -1).mv(v))
            setattr(self.module, self.name, w / sigma.expand_as(w))

    def _made_params(self):
        try:
            u = getattr(self.module, self.name + "_u")
            v = getattr(self.module, self.name + "_v")
            w = getattr(self.module, self.name + "_bar")
            return True
        except AttributeError:
            return False


    def _make_params(self):
        w = getattr(self.module, self.name)

        height = w.data.shape[0]
        width = w.view(height, -1).data.shape[1]

        u = nn.Parameter(w.data.new(height).normal_(0, 1), requires_grad=False)
        v = nn.Parameter(w.data.new(width).normal_(0, 1), requires_grad=False)
        u.data = l2Normalize(u.data)
        v.data = l2Normalize(v.data)
        w_bar = nn.Parameter(w.data)

        del self.module._parameters[self.name]

        self.module.register_parameter(self.name + "_u", u)
        self.module.register_parameter(self.name + "_v", v)
        self.module.register_parameter(self.name + "_bar", w_bar)

    def forward(self, *args):
        self._update_u_v()
        return self.module.forward(*args)
"""


def load(lib):
    """Execute the notes' code with `torch` and `nn` bound to `lib`; returns its namespace."""
    ns = {"torch": lib, "nn": lib.nn, "__name__": "notes_sagan"}
    exec(SELF_ATTN_SOURCE, ns)  # noqa: S102 - the notes' code, verbatim
    exec(SPECTRAL_NORM_SOURCE, ns)  # noqa: S102
    return ns


def toy_linear(lib, weight, bias):
    """A Linear-like module written by hand (does not depend on nn.Linear)."""

    class Lin(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(weight))
            self.bias = lib.nn.Parameter(lib.tensor(bias))

        def forward(self, x):
            return x @ self.weight.t() + self.bias

    return Lin()


def need(cls_name):
    if not hasattr(engine.nn, cls_name):
        pytest.skip(f"engine.nn.{cls_name} does not exist yet")


def copy_params(src, dst):
    """Copy torch module `src`'s parameters and buffers (by name) into engine module `dst`."""
    e_state = dict(dst.named_parameters()) | dict(dst.named_buffers())
    t_state = dict(src.named_parameters()) | dict(src.named_buffers())
    assert sorted(e_state) == sorted(t_state)
    with engine.no_grad():
        for key, value in t_state.items():
            e_state[key].copy_(engine.tensor(value.detach().numpy()))


def close(e, t, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=atol)


def test_wrapper_structure_on_hand_made_module():
    ns = load(engine)
    inner = toy_linear(engine, np.ones((3, 4), np.float32), np.zeros(3, np.float32))
    sn = ns["SpectralNorm"](inner)
    assert sn.module is inner and sn._made_params()
    assert [k for k, _ in sn.named_parameters()] == ["module.bias", "module.weight_u", "module.weight_v",
                                                      "module.weight_bar"]
    assert not inner.weight_u.requires_grad and not inner.weight_v.requires_grad
    assert inner.weight_u.shape == (3,) and inner.weight_v.shape == (4,)
    np.testing.assert_allclose(inner.weight_u.norm().item(), 1.0, rtol=1e-6)
    assert "weight" not in inner._parameters
    out = sn(engine.ones(2, 4))
    assert out.shape == (2, 3)
    # after a forward, `weight` is the normalised plain tensor; all-ones 3x4 has sigma sqrt(12)
    assert type(inner.weight) is engine.Tensor and inner.weight.grad_fn is not None
    np.testing.assert_allclose(inner.weight.detach().numpy(), np.full((3, 4), 1 / np.sqrt(12)), rtol=1e-5)


def wrapper_parity(make_inner, x_shape, steps=3):
    import torch

    t_ns, e_ns = load(torch), load(engine)
    t_sn = t_ns["SpectralNorm"](make_inner(torch), power_iterations=2)
    e_sn = e_ns["SpectralNorm"](make_inner(engine), power_iterations=2)
    copy_params(t_sn, e_sn)  # weight_u, weight_v, weight_bar, bias
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = rng.standard_normal(x_shape).astype(np.float32)
        tx = torch.tensor(x, requires_grad=True)
        ex = engine.tensor(x, requires_grad=True)
        to, eo = t_sn(tx), e_sn(ex)
        close(eo, to, atol=1e-5)
        close(e_sn.module.weight_u, t_sn.module.weight_u)
        close(e_sn.module.weight_v, t_sn.module.weight_v)
        g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
        to.backward(torch.tensor(g))
        eo.backward(engine.tensor(g))
        close(ex.grad, tx.grad, atol=1e-5)
        close(e_sn.module.weight_bar.grad, t_sn.module.weight_bar.grad, atol=1e-5)
        assert e_sn.module.weight_u.grad is None


@pytest.mark.parity
def test_wrapper_parity_hand_made_linear():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((5, 4)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    wrapper_parity(lambda lib: toy_linear(lib, w, b), (3, 4))


@pytest.mark.parity
def test_wrapper_parity_nn_linear():
    need("Linear")
    wrapper_parity(lambda lib: lib.nn.Linear(4, 6), (2, 4))


@pytest.mark.parity
def test_wrapper_parity_conv2d():
    need("Conv2d")
    wrapper_parity(lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 5))


@pytest.mark.parity
def test_self_attn_parity():
    need("Conv2d")
    import torch

    t_attn = load(torch)["Self_Attn"](16)
    e_attn = load(engine)["Self_Attn"](16)
    assert [k for k, _ in e_attn.named_parameters()] == [k for k, _ in t_attn.named_parameters()]
    with torch.no_grad():
        t_attn.gamma.fill_(0.7)  # gamma starts at 0 (out == x); make the attention branch count
    copy_params(t_attn, e_attn)
    x = np.random.default_rng(2).standard_normal((2, 16, 4, 3)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ex = engine.tensor(x, requires_grad=True)
    to, eo = t_attn(tx), e_attn(ex)
    assert eo.shape == to.shape == (2, 16, 4, 3)
    close(eo, to, atol=1e-5)
    g = np.random.default_rng(3).standard_normal((2, 16, 4, 3)).astype(np.float32)
    to.backward(torch.tensor(g))
    eo.backward(engine.tensor(g))
    close(ex.grad, tx.grad, atol=1e-5)
    close(e_attn.gamma.grad, t_attn.gamma.grad, atol=1e-4)
    close(e_attn.query_conv.weight.grad, t_attn.query_conv.weight.grad, atol=1e-4)


def test_self_attn_starts_as_identity():
    need("Conv2d")
    attn = load(engine)["Self_Attn"](8)
    x = engine.randn(1, 8, 3, 3)
    assert engine.equal(attn(x), x)
