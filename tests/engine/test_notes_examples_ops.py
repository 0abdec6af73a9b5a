"""Third part of the tensor examples of the study notes, run verbatim with `torch` bound to the engine
against outputs recorded from PyTorch 2.13; test_notes_examples.py says how and why."""


import pytest

from engine.testing import run_snippet, torch_is_engine

NOTES = {
    # 004 torch.var/mean
    'var': (
        """
a = torch.tensor([[-0.3567,  1.7385, -1.3042,  0.7423],
        [ 1.3436, -0.1015, -0.9834, -0.8438],
        [ 0.6056,  0.1089, -0.3112, -1.4085],
        [-0.7700,  0.6074, -0.1469,  0.7777]])
""",
        None,
        {
            'torch.var(a, 1)':
                'tensor([1.7445, 1.1364, 0.7356, 0.5111])',
            'torch.mean(a, 1)':
                'tensor([ 0.2050, -0.1463, -0.2513,  0.1171])',
        },
    ),
    # 004 torch.norm
    'norm': (
        """
a = torch.arange(9, dtype=torch.float) - 4
b = a.reshape(3,3)
c = torch.tensor([[1,2,3],[-1,1,4]], dtype=torch.float)
""",
        None,
        {
            'a':
                'tensor([-4., -3., -2., -1.,  0.,  1.,  2.,  3.,  4.])',
            'b':
                ('tensor([[-4., -3., -2.],\n'
                 '        [-1.,  0.,  1.],\n'
                 '        [ 2.,  3.,  4.]])'),
            'torch.norm(a)':
                'tensor(7.7460)',
            'torch.norm(b)':
                'tensor(7.7460)',
            "torch.norm(a, float('inf'))":
                'tensor(4.)',
            "torch.norm(b, float('inf'))":
                'tensor(4.)',
            'c':
                ('tensor([[ 1.,  2.,  3.],\n'
                 '        [-1.,  1.,  4.]])'),
            'torch.norm(c, dim=0)':
                'tensor([1.4142, 2.2361, 5.0000])',
            'torch.norm(c, dim=0).size()':
                'torch.Size([3])',
            'torch.norm(c, dim=1)':
                'tensor([3.7417, 4.2426])',
            'torch.norm(c, p=1, dim=1)':
                'tensor([6., 6.])',
        },
    ),
    # 004 torch.mul
    'mul_broadcast': (
        """
a = torch.tensor([[ 1.1207],
        [-0.3137],
        [ 0.0700],
        [ 0.8378]])
b = torch.tensor([[ 0.5146,  0.1216, -0.5244,  2.2382]])
""",
        None,
        {
            'torch.mul(a, b)':
                ('tensor([[ 0.5767,  0.1363, -0.5877,  2.5084],\n'
                 '        [-0.1614, -0.0381,  0.1645, -0.7021],\n'
                 '        [ 0.0360,  0.0085, -0.0367,  0.1567],\n'
                 '        [ 0.4311,  0.1019, -0.4393,  1.8752]])'),
        },
    ),
    # 004 torch.flip
    'flip': (
        """
x = torch.arange(8).view(2, 2, 2)
""",
        None,
        {
            'x':
                ('tensor([[[0, 1],\n'
                 '         [2, 3]],\n'
                 '\n'
                 '        [[4, 5],\n'
                 '         [6, 7]]])'),
            'torch.flip(x, [0, 1])':
                ('tensor([[[6, 7],\n'
                 '         [4, 5]],\n'
                 '\n'
                 '        [[2, 3],\n'
                 '         [0, 1]]])'),
        },
    ),
    # 004 torch.t
    't': (
        """
x = torch.tensor(0.1995)
x1 = torch.tensor([ 2.4320, -0.4608,  0.7702])
x2 = torch.tensor([[ 0.4875,  0.9158, -0.5872],
        [ 0.3938, -0.6929,  0.6932]])
""",
        None,
        {
            'torch.t(x)':
                'tensor(0.1995)',
            'torch.t(x1)':
                'tensor([ 2.4320, -0.4608,  0.7702])',
            'torch.t(x2)':
                ('tensor([[ 0.4875,  0.3938],\n'
                 '        [ 0.9158, -0.6929],\n'
                 '        [-0.5872,  0.6932]])'),
        },
    ),
    # 004 torch.nonzero
    'nonzero': (
        """""",
        None,
        {
            'torch.nonzero(torch.tensor([1, 1, 1, 0, 1]))':
                ('tensor([[0],\n'
                 '        [1],\n'
                 '        [2],\n'
                 '        [4]])'),
            ('torch.nonzero(torch.tensor([[0.6, 0.0, 0.0, 0.0],\n'
             '                                [0.0, 0.4, 0.0, 0.0],\n'
             '                                [0.0, 0.0, 1.2, 0.0],\n'
             '                                [0.0, 0.0, 0.0,-0.4]]))'):
                ('tensor([[0, 0],\n'
                 '        [1, 1],\n'
                 '        [2, 2],\n'
                 '        [3, 3]])'),
            'torch.nonzero(torch.tensor([1, 1, 1, 0, 1]), as_tuple=True)':
                '(tensor([0, 1, 2, 4]),)',
            ('torch.nonzero(torch.tensor([[0.6, 0.0, 0.0, 0.0],\n'
             '                                [0.0, 0.4, 0.0, 0.0],\n'
             '                                [0.0, 0.0, 1.2, 0.0],\n'
             '                                [0.0, 0.0, 0.0,-0.4]]), as_tuple=True)'):
                '(tensor([0, 1, 2, 3]), tensor([0, 1, 2, 3]))',
            'torch.nonzero(torch.tensor(5), as_tuple=True)':
                '(tensor([0]),)',
        },
    ),
    # 004 argsort/topk/sort
    'argsort': (
        """
a = torch.tensor([[ 0.0785,  1.5267, -0.8521,  0.4065],
        [ 0.1598,  0.0788, -0.0745, -1.2700],
        [ 1.2208,  1.0722, -0.7064,  1.2564],
        [ 0.0669, -0.2318, -0.8229, -0.9280]])
""",
        None,
        {
            'torch.argsort(a, dim=1)':
                ('tensor([[2, 0, 3, 1],\n'
                 '        [3, 2, 1, 0],\n'
                 '        [2, 1, 0, 3],\n'
                 '        [3, 2, 1, 0]])'),
            'torch.topk(a, 2)':
                ('torch.return_types.topk(\n'
                 'values=tensor([[ 1.5267,  0.4065],\n'
                 '        [ 0.1598,  0.0788],\n'
                 '        [ 1.2564,  1.2208],\n'
                 '        [ 0.0669, -0.2318]]),\n'
                 'indices=tensor([[1, 3],\n'
                 '        [0, 1],\n'
                 '        [3, 0],\n'
                 '        [0, 1]]))'),
            'torch.sort(a, dim=0).indices':
                ('tensor([[3, 3, 0, 1],\n'
                 '        [0, 1, 3, 3],\n'
                 '        [1, 2, 2, 0],\n'
                 '        [2, 0, 1, 2]])'),
        },
    ),
    # 004 expand/expand_as (print statements made calls)
    'expand': (
        """
x = torch.Tensor([[1], [2], [3]])
y=x.expand( 3,4 )
""",
        None,
        {
            'x.size()':
                'torch.Size([3, 1])',
            'y.size()':
                'torch.Size([3, 4])',
            'x':
                ('tensor([[1.],\n'
                 '        [2.],\n'
                 '        [3.]])'),
            'y':
                ('tensor([[1., 1., 1., 1.],\n'
                 '        [2., 2., 2., 2.],\n'
                 '        [3., 3., 3., 3.]])'),
            'x.expand(-1, 2)':
                ('tensor([[1., 1.],\n'
                 '        [2., 2.],\n'
                 '        [3., 3.]])'),
            'x.expand_as(torch.zeros(2, 3, 5))':
                ('tensor([[[1., 1., 1., 1., 1.],\n'
                 '         [2., 2., 2., 2., 2.],\n'
                 '         [3., 3., 3., 3., 3.]],\n'
                 '\n'
                 '        [[1., 1., 1., 1., 1.],\n'
                 '         [2., 2., 2., 2., 2.],\n'
                 '         [3., 3., 3., 3., 3.]]])'),
        },
    ),
    # 004 repeat
    'repeat': (
        """
x = torch.tensor([1, 2, 3])
print(x.repeat(4, 2,1).size())
r = x.repeat(4, 2, 1)
""",
        'torch.Size([4, 2, 3])\n',
        {
            'x.repeat(4, 2,1).size()':
                'torch.Size([4, 2, 3])',
            'r':
                ('tensor([[[1, 2, 3],\n'
                 '         [1, 2, 3]],\n'
                 '\n'
                 '        [[1, 2, 3],\n'
                 '         [1, 2, 3]],\n'
                 '\n'
                 '        [[1, 2, 3],\n'
                 '         [1, 2, 3]],\n'
                 '\n'
                 '        [[1, 2, 3],\n'
                 '         [1, 2, 3]]])'),
        },
    ),
    # 004 torch.tril
    'tril': (
        """
a = torch.tensor([[-1.0813, -0.8619,  0.7105],
        [ 0.0935,  0.1380,  2.2112],
        [-0.3409, -0.9828,  0.0289]])
b = torch.tensor([[ 1.2219,  0.5653, -0.2521, -0.2345,  1.2544,  0.3461],
        [ 0.4785, -0.4477,  0.6049,  0.6368,  0.8775,  0.7145],
        [ 1.1502,  3.2716, -1.1243, -0.5413,  0.3615,  0.6864],
        [-0.0614, -0.7344, -1.3164, -0.7648, -1.4024,  0.0978]])
""",
        None,
        {
            'torch.tril(a)':
                ('tensor([[-1.0813,  0.0000,  0.0000],\n'
                 '        [ 0.0935,  0.1380,  0.0000],\n'
                 '        [-0.3409, -0.9828,  0.0289]])'),
            'torch.tril(b, diagonal=1)':
                ('tensor([[ 1.2219,  0.5653,  0.0000,  0.0000,  0.0000,  0.0000],\n'
                 '        [ 0.4785, -0.4477,  0.6049,  0.0000,  0.0000,  0.0000],\n'
                 '        [ 1.1502,  3.2716, -1.1243, -0.5413,  0.0000,  0.0000],\n'
                 '        [-0.0614, -0.7344, -1.3164, -0.7648, -1.4024,  0.0000]])'),
            'torch.tril(b, diagonal=-1)':
                ('tensor([[ 0.0000,  0.0000,  0.0000,  0.0000,  0.0000,  0.0000],\n'
                 '        [ 0.4785,  0.0000,  0.0000,  0.0000,  0.0000,  0.0000],\n'
                 '        [ 1.1502,  3.2716,  0.0000,  0.0000,  0.0000,  0.0000],\n'
                 '        [-0.0614, -0.7344, -1.3164,  0.0000,  0.0000,  0.0000]])'),
        },
    ),
}


@pytest.mark.parametrize("name", list(NOTES))
def test_notes_example(name):
    code, expected_stdout, expected = NOTES[name]
    ns, stdout = run_snippet(code)
    if expected_stdout is not None:
        assert stdout == expected_stdout
    with torch_is_engine():
        for expr, want in expected.items():
            assert repr(eval(expr, ns)) == want, expr  # noqa: S307
