"""nn layers: flatten (being written)."""

__all__: list[str] = []
