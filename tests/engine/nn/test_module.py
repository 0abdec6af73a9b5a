"""nn.Module and nn.Parameter: registration, traversal, state dicts, conversion, printing and hooks.

The toy modules only use ops every engine build has (* + sum), so these tests do not depend on layers.
"""

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import engine
import engine.nn as nn


def toy_classes(lib):
    """The same toy modules written against `lib` (engine or torch)."""

    class Scale(lib.nn.Module):
        def __init__(self, weight=(1.0, 2.0, 3.0), bias=(0.5, -1.0, 2.0)):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(list(weight)))
            self.bias = lib.nn.Parameter(lib.tensor(list(bias)))

        def forward(self, x):
            return x * self.weight + self.bias

    class TwoInTwoOut(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.tensor([1.0, 2.0, 3.0]))

        def forward(self, x, y, k=2):
            return x * self.w + y * k, x * 3

    class Net(lib.nn.Module):
        def __init__(self):
            super(Net, self).__init__()  # noqa: UP008 - the notes' spelling must work
            self.first = Scale()
            self.second = Scale((2.0, -1.0, 0.5), (1.0, 1.0, 1.0))
            self.register_buffer("running", lib.zeros(3))
            self.register_buffer("scratch", lib.ones(2), persistent=False)

        def forward(self, x):
            return self.second(self.first(x))

    return Scale, TwoInTwoOut, Net


Scale, TwoInTwoOut, Net = toy_classes(engine)


def arrays(values):
    return [None if v is None else np.asarray(v.detach().numpy()) for v in values]


