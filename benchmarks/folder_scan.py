"""Folder scan: what the form shows after a folder is chosen, against reading the folder.

Writes N colour PNGs (28 x 28, random pixels, seed 0) to a temporary folder, then times
`trainer.data.folder.scan` (headers only: what the form runs off the GUI thread) against
`trainer.data.folder.read` (every image decoded, cropped and resized: what training does),
each the median of `--repeats` runs after one warm-up. Prints one JSON object.

    python benchmarks/folder_scan.py [--images 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainer.data import folder  # noqa: E402


def _median_s(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.images):
            pixels = rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / f"{i:05d}.png")
        found = folder.scan(root)
        scan_s = _median_s(lambda: folder.scan(root), args.repeats)
        read_s = _median_s(lambda: folder.read(root, folder.FOLDER_SIZE, True), args.repeats)
    print(json.dumps({
        "images": args.images,
        "found": found.describe(),
        "scan_s": round(scan_s, 4),
        "scan_ms_per_1000_images": round(1000 * scan_s / args.images * 1000, 2),
        "reference_read_s": round(read_s, 4),
        "read_over_scan": round(read_s / scan_s, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
