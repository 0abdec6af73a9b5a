import pytest

import engine as torch


def test_higher_order_gradients_of_cube():
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(x.pow(3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    assert g.tolist() == [6.75, 12.0]
    assert g2.tolist() == [9.0, 12.0]
    assert g3.tolist() == [6.0, 6.0]


def test_second_backward_without_retain_graph_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    s = (x * x).sum()
    s.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        s.backward()