def assert_same_grads(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(arrays(ours), arrays(theirs)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)


# ------------------------------------------------------------------------------------------ Parameter ---
def test_parameter_is_a_leaf_tensor_sharing_memory():
    t = engine.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert isinstance(p, engine.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    with engine.no_grad():
        t.add_(1.0)
    assert p.tolist() == [2.0, 3.0]
    assert type(p * 2) is engine.Tensor
    assert type(p.detach()) is engine.Tensor and type(p.data) is engine.Tensor


def test_parameter_repr_and_defaults():
    p = nn.Parameter(engine.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert repr(p) == "Parameter containing:\ntensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
    assert str(p) == repr(p)
    head = "Parameter containing:\n"
    assert repr(nn.Parameter(engine.ones(2), requires_grad=False)) == head + "tensor([1., 1.])"
    assert repr(nn.Parameter()) == head + "tensor([], requires_grad=True)"
    assert repr(nn.Parameter(engine.tensor([1, 2]), requires_grad=False)) == head + "tensor([1, 2])"
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can require "
                                           "gradients$"):
        nn.Parameter(engine.tensor([1, 2]))


def test_parameter_deepcopy_and_buffer_marker():
    p = nn.Parameter(engine.tensor([1.0, 2.0]))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q is not p
    assert q.data_ptr() != p.data_ptr() and q.tolist() == p.tolist()
    b = nn.Buffer(engine.ones(2), persistent=False)
    assert isinstance(b, nn.Buffer) and isinstance(b, engine.Tensor) and not b.persistent
    assert not isinstance(engine.ones(2), nn.Buffer)


# ---------------------------------------------------------------------------------------- routing -----
def test_setattr_routes_parameters_modules_and_buffers():
    net = Net()
    assert list(net._parameters) == []
    assert list(net._modules) == ["first", "second"]
    assert list(net._buffers) == ["running", "scratch"]
    assert list(net.first._parameters) == ["weight", "bias"]
    new_running = engine.ones(3)
    net.running = new_running  # a plain tensor assigned to a buffer name updates the buffer
    assert net._buffers["running"] is new_running
    net.extra = nn.Buffer(engine.zeros(1), persistent=False)
    assert "extra" in net._buffers and "extra" in net._non_persistent_buffers_set
    net.plain = engine.zeros(1)  # anything else becomes an ordinary attribute
    assert "plain" in net.__dict__ and "plain" not in net._buffers
    net.first = None
    assert net._modules["first"] is None and net.first is None


def test_setattr_errors_match_torch():
    m = Scale()
    with pytest.raises(TypeError, match=r"^cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                        r"\(torch.nn.Parameter or None expected\)$"):
        m.weight = engine.ones(3)
    net = Net()
    with pytest.raises(TypeError, match=r"^cannot assign 'int' as child module 'first' \(torch.nn.Module or "
                                        r"None expected\)$"):
        net.first = 3
    with pytest.raises(TypeError, match=r"^cannot assign 'str' as buffer 'running' \(torch.nn.Buffer, "
                                        r"torch.Tensor or None expected\)$"):
        net.running = "x"
    m.weight = None
    assert m._parameters["weight"] is None and m.weight is None
    assert list(m.parameters()) == [m.bias]


def test_assigning_before_init_raises():
    class Early(nn.Module):
        def __init__(self):
            self.child = Scale()
            super().__init__()

    class EarlyParam(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(engine.ones(1))
            super().__init__()

    with pytest.raises(AttributeError, match=r"^cannot assign module before Module.__init__\(\) call$"):
        Early()
    with pytest.raises(AttributeError, match=r"^cannot assign parameters before Module.__init__\(\) call$"):
        EarlyParam()


def test_getattr_and_delattr():
    m = Scale()
    with pytest.raises(AttributeError, match="^'Scale' object has no attribute 'foo'$"):
        _ = m.foo
    del m.bias
    assert list(m._parameters) == ["weight"]
    with pytest.raises(AttributeError):
        del m.bias
    assert "weight" in dir(m) and "forward" in dir(m)


def test_spectral_norm_style_parameter_replacement():
    # The notes' SpectralNorm: drop the registered parameter, then set a plain tensor under the same name.
    m = Scale()
    w = m.weight
    del m._parameters["weight"]
    m.register_parameter("weight_bar", nn.Parameter(w.data))
    m.weight = w.data * 2
    assert type(m.weight) is engine.Tensor and m.weight.tolist() == [2.0, 4.0, 6.0]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_bar"]
    m.weight = m.weight_bar / 2
    out = m(engine.ones(3))
    out.sum().backward()
    assert m.weight_bar.grad.tolist() == [0.5, 0.5, 0.5]


def test_registration_name_errors():
    m = Scale()
    with pytest.raises(KeyError) as info:
        m.add_module("a.b", Scale())
    assert info.value.args == ('module name can\'t contain ".", got: a.b',)
    with pytest.raises(KeyError) as info:
        m.add_module("forward", Scale())
    assert info.value.args == ("attribute 'forward' already exists",)
    with pytest.raises(KeyError) as info:
        m.register_module("", Scale())
    assert info.value.args == ('module name can\'t be empty string ""',)
    with pytest.raises(TypeError, match="^int is not a Module subclass$"):
        m.add_module("x", 3)
    with pytest.raises(KeyError) as info:
        m.register_parameter("a.b", None)
    assert info.value.args == ('parameter name can\'t contain "."',)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", engine.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' object to parameter 'p' "
                                        r"\(torch.nn.Parameter or None required\)"):
        m.register_parameter("p", engine.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'int' object to buffer 'b'"):
        m.register_buffer("b", 1)


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("") is net and net.get_submodule("second") is net.second
    assert net.get_parameter("first.bias") is net.first.bias
    assert net.get_buffer("running") is net.running
    with pytest.raises(AttributeError, match="^Net has no attribute `third`$"):
        net.get_submodule("third")
    with pytest.raises(AttributeError, match="^`running` is not an nn.Module$"):
        net.get_submodule("running")
    with pytest.raises(AttributeError, match="^`running` is not an nn.Parameter$"):
        net.get_parameter("running")
    with pytest.raises(AttributeError, match="^`weight` is not a buffer$"):
        net.get_buffer("first.weight")


def test_init_signature_and_missing_forward():
    with pytest.raises(TypeError, match=r"^Module.__init__\(\) takes 1 positional argument but 2 were "
                                        r"given$"):
        nn.Module(3)
    with pytest.raises(TypeError, match=r"^Module.__init__\(\) got an unexpected keyword argument 'a'$"):
        nn.Module(a=1)
    with pytest.raises(NotImplementedError,
                       match='^Module \\[Module\\] is missing the required "forward" function$'):
        nn.Module()(engine.ones(1))


# --------------------------------------------------------------------------------------- traversal ---
def test_named_members_order_and_prefixes():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["first.weight", "first.bias", "second.weight",
                                                       "second.bias"]
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.first.weight"
    assert list(net.named_parameters(recurse=False)) == []
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_children()] == ["first", "second"]
    assert [n for n, _ in net.named_modules()] == ["", "first", "second"]
    assert [n for n, _ in net.named_modules(prefix="m")] == ["m", "m.first", "m.second"]
    assert list(net.modules())[0] is net and list(net.children()) == [net.first, net.second]
    assert len(list(net.parameters())) == 4 and len(list(net.buffers())) == 2


def test_shared_parameters_and_modules_yielded_once():
    net = Net()
    net.second.weight = net.first.weight
    net.alias = net.first
    assert [n for n, _ in net.named_parameters()] == ["first.weight", "first.bias", "second.bias"]
    assert len(list(net.named_parameters(remove_duplicate=False))) == 6
    assert [n for n, _ in net.named_modules()] == ["", "first", "second"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "first", "second", "alias"]
    assert [n for n, _ in net.named_children()] == ["first", "second"]


# ------------------------------------------------------------------------------------- state dicts ---
def test_state_dict_keys_order_and_detached_values():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["running", "first.weight", "first.bias", "second.weight", "second.bias"]
    assert not sd["first.weight"].requires_grad and type(sd["first.weight"]) is engine.Tensor
    assert sd["first.weight"].data_ptr() == net.first.weight.data_ptr()
    assert list(sd._metadata) == ["", "first", "second"]
    kept = net.state_dict(keep_vars=True)
    assert kept["first.weight"] is net.first.weight
    assert list(net.first.state_dict(prefix="p.")) == ["p.weight", "p.bias"]


def test_load_state_dict_round_trip_copies_in_place():
    src, dst = Net(), Net()
    with engine.no_grad():
        src.first.weight.mul_(3.0)
        src.running.add_(5.0)
    weight = dst.first.weight
    result = dst.load_state_dict(src.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst.first.weight is weight and weight.tolist() == [3.0, 6.0, 9.0]
    assert dst.running.tolist() == [5.0, 5.0, 5.0]
    assert weight.data_ptr() != src.first.weight.data_ptr()


def test_load_state_dict_strict_errors():
    net = Net()
    sd = net.state_dict()
    del sd["second.bias"]
    sd["zz"] = engine.ones(1)
    sd["first.weight"] = engine.ones(4)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "second.bias". \n\t'
        'Unexpected key(s) in state_dict: "zz". \n\tsize mismatch for first.weight: copying a param with '
        "shape torch.Size([4]) from checkpoint, the shape in current model is torch.Size([3]).")
    del sd["first.weight"]
    result = net.load_state_dict(sd, strict=False)
    assert result == (["first.weight", "second.bias"], ["zz"])
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['first.weight', 'second.bias'], "
                            "unexpected_keys=['zz'])")


def test_load_state_dict_size_mismatch_only():
    m = Scale()
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict({"weight": engine.ones(3, 2), "bias": engine.ones(3)})
    assert str(info.value) == (
        "Error(s) in loading state_dict for Scale:\n\tsize mismatch for weight: copying a param with shape "
        "torch.Size([3, 2]) from checkpoint, the shape in current model is torch.Size([3]).")


def test_load_state_dict_assign_and_custom_hooks():
    m = Scale()
    new_weight = engine.tensor([7.0, 8.0, 9.0])
    m.load_state_dict({"weight": new_weight, "bias": engine.zeros(3)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.data_ptr() == new_weight.data_ptr()

    class Counted(Scale):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", engine.tensor(0))

        def _load_from_state_dict(self, state_dict, prefix, *args):
            state_dict.setdefault(prefix + "count", engine.tensor(42))  # an old checkpoint without it
            super()._load_from_state_dict(state_dict, prefix, *args)

        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "note"] = engine.tensor(1)

    c = Counted()
    assert list(c.state_dict()) == ["weight", "bias", "count", "note"]
    post = []
    c.register_load_state_dict_post_hook(lambda mod, keys: post.append(tuple(keys.missing_keys)))
    c.load_state_dict({"weight": engine.ones(3), "bias": engine.ones(3)})
    assert c.count.item() == 42 and post == [()]


# --------------------------------------------------------------------------- modes and conversion ---
def test_train_eval_propagate():
    net = Net()
    assert net.training and net.first.training
    assert net.eval() is net
    assert not net.training and not net.first.training and not net.second.training
    net.train()
    assert net.second.training
    with pytest.raises(ValueError, match="^training mode is expected to be boolean$"):
        net.train(1)


def test_to_dtype_keeps_parameter_identity():
    net = Net()
    net.register_buffer("steps", engine.tensor(3))
    weight = net.first.weight
    net(engine.ones(3)).sum().backward()
    assert net.double() is net
    assert net.first.weight is weight and weight.dtype == engine.float64
    assert weight.grad.dtype == engine.float64
    assert net.running.dtype == engine.float64 and net.steps.dtype == engine.int64
    net.zero_grad()
    net(engine.ones(3, dtype=engine.float64)).sum().backward()
    assert weight.grad.dtype == engine.float64
    net.to(engine.float32)
    assert weight.dtype == engine.float32 and net.steps.dtype == engine.int64
    net.to(engine.ones(1, dtype=engine.float64))
    assert weight.dtype == engine.float64
    net.float().cpu()
    assert weight.dtype == engine.float32
    with pytest.raises(TypeError, match=r"^nn.Module.to only accepts floating point or complex dtypes, but "
                                        r"got desired dtype=torch.int64$"):
        net.to(engine.int64)


def test_requires_grad_zero_grad_and_apply():
    net = Net()
    net(engine.ones(3)).sum().backward()
    grad = net.first.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.first.weight.grad is grad and grad.tolist() == [0.0, 0.0, 0.0]
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Scale", "Scale", "Net"]


def test_deepcopy_module():
    net = Net()
    net.second.weight = net.first.weight
    clone = copy.deepcopy(net)
    assert type(clone) is Net and clone.first is not net.first
    assert clone.first.weight is not net.first.weight and clone.second.weight is clone.first.weight
    assert isinstance(clone.first.weight, nn.Parameter)
    with engine.no_grad():
        clone.first.bias.add_(1.0)
    assert net.first.bias.tolist() == [0.5, -1.0, 2.0]
    assert clone(engine.ones(3)).shape == (3,)


# ------------------------------------------------------------------------------------ forward hooks ---
def test_forward_pre_hook_replaces_input_and_handle_removes():
    m = Scale()
    handle = m.register_forward_pre_hook(lambda mod, args: args[0] * 0)  # single value -> wrapped in a tuple
    assert m(engine.ones(3)).tolist() == [0.5, -1.0, 2.0]
    handle.remove()
    assert m(engine.ones(3)).tolist() == [1.5, 1.0, 5.0]
    with m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True):
        assert m(engine.ones(3)).tolist() == [2.5, 3.0, 8.0]
    assert m(engine.ones(3)).tolist() == [1.5, 1.0, 5.0]
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="^forward pre-hook must return None or a tuple of"):
        m(engine.ones(3))


def test_forward_hook_sees_inputs_and_replaces_output():
    m = TwoInTwoOut()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append((mod, len(args), len(out))))
    m.register_forward_hook(lambda mod, args, kwargs, out: out[0] + kwargs["k"], with_kwargs=True)
    order = []
    m.register_forward_hook(lambda *a: order.append("late"))
    m.register_forward_hook(lambda *a: order.append("early"), prepend=True)
    out = m(engine.ones(3), engine.ones(3), k=10)
    assert seen == [(m, 2, 2)] and out.tolist() == [21.0, 22.0, 23.0]
    assert order == ["early", "late"]


