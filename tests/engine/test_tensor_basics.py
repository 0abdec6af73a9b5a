"""Tensor basics: Size, attributes, conversions, memory sharing, version counters, .data/detach, leaf
rules, grad_fn names, printing integration, copying and the legacy constructors.

Expected values were checked against PyTorch 2.x (parity tests re-check them when torch is installed).
"""

import copy
import pickle
import warnings

import numpy as np
import pytest

import engine as torch


# ------------------------------------------------------------------------------------------------ Size --
def test_size_repr_and_tuple_behaviour():
    s = torch.Size([2, 3])
    assert repr(s) == "torch.Size([2, 3])"
    assert str(s) == "torch.Size([2, 3])"
    assert repr(torch.Size([])) == "torch.Size([])"
    assert isinstance(s, tuple)
    assert s == (2, 3)
    assert s[0] == 2 and s[-1] == 3
    assert len(s) == 2
    a, b = s
    assert (a, b) == (2, 3)
    assert hash(s) == hash((2, 3))
    assert s.numel() == 6
    assert torch.Size([]).numel() == 1


def test_size_slicing_and_concatenation_return_size():
    s = torch.Size([2, 3, 4])
    assert isinstance(s[1:], torch.Size)
    assert repr(s[1:]) == "torch.Size([3, 4])"
    assert isinstance(s + (5,), torch.Size)
    assert repr(s + (5,)) == "torch.Size([2, 3, 4, 5])"
    assert isinstance((1,) + s, torch.Size)
    assert repr((1,) + s) == "torch.Size([1, 2, 3, 4])"


# ------------------------------------------------------------------------------------------ attributes --
def test_shape_size_ndim_numel():
    t = torch.zeros(2, 3)
    assert t.shape == (2, 3) and isinstance(t.shape, torch.Size)
    assert t.size() == torch.Size([2, 3])
    assert t.size(0) == 2 and t.size(-1) == 3
    assert t.ndim == 2 and t.dim() == 2 and t.ndimension() == 2
    assert t.numel() == 6 and t.nelement() == 6 and torch.numel(t) == 6
    assert torch.tensor(3.0).shape == torch.Size([])
    assert torch.tensor(3.0).dim() == 0


def test_size_dim_out_of_range():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                                         r"but got 2\)"):
        torch.zeros(2, 3).size(2)


def test_stride_contiguity_and_storage_offset():
    t = torch.zeros(2, 3)
    assert t.stride() == (3, 1)
    assert t.stride(1) == 1
    assert t.is_contiguous()
    tt = t.t()
    assert tt.stride() == (1, 3)
    assert not tt.is_contiguous()
    c = tt.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1)
    assert t.contiguous() is t
    assert t.storage_offset() == 0
    e = torch.zeros(2, 1).expand(2, 3)
    assert e.stride() == (1, 0)


def test_storage_offset_of_slices():
    t = torch.zeros(4, 3)
    assert t[1:].storage_offset() == 3
    assert t[1:, 1:].storage_offset() == 4


def test_item_and_tolist():
    assert torch.tensor(2.5).item() == 2.5
    assert torch.tensor([2.5]).item() == 2.5
    assert isinstance(torch.tensor([7]).item(), int)
    assert isinstance(torch.tensor([True]).item(), bool)
    assert torch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert torch.tensor(2.5).tolist() == 2.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        torch.tensor([1, 2]).item()


def test_python_number_conversions():
    assert int(torch.tensor([2.7])) == 2
    assert float(torch.tensor(3)) == 3.0
    assert complex(torch.tensor(1.0)) == 1 + 0j
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        int(torch.tensor([]))


def test_len_bool_and_index():
    assert len(torch.zeros(3, 2)) == 3
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(torch.tensor(1.0))
    assert bool(torch.tensor([1.0])) is True
    assert bool(torch.tensor(0)) is False
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(torch.tensor([]))
    assert [10, 20, 30][torch.tensor(1)] == 20
    assert [10, 20, 30][torch.tensor([2])] == 30
    msg = "only integer tensors of a single element can be converted to an index"
    with pytest.raises(TypeError, match=msg):
        [1, 2][torch.tensor(1.0)]


def test_format_of_zero_dim_tensors():
    assert f"{torch.tensor(2.345):.2f}" == "2.35"
    assert f"{torch.tensor(3)}" == "3"
    assert "{:>5}".format(torch.tensor(7)) == "    7"  # noqa: UP032 - the format() path
    assert f"{torch.tensor([1, 2])}" == "tensor([1, 2])"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{torch.tensor([2.345]):.2f}"


