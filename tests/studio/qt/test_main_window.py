"""The main window: menus, actions and shortcuts, the title's "*", undo/redo named after the edit, the
status bar, the templates gallery, and layout/geometry/theme kept across windows."""

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar

from studio.qt.start_page import StartPage
from studio.qt.status import si
from studio.qt.theme import current_theme
from studio.templates import list_templates

MENUS = {
    "menuFile": ["actionNew", "actionNewFromTemplate", "actionOpen", "actionSave", "actionSaveAs",
                 "actionQuit"],
    "menuOpenRecent": [],
    "menuExport": ["actionExportEngine", "actionExportTorch", "actionExportDdp", "actionExportWeights"],
    "menuEdit": ["actionUndo", "actionRedo", "actionCut", "actionCopy", "actionPaste", "actionDelete",
                 "actionSelectAll", "actionGroup", "actionUngroup"],
    "menuView": ["actionShowPaletteDock", "actionShowPropertiesDock", "actionShowCodeDock", "actionZoomIn",
                 "actionZoomOut", "actionFit", "actionAutoLayout", "actionThemeLight", "actionThemeDark"],
    "menuRun": ["actionTrain", "actionPause", "actionStop"],
    "menuHelp": ["actionShortcuts", "actionAbout"],
}


def _palette_double_click(qtbot, window, key):
    """Add a layer the way a user does: double-click it in the palette."""
    tree = window.palette_dock.tree
    item = window.palette_dock.item(key)
    tree.scrollToItem(item)
    center = tree.visualItemRect(item).center()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=center)  # the press a double-click needs
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=center)


def test_every_menu_action_and_dock_is_there_with_a_shortcut(make_window):
    window = make_window("mlp")
    for menu_name, action_names in MENUS.items():
        menu = window.findChild(QMenu, menu_name)
        assert menu is not None, menu_name
        listed = [a.objectName() for a in menu.actions()]
        for name in action_names:
            action = window.findChild(QAction, name)
            assert action is not None and name in listed, (menu_name, name)
            assert not action.shortcut().isEmpty(), f"{name} has no shortcut"
    shortcuts = [window.named_actions[n].shortcut().toString() for names in MENUS.values() for n in names]
    assert len(shortcuts) == len(set(shortcuts)), "two actions share a shortcut"
    assert window.named_actions["actionSave"].shortcut().toString() == "Ctrl+S"
    assert window.named_actions["actionUndo"].shortcut().toString() == "Ctrl+Z"
    for dock in ("paletteDock", "propertiesDock", "codeDock"):
        assert window.findChild(QDockWidget, dock) is not None
    toolbar = window.findChild(QToolBar, "mainToolBar")
    assert {"actionSave", "actionUndo", "actionTrain"} <= {a.objectName() for a in toolbar.actions()}


def test_the_title_shows_a_star_after_an_edit_and_not_after_saving(make_window, answers, qtbot, tmp_path):
    window = make_window("mlp")
    assert window.windowTitle() == "MLP on Digits — Model Studio"
    _palette_double_click(qtbot, window, "Conv2d")
    assert window.document.undo_stack.count() == 1
    assert window.windowTitle() == "MLP on Digits* — Model Studio"
    answers.save_paths.append(str(tmp_path / "mine"))  # the suffix is added
    window.named_actions["actionSave"].trigger()  # no file yet: Save asks where, as Save As
    assert (tmp_path / "mine.msproj").is_file()
    assert window.windowTitle() == "mine.msproj — Model Studio"


def test_undo_and_redo_are_named_after_the_edit(make_window, qtbot):
    window = make_window("mlp")
    undo, redo = window.named_actions["actionUndo"], window.named_actions["actionRedo"]
    assert not undo.isEnabled() and not redo.isEnabled()
    before = set(window.document.graph.nodes)
    _palette_double_click(qtbot, window, "Conv2d")
    added = set(window.document.graph.nodes) - before
    assert len(added) == 1
    assert undo.text() == "Undo Add Conv2d" and undo.isEnabled()
    undo.trigger()
    assert set(window.document.graph.nodes) == before
    assert redo.text() == "Redo Add Conv2d" and not undo.isEnabled()
    assert window.windowTitle() == "MLP on Digits — Model Studio"  # back at the clean state
    redo.trigger()
    assert set(window.document.graph.nodes) - before == added


