"""Model Studio: a node editor for designing, training and understanding neural networks."""

__version__ = "0.1.0"
