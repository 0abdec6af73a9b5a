"""The node editor: GraphScene mirrors the document's graph, GraphView shows and drives it."""

from .scene import GraphScene
from .view import GraphView

__all__ = ["GraphScene", "GraphView"]
