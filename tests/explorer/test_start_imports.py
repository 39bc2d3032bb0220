"""No scikit-learn (or scipy) and no torch._dynamo module is imported on the GUI thread in the
first 5 s after the window shows (each took seconds, and froze the new window): a fresh
process as `python main.py` starts, with an import hook that notes the thread of every new
module, on the bundled model, with the map tab and with a tab that clusters codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, os, sys, threading, time
sys.path.insert(0, {root!r})
HEAVY = ("sklearn", "scipy", "torch._dynamo")
seen = []
class Notes:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(HEAVY) and name not in sys.modules:
            seen.append((name, threading.current_thread() is threading.main_thread(), time.time()))
        return None
sys.meta_path.insert(0, Notes())
from PySide6.QtCore import QSettings, QTimer
from trainer.paths import home
tab = {tab!r}
settings = QSettings(str(home() / "settings.ini"), QSettings.Format.IniFormat)
settings.setValue("window/tab", tab)
settings.sync()
import main  # what `python main.py` imports before the app
from explorer.app import make_app
app = make_app([])
from explorer.window import MainWindow
from trainer import runner
window = MainWindow(open_later=True)  # as run_app does
window.show()
shown = time.time()
QTimer.singleShot(0, runner.warm_up)
refreshed = []
window.panel("latent").mapRefreshed.connect(lambda: refreshed.append(time.time() - shown))
QTimer.singleShot(5000, app.quit)
app.exec()
on_gui = sorted({{n for n, gui, t in seen if gui and t - shown <= 5.0}})
import sklearn.semi_supervised  # the hook does see a GUI-thread import (after the 5 s)
print(json.dumps({{"on_gui": on_gui, "tab": window.tabs.current_name(),
    "model": window.session.model is not None, "refreshed": refreshed,
    "control": any(n == "sklearn.semi_supervised" and gui for n, gui, _ in seen)}}))
os._exit(0)
"""


@pytest.mark.parametrize("tab", ["latent", "clusters"])
def test_no_heavy_import_on_the_gui_thread_after_show(tmp_path, tab):
    env = {**os.environ, "LATENT_EXPLORER_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT), tab=tab)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["model"] and out["tab"] == tab and out["control"]
    if tab == "latent":
        assert out["refreshed"], "the map never drew in the first 5 s"
    assert out["on_gui"] == [], out
