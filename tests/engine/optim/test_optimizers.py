"""engine.optim optimizers: updates against real torch, groups, state dicts, zero_grad, hooks, errors."""

import copy
import warnings

import numpy as np
import pytest

import engine
import engine.optim as optim
from engine.nn import Module, Parameter

SHAPES = [(3, 4), (5,), ()]

# (optimizer name, options): every option torch offers for these optimizers is exercised at least once.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.05, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.5, 0.9), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, betas=[0.0, 0.999])),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.2, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, alpha=0.9, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-5, weight_decay=0.1, maximize=True)),
]
# float32: a few ulps over 12 steps (torch fuses multiply-adds, numpy rounds twice; see _functional.py)
TOL = {np.float32: dict(rtol=4e-6, atol=4e-7), np.float64: dict(rtol=1e-12, atol=1e-14)}


def _problem(dtype, steps=12, seed=0):
    rng = np.random.default_rng(seed)
    inits = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    # the middle parameter has no gradient on some steps: optimizers must skip it (state untouched)
    for step in (3, 7):
        grads[step][1] = None
    return inits, grads


def _engine_params(inits):
    return [Parameter(engine.tensor(a.copy())) for a in inits]


def _run_engine(opt, params, grads):
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else engine.tensor(g)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_updates_match_torch(name, options, dtype):
    _compare_with_torch(name, options, dtype)


@pytest.mark.parity
@pytest.mark.parametrize("name,options", [c for c in CASES if c[0] == "SGD"])
def test_exact_fma_mode_makes_float32_sgd_bit_identical(name, options, monkeypatch):
    from engine.optim import _functional

    monkeypatch.setattr(_functional, "EXACT_FMA", True)
    _compare_with_torch(name, options, np.float32)


def _compare_with_torch(name, options, dtype):
    import torch

    from engine.optim import _functional

    inits, grads = _problem(dtype)
    ep = _engine_params(inits)
    tp = [torch.nn.Parameter(torch.tensor(a.copy())) for a in inits]
    eopt = getattr(optim, name)(ep, **options)
    topt = getattr(torch.optim, name)(tp, **options)
    for step, step_grads in enumerate(grads):
        for p, q, g in zip(ep, tp, step_grads):
            p.grad = None if g is None else engine.tensor(g)
            q.grad = None if g is None else torch.tensor(g)
        eopt.step()
        topt.step()
        for p, q in zip(ep, tp):
            assert p.dtype == getattr(engine, str(q.dtype).split(".")[1])
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOL[dtype],
                                       err_msg=f"step {step}")
            if name == "SGD" and dtype is np.float32 and _functional.EXACT_FMA:  # fused multiply-adds
                np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"])
    for index, tstate in tsd["state"].items():
        estate = esd["state"][index]
        assert list(estate) == list(tstate)
        for key, tval in tstate.items():
            eval_ = estate[key]
            assert isinstance(eval_, engine.Tensor)
            assert str(eval_.dtype) == str(tval.dtype) and tuple(eval_.shape) == tuple(tval.shape)
            np.testing.assert_allclose(eval_.numpy(), tval.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_defaults_groups_and_repr_match_torch(name):
    import torch

    a, b = engine.ones(2), engine.ones(3)
    eopt = getattr(optim, name)([{"params": [Parameter(a)]}, {"params": Parameter(b), "lr": 0.5}])
    topt = getattr(torch.optim, name)([{"params": [torch.nn.Parameter(torch.ones(2))]},
                                       {"params": torch.nn.Parameter(torch.ones(3)), "lr": 0.5}])
    assert eopt.defaults == topt.defaults
    for eg, tg in zip(eopt.param_groups, topt.param_groups):
        assert list(eg) == list(tg)
        options = {k: v for k, v in tg.items() if k != "params"}
        assert {k: v for k, v in eg.items() if k != "params"} == options
    assert repr(eopt) == repr(topt)
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"])  # Adagrad creates its state eagerly, the others lazily


def test_sgd_repr_and_groups():
    opt = optim.SGD([Parameter(engine.ones(2))], lr=0.1, momentum=0.9)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
        "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
        "    weight_decay: 0\n)"
    )
    assert optim.SGD([Parameter(engine.ones(2))]).defaults["lr"] == 1e-3
    assert optim.AdamW([Parameter(engine.ones(2))]).defaults["weight_decay"] == 1e-2


