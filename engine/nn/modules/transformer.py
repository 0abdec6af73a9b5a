"""nn layers: transformer (being written)."""

__all__: list[str] = []
