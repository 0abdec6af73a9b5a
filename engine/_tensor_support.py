"""Pieces of the Tensor class kept apart to keep tensor.py small: Size, the version counter, messages."""

from __future__ import annotations

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't "
    "be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
    "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
    "mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
    "more informations. (Triggered internally at aten/src/ATen/core/TensorBody.h:489.)"
)
GRAD_DTYPE_HINT = (
    "The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
    "tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
    "caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that assume "
    "they match."
)
DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the "
    "moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
)
_LEGACY_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
    "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
    "bool": "BoolTensor", "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor",
}


class Size(tuple):
    """torch.Size: a tuple that prints as `torch.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple.__add__(tuple(other), self))


class _VersionCounter(list):
    """A tensor's version counter: a one-slot list shared by views (ops bump `[0]`), that reads like
    PyTorch's int `tensor._version` (compares, prints and converts as the current count)."""

    __slots__ = ()

    def __int__(self) -> int:
        return list.__getitem__(self, 0)

    __index__ = __int__

    def __eq__(self, other):
        if isinstance(other, list):
            return list.__eq__(self, other)
        return list.__getitem__(self, 0) == other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __lt__(self, other):
        return list.__getitem__(self, 0) < int(other)

    def __le__(self, other):
        return list.__getitem__(self, 0) <= int(other)

    def __gt__(self, other):
        return list.__getitem__(self, 0) > int(other)

    def __ge__(self, other):
        return list.__getitem__(self, 0) >= int(other)

    def __hash__(self) -> int:
        return hash(list.__getitem__(self, 0))

    def __add__(self, other):
        return list.__getitem__(self, 0) + other

    __radd__ = __add__

    def __sub__(self, other):
        return list.__getitem__(self, 0) - other

    def __repr__(self) -> str:
        return repr(list.__getitem__(self, 0))

    __str__ = __repr__


_ZERO = (0,)

_SCALAR_TYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}
_CPP_TYPE_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
    "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}
