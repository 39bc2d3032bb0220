"""Screenshots of the run list with overlaid curves, the compare view and the traversals.

Run under a real X server at the size people have, not offscreen:

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/run_screenshots.py OUT

It trains three short runs in the real window, in a fresh per-user folder (a plain
autoencoder and a VAE on digits, code 2; a VAE on shapes, code 6), then saves the whole
screen (QScreen.grabWindow(0)) as runs.png (the two digits runs selected), compare_runs.png
(the two side by side) and traversal.png (the shapes VAE).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wait(app, seconds: float, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):
        app.processEvents()
        time.sleep(0.01)


def train(app, window, dataset, objective, code_size, epochs) -> str:
    before = window.runs()
    form = window.form
    form.set_dataset(dataset)
    form.backbone.setCurrentIndex(form.backbone.findData("mlp"))
    form.objective.setCurrentIndex(form.objective.findData(objective))
    form.code_size.setValue(code_size)
    form.epochs.setValue(epochs)
    form.device.setCurrentIndex(form.device.findData("cpu"))
    assert window.start_training()
    wait(app, 600, lambda: not window.is_training() and len(window.runs()) > len(before))
    (name,) = [n for n in window.runs() if n not in before]
    print("trained", name, dataset, objective, code_size, flush=True)
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["LATENT_EXPLORER_HOME"] = tempfile.mkdtemp(prefix="le-shots-")

    from explorer.app import make_app

    app = make_app()
    from explorer.window import MainWindow

    window = MainWindow(open_later=True)
    window.show()
    window.setGeometry(app.primaryScreen().availableGeometry())  # the whole 1280 x 800 screen
    wait(app, 3.0)
    screen = app.primaryScreen()
    ae = train(app, window, "digits", "ae", 2, args.epochs)
    vae = train(app, window, "digits", "vae", 2, args.epochs)
    shapes = train(app, window, "shapes", "vae", 6, max(args.epochs // 3, 5))

    window.show_run(vae)
    window.banner.discard_button.click()  # each new run kept the one before for recovery
    window.tabs.show_panel("latent")
    window.docks[2].raise_()  # the Runs tab beside the training form
    window.run_list.select([ae, vae])
    window.loss.term_combo.setCurrentIndex(window.loss.term_combo.findData("recon"))
    wait(app, 3.0)
    screen.grabWindow(0).save(str(args.out / "runs.png"))

    window.run_list.select([])
    window.docks[0].raise_()
    window.tabs.show_panel("compare_runs")
    panel = window.panel("compare_runs")
    panel.compare(ae, vae)
    wait(app, 300, lambda: panel.figures() is not None)
    panel.move_point([0.8, -0.6])
    wait(app, 1.0)
    screen.grabWindow(0).save(str(args.out / "compare_runs.png"))

    window.show_run(shapes)
    window.tabs.show_panel("traversal")
    traversal = window.panel("traversal")
    wait(app, 300, lambda: traversal.result() is not None and not traversal.busy())
    wait(app, 1.0)
    screen.grabWindow(0).save(str(args.out / "traversal.png"))
    for name in ("runs", "compare_runs", "traversal"):
        print(args.out / f"{name}.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
