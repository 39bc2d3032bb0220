"""Cold start: the main window shown, as `python main.py` shows it, vs `import torch, PySide6`.

Each sample is a fresh Python process timed from spawn to exit. The window process does
what `explorer.app.run_app` does up to the event loop: creates the QApplication and
`MainWindow(open_later=True)` (the bundled model opens once the event loop runs; the shown
tab's panel is built, the others when first shown), shows it, processes events until the
first paint is done, and exits at once (os._exit, so teardown is not counted). `loaded_s`
is a second figure: the same, until the bundled model is open and drawn as well. The
reference process runs `import torch, PySide6` and exits. Runs are interleaved; the ratio
is of the medians. Prints one JSON object.

    python benchmarks/startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 1.3
REFERENCE = "import torch, PySide6; import os; os._exit(0)"
WINDOW = """
import os, sys
sys.path.insert(0, {root!r})
from explorer.app import make_app
app = make_app([])
from explorer.window import MainWindow
window = MainWindow(open_later=True)
window.show()
app.processEvents()
window.grab()  # make sure the first paint of every visible widget has happened
if {loaded}:
    while window.session.model is None or not window.panel("latent").map_ready():
        app.processEvents()
    window.grab()
os._exit(0)
"""


def timed(code: str, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "LATENT_EXPLORER_HOME": tempfile.mkdtemp(prefix="le-startup-"),
    }
    window_code = WINDOW.format(root=str(ROOT), loaded=False)
    loaded_code = WINDOW.format(root=str(ROOT), loaded=True)
    timed(REFERENCE, env)  # warm the file cache for both
    timed(window_code, env)
    ours, ref, loaded = [], [], []
    for r in range(args.repeats):
        pair = (("window", window_code), ("ref", REFERENCE))
        for kind, code in pair if r % 2 == 0 else pair[::-1]:
            (ours if kind == "window" else ref).append(timed(code, env))
        loaded.append(timed(loaded_code, env))
    window_s, ref_s = statistics.median(ours), statistics.median(ref)
    print(
        json.dumps(
            {
                "ratio": round(window_s / ref_s, 3),
                "window_s": round(window_s, 3),
                "reference_s": round(ref_s, 3),
                "loaded_s": round(statistics.median(loaded), 3),
                "loaded_ratio": round(statistics.median(loaded) / ref_s, 3),
                "reference": "python -c 'import torch, PySide6' (fresh process)",
                "budget": BUDGET,
                "repeats": args.repeats,
                "window_runs_s": [round(t, 3) for t in ours],
                "reference_runs_s": [round(t, 3) for t in ref],
                "cpus": os.cpu_count(),
                "load_avg_1min": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