def test_always_call_forward_hook_runs_on_error():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Broken()
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append("normal"))
    m.register_forward_hook(lambda mod, args, out: calls.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(engine.ones(1))
    assert calls == [None]


# ----------------------------------------------------------------------------------- backward hooks ---
def run_full_hooks(lib, replace=None):
    _, two, _ = toy_classes(lib)
    m = two()
    record = []
    m.register_full_backward_pre_hook(lambda mod, go: record.append(("pre", go)))
    m.register_full_backward_hook(lambda mod, gi, go: record.append(("hook", gi, go)) or replace)
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = lib.tensor([2.0, 2.0, 2.0])
    a, b = m(x, y, 3)
    (a * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    return record, x.grad, m.w.grad, a


@pytest.mark.parity
def test_full_backward_hook_grads_match_torch():
    import torch

    ours, x_grad, w_grad, out = run_full_hooks(engine)
    theirs, tx_grad, tw_grad, tout = run_full_hooks(torch)
    assert repr(out) == repr(tout)  # grad_fn=<BackwardHookFunctionBackward>
    assert [r[0] for r in ours] == [r[0] for r in theirs] == ["pre", "hook"]
    assert_same_grads(ours[0][1], theirs[0][1])  # grad_output: (tensor, None) - b was unused
    assert_same_grads(ours[1][1], theirs[1][1])  # grad_input: (x grad, zeros for y, None for the int)
    assert_same_grads(ours[1][2], theirs[1][2])
    assert_same_grads([x_grad, w_grad], [tx_grad, tw_grad])


def test_full_backward_hook_values_and_replacement():
    record, x_grad, _, out = run_full_hooks(engine)
    assert out.grad_fn.name() == "BackwardHookFunctionBackward"
    kind, grad_input, grad_output = record[1]
    assert grad_output[1] is None and grad_output[0].tolist() == [1.0, 2.0, 3.0]
    assert grad_input[0].tolist() == [1.0, 4.0, 9.0] and grad_input[1].tolist() == [0.0, 0.0, 0.0]
    assert grad_input[2] is None
    replaced = (engine.tensor([10.0, 20.0, 30.0]), None, None)
    _, x_grad, w_grad, _ = run_full_hooks(engine, replace=replaced)
    assert x_grad.tolist() == [10.0, 20.0, 30.0]
    assert w_grad.tolist() == [1.0, -4.0, 9.0]  # parameters are not module inputs: untouched


@pytest.mark.parity
def test_full_backward_replacement_matches_torch():
    import torch

    def run(lib):
        scale = toy_classes(lib)[0]
        m = scale()
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] + 1,))
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        m(x).backward(lib.tensor([[1.0, 0.0, 2.0], [3.0, 1.0, 1.0]]))
        return [x.grad, m.weight.grad, m.bias.grad]

    assert_same_grads(run(engine), run(torch))


