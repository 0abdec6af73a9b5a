"""nn layers: pooling (being written)."""

__all__: list[str] = []