def test_iteration():
    rows = list(torch.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(torch.tensor(1.0))


# ---------------------------------------------------------------------------------------------- numpy --
def test_from_numpy_shares_memory_both_ways():
    n = np.zeros(3)
    t = torch.from_numpy(n)
    assert t.dtype is torch.float64
    n[0] = 5
    assert t.tolist() == [5.0, 0.0, 0.0]
    t.add_(1)
    assert n.tolist() == [6.0, 1.0, 1.0]


def test_from_numpy_rejects_lists():
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        torch.from_numpy([1, 2])


def test_numpy_shares_memory():
    t = torch.zeros(3)
    n = t.numpy()
    assert n.dtype == np.float32
    n[0] = 5
    t.add_(1)
    assert n.tolist() == [6.0, 1.0, 1.0]
    assert t.tolist() == [6.0, 1.0, 1.0]


def test_numpy_of_tensor_requiring_grad_raises():
    t = torch.tensor([1.0], requires_grad=True)
    msg = "Can't call numpy\\(\\) on Tensor that requires grad. Use tensor.detach\\(\\).numpy\\(\\) instead."
    with pytest.raises(RuntimeError, match=msg):
        t.numpy()
    with pytest.raises(RuntimeError, match=msg):
        np.asarray(t)
    assert t.detach().numpy().tolist() == [1.0]


def test_array_protocol():
    t = torch.tensor([1.0, 2.0])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(torch.tensor([[1, 2]])).shape == (1, 2)


# ----------------------------------------------------------------------------- views, version counters --
@pytest.mark.parametrize("make_view", [
    lambda x: x.view(6), lambda x: x.reshape(6), lambda x: x.t(), lambda x: x.transpose(0, 1),
    lambda x: x.permute(1, 0), lambda x: x.unsqueeze(0), lambda x: x.view(2, 1, 3).squeeze(1),
    lambda x: x.view(6).view(2, 3), lambda x: x.detach(),
], ids=["view", "reshape", "t", "transpose", "permute", "unsqueeze", "squeeze", "view_of_view", "detach"])
def test_views_share_memory_and_version_counter(make_view):
    x = torch.zeros(2, 3)
    v = make_view(x)
    assert x._version == 0
    v.add_(1)
    assert x.sum().item() == 6.0
    assert x._version == 1 and v._version == 1
    x.mul_(2)
    assert v._version == 2
    assert v.sum().item() == 12.0


def test_expand_is_a_view():
    x = torch.zeros(2, 1)
    e = x.expand(2, 3)
    assert e.stride() == (1, 0)
    x.add_(1)
    assert e.tolist() == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert e._version == 1


def test_clone_has_own_memory_and_counter():
    x = torch.zeros(2)
    c = x.clone()
    c.add_(1)
    assert x.tolist() == [0.0, 0.0]
    assert x._version == 0 and c._version == 1


def test_version_bumps_on_inplace_ops():
    x = torch.zeros(2)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    x += 1
    x *= 1
    x.sub_(1)
    x.div_(2)
    assert x._version == 6
    assert x.tolist() == [1.0, 1.0]


def test_version_bumps_on_setitem_and_fill():
    x = torch.zeros(2)
    x[0] = 1
    assert x._version == 1
    x.zero_()
    x.fill_(2)
    assert x._version == 3


def test_version_reads_like_an_int():
    x = torch.zeros(2)
    x.add_(1)
    assert repr(x._version) == "1"
    assert x._version == 1 and x._version != 0
    assert int(x._version) == 1
    assert x._version + 1 == 2
    assert x._version > 0


# -------------------------------------------------------------------------------------- .data, detach --
def test_data_shares_memory_with_its_own_version_counter():
    a = torch.zeros(3, requires_grad=True)
    d = a.data
    assert not d.requires_grad and d.is_leaf
    d += 1
    assert a.tolist() == [1.0, 1.0, 1.0]
    assert a._version == 0 and d._version == 1


def test_data_changes_are_not_seen_by_autograd():
    a = torch.ones(3, requires_grad=True)
    w = torch.ones(3, requires_grad=True)
    b = a * w
    w.data.mul_(2)  # invisible to the version check (torch's documented .data semantics)
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


def test_data_setter_replaces_contents_and_keeps_flags():
    a = torch.zeros(3, requires_grad=True)
    a.data = torch.ones(4, dtype=torch.float64)
    assert a.shape == (4,) and a.dtype is torch.float64
    assert a.requires_grad and a.is_leaf


def test_detach_shares_memory_and_version():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1)
    assert x.tolist() == [2.0, 3.0]
    assert x._version == 1


