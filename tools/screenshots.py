"""Screenshots of every tab of the real window, for docs/screenshots and the README.

Run under a real X server at the size people have, not offscreen:

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/screenshots.py docs/screenshots

It opens the window as `latent-explorer` does (bundled model), shows each tab in turn, waits
for its background work, and saves the whole screen (QScreen.grabWindow(0)) as
<tab>.png; with --train it also presses Train and saves window-training.png mid-run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wait(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--settle", type=float, default=4.0, help="seconds per tab")
    parser.add_argument("--train", action="store_true", help="also a shot mid-run")
    parser.add_argument("--only", nargs="*", help="these tabs only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from explorer.app import make_app

    app = make_app()
    from explorer.window import MainWindow

    window = MainWindow(open_later=True)
    window.show()
    wait(app, 3.0)
    screen = app.primaryScreen()
    names = args.only or window.tabs.names()
    for name in names:
        window.tabs.show_panel(name)
        wait(app, args.settle)
        screen.grabWindow(0).save(str(args.out / f"{name}.png"))
        print(args.out / f"{name}.png")
    if args.train:
        window.tabs.show_panel(names[0])
        window.start_training()
        wait(app, 12.0)
        screen.grabWindow(0).save(str(args.out / "window-training.png"))
        print(args.out / "window-training.png")
        window.stop_training()
        wait(app, 2.0)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