def test_full_backward_hook_errors_and_warnings():
    m = TwoInTwoOut()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
    a, _ = m(engine.ones(3, requires_grad=True), engine.ones(3))
    with pytest.raises(RuntimeError, match="^Backward hook returned an invalid number of grad_input, got 1, "
                                           "but expected 2$"):
        a.sum().backward()
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_backward_hook(lambda *args: None)
    quiet = TwoInTwoOut()
    seen = []
    quiet.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    a, _ = quiet(engine.ones(3), engine.ones(3))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with "
                                         "respect to module outputs since no inputs require gradients"):
        a.sum().backward()
    assert seen == [(None, None)]


def run_legacy_hooks(lib):
    scale = toy_classes(lib)[0]
    m = scale()
    record = []
    m.register_backward_hook(lambda mod, gi, go: record.append((gi, go)))
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = m(x)
    out.backward(lib.tensor([[1.0, 0.0, 2.0], [3.0, 1.0, 1.0]]))
    return record, [str(w.message) for w in caught], x.grad


@pytest.mark.parity
def test_legacy_backward_hook_matches_torch():
    import torch

    ours, our_warnings, x_grad = run_legacy_hooks(engine)
    theirs, their_warnings, tx_grad = run_legacy_hooks(torch)
    assert len(ours) == len(theirs) == 1
    assert_same_grads(ours[0][0], theirs[0][0])  # the last node's input grads, bias already reduced
    assert_same_grads(ours[0][1], theirs[0][1])
    assert our_warnings == their_warnings
    assert_same_grads([x_grad], [tx_grad])


