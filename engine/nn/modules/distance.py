"""nn layers: distance (being written)."""

__all__: list[str] = []
