"""Light and dark palettes on the Fusion style (the same look on every platform)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("light", "dark")
DEFAULT_THEME = "light"

_DARK = {
    QPalette.ColorRole.Window: "#2b2d30",
    QPalette.ColorRole.WindowText: "#dfe1e5",
    QPalette.ColorRole.Base: "#1e1f22",
    QPalette.ColorRole.AlternateBase: "#2b2d30",
    QPalette.ColorRole.ToolTipBase: "#3c3f41",
    QPalette.ColorRole.ToolTipText: "#dfe1e5",
    QPalette.ColorRole.PlaceholderText: "#8c8f94",
    QPalette.ColorRole.Text: "#dfe1e5",
    QPalette.ColorRole.Button: "#393b40",
    QPalette.ColorRole.ButtonText: "#dfe1e5",
    QPalette.ColorRole.BrightText: "#ff6b68",
    QPalette.ColorRole.Link: "#589df6",
    QPalette.ColorRole.Highlight: "#2f65ca",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Light: "#4a4d52",
    QPalette.ColorRole.Midlight: "#404247",
    QPalette.ColorRole.Mid: "#333539",
    QPalette.ColorRole.Dark: "#1b1c1f",
    QPalette.ColorRole.Shadow: "#101113",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#7a7d82",
    QPalette.ColorRole.Text: "#7a7d82",
    QPalette.ColorRole.ButtonText: "#7a7d82",
    QPalette.ColorRole.HighlightedText: "#9a9da2",
}


def palette(name: str) -> QPalette:
    """The palette of theme `name` ("light" or "dark")."""
    style = QStyleFactory.create("Fusion")
    base = style.standardPalette() if style is not None else QPalette()
    if name != "dark":
        return base
    pal = QPalette(base)
    for role, color in _DARK.items():
        pal.setColor(role, QColor(color))
    for role, color in _DARK_DISABLED.items():
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(color))
    return pal


def apply_theme(name: str, app: QApplication | None = None) -> str:
    """Switch the application to theme `name` (unknown names fall back to light); returns the name used."""
    name = name if name in THEMES else DEFAULT_THEME
    app = app or QApplication.instance()
    if app is None:
        return name
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(palette(name))
    app.setProperty("studioTheme", name)
    return name


def current_theme(app: QApplication | None = None) -> str:
    app = app or QApplication.instance()
    value = app.property("studioTheme") if app is not None else None
    return value if value in THEMES else DEFAULT_THEME
