"""On a Linux desktop without Qt's xcb libraries, `make run` names the packages to install."""

from studio.qt.platform_check import XCB_LIBRARIES, missing_packages, platform_problem

DESKTOP = {"DISPLAY": ":0"}


def test_missing_libraries_are_named_by_their_packages():
    absent = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    message = platform_problem(DESKTOP, "linux", loads=lambda lib: lib not in absent)
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0" in message


def test_nothing_to_say_when_everything_loads_or_another_platform_is_chosen():
    assert platform_problem(DESKTOP, "linux", loads=lambda lib: True) is None
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", loads=lambda lib: False) is None
    assert platform_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", loads=lambda lib: False) is None
    assert platform_problem({}, "darwin", loads=lambda lib: False) is None


def test_no_display_is_explained():
    assert "DISPLAY is not set" in platform_problem({}, "linux", loads=lambda lib: True)


def test_every_library_has_a_package():
    assert missing_packages(lambda lib: False) == list(XCB_LIBRARIES.values())
