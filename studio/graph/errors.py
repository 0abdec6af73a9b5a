"""Typed, human-readable errors. Every edit the model refuses raises one of these; the canvas shows
`message` at `node_id`/`port`."""

from __future__ import annotations


class GraphError(Exception):
    """Base: a message a user understands, and where it happened."""

    def __init__(self, message: str, *, node_id: str | None = None, port: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node_id = node_id
        self.port = port


class UnknownNodeError(GraphError):
    pass


class UnknownPortError(GraphError):
    pass


class UnknownLayerError(GraphError):
    pass


class CycleError(GraphError):
    pass


class DuplicateLinkError(GraphError):
    pass


class PortOccupiedError(GraphError):
    pass


class IncompatibleShapesError(GraphError):
    pass


class ParamError(GraphError):
    """A parameter value outside its schema (wrong type, out of range, not a choice)."""


class ShapeError(GraphError):
    """Raised by a layer's shape rule: the inputs it receives cannot work with its parameters."""


class ProjectFormatError(GraphError):
    """A project file that cannot be loaded; `location` says where (a JSON path like nodes[3].params)."""

    def __init__(self, message: str, *, location: str | None = None, path: str | None = None) -> None:
        where = f" (at {location})" if location else ""
        super().__init__(f"{message}{where}")
        self.location = location
        self.path = path
