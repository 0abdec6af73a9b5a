"""Tensor: an array (numpy on CPU, cupy on CUDA) plus autograd metadata. Operators live in engine/ops."""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtype as dt
from ._tensor_support import (  # noqa: F401 - Size is re-exported from here
    _CPP_TYPE_NAMES,
    _LEGACY_NAMES,
    _SCALAR_TYPE_NAMES,
    _ZERO,
    DEEPCOPY_NON_LEAF,
    GRAD_DTYPE_HINT,
    NON_LEAF_GRAD_WARNING,
    Size,
    _VersionCounter,
)
from .autograd.grad_mode import STATE
from .backend import CPU, canonical_device, device_of_array, move_array, to_numpy


class Tensor:
    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_output_nr", "_version", "_base", "_hooks",
                 "_acc", "_retains_grad", "__dict__", "__weakref__")

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        if cls is not Tensor and not args and not kwargs:
            _init_fields(self, np.empty((0,), dt.get_default_dtype().np))
            return self
        device = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"new() received an invalid combination of arguments - got unexpected keyword "
                            f"arguments {sorted(kwargs)}")
        if not args:
            array = np.empty((0,), dtype=np.float32)
        elif len(args) == 1 and not isinstance(args[0], (int, Size)):
            data = args[0]
            if isinstance(data, Tensor):
                array = data._data
            elif isinstance(data, (list, tuple, np.ndarray)):
                array = np.asarray(_plain(data), dtype=np.float32)
            else:
                raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        else:
            sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in sizes):
                raise TypeError(f"new(): argument 'size' must be tuple of ints, but found element of type "
                                f"{next(type(a).__name__ for a in sizes if not isinstance(a, int))}")
            array = np.empty(sizes, dtype=np.float32)
        _init_fields(self, move_array(array, canonical_device(device)) if device is not None else array)
        return self

    def __init__(self, *args, **kwargs) -> None:  # construction happens in __new__
        pass

    @classmethod
    def _make(cls, data) -> Tensor:
        t = object.__new__(Tensor)
        t._data = data
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._output_nr = 0
        t._version = _VersionCounter(_ZERO)
        t._base = None
        t._hooks = None
        t._acc = None
        t._retains_grad = False
        return t

    # ---------------------------------------------------------------------------- basic attributes ----
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> dt.dtype:
        return dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return device_of_array(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def layout(self) -> str:
        return "torch.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def get_device(self) -> int:
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index

    def stride(self, dim: int | None = None):
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        base = self._data
        while getattr(base, "base", None) is not None and hasattr(base.base, "__array_interface__"):
            base = base.base
        if base is self._data:
            return 0
        start = self._data.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return start // self._data.itemsize

    def data_ptr(self) -> int:
        data = self._data
        return data.__array_interface__["data"][0] if isinstance(data, np.ndarray) else int(data.data.ptr)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def _type_name(self) -> str:
        prefix = "torch.cuda." if self.is_cuda else "torch."
        return prefix + _LEGACY_NAMES[self._data.dtype.name]

    def type(self, dtype=None):
        if dtype is None:
            return self._type_name()
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            matches = [k for k, v in _LEGACY_NAMES.items() if v == name]
            if not matches:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = getattr(dt, matches[0])
        return self.to(dtype)

    # --------------------------------------------------------------------------------- autograd -------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._grad_fn is None and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of "
                    f"size '{list(self._data.shape)}'. Please ensure that the gradient and the tensor are "
                    "the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_TYPE_NAMES[value._data.dtype.name]}' "
                    f"to a tensor with grad_dtype '{_SCALAR_TYPE_NAMES[self._data.dtype.name]}'. "
                    + GRAD_DTYPE_HINT
                )
        self._grad = value

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def _version_count(self) -> int:
        return self._version[0]

    def _accumulator(self):
        # Held strongly (a leaf <-> sink cycle the GC collects): recreating it per op costs microseconds.
        acc = self._acc
        if acc is None:
            from .autograd.graph import AccumulateGrad

            acc = self._acc = AccumulateGrad(self)
        return acc

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        node = self._grad_fn
        if node._retained is None:
            node._retained = []
        node._retained.append((self._output_nr, weakref.ref(self)))
        self._retains_grad = True

    def register_hook(self, hook):
        from .utils.hooks import RemovableHandle

        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            handle = RemovableHandle(self._hooks)
            self._hooks[handle.id] = hook
            return handle
        node = self._grad_fn
        if node._pre_hooks is None:
            node._pre_hooks = {}
        handle = RemovableHandle(node._pre_hooks)
        node._pre_hooks[handle.id] = (self._output_nr, hook)
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        from .autograd import backward as _backward

        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        t = Tensor._make(self._data)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    def _alias(self) -> Tensor:
        """Same data and version counter, no autograd history (used for saved outputs)."""
        t = Tensor._make(self._data)
        t._version = self._version
        return t

    def _fresh_copy(self) -> Tensor:
        """A detached tensor with its own memory (gradients stored in .grad must not alias)."""
        return Tensor._make(self._data.copy())

    @property
    def data(self) -> Tensor:
        """Same memory, no history and its OWN version counter: changes through .data are not tracked."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        old = self._data
        self._data = value._data
        if self._acc is not None and (old.shape != value._data.shape or old.dtype != value._data.dtype):
            self._acc = None  # the gradient sink records the shape/dtype gradients are reduced to

    # ---------------------------------------------------------------------------- conversions --------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return to_numpy(self._data).reshape(()).item()

    def tolist(self):
        return to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._data.__class__ is not np.ndarray:
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the "
                    "tensor to host memory first."
                )
            return to_numpy(self._data)
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            self.numpy()  # raises PyTorch's error
        array = to_numpy(self._data)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __dlpack__(self, stream=None, **kwargs):
        return self._data.__dlpack__(**({"stream": stream} if stream is not None else {}))

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            which = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {which} is ambiguous")
        return bool(self.item())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        from .printing import tensor_repr

        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError(DEEPCOPY_NON_LEAF)
        if id(self) in memo:
            return memo[id(self)]
        new = object.__new__(type(self))
        _init_fields(new, self._data.copy())
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        for key, value in getattr(self, "__dict__", {}).items():
            import copy

            new.__dict__[key] = copy.deepcopy(value, memo)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        raise TypeError("engine tensors are not picklable by design; use engine.save (safetensors + JSON)")

    # ------------------------------------------------------------------------------- device / dtype ---
    def to(self, *args, **kwargs) -> Tensor:
        dtype, device, copy = _parse_to_args(args, kwargs)
        result = self
        if dtype is not None and dtype.np != self._data.dtype:
            result = result._cast(dtype)
        if device is not None:
            device = canonical_device(device)
            if device != result.device:
                result = result._move(device)
        if copy and result is self:
            result = self.clone()
        return result

    def cpu(self) -> Tensor:
        return self.to(CPU)

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        if isinstance(device, int):
            device = f"cuda:{device}"
        return self.to("cuda" if device is None else device)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def pin_memory(self) -> Tensor:
        return self

    def is_pinned(self) -> bool:
        return False

    def share_memory_(self) -> Tensor:
        return self

    def is_shared(self) -> bool:
        return False


def _cast_method(name: str, target: dt.dtype):
    def cast(self: Tensor, memory_format=None) -> Tensor:
        return self.to(target)

    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"self.to({target})"
    return cast


for _name, _target in (("float", dt.float32), ("double", dt.float64), ("half", dt.float16),
                       ("long", dt.int64), ("int", dt.int32), ("short", dt.int16), ("char", dt.int8),
                       ("byte", dt.uint8), ("bool", dt.bool), ("cfloat", dt.complex64),
                       ("cdouble", dt.complex128)):
    setattr(Tensor, _name, _cast_method(_name, _target))


def _init_fields(t: Tensor, data) -> None:
    t._data = data
    t._requires_grad = False
    t._grad = None
    t._grad_fn = None
    t._output_nr = 0
    t._version = _VersionCounter(_ZERO)
    t._base = None
    t._hooks = None
    t._acc = None
    t._retains_grad = False


def _plain(data):
    """Nested lists/tuples possibly holding tensors -> plain Python/numpy values."""
    if isinstance(data, Tensor):
        return to_numpy(data._data)
    if isinstance(data, (list, tuple)):
        return [_plain(x) for x in data]
    return data


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def _parse_to_args(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, dt.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, bool):
            copy = arg
        elif arg is not None:
            device = arg
    if dtype is not None:
        dtype = dt.to_dtype(dtype)
    return dtype, device, copy


def grad_needed(*tensors) -> bool:
    """True when an op on these tensors must record a backward node."""
    if not STATE.enabled:
        return False
    for t in tensors:  # noqa: SIM110 - a plain loop is faster than any() on this hot path
        if t._requires_grad:
            return True
    return False