def test_detach_in_place():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None


def test_detach_in_place_on_a_view_raises():
    x = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) instead."):
        x.view(3).detach_()


def test_clone_keeps_history():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    assert c.grad_fn.name() == "CloneBackward0"
    (c * c).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


# ------------------------------------------------------------------------------ requires_grad, leaves ---
def test_requires_grad_on_integer_tensors_raises():
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require gradients$"):
        torch.tensor([1, 2]).requires_grad_()
    t = torch.tensor([1, 2])
    with pytest.raises(RuntimeError,
                       match="^only Tensors of floating point and complex dtype can require gradients$"):
        t.requires_grad = True
    with pytest.raises(RuntimeError,
                       match="^Only Tensors of floating point and complex dtype can require gradients$"):
        torch.tensor([1, 2], requires_grad=True)


def test_complex_tensors_can_require_grad():
    assert torch.tensor([1 + 1j]).requires_grad_().requires_grad


def test_requires_grad_flags_of_non_leaves():
    x = torch.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad_() is y
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables."):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables."):
        y.requires_grad = False


def test_is_leaf():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf
    assert torch.tensor([1.0]).is_leaf
    assert not (x * 2).is_leaf
    assert (torch.tensor([1.0]) * 2).is_leaf  # no grad needed -> a new leaf
    with torch.no_grad():
        assert (x * 2).is_leaf


def test_grad_setter_checks():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = torch.tensor([3.0, 4.0])
    assert x.grad.tolist() == [3.0, 4.0]
    x.grad = None
    assert x.grad is None
    msg = ("attempting to assign a gradient of size '\\[1\\]' to a tensor of size '\\[2\\]'. Please ensure "
           "that the gradient and the tensor are the same size")
    with pytest.raises(RuntimeError, match=msg):
        x.grad = torch.tensor([1.0])
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'double' to a tensor "
                                           "with grad_dtype 'Float'."):
        x.grad = torch.tensor([1.0, 2.0], dtype=torch.float64)
    msg = "assigned grad expected to be a Tensor or None but got grad of type list"
    with pytest.raises(TypeError, match=msg):
        x.grad = [1.0, 2.0]


# -------------------------------------------------------------------------------------- grad_fn names --
GRAD_FN_CASES = {
    "add": (lambda x: x + 1, "AddBackward0"),
    "add_tensor": (lambda x: x + x, "AddBackward0"),
    "sub": (lambda x: x - 1, "SubBackward0"),
    "rsub": (lambda x: 1 - x, "RsubBackward1"),
    "mul_tensor": (lambda x: x * x, "MulBackward0"),
    "mul_scalar": (lambda x: x * 2, "MulBackward0"),
    "div_tensor": (lambda x: x / x, "DivBackward0"),
    "div_scalar": (lambda x: x / 2, "DivBackward0"),
    "pow_scalar": (lambda x: x ** 2, "PowBackward0"),
    "pow_tensor": (lambda x: x ** x, "PowBackward1"),
    "rpow": (lambda x: 2 ** x, "PowBackward2"),
    "neg": (lambda x: -x, "NegBackward0"),
    "sum": (lambda x: x.sum(), "SumBackward0"),
    "sum_dim": (lambda x: x.sum(0), "SumBackward1"),
    "mean": (lambda x: x.mean(), "MeanBackward0"),
    "view": (lambda x: x.view(2, 1), "ViewBackward0"),
    "reshape": (lambda x: x.reshape(2, 1), "ViewBackward0"),
    "expand": (lambda x: x.view(2, 1).expand(2, 3), "ExpandBackward0"),
    "transpose": (lambda x: x.view(1, 2).transpose(0, 1), "TransposeBackward0"),
    "t": (lambda x: x.view(1, 2).t(), "TBackward0"),
    "permute": (lambda x: x.view(1, 2).permute(1, 0), "PermuteBackward0"),
    "unsqueeze": (lambda x: x.unsqueeze(0), "UnsqueezeBackward0"),
    "squeeze": (lambda x: x.view(1, 2).squeeze(), "SqueezeBackward0"),
    "squeeze_dim": (lambda x: x.view(1, 2).squeeze(0), "SqueezeBackward1"),
    "to": (lambda x: x.double(), "ToCopyBackward0"),
    "clone": (lambda x: x.clone(), "CloneBackward0"),
}


