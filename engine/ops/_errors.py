"""PyTorch's error messages for shape problems shared by many ops."""

from __future__ import annotations


def broadcast_error(shape_a: tuple, shape_b: tuple) -> RuntimeError:
    """The RuntimeError torch raises when two shapes cannot broadcast (the first clash from the right).

    Returns the exception (the caller raises it), e.g. `raise broadcast_error(a.shape, b.shape) from None`.
    """
    ndim = max(len(shape_a), len(shape_b))
    for offset in range(1, ndim + 1):
        size_a = shape_a[-offset] if offset <= len(shape_a) else 1
        size_b = shape_b[-offset] if offset <= len(shape_b) else 1
        if size_a != size_b and size_a != 1 and size_b != 1:
            return RuntimeError(
                f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) at "
                f"non-singleton dimension {ndim - offset}"
            )
    return RuntimeError(f"shapes {list(shape_a)} and {list(shape_b)} cannot be broadcast together")


def broadcast_shapes(*shapes: tuple) -> tuple:
    """np.broadcast_shapes with torch's error message."""
    result: tuple = ()
    for shape in shapes:
        ndim = max(len(result), len(shape))
        out = []
        for offset in range(ndim, 0, -1):
            a = result[-offset] if offset <= len(result) else 1
            b = shape[-offset] if offset <= len(shape) else 1
            if a != b and a != 1 and b != 1:
                raise broadcast_error(result, shape)
            out.append(a if b == 1 else b)
        result = tuple(out)
    return result
