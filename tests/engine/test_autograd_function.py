"""Custom autograd.Function, tensor hooks, retain_grad and the grad modes.

Expected values were checked against PyTorch 2.x; parity tests re-check them when torch is installed.
"""

import warnings

import pytest

import engine as torch
from engine.autograd import Function
from engine.autograd.function import once_differentiable


# ---------------------------------------------------------------------------------- custom Function ---
class Square(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x * ctx.k, None


class SumAndProduct(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.seen_needs = ctx.needs_input_grad
        return a + b, a * b

    @staticmethod
    def backward(ctx, g_sum, g_prod):
        a, b = ctx.saved_tensors
        return g_sum + g_prod * b, g_sum + g_prod * a


class DoubleWithMask(Function):
    @staticmethod
    def forward(ctx, x):
        mask = (x > 0).long()
        ctx.mark_non_differentiable(mask)
        return x * 2, mask

    @staticmethod
    @once_differentiable
    def backward(ctx, grad, grad_mask):
        return grad * 2


def test_function_with_non_tensor_argument():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x, 3)
    assert y.tolist() == [3.0, 12.0]
    assert type(y.grad_fn).__name__ == "SquareBackward"
    assert repr(y) == "tensor([ 3., 12.], grad_fn=<SquareBackward>)"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


def test_function_saved_tensors_are_the_inputs_and_freed_after_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x, 3)
    assert y.grad_fn.saved_tensors[0] is x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        _ = y.grad_fn.saved_tensors


def test_function_with_two_outputs_and_needs_input_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0])
    s, p = SumAndProduct.apply(x, w)
    assert s.tolist() == [4.0, 6.0] and p.tolist() == [3.0, 8.0]
    assert s.grad_fn is p.grad_fn
    assert p.grad_fn.seen_needs == (True, False)
    assert p.grad_fn.needs_input_grad == (True, False)
    (s + p).sum().backward()
    assert x.grad.tolist() == [4.0, 5.0]
    assert w.grad is None


def test_function_two_outputs_both_used():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    s, p = SumAndProduct.apply(x, w)
    (s * p).sum().backward()
    assert x.grad.tolist() == [15.0, 32.0]
    assert w.grad.tolist() == [7.0, 20.0]


def test_function_only_one_output_used_gets_zero_for_the_other():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    _, p = SumAndProduct.apply(x, w)
    p.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]  # g_sum materialized as zeros
    assert w.grad.tolist() == [1.0, 2.0]


def test_mark_non_differentiable_and_once_differentiable():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y, mask = DoubleWithMask.apply(x)
    assert mask.tolist() == [1, 0] and not mask.requires_grad
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.grad = None
    y, _ = DoubleWithMask.apply(x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    assert g.tolist() == [2.0, 2.0]
    assert not g.requires_grad  # once_differentiable: no graph through the backward


def test_function_without_grad_needed_returns_plain_tensors():
    y = Square.apply(torch.tensor([1.0, 2.0]), 3)
    assert not y.requires_grad and y.grad_fn is None
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = Square.apply(x, 3)
    assert not y.requires_grad


def test_function_returning_its_input():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = torch.tensor([1.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and not y.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [3.0]


def test_function_returning_too_many_gradients_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^function BadBackward returned an incorrect number of gradients "
                                           "\\(expected 1, got 2\\)$"):
        Bad.apply(x).sum().backward()


def test_function_may_return_trailing_none_gradients():
    class Extra(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = torch.tensor([1.0], requires_grad=True)
    Extra.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_function_without_backward_raises():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="You must implement either the backward or vjp method"):
        NoBackward.apply(x).sum().backward()


def test_function_passes_gradcheck():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: Square.apply(a, 3), (x,))


def test_notes_exp_function():
    class Exp(Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    x = torch.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    y.backward(torch.tensor([1.0, 2.0]))
    assert torch.allclose(x.grad, torch.tensor([1.0, 2 * 2.7182817]))


# ---------------------------------------------------------------------------------------------- hooks --
def test_leaf_hook_replaces_the_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    assert x.grad.tolist() == [20.0, 40.0]
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_non_leaf_hook_sees_and_replaces_the_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()))
    y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    assert [s.tolist() for s in seen] == [[6.0, 12.0]]
    assert x.grad.tolist() == [180.0, 360.0]