@pytest.mark.parametrize("case", sorted(GRAD_FN_CASES))
def test_grad_fn_names(case):
    fn, expected = GRAD_FN_CASES[case]
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = fn(x)
    assert out.grad_fn.name() == expected
    assert repr(out.grad_fn).startswith(f"<{expected} object at 0x")


@pytest.mark.parity
@pytest.mark.parametrize("case", sorted(GRAD_FN_CASES))
def test_grad_fn_names_match_torch(case):
    import torch as real

    fn, _ = GRAD_FN_CASES[case]
    ours = fn(torch.tensor([1.0, 2.0], requires_grad=True)).grad_fn.name()
    theirs = fn(real.tensor([1.0, 2.0], requires_grad=True)).grad_fn.name()
    assert ours == theirs


def test_next_functions_and_accumulate_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    (mul_node, nr), = y.grad_fn.next_functions
    assert mul_node.name() == "MulBackward0" and nr == 0
    acc = mul_node.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad"
    assert acc.variable is x


# ---------------------------------------------------------------------------------------- printing ----
def test_repr_through_the_tensor():
    assert repr(torch.tensor([2.1, 2.1])) == "tensor([2.1000, 2.1000])"
    assert repr(torch.tensor(7)) == "tensor(7)"
    assert repr(torch.tensor([1.5], requires_grad=True)) == "tensor([1.5000], requires_grad=True)"
    x = torch.tensor([1.0, 3.0], requires_grad=True)
    assert repr(x.mean()) == "tensor(2., grad_fn=<MeanBackward0>)"
    assert str(x * 2) == "tensor([2., 6.], grad_fn=<MulBackward0>)"
    assert repr(torch.tensor([1, 2], dtype=torch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(torch.zeros(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])"
    assert repr(torch.tensor([])) == "tensor([])"


# ------------------------------------------------------------------------------- copying and pickling --
def test_deepcopy_of_a_leaf():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = torch.tensor([3.0, 4.0])
    y = copy.deepcopy(x)
    assert y is not x
    assert y.requires_grad and y.is_leaf
    assert y.tolist() == [1.0, 2.0]
    assert y.grad.tolist() == [3.0, 4.0]
    y.data.add_(1)
    assert x.tolist() == [1.0, 2.0]  # own memory


def test_deepcopy_keeps_shared_references_once():
    x = torch.tensor([1.0])
    a, b = copy.deepcopy([x, x])
    assert a is b


def test_deepcopy_of_a_non_leaf_raises():
    x = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user \\(graph leaves\\) "
                                           "support the deepcopy protocol at the moment."):
        copy.deepcopy(x * 2)


def test_pickling_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="not picklable by design; use engine.save"):
        pickle.dumps(torch.tensor([1.0]))


# ----------------------------------------------------------------------------- legacy constructors ---
def test_legacy_tensor_constructor():
    t = torch.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype is torch.float32
    t = torch.Tensor([1, 2])
    assert t.dtype is torch.float32 and t.tolist() == [1.0, 2.0]
    assert repr(torch.Tensor([1, 2])) == "tensor([1., 2.])"
    assert torch.Tensor((1, 2)).tolist() == [1.0, 2.0]
    assert torch.Tensor(np.array([1, 2])).dtype is torch.float32
    assert torch.Tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert torch.Tensor(3).shape == (3,)
    assert torch.Tensor(torch.Size([2, 3])).shape == (2, 3)
    empty = torch.Tensor()
    assert empty.shape == (0,) and repr(empty) == "tensor([])"
    with pytest.raises(TypeError, match="new\\(\\): data must be a sequence \\(got float\\)"):
        torch.Tensor(2.5)


def test_legacy_constructor_of_a_tensor_keeps_its_dtype():
    src = torch.tensor([1, 2])
    t = torch.Tensor(src)
    assert t.dtype is torch.int64 and t.tolist() == [1, 2]


def test_isinstance_and_is_tensor():
    t = torch.tensor([1.0])
    assert isinstance(t, torch.Tensor)
    assert torch.is_tensor(t)
    assert not torch.is_tensor([1.0])


def test_non_leaf_grad_warning_only_when_grad_is_missing():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor"):
        assert y.grad is None
    (y * y).sum().backward(inputs=[y])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad.tolist() == [4.0, 8.0]
    assert x.grad is None
