"""nn layers: padding (being written)."""

__all__: list[str] = []
