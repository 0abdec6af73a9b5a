"""Everything that imports PySide6/pyqtgraph: the main window, the canvas and the docks."""
