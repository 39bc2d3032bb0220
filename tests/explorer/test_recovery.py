"""Recovery: the last few unsaved models are kept with their age, a long run is autosaved off
the GUI thread, and the banner floats over the panels without moving them."""

from __future__ import annotations

import datetime
import os
import time

from PySide6.QtCore import Qt

from explorer.recovery_files import KEEP, age_text, recovery_files
from explorer.training.run import TRAINING
from trainer import checkpoint

LONG = 60_000


def test_age_is_said_as_a_person_says_it():
    now = datetime.datetime.now()
    assert age_text(20, now) == "just now"
    assert age_text(61, now) == "1 minute ago"
    assert age_text(12 * 60 + 5, now) == "12 minutes ago"
    assert age_text(3 * 3600, now) == "3 hours ago"
    yesterday = now - datetime.timedelta(days=1)
    assert age_text(86_400, yesterday) == f"yesterday at {yesterday:%H:%M}"
    old = datetime.datetime(2026, 1, 5, 10, 7)
    assert age_text(9e6, old) == "on 2026-01-05 at 10:07"


def test_the_last_few_unsaved_models_are_kept_newest_first(window, tiny_model, digits):
    written = []
    for _ in range(KEEP + 2):
        window.session.set_model(tiny_model("mlp", "ae", steps=0), digits)  # unsaved
        assert window.recovery.keep_unsaved()
        written.append(recovery_files()[0])
    files = recovery_files()
    assert files == written[::-1][:KEEP]  # the two oldest went
    assert not written[0].exists() and not written[1].exists()
    text = window.banner.label.text()
    assert "kept just now" in text and f"{KEEP - 1} older" in text
    menu = window.findChild(type(window.recent.menu), "recoverMenu")
    menu.aboutToShow.emit()
    labels = [a.text() for a in menu.actions()]
    assert len(labels) == KEEP and all("kept just now" in label for label in labels)
    window.recovery.restore(files[2])  # any of them, from the menu
    assert not files[2].exists() and window.session.dirty


def test_an_old_kept_model_says_when_it_was_made(window, make_window, tiny_model, digits):
    window.session.set_model(tiny_model("mlp", "ae", steps=0), digits)
    window.recovery.keep_unsaved()
    path = recovery_files()[0]
    three_days = time.time() - 3 * 86_400
    os.utime(path, (three_days, three_days))
    again = make_window()
    day = datetime.datetime.fromtimestamp(three_days)
    assert again.banner.isVisible()
    assert f"kept on {day:%Y-%m-%d} at {day:%H:%M}" in again.banner.label.text()
    assert "last session" not in again.banner.label.text()


def test_the_banner_moves_no_panel(qtbot, window, tiny_model, digits):
    tabs, docks = window.tabs.geometry(), [d.geometry() for d in window.docks]
    assert not window.banner.isVisible()
    window.session.set_model(tiny_model("mlp", "ae", steps=0), digits)
    window.recovery.keep_unsaved()
    qtbot.waitUntil(window.banner.isVisible)
    assert window.tabs.geometry() == tabs and [d.geometry() for d in window.docks] == docks
    central = window.centralWidget().rect()
    banner = window.banner.geometry()
    assert central.contains(banner) and banner.height() >= window.banner.sizeHint().height()
    window.resize(window.width() - 60, window.height() - 40)  # it follows the window
    qtbot.waitUntil(lambda: window.centralWidget().rect().contains(window.banner.geometry()))
    qtbot.mouseClick(window.banner.discard_button, Qt.LeftButton)
    assert not window.banner.isVisible() and recovery_files() == []


def test_a_long_run_is_autosaved_replacing_its_last_autosave(qtbot, window, choose):
    window.recovery.autosave_s = 0.5
    choose(window, backbone="conv", objective="vae", hidden="16,32", epochs=200, batch_size=4)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.run.state == TRAINING, timeout=LONG)
    qtbot.waitUntil(lambda: len(recovery_files()) == 1, timeout=LONG)
    first = recovery_files()[0]
    qtbot.waitUntil(lambda: recovery_files() and recovery_files()[0] != first, timeout=LONG)
    qtbot.wait(1600)  # three autosaves more
    window.recovery.writer.wait()
    assert window.is_training() and len(recovery_files()) == 1  # replaced, not piled up
    kept = checkpoint.load(recovery_files()[0])
    assert kept.model_config.backbone == "conv" and kept.history["train"]["step"]
    window.stop_training()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=LONG)
    window.close()  # keeps the run's model once more, in place of its autosave
    assert len(recovery_files()) == 1
    final = checkpoint.load(recovery_files()[0])
    assert final.history["train"]["step"][-1] >= kept.history["train"]["step"][-1]
