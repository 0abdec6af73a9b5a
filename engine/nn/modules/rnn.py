"""nn layers: rnn (being written)."""

__all__: list[str] = []
