"""nn.init: weight initialisers (being written)."""
