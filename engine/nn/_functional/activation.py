"""nn.functional: activation (being written)."""

__all__: list[str] = []
