"""A training process reading a folder: Reading messages before Ready, and a stop that ends
the reading (the folder is read at the run's --size and colour)."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image
from test_runner import LONG_S, _configs, _finish

from trainer import paths, runner


def _folder(root, n: int):
    rng = np.random.default_rng(0)
    for i in range(n):
        (root / ("a" if i % 2 else "b")).mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / ("a" if i % 2 else "b") / f"{i}.png")
    return root


def test_the_child_reports_reading_a_folder_and_trains_at_the_chosen_size(tmp_path):
    folder = _folder(tmp_path / "pics", 40)
    mc, tc = _configs(epochs=1, dataset=f"folder:{folder}", size=10, channels="colour")
    seen = _finish(runner.start(mc, tc, threads=1))
    reading = [m for m in seen if isinstance(m, runner.Reading)]
    ready = next(m for m in seen if isinstance(m, runner.Ready))
    assert reading and (reading[-1].done, reading[-1].total) == (40, 40)
    assert seen.index(reading[-1]) < seen.index(ready)
    assert ready.input_shape == (3, 10, 10)


def test_a_stop_while_the_folder_is_read_ends_the_reading(tmp_path):
    folder = _folder(tmp_path / "pics", 300)  # 6 s at 20 ms a file
    mc, tc = _configs(epochs=1, dataset=f"folder:{folder}", size=8)
    run = runner.start(mc, tc, load="children:slow_folder", threads=1)
    end = time.monotonic() + LONG_S
    while not any(isinstance(m, runner.Reading) for m in run.poll()):
        assert time.monotonic() < end and not run.exited(), run.exit_reason()
        time.sleep(0.01)
    run.stop()
    started = time.monotonic()
    seen = _finish(run)
    assert time.monotonic() - started < 5.0  # well before the 6 s the reading would take
    assert not any(isinstance(m, runner.Ready) for m in seen)
    assert isinstance(run.outcome, runner.Failed) and "cancelled" in run.outcome.text
    assert not list(paths.cache_dir().glob("*.json"))  # nothing half-read was kept