def test_ctrl_z_on_the_canvas_undoes(make_window, qtbot):
    window = make_window("mlp")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    before = set(window.document.graph.nodes)
    _palette_double_click(qtbot, window, "ReLU")
    assert set(window.document.graph.nodes) != before
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert set(window.document.graph.nodes) == before


def test_the_status_bar_shows_the_model_totals(make_window, qtbot):
    window = make_window("lenet5")
    totals = window.document.inference.totals()
    assert totals.params > 0 and totals.errors == 0
    status = window.status
    assert status.params.text() == f"Params: {totals.params:,}"
    assert status.flops.text() == f"FLOPs: {si(totals.flops)}"
    assert f"{totals.flops:,}" in status.flops.toolTip()
    assert status.errors.text() == "0 errors"
    assert status.device.text() in ("Device: CPU",) or status.device.text().startswith("Device: GPU")
    _palette_double_click(qtbot, window, "Conv2d")  # unconnected: its input is missing
    totals = window.document.inference.totals()
    assert status.params.text() == f"Params: {totals.params:,}"
    assert status.errors.text() == f"{totals.errors} error{'s' if totals.errors != 1 else ''}"


def test_the_start_page_lists_the_templates_and_opening_one_replaces_the_document(make_window, answers,
                                                                                  qtbot):
    templates = list_templates()
    page = StartPage()
    qtbot.addWidget(page)
    page.show()
    texts = [page.list.item(i).text() for i in range(page.list.count())]
    assert [t.split("\n")[0] for t in texts] == [t.title for t in templates]
    assert all(t.description in text for t, text in zip(templates, texts))
    row = [t.name for t in templates].index("resnet_small")
    rect = page.list.visualItemRect(page.list.item(row))
    qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert page.choice == "resnet_small" and page.result() == StartPage.DialogCode.Accepted

    window = make_window("mlp")
    answers.templates.append(page.choice)
    window.named_actions["actionNewFromTemplate"].trigger()
    assert window.document.project.name == templates[row].title
    assert window.document.path is None and not window.document.is_modified()
    assert "resnet" in window.windowTitle().lower()


def test_new_empty_from_the_start_page(qtbot):
    page = StartPage()
    qtbot.addWidget(page)
    qtbot.mouseClick(page.empty_button, Qt.MouseButton.LeftButton)
    assert page.choice == ""


def test_layout_geometry_and_theme_persist_across_windows(make_window, qtbot):
    first = make_window("mlp")
    first.resize(700, 500)  # the offscreen screen is 800 x 600
    size = first.size()
    first.code_dock.hide()
    first.removeDockWidget(first.palette_dock)
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.palette_dock)
    first.palette_dock.show()
    first.named_actions["actionThemeDark"].trigger()
    assert current_theme() == "dark"
    first.close()
    assert QSettings().value("theme") == "dark"

    second = make_window("mlp")
    assert second.size() == size != QSize(1280, 800)  # not the first-start size
    assert second.code_dock.isHidden() and not second.palette_dock.isHidden()
    assert second.dockWidgetArea(second.palette_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert second.named_actions["actionThemeDark"].isChecked()
    second.named_actions["actionThemeLight"].trigger()
    assert current_theme() == "light"


def test_docks_toggle_from_the_view_menu(make_window):
    window = make_window("mlp")
    toggle = window.named_actions["actionShowCodeDock"]
    assert toggle.isChecked()
    toggle.trigger()
    assert window.code_dock.isHidden()
    toggle.trigger()
    assert not window.code_dock.isHidden()


def test_the_shortcuts_dialog_lists_every_shortcut(make_window):
    window = make_window("mlp")
    dialog = window.show_shortcuts()
    table = dialog.findChild(object, "shortcutsTable")
    keys = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert {"Ctrl+S", "Ctrl+Z", "F5"} <= keys
    dialog.close()


def test_train_runs_the_trainer_and_reports_in_the_status_bar(make_window, qtbot):
    from studio.templates import load_template

    project = load_template("mlp")
    project.settings.update(epochs=1, batch_size=256)
    window = make_window(project)
    messages = []
    window.runner.message.connect(messages.append)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000) as done:
        window.named_actions["actionTrain"].trigger()
        assert not window.named_actions["actionTrain"].isEnabled()
        assert window.named_actions["actionStop"].isEnabled()
    assert done.args[0].status == "finished" and done.args[0].epochs_done == 1
    assert any(m.startswith("Epoch 1: train loss") for m in messages)
    assert window.statusBar().currentMessage().startswith("Training finished")
    actions = window.named_actions
    assert actions["actionTrain"].isEnabled() and not actions["actionStop"].isEnabled()
    assert window.runner.last_state_dict