def test_sgd_momentum_values():
    p = Parameter(engine.tensor([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        p.grad = engine.tensor([1.0, -1.0])
        opt.step()
    # buf: g, then 0.9 g + g = 1.9 g; p = p0 - 0.1 g - 0.19 g
    np.testing.assert_allclose(p.detach().numpy(), [0.71, 2.29], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [1.9, -1.9], rtol=1e-6)


def test_adam_first_step_moves_by_lr_notes_example():
    # /work/shared/notes/004: two test_net modules (weight 2s), out = net2(net1(t)).mean(), Adam(lr=0.001):
    # net2.weight prints 1.9990 after one step; net1 (eval mode, not in any optimizer here) stays 2.
    class TestNet(Module):
        def __init__(self):
            super().__init__()
            self.weight = Parameter(engine.tensor([[2.0, 2.0], [2.0, 2.0]]), requires_grad=True)

        def forward(self, input):
            return self.weight.matmul(input)

    net1, net2 = TestNet(), TestNet()
    net1.eval()
    op2 = optim.Adam(net2.parameters(), 0.001)
    op2.zero_grad()
    t = engine.tensor([[1.0, 2.0], [3, 4]])
    out = net2(net1(t)).mean()
    assert repr(out) == "tensor(40., grad_fn=<MeanBackward0>)"
    out.backward()
    op2.step()
    assert repr(net1.weight) == (
        "Parameter containing:\ntensor([[2., 2.],\n        [2., 2.]], requires_grad=True)"
    )
    assert repr(net2.weight) == (
        "Parameter containing:\ntensor([[1.9990, 1.9990],\n        [1.9990, 1.9990]], requires_grad=True)"
    )
    np.testing.assert_allclose(net2.weight.detach().numpy(), 2.0 - 1e-3, rtol=1e-7)


def test_notes_adam_int_beta_is_rejected_like_torch_2():
    # notes 004 wrote Adam(netE.parameters(), 0.01, [0, 0.999]); torch 2.x refuses the int 0.
    w = Parameter(engine.ones(2))
    with pytest.raises(ValueError, match="^betas must be either both floats or both Tensors$"):
        optim.Adam([w], 0.01, [0, 0.999])
    assert optim.Adam([w], 0.01, [0.0, 0.999]).param_groups[0]["betas"] == (0.0, 0.999)


@pytest.mark.parity
def test_notes_adam_e_d_example_matches_torch():
    # notes 004: E/D networks, Adam(lr=0.01, betas=(0, 0.999)) each, an L1 loss, both optimizers stepped.
    import torch

    results = []
    for lib, opt_mod in ((engine, optim), (torch, torch.optim)):
        we = lib.nn.Parameter(lib.tensor([[2.0, 2.0], [1.0, 1.0]]))
        wd = lib.nn.Parameter(lib.tensor([[3.0, 3.0], [4.0, 4.0]]))
        opt_e = opt_mod.Adam([we], 0.01, [0.0, 0.999])
        opt_d = opt_mod.Adam([wd], 0.01, [0.0, 0.999])
        t = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        for _ in range(3):
            opt_d.zero_grad()
            opt_e.zero_grad()
            loss = (lib.mm(lib.mm(t, we), wd) - 1).abs().mean()
            loss.backward()
            opt_e.step()
            opt_d.step()
        results.append((we.detach().numpy().copy(), wd.detach().numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=4e-6, atol=4e-7)


def test_state_layout_and_step_tensor():
    p = Parameter(engine.ones(3))
    opt = optim.Adam([p], amsgrad=True)
    p.grad = engine.ones(3)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert state["step"].dtype == engine.float32 and state["step"].shape == ()
    assert float(state["step"]) == 1.0
    assert repr(opt.state_dict()["state"][0]["step"]) == "tensor(1.)"
    engine.set_default_dtype(engine.float64)
    q = Parameter(engine.ones(2))
    opt = optim.RMSprop([q])
    q.grad = engine.ones(2)
    opt.step()
    assert opt.state[q]["step"].dtype == engine.float64


def test_skips_params_without_grad_and_bumps_version():
    p, q = Parameter(engine.ones(2)), Parameter(engine.ones(2))
    opt = optim.Adam([p, q])
    p.grad = engine.ones(2)
    version = p._version[0]
    opt.step()
    assert p._version[0] > version
    assert q not in opt.state
    np.testing.assert_array_equal(q.detach().numpy(), [1.0, 1.0])
    assert list(opt.state_dict()["state"]) == [0]


def test_sgd_without_momentum_keeps_no_state():
    p = Parameter(engine.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = engine.ones(2)
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_adagrad_state_is_created_eagerly():
    p = Parameter(engine.ones(2))
    sd = optim.Adagrad([p], initial_accumulator_value=0.25).state_dict()
    assert list(sd["state"][0]) == ["step", "sum"]
    np.testing.assert_array_equal(sd["state"][0]["sum"].numpy(), [0.25, 0.25])


@pytest.mark.parametrize("name,options", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
                                          ("AdamW", {}), ("RMSprop", dict(centered=True, momentum=0.5)),
                                          ("Adagrad", dict(lr_decay=0.01)), ("Adadelta", {})])
def test_state_dict_round_trip_continues_identically(name, options):
    inits, grads = _problem(np.float32, steps=10, seed=3)
    cls = getattr(optim, name)
    full_params = _engine_params(inits)
    full = _run_engine(cls(full_params, **options), full_params, grads)

    params = _engine_params(inits)
    first = cls(params, **options)
    _run_engine(first, params, grads[:5])
    saved = copy.deepcopy(first.state_dict())
    resumed_params = [Parameter(p.detach().clone()) for p in params]
    resumed = cls(resumed_params, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == first.param_groups[0]["lr"]
    assert resumed.param_groups[0]["params"][0] is resumed_params[0]
    rest = _run_engine(resumed, resumed_params, grads[5:])
    for a, b in zip(full[5:], rest):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_state_dict_format():
    p, q, r = (Parameter(engine.ones(2)) for _ in range(3))
    opt = optim.SGD([{"params": [p, q]}, {"params": [r], "lr": 0.5}], lr=0.1, momentum=0.9)
    r.grad = engine.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][1]["params"] == [2]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert list(sd["state"]) == [2]
    assert sd["state"][2]["momentum_buffer"] is opt.state[r]["momentum_buffer"]  # not copied, like torch


def test_load_state_dict_casts_to_param_dtype_and_checks_sizes():
    p = Parameter(engine.ones(2))
    opt = optim.Adam([p])
    p.grad = engine.ones(2)
    opt.step()
    sd = opt.state_dict()
    p64 = Parameter(engine.ones(2, dtype=engine.float64))
    opt64 = optim.Adam([p64])
    opt64.load_state_dict(sd)
    assert opt64.state[p64]["exp_avg"].dtype == engine.float64
    assert opt64.state[p64]["step"].dtype == engine.float32  # 'step' is left alone
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that doesn't match "
                                         "the size of optimizer's group$"):
        optim.Adam([p, p64]).load_state_dict(sd)
    with pytest.raises(ValueError, match="^loaded state dict has a different number of parameter groups$"):
        optim.Adam([{"params": [p]}, {"params": [p64]}]).load_state_dict(sd)


def test_param_groups_with_different_lrs():
    p, q = Parameter(engine.ones(2)), Parameter(engine.ones(2))
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 1.0}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert all(g["momentum"] == 0.5 for g in opt.param_groups)
    p.grad, q.grad = engine.ones(2), engine.ones(2)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    np.testing.assert_allclose(q.detach().numpy(), [0.0, 0.0], atol=1e-7)
    r = Parameter(engine.ones(1))
    opt.add_param_group({"params": r, "lr": 0.3})
    assert opt.param_groups[2]["params"] == [r] and opt.param_groups[2]["momentum"] == 0.5


def test_zero_grad():
    p = Parameter(engine.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = engine.ones(2)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_closure_runs_with_grad_enabled_and_returns_loss():
    p = Parameter(engine.tensor([3.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with engine.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(p.detach().numpy(), [2.4], rtol=1e-6)


def test_step_hooks():
    p = Parameter(engine.ones(1))
    opt = optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", float(p))))
    p.grad = engine.ones(1)
    opt.step()
    assert calls == [("pre", True), ("post", pytest.approx(0.9))]
    pre.remove()
    opt.step()
    assert calls[-1][0] == "post" and len(calls) == 3


def test_custom_optimizer_subclass():
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @engine.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    p = Parameter(engine.ones(2))
    opt = PlainSGD([p])
    seen = []
    opt.register_step_post_hook(lambda *a: seen.append(1))
    p.grad = engine.ones(2)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    assert seen == [1]
    assert repr(opt) == "PlainSGD (\nParameter Group 0\n    lr: 0.1\n)"


def test_constructor_errors():
    p = Parameter(engine.ones(2))
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.SGD([])
    with pytest.raises(TypeError, match="^params argument given to the optimizer should be an iterable of "
                                        "Tensors or dicts, but got torch.FloatTensor$"):
        optim.SGD(p)
    with pytest.raises(TypeError, match="^optimizer can only optimize Tensors, but one of the params is "
                                        "int$"):
        optim.SGD([p, 1])
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        optim.SGD([p * 2])
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter group$"):
        optim.SGD([{"params": [p]}, {"params": [p]}])
    with pytest.raises(TypeError, match="^optimizer parameters need to be organized in ordered collections"):
        optim.SGD([{"params": {p}}])
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="^Nesterov momentum requires a momentum and zero dampening$"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"^Invalid beta parameter at index 0: 1.0$"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="^Invalid epsilon value: -1$"):
        optim.RMSprop([p], eps=-1)
    with pytest.raises(ValueError, match="^Invalid rho value: 2$"):
        optim.Adadelta([p], rho=2)
    with pytest.raises(ValueError, match="^Invalid initial_accumulator_value value: -1$"):
        optim.Adagrad([p], initial_accumulator_value=-1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optim.SGD([p, p])
    assert "duplicate parameters" in str(caught[0].message)


def test_complex_params_adam_matches_real_pair_update():
    z = Parameter(engine.tensor(np.array([1 + 2j, -1 + 0.5j], dtype=np.complex64)))
    r = Parameter(engine.tensor(np.array([[1.0, 2.0], [-1.0, 0.5]], dtype=np.float32)))
    oz, orr = optim.Adam([z], lr=0.1), optim.Adam([r], lr=0.1)
    for g in ([0.5 - 1j, 2 + 0.1j], [-1 + 1j, 0.3 + 0.2j]):
        garr = np.array(g, dtype=np.complex64)
        z.grad = engine.tensor(garr)
        r.grad = engine.tensor(np.stack([garr.real, garr.imag], -1))
        oz.step()
        orr.step()
    zn = z.detach().numpy()
    np.testing.assert_array_equal(np.stack([zn.real, zn.imag], -1), r.detach().numpy())