def test_hook_returning_none_keeps_the_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: None)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_hooks_run_in_registration_order():
    x = torch.tensor([1.0], requires_grad=True)
    order = []
    x.register_hook(lambda g: order.append("a"))
    x.register_hook(lambda g: order.append("b"))
    (x * 2).sum().backward()
    assert order == ["a", "b"]


def test_hook_on_tensor_not_requiring_grad_raises():
    msg = "cannot register a hook on a tensor that doesn't require gradient"
    with pytest.raises(RuntimeError, match=msg):
        torch.tensor([1.0]).register_hook(print)


def test_hook_on_an_intermediate_prints_its_gradient(capsys):
    x = torch.Tensor([0, 1, 2, 3]).requires_grad_()
    y = torch.Tensor([4, 5, 6, 7]).requires_grad_()
    w = torch.Tensor([1, 2, 3, 4]).requires_grad_()
    z = x + y

    def hook_fn(grad):
        print(grad)

    z.register_hook(hook_fn)
    o = (w * z).sum()
    o.backward()
    assert capsys.readouterr().out == "tensor([1., 2., 3., 4.])\n"
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert w.grad.tolist() == [4.0, 6.0, 8.0, 10.0]
    with pytest.warns(UserWarning, match="is not a leaf Tensor"):
        assert z.grad is None


# --------------------------------------------------------------------------------------- retain_grad ---
def test_retain_grad_on_a_non_leaf():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]
    assert x.grad.tolist() == [8.0, 16.0]


def test_reading_grad_of_a_non_leaf_warns():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor is being "
                                         "accessed"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None  # leaves never warn


def test_retain_grad_on_a_leaf_is_a_no_op_and_requires_grad_is_checked():
    x = torch.tensor([1.0], requires_grad=True)
    x.retain_grad()
    assert not x.retains_grad
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        torch.tensor([1.0]).retain_grad()


# ------------------------------------------------------------------------------------------ grad modes --
def test_no_grad_context():
    x = torch.tensor([1.0], requires_grad=True)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
    assert torch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad():
    x = torch.tensor([1.0], requires_grad=True)
    with torch.no_grad():
        with torch.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_as_function_context_and_decorator():
    x = torch.tensor([1.0], requires_grad=True)
    torch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    with torch.set_grad_enabled(True):
        assert (x * 2).requires_grad

    @torch.set_grad_enabled(False)
    def double(a):
        return a * 2

    assert torch.is_grad_enabled()
    assert not double(x).requires_grad
    assert torch.is_grad_enabled()
    assert repr(torch.set_grad_enabled(True)) == "torch.autograd.grad_mode.set_grad_enabled(mode=True)"


def test_no_grad_and_enable_grad_as_decorators():
    x = torch.tensor([1.0], requires_grad=True)

    @torch.no_grad()
    def f(a):
        return a * 2

    @torch.no_grad
    def g(a):
        return a * 2

    @torch.enable_grad()
    def h(a):
        return a * 2

    assert not f(x).requires_grad
    assert not g(x).requires_grad
    with torch.no_grad():
        assert h(x).requires_grad
    assert f.__name__ == "f" and g.__name__ == "g"


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), torch.no_grad():
        raise ValueError
    assert torch.is_grad_enabled()


def test_inference_mode():
    x = torch.tensor([1.0], requires_grad=True)
    with torch.inference_mode():
        assert not torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled()
        y = x * 2
    assert not y.requires_grad
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    with torch.inference_mode(False):
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()

    @torch.inference_mode()
    def f(a):
        return a * 2

    @torch.inference_mode
    def g(a):
        return a * 2

    assert not f(x).requires_grad
    assert not g(x).requires_grad


def test_autograd_namespace_exports_grad_modes():
    assert torch.autograd.no_grad is torch.no_grad
    assert torch.autograd.enable_grad is torch.enable_grad
    assert torch.autograd.set_grad_enabled is torch.set_grad_enabled
