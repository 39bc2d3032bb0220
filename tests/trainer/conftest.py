"""Fixtures of the trainer tests: `latent_explorer` runs the command line in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def latent_explorer():
    """run(args, home, threads=1, timeout=900): `python main.py *args` with the per-user
    folder at `home`, as a CompletedProcess with its text output."""

    def run(args, home, threads: int = 1, timeout: float = 900, **kw):
        env = {**os.environ, "LATENT_EXPLORER_HOME": str(home), "OMP_NUM_THREADS": str(threads)}
        cmd = [sys.executable, str(ROOT / "main.py"), *args]
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout, **kw)  # fmt: skip

    return run
