"""nn layers: loss (being written)."""

__all__: list[str] = []
