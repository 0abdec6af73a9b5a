"""The backward engine: iterative traversal, accumulation, retain_graph, create_graph, autograd.grad,
gradients of non-scalar outputs, backward(inputs=...), and PyTorch's error messages.

Expected values were checked against PyTorch 2.x; parity tests re-check them when torch is installed.
"""

import warnings

import numpy as np
import pytest

import engine as torch

FREED = "Trying to backward through the graph a second time"


# ------------------------------------------------------------------------------------- the traversal --
def test_long_chain_backward_has_no_recursion_limit():
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    assert np.isclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-9)


def test_long_chain_of_adds_with_create_graph():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3_000):
        y = y + x
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.item() == 3001.0


def test_diamond_graph_accumulates_both_paths():
    x = torch.tensor([2.0], requires_grad=True)
    a = x * 3
    b = x * x
    (a + b).sum().backward()
    assert x.grad.tolist() == [7.0]  # 3 + 2x


def test_tensor_used_many_times():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x * x + x
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 13.0]


def test_gradient_accumulates_across_backward_calls():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_grad_is_not_aliased_to_the_incoming_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    g = torch.tensor([1.0, 1.0])
    (x + 0).backward(g)
    x.grad.add_(1)
    assert g.tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------------------- retain_graph --
def test_second_backward_without_retain_graph_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    s = (x * x).sum()
    s.backward()
    with pytest.raises(RuntimeError, match=FREED):
        s.backward()


def test_second_backward_of_scalar_mul_raises_like_torch():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    s = (x * 2).sum()  # torch saves the scalar too
    s.backward()
    with pytest.raises(RuntimeError, match=FREED):
        s.backward()


def test_graph_without_saved_tensors_can_be_reused():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    s = (x + 1).sum()
    s.backward()
    s.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_graph_allows_a_second_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_saved_tensors_are_freed_after_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match=FREED):
        _ = y.grad_fn.saved_tensors


def test_notes_retain_graph_example():
    x = torch.tensor([[0.5, -1.0, 2.0, 1.5]], requires_grad=True)
    z = x ** 2 * 4
    loss1 = z.mean()
    loss2 = z.sum()
    loss1.backward(retain_graph=True)
    loss2.backward()
    assert x.grad.tolist() == [[5.0, -10.0, 20.0, 15.0]]  # (2/4 + 2) * 4x
    loss3 = z.sum()
    with pytest.raises(RuntimeError, match=FREED):
        loss3.backward()


