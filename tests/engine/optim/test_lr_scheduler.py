"""engine.optim.lr_scheduler: lr sequences identical to torch's, state dicts, warnings and errors."""

import copy
import math
import warnings

import numpy as np
import pytest

import engine
import engine.optim as optim
from engine.nn import Parameter
from engine.optim import lr_scheduler as L

# name -> builder(lr_scheduler module, optimizer); each is stepped past its horizon (restarts, T_max, ...)
SCHEDULES = {
    "StepLR": lambda S, o: S.StepLR(o, 3, gamma=0.7),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.93),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, 7, eta_min=0.001),
    "CosineAnnealingLR-T10": lambda S, o: S.CosineAnnealingLR(o, 10),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 1 / (e + 1)),
    "LambdaLR-list": lambda S, o: S.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 + e]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.3, total_iters=4),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda S, o: S.CosineAnnealingWarmRestarts(o, 4),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=9, power=2.0),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, [1.0, 2.0], total_steps=40),
    "OneCycleLR-3phase-linear": lambda S, o: S.OneCycleLR(o, 1.0, epochs=4, steps_per_epoch=10,
                                                          three_phase=True, anneal_strategy="linear",
                                                          pct_start=0.25),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, 20),
            S.ExponentialLR(o, 0.9)], [5, 25]),
    "SequentialLR-restart": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.5, total_iters=10), S.ExponentialLR(o, 0.9)], [3]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=6),
                                                         S.ExponentialLR(o, 0.9)]),
}
PLATEAU = {
    "ReduceLROnPlateau": dict(),
    "ReduceLROnPlateau-max-abs": dict(mode="max", patience=2, factor=0.5, threshold_mode="abs", cooldown=2,
                                      min_lr=[0.01, 0.05]),
}
METRICS = [*np.linspace(1.0, 0.5, 10), *[0.5] * 30]


def _optimizer(lib, opt_mod, name="SGD"):
    params = [lib.nn.Parameter(lib.ones(2)) for _ in range(2)]
    extra = dict(momentum=0.9) if name == "SGD" else {}
    groups = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)]
    return getattr(opt_mod, name)(groups, **extra)


def _sequence(lib, opt_mod, sched_mod, build, steps=40, opt_name="SGD", metrics=None):
    opt = _optimizer(lib, opt_mod, opt_name)
    sched = build(sched_mod, opt)
    seen = []
    for i in range(steps):
        opt.step()
        sched.step(metrics[i]) if metrics is not None else sched.step()
        group = opt.param_groups[0]
        seen.append((list(sched.get_last_lr()), group.get("momentum"), group.get("betas")))
    return seen, sched.state_dict()


def _torch():
    import torch

    return torch, torch.optim, torch.optim.lr_scheduler


def _engine():
    return engine, optim, L


@pytest.mark.parity
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_matches_torch_exactly(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, their_state = _sequence(*_torch(), SCHEDULES[name])
        ours, our_state = _sequence(*_engine(), SCHEDULES[name])
    assert ours == theirs  # exact float equality: same recursive formulas, same rounding
    assert str(our_state) == str(their_state)


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_on_plateau_matches_torch(name):
    def build(S, o):
        return S.ReduceLROnPlateau(o, **PLATEAU[name])

    theirs, their_state = _sequence(*_torch(), build, metrics=METRICS)
    ours, our_state = _sequence(*_engine(), build, metrics=METRICS)
    assert ours == theirs
    assert str(our_state) == str(their_state)


@pytest.mark.parity
def test_one_cycle_cycles_adam_beta1_like_torch():
    build = SCHEDULES["OneCycleLR"]
    theirs, _ = _sequence(*_torch(), build, opt_name="Adam")
    ours, _ = _sequence(*_engine(), build, opt_name="Adam")
    assert ours == theirs
    assert ours[0][2][0] != 0.9  # beta1 follows the momentum schedule


@pytest.mark.parity
def test_optimizer_groups_after_scheduler_match_torch():
    torch, topt_mod, tsched = _torch()
    for build in (SCHEDULES["OneCycleLR"], SCHEDULES["StepLR"]):
        to, eo = _optimizer(torch, topt_mod), _optimizer(engine, optim)
        build(tsched, to)
        build(L, eo)
        assert repr(eo) == repr(to)


def test_step_lr_values():
    opt = _optimizer(engine, optim)
    sched = L.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_cosine_annealing_follows_closed_form_within_rounding():
    opt = _optimizer(engine, optim)
    sched = L.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    for epoch in range(1, 35):
        opt.step()
        sched.step()
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CosineAnnealingWarmRestarts",
                                  "SequentialLR", "ChainedScheduler", "LambdaLR"])
