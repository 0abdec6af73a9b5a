"""Implementations behind engine.nn.functional, one module per family."""