# ------------------------------------------------------------------------------------ create_graph ----
def test_higher_order_gradients_of_cube():
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(x.pow(3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    assert g.tolist() == [6.75, 12.0]
    assert g2.tolist() == [9.0, 12.0]
    assert g3.tolist() == [6.0, 6.0]
    assert g.requires_grad and g.grad_fn is not None
    assert not g3.requires_grad


def test_create_graph_through_backward():
    x = torch.tensor([2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.tolist() == [12.0] and g.requires_grad
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [12.0]  # d(3x^2)/dx = 6x


def test_grad_without_create_graph_is_detached():
    x = torch.tensor([2.0], requires_grad=True)
    (g,) = torch.autograd.grad((x * x).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_mixed_second_derivative():
    x = torch.tensor(3.0, requires_grad=True)
    y = torch.tensor(4.0, requires_grad=True)
    f = x * x * y
    gx, gy = torch.autograd.grad(f, (x, y), create_graph=True)
    assert (gx.item(), gy.item()) == (24.0, 9.0)
    (gxy,) = torch.autograd.grad(gx, y)
    assert gxy.item() == 6.0


# ------------------------------------------------------------------------------------- autograd.grad ---
def test_grad_with_several_inputs():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    gx, gw = torch.autograd.grad((x * w).sum(), [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None


def test_grad_allow_unused():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([1.0], requires_grad=True)
    msg = ("^The differentiated Tensor at index 1 appears to not have been used in the graph. Set "
           "allow_unused=True if this is the desired behavior.$")
    with pytest.raises(RuntimeError, match=msg):
        torch.autograd.grad((x * x).sum(), [x, w])
    gx, gw = torch.autograd.grad((x * x).sum(), [x, w], allow_unused=True)
    assert gx.tolist() == [2.0, 4.0] and gw is None
    gx, gw = torch.autograd.grad((x * x).sum(), [x, w], allow_unused=True, materialize_grads=True)
    assert gw.tolist() == [0.0]


def test_grad_of_a_graph_that_does_not_require_grad():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a "
                                           "grad_fn"):
        torch.autograd.grad((x * x).sum(), x)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a "
                                           "grad_fn"):
        (x * x).sum().backward()


def test_grad_wrt_tensor_not_requiring_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        torch.autograd.grad((x * c).sum(), [x, c])


def test_grad_wrt_an_intermediate_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = (y * y).sum()
    (gy,) = torch.autograd.grad(z, y, retain_graph=True)
    assert gy.tolist() == [6.0, 12.0]
    (gx,) = torch.autograd.grad(z, x)
    assert gx.tolist() == [18.0, 36.0]


def test_grad_does_not_run_unneeded_branches():
    x = torch.tensor([1.0], requires_grad=True)
    w = torch.tensor([2.0], requires_grad=True)
    (gx,) = torch.autograd.grad((x * w).sum(), x)
    assert gx.tolist() == [2.0]
    assert w.grad is None


# ------------------------------------------------------------------------------ non-scalar outputs -----
def test_non_scalar_backward_needs_a_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar outputs$"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar outputs$"):
        torch.autograd.grad(x * x, x)


def test_backward_with_gradient_argument():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(torch.tensor([1.0, 3.0]))
    assert x.grad.tolist() == [2.0, 6.0]
    x.grad = None
    (x * x).backward(gradient=torch.tensor([0.5, 0.25]))
    assert x.grad.tolist() == [1.0, 1.0]


def test_gradient_shape_mismatch():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"torch.Size\(\[3\]\) and output\[0\] has a shape of "
                                           r"torch.Size\(\[2\]\)."):
        (x * 2).backward(torch.tensor([1.0, 1.0, 1.0]))


def test_gradient_must_be_a_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got float"):
        (x * 2).backward([1.0, 3.0])


def test_grad_outputs_for_non_scalar_outputs():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(x * x, x, grad_outputs=torch.tensor([1.0, 10.0]))
    assert g.tolist() == [2.0, 40.0]
    a, b = x * 2, x * x
    (g,) = torch.autograd.grad([a, b], x, grad_outputs=[torch.ones(2), torch.ones(2)])
    assert g.tolist() == [4.0, 6.0]


def test_autograd_backward_with_grad_tensors():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.autograd.backward([x * x, x * 3], [torch.ones(2), torch.tensor([1.0, 2.0])])
    assert x.grad.tolist() == [5.0, 10.0]
    x.grad = None
    torch.autograd.backward(x * x, grad_tensors=torch.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 2.0]
    x.grad = None
    torch.autograd.backward([(x * x).sum(), (x * 3).sum()])
    assert x.grad.tolist() == [5.0, 7.0]


def test_complex_scalar_output_needs_a_gradient():
    x = torch.tensor([1 + 1j, 2 + 0j], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs but "
                                           "got torch.complex64"):
        (x * x).sum().backward()


# --------------------------------------------------------------------------------- backward(inputs=) ---
def test_backward_inputs_restricts_accumulation():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [3.0, 4.0]
    assert w.grad is None
    (x * w).sum().backward(inputs=w)
    assert w.grad.tolist() == [1.0, 2.0]


def test_backward_inputs_empty_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be empty."):
        (x * x).sum().backward(inputs=[])


def test_backward_inputs_non_leaf_gets_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    assert y.grad.tolist() == [4.0, 8.0]
    assert x.grad is None


# ------------------------------------------------------------------------------------------- errors ----
def test_inplace_on_a_leaf_requiring_grad_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           "operation."):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           "operation."):
        x *= 2
    with torch.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0, 3.0] and x._version == 1


def test_inplace_on_a_view_of_a_leaf_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        x.view(2).mul_(2)


