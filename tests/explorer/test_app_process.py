"""The app as `python main.py` runs it, in a fresh process: the window shows before the model
is open, and training through the child never brings torch._dynamo or scikit-learn into the
window's process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, os, sys
sys.path.insert(0, {root!r})
from PySide6.QtCore import QEventLoop, QTimer
from explorer.app import make_app
app = make_app([])
from explorer.window import MainWindow
window = MainWindow(open_later=True)
window.show()  # the model opens once the event loop runs
shown = {{"model": window.session.model is not None, "info": window.panel("latent").info.text(),
          "built": window.tabs.built()}}
def run_until(done):
    loop = QEventLoop()
    poll = QTimer(interval=10)
    poll.timeout.connect(lambda: done() and loop.quit())
    poll.start()
    if not done():
        loop.exec()
while window.session.model is None:
    app.processEvents()
form = window.form
form.set_dataset("digits")
form.backbone.setCurrentIndex(form.backbone.findData("mlp"))
form.hidden.setText("16")
form.epochs.setValue(2)
form.device.setCurrentIndex(form.device.findData("cpu"))
refreshed = []
window.panel("latent").mapRefreshed.connect(lambda: refreshed.append(1))
assert window.start_training()
run_until(lambda: not window.is_training())
print(json.dumps({{**shown, "finished": window.training.progress.format(),
    "dynamo": "torch._dynamo" in sys.modules,
    "sklearn": any(m.split(".")[0] in ("sklearn", "scipy") for m in sys.modules),
    "refreshed": len(refreshed)}}))
window.close()
os._exit(0)
"""


def test_the_window_shows_first_and_training_keeps_heavy_imports_out(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LATENT_EXPLORER_HOME": str(tmp_path)}
    code = SCRIPT.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["model"] and "Loading" in report["info"]  # on screen before the model
    assert report["built"] == ["latent"]  # the other tabs are built when first shown
    assert report["finished"].startswith("Finished: 2 epochs")
    assert report["refreshed"] >= 1  # the map followed the run
    assert not report["dynamo"] and not report["sklearn"]