def test_legacy_backward_hook_sees_last_node_only():
    record, caught, _ = run_legacy_hooks(engine)
    grad_input, grad_output = record[0]
    assert [g.shape for g in grad_input] == [(2, 3), (3,)]
    assert grad_input[1].tolist() == [4.0, 1.0, 3.0]
    assert grad_output[0].tolist() == [[1.0, 0.0, 2.0], [3.0, 1.0, 1.0]]
    assert caught and caught[0].startswith("Using a non-full backward hook when the forward contains")


def test_module_hooks_are_skipped_after_remove():
    m = Scale()
    calls = []
    handles = [m.register_forward_pre_hook(lambda *a: calls.append("pre")),
               m.register_forward_hook(lambda *a: calls.append("fwd")),
               m.register_full_backward_hook(lambda *a: calls.append("bwd"))]
    m(engine.ones(3, requires_grad=True)).sum().backward()
    assert calls == ["pre", "fwd", "bwd"]
    for h in handles:
        h.remove()
    calls.clear()
    out = m(engine.ones(3, requires_grad=True))
    out.sum().backward()
    assert calls == [] and out.grad_fn.name() != "BackwardHookFunctionBackward"


def test_global_forward_hooks():
    from engine.nn.modules import module as module_py

    calls = []
    h1 = module_py.register_module_forward_pre_hook(lambda mod, args: calls.append(("pre", mod._get_name())))
    h2 = module_py.register_module_forward_hook(lambda mod, args, out: calls.append(("fwd", mod._get_name())))
    try:
        Net()(engine.ones(3))
    finally:
        h1.remove()
        h2.remove()
    assert calls == [("pre", "Net"), ("pre", "Scale"), ("fwd", "Scale"), ("pre", "Scale"), ("fwd", "Scale"),
                     ("fwd", "Net")]
