"""nn.functional: sampling (being written)."""

__all__: list[str] = []