def _run_main(monkeypatch, argv):
    """app.main(argv) until its window is up; returns (exit code, the names of the projects it showed)."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.qt import app
    from studio.qt.main_window import MainWindow

    monkeypatch.setattr(app, "configure_application", lambda _app=None: None)  # keep the test's names
    # A local loop stands in for the application's: after QApplication.exit() the test process's event
    # loop stopped delivering signals queued from worker threads to later tests' docks.
    loop = QEventLoop()
    monkeypatch.setattr(QApplication, "exec", lambda _app: loop.exec())
    shown = []

    def close_windows():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                shown.append(widget.document.project.name)
                widget.close()
        loop.exit(0)

    QTimer.singleShot(50, close_windows)
    return app.main(argv), shown


def test_main_opens_lenet5_first_then_the_last_project(monkeypatch, tmp_path):
    from studio.templates import load_template

    lenet = load_template("lenet5").name
    assert _run_main(monkeypatch, []) == (0, [lenet])
    project = load_template("mlp")
    project.save(tmp_path / "mine.msproj")
    QSettings().setValue("lastProject", str(tmp_path / "mine.msproj"))
    assert _run_main(monkeypatch, []) == (0, [project.name])
    assert _run_main(monkeypatch, ["resnet_small"]) == (0, [load_template("resnet_small").name])


def test_main_refuses_a_project_that_does_not_exist(monkeypatch, tmp_path, capsys):
    from studio.qt import app

    monkeypatch.setattr(app, "configure_application", lambda _app=None: None)
    assert app.main([str(tmp_path / "missing.msproj")]) == 2
    assert "missing.msproj" in capsys.readouterr().err


def test_copy_paste_cut_and_delete_from_the_edit_menu(make_window):
    window = make_window("mlp")
    a, doc = window.named_actions, window.document
    assert not a["actionCopy"].isEnabled()  # nothing selected
    doc.set_selection(["fc1"])
    assert a["actionCopy"].isEnabled()
    a["actionCopy"].trigger()
    before = set(doc.graph.nodes)
    a["actionPaste"].trigger()
    pasted = set(doc.graph.nodes) - before
    assert len(pasted) == 1 and doc.graph.nodes[pasted.pop()].type == "Linear"
    assert a["actionUndo"].text() == "Undo Paste 1 node"
    doc.set_selection(["fc1"])
    a["actionCut"].trigger()
    assert "fc1" not in doc.graph.nodes
    a["actionPaste"].trigger()  # what was cut comes back (under a new id)
    assert len(doc.graph) == len(before) + 1
    doc.set_selection(["relu1"] if "relu1" in doc.graph.nodes else [next(iter(doc.graph.nodes))])
    count = len(doc.graph)
    a["actionDelete"].trigger()
    assert len(doc.graph) == count - 1


def test_group_and_ungroup_from_the_edit_menu(make_window):
    window = make_window("mlp")
    a, doc = window.named_actions, window.document
    a["actionSelectAll"].trigger()
    assert set(doc.selection()) == set(doc.graph.nodes)
    chain = [n for n in ("fc1", "relu1") if n in doc.graph.nodes]
    assert len(chain) == 2
    doc.set_selection(chain)
    a["actionGroup"].trigger()
    assert a["actionUndo"].text().startswith("Undo Group into block")
    assert not set(chain) & set(doc.graph.nodes)
    a["actionUndo"].trigger()
    assert set(chain) <= set(doc.graph.nodes)


def test_about_is_shown(make_window, answers):
    window = make_window("mlp")
    window.named_actions["actionAbout"].trigger()
    assert answers.asked == ["About Model Studio"]
