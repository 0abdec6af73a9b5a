"""default_collate / default_convert: turn lists of samples into batches of tensors, recursively."""

from __future__ import annotations

import collections.abc
import copy
from typing import Any

import numpy as np

from ... import _dtype as dt
from ...ops.creation import as_tensor, tensor
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERR_COLLATE = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_ERR_CONVERT = "default_convert: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_STRING_KINDS = "SaUO"  # numpy dtype chars of string / object arrays, which cannot become tensors


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def default_convert(data: Any) -> Any:
    """numpy arrays and numpy scalars -> tensors, recursively through mappings and sequences."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.char in _STRING_KINDS:
            return data
        return as_tensor(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(converted)
            return clone
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        items = [default_convert(d) for d in data]
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, d in enumerate(items):
                clone[i] = d
            return clone
        try:
            return type(data)(items)
        except TypeError:
            return items
    return data


def _stack(batch) -> Tensor:
    first = batch[0]
    shape = first._data.shape
    for i, t in enumerate(batch):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry "
                               f"0 and {list(t._data.shape)} at entry {i}")
    fast = all(t._data.__class__ is np.ndarray and t._data.dtype == first._data.dtype
               and not t._requires_grad for t in batch)
    if fast:
        return Tensor._make(np.stack([t._data for t in batch]))
    from ...ops.joining import stack  # promotion, autograd and GPU arrays go through the real op

    return stack(batch, 0)


def default_collate(batch: list | tuple) -> Any:
    """Stack tensors / arrays / numbers of a batch into tensors; keep strings; recurse into containers."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.char in _STRING_KINDS:
            raise TypeError(_ERR_COLLATE.format(elem.dtype))
        return _stack([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.char in _STRING_KINDS:
            raise TypeError(_ERR_COLLATE.format(elem.dtype))
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=dt.float64)
    if isinstance(elem, int):  # bools included: they become a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, d in enumerate(transposed):
                clone[i] = d
            return clone
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError(_ERR_COLLATE.format(type(elem)))
