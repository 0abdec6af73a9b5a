"""Layer families; importing this package registers them all."""

from . import core  # noqa: F401
