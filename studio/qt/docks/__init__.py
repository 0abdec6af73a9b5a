"""The editor's docks: the layer palette, the node properties form and the live code view."""

from .code_view import CodeDock, PythonHighlighter
from .palette import MIME_TYPE, PaletteDock, layer_mime_data
from .properties import PropertiesDock

__all__ = ["MIME_TYPE", "CodeDock", "PaletteDock", "PropertiesDock", "PythonHighlighter", "layer_mime_data"]
