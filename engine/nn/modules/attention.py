"""nn layers: attention (being written)."""

__all__: list[str] = []
