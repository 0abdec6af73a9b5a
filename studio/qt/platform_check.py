"""Before Qt starts on Linux: name the system packages its xcb platform plugin needs and cannot find.

Without them Qt aborts with "Could not load the Qt platform plugin 'xcb'", which does not say what to
install. The check is plain ctypes (no Qt), so it runs before QApplication exists.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

# shared library -> Debian/Ubuntu package that provides it (Qt 6.5+ xcb plugin and its dependencies)
XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def missing_packages(loads: Callable[[str], bool] = _loads) -> list[str]:
    """Packages whose libraries the xcb plugin needs but cannot load (empty where all are present)."""
    return [package for library, package in XCB_LIBRARIES.items() if not loads(library)]


def platform_problem(environ: dict[str, str] | None = None, platform: str | None = None,
                     loads: Callable[[str], bool] = _loads) -> str | None:
    """A message saying exactly what to install or set, or None when Qt should start."""
    environ = dict(os.environ) if environ is None else environ
    platform = sys.platform if platform is None else platform
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (chosen and not chosen.startswith("xcb")):
        return None  # other OSes, or offscreen/wayland/vnc chosen explicitly
    if not chosen and environ.get("WAYLAND_DISPLAY"):
        return None  # Qt picks the Wayland plugin
    if not environ.get("DISPLAY"):
        return ("no display: DISPLAY is not set (start the studio from a desktop session, or use "
                "QT_QPA_PLATFORM=offscreen for headless use)")
    missing = missing_packages(loads)
    if not missing:
        return None
    return ("Qt's xcb platform plugin needs system libraries that are missing. Install them with:\n"
            f"    sudo apt-get install {' '.join(missing)}\n"
            "(package names for Debian/Ubuntu; README.md lists them)")
