"""nn layers: normalization (being written)."""

__all__: list[str] = []
