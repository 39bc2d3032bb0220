"""The window opens inside the available screen (first start and a geometry restored from a
bigger screen), and the docks keep their size whatever tab is shown: the rule on its own,
then real windows on offscreen screens of 1280x800 and 1024x700 (Qt's offscreen config)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, QRect

from explorer.geometry import FRAME_GUESS, first_rect, fit_rect

ROOT = Path(__file__).resolve().parents[2]
SCREENS = [(1280, 800), (1024, 700)]


def _inside(rect: QRect, available: QRect, frame: QMargins = FRAME_GUESS) -> bool:
    return available.contains(rect.marginsAdded(frame))


@pytest.mark.parametrize("size", SCREENS)
def test_first_and_restored_rects_fit_the_screen(size):
    available = QRect(0, 0, *size)
    first = first_rect(available)
    assert _inside(first, available) and first.width() > 0.9 * size[0]
    saved = QRect(300, 200, 1800, 1000)  # saved on a 1920x1080 screen
    fitted = fit_rect(saved, available)
    assert _inside(fitted, available)
    assert fitted.width() == size[0] - 8 and fitted.height() == size[1] - 36
    off = QRect(-400, 900, 600, 400)  # a smaller window left off-screen
    assert fit_rect(off, available).size() == off.size()
    assert _inside(fit_rect(off, available), available)


def test_a_rect_that_fits_comes_back_unchanged():
    available = QRect(0, 24, 1280, 776)  # a top panel takes 24 px
    rect = QRect(100, 80, 900, 600)
    assert fit_rect(rect, available) == rect
    assert fit_rect(QRect(0, 0, 900, 600), available).top() == 24 + FRAME_GUESS.top()


SCRIPT = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from explorer.app import make_app
app = make_app([])
from explorer.window import MainWindow
window = MainWindow()
if {big}:
    window.resize(1800, 1000)
window.show()
app.processEvents()
screen = window.screen().availableGeometry()
out = {{"screen": [screen.width(), screen.height()], "tabs": {{}}}}
def measure():
    f = window.frameGeometry()
    return {{"frame": [f.x(), f.y(), f.width(), f.height()],
            "min": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
            "training": window.docks[0].width(), "loss": window.docks[1].height()}}
out["start"] = measure()
for name in window.tabs.names():
    window.tabs.show_panel(name)
    panel, end = window.panel(name), time.monotonic() + 60
    for _ in range(5):
        app.processEvents()
    while getattr(panel, "busy", lambda: False)() and time.monotonic() < end:
        app.processEvents()  # its results laid out too (the anomalies' gallery, ...)
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
    out["tabs"][name] = measure()
    page = window.tabs.currentWidget()  # the panel's scroll area
    out["tabs"][name]["scroll"] = [page.verticalScrollBar().maximum(),
                                   page.horizontalScrollBar().maximum()]
print(json.dumps(out))
window.close()
os._exit(0)
"""


def _run_window(tmp_path, size, home, big=False) -> dict:
    config = tmp_path / f"screen-{size[0]}x{size[1]}.json"
    screen = {"name": "s", "x": 0, "y": 0, "width": size[0], "height": size[1]}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "LATENT_EXPLORER_HOME": str(home),
    }
    script = SCRIPT.format(root=str(ROOT), big=big)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("size", SCREENS)
def test_a_real_window_fits_the_screen_on_every_tab(tmp_path, size):
    home = tmp_path / "home"
    home.mkdir()
    _run_window(tmp_path, (1920, 1080), home, big=True)  # saves an 1800x1000 geometry
    out = _run_window(tmp_path, size, home)
    assert out["screen"] == list(size)
    available = QRect(0, 0, *size)
    start = out["start"]
    for name, seen in {"start": start, **out["tabs"]}.items():
        x, y, w, h = seen["frame"]
        assert available.contains(QRect(x, y, w, h)), (name, seen, size)
        assert seen["min"][0] <= size[0] and seen["min"][1] <= size[1], (name, seen)
        assert seen["training"] == start["training"] >= 280, (name, seen)  # never narrows
        assert seen["loss"] == start["loss"] >= 200, (name, seen)  # never a strip
    if size == (1280, 800):  # every panel fits its tab: nothing cut off below the fold
        tabs = out["tabs"].items()
        scrolled = {name: seen["scroll"] for name, seen in tabs if any(seen["scroll"])}
        assert not scrolled, scrolled
