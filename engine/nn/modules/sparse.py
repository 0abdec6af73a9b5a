"""nn layers: sparse (being written)."""

__all__: list[str] = []