def test_state_dict_round_trip(name):
    build = SCHEDULES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full, _ = _sequence(*_engine(), build, steps=30)

        opt = _optimizer(engine, optim)
        sched = build(L, opt)
        for _ in range(12):
            opt.step()
            sched.step()
        saved_sched = copy.deepcopy(sched.state_dict())
        saved_opt = copy.deepcopy(opt.state_dict())

        opt2 = _optimizer(engine, optim)
        sched2 = build(L, opt2)
        opt2.load_state_dict(saved_opt)
        sched2.load_state_dict(saved_sched)
        rest = []
        for _ in range(18):
            opt2.step()
            sched2.step()
            group = opt2.param_groups[0]
            rest.append((list(sched2.get_last_lr()), group.get("momentum"), group.get("betas")))
    assert rest == full[12:]


def test_reduce_on_plateau_values_and_state():
    opt = _optimizer(engine, optim)
    sched = L.ReduceLROnPlateau(opt, patience=1, factor=0.5, min_lr=0.03)
    for metric in [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]:
        sched.step(metric)
    assert sched.get_last_lr() == [0.03, 0.05]
    state = sched.state_dict()
    assert "optimizer" not in state and state["best"] == 0.5
    clone = L.ReduceLROnPlateau(_optimizer(engine, optim))
    clone.load_state_dict(state)
    assert clone.patience == 1 and clone.num_bad_epochs == state["num_bad_epochs"]


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = _optimizer(engine, optim)
    sched = L.LambdaLR(opt, [Decay(), lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    state["lr_lambdas"][0]["rate"] = 0.25
    sched.load_state_dict(state)
    assert sched.lr_lambdas[0].rate == 0.25


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _optimizer(engine, optim)
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"^Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        sched.step()
    opt = _optimizer(engine, optim)
    sched = L.StepLR(opt, 2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
        sched.step()
    opt = _optimizer(engine, optim)
    sched = L.StepLR(opt, 2)
    opt.step = lambda: None
    with pytest.warns(UserWarning, match=r"^Seems like `optimizer.step\(\)` has been overridden"):
        sched.step()


def test_get_lr_outside_step_and_epoch_argument_warn():
    opt = _optimizer(engine, optim)
    sched = L.ExponentialLR(opt, 0.5)
    opt.step()
    with pytest.warns(UserWarning, match=r"^To get the last learning rate computed by the scheduler, please "
                                         r"use `get_last_lr\(\)`.$"):
        sched.get_lr()
    with pytest.warns(UserWarning, match=r"^The epoch parameter in `scheduler.step\(\)` was not necessary"):
        sched.step(3)
    assert sched.get_last_lr() == [0.1 * 0.5 ** 3, 0.2 * 0.5 ** 3]


def test_scheduler_errors():
    opt = _optimizer(engine, optim)
    with pytest.raises(TypeError, match="^Parameter is not an Optimizer$"):
        L.StepLR(Parameter(engine.ones(1)), 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        L.StepLR(opt, 2, last_epoch=3)
    with pytest.raises(ValueError, match="^Expected 2 lr_lambdas, but got 1$"):
        L.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="^Constant multiplicative factor expected to be between 0 and 1.$"):
        L.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="^Expected positive integer T_0, but got 0$"):
        L.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(ValueError, match="^Factor should be < 1.0.$"):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="^mode x is unknown!$"):
        L.ReduceLROnPlateau(opt, mode="x")
    with pytest.raises(ValueError, match="^You must define either total_steps OR"):
        L.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="^optimizer must support momentum or beta1"):
        L.OneCycleLR(optim.Adagrad([Parameter(engine.ones(1))]), 1.0, total_steps=3)
    sched = L.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="^Tried to step 4 times. The specified number of total steps "
                                         "is 3$"):
        sched.step()
    with pytest.raises(ValueError, match="^SequentialLR expects at least one scheduler, but got no "
                                         "scheduler.$"):
        L.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="^SequentialLR does not support `ReduceLROnPlateau`"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.ReduceLROnPlateau(opt)], [1])
    other = _optimizer(engine, optim)
    with pytest.raises(ValueError, match="^ChainedScheduler expects all schedulers to belong to the same "
                                         "optimizer, but got scheduler StepLR at index 1 has SGD \\("):
        L.ChainedScheduler([L.StepLR(opt, 2), L.StepLR(other, 2)])
