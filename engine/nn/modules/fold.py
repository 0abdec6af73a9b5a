"""nn layers: fold (being written)."""

__all__: list[str] = []