def test_modified_saved_tensor_raises_version_error():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert str(info.value) == (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor [2]], which is output 0 of Add, is at version 1; expected version 0 instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def test_modified_saved_leaf_raises_version_error():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.ones(2)
    z = x * w
    w.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert str(info.value).startswith(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor [2]] is at version 1; expected version 0 instead."
    )


def test_modified_saved_tensor_through_a_view_raises():
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    y = x * 1
    z = y * y
    y.view(2).mul_(2)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                           "modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_non_leaf_is_differentiable():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


@pytest.mark.parity
def test_shape_mismatch_in_binary_ops_names_both_sizes():
    msg = r"^The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1$"
    with pytest.raises(RuntimeError, match=msg):
        torch.ones(2, 3) + torch.ones(2, 4)
    msg = r"^The size of tensor a \(4\) must match the size of tensor b \(2\) at non-singleton dimension 0$"
    with pytest.raises(RuntimeError, match=msg):
        torch.ones(4, 3) * torch.ones(2, 3)


def test_broadcast_error_helper():
    from engine.ops._errors import broadcast_error, broadcast_shapes

    assert str(broadcast_error((2, 3), (2, 4))) == (
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1")
    assert str(broadcast_error((5, 2, 3), (4, 3, 4))) == (
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 2")
    assert str(broadcast_error((1, 4, 3), (2, 3))) == (
        "The size of tensor a (4) must match the size of tensor b (2) at non-singleton dimension 1")
    assert broadcast_shapes((2, 1), (3,), (1, 1, 1)) == (1, 2, 3)
    with pytest.raises(RuntimeError, match="at non-singleton dimension 0"):
        broadcast_shapes((4, 3), (2, 3))


# ------------------------------------------------------------------------------- dtypes of gradients ----
def test_gradient_dtypes_follow_the_inputs():
    x = torch.ones(4, requires_grad=True)
    y = torch.ones(2, 3, 4, dtype=torch.float64, requires_grad=True)
    z = x * y
    assert z.dtype is torch.float64
    z.sum().backward()
    assert x.grad.dtype is torch.float32 and y.grad.dtype is torch.float64
    assert x.grad.tolist() == [6.0] * 4


def test_zero_dim_float64_does_not_upcast_but_gets_its_own_dtype_grad():
    x = torch.ones(2, requires_grad=True)
    y = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    z = x * y
    assert z.dtype is torch.float32
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and x.grad.dtype is torch.float32
    assert y.grad.item() == 2.0 and y.grad.dtype is torch.float64 and y.grad.shape == ()


# ------------------------------------------------------------------------------------------- complex ---
def test_complex_gradient_is_conjugate_wirtinger():
    x = torch.tensor([1 + 1j, 2 + 0j], requires_grad=True)
    y = (x * x.conj()).real.sum()
    y.backward()
    assert x.grad.dtype is torch.complex64
    assert x.grad.tolist() == [2 + 2j, 4 + 0j]


def test_complex_mul_gradient_with_real_upstream():
    a = torch.tensor([1 + 2j], requires_grad=True)
    b = torch.tensor([3 - 1j])
    (a * b).real.sum().backward()
    assert a.grad.tolist() == [3 + 1j]  # conj(b)


def test_grad_mode_is_per_thread_like_torch():
    """no_grad on one thread (a GUI probe) must not switch gradients off for another (a training run)."""
    import threading

    seen = {}
    entered, release = threading.Event(), threading.Event()

    def probe() -> None:
        with torch.no_grad():
            entered.set()
            release.wait(5)
            seen["probe"] = torch.is_grad_enabled()

    worker = threading.Thread(target=probe)
    worker.start()
    entered.wait(5)
    x = torch.ones(2, requires_grad=True)
    y = (x * 3).sum()
    seen["main"] = torch.is_grad_enabled()
    release.set()
    worker.join()
    assert seen == {"probe": False, "main": True}
    assert y.requires_grad
    seen_fresh = []
    fresh = threading.Thread(target=lambda: seen_fresh.append(torch.is_grad_enabled()))
    with torch.no_grad():
        fresh.start()
        fresh.join()
    assert seen_fresh == [True]  # a new thread starts with gradients on, whatever its parent does
