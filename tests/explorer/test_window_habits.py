"""What a new user expects of the window: a first-run hint that goes when closed (and stays
gone), View menu entries that hide and show the docks, and the window's geometry, dock sizes
and last tab kept between starts."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_the_first_run_hint_shows_once_and_is_dismissible(qtbot, window, make_window):
    hint = window.hint
    assert (
        hint.isVisible() and "Train" in hint.label.text() and "drag the point" in hint.label.text()
    )
    tabs = window.tabs.geometry()
    assert window.centralWidget().rect().contains(hint.geometry())
    assert window.tabs.geometry() == tabs  # it floats: nothing moved
    window.tabs.show_panel("features")  # it speaks of the map: other tabs go without it
    assert not hint.isVisible()
    window.tabs.show_panel("latent")
    assert hint.isVisible()
    qtbot.mouseClick(hint.close_button, Qt.LeftButton)
    assert not hint.isVisible()
    window.close()
    assert not make_window().hint.isVisible()  # not shown again


def test_training_dismisses_the_hint(qtbot, window, choose):
    choose(window, epochs=1)
    assert window.hint.isVisible() and window.start_training()
    assert not window.hint.isVisible()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=60_000)
    assert window.settings.was_hint_seen()


def test_view_menu_hides_and_shows_the_docks(qtbot, window):
    view = next(m for m in window.menuBar().findChildren(type(window.recent.menu))
                if m.title() == "&View")  # fmt: skip
    actions = [a for a in view.actions() if not a.isSeparator()]
    assert [a.text() for a in actions[:3]] == ["Training", "Loss curves", "Runs"]
    for action, dock in zip(actions, window.docks):
        assert action.isEnabled() and action.isChecked()
        action.trigger()
        assert not dock.isVisible() and not action.isChecked()
        action.trigger()
        dock.raise_()  # the Runs dock shares a tab with Training
        qtbot.waitUntil(dock.isVisible)


def test_geometry_docks_and_tab_come_back(qtbot, window, make_window):
    window.resize(780, 640)  # inside the 800 x 800 offscreen screen
    window.resizeDocks([window.docks[0]], [340], Qt.Horizontal)
    window.resizeDocks([window.docks[1]], [260], Qt.Vertical)
    window.tabs.show_panel("clusters")
    qtbot.waitUntil(lambda: window.docks[0].width() == 340 and window.docks[1].height() == 260)
    size = window.size()
    window.close()
    again = make_window()
    qtbot.waitUntil(lambda: again.docks[0].width() == 340)
    assert again.size() == size and again.docks[1].height() == 260
    assert again.tabs.current_name() == "clusters"
