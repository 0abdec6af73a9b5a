"""Legacy top-level linear-algebra functions (torch.svd, torch.det, ...): thin wrappers over engine.linalg."""

from __future__ import annotations

from ..tensor import Tensor
from ._helpers import tensor_method

__all__ = ["svd", "det", "inverse", "cholesky", "qr", "pinverse", "matrix_power", "slogdet", "logdet"]


def _maybe_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    out._data = result._data
    out._version[0] += 1
    return out


@tensor_method("svd")
def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    from .. import linalg

    return linalg._legacy_svd(input, some, compute_uv)


@tensor_method("det")
def det(input: Tensor) -> Tensor:
    from .. import linalg

    return linalg.det(input)


@tensor_method("slogdet")
def slogdet(input: Tensor):
    from .. import linalg

    return linalg._slogdet(input, "slogdet")


@tensor_method("logdet")
def logdet(input: Tensor) -> Tensor:
    from .. import linalg

    return linalg._logdet(input)


@tensor_method("inverse")
def inverse(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    from .. import linalg

    return _maybe_out(linalg.inv(input), out)


@tensor_method("cholesky")
def cholesky(input: Tensor, upper: bool = False, *, out: Tensor | None = None) -> Tensor:
    import warnings

    from .. import linalg

    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
                  "future PyTorch release.", UserWarning, stacklevel=2)
    return _maybe_out(linalg._cholesky(input, upper, "CholeskyBackward0"), out)


@tensor_method("qr")
def qr(input: Tensor, some: bool = True):
    from .. import linalg

    return linalg._qr(input, "reduced" if some else "complete", "qr")


@tensor_method("pinverse")
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    from .. import linalg

    return linalg.pinv(input, rtol=rcond)


@tensor_method("matrix_power")
def matrix_power(input: Tensor, n: int) -> Tensor:
    from .. import linalg

    return linalg.matrix_power(input, n)
